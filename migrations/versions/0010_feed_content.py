"""what the feeds carry of each post: the summary or the whole post

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-30 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_content', sa.Enum('summary', 'full', name='feedcontent', native_enum=False, length=16), nullable=False, server_default='summary'))


def downgrade():
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('feed_content')
