"""Task filters read from their own side (issue 18): an instance's open tasks, an organisation's instance ids from
the index alone, and trigram indexes for the text filter where pg_trgm can be installed

Revision ID: 9b4f2e7a1c58
Revises: 7c2d9e4f1a36
Create Date: 2026-12-05 00:30:00
"""

from alembic import op
from sqlalchemy import text

revision = "9b4f2e7a1c58"
down_revision = "7c2d9e4f1a36"
branch_labels = None
depends_on = None


def _trigrams(bind) -> bool:
    """pg_trgm installed (tried here; a server that refuses it keeps plain ILIKE for the text filter)."""
    if bind.dialect.name != "postgresql":
        return False
    op.execute(
        "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; "
        "EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'pg_trgm not available'; END $$"
    )
    return bind.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first() is not None


def upgrade():
    op.create_index(
        "ix_human_task_open_instance",
        "human_task",
        ["instance_id"],
        postgresql_where=text("status = 'open'"),
        sqlite_where=text("status = 'open'"),
    )
    op.drop_index("ix_process_instance_org_id", table_name="process_instance")
    op.create_index("ix_process_instance_org_id", "process_instance", ["org_id", "id"])
    if op.get_bind().dialect.name == "sqlite":  # no trigrams: empty indexes of the models' names (models/workflow.py)
        op.create_index("ix_human_task_name_trgm", "human_task", ["name"], sqlite_where=text("0"))
        op.create_index("ix_process_instance_title_trgm", "process_instance", ["title"], sqlite_where=text("0"))
    elif _trigrams(op.get_bind()):
        op.create_index(
            "ix_human_task_name_trgm",
            "human_task",
            ["name"],
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
            postgresql_where=text("status = 'open'"),
        )
        op.create_index(
            "ix_process_instance_title_trgm",
            "process_instance",
            ["title"],
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        )


def downgrade():
    op.execute("DROP INDEX IF EXISTS ix_process_instance_title_trgm")
    op.execute("DROP INDEX IF EXISTS ix_human_task_name_trgm")
    op.drop_index("ix_process_instance_org_id", table_name="process_instance")
    op.create_index("ix_process_instance_org_id", "process_instance", ["org_id"])
    op.drop_index("ix_human_task_open_instance", table_name="human_task")
