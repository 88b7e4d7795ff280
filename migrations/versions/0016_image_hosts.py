"""hosts whose images posts may show, and copying remote images by default

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_hosts', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('copy_remote_images', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('copy_remote_images')
        batch_op.drop_column('image_hosts')
