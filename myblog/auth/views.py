"""Views of the accounts blueprint."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required, login_user, logout_user

from myblog.auth.blueprint import bp
from myblog.auth.forms import (
    AcceptInviteForm,
    LoginForm,
    LogoutForm,
    ResetPasswordForm,
    ResetRequestForm,
    SetupForm,
)
from myblog.extensions import limiter
from myblog.models import User
from myblog.services.accounts import (
    AccountError,
    accept_invitation,
    authenticate,
    confirm_email_change,
    end_sessions,
    login_key,
    owner_exists,
    read_invitation,
    request_password_reset,
    setup_blog,
)
from myblog.services.accounts import reset_password as reset_password_with_token
from myblog.services.redirects import is_safe_next
from myblog.services.site import get_site
from myblog.services.tokens import TokenError

# endpoints that must work before the owner exists (health: without the site's settings, too;
# the language switcher, so the first-run page can be read in Chinese)
SETUP_OPEN_ENDPOINTS = {"static", "auth.setup", "api.health", "blog.set_language"}


@bp.before_app_request
def load_site() -> ResponseReturnValue | None:
    """Every request knows the blog's settings (g.site); until the first-run setup, pages
    send the visitor to it (the API answers 503 by itself)."""
    if request.endpoint in SETUP_OPEN_ENDPOINTS:
        return None
    g.site = get_site()
    if g.site is None and request.blueprint != "api":
        return redirect(url_for("auth.setup"))
    return None


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> ResponseReturnValue:
    """First-run page: creates the owner and the blog; gone once that is done."""
    if owner_exists():
        abort(404)
    form = SetupForm()
    if form.validate_on_submit() and (owner := _set_up(form)):
        login_user(owner)
        flash(_("Your blog is ready. Write your first post!"), "success")
        return redirect(url_for("admin.new_post"))
    return render_template("auth/setup.html", form=form)


def _set_up(form: SetupForm) -> User | None:
    try:
        return setup_blog(
            title=form.title.data or "",
            username=form.username.data or "",
            email=form.email.data or "",
            password=form.password.data or "",
        )
    except AccountError as exc:
        form.username.errors = [*form.username.errors, str(exc)]
        return None


def _login_limit() -> str:
    return str(current_app.config["MYBLOG_LOGIN_LIMIT"])


def _account_limit() -> str:
    return str(current_app.config["MYBLOG_LOGIN_ACCOUNT_LIMIT"])


def _named_account() -> str:
    """The per-account limit's key: the name the attempt gave, whether an account has it or not."""
    return login_key(request.form.get("login", ""))


def _sign_in_failed(response: Response) -> bool:
    return response.status_code == 401


ACCOUNT_LIMITED = lazy_gettext(
    "Too many failed sign-ins with this username or email: please wait a while and try again."
)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(
    _account_limit,
    key_func=_named_account,
    methods=["POST"],
    deduct_when=_sign_in_failed,  # counts failures only: signing in often costs nothing
    error_message=ACCOUNT_LIMITED,
)
def login() -> ResponseReturnValue:
    """Log in with username or email and password."""
    target = request.values.get("next")
    next_url = target if is_safe_next(target) else None
    if current_user.is_authenticated:
        return redirect(next_url or url_for("admin.dashboard"))
    form = LoginForm(next=next_url or "")
    if form.validate_on_submit():
        user = authenticate(login=form.login.data or "", password=form.password.data or "")
        if user is not None:
            login_user(user, remember=bool(form.remember.data))
            flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
            return redirect(next_url or url_for("admin.dashboard"))
        form.password.errors = [*form.password.errors, _("Wrong username/email or password.")]
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    """Log out (POST only, with a CSRF token), ending this account's sessions on every device."""
    if not LogoutForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    logout_user()
    end_sessions(user)  # a copy of this session's cookies stops working too
    flash(_("You have logged out."), "info")
    return redirect(url_for("blog.index"))


def _reset_limit() -> str:
    return str(current_app.config["MYBLOG_RESET_LIMIT"])


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def request_reset() -> ResponseReturnValue:
    """Ask for a password reset link by email."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        request_password_reset(email=form.email.data or "")
        # the same answer whether or not the address has an account
        flash(_("If that address belongs to an account, a reset link is on its way."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/request_reset.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    """Choose a new password from a reset link."""
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            reset_password_with_token(token=token, password=form.password.data or "")
        except (TokenError, AccountError) as exc:
            flash(str(exc), "danger")
            return render_template("auth/reset_password.html", form=form), 400
        flash(_("Your password is changed. Log in with the new one."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/confirm-email/<token>")
@login_required
def confirm_email(token: str) -> ResponseReturnValue:
    """Open the link mailed to a new address to make it the account's email."""
    try:
        confirm_email_change(token=token)
    except (TokenError, AccountError) as exc:
        flash(str(exc), "danger")
        return render_template("auth/link_problem.html"), 400
    flash(_("Your email address is changed."), "success")
    return redirect(url_for("admin.edit_account"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str) -> ResponseReturnValue:
    """Create an account from an invitation mailed by the owner or an admin."""
    try:
        email, role = read_invitation(token)
    except TokenError as exc:
        flash(str(exc), "danger")
        return render_template("auth/link_problem.html"), 400
    form = AcceptInviteForm()
    if form.validate_on_submit() and (user := _accept(token, form)):
        login_user(user)
        flash(_("Welcome, %(name)s! Write your first post.", name=user.display_name), "success")
        return redirect(url_for("admin.new_post"))
    return render_template("auth/accept_invite.html", form=form, email=email, role=role.value)


def _accept(token: str, form: AcceptInviteForm) -> User | None:
    try:
        return accept_invitation(
            token=token, username=form.username.data or "", password=form.password.data or ""
        )
    except (TokenError, AccountError) as exc:
        form.username.errors = [*form.username.errors, str(exc)]
        return None
