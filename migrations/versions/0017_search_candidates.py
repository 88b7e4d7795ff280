"""search on PostgreSQL: the title and tags in a tsvector of their own, the plain text in a
table of its own, and the function that finds the newest candidates through the GIN indexes;
the index rebuilt

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 14:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    if connection.dialect.name == 'sqlite':
        return  # the FTS5 table is unchanged
    from myblog.models.search import create_index_tables, drop_index_tables
    from myblog.services.search import rebuild

    drop_index_tables(connection)
    create_index_tables(connection)
    rebuild(connection)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        return
    # back to 0013's shape, refilled by the code of that time (`flask search-reindex`)
    from myblog.models.search import drop_index_tables

    drop_index_tables(op.get_bind())
    op.execute(
        'CREATE TABLE post_search (post_id INTEGER PRIMARY KEY REFERENCES posts (id) '
        'ON DELETE CASCADE, document TSVECTOR NOT NULL, plain TEXT NOT NULL)'
    )
    op.execute('CREATE INDEX ix_post_search_document ON post_search USING gin (document)')
