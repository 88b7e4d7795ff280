"""WSGI entry point for gunicorn and friends: `gunicorn 'myblog.wsgi:app'`.

The served app leaves out the flask commands and Flask-Migrate (Alembic), which a web worker
never uses; run `flask db upgrade` once per deploy instead.
"""

from myblog import create_app

app = create_app(cli=False)
