"""Error handlers: an HTML page for people, a JSON body for the API; a 503 with Retry-After
when the database cannot be reached, rendered without touching it."""

from __future__ import annotations

from contextlib import suppress
from typing import cast

from flask import (
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    make_response,
    render_template,
    request,
)
from flask_babel import format_decimal, lazy_gettext, ngettext
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import (
    BadRequest,
    Conflict,
    HTTPException,
    InternalServerError,
    NotFound,
    ServiceUnavailable,
)

from myblog.database import unreachable
from myblog.extensions import db, login_manager
from myblog.queries.listings import PageNotFound
from myblog.web import IdOutOfRange

# seconds a client (or a load balancer) is asked to wait after a 503
RETRY_AFTER = 30
ERROR_PAGES = {400, 403, 404, 405, 409, 413, 429, 500, 503}
MESSAGES = {
    400: lazy_gettext("The request could not be understood."),
    403: lazy_gettext("You are not allowed to do that."),
    404: lazy_gettext("There is nothing at this address."),
    405: lazy_gettext("This address does not accept that kind of request."),
    409: lazy_gettext(
        "Someone else changed or deleted this meanwhile: reload the page and try again."
    ),
    413: lazy_gettext("The file is too large."),
    429: lazy_gettext("Too many requests: please wait a moment and try again."),
    500: lazy_gettext("Something went wrong on our side. It has been logged."),
    503: lazy_gettext("The blog cannot reach its database just now: please try again in a moment."),
}
# the pages' titles (JSON bodies keep werkzeug's English names, which programs may match)
NAMES = {
    400: lazy_gettext("Bad Request"),
    403: lazy_gettext("Forbidden"),
    404: lazy_gettext("Not Found"),
    405: lazy_gettext("Method Not Allowed"),
    409: lazy_gettext("Conflict"),
    413: lazy_gettext("Request Entity Too Large"),
    429: lazy_gettext("Too Many Requests"),
    500: lazy_gettext("Internal Server Error"),
    503: lazy_gettext("Service Unavailable"),
}


def wants_json() -> bool:
    """API paths always get JSON; so do clients that ask only for it."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes["text/html"]


def _size(n: int) -> str:
    for unit, size in (("MB", 1_048_576), ("KB", 1024)):
        if n >= size:
            return f"{format_decimal(n / size, '#,##0.0')} {unit}"
    return ngettext("%(num)s byte", "%(num)s bytes", n)


def error_response(error: HTTPException) -> tuple[Response | str, int]:
    """Render an HTTP error the way the client wants it."""
    code = error.code or 500
    message = str(MESSAGES.get(code, error.description or _("Error")))
    custom = bool(error.description) and error.description != type(error).description
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if isinstance(error, RateLimitExceeded) and not error.limit.error_message:
        # the bare description is just the limit ("3 per 1 minute"): say what it means too
        message = _(
            "%(message)s (Limit: %(limit)s.)", message=MESSAGES[429], limit=error.description
        )
    elif code in (400, 413, 429) and custom:
        message = str(error.description)
    elif code == 413 and limit:
        message = _("The upload is too large: the limit is %(size)s.", size=_size(limit))
    if wants_json():
        response = jsonify(error={"code": code, "name": error.name, "message": message})
        return response, code
    _load_user_or_anonymous()
    template = f"errors/{code}.html" if code in ERROR_PAGES else "errors/generic.html"
    name = str(NAMES.get(code, error.name))
    return render_template(template, code=code, name=name, message=message), code


def _handle_http(error: HTTPException) -> Response | HTTPException:
    if error.code is not None and error.code < 400:
        return error  # redirects raised as exceptions (e.g. by routing) pass through
    if error.response is not None:
        return cast(
            Response, error.response
        )  # a view prepared its own page (e.g. a comment kept on a 429)
    response = make_response(*error_response(error))
    # HTML pages too keep the error's own headers (Allow on a 405, WWW-Authenticate on a 401)
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def _without_database() -> None:
    """Let the error page render with the database broken: give up the transaction (whatever
    the rollback meets), and when the user has not been loaded yet, render for an anonymous
    visitor, since Flask-Login's loader is a query (the 500 and 503 pages do not show the
    user anyway)."""
    with suppress(SQLAlchemyError):
        db.session.rollback()
    if "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()


def _where() -> tuple[str, str]:
    return request.method, request.path


def _first_line(error: BaseException) -> str:
    # the driver's message without SQLAlchemy's SQL and parameters: one line per request
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _load_user_or_anonymous() -> None:
    """Load the signed-in user for the page's menu now, where a database that cannot answer
    can be caught: then the page is rendered for an anonymous visitor instead of failing again
    inside the error handler."""
    if "_login_user" in g:
        return
    try:
        current_user._get_current_object()  # runs Flask-Login's loader: a query
    except SQLAlchemyError as exc:
        if not unreachable(exc):
            raise
        current_app.logger.warning("%s %s: database unreachable: %s", *_where(), _first_line(exc))
        _without_database()


def _unavailable(error: BaseException) -> Response:
    """The 503 for a database that cannot answer: a page, or JSON on the API, with
    Retry-After; one line in the log, not a traceback per request during an outage."""
    current_app.logger.warning("%s %s: database unreachable: %s", *_where(), _first_line(error))
    _without_database()
    response = make_response(*error_response(ServiceUnavailable()))
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def _handle_database_error(error: DBAPIError | PoolTimeout) -> Response:
    if not unreachable(error):
        raise error  # a bug, not an outage: Flask logs it and the 500 handler answers
    return _unavailable(error)


def _handle_unexpected(error: InternalServerError) -> tuple[Response | str, int] | Response:
    # Flask logs the original exception before calling this; the visitor sees no traceback.
    # An outage can land here too: raised while an error page was being rendered.
    if error.original_exception is not None and unreachable(error.original_exception):
        return _unavailable(error.original_exception)
    _without_database()
    return error_response(InternalServerError())


def _handle_stale_data(error: StaleDataError) -> Response | HTTPException:
    # two requests raced: the row this one was updating was deleted (or changed) by the other
    current_app.logger.warning("%s %s: %s", *_where(), error)
    db.session.rollback()
    return _handle_http(Conflict())


def _handle_page_not_found(error: PageNotFound) -> Response | HTTPException:
    # a ?page= past the end of any listing, on a page or in the API
    return _handle_http(NotFound())


def _handle_id_out_of_range(error: IdOutOfRange) -> Response | HTTPException:
    # a number in the address that no row can have: nothing here on a page; on the API, where
    # the caller is a program, a request it should not have made
    if request.path.startswith("/api/"):
        return _handle_http(BadRequest(description=_("The id in the address is out of range.")))
    return _handle_http(NotFound())


def init_app(app: Flask) -> None:
    """Register the handlers on the app."""
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(PageNotFound, _handle_page_not_found)
    app.register_error_handler(IdOutOfRange, _handle_id_out_of_range)
    app.register_error_handler(StaleDataError, _handle_stale_data)
    app.register_error_handler(DBAPIError, _handle_database_error)
    app.register_error_handler(PoolTimeout, _handle_database_error)
    app.register_error_handler(InternalServerError, _handle_unexpected)
