"""Tables of the travel service (migration 0008).

Public data, on every node of a state taking part in travel: ``travel_labs`` (this state's
labs and the replicas of other states' labs, each at the newest version seen) and
``travel_lab_peers`` (the nodes this node has exchanged its whole registry with).

Personal data, only on the node of the lab's state: ``travel_bookings`` (a seat in a slot
is unique, so two concurrent requests cannot both take it: a cancelled booking gives its seat
back by clearing ``seat``), ``travel_results``, ``travel_certificates`` and
``travel_visitors`` (what a visitor from another state's node brought with them to book,
kept as long as their visit).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from eaeu.storage.orm import Base


class LabRow(Base):
    """An accredited lab (of this state, or a replica of another state's)."""

    __tablename__ = "travel_labs"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'lapsed', 'withdrawn')", name="status"),
        Index("ix_travel_labs_state_city_en", "state", "city_en_key"),
        Index("ix_travel_labs_state_city_ru", "state", "city_ru_key"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    state: Mapped[str] = mapped_column(String(2))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    name_latin: Mapped[str] = mapped_column(String(80))
    legal_id_kind: Mapped[str] = mapped_column(String(32))
    legal_id: Mapped[str] = mapped_column(String(32))
    licence: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(200))
    city_en: Mapped[str] = mapped_column(String(100))
    city_ru: Mapped[str] = mapped_column(String(100))
    # Folded forms (case, accents, ё) for search; SQL's lower() knows only ASCII on SQLite.
    city_en_key: Mapped[str] = mapped_column(String(100))
    city_ru_key: Mapped[str] = mapped_column(String(100))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    tests: Mapped[str] = mapped_column(Text)  # JSON list of offers
    hours: Mapped[str] = mapped_column(Text)  # JSON list of [weekday, opens, closes]
    slot_minutes: Mapped[int] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer)
    accredited_from: Mapped[date] = mapped_column(Date)
    accredited_until: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The local organisation whose staff run the lab: set on the lab's home node only.
    organisation_id: Mapped[str | None] = mapped_column(String(36), index=True)
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LabPeerRow(Base):
    """A node this node exchanged its whole registry with, under a trust list version."""

    __tablename__ = "travel_lab_peers"

    state: Mapped[str] = mapped_column(String(2), primary_key=True)
    trust_version: Mapped[int] = mapped_column(Integer)
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BookingRow(Base):
    """A booked appointment; personal data, never replicated."""

    __tablename__ = "travel_bookings"
    __table_args__ = (
        UniqueConstraint("lab_id", "slot_start", "seat", name="uq_travel_bookings_seat"),
        CheckConstraint("status IN ('booked', 'cancelled', 'resulted')", name="status"),
        CheckConstraint("test_kind IN ('pcr', 'rat')", name="test_kind"),
        Index("ix_travel_bookings_lab_slot", "lab_id", "slot_start"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    lab_id: Mapped[str] = mapped_column(ForeignKey("travel_labs.id"))
    slot_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # 1 … seats while the booking holds its seat; NULL once cancelled (NULLs never collide).
    seat: Mapped[int | None] = mapped_column(Integer)
    test_kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    traveller_ref: Mapped[str] = mapped_column(String(200), index=True)
    traveller_state: Mapped[str] = mapped_column(String(2))
    foreign: Mapped[bool] = mapped_column(Boolean, default=False)
    family_name: Mapped[str] = mapped_column(String(200))
    given_name: Mapped[str] = mapped_column(String(200))
    family_name_latin: Mapped[str] = mapped_column(String(80))
    given_name_latin: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ResultRow(Base):
    """A test result recorded by the lab; personal data, never replicated."""

    __tablename__ = "travel_results"

    booking_id: Mapped[str] = mapped_column(ForeignKey("travel_bookings.id"), primary_key=True)
    sample_collected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    detected: Mapped[bool] = mapped_column(Boolean)
    test_kind: Mapped[str] = mapped_column(String(8))
    device: Mapped[str | None] = mapped_column(String(16))
    recorded_by: Mapped[str] = mapped_column(String(36))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CertificateRow(Base):
    """A signed test certificate (HC1); personal data, never replicated."""

    __tablename__ = "travel_certificates"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    booking_id: Mapped[str] = mapped_column(ForeignKey("travel_bookings.id"), unique=True)
    uvci: Mapped[str] = mapped_column(String(80), unique=True)
    text: Mapped[str] = mapped_column(Text)
    kid: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VisitorRow(Base):
    """What a visitor's home node asserted, kept for their booking while they visit."""

    __tablename__ = "travel_visitors"

    persistent_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    home_state: Mapped[str] = mapped_column(String(2))
    family_name: Mapped[str] = mapped_column(String(200))
    given_name: Mapped[str] = mapped_column(String(200))
    family_name_latin: Mapped[str] = mapped_column(String(80))
    given_name_latin: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[str] = mapped_column(String(10))
    arrived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
