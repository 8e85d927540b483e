"""Reading and writing the travel service's records in a session (SQLAlchemy).

The functions take the caller's session, so that a handler decides the transaction: a lab
and the outbox messages that replicate it commit together, a booking commits alone (its
seat is decided by the unique constraint at commit), a result and its certificate together.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from eaeu.services.travel.model import (
    Booking,
    BookingStatus,
    Certificate,
    Lab,
    LabStatus,
    OfferedTest,
    OpeningPeriod,
    TestKind,
    TestResult,
    Traveller,
    search_key,
)
from eaeu.services.travel.orm import (
    BookingRow,
    CertificateRow,
    LabPeerRow,
    LabRow,
    ResultRow,
    VisitorRow,
)


def aware(value: datetime) -> datetime:
    """Return a stored time as UTC (SQLite hands back naive datetimes)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- labs ----------------------------------------------------------------------------------


def lab_of(row: LabRow) -> Lab:
    """The lab a row holds."""
    return Lab(
        id=row.id,
        state=row.state,
        name=row.name,
        name_latin=row.name_latin,
        legal_id_kind=row.legal_id_kind,
        legal_id=row.legal_id,
        licence=row.licence,
        address=row.address,
        city_en=row.city_en,
        city_ru=row.city_ru,
        latitude=row.latitude,
        longitude=row.longitude,
        tests=tuple(OfferedTest.from_json(t) for t in json.loads(row.tests)),
        hours=tuple(OpeningPeriod.from_json(p) for p in json.loads(row.hours)),
        slot_minutes=row.slot_minutes,
        seats=row.seats,
        accredited_from=row.accredited_from,
        accredited_until=row.accredited_until,
        status=LabStatus(row.status),
        version=row.version,
        updated_at=aware(row.updated_at),
        organisation_id=row.organisation_id,
    )


def put_lab(session: Session, lab: Lab, *, received_at: datetime | None = None) -> None:
    """Insert ``lab`` or overwrite its row (the caller has decided the version wins)."""
    row = session.get(LabRow, lab.id) or LabRow(id=lab.id)
    row.state = lab.state
    row.version = lab.version
    row.status = lab.status.value
    row.name = lab.name
    row.name_latin = lab.name_latin
    row.legal_id_kind = lab.legal_id_kind
    row.legal_id = lab.legal_id
    row.licence = lab.licence
    row.address = lab.address
    row.city_en = lab.city_en
    row.city_ru = lab.city_ru
    row.city_en_key = search_key(lab.city_en)
    row.city_ru_key = search_key(lab.city_ru)
    row.latitude = lab.latitude
    row.longitude = lab.longitude
    row.tests = json.dumps([t.to_json() for t in lab.tests])
    row.hours = json.dumps([p.to_json() for p in lab.hours])
    row.slot_minutes = lab.slot_minutes
    row.seats = lab.seats
    row.accredited_from = lab.accredited_from
    row.accredited_until = lab.accredited_until
    row.updated_at = lab.updated_at
    row.organisation_id = lab.organisation_id
    row.received_at = received_at
    session.add(row)


def get_lab(session: Session, lab_id: str) -> Lab | None:
    """The lab with ``lab_id``, whatever its status."""
    row = session.get(LabRow, lab_id)
    return None if row is None else lab_of(row)


def stored_version(session: Session, lab_id: str) -> int | None:
    """The version of ``lab_id`` stored here, or ``None``."""
    return session.scalar(select(LabRow.version).where(LabRow.id == lab_id))


def labs_of_state(session: Session, state: str) -> list[Lab]:
    """Every lab of ``state`` stored here, tombstones included, by name."""
    rows = session.scalars(select(LabRow).where(LabRow.state == state).order_by(LabRow.name))
    return [lab_of(row) for row in rows]


def find_labs(session: Session, *, states: Sequence[str], city: str | None = None) -> list[Lab]:
    """Active labs of ``states`` whose city (English or Russian) starts with ``city``."""
    query = select(LabRow).where(LabRow.state.in_(states), LabRow.status == LabStatus.ACTIVE)
    key = search_key(city or "")
    if key:
        pattern = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                LabRow.city_en_key.like(pattern, escape="\\"),
                LabRow.city_ru_key.like(pattern, escape="\\"),
            )
        )
    rows = session.scalars(query.order_by(LabRow.state, LabRow.city_en, LabRow.name_latin))
    return [lab_of(row) for row in rows]


