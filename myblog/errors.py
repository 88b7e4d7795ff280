"""Error handlers: an HTML page for people, a JSON body for the API."""

from __future__ import annotations

from typing import cast

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import (
    BadRequest,
    Conflict,
    HTTPException,
    InternalServerError,
    NotFound,
)

from myblog.extensions import db
from myblog.queries.listings import PageNotFound
from myblog.web import IdOutOfRange

ERROR_PAGES = {400, 403, 404, 405, 409, 413, 429, 500}
MESSAGES = {
    400: "The request could not be understood.",
    403: "You are not allowed to do that.",
    404: "There is nothing at this address.",
    405: "This address does not accept that kind of request.",
    409: "Someone else changed or deleted this meanwhile: reload the page and try again.",
    413: "The file is too large.",
    429: "Too many requests: please wait a moment and try again.",
    500: "Something went wrong on our side. It has been logged.",
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
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def error_response(error: HTTPException) -> tuple[Response | str, int]:
    """Render an HTTP error the way the client wants it."""
    code = error.code or 500
    message = MESSAGES.get(code, error.description or "Error")
    custom = bool(error.description) and error.description != type(error).description
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if isinstance(error, RateLimitExceeded) and not error.limit.error_message:
        # the bare description is just the limit ("3 per 1 minute"): say what it means too
        message = f"{MESSAGES[429]} (Limit: {error.description}.)"
    elif code in (400, 413, 429) and custom:
        message = str(error.description)
    elif code == 413 and limit:
        message = f"The upload is too large: the limit is {_size(limit)}."
    if wants_json():
        response = jsonify(error={"code": code, "name": error.name, "message": message})
        return response, code
    template = f"errors/{code}.html" if code in ERROR_PAGES else "errors/generic.html"
    return render_template(template, code=code, name=error.name, message=message), code


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


def _handle_unexpected(error: InternalServerError) -> tuple[Response | str, int]:
    # Flask logs the original exception before calling this; the visitor sees no traceback.
    db.session.rollback()
    return error_response(InternalServerError())


def _handle_stale_data(error: StaleDataError) -> Response | HTTPException:
    # two requests raced: the row this one was updating was deleted (or changed) by the other
    current_app.logger.warning("%s %s: %s", request.method, request.path, error)
    db.session.rollback()
    return _handle_http(Conflict())


def _handle_page_not_found(error: PageNotFound) -> Response | HTTPException:
    # a ?page= past the end of any listing, on a page or in the API
    return _handle_http(NotFound())


def _handle_id_out_of_range(error: IdOutOfRange) -> Response | HTTPException:
    # a number in the address that no row can have: nothing here on a page; on the API, where
    # the caller is a program, a request it should not have made
    if request.path.startswith("/api/"):
        return _handle_http(BadRequest(description="The id in the address is out of range."))
    return _handle_http(NotFound())


def init_app(app: Flask) -> None:
    """Register the handlers on the app."""
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(PageNotFound, _handle_page_not_found)
    app.register_error_handler(IdOutOfRange, _handle_id_out_of_range)
    app.register_error_handler(StaleDataError, _handle_stale_data)
    app.register_error_handler(InternalServerError, _handle_unexpected)
