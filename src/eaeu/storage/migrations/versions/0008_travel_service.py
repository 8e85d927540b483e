"""Travel service: accredited labs (replicated), registry peers, bookings, results, certificates.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "travel_labs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_latin", sa.String(length=80), nullable=False),
        sa.Column("legal_id_kind", sa.String(length=32), nullable=False),
        sa.Column("legal_id", sa.String(length=32), nullable=False),
        sa.Column("licence", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("city_en", sa.String(length=100), nullable=False),
        sa.Column("city_ru", sa.String(length=100), nullable=False),
        sa.Column("city_en_key", sa.String(length=100), nullable=False),
        sa.Column("city_ru_key", sa.String(length=100), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("tests", sa.Text(), nullable=False),
        sa.Column("hours", sa.Text(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("accredited_from", sa.Date(), nullable=False),
        sa.Column("accredited_until", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'lapsed', 'withdrawn')", name=op.f("ck_travel_labs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_travel_labs")),
    )
    op.create_index("ix_travel_labs_state_city_en", "travel_labs", ["state", "city_en_key"])
    op.create_index("ix_travel_labs_state_city_ru", "travel_labs", ["state", "city_ru_key"])
    op.create_index(op.f("ix_travel_labs_organisation_id"), "travel_labs", ["organisation_id"])
    op.create_table(
        "travel_lab_peers",
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("trust_version", sa.Integer(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_travel_lab_peers")),
    )
    op.create_table(
        "travel_bookings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("lab_id", sa.String(length=36), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=True),
        sa.Column("test_kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("traveller_ref", sa.String(length=200), nullable=False),
        sa.Column("traveller_state", sa.String(length=2), nullable=False),
        sa.Column("foreign", sa.Boolean(), nullable=False),
        sa.Column("family_name", sa.String(length=200), nullable=False),
        sa.Column("given_name", sa.String(length=200), nullable=False),
        sa.Column("family_name_latin", sa.String(length=80), nullable=False),
        sa.Column("given_name_latin", sa.String(length=80), nullable=False),
        sa.Column("birth_date", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('booked', 'cancelled', 'resulted')", name=op.f("ck_travel_bookings_status")
        ),
        sa.CheckConstraint(
            "test_kind IN ('pcr', 'rat')", name=op.f("ck_travel_bookings_test_kind")
        ),
        sa.ForeignKeyConstraint(
            ["lab_id"], ["travel_labs.id"], name=op.f("fk_travel_bookings_lab_id_travel_labs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_travel_bookings")),
        sa.UniqueConstraint("code", name=op.f("uq_travel_bookings_code")),
        sa.UniqueConstraint("lab_id", "slot_start", "seat", name="uq_travel_bookings_seat"),
    )
    op.create_index("ix_travel_bookings_lab_slot", "travel_bookings", ["lab_id", "slot_start"])
    op.create_index(op.f("ix_travel_bookings_traveller_ref"), "travel_bookings", ["traveller_ref"])
    op.create_table(
        "travel_results",
        sa.Column("booking_id", sa.String(length=36), nullable=False),
        sa.Column("sample_collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detected", sa.Boolean(), nullable=False),
        sa.Column("test_kind", sa.String(length=8), nullable=False),
        sa.Column("device", sa.String(length=16), nullable=True),
        sa.Column("recorded_by", sa.String(length=36), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["travel_bookings.id"],
            name=op.f("fk_travel_results_booking_id_travel_bookings"),
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_travel_results")),
    )
    op.create_table(
        "travel_certificates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("booking_id", sa.String(length=36), nullable=False),
        sa.Column("uvci", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["travel_bookings.id"],
            name=op.f("fk_travel_certificates_booking_id_travel_bookings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_travel_certificates")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_travel_certificates_booking_id")),
        sa.UniqueConstraint("uvci", name=op.f("uq_travel_certificates_uvci")),
    )
    op.create_table(
        "travel_visitors",
        sa.Column("persistent_id", sa.String(length=200), nullable=False),
        sa.Column("home_state", sa.String(length=2), nullable=False),
        sa.Column("family_name", sa.String(length=200), nullable=False),
        sa.Column("given_name", sa.String(length=200), nullable=False),
        sa.Column("family_name_latin", sa.String(length=80), nullable=False),
        sa.Column("given_name_latin", sa.String(length=80), nullable=False),
        sa.Column("birth_date", sa.String(length=10), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("persistent_id", name=op.f("pk_travel_visitors")),
    )
    op.create_index(op.f("ix_travel_visitors_expires_at"), "travel_visitors", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_travel_visitors_expires_at"), table_name="travel_visitors")
    op.drop_table("travel_visitors")
    op.drop_table("travel_certificates")
    op.drop_table("travel_results")
    op.drop_index(op.f("ix_travel_bookings_traveller_ref"), table_name="travel_bookings")
    op.drop_index("ix_travel_bookings_lab_slot", table_name="travel_bookings")
    op.drop_table("travel_bookings")
    op.drop_table("travel_lab_peers")
    op.drop_index(op.f("ix_travel_labs_organisation_id"), table_name="travel_labs")
    op.drop_index("ix_travel_labs_state_city_ru", table_name="travel_labs")
    op.drop_index("ix_travel_labs_state_city_en", table_name="travel_labs")
    op.drop_table("travel_labs")
