"""Instance business key: one instance per (process, organisation, subject)

Revision ID: 1e4f2b9c7d10
Revises: 9d2e61c0a4b7
Create Date: 2026-12-04 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1e4f2b9c7d10'
down_revision = '9d2e61c0a4b7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=80), nullable=True))
        batch_op.create_unique_constraint('uq_instance_subject', ['process_key', 'org_id', 'subject'])


def downgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_constraint('uq_instance_subject', type_='unique')
        batch_op.drop_column('subject')
