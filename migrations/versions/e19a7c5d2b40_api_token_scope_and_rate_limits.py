"""API tokens' scope (read or write) and rate limit; requests per token per minute counted in the database

Revision ID: e19a7c5d2b40
Revises: d4a7c2e91b35
Create Date: 2026-12-10 12:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e19a7c5d2b40"
down_revision = "d4a7c2e91b35"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=10), nullable=False, server_default="write"))
        batch_op.add_column(sa.Column("rate_limit", sa.Integer(), nullable=True))
    op.create_table(
        "api_rate_window",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", "minute", name=op.f("pk_api_rate_window")),
    )
    op.create_index(op.f("ix_api_rate_window_minute"), "api_rate_window", ["minute"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_api_rate_window_minute"), table_name="api_rate_window")
    op.drop_table("api_rate_window")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("rate_limit")
        batch_op.drop_column("scope")
