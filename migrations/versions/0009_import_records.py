"""where each imported item came from, so an import never runs twice

Revision ID: 0009
Revises: 0010
Create Date: 2026-11-30 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_records')),
    sa.UniqueConstraint('source', 'kind', 'external_id', name=op.f('uq_import_records_source'))
    )


def downgrade():
    op.drop_table('import_records')
