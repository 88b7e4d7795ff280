"""Blog-wide settings: read through a short cache, written by the owner."""

from __future__ import annotations

from dataclasses import dataclass

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


# languages the blog's mail can be written in (templates under email/<code>/, English the default)
LANGUAGES = {"en": "English", "zh": "中文"}


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
        language=site.language,
        feed_content=FeedContent(site.feed_content),
    )
    cache.set(SITE_CACHE_KEY, info)
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
) -> Site:
    """Save the blog's title, tagline, About page and (when given) comment, mail and feed
    settings."""
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
    db.session.commit()
    forget_site()
    return site
