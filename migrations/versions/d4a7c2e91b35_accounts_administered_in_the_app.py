"""Accounts administered in the app: one-time and demo passwords, failed-login counts and locks, closed
organisations, API token expiry, the per-address failed-login log and the replay clock's stored start

Revision ID: d4a7c2e91b35
Revises: 5c3a8e21d7f4
Create Date: 2026-12-10 10:00:00

"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

# revision identifiers, used by Alembic.
revision = "d4a7c2e91b35"
down_revision = "5c3a8e21d7f4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("demo_password", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("locked_until", UTCDateTime(), nullable=True))
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failure_addr_at", "login_failure", ["remote_addr", "at"], unique=False)
    op.create_table(
        "clock_anchor",
        sa.Column("start_at", sa.String(length=64), nullable=False),
        sa.Column("real_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("start_at"),
    )
    # the seed gave every account one shared hash (same salt): a hash held by several accounts is that password
    op.execute(
        "UPDATE user_account SET demo_password = true WHERE password_hash IN "
        "(SELECT password_hash FROM user_account GROUP BY password_hash HAVING count(*) > 1)"
    )


def downgrade():
    op.drop_table("clock_anchor")
    op.drop_index("ix_login_failure_addr_at", table_name="login_failure")
    op.drop_table("login_failure")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("demo_password")
        batch_op.drop_column("must_change_password")
