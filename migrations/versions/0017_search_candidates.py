"""search on PostgreSQL: the title and tags in a tsvector of their own, and the function that
finds the newest candidates through the GIN indexes; the index rebuilt

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
    op.execute('DROP FUNCTION IF EXISTS post_search_newest(tsquery, boolean, integer)')
    op.execute('DROP INDEX IF EXISTS ix_post_search_heading')
    op.execute('ALTER TABLE post_search DROP COLUMN IF EXISTS heading')
