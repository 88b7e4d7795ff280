"""myblog: a self-hosted Markdown blog and notebook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask


def create_app(
    config: str | None = None, overrides: dict[str, Any] | None = None, *, cli: bool = True
) -> Flask:
    """Build the application: config, extensions, blueprints, request hooks, errors, CLI
    (`cli=False`: no commands and no Flask-Migrate, for WSGI servers: myblog.wsgi). The parts
    are imported here so that importing one module (a model in a migration) builds no app."""
    from myblog import (
        commands,
        database,
        delivery,
        errors,
        i18n,
        pagecache,
        queries,
        security,
        templating,
    )
    from myblog.config import config_class
    from myblog.extensions import cache, csrf, limiter, login_manager
    from myblog.web import IdConverter

    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config_class(config).load(Path(app.instance_path)))
    app.config.from_mapping(overrides or {})

    # `<id:…>` in every route with a number in its path; registered before any route is added
    app.url_map.converters["id"] = IdConverter
    database.init_app(app)
    for extension in (login_manager, csrf, limiter, cache):
        extension.init_app(app)
    _register_blueprints(app)
    for part in (pagecache, security, i18n, templating, queries, errors, delivery):
        part.init_app(app)
    if cli:
        database.init_migrations(app)
        commands.init_app(app)
    if app.config["MYBLOG_AUTO_MIGRATE"]:
        database.upgrade_database(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from myblog.admin import bp as admin_bp
    from myblog.api import bp as api_bp
    from myblog.auth import bp as auth_bp
    from myblog.blog import bp as blog_bp
    from myblog.live import bp as live_bp
    from myblog.live import init_app as init_live

    app.register_blueprint(blog_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api")
    app.register_blueprint(live_bp, url_prefix="/live")
    init_live(app)
