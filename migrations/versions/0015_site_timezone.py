"""the blog's time zone; the default language as a Babel locale ('zh' becomes 'zh_CN')

Revision ID: 0015
Revises: 0012
Create Date: 2026-11-30 13:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('timezone', sa.String(length=64), nullable=False, server_default='UTC')
        )
    op.execute("UPDATE site SET language = 'zh_CN' WHERE language = 'zh'")


def downgrade():
    op.execute("UPDATE site SET language = 'zh' WHERE language = 'zh_CN'")
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('timezone')
