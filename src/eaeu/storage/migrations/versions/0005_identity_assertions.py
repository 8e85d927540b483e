"""Identity assertions already used at this node (replay protection).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_assertion_replay",
        sa.Column("jti", sa.String(length=36), nullable=False),
        sa.Column("issuer_state", sa.String(length=8), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_identity_assertion_replay")),
    )
    op.create_index(
        op.f("ix_identity_assertion_replay_expires_at"),
        "identity_assertion_replay",
        ["expires_at"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_identity_assertion_replay_expires_at"), table_name="identity_assertion_replay"
    )
    op.drop_table("identity_assertion_replay")
