"""Who is asking, and what every response tells the browser: logins, trusted proxies,
security headers."""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, Request, Response, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import lazy_gettext
from flask_login.config import COOKIE_NAME
from flask_login.utils import decode_cookie
from werkzeug.middleware.proxy_fix import ProxyFix

from myblog.extensions import db, limiter, login_manager
from myblog.models import User

IMG_SRC = "img-src 'self' data:"
_CSP_PARTS = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    IMG_SRC,
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]
CSP = "; ".join(_CSP_PARTS)


@lru_cache(maxsize=16)
def csp_with_image_hosts(hosts: tuple[str, ...]) -> str:
    """The CSP, with the owner's image hosts (validated CSP sources, see
    services/site.py:image_sources) added to img-src and nothing else changed."""
    if not hosts:
        return CSP
    return "; ".join(
        f"{IMG_SRC} {' '.join(hosts)}" if part == IMG_SRC else part for part in _CSP_PARTS
    )


# powerful browser features a blog never uses, denied to its pages and to anything they embed
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _anonymous_without_cookies() -> None:
    # No session cookie and no remember-me cookie: nobody can be logged in. Saying so up front
    # spares Flask-Login's session-protection check, which hashes the client's address and
    # user agent on every request that looks at current_user, before it finds the empty session.
    cookies = request.cookies
    config = current_app.config
    if (
        config["SESSION_COOKIE_NAME"] not in cookies
        and config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) not in cookies
    ):
        g._login_user = login_manager.anonymous_user()


def _security_headers(response: Response) -> Response:
    # one pass over the headers a view set (setdefault would scan them once per header)
    headers = response.headers
    present = {name.lower() for name in headers.keys()}  # noqa: SIM118 - Headers has no iterator of names
    site = g.get("site")  # the blog's cached settings (auth/views.py:load_site)
    if site is not None and site.image_hosts and "content-security-policy" not in present:
        headers.add("Content-Security-Policy", csp_with_image_hosts(site.image_hosts))
        present.add("content-security-policy")
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:
            headers.add(name, value)
    if request.is_secure and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", "max-age=31536000")
    return response


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus the signing set-up for requests without a session
    cookie (every anonymous reader): their session is empty whatever the keys are."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def _limits_checked_by_their_routes(app: Flask) -> None:
    """Drop Flask-Limiter's before-request hook: it looks for app-wide and default limits on
    every request (a tenth of a bare request's CPU), and myblog has none. Each limit of myblog
    is a decorator on its route (sign-in, resets, comments, subscriptions, search), and the
    decorator checks it itself."""
    if app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
        return
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)


def _load_user(user_id: str) -> User | None:
    # "<id>:<session token>" (User.get_id): once the user's token is replaced (logout, a new
    # password, "log out everywhere") the cookies that carry the old one sign nobody in
    uid, _, token = user_id.partition(":")
    if not (uid.isascii() and uid.isdigit()):
        return None
    user = db.session.get(User, int(uid))
    return user if user is not None and user.session_token_matches(token) else None


def _remember_cookie_signed_with_an_old_key() -> None:
    # Flask-Login checks the remember-me cookie with SECRET_KEY alone. After a key rotation a
    # cookie signed with a key in SECRET_KEY_FALLBACKS is taken here instead, and signed again
    # with the current key on the way out, so nobody is logged out by the rotation.
    cookie = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME))
    if not cookie or "_user_id" in session or session.get("_remember") == "clear":
        return
    if decode_cookie(cookie) is not None:
        return  # signed with the current key: Flask-Login handles it
    for key in current_app.config["SECRET_KEY_FALLBACKS"]:
        if (user_id := decode_cookie(cookie, key=key)) is not None:
            session.update(_user_id=user_id, _fresh=False, _remember="set")
            return


def _trust_proxies(app: Flask) -> None:
    """Behind MYBLOG_TRUSTED_PROXIES proxies, take the client's address and the scheme from
    the X-Forwarded-For and X-Forwarded-Proto headers they add (the Host header is passed on)."""
    hops = int(app.config["MYBLOG_TRUSTED_PROXIES"])
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0
        )


def _accept_old_secret_keys(app: Flask) -> None:
    """Keys in SECRET_KEY_FALLBACKS still verify sessions (Flask itself), CSRF tokens and
    remember-me cookies; everything new is signed with SECRET_KEY."""
    fallbacks = list(app.config["SECRET_KEY_FALLBACKS"])
    if not fallbacks:
        return
    # itsdangerous tries every key of a list and signs with the last one
    app.config.setdefault("WTF_CSRF_SECRET_KEY", [*fallbacks, app.config["SECRET_KEY"]])
    app.before_request(_remember_cookie_signed_with_an_old_key)


def init_app(app: Flask) -> None:
    """Set up logins (Flask-Login), trusted proxies, old secret keys and the headers every
    response carries."""
    _trust_proxies(app)
    app.session_interface = CookieSessions()
    _limits_checked_by_their_routes(app)
    app.before_request(_anonymous_without_cookies)
    _accept_old_secret_keys(app)
    app.after_request(_security_headers)
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    # flashed to a visitor sent to log in, in the page's language (str() translates it)
    login_manager.login_message = lazy_gettext("Please log in to access this page.")
    login_manager.localize_callback = str
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"
