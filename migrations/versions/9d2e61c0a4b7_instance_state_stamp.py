"""Instance state stamp (a random value renewed at every state write, for warm instances)

Revision ID: 9d2e61c0a4b7
Revises: af38428abe94
Create Date: 2026-11-29 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d2e61c0a4b7'
down_revision = 'af38428abe94'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state_stamp', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('state_stamp')