def labs_of_organisation(session: Session, state: str, organisation_id: str) -> list[Lab]:
    """The labs of this state that ``organisation_id``'s staff run."""
    rows = session.scalars(
        select(LabRow)
        .where(LabRow.state == state, LabRow.organisation_id == organisation_id)
        .order_by(LabRow.name)
    )
    return [lab_of(row) for row in rows]


def synced_peers(session: Session) -> dict[str, int]:
    """Peer state → the trust list version under which the registries were exchanged."""
    return {row.state: row.trust_version for row in session.scalars(select(LabPeerRow))}


def mark_synced(session: Session, state: str, trust_version: int, at: datetime) -> None:
    """Record that ``state``'s node and this one have exchanged their registries."""
    row = session.get(LabPeerRow, state) or LabPeerRow(state=state)
    row.trust_version, row.synced_at = trust_version, at
    session.add(row)


def forget_peers(session: Session, keep: Sequence[str]) -> None:
    """Forget the exchange with peers no longer in ``keep`` (so a rejoin exchanges again)."""
    session.execute(delete(LabPeerRow).where(LabPeerRow.state.not_in(list(keep))))


# --- bookings ------------------------------------------------------------------------------


def booking_of(row: BookingRow) -> Booking:
    """The booking a row holds."""
    return Booking(
        id=row.id,
        code=row.code,
        lab_id=row.lab_id,
        slot_start=aware(row.slot_start),
        test_kind=TestKind(row.test_kind),
        status=BookingStatus(row.status),
        traveller=Traveller(
            ref=row.traveller_ref,
            home_state=row.traveller_state,
            family_name=row.family_name,
            given_name=row.given_name,
            family_name_latin=row.family_name_latin,
            given_name_latin=row.given_name_latin,
            birth_date=row.birth_date,
            foreign=row.foreign,
        ),
        created_at=aware(row.created_at),
        cancelled_at=None if row.cancelled_at is None else aware(row.cancelled_at),
    )


def booking_row(booking: Booking, seat: int) -> BookingRow:
    """A new row for ``booking`` holding ``seat``."""
    person = booking.traveller
    return BookingRow(
        id=booking.id,
        code=booking.code,
        lab_id=booking.lab_id,
        slot_start=booking.slot_start,
        seat=seat,
        test_kind=booking.test_kind.value,
        status=booking.status.value,
        traveller_ref=person.ref,
        traveller_state=person.home_state,
        foreign=person.foreign,
        family_name=person.family_name,
        given_name=person.given_name,
        family_name_latin=person.family_name_latin,
        given_name_latin=person.given_name_latin,
        birth_date=person.birth_date,
        created_at=booking.created_at,
        cancelled_at=None,
    )


def taken_seats(session: Session, lab_id: str, slot_start: datetime) -> set[int]:
    """The seats of a slot that bookings hold."""
    seats = session.scalars(
        select(BookingRow.seat).where(
            BookingRow.lab_id == lab_id,
            BookingRow.slot_start == slot_start,
            BookingRow.seat.is_not(None),
        )
    )
    return {seat for seat in seats if seat is not None}


def seats_taken_between(
    session: Session, lab_id: str, start: datetime, end: datetime
) -> dict[datetime, int]:
    """Slot start → how many seats are held, for slots in ``[start, end)``."""
    counts: dict[datetime, int] = {}
    rows = session.scalars(
        select(BookingRow.slot_start).where(
            BookingRow.lab_id == lab_id,
            BookingRow.slot_start >= start,
            BookingRow.slot_start < end,
            BookingRow.seat.is_not(None),
        )
    )
    for slot in rows:
        key = aware(slot)
        counts[key] = counts.get(key, 0) + 1
    return counts


def bookings_of_traveller(session: Session, ref: str) -> list[Booking]:
    """A traveller's bookings, the next appointment first."""
    rows = session.scalars(
        select(BookingRow)
        .where(BookingRow.traveller_ref == ref)
        .order_by(BookingRow.slot_start.desc())
    )
    return [booking_of(row) for row in rows]


