"""The interface's language and time zone (Flask-Babel), and the message catalogs.

The language of a page (`select_locale`, the one source: the page cache keys on it too): the
reader's choice (the `lang` cookie, set by the switcher in the footer), else the first language
of the browser's `Accept-Language` that we have, else the blog's default language (an owner
setting). Outside a request it is English: a command's output is for the operator, and mail
is written in the blog's default language by `myblog/services/outbox.py` itself.

Message catalogs live in `myblog/translations/`: `messages.pot` is extracted from the code,
each `<locale>/LC_MESSAGES/messages.po` is translated by people, and the `.mo` files Flask-Babel
reads are built from them (`compile_catalogs`, when the app starts and by `flask translate
compile`), never committed. README says how to extract, update and compile them.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, Response, g, has_request_context, request
from flask_babel import get_locale
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from myblog.extensions import babel
from myblog.services.site import DEFAULT_TIMEZONE, SUPPORTED, site_language, site_timezone

COOKIE = "lang"
# how the pages name each language in <html lang> and the switcher (BCP 47, own-language names)
HTML_LANG = {"en": "en", "zh_CN": "zh-CN"}
LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}
PACKAGE = Path(__file__).resolve().parent
TRANSLATIONS = PACKAGE / "translations"
POT = TRANSLATIONS / "messages.pot"
BABEL_CFG = PACKAGE.parent / "babel.cfg"
KEYWORDS = "lazy_gettext"  # beyond pybabel's defaults (_, gettext, ngettext …)


def _from_browser(accept_language: str) -> str | None:
    """The first language of an `Accept-Language` header (in its order of preference) that we
    have, matched by primary language: "en-GB" is en, and "zh-TW" or "zh-Hans-CN" read zh_CN
    better than English."""
    primaries = {code.split("_")[0]: code for code in SUPPORTED}
    for value, quality in parse_accept_header(accept_language, LanguageAccept):
        found = primaries.get(value.replace("_", "-").split("-")[0].lower())
        if found and quality > 0:  # q=0 means "not this one"
            return found
    return None


@lru_cache(maxsize=256)
def locale_for(cookie: str | None, accept_language: str | None) -> str:
    """The reader's language from the `lang` cookie and the `Accept-Language` header, or ""
    when neither names one we have (the blog's default language then holds). Also the page
    cache's key, which is made before Flask has a request."""
    if cookie in SUPPORTED:
        return cookie
    return (_from_browser(accept_language) if accept_language else None) or ""


def _blog_language() -> str:
    # in a request, only what load_site put in g: an error page renders with no database
    if has_request_context():
        language = getattr(g.get("site"), "language", None) or "en"
    else:
        language = site_language()
    return language if language in SUPPORTED else "en"


def select_locale() -> str:
    """The language this request's pages are written in. Outside a request (a command's
    output, a background pass) it is English; mail sets its own, the blog's default language."""
    if not has_request_context():
        return "en"
    cookie, accept = request.cookies.get(COOKIE), request.headers.get("Accept-Language")
    return locale_for(cookie, accept) or _blog_language()


def select_timezone() -> str:
    """The blog's time zone (an IANA name; "UTC" until the owner chooses one)."""
    if has_request_context():  # as above: no query from a request
        return getattr(g.get("site"), "timezone", None) or DEFAULT_TIMEZONE
    return site_timezone()


def _babel_name(code: str) -> str:
    # Babel names zh_CN by its script too, "zh_Hans_CN"; Flask-Babel looks catalogs up by it
    return str(Locale.parse(code))


def page_language() -> str:
    """The locale code of this page's language ("en", "zh_CN")."""
    name = str(get_locale() or "en")
    return next((code for code in SUPPORTED if _babel_name(code) == name), name)


def html_lang(code: str) -> str:
    """The `<html lang>` value of a locale code ("zh-CN" for zh_CN)."""
    return HTML_LANG.get(code, code.replace("_", "-"))


# --- catalogs ----------------------------------------------------------------------------------


def _stale(po: Path, mo: Path) -> bool:
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def compiled_path(po: Path) -> Path:
    """Where the `.mo` built from a `.po` goes: under the name Babel gives the locale
    (`zh_CN/…/messages.po` → `zh_Hans_CN/…/messages.mo`), where Flask-Babel looks for it."""
    folder = po.parent.parent
    return folder.parent / _babel_name(folder.name) / "LC_MESSAGES" / "messages.mo"


def compile_catalogs(folder: Path = TRANSLATIONS, *, force: bool = False) -> list[Path]:
    """Build each `messages.mo` that is missing or older than its `.po`; returns those built.

    Written to a temporary file and renamed, so workers starting together never read half a
    file; fuzzy entries are left out, as `pybabel compile` does.
    """
    built = []
    for po in sorted(folder.glob("*/LC_MESSAGES/messages.po")):
        mo = compiled_path(po)
        if not (force or _stale(po, mo)):
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        mo.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=mo.parent, suffix=".mo-tmp")
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalog)
        os.replace(temporary, mo)
        built.append(mo)
    return built


def run_pybabel(*args: str) -> None:
    """Run a pybabel command (extract, update, init, compile) with the project's settings."""
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract_messages() -> None:
    """Write `messages.pot` from the code and templates (babel.cfg says where to look)."""
    run_pybabel(
        "extract", "-F", str(BABEL_CFG), "-k", KEYWORDS, "--no-location", "--sort-output",
        "--project", "myblog", "--no-wrap",
        "-o", str(POT), str(PACKAGE.parent),
    )  # fmt: skip


def update_catalogs() -> None:
    """Merge `messages.pot` into every language's `messages.po` (new messages come empty)."""
    run_pybabel(
        "update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-fuzzy-matching",
        "--ignore-obsolete", "--no-wrap",
    )  # fmt: skip


def _compile_at_start(app: Flask) -> None:
    try:
        compile_catalogs()
    except OSError as error:  # a read-only install: the catalogs built at packaging time serve
        app.logger.warning("could not build the message catalogs: %s", error)


def _vary_by_language(response: Response) -> Response:
    """Pages tell caches on the way that their language comes from the request: the same URL
    is English for one reader and Chinese for another."""
    if response.mimetype == "text/html":
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with the selectors above (`_` and `ngettext` are then in every
    template) and build the catalogs the app will read."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", DEFAULT_TIMEZONE)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    _compile_at_start(app)
    app.after_request(_vary_by_language)
    app.add_template_global(html_lang)
    app.add_template_global(page_language)
    app.jinja_env.globals["language_names"] = LANGUAGE_NAMES
