"""Jobs service: the move (insurance, housing, migration notices, checklist marks).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs_checklist_marks",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id", "rule_id", name=op.f("pk_jobs_checklist_marks")),
    )
    op.create_table(
        "jobs_held_bookings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("destination", sa.String(length=2), nullable=False),
        sa.Column("place_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("owner_ref", sa.String(length=64), nullable=False),
        sa.Column("owner_name", sa.String(length=255), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("check_in", sa.Date(), nullable=False),
        sa.Column("check_out", sa.Date(), nullable=False),
        sa.Column("price_month", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_held_bookings")),
    )
    op.create_index(
        op.f("ix_jobs_held_bookings_person_id"), "jobs_held_bookings", ["person_id"], unique=False
    )
    op.create_table(
        "jobs_held_policies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("destination", sa.String(length=2), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("insurer_ref", sa.String(length=64), nullable=False),
        sa.Column("insurer_name", sa.String(length=255), nullable=False),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("covers", sa.String(length=16), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("premium", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_held_policies")),
    )
    op.create_index(
        op.f("ix_jobs_held_policies_person_id"), "jobs_held_policies", ["person_id"], unique=False
    )
    op.create_table(
        "jobs_housing_places",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_ref", sa.String(length=64), nullable=False),
        sa.Column("owner_org_id", sa.String(length=36), nullable=False),
        sa.Column("owner_name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("city_key", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("price_month", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("available_from", sa.Date(), nullable=False),
        sa.Column("available_until", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('rental', 'dormitory')", name=op.f("ck_jobs_housing_places_kind")
        ),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_jobs_housing_places_capacity")),
        sa.CheckConstraint("price_month >= 0", name=op.f("ck_jobs_housing_places_price")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_housing_places")),
    )
    op.create_index(
        op.f("ix_jobs_housing_places_city_key"), "jobs_housing_places", ["city_key"], unique=False
    )
    op.create_index(
        op.f("ix_jobs_housing_places_owner_ref"), "jobs_housing_places", ["owner_ref"], unique=False
    )
    op.create_table(
        "jobs_insurance_products",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("insurer_ref", sa.String(length=64), nullable=False),
        sa.Column("insurer_org_id", sa.String(length=36), nullable=False),
        sa.Column("insurer_name", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("name_ru", sa.String(length=200), nullable=False),
        sa.Column("coverage_en", sa.Text(), nullable=False),
        sa.Column("coverage_ru", sa.Text(), nullable=False),
        sa.Column("covers", sa.String(length=16), nullable=False),
        sa.Column("price_month", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("min_months", sa.Integer(), nullable=False),
        sa.Column("max_months", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "covers IN ('worker', 'family')", name=op.f("ck_jobs_insurance_products_covers")
        ),
        sa.CheckConstraint(
            "min_months >= 1 AND max_months >= min_months",
            name=op.f("ck_jobs_insurance_products_term"),
        ),
        sa.CheckConstraint("price_month > 0", name=op.f("ck_jobs_insurance_products_price")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_insurance_products")),
    )
    op.create_index(
        op.f("ix_jobs_insurance_products_insurer_ref"),
        "jobs_insurance_products",
        ["insurer_ref"],
        unique=False,
    )
    op.create_table(
        "jobs_migration_acks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("destination", sa.String(length=2), nullable=False),
        sa.Column("contract_id", sa.String(length=64), nullable=False),
        sa.Column("expected_entry", sa.Date(), nullable=True),
        sa.Column("acknowledgment", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_migration_acks")),
    )
    op.create_index(
        op.f("ix_jobs_migration_acks_person_id"), "jobs_migration_acks", ["person_id"], unique=False
    )
    op.create_table(
        "jobs_migration_notices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("sender_state", sa.String(length=2), nullable=False),
        sa.Column("contract_id", sa.String(length=64), nullable=False),
        sa.Column("employer_ref", sa.String(length=64), nullable=False),
        sa.Column("family_name_latin", sa.String(length=80), nullable=False),
        sa.Column("given_name_latin", sa.String(length=80), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("nationality", sa.String(length=2), nullable=False),
        sa.Column("expected_entry", sa.Date(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("consent_id", sa.String(length=36), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("acknowledgment", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('pre_arrival', 'employment_contract')",
            name=op.f("ck_jobs_migration_notices_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_migration_notices")),
        sa.UniqueConstraint("kind", "contract_id", name="uq_jobs_migration_notices_kind_contract"),
    )
    op.create_table(
        "jobs_housing_bookings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("place_id", sa.String(length=36), nullable=False),
        sa.Column("bed", sa.Integer(), nullable=False),
        sa.Column("check_in", sa.Date(), nullable=False),
        sa.Column("check_out", sa.Date(), nullable=False),
        sa.Column("guest_state", sa.String(length=2), nullable=False),
        sa.Column("family_name_latin", sa.String(length=80), nullable=False),
        sa.Column("given_name_latin", sa.String(length=80), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("nationality", sa.String(length=2), nullable=False),
        sa.Column("consent_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('booked', 'cancelled')", name=op.f("ck_jobs_housing_bookings_status")
        ),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["jobs_housing_places.id"],
            name=op.f("fk_jobs_housing_bookings_place_id_jobs_housing_places"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_housing_bookings")),
    )
    op.create_index(
        op.f("ix_jobs_housing_bookings_place_id"),
        "jobs_housing_bookings",
        ["place_id"],
        unique=False,
    )
    op.create_table(
        "jobs_insurance_policies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("insurer_ref", sa.String(length=64), nullable=False),
        sa.Column("holder_state", sa.String(length=2), nullable=False),
        sa.Column("family_name_latin", sa.String(length=80), nullable=False),
        sa.Column("given_name_latin", sa.String(length=80), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("nationality", sa.String(length=2), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("premium", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("consent_id", sa.String(length=36), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["jobs_insurance_products.id"],
            name=op.f("fk_jobs_insurance_policies_product_id_jobs_insurance_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_insurance_policies")),
    )
    op.create_index(
        op.f("ix_jobs_insurance_policies_insurer_ref"),
        "jobs_insurance_policies",
        ["insurer_ref"],
        unique=False,
    )
    op.create_index(
        op.f("ix_jobs_insurance_policies_product_id"),
        "jobs_insurance_policies",
        ["product_id"],
        unique=False,
    )
    op.create_table(
        "jobs_housing_nights",
        sa.Column("place_id", sa.String(length=36), nullable=False),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("bed", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["jobs_housing_bookings.id"],
            name=op.f("fk_jobs_housing_nights_booking_id_jobs_housing_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["jobs_housing_places.id"],
            name=op.f("fk_jobs_housing_nights_place_id_jobs_housing_places"),
        ),
        sa.PrimaryKeyConstraint("place_id", "night", "bed", name=op.f("pk_jobs_housing_nights")),
    )
    op.create_index(
        op.f("ix_jobs_housing_nights_booking_id"),
        "jobs_housing_nights",
        ["booking_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_jobs_housing_nights_booking_id"), table_name="jobs_housing_nights")
    op.drop_table("jobs_housing_nights")
    op.drop_index(
        op.f("ix_jobs_insurance_policies_product_id"), table_name="jobs_insurance_policies"
    )
    op.drop_index(
        op.f("ix_jobs_insurance_policies_insurer_ref"), table_name="jobs_insurance_policies"
    )
    op.drop_table("jobs_insurance_policies")
    op.drop_index(op.f("ix_jobs_housing_bookings_place_id"), table_name="jobs_housing_bookings")
    op.drop_table("jobs_housing_bookings")
    op.drop_table("jobs_migration_notices")
    op.drop_index(op.f("ix_jobs_migration_acks_person_id"), table_name="jobs_migration_acks")
    op.drop_table("jobs_migration_acks")
    op.drop_index(
        op.f("ix_jobs_insurance_products_insurer_ref"), table_name="jobs_insurance_products"
    )
    op.drop_table("jobs_insurance_products")
    op.drop_index(op.f("ix_jobs_housing_places_owner_ref"), table_name="jobs_housing_places")
    op.drop_index(op.f("ix_jobs_housing_places_city_key"), table_name="jobs_housing_places")
    op.drop_table("jobs_housing_places")
    op.drop_index(op.f("ix_jobs_held_policies_person_id"), table_name="jobs_held_policies")
    op.drop_table("jobs_held_policies")
    op.drop_index(op.f("ix_jobs_held_bookings_person_id"), table_name="jobs_held_bookings")
    op.drop_table("jobs_held_bookings")
    op.drop_table("jobs_checklist_marks")
