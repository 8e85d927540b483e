"""Documents: node-held signing keys and certificate revocations.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents_signing_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.Column("sealed_key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents_signing_keys")),
        sa.UniqueConstraint(
            "owner_kind",
            "owner_id",
            "generation",
            name=op.f("uq_documents_signing_keys_owner_kind"),
        ),
        sa.UniqueConstraint("serial", name=op.f("uq_documents_signing_keys_serial")),
    )
    op.create_index(
        "ix_documents_signing_keys_owner", "documents_signing_keys", ["owner_kind", "owner_id"]
    )
    op.create_table(
        "documents_revocations",
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_documents_revocations")),
    )


def downgrade() -> None:
    op.drop_table("documents_revocations")
    op.drop_index("ix_documents_signing_keys_owner", table_name="documents_signing_keys")
    op.drop_table("documents_signing_keys")
