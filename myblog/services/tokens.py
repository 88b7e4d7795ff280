"""Signed, expiring, purpose-bound tokens for links sent by email (itsdangerous)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class TokenError(ValueError):
    """A user-facing reason why a link cannot be used."""


def verifying_keys() -> list[str]:
    """The keys a token may be signed with: SECRET_KEY_FALLBACKS (old keys still honoured
    after a rotation) and SECRET_KEY, last, as itsdangerous wants the signing key."""
    config = current_app.config
    return [*map(str, config.get("SECRET_KEY_FALLBACKS") or ()), str(config["SECRET_KEY"])]


def make_token(data: dict[str, Any], *, purpose: str, secret: str) -> str:
    """Sign `data` for one purpose; a token made for another purpose never validates here."""
    return URLSafeTimedSerializer(secret, salt=f"myblog:{purpose}").dumps(data)


def read_token(
    token: str, *, purpose: str, secret: str | Sequence[str], max_age: int
) -> dict[str, Any]:
    """The data signed into `token`, or TokenError if it is forged, altered or too old.

    `secret` may be a list of keys (see `verifying_keys`): a token signed with any of them is
    accepted."""
    serializer = URLSafeTimedSerializer(secret, salt=f"myblog:{purpose}")
    try:
        data = serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenError(_("This link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise TokenError(_("This link is not valid.")) from None
    if not isinstance(data, dict):
        raise TokenError(_("This link is not valid."))
    return data
