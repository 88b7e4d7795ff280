"""flask commands: initdb, create-admin, forge, render-posts, search-reindex, publish-due,
mail-worker, rq-worker, import, export, translate; shell."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from myblog import i18n, models
from myblog.database import upgrade_database
from myblog.delivery import passes, rq_sender, thread_sender
from myblog.delivery.rq_worker import run_worker
from myblog.delivery.stopping import stop_on_signals
from myblog.extensions import db
from myblog.models import Post, Role
from myblog.services import search
from myblog.services.accounts import AccountError, add_user, owner_exists, setup_blog
from myblog.services.porting.exporter import (
    export_entries,
    export_size,
    write_folder,
    write_zip_file,
)
from myblog.services.porting.importer import run_import
from myblog.services.porting.items import SourceError
from myblog.services.porting.people import find_account
from myblog.services.porting.reading import read_path
from myblog.services.posts import promote_due_posts, rerender_all

T = TypeVar("T")


@click.command("initdb")
@click.option("--drop", is_flag=True, help="Drop every table first (all data is lost).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation before --drop.")
@with_appcontext
def initdb(drop: bool, yes: bool) -> None:
    """Create the database tables by running the migrations (optionally dropping all first)."""
    if drop:
        if not yes:
            click.confirm("This deletes every post, user and setting. Continue?", abort=True)
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        click.echo("Dropped all tables.")
    upgrade_database(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo("Database is ready.")


@click.command("create-admin")
@click.option("--username", prompt=True, help="Login name.")
@click.option("--email", prompt=True, help="Email address.")
@click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Password."
)
@click.option("--title", default="My Blog", show_default=True, help="Blog title on first setup.")
@with_appcontext
def create_admin(username: str, email: str, password: str, title: str) -> None:
    """Create the owner account (first run) or another admin; scriptable for deploys."""

    try:
        if owner_exists():
            add_user(username=username, email=email, password=password, role=Role.ADMIN)
            click.echo(f"Created admin {username}.")
        else:
            setup_blog(title=title, username=username, email=email, password=password)
            click.echo(f"Created owner {username} and the blog “{title}”.")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("forge")
@click.option("--posts", default=50, show_default=True, type=click.IntRange(0, 1_000_000))
@click.option("--categories", default=8, show_default=True, type=click.IntRange(1, 1000))
@click.option("--tags", default=30, show_default=True, type=click.IntRange(0, 10_000))
@click.option("--seed", default=None, type=int, help="Same seed, same data.")
@with_appcontext
def forge(posts: int, categories: int, tags: int, seed: int | None) -> None:
    """Fill the blog with realistic fake posts in Chinese and English."""
    from myblog.fakes import forge_data  # here, so other commands never load Faker

    with click.progressbar(length=posts, label="Forging posts") as bar:
        result = forge_data(
            posts=posts, categories=categories, tags=tags, seed=seed, progress=bar.update
        )
    click.echo(f"Forged {result.posts} posts, {result.categories} categories, {result.tags} tags.")


@click.command("render-posts")
@with_appcontext
def render_posts() -> None:
    """Re-render every post's HTML from its Markdown (after a renderer change)."""
    total = db.session.scalar(select(func.count(Post.id))) or 0
    with click.progressbar(length=total, label="Rendering posts") as bar:
        count = rerender_all(progress=bar.update)
    click.echo(f"Rendered {count} posts.")


@click.command("search-reindex")
@with_appcontext
def search_reindex() -> None:
    """Rebuild the search index from every post, in one transaction (searches meanwhile see
    the old index)."""
    with click.progressbar(length=search.indexable_count(), label="Indexing posts") as bar:
        count = search.reindex_all(progress=bar.update)
    click.echo(f"Indexed {count} posts.")


@click.command("publish-due")
@with_appcontext
def publish_due() -> None:
    """Publish scheduled posts whose time has come."""
    posts = promote_due_posts()
    click.echo(f"Published {len(posts)} scheduled posts.")


@click.command("mail-worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (for cron).")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Seconds between passes (default: MYBLOG_MAIL_INTERVAL).",
)
@with_appcontext
def mail_worker(once: bool, interval: float | None) -> None:
    """Deliver queued mail in the foreground until stopped (or once with --once); SIGTERM and
    Ctrl+C stop it after the message in flight."""
    if once:
        report = passes.periodic_pass()
        click.echo(
            f"Sent {len(report.sent)}, {len(report.retrying)} to retry, "
            f"{len(report.failed)} failed."
        )
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread_sender.stop_background_sender(app)  # this process is the sender now
    seconds = interval if interval is not None else app.config["MYBLOG_MAIL_INTERVAL"]
    click.echo(f"Delivering mail every {seconds} s; Ctrl+C to stop.")
    # SIGTERM or Ctrl+C: the message in flight goes out, the rest of the batch is given back
    with contextlib.suppress(KeyboardInterrupt), stop_on_signals(threading.Event()) as stop:
        thread_sender.run_sender_loop(app, interval=seconds, stop=stop)
    click.echo("Stopped.")


