"""Consent records, authority notifications, received consents and data, the transfer ledger.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Frozen here rather than imported, so that this revision means the same thing forever.
GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "consent_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("subject_state", sa.String(length=8), nullable=False),
        sa.Column("subject_ref", sa.String(length=64), nullable=False),
        sa.Column("requester_state", sa.String(length=8), nullable=False),
        sa.Column("requester_organisation", sa.String(length=255), nullable=True),
        sa.Column("requester_service", sa.String(length=64), nullable=True),
        sa.Column("provider_state", sa.String(length=8), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("purpose_text_en", sa.Text(), nullable=False),
        sa.Column("purpose_text_ru", sa.Text(), nullable=False),
        sa.Column("basis", sa.String(length=32), nullable=False),
        sa.Column("categories", sa.String(length=255), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("data_life_days", sa.Integer(), nullable=False),
        sa.Column("explicit_request", sa.Boolean(), nullable=False),
        sa.Column("preview_shown", sa.Boolean(), nullable=False),
        sa.Column("preview_hash", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("use_count", sa.Integer(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'revoked', 'expired')", name=op.f("ck_consent_records_status")
        ),
        sa.CheckConstraint(
            "mode IN ('one-time', 'periodic')", name=op.f("ck_consent_records_mode")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
        sa.UniqueConstraint("subject_ref", name=op.f("uq_consent_records_subject_ref")),
    )
    op.create_index(op.f("ix_consent_records_subject_id"), "consent_records", ["subject_id"])
    op.create_table(
        "consent_notifications",
        sa.Column("destination", sa.String(length=8), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("destination", name=op.f("pk_consent_notifications")),
    )
    op.create_table(
        "consent_received",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer_state", sa.String(length=8), nullable=False),
        sa.Column("subject_ref", sa.String(length=64), nullable=False),
        sa.Column("requester_organisation", sa.String(length=255), nullable=True),
        sa.Column("requester_service", sa.String(length=64), nullable=True),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("categories", sa.String(length=255), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("data_life_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'revoked')", name=op.f("ck_consent_received_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_received")),
    )
    op.create_table(
        "consent_revocations",
        sa.Column("consent_id", sa.String(length=36), nullable=False),
        sa.Column("issuer_state", sa.String(length=8), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consent_id", name=op.f("pk_consent_revocations")),
    )
    op.create_table(
        "consent_received_data",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("consent_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("categories", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delete_after", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_received_data")),
    )
    op.create_index(
        op.f("ix_consent_received_data_consent_id"), "consent_received_data", ["consent_id"]
    )
    op.create_index(
        op.f("ix_consent_received_data_delete_after"), "consent_received_data", ["delete_after"]
    )
    op.create_table(
        "consent_ledger",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("detail_ru", sa.Text(), nullable=True),
        sa.Column("consent_id", sa.String(length=36), nullable=True),
        sa.Column("basis", sa.String(length=32), nullable=True),
        sa.Column("counterpart_state", sa.String(length=8), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=True),
        sa.Column("categories", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("message_type", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("direction IN ('out', 'in')", name=op.f("ck_consent_ledger_direction")),
        sa.CheckConstraint(
            "outcome IN ('allowed', 'refused')", name=op.f("ck_consent_ledger_outcome")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_consent_ledger")),
    )
    op.create_index(op.f("ix_consent_ledger_consent_id"), "consent_ledger", ["consent_id"])
    op.create_index(op.f("ix_consent_ledger_subject_id"), "consent_ledger", ["subject_id"])
    head = op.create_table(
        "consent_ledger_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_consent_ledger_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_ledger_head")),
    )
    # The head exists from the start: appenders lock it, and never race to create it.
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])


def downgrade() -> None:
    op.drop_table("consent_ledger_head")
    op.drop_index(op.f("ix_consent_ledger_subject_id"), table_name="consent_ledger")
    op.drop_index(op.f("ix_consent_ledger_consent_id"), table_name="consent_ledger")
    op.drop_table("consent_ledger")
    op.drop_index(op.f("ix_consent_received_data_delete_after"), table_name="consent_received_data")
    op.drop_index(op.f("ix_consent_received_data_consent_id"), table_name="consent_received_data")
    op.drop_table("consent_received_data")
    op.drop_table("consent_revocations")
    op.drop_table("consent_received")
    op.drop_table("consent_notifications")
    op.drop_index(op.f("ix_consent_records_subject_id"), table_name="consent_records")
    op.drop_table("consent_records")
