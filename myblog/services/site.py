"""Blog-wide settings: read through a short cache, written by the owner."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

from flask_babel import gettext as _
from sqlalchemy import select

from myblog.extensions import cache, db
from myblog.models import CommentPolicy, FeedContent, Site
from myblog.services.markdown import render_markdown

_CACHE_KEY = "myblog:site"


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


# languages the blog's mail can be written in (templates under email/<code>/, English the default)
LANGUAGES = {"en": "English", "zh": "中文"}


def get_site() -> SiteInfo | None:
    """Return the blog's settings, or None before the first-run setup has happened."""
    info: SiteInfo | None = cache.get(_CACHE_KEY)
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
        language=site.language,
        feed_content=FeedContent(site.feed_content),
        image_hosts=tuple(site.image_hosts.split()),
        copy_remote_images=site.copy_remote_images,
    )
    cache.set(_CACHE_KEY, info)
    return info


def site_title() -> str:
    """The blog's title, for mail and other text written outside a page ("myblog" before setup)."""
    site = get_site()
    return site.title if site is not None else "myblog"


def site_language() -> str:
    """The language the blog writes its mail in (an owner setting; English before setup)."""
    site = get_site()
    return site.language if site is not None else "en"


def forget_site() -> None:
    """Drop the cached settings after a change."""
    cache.delete(_CACHE_KEY)


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
    image_hosts: Sequence[str] | None = None,
    copy_remote_images: bool | None = None,
) -> Site:
    """Save the blog's title, tagline, About page and (when given) comment, mail, feed and
    image settings (`image_hosts` as `image_sources` gives them)."""
    # refused before anything changes, so a refusal leaves the session clean
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
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
    if image_hosts is not None:
        site.image_hosts = "\n".join(image_sources(" ".join(image_hosts)))
    if copy_remote_images is not None:
        site.copy_remote_images = copy_remote_images
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
    """The image settings as update_site takes them."""

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
