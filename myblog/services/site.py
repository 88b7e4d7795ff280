"""Blog-wide settings: read through a short cache, written by the owner."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext as _
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
    image_hosts: tuple[str, ...] = ()  # as the CSP names them: https://host or *.host
    copy_remote_images: bool = False
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
        image_hosts=tuple(site.image_hosts.split()),
        copy_remote_images=site.copy_remote_images,
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


def _checked(
    language: str | None, timezone: str | None, image_hosts: Sequence[str] | None
) -> str | None:
    """Refuse an unsupported language or time zone; the image hosts as stored (None: not
    given; ImageHostError for one that is not a host name)."""
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    if timezone is not None and not valid_timezone(timezone):
        raise ValueError(f"unknown time zone {timezone!r}")
    return None if image_hosts is None else "\n".join(image_sources(" ".join(image_hosts)))


def update_site(
    *,
    title: str,
    tagline: str,
    about: str,
    comment_policy: CommentPolicy | None = None,
    language: str | None = None,
    feed_content: FeedContent | None = None,
    timezone: str | None = None,
    image_hosts: Sequence[str] | None = None,
    copy_remote_images: bool | None = None,
) -> Site:
    """Save the blog's title, tagline, About page and (when given) comment policy, default
    language, feed content, time zone and image settings (`image_hosts` as `image_sources`
    gives them)."""
    # refused before anything changes, so a refusal leaves the session clean
    hosts = _checked(language, timezone, image_hosts)
    site = settings_row()
    if site is None:
        site = Site(title=title)
        db.session.add(site)
    site.title = title.strip()
    site.tagline = tagline.strip()
    site.about = about
    site.about_html = render_markdown(about)
    given = {
        "comment_policy": comment_policy,
        "language": language,
        "feed_content": feed_content,
        "timezone": timezone,
        "image_hosts": hosts,
        "copy_remote_images": copy_remote_images,
    }
    for name, value in given.items():
        if value is not None:
            setattr(site, name, value)
    db.session.commit()
    forget_site()
    return site


MAX_IMAGE_HOSTS = 20
# a host name (IDNA ASCII), optionally after "*." (its subdomains), optionally with a port
_HOST = re.compile(
    r"(?P<wild>\*\.)?(?P<name>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}"
    r"[a-z0-9])(?P<port>:\d{1,5})?"
)


class ImageSettings(TypedDict):
    """The time zone and image settings as update_site takes them."""

    timezone: str | None
    image_hosts: list[str]
    copy_remote_images: bool


class ImageHostError(ValueError):
    """Why a list of image hosts was refused; safe to show to the owner."""


def image_sources(text: str) -> list[str]:
    """The image hosts the owner listed (one per line, or separated by spaces or commas), as
    CSP sources: `img.example.com` and `https://img.example.com` become
    `https://img.example.com`; `http://` is kept when written; `*.example.com` allows its
    subdomains. Anything else (a path, a quote, a bare `*`, an address) is refused, so the
    policy stays what the owner meant."""
    sources: list[str] = []
    for entry in text.replace(",", " ").split():
        scheme, _sep, host = entry.rpartition("://")
        scheme = scheme.lower()
        if scheme not in ("", "http", "https"):
            raise ImageHostError(_("“%(entry)s”: only http:// or https:// hosts", entry=entry))
        try:
            ascii_host = host.rstrip("/").encode("idna").decode("ascii").lower()
        except UnicodeError as exc:
            raise ImageHostError(_("“%(entry)s” is not a host name", entry=entry)) from exc
        match = _HOST.fullmatch(ascii_host)
        if match is None or (match["port"] and not 0 < int(match["port"][1:]) < 65536):
            raise ImageHostError(
                _(
                    "“%(entry)s” is not a host name such as images.example.com or *.example.com",
                    entry=entry,
                )
            )
        source = f"{scheme or 'https'}://{ascii_host}"
        if source not in sources:
            sources.append(source)
    if len(sources) > MAX_IMAGE_HOSTS:
        raise ImageHostError(_("At most %(count)d image hosts.", count=MAX_IMAGE_HOSTS))
    return sources
