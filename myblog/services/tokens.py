"""Signed, expiring, purpose-bound tokens for links sent by email (itsdangerous)."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class TokenError(ValueError):
    """A user-facing reason why a link cannot be used."""


def make_token(data: dict[str, Any], *, purpose: str, secret: str) -> str:
    """Sign `data` for one purpose; a token made for another purpose never validates here."""
    return URLSafeTimedSerializer(secret, salt=f"myblog:{purpose}").dumps(data)


def read_token(token: str, *, purpose: str, secret: str, max_age: int) -> dict[str, Any]:
    """The data signed into `token`, or TokenError if it is forged, altered or too old."""
    serializer = URLSafeTimedSerializer(secret, salt=f"myblog:{purpose}")
    try:
        data = serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenError("This link has expired. Ask for a new one.") from None
    except BadSignature:
        raise TokenError("This link is not valid.") from None
    if not isinstance(data, dict):
        raise TokenError("This link is not valid.")
    return data
