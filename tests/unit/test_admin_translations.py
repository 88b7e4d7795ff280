"""The admin's Chinese: every message the admin's templates, views, forms and the services whose
words reach its pages wrap is in `i18n/admin-zh_CN.po` (or, once that file is folded in, the main
zh_CN catalog), translated, not fuzzy, with the same placeholders; and the file holds no message
that the code no longer has."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
ADMIN_CATALOG = ROOT / "i18n" / "admin-zh_CN.po"
SERVICES = ROOT / "myblog" / "services"
MAIN_CATALOG = ROOT / "myblog" / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
# the services whose messages the admin's pages show (form errors, notifications, the Import
# page's report)
ADMIN_SERVICES = (
    "posts.py",
    "taxonomy.py",
    "accounts.py",
    "profiles.py",
    "uploads.py",
    "events.py",
    "revisions.py",
    "media.py",
    "porting/*.py",
)
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None}

MessageId = str | tuple[str, ...]
# a message as the catalogs key it: its id (the singular, for plurals) and its context
Key = tuple[str, str | None]


def admin_sources() -> list[Path]:
    """Every file whose wrapped strings the admin's Chinese covers."""
    templates = sorted((ROOT / "myblog" / "templates" / "admin").rglob("*.html"))
    views = sorted((ROOT / "myblog" / "admin").glob("*.py"))
    services = [path for pattern in ADMIN_SERVICES for path in sorted(SERVICES.glob(pattern))]
    return templates + views + services


def extracted() -> dict[tuple[MessageId, str | None], str]:
    """The wrapped messages with their context, each with where it was first found."""
    found: dict[tuple[MessageId, str | None], str] = {}
    for path in admin_sources():
        method = "jinja2" if path.suffix == ".html" else "python"
        for lineno, message, _comments, context in extract_from_file(
            method, str(path), keywords=KEYWORDS
        ):
            found.setdefault((message, context), f"{path.relative_to(ROOT)}:{lineno}")
    return found


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale="zh_CN")


def _key(message: tuple[MessageId, str | None]) -> Key:
    message_id, context = message
    return (message_id if isinstance(message_id, str) else message_id[0], context)


def test_the_sources_wrap_admin_messages() -> None:
    found = extracted()
    # a few landmarks, so that an extraction that silently finds nothing fails
    assert ("Dashboard", None) in found
    assert ("Choose a file to import.", None) in found  # a form's validator (lazy_gettext)
    assert (("Retry %(num)d failed", "Retry all %(num)d failed"), None) in found  # ngettext
    assert ("Pending", "subscriber") in found  # pgettext
    assert ("A post needs a title.", None) in found  # a service's error
    assert ("its path is absolute", None) in found  # the Import page's report
    assert len(found) > 200


def _admin_catalog() -> Catalog:
    if not ADMIN_CATALOG.exists():
        pytest.skip("i18n/admin-zh_CN.po is folded into the main catalog")
    return read_catalog(ADMIN_CATALOG)


def test_every_admin_message_is_translated_into_chinese() -> None:
    # the admin's own file until it is folded into the main catalog, which then holds them
    paths = [path for path in (ADMIN_CATALOG, MAIN_CATALOG) if path.exists()]
    catalogs = [read_catalog(path) for path in paths]
    missing, untranslated = [], []
    for message, where in extracted().items():
        message_id, context = _key(message)
        entries = [e for c in catalogs if (e := c.get(message_id, context)) is not None]
        if not entries:
            missing.append(f"{where}: {message!r}")
            continue
        entry = entries[0]
        strings = list(entry.string) if entry.pluralizable else [entry.string]
        if entry.fuzzy or not all(strings):
            untranslated.append(f"{where}: {message!r}")
    assert missing == [], "not in the zh_CN catalogs:\n" + "\n".join(missing)
    assert untranslated == [], "untranslated or fuzzy:\n" + "\n".join(untranslated)


def test_the_translations_keep_every_placeholder() -> None:
    catalog = _admin_catalog()
    problems = [
        f"{message.id!r}: {error}" for message, errors in catalog.check() for error in errors
    ]
    assert problems == []


def test_the_admin_catalog_holds_only_messages_the_code_has() -> None:
    found = {_key(message) for message in extracted()}
    stale = [
        message.id
        for message in _admin_catalog()
        if message.id and _key((message.id, message.context)) not in found
    ]
    assert stale == []
