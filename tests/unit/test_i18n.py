"""The interface's languages: which one a request gets, and the catalogs behind them.

The catalog tests hold at every commit: everything the code and templates mark for translation
is in the zh_CN catalog, translated, not fuzzy, with the same placeholders.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import g

from myblog.i18n import (
    BABEL_CFG,
    KEYWORDS,
    PACKAGE,
    TRANSLATIONS,
    compile_catalogs,
    compiled_path,
    html_lang,
    locale_for,
    select_locale,
    select_timezone,
)
from myblog.services.site import SiteInfo, update_site

ZH_PO = TRANSLATIONS / "zh_CN" / "LC_MESSAGES" / "messages.po"


def zh_catalog():
    with ZH_PO.open("rb") as source:
        return read_po(source, locale="zh_CN")


def extracted_ids() -> set[str]:
    """What `pybabel extract -F babel.cfg -k lazy_gettext` finds, by its own API."""
    with BABEL_CFG.open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, KEYWORDS: None}
    root = PACKAGE.parent

    def only_the_package(path: str) -> bool:
        relative = Path(path).relative_to(root)
        return relative.parts[0] == PACKAGE.name and not relative.name.startswith((".", "_"))

    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(root), method_map, options_map, keywords, directory_filter=only_the_package
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_in_the_zh_cn_catalog_is_translated_and_not_fuzzy():
    catalog = zh_catalog()
    untranslated, fuzzy = [], []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert untranslated == [] and fuzzy == []
    assert len(catalog) > 200  # the catalog was really read


def test_translations_keep_the_placeholders_of_their_messages():
    problems = [(message.id, [str(e) for e in errors]) for message, errors in zh_catalog().check()]
    assert problems == []


def test_the_catalog_has_every_message_the_code_marks():
    found = extracted_ids()
    assert "Log in" in found and "Skip to content" in found  # templates and Python both read
    in_catalog = {m.id[0] if isinstance(m.id, tuple) else m.id for m in zh_catalog() if m.id}
    assert sorted(found - in_catalog) == []


def test_catalogs_are_built_when_missing_or_older_than_their_po(tmp_path):
    folder = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS / "zh_CN", folder / "zh_CN", ignore=shutil.ignore_patterns("*.mo"))
    po = folder / "zh_CN" / "LC_MESSAGES" / "messages.po"
    mo = compiled_path(po)
    assert mo == folder / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo"  # where Babel looks

    assert compile_catalogs(folder) == [mo]
    with mo.open("rb") as built:
        assert read_mo(built).get("Log in").string == "登录"
    assert compile_catalogs(folder) == []  # up to date: nothing to do

    later = mo.stat().st_mtime + 10
    os.utime(po, (later, later))  # the .po changed since
    assert compile_catalogs(folder) == [mo]
    assert compile_catalogs(folder, force=True) == [mo]
    assert not list(mo.parent.glob("*.mo-tmp"))


def test_the_app_builds_its_catalogs_when_it_starts(app):
    mo = compiled_path(ZH_PO)
    assert mo.exists() and mo.stat().st_mtime >= ZH_PO.stat().st_mtime


def site(language: str = "en", timezone: str = "UTC") -> SiteInfo:
    return SiteInfo(title="B", tagline="", about_html="", language=language, timezone=timezone)


@pytest.mark.parametrize(
    ("cookie", "accept", "default", "expected"),
    [
        ("zh_CN", "en-US,en;q=0.9", "en", "zh_CN"),  # the reader's choice first
        ("en", "zh-CN,zh;q=0.9", "zh_CN", "en"),
        (None, "zh-CN,zh;q=0.9", "en", "zh_CN"),  # then what the browser asks for
        (None, "en-GB", "zh_CN", "en"),
        (None, "fr, zh;q=0.5", "en", "zh_CN"),  # the first one we have
        (None, "zh-TW", "en", "zh_CN"),  # a Chinese reads zh_CN better than English
        (None, "zh-Hans-CN", "en", "zh_CN"),
        (None, "fr, zh-TW;q=0", "en", "en"),  # q=0: anything but that
        (None, "fr, de", "zh_CN", "zh_CN"),  # then the blog's default
        (None, None, "zh_CN", "zh_CN"),
        (None, None, "en", "en"),
        ("klingon", None, "zh_CN", "zh_CN"),  # a cookie we do not know is no choice
    ],
)
def test_the_page_language(app, cookie, accept, default, expected):
    headers = {}
    if cookie:
        headers["Cookie"] = f"lang={cookie}"
    if accept:
        headers["Accept-Language"] = accept
    with app.test_request_context("/", headers=headers):
        g.site = site(language=default)
        assert select_locale() == expected


def test_the_readers_own_choice_is_known_without_a_request():
    # what the page cache keys on before Flask runs: "" leaves it to the blog's default
    assert locale_for("zh_CN", "en") == "zh_CN" and locale_for(None, "zh-TW,en;q=0.5") == "zh_CN"
    assert locale_for(None, "fr") == "" and locale_for("xx", None) == ""


def test_a_page_before_the_settings_are_loaded_is_english_in_utc(app):
    # error pages render without the database: no query for the blog's settings
    with app.test_request_context("/"):
        assert select_locale() == "en" and select_timezone() == "UTC"


def test_outside_a_request_english_and_the_blogs_zone_hold(ctx):
    # a command's output is for the operator; mail sets the blog's default language itself
    assert select_locale() == "en" and select_timezone() == "UTC"
    update_site(title="B", tagline="", about="", language="zh_CN", timezone="Asia/Shanghai")
    assert select_locale() == "en" and select_timezone() == "Asia/Shanghai"


def test_a_request_reads_the_zone_from_the_loaded_settings(app):
    with app.test_request_context("/"):
        g.site = site(timezone="Asia/Shanghai")
        assert select_timezone() == "Asia/Shanghai"


def test_html_lang_names():
    assert html_lang("zh_CN") == "zh-CN" and html_lang("en") == "en"


def test_flask_translate_compile_builds_the_catalogs(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["translate", "compile", "--force"])
    assert result.exit_code == 0 and "Built 1 catalog(s)." in result.output
    assert "Built 0 catalog(s)." in runner.invoke(args=["translate", "compile"]).output
    listed = runner.invoke(args=["translate", "--help"]).output
    assert all(f"  {name} " in listed for name in ("extract", "update", "compile"))
