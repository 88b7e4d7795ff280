"""Who is asking, and what every response tells the browser: logins, security headers."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request
from flask_login.config import COOKIE_NAME

from myblog.extensions import db, login_manager
from myblog.models import User

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
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
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _load_user(user_id: str) -> User | None:
    if not (user_id.isascii() and user_id.isdigit()):
        return None
    return db.session.get(User, int(user_id))


def init_app(app: Flask) -> None:
    """Set up logins (Flask-Login) and the headers every response carries."""
    app.before_request(_anonymous_without_cookies)
    app.after_request(_security_headers)
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"
