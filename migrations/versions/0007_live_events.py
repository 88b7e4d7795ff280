"""live events: the log the live streams replay, and what each writer has seen of it

Revision ID: 0007
Revises: 0009
Create Date: 2026-11-30 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('live_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.Enum('comment', 'post', 'pending_comment', 'mail_failed', 'subscriber', name='eventkind', native_enum=False, length=16), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_events')),
    # ids never reused on SQLite either: a replay "after id N" must not meet a recycled N
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('live_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_live_events_user_id_id', ['user_id', 'id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notifications_seen_id', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('notifications_seen_id')

    with op.batch_alter_table('live_events', schema=None) as batch_op:
        batch_op.drop_index('ix_live_events_user_id_id')
        batch_op.drop_index(batch_op.f('ix_live_events_created_at'))

    op.drop_table('live_events')
