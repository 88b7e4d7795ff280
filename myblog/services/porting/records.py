"""The import records: which post or upload each item of a source became."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from myblog.extensions import db
from myblog.models import ImportRecord, Post, Upload

_MODELS: dict[str, type[Post] | type[Upload]] = {"post": Post, "upload": Upload}
MAX_KEY = 255


def _external_id(key: str) -> str:
    """The item's id as stored: itself, or a digest of it when it is too long for the column."""
    return key if len(key) <= MAX_KEY else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def recorded(source: str, kind: str, key: str) -> Post | Upload | None:
    """The row an item became in an earlier import, if it is still there (a record whose row was
    deleted since is dropped, so the item is imported again)."""
    record = db.session.scalar(
        select(ImportRecord).where(
            ImportRecord.source == source,
            ImportRecord.kind == kind,
            ImportRecord.external_id == _external_id(key),
        )
    )
    if record is None:
        return None
    target: Post | Upload | None = db.session.get(_MODELS[kind], record.target_id)  # type: ignore[assignment]
    if target is None:
        db.session.delete(record)
        db.session.flush()
    return target


def record(source: str, kind: str, key: str, target_id: int) -> None:
    """Remember what an item became (in the item's own transaction; no commit)."""
    db.session.add(
        ImportRecord(source=source, kind=kind, external_id=_external_id(key), target_id=target_id)
    )
