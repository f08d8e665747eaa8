"""Reminders sent per school report and due event (report_submission.notices), so each goes out once

Revision ID: 5c3a8e21d7f4
Revises: 1e4f2b9c7d10
Create Date: 2026-12-01 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5c3a8e21d7f4"
down_revision = "1e4f2b9c7d10"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("report_submission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notices", sa.JSON(), server_default="[]", nullable=False))


def downgrade():
    with op.batch_alter_table("report_submission", schema=None) as batch_op:
        batch_op.drop_column("notices")
