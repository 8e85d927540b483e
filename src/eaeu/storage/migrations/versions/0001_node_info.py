"""Node ownership record.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_info",
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("software_version", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_node_info")),
    )


def downgrade() -> None:
    op.drop_table("node_info")
