"""Commands of the travel service: what the edges ask the handlers to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from eaeu.services.travel.model import OfferedTest, OpeningPeriod, TestKind, Traveller


@dataclass(frozen=True, slots=True)
class AccreditLab:
    """The health authority accredits a lab (or changes an accredited lab, with ``lab_id``).

    Attributes mirror :class:`~eaeu.services.travel.model.Lab`; ``legal_id`` is validated
    against the rule of the node's state, ``organisation_id`` links the lab to the local
    organisation whose staff record its results.
    """

    name: str
    name_latin: str
    legal_id: str
    licence: str
    address: str
    city_en: str
    city_ru: str
    latitude: float
    longitude: float
    tests: tuple[OfferedTest, ...]
    hours: tuple[OpeningPeriod, ...]
    accredited_from: date
    accredited_until: date
    slot_minutes: int = 15
    seats: int = 2
    organisation_id: str | None = None
    lab_id: str | None = None


@dataclass(frozen=True, slots=True)
class BookSlot:
    """A traveller books a seat in a slot of a lab on this node."""

    lab_id: str
    slot_start: datetime
    test_kind: TestKind
    traveller: Traveller


@dataclass(frozen=True, slots=True)
class RecordResult:
    """A lab records the result of a booked test.

    Attributes:
        booking_id: the booking.
        organisation_id: the organisation of the staff member recording it (must run the lab).
        staff_id: the person recording it.
        sample_collected_at: when the sample was taken.
        detected: whether SARS-CoV-2 was detected.
        test_kind: the test done (one the lab offers).
    """

    booking_id: str
    organisation_id: str
    staff_id: str
    sample_collected_at: datetime
    detected: bool
    test_kind: TestKind
