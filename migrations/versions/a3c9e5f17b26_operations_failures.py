"""Operations failures: failing timers retried then parked, and the failures administrators see

Revision ID: a3c9e5f17b26
Revises: b7e3d1a90c42
Create Date: 2026-12-04 20:30:00

"""
from alembic import op
import sqlalchemy as sa

import models.base  # noqa: F401  (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'a3c9e5f17b26'
down_revision = 'b7e3d1a90c42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('parked', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
    op.create_table(
        'operation_failure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('process_key', sa.String(length=120), nullable=True),
        sa.Column('version', sa.Integer(), nullable=True),
        sa.Column('element_id', sa.String(length=120), nullable=True),
        sa.Column('element_name', sa.String(length=300), nullable=True),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('resolved_at', models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('resolved_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['resolved_by_id'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_operation_failure_status', 'operation_failure', ['status', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_operation_failure_status', table_name='operation_failure')
    op.drop_table('operation_failure')
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.drop_column('last_error')
        batch_op.drop_column('parked')
        batch_op.drop_column('attempts')
