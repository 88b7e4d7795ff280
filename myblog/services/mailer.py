"""Templated mail: render a message in the blog's language and put it in the outbox."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from myblog.models import OutboxEmail
from myblog.services.outbox import enqueue


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def _template_names(name: str, extension: str, language: str) -> list[str]:
    # the blog's language first, English (email/<name>.<ext>) when there is no translation
    names = [f"email/{name}.{extension}"]
    if language and language != "en":
        names.insert(0, f"email/{language}/{name}.{extension}")
    return names


def site_language() -> str:
    """The language the blog writes its mail in (an owner setting)."""
    from myblog.services.site import get_site

    site = get_site()
    return site.language if site is not None else "en"


def render_mail(name: str, *, language: str | None = None, **context: object) -> RenderedMail:
    """Render email/[<language>/]<name>.txt and .html; the subject is the text part's
    `{% set subject %}…{% endset %}`, so it is translated with the body.

    Only `context` reaches the templates (no request context processors): mail is also
    rendered by background passes outside any request, so links come in ready-made.
    """
    env = current_app.jinja_env
    language = language or site_language()
    context["language"] = language
    text_module = env.select_template(_template_names(name, "txt", language)).make_module(context)
    html = env.select_template(_template_names(name, "html", language)).render(context)
    subject = " ".join(str(getattr(text_module, "subject", "")).split())
    if not subject:
        raise ValueError(f"email/{name}.txt sets no subject")
    return RenderedMail(subject=subject, text=str(text_module).strip() + "\n", html=html)


def queue_mail(
    name: str,
    *,
    to: str,
    language: str | None = None,
    headers: dict[str, str] | None = None,
    **context: object,
) -> OutboxEmail:
    """Render a templated message and add it to the outbox in the caller's transaction."""
    mail = render_mail(name, language=language, **context)
    return enqueue(
        to=to, subject=mail.subject, text_body=mail.text, html_body=mail.html, headers=headers
    )
