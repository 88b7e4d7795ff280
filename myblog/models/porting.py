"""Where imported rows came from: one row per item brought in, so an import never runs twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from myblog.extensions import db
from myblog.models.types import UTCDateTime, utcnow


class ImportRecord(db.Model):  # type: ignore[name-defined]
    """An item of an import (a Markdown file, a WordPress post, a comment, an image) and the row
    it became. The unique key is what makes a second import of the same source a no-op."""

    __tablename__ = "import_records"
    __table_args__ = (UniqueConstraint("source", "kind", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # which export it came from: "markdown", "myblog", "ghost", "wordpress:<the blog's URL>"
    source: Mapped[str] = mapped_column(String(255))
    # what the row is: "post", "comment" or "upload"
    kind: Mapped[str] = mapped_column(String(16))
    # the item's id in its source: a file's path, a WordPress post id, a Ghost id…
    external_id: Mapped[str] = mapped_column(String(255))
    # the id of the post, comment or upload it became (no foreign key: it names several tables)
    target_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<ImportRecord {self.source}/{self.kind}/{self.external_id} → {self.target_id}>"
