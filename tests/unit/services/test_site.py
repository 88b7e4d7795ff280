"""Blog settings: the row behind the settings form, and saving it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from myblog.extensions import db
from myblog.models import CommentPolicy
from myblog.services.site import (
    TimeNotInZone,
    get_site,
    known_language,
    settings_row,
    site_timezone,
    timezone_names,
    to_local,
    to_utc,
    update_site,
    valid_timezone,
)


def test_settings_row_is_the_blog_set_up_at_first_run(ctx):
    row = settings_row()
    assert row is not None and row.title == "Test Blog"


def test_settings_row_is_none_before_setup(make_app):
    with make_app(setup=False).app_context():
        assert settings_row() is None


def test_update_site_saves_and_refreshes_the_cached_settings(ctx):
    assert get_site().title == "Test Blog"
    update_site(
        title=" New ",
        tagline="t",
        about="# Hi",
        comment_policy=CommentPolicy.OPEN,
        language="zh_CN",
    )
    db.session.rollback()  # nothing left pending: the settings are already saved
    info = get_site()
    assert (info.title, info.comment_policy, info.language) == ("New", CommentPolicy.OPEN, "zh_CN")
    assert '>Hi <a class="header-anchor" href="#hi">#</a></h1>' in info.about_html


def test_an_unknown_language_is_refused_before_anything_changes(ctx):
    with pytest.raises(ValueError, match="unsupported language"):
        update_site(title="Changed", tagline="", about="", language="fr")
    assert not (db.session.new or db.session.dirty or db.session.deleted)
    assert settings_row().title == "Test Blog"


# --- the blog's time zone and default language ------------------------------------------------


def test_the_time_zone_is_saved_and_exposed_to_every_page(ctx):
    assert get_site().timezone == "UTC"
    update_site(title="B", tagline="", about="", timezone="Asia/Shanghai")
    assert get_site().timezone == "Asia/Shanghai" and site_timezone() == "Asia/Shanghai"


@pytest.mark.parametrize("name", ["Mars/Olympus", "", " UTC", "../etc/passwd", "/etc/localtime"])
def test_an_unknown_time_zone_is_refused_before_anything_changes(ctx, name):
    with pytest.raises(ValueError, match="unknown time zone"):
        update_site(title="Changed", tagline="", about="", timezone=name)
    assert get_site().title == "Test Blog" and get_site().timezone == "UTC"


def test_time_zone_names_are_iana_names_with_utc():
    names = timezone_names()
    assert "UTC" in names and "Asia/Shanghai" in names and "Europe/Paris" in names
    assert names == sorted(names) and all(valid_timezone(name) for name in names[:50])


def test_older_chinese_codes_are_the_zh_cn_locale():
    assert known_language("zh") == "zh_CN" and known_language("zh_CN") == "zh_CN"
    assert known_language("en") == "en" and known_language("fr") is None
    assert known_language(None) is None


def test_a_wall_clock_time_in_the_blogs_zone_is_stored_as_utc_and_shown_back():
    stored = to_utc(datetime(2030, 1, 1, 9, 0), "Asia/Shanghai")
    assert stored == datetime(2030, 1, 1, 1, 0, tzinfo=UTC)
    assert to_local(stored, "Asia/Shanghai") == datetime(2030, 1, 1, 9, 0)
    assert to_utc(datetime(2030, 1, 1, 9, 0), "UTC") == datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


def test_summer_time_moves_the_offset():
    # Paris is UTC+1 in winter and UTC+2 in summer
    assert to_utc(datetime(2030, 1, 15, 12, 0), "Europe/Paris").hour == 11
    assert to_utc(datetime(2030, 7, 15, 12, 0), "Europe/Paris").hour == 10


def test_a_time_the_clocks_skip_is_refused():
    # 2030-03-31 02:30 never happens in Paris: the clocks go from 02:00 to 03:00
    with pytest.raises(TimeNotInZone):
        to_utc(datetime(2030, 3, 31, 2, 30), "Europe/Paris")


def test_a_time_that_happens_twice_is_the_first_one():
    # 2030-10-27 02:30 happens twice in Paris (clocks go back from 03:00 to 02:00): the first,
    # still in summer time (UTC+2), is 00:30 UTC, and it is shown back as 02:30
    stored = to_utc(datetime(2030, 10, 27, 2, 30), "Europe/Paris")
    assert stored == datetime(2030, 10, 27, 0, 30, tzinfo=UTC)
    assert to_local(stored, "Europe/Paris") == datetime(2030, 10, 27, 2, 30)
