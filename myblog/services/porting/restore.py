"""Restoring what only a myblog backup holds: settings, categories and tags with their
addresses, subscribers, and uploads under their own names."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy import func, select

from myblog.extensions import db
from myblog.models import Category, CommentPolicy, Post, Subscriber, Tag, Upload
from myblog.services.porting.items import (
    ItemError,
    Restore,
    SiteItem,
    SubscriberItem,
    TermItem,
    UploadItem,
)
from myblog.services.porting.job import Job, Skip, Step
from myblog.services.porting.report import Outcome, Result
from myblog.services.site import (
    MAX_IMAGE_HOSTS,
    ImageHostError,
    forget_site,
    image_sources,
    known_language,
    update_site,
    valid_timezone,
)
from myblog.services.taxonomy import Term, get_or_create_term
from myblog.services.uploads import keep_image


def restore_steps(
    job: Job, restore: Restore, *, before_accounts: bool
) -> Iterator[tuple[str, Step]]:
    """The backup's own items: settings, terms and subscribers before the accounts are
    restored, uploads (which name their uploader) after."""
    if not before_accounts:
        for upload in restore.uploads:
            yield _upload_label(upload), partial(_restore_upload, job, upload)
        return
    if restore.site is not None:
        yield _site_label(), partial(_restore_site, job, restore.site)
    for term in restore.terms:
        yield _term_label(term), partial(_restore_term, job, term)
    for subscriber in restore.subscribers:
        yield _subscriber_label(subscriber), partial(_restore_subscriber, job, subscriber)


def _site_label() -> str:
    return str(_("settings and About page"))


def _term_label(term: TermItem) -> str:
    if term.kind == "category":
        return str(_("category %(name)s", name=term.name))
    return str(_("tag %(name)s", name=term.name))


def _subscriber_label(item: SubscriberItem) -> str:
    return str(_("subscriber %(email)s", email=item.email))


def _upload_label(item: UploadItem) -> str:
    return str(_("upload %(name)s", name=item.filename))


def _restore_site(job: Job, site: SiteItem) -> Outcome:
    label = _site_label()
    if db.session.scalar(select(Post.id).limit(1)) is not None:
        raise Skip(_("this blog has posts already: its own settings are kept"))
    if job.dry_run:
        return Outcome(label, Result.WOULD_IMPORT, f"“{site.title}”")
    policies = {policy.value: policy for policy in CommentPolicy}
    update_site(
        title=site.title or "My Blog",
        tagline=site.tagline,
        about=site.about,
        comment_policy=policies.get(site.comment_policy),
        language=known_language(site.language),  # backups of older versions say "zh"
        timezone=site.timezone if valid_timezone(site.timezone) else None,
        image_hosts=_image_hosts(site.image_hosts),
        copy_remote_images=site.copy_remote_images,
    )
    forget_site()
    return Outcome(label, Result.IMPORTED, f"“{site.title}”")


def _image_hosts(hosts: tuple[str, ...]) -> list[str]:
    """The backup's image hosts that are host names (an edited backup may hold anything)."""
    kept: list[str] = []
    for host in hosts:
        try:
            kept += image_sources(host)
        except ImageHostError:
            continue
    return list(dict.fromkeys(kept))[:MAX_IMAGE_HOSTS]


def _restore_term(job: Job, term: TermItem) -> Outcome:
    if term.kind == "category":
        return _restore_named(job, term, Category)
    return _restore_named(job, term, Tag)


def _restore_named(job: Job, term: TermItem, model: type[Term]) -> Outcome:
    label = _term_label(term)
    if not term.name.strip():
        raise ItemError(_("it has no name"))
    existing = db.session.scalar(select(model).where(func.lower(model.name) == term.name.lower()))
    if existing is not None:
        raise Skip(_("already here (as “%(slug)s”)", slug=existing.slug))
    if job.dry_run:
        return Outcome(label, Result.WOULD_IMPORT)
    created = get_or_create_term(model, term.name, slug=term.slug)
    taken = _("its slug “%(slug)s” was taken", slug=term.slug)
    notes = () if created.slug == term.slug else (taken,)
    return Outcome(label, Result.IMPORTED, _("as “%(slug)s”", slug=created.slug), notes)


def _restore_subscriber(job: Job, item: SubscriberItem) -> Outcome:
    label = _subscriber_label(item)
    email = item.email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise ItemError(_("not an email address"))
    if db.session.scalar(select(Subscriber.id).where(Subscriber.email == email)) is not None:
        raise Skip(_("already subscribed"))
    state = _("confirmed") if item.confirmed_at else pgettext("subscriber", "pending")
    if job.dry_run:
        return Outcome(label, Result.WOULD_IMPORT, state)
    subscriber = Subscriber(email=email, confirmed_at=item.confirmed_at)
    if item.created_at is not None:
        subscriber.created_at = item.created_at
    db.session.add(subscriber)
    return Outcome(label, Result.IMPORTED, state)


def _restore_upload(job: Job, item: UploadItem) -> Outcome:
    label = _upload_label(item)
    path = f"uploads/{item.filename}"
    if db.session.scalar(select(Upload.id).where(Upload.filename == item.filename)) is not None:
        raise Skip(_("already here"))
    assert job.batch.files is not None
    if path not in job.batch.files.entries:
        raise ItemError(_("its file is not in the backup"))
    uploader = job.account(item.uploader)
    if job.dry_run:
        return Outcome(label, Result.WOULD_IMPORT)
    assert uploader is not None
    data = job.batch.files.read(path, limit=job.limits.image)
    target = job.upload_dir / item.filename
    existed = target.exists()  # a file left from before is not removed if this fails
    stored = keep_image(
        data, filename=item.filename, upload_dir=job.upload_dir, max_bytes=job.limits.image
    )
    if not existed:
        job.written.append(target)
    upload = Upload(
        filename=stored.filename,
        original_name=item.original_name[:255],
        content_type=stored.content_type,
        size=stored.size,
        width=stored.width,
        height=stored.height,
        uploader_id=uploader.id,
    )
    if item.created_at is not None:
        upload.created_at = item.created_at
    db.session.add(upload)
    return Outcome(label, Result.IMPORTED)
