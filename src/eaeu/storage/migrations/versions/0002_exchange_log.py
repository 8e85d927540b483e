"""Exchange message log and its head.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen here rather than imported, so that this revision means the same thing forever.
GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "exchange_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("correlation_id", sa.String(length=36), nullable=True),
        sa.Column("sender", sa.String(length=255), nullable=False),
        sa.Column("receiver", sa.String(length=255), nullable=False),
        sa.Column("service", sa.String(length=255), nullable=False),
        sa.Column("message_type", sa.String(length=64), nullable=False),
        sa.Column("envelope_hash", sa.String(length=64), nullable=True),
        sa.Column("receipt_hash", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("direction IN ('out', 'in')", name=op.f("ck_exchange_log_direction")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_exchange_log")),
    )
    op.create_index(op.f("ix_exchange_log_message_id"), "exchange_log", ["message_id"])
    head = op.create_table(
        "exchange_log_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_exchange_log_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_log_head")),
    )
    # The head exists from the start: appenders lock it, and never have to race to create it.
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])


def downgrade() -> None:
    op.drop_table("exchange_log_head")
    op.drop_index(op.f("ix_exchange_log_message_id"), table_name="exchange_log")
    op.drop_table("exchange_log")
