"""Tables of the move: insurance, housing, migration notices, checklist marks (migration 0014).

On the node of the destination state (the issuer's side):

* ``jobs_insurance_products`` — what this state's insurers sell; ``jobs_insurance_policies``
  — the policies they issued, with the insured person's minimum data and the signed policy.
* ``jobs_housing_places`` — places landlords and employers' dormitories let;
  ``jobs_housing_bookings`` — the stays booked; ``jobs_housing_nights`` — one row per bed and
  night taken, whose primary key (place, night, bed) is what makes a double booking
  impossible: of two concurrent requests for the last bed, the database lets one commit.
* ``jobs_migration_notices`` — notices the migration authority received (a worker's
  pre-arrival notice, an employer's contract notice) with their signed acknowledgments.

On the person's home node (the holder's side):

* ``jobs_held_policies``, ``jobs_held_bookings``, ``jobs_migration_acks`` — what the person
  got back, as signed by the destination's node.
* ``jobs_checklist_marks`` — the checklist items the person marked done themself.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from eaeu.storage.orm import Base


class ProductRow(Base):
    """A medical insurance product an insurer of this state sells."""

    __tablename__ = "jobs_insurance_products"
    __table_args__ = (
        CheckConstraint("covers IN ('worker', 'family')", name="covers"),
        CheckConstraint("price_month > 0", name="price"),
        CheckConstraint("min_months >= 1 AND max_months >= min_months", name="term"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    insurer_ref: Mapped[str] = mapped_column(String(64), index=True)
    insurer_org_id: Mapped[str] = mapped_column(String(36))
    insurer_name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    coverage_en: Mapped[str] = mapped_column(Text)
    coverage_ru: Mapped[str] = mapped_column(Text)
    covers: Mapped[str] = mapped_column(String(16))
    price_month: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    min_months: Mapped[int] = mapped_column(Integer)
    max_months: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PolicyRow(Base):
    """A policy an insurer of this state issued to a worker from another state."""

    __tablename__ = "jobs_insurance_policies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    product_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("jobs_insurance_products.id"), index=True
    )
    insurer_ref: Mapped[str] = mapped_column(String(64), index=True)
    holder_state: Mapped[str] = mapped_column(String(2))
    family_name_latin: Mapped[str] = mapped_column(String(80))
    given_name_latin: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date] = mapped_column(Date)
    nationality: Mapped[str] = mapped_column(String(2))
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date)
    premium: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    consent_id: Mapped[str | None] = mapped_column(String(36))
    document: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HeldPolicyRow(Base):
    """A policy a person of this node bought in another state, as signed there."""

    __tablename__ = "jobs_held_policies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    destination: Mapped[str] = mapped_column(String(2))
    product_id: Mapped[str] = mapped_column(String(36))
    insurer_ref: Mapped[str] = mapped_column(String(64))
    insurer_name: Mapped[str] = mapped_column(String(255))
    product_name: Mapped[str] = mapped_column(String(200))
    covers: Mapped[str] = mapped_column(String(16))
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date)
    premium: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    document: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(36))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlaceRow(Base):
    """A place to live a landlord or an employer's dormitory of this state lets."""

    __tablename__ = "jobs_housing_places"
    __table_args__ = (
        CheckConstraint("kind IN ('rental', 'dormitory')", name="kind"),
        CheckConstraint("capacity >= 1", name="capacity"),
        CheckConstraint("price_month >= 0", name="price"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_ref: Mapped[str] = mapped_column(String(64), index=True)
    owner_org_id: Mapped[str] = mapped_column(String(36))
    owner_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    city: Mapped[str] = mapped_column(String(100))
    # Folded for search: SQL's lower() knows only ASCII on SQLite.
    city_key: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str] = mapped_column(String(300))
    capacity: Mapped[int] = mapped_column(Integer)
    price_month: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    available_from: Mapped[date] = mapped_column(Date)
    available_until: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StayRow(Base):
    """A stay booked at a place of this state, by a worker from another state."""

    __tablename__ = "jobs_housing_bookings"
    __table_args__ = (CheckConstraint("status IN ('booked', 'cancelled')", name="status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    place_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("jobs_housing_places.id"), index=True
    )
    bed: Mapped[int] = mapped_column(Integer)
    check_in: Mapped[date] = mapped_column(Date)
    check_out: Mapped[date] = mapped_column(Date)
    guest_state: Mapped[str] = mapped_column(String(2))
    family_name_latin: Mapped[str] = mapped_column(String(80))
    given_name_latin: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date] = mapped_column(Date)
    nationality: Mapped[str] = mapped_column(String(2))
    consent_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16))
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NightRow(Base):
    """One bed of a place taken for one night: the key no two bookings can share."""

    __tablename__ = "jobs_housing_nights"

    place_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("jobs_housing_places.id"), primary_key=True
    )
    night: Mapped[date] = mapped_column(Date, primary_key=True)
    bed: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("jobs_housing_bookings.id"), index=True
    )


class HeldBookingRow(Base):
    """A stay a person of this node booked in another state, as signed there."""

    __tablename__ = "jobs_held_bookings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    destination: Mapped[str] = mapped_column(String(2))
    place_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(16))
    owner_ref: Mapped[str] = mapped_column(String(64))
    owner_name: Mapped[str] = mapped_column(String(255))
    city: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(300))
    check_in: Mapped[date] = mapped_column(Date)
    check_out: Mapped[date] = mapped_column(Date)
    price_month: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    document: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(36))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NoticeRow(Base):
    """A notice this state's migration authority received, and its acknowledgment."""

    __tablename__ = "jobs_migration_notices"
    __table_args__ = (
        CheckConstraint("kind IN ('pre_arrival', 'employment_contract')", name="kind"),
        UniqueConstraint("kind", "contract_id", name="uq_jobs_migration_notices_kind_contract"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    sender_state: Mapped[str] = mapped_column(String(2))
    contract_id: Mapped[str] = mapped_column(String(64))
    employer_ref: Mapped[str] = mapped_column(String(64))
    family_name_latin: Mapped[str] = mapped_column(String(80))
    given_name_latin: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date] = mapped_column(Date)
    nationality: Mapped[str] = mapped_column(String(2))
    expected_entry: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[date | None] = mapped_column(Date)
    consent_id: Mapped[str | None] = mapped_column(String(36))
    content_hash: Mapped[str] = mapped_column(String(64))
    acknowledgment: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AckRow(Base):
    """An acknowledgment a person of this node holds, signed by the destination's node."""

    __tablename__ = "jobs_migration_acks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    destination: Mapped[str] = mapped_column(String(2))
    contract_id: Mapped[str] = mapped_column(String(64))
    expected_entry: Mapped[date | None] = mapped_column(Date)
    acknowledgment: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MarkRow(Base):
    """A checklist item a person marked done themself."""

    __tablename__ = "jobs_checklist_marks"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


__all__ = [
    "AckRow",
    "HeldBookingRow",
    "HeldPolicyRow",
    "MarkRow",
    "NightRow",
    "NoticeRow",
    "PlaceRow",
    "PolicyRow",
    "ProductRow",
    "StayRow",
]