def bookings_of_lab(session: Session, lab_id: str, start: datetime, end: datetime) -> list[Booking]:
    """A lab's bookings with appointments in ``[start, end)``, in order."""
    rows = session.scalars(
        select(BookingRow)
        .where(
            BookingRow.lab_id == lab_id,
            BookingRow.slot_start >= start,
            BookingRow.slot_start < end,
        )
        .order_by(BookingRow.slot_start, BookingRow.seat)
    )
    return [booking_of(row) for row in rows]


def booking_by_code(session: Session, lab_id: str, code: str) -> Booking | None:
    """The booking with ``code`` at ``lab_id``, if any."""
    row = session.scalar(
        select(BookingRow).where(BookingRow.lab_id == lab_id, BookingRow.code == code)
    )
    return None if row is None else booking_of(row)


def active_bookings_count(session: Session, ref: str, after: datetime) -> int:
    """How many appointments after ``after`` a traveller holds."""
    return len(
        session.scalars(
            select(BookingRow.id).where(
                BookingRow.traveller_ref == ref,
                BookingRow.status == BookingStatus.BOOKED,
                BookingRow.slot_start > after,
            )
        ).all()
    )


# --- results and certificates --------------------------------------------------------------


def result_of(row: ResultRow, certificate_id: str | None) -> TestResult:
    """The result a row holds."""
    return TestResult(
        booking_id=row.booking_id,
        sample_collected_at=aware(row.sample_collected_at),
        detected=row.detected,
        test_kind=TestKind(row.test_kind),
        device=row.device,
        recorded_at=aware(row.recorded_at),
        certificate_id=certificate_id,
    )


def certificate_of(row: CertificateRow) -> Certificate:
    """The certificate a row holds."""
    return Certificate(
        id=row.id,
        booking_id=row.booking_id,
        uvci=row.uvci,
        text=row.text,
        kid=row.kid,
        issued_at=aware(row.issued_at),
        expires_at=aware(row.expires_at),
    )


def get_result(session: Session, booking_id: str) -> TestResult | None:
    """The result recorded for a booking, if any."""
    row = session.get(ResultRow, booking_id)
    if row is None:
        return None
    certificate = certificate_for_booking(session, booking_id)
    return result_of(row, None if certificate is None else certificate.id)


def certificate_for_booking(session: Session, booking_id: str) -> Certificate | None:
    """The certificate issued for a booking, if any."""
    row = session.scalar(select(CertificateRow).where(CertificateRow.booking_id == booking_id))
    return None if row is None else certificate_of(row)


# --- visitors ------------------------------------------------------------------------------


def visitor(session: Session, persistent_id: str, now: datetime) -> Traveller | None:
    """What a visitor's home node asserted, while the visit lasts."""
    row = session.get(VisitorRow, persistent_id)
    if row is None or aware(row.expires_at) <= now:
        return None
    return Traveller(
        ref=row.persistent_id,
        home_state=row.home_state,
        family_name=row.family_name,
        given_name=row.given_name,
        family_name_latin=row.family_name_latin,
        given_name_latin=row.given_name_latin,
        birth_date=row.birth_date,
        foreign=True,
    )


def put_visitor(
    session: Session, traveller: Traveller, *, arrived_at: datetime, expires_at: datetime
) -> None:
    """Keep (or refresh) a visitor's asserted data until ``expires_at``."""
    row = session.get(VisitorRow, traveller.ref) or VisitorRow(persistent_id=traveller.ref)
    row.home_state = traveller.home_state
    row.family_name = traveller.family_name
    row.given_name = traveller.given_name
    row.family_name_latin = traveller.family_name_latin
    row.given_name_latin = traveller.given_name_latin
    row.birth_date = traveller.birth_date
    row.arrived_at = arrived_at
    row.expires_at = expires_at
    session.add(row)


def forget_visitors(session: Session, now: datetime) -> int:
    """Delete what visitors brought once their visit is over; return how many."""
    result = session.execute(delete(VisitorRow).where(VisitorRow.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
