"""Travel verifier: certificate revocations (UVCI hashes) and imported external signers.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "travel_revocations",
        sa.Column("uci_hash", sa.String(length=64), nullable=False),
        sa.Column("uci_prefix", sa.String(length=32), nullable=False),
        sa.Column("issuer", sa.String(length=2), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uvci", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("uci_hash", name=op.f("pk_travel_revocations")),
        sa.UniqueConstraint("issuer", "sequence", name=op.f("uq_travel_revocations_issuer")),
    )
    op.create_index("ix_travel_revocations_prefix", "travel_revocations", ["uci_prefix"])
    op.create_table(
        "travel_external_dscs",
        sa.Column("thumbprint", sa.String(length=64), nullable=False),
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("thumbprint", name=op.f("pk_travel_external_dscs")),
    )
    op.create_index("ix_travel_external_dscs_kid", "travel_external_dscs", ["kid"])


def downgrade() -> None:
    op.drop_index("ix_travel_external_dscs_kid", table_name="travel_external_dscs")
    op.drop_table("travel_external_dscs")
    op.drop_index("ix_travel_revocations_prefix", table_name="travel_revocations")
    op.drop_table("travel_revocations")
