"""The tasks someone claimed, indexed apart (an inbox's "claimed by me" scan)

Revision ID: 7c2d9e4f1a36
Revises: d4e1c0b2a7f9
Create Date: 2026-12-04 22:45:00
"""

from alembic import op
from sqlalchemy import text

revision = "7c2d9e4f1a36"
down_revision = "d4e1c0b2a7f9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_human_task_claimed",
        "human_task",
        ["assignee_id", "due_at", "id"],
        postgresql_where=text("assignee_id IS NOT NULL"),
        sqlite_where=text("assignee_id IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_human_task_claimed", table_name="human_task")
