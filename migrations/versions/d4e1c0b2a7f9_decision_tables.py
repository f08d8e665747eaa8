"""Decision tables (DMN), deployed in versions beside the processes

Revision ID: d4e1c0b2a7f9
Revises: a3c9e5f17b26
Create Date: 2026-12-04 22:30:00

"""
from alembic import op
import sqlalchemy as sa

import models.base  # noqa: F401  (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'd4e1c0b2a7f9'
down_revision = 'a3c9e5f17b26'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'decision_definition',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('decision_key', sa.String(length=120), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('xml', sa.LargeBinary(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('deployed_by_id', sa.Integer(), nullable=True),
        sa.Column('deployed_at', models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ['deployed_by_id'], ['user_account.id'], name=op.f('fk_decision_definition_deployed_by_id_user_account')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_definition')),
        sa.UniqueConstraint('decision_key', 'version', name=op.f('uq_decision_definition_decision_key')),
    )
    with op.batch_alter_table('decision_definition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_definition_decision_key'), ['decision_key'], unique=False)


def downgrade():
    with op.batch_alter_table('decision_definition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_definition_decision_key'))
    op.drop_table('decision_definition')
