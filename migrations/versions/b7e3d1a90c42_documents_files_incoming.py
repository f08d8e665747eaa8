"""Documents are real documents: files on documents (with the signatures found in them), incoming documents
from outside bodies (issuer name, số đến per receiving organisation)

Revision ID: b7e3d1a90c42
Revises: e19a7c5d2b40
Create Date: 2026-12-12 10:00:00

"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

# revision identifiers, used by Alembic.
revision = "b7e3d1a90c42"
down_revision = "e19a7c5d2b40"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuer_name", sa.String(length=300), nullable=True))
        batch_op.alter_column("issuer_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("document_recipient", schema=None) as batch_op:
        batch_op.add_column(sa.Column("incoming_number", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("incoming_on", sa.Date(), nullable=True))
    op.create_table(
        "document_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("signatures", sa.JSON(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("document_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_file_document_id"), ["document_id"], unique=False)


def downgrade():
    with op.batch_alter_table("document_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_file_document_id"))
    op.drop_table("document_file")
    with op.batch_alter_table("document_recipient", schema=None) as batch_op:
        batch_op.drop_column("incoming_on")
        batch_op.drop_column("incoming_number")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.alter_column("issuer_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("issuer_name")
