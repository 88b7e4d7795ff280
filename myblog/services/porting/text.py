"""Text out of bytes and fields out of text: encodings, front matter, dates, lists of names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from flask_babel import gettext as _

from myblog.services.porting.items import ItemError
from myblog.services.taxonomy import MAX_NAME, split_tags

# front matter: YAML between --- lines, or TOML between +++ lines, at the very top
_FRONT = re.compile(
    r"\A(---|\+\+\+)[ \t]*\r?\n(.*?)^\1[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.MULTILINE
)
_HEADING = re.compile(r"\A\s*#[ \t]+(.+?)[ \t#]*(?:\r?\n|\Z)")
# the largest front matter read: a real one is a few lines
MAX_FRONT_MATTER = 64 * 1024
# Jekyll writes "2021-03-04 10:00:00 +0800"
_SPACED_ZONE = re.compile(r"^(\d{4}-\d\d-\d\d[ T][\d:.]+)\s*([+-]\d\d):?(\d\d)$")
_CHINESE = ("gb2312", "gbk", "gb18030", "hz")


def decode_text(raw: bytes) -> tuple[str, str | None]:
    """The text of a file and, when it was not UTF-8, the encoding assumed (ItemError for a
    binary file or an encoding that cannot be told)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "UTF-16"
    if b"\0" in raw[:8192]:
        raise ItemError(_("a binary file, not text"))
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # only imports that meet a non-UTF-8 file need it

    best = from_bytes(raw).best()
    if best is None:
        raise ItemError(_("not UTF-8, and its encoding could not be told"))
    encoding = "gb18030" if best.encoding.lower().replace("_", "") in _CHINESE else best.encoding
    try:
        return raw.decode(encoding), encoding.upper()
    except (UnicodeDecodeError, LookupError) as exc:
        raise ItemError(_("not UTF-8, and its encoding could not be told")) from exc


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The front matter's fields and the body after it (ItemError when it is malformed)."""
    match = _FRONT.match(text)
    if match is None:
        if text.startswith(("---\n", "---\r\n", "+++\n", "+++\r\n")):
            raise ItemError(_("malformed front matter: it is never closed"))
        return {}, text
    fence, inner = match.group(1), match.group(2)
    if len(inner) > MAX_FRONT_MATTER:
        raise ItemError(_("malformed front matter: longer than 64 KB"))
    fields = _toml(inner) if fence == "+++" else _yaml(inner)
    body = text[match.end() :]
    # one blank line after the front matter separates it from the body (the exporter writes it)
    body = body[2:] if body.startswith("\r\n") else body[1:] if body.startswith("\n") else body
    return fields, body


def _yaml(inner: str) -> dict[str, Any]:
    import yaml

    try:
        fields = yaml.safe_load(inner)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        if where is not None:
            raise ItemError(
                _("malformed YAML front matter (line %(line)d)", line=where.line + 2)
            ) from exc
        raise ItemError(_("malformed YAML front matter")) from exc
    return _as_fields(fields)


def _toml(inner: str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(inner)
    except tomllib.TOMLDecodeError as exc:
        raise ItemError(_("malformed TOML front matter: %(error)s", error=exc)) from exc


def _as_fields(fields: Any) -> dict[str, Any]:
    if fields is None:
        return {}
    if not isinstance(fields, dict):
        raise ItemError(_("malformed front matter: not a set of “name: value” fields"))
    return {str(key).lower(): value for key, value in fields.items()}


def take_heading(body: str) -> tuple[str, str]:
    """The text of a `# ` heading that opens the body, and the body without it ('' if none)."""
    match = _HEADING.match(body)
    if match is None:
        return "", body
    return match.group(1).strip(), body[match.end() :].lstrip("\r\n")


def parse_when(value: Any, what: str = "date") -> datetime | None:
    """A date or time from front matter or an export, in UTC (ItemError when it is none)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 100_000_000_000 else value  # Ghost 0.x: milliseconds
        return datetime.fromtimestamp(seconds, UTC)
    text = str(value).strip()
    spaced = _SPACED_ZONE.match(text)
    if spaced:
        text = f"{spaced.group(1)}{spaced.group(2)}:{spaced.group(3)}"
    try:
        return parse_when(datetime.fromisoformat(text.replace("Z", "+00:00")), what)
    except ValueError:
        raise ItemError(
            _("the %(what)s “%(text)s” is not a date", what=what, text=text[:40])
        ) from None


def names(value: Any, *, split_spaces: bool = False) -> list[str]:
    """Names (tags, categories) from a list or a comma-separated string, trimmed, in order."""
    if isinstance(value, str):
        items = value.split() if split_spaces and "," not in value else split_tags(value)
    elif isinstance(value, list | tuple):
        items = [str(v) for v in value if isinstance(v, str | int | float)]
    else:
        return []
    return unique(one_line(item, MAX_NAME) for item in items)


def first_text(fields: dict[str, Any], *keys: str) -> str:
    """The first of these fields that holds text (or a number), as text."""
    for key in keys:
        value = fields.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value):
            return str(value).strip()
    return ""


def one_line(text: str, length: int) -> str:
    """Text on one line, at most `length` characters."""
    return " ".join(text.split())[:length]


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
