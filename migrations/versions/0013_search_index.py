"""the search index: FTS5 on SQLite, a tsvector with a GIN index on PostgreSQL, filled with
every post

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 14:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # the statements live with the models (create_all runs them too); the index is filled
    # here, so search works at once on an upgraded blog
    from myblog.models.search import create_index_tables
    from myblog.services.search import rebuild

    connection = op.get_bind()
    create_index_tables(connection)
    rebuild(connection)


def downgrade():
    from myblog.models.search import drop_index_tables

    drop_index_tables(op.get_bind())
