"""Moving a blog from SQLite to PostgreSQL with `flask export` and `flask import`: the archive
PostgreSQL gives back is the one SQLite wrote."""

from __future__ import annotations

import pytest
from porting_support import FIXTURES, entries, fill_blog, run

pytestmark = pytest.mark.postgres


def test_a_sqlite_blog_moves_to_postgresql_and_exports_the_same(app, make_pg_app, tmp_path):
    fill_blog(app)
    assert run(app, "import", str(FIXTURES / "wordpress.xml")).exit_code == 0
    assert run(app, "export", str(tmp_path / "sqlite.zip")).exit_code == 0
    target = make_pg_app(MYBLOG_UPLOAD_DIR=str(tmp_path / "pg-uploads"))
    assert run(target, "initdb").exit_code == 0
    restored = run(target, "import", str(tmp_path / "sqlite.zip"))
    assert restored.exit_code == 0, restored.output
    assert run(target, "export", str(tmp_path / "pg.zip")).exit_code == 0
    before, after = entries(tmp_path / "sqlite.zip"), entries(tmp_path / "pg.zip")
    assert [name for name in sorted(before) if before[name] != after.get(name)] == []
    assert sorted(before) == sorted(after)