@click.command("rq-worker")
@click.option("--burst", is_flag=True, help="Run one pass and the jobs queued now, then exit.")
@with_appcontext
def rq_worker(burst: bool) -> None:
    """Deliver mail as an RQ worker on the REDIS_URL queue (for MYBLOG_MAIL_SENDER=rq).

    Run one or more beside the web nodes. A commit that queues mail wakes a worker at once,
    and every MYBLOG_MAIL_INTERVAL seconds one of the workers runs a pass for retries and
    scheduled posts. While Redis is down the worker waits for it, delivering from the database
    meanwhile. SIGTERM or Ctrl+C stops after the current job.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set; without Redis, use `flask mail-worker`.")
    from redis import RedisError  # here, so other commands never load redis

    mail_queue = rq_sender.get_mail_queue(app)
    click.echo(f"Delivering mail from the RQ queue {mail_queue.name!r}; Ctrl+C to stop.")
    try:
        run_worker(app, burst=burst)
    except RedisError as exc:
        raise click.ClickException(f"Redis is unreachable: {exc}") from exc


@click.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what would happen; change nothing.")
@click.option("--author", default=None, help="Username that writes what names no account here.")
@click.pass_context
@with_appcontext
def import_command(ctx: click.Context, path: Path, dry_run: bool, author: str | None) -> None:
    """Import PATH: a folder or zip of Markdown files (a Hugo or Jekyll site too), a WordPress
    export (.xml), a Ghost export (.json) or a `flask export` backup. Importing it again creates
    nothing twice; each item is reported, and the command exits with 1 if any failed."""
    writer = find_account(author) if author else None
    if author and writer is None:
        raise click.ClickException(f"There is no account “{author}”.")
    try:
        batch = read_path(path)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from exc
    with click.progressbar(length=batch.size, label=f"Importing {batch.kind}") as bar:
        report = run_import(batch, author=writer, dry_run=dry_run, progress=bar.update)
    for line in report.lines():
        click.echo(line)
    if report.failed:
        ctx.exit(1)


def _counted(items: Iterator[T], tick: Callable[[int], None]) -> Iterator[T]:
    for item in items:
        yield item
        tick(1)


@click.command("export")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--with-secrets", is_flag=True, help="Include password hashes (keep it private!).")
@with_appcontext
def export_command(path: Path, with_secrets: bool) -> None:
    """Write the whole blog to PATH, a .zip file (replaced whole) or a new or empty folder:
    posts and the About page as Markdown, comments, accounts, subscribers, settings, uploads.
    `flask import PATH` into an empty blog restores it."""
    zipped = path.suffix.lower() == ".zip"
    if zipped and path.is_dir():
        raise click.ClickException(f"{path} is a folder: give a .zip file or a new folder.")
    if not zipped and (path.is_file() or path.is_dir() and any(path.iterdir())):
        raise click.ClickException(f"{path} is not a new or empty folder (or a .zip file).")
    with click.progressbar(length=export_size(), label="Exporting") as bar:
        entries = _counted(export_entries(with_secrets=with_secrets), bar.update)
        count = write_zip_file(path, entries) if zipped else write_folder(path, entries)
    click.echo(f"Wrote {count} files to {path}.")


def shell_context() -> dict[str, Any]:
    """Names available in `flask shell`."""
    return {"db": db, **{name: getattr(models, name) for name in models.__all__}}


@click.group()
def translate() -> None:
    """The interface's message catalogs (myblog/translations): extract, update, compile."""


@translate.command("extract")
def translate_extract() -> None:
    """Write messages.pot from the code and the templates."""
    i18n.extract_messages()
    click.echo(f"Wrote {i18n.POT}")


@translate.command("update")
def translate_update() -> None:
    """Extract, then merge the new messages into every language's messages.po."""
    i18n.extract_messages()
    i18n.update_catalogs()
    click.echo(
        "Updated the catalogs: translate the empty messages, then run `flask translate compile`."
    )


@translate.command("compile")
@click.option("--force", is_flag=True, help="Build every catalog, even those up to date.")
def translate_compile(force: bool) -> None:
    """Build each messages.mo from its messages.po (also done when the app starts)."""
    built = i18n.compile_catalogs(force=force)
    click.echo(f"Built {len(built)} catalog(s).")


def init_app(app: Flask) -> None:
    """Register the commands and the shell context."""
    for command in (
        initdb,
        create_admin,
        forge,
        render_posts,
        search_reindex,
        publish_due,
        mail_worker,
        rq_worker,
        import_command,
        export_command,
        translate,
    ):
        app.cli.add_command(command)
    app.shell_context_processor(shell_context)
