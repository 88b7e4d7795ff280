"""Subscription views: subscribe (double opt-in), confirm, unsubscribe (also RFC 8058 one-click)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import SubmitField

from myblog.account_fields import email_field
from myblog.blog.blueprint import bp
from myblog.extensions import csrf, limiter
from myblog.services import subscriptions
from myblog.services.subscriptions import (
    ConfirmOutcome,
    SubscriptionError,
    UnsubscribeOutcome,
)
from myblog.services.tokens import TokenError


class SubscribeForm(FlaskForm):
    email = email_field()
    submit = SubmitField(lazy_gettext("Subscribe"))


# the same answer for new, pending and confirmed addresses
THANKS = lazy_gettext(
    "Thank you! Unless this address is subscribed already, a message is on its way to it: "
    "open the link in it to confirm."
)


def _subscribe_limit() -> str:
    return str(current_app.config["MYBLOG_SUBSCRIBE_LIMIT"])


@bp.route("/subscribe", methods=["GET", "POST"])
@limiter.limit(_subscribe_limit, methods=["POST"])
def subscribe() -> ResponseReturnValue:
    """Ask for new posts by email; a confirmation link is mailed first."""
    form = SubscribeForm()
    if form.validate_on_submit():
        try:
            subscriptions.subscribe(form.email.data or "")
        except SubscriptionError as exc:
            form.email.errors = [*form.email.errors, str(exc)]
        else:
            flash(str(THANKS), "success")
            return redirect(url_for("blog.subscribe"))
    status = 400 if form.is_submitted() else 200
    return render_template("blog/subscribe.html", form=form), status


def _link_problem(error: TokenError, *, unsubscribing: bool = False) -> ResponseReturnValue:
    page = render_template(
        "blog/subscribe_result.html",
        heading=_("This link does not work"),
        message=str(error),
        problem=True,
        unsubscribing=unsubscribing,
    )
    return page, 400


@bp.route("/subscribe/confirm/<token>")
def confirm_subscription(token: str) -> ResponseReturnValue:
    """The link in the confirmation mail."""
    try:
        result = subscriptions.confirm(token)
    except TokenError as exc:
        return _link_problem(exc)
    if result.outcome is ConfirmOutcome.ALREADY_CONFIRMED:
        heading = _("Already confirmed")
        message = _("%(email)s is already subscribed.", email=result.email)
    else:
        heading = _("Subscription confirmed")
        message = _("New posts will be mailed to %(email)s.", email=result.email)
    return render_template("blog/subscribe_result.html", heading=heading, message=message)


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str) -> ResponseReturnValue:
    """The link in every new-post mail: asks before unsubscribing (a GET changes nothing)."""
    try:
        result = subscriptions.read_unsubscribe(token)
    except TokenError as exc:
        return _link_problem(exc, unsubscribing=True)
    return render_template(
        "blog/unsubscribe.html",
        email=result.email,
        subscribed=result.outcome is UnsubscribeOutcome.REMOVED,
        token=token,
    )


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # the signed token authorises it; mail clients' one-click POST has no session
def unsubscribe(token: str) -> ResponseReturnValue:
    """Unsubscribe: the button on the page above, or a mail client's RFC 8058 one-click POST."""
    try:
        result = subscriptions.unsubscribe(token)
    except TokenError as exc:
        return _link_problem(exc, unsubscribing=True)
    if result.outcome is UnsubscribeOutcome.REMOVED:
        heading = _("Unsubscribed")
        message = _("%(email)s will get no more mail about new posts.", email=result.email)
    else:
        heading = _("Not subscribed")
        message = _(
            "%(email)s is not subscribed (any more): there is nothing to undo.", email=result.email
        )
    return render_template("blog/unsubscribe_done.html", heading=heading, message=message)
