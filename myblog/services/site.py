"""Blog-wide settings: read through a short cache, written by the owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select

from myblog.extensions import cache, db
from myblog.models import CommentPolicy, FeedContent, Site
from myblog.services.markdown import render_markdown

SITE_CACHE_KEY = "myblog:site"


@dataclass(frozen=True)
class SiteInfo:
    """What every page needs to know about the blog, detached from the session."""

    title: str
    tagline: str
    about_html: str
    comment_policy: CommentPolicy = CommentPolicy.TRUST_RETURNING
    language: str = "en"
    feed_content: FeedContent = FeedContent.SUMMARY
    timezone: str = "UTC"


# the interface's languages, by Babel locale, each named in itself; the blog's default language
# (pages for readers who have not chosen, and all mail) is one of them
LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
SUPPORTED = tuple(LANGUAGES)
# what older versions stored for Chinese, and backups made by them carry
_LEGACY_LANGUAGES = {"zh": "zh_CN", "zh-CN": "zh_CN", "zh-Hans": "zh_CN"}
DEFAULT_TIMEZONE = "UTC"


def known_language(code: str | None) -> str | None:
    """The supported locale a stored or imported language code means (None: not one)."""
    if code in LANGUAGES:
        return code
    return _LEGACY_LANGUAGES.get(code or "")


def valid_timezone(name: str) -> bool:
    """Whether `name` is an IANA time zone this system knows ("Asia/Shanghai", "UTC")."""
    if not name or name != name.strip() or name.startswith(("/", ".")) or ".." in name:
        return False  # zoneinfo would read a file by that path
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def timezone_names() -> list[str]:
    """Every IANA time zone name, sorted, "UTC" included (for the settings menu)."""
    return sorted(available_timezones() | {DEFAULT_TIMEZONE})


class TimeNotInZone(ValueError):
    """A local time the clocks skip (moved forward for summer time) in the blog's zone."""


def to_utc(local: datetime, zone: str) -> datetime:
    """A wall-clock time in `zone` (naive) as an aware UTC datetime.

    A time that happens twice (clocks going back) is the first one; a time that never happens
    (clocks going forward) is refused with TimeNotInZone rather than moved silently.
    """
    tz = ZoneInfo(zone)
    aware = local.replace(tzinfo=tz, fold=0)
    moment = aware.astimezone(UTC)
    if moment.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise TimeNotInZone(f"{local:%Y-%m-%d %H:%M} does not exist in {zone}")
    return moment


def to_local(moment: datetime, zone: str) -> datetime:
    """An aware UTC datetime as the naive wall-clock time in `zone` (for a form field)."""
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def get_site() -> SiteInfo | None:
    """Return the blog's settings, or None before the first-run setup has happened."""
    info: SiteInfo | None = cache.get(SITE_CACHE_KEY)
    if info is not None:
        return info
    site = db.session.scalar(select(Site).limit(1))
    if site is None:
        return None  # never cached: setup may finish on another worker at any moment
    info = SiteInfo(
        title=site.title,
        tagline=site.tagline,
        about_html=site.about_html,
        comment_policy=CommentPolicy(site.comment_policy),
        language=known_language(site.language) or "en",
        feed_content=FeedContent(site.feed_content),
        timezone=site.timezone if valid_timezone(site.timezone) else DEFAULT_TIMEZONE,
    )
    cache.set(SITE_CACHE_KEY, info)
    return info


def site_title() -> str:
    """The blog's title, for mail and other text written outside a page ("myblog" before setup)."""
    site = get_site()
    return site.title if site is not None else "myblog"


def site_language() -> str:
    """The blog's default language: of its mail, and of pages for readers who have not
    chosen (an owner setting; English before setup)."""
    site = get_site()
    return site.language if site is not None else "en"


def site_timezone() -> str:
    """The blog's time zone, an IANA name (an owner setting; UTC before setup)."""
    site = get_site()
    return site.timezone if site is not None else DEFAULT_TIMEZONE


def forget_site() -> None:
    """Drop the cached settings after a change."""
    cache.delete(SITE_CACHE_KEY)


def settings_row() -> Site | None:
    """The blog's settings row itself, for the settings form (None before the first-run setup)."""
    return db.session.scalar(select(Site).limit(1))


def update_site(
    *,
    title: str,
    tagline: str,
    about: str,
    comment_policy: CommentPolicy | None = None,
    language: str | None = None,
    feed_content: FeedContent | None = None,
    timezone: str | None = None,
) -> Site:
    """Save the blog's title, tagline, About page and (when given) comment policy, default
    language, feed content and time zone."""
    # refused before anything changes, so a refusal leaves the session clean
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    if timezone is not None and not valid_timezone(timezone):
        raise ValueError(f"unknown time zone {timezone!r}")
    site = settings_row()
    if site is None:
        site = Site(title=title)
        db.session.add(site)
    site.title = title.strip()
    site.tagline = tagline.strip()
    site.about = about
    site.about_html = render_markdown(about)
    if comment_policy is not None:
        site.comment_policy = comment_policy
    if language is not None:
        site.language = language
    if feed_content is not None:
        site.feed_content = feed_content
    if timezone is not None:
        site.timezone = timezone
    db.session.commit()
    forget_site()
    return site
