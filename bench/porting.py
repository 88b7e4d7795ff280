"""How long moving a blog out and back in takes: forge N posts, `export` them to a zip, import
the zip into an empty database, export that again (it must be the same zip), and import it a
second time (every item skipped).

    uv run python -m bench.porting --posts 500
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from flask import Flask

from myblog import create_app
from myblog.database import upgrade_database
from myblog.extensions import db
from myblog.fakes import forge_data
from myblog.services.accounts import setup_blog
from myblog.services.porting.exporter import export_entries, write_zip_file
from myblog.services.porting.importer import run_import
from myblog.services.porting.reading import read_path

T = TypeVar("T")


@contextmanager
def blog(folder: Path, name: str) -> Iterator[Flask]:
    """An app on a new, migrated SQLite database of its own, in an app context."""
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / name}.sqlite",
            "MYBLOG_UPLOAD_DIR": str(folder / f"{name}-uploads"),
        },
    )
    upgrade_database(app)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def timed(label: str, work: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = work()
    print(f"{label:<34} {time.perf_counter() - started:7.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with blog(folder, "source"):
            setup_blog(title="Bench", username="owner", email="o@example.com", password="x" * 12)
            forge_data(posts=args.posts, categories=10, tags=50, seed=1)
            first = folder / "first.zip"
            timed(f"export {args.posts} posts", lambda: write_zip_file(first, export_entries()))
        with blog(folder, "restored"):
            report = timed("import into an empty blog", lambda: run_import(read_path(first)))
            print(f"{'':<34} {report.summary()}")
            second = folder / "second.zip"
            timed("export the restored blog", lambda: write_zip_file(second, export_entries()))
            again = timed("import again (all skipped)", lambda: run_import(read_path(first)))
            print(f"{'':<34} {again.summary()}")
        same = first.read_bytes() == second.read_bytes()
        print(f"archives identical: {same}; {first.stat().st_size / 1e6:.1f} MB")
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
