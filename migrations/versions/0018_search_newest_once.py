"""search on PostgreSQL: post_search_newest reads each row of its window once and always
through the GIN index

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 15:15:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# 0017's function, for the way back
PREVIOUS = (
    "CREATE OR REPLACE FUNCTION post_search_newest("
    "query tsquery, heading boolean, n integer, top integer) "
    "RETURNS SETOF integer LANGUAGE plpgsql STABLE SET enable_seqscan = off "
    "SET enable_indexscan = off ROWS 100 AS $$ "
    "DECLARE span integer := greatest(n, 1) * 2; found integer; "
    "matching text := CASE WHEN heading THEN 'heading @@ $1' ELSE 'document @@ $1' END; "
    "BEGIN IF top IS NULL THEN RETURN; END IF; "
    "LOOP EXECUTE 'SELECT count(*) FROM post_search WHERE ' || matching || ' AND post_id > $2' "
    "INTO found USING query, top - span; "
    "EXIT WHEN found >= n OR top - span <= 0; span := span * 4; END LOOP; "
    "RETURN QUERY EXECUTE 'SELECT post_id FROM post_search WHERE ' || matching || "
    "' AND post_id > $2 ORDER BY post_id DESC LIMIT $3' USING query, top - span, n; END $$"
)


def upgrade():
    connection = op.get_bind()
    if connection.dialect.name == 'sqlite':
        return  # the FTS5 table is unchanged
    from myblog.models.search import POSTGRES_CREATE

    # the tables and indexes are unchanged: only the function is replaced
    for sql in POSTGRES_CREATE:
        if sql.startswith('CREATE OR REPLACE FUNCTION'):
            connection.exec_driver_sql(sql)


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name == 'sqlite':
        return
    connection.exec_driver_sql(PREVIOUS)
