"""The travel service's domain: accredited labs, slots, bookings and test results.

Only the standard library, :mod:`eaeu.kernel` and the package's errors here. A
:class:`Lab` is public data, replicated to every node of the states taking part in travel
and versioned so that a replica keeps only the newest version it saw. A :class:`Booking`
and its result are personal data and stay on the node of the lab's state.

Times are timezone-aware UTC; a lab's opening hours are wall-clock times in the time zone
of its state (:attr:`Lab.time_zone`), so a slot at 08:00 in Minsk is 05:00 UTC.
"""

# Russian day names and the letter ё are data of this module.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo

from eaeu.kernel.states import MEMBER_STATES
from eaeu.services.travel.errors import LabInvalid

#: The service name in the trust list and in exchange envelopes.
SERVICE: Final = "travel"
#: The trust-list role of a state whose health authority issues certificates.
ISSUER: Final = "issuer"
#: The trust-list role of a state whose officers verify certificates.
VERIFIER: Final = "verifier"
#: The document signer role whose key signs test certificates.
SIGNER_ROLE: Final = "health"

#: Booking codes: no 0/O, 1/I/L or U/V look-alikes, so a code read aloud is not misheard.
CODE_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_LENGTH: Final = 8
CURRENCIES: Final = frozenset({"AMD", "BYN", "KGS", "KZT", "RUB", "USD", "EUR"})
SLOT_MINUTES: Final = (10, 15, 20, 30, 60)
MAX_SEATS: Final = 20
MAX_TURNAROUND_HOURS: Final = 168
#: How many days ahead a traveller may book.
BOOKING_HORIZON_DAYS: Final = 14
# What is wrong with a lab's data, in sentences a health-authority operator reads (the
# portal translates them: keep ``eaeu.web.travel_lab_pages.LAB_PROBLEMS`` in step).
REQUIRED: Final = "Enter this field."
TOO_LONG: Final = "This is too long."
NO_TEST: Final = "Give the price of at least one test."
TEST_TWICE: Final = "Offer each kind of test once."
NO_DEVICE: Final = "A rapid antigen test needs its device id from the EU common list (digits)."
PCR_DEVICE: Final = "A PCR test has no device id."
BAD_PRICE: Final = "The price is a positive amount with at most two decimals."
BAD_CURRENCY: Final = "The currency is not one that the union's labs charge in."
BAD_TURNAROUND: Final = "The time to the result is 1 to 168 hours."
NO_HOURS: Final = "A laboratory is open at least once a week."
BAD_WEEKDAY: Final = "A weekday is 0 (Monday) to 6 (Sunday)."
CLOSES_BEFORE: Final = "A laboratory closes after it opens, on the same day."
NOT_MEMBER: Final = "Not a member state of the union."
NOT_LATIN: Final = "Use Latin letters, digits and punctuation only."
BAD_COORDINATES: Final = "The latitude is -90 to 90 and the longitude -180 to 180."
BAD_SLOT: Final = "An appointment lasts 10, 15, 20, 30 or 60 minutes."
BAD_SEATS: Final = "An appointment takes 1 to 20 people."
ENDS_BEFORE: Final = "The accreditation ends after it starts."
BAD_VERSION: Final = "Versions start at 1."
NOT_ON_LIST: Final = "The device is not on the EU common list."
KG_TIN: Final = "A Kyrgyz organisation's TIN has 14 digits and starts with 0."
LEGAL_ID_FORMAT: Final = "This is not a registration number of an organisation of this state."
LEGAL_ID_CHECK: Final = (
    "The check digit does not match: the number has a typing error or was never issued."
)
#: Every problem :func:`check_lab` reports.
PROBLEMS: Final = (
    REQUIRED, TOO_LONG, NO_TEST, TEST_TWICE, NO_DEVICE, PCR_DEVICE, BAD_PRICE, BAD_CURRENCY,
    BAD_TURNAROUND, NO_HOURS, BAD_WEEKDAY, CLOSES_BEFORE, NOT_MEMBER, NOT_LATIN,
    BAD_COORDINATES, BAD_SLOT, BAD_SEATS, ENDS_BEFORE, BAD_VERSION, NOT_ON_LIST, KG_TIN,
    LEGAL_ID_FORMAT, LEGAL_ID_CHECK,
)  # fmt: skip

_DEVICE = re.compile(r"[0-9]{1,8}", re.ASCII)
_SPACES = re.compile(r"\s+")
_MAX_NAME: Final = 200
_MAX_LATIN: Final = 80
#: Prices are stated to the cent at most (a Decimal exponent of -2).
_PRICE_EXPONENT: Final = -2


class TestKind(StrEnum):
    """A kind of COVID-19 test a lab offers."""

    __test__ = False  # a domain name, not a pytest test class
    PCR = "pcr"
    RAT = "rat"

    @property
    def loinc(self) -> str:
        """The DCC ``tt`` code: LOINC LP6464-4 (NAAT) or LP217198-3 (rapid antigen)."""
        return "LP6464-4" if self is TestKind.PCR else "LP217198-3"


class LabStatus(StrEnum):
    """Where a lab's accreditation stands."""

    ACTIVE = "active"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"


class BookingStatus(StrEnum):
    """Where a booking stands."""

    BOOKED = "booked"
    CANCELLED = "cancelled"
    RESULTED = "resulted"


@dataclass(frozen=True, slots=True)
class OfferedTest:
    """A test a lab offers, at a price.

    Attributes:
        kind: PCR or rapid antigen.
        price: the price, in ``currency`` (two decimals at most).
        currency: ISO 4217 code.
        turnaround_hours: how long until the result, in hours.
        device: the rapid antigen test device id of the EU common list (``ma``); only for RAT.
    """

    kind: TestKind
    price: Decimal
    currency: str
    turnaround_hours: int
    device: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The test as JSON values (the price as a decimal string)."""
        return {
            "kind": self.kind.value,
            "price": str(self.price),
            "currency": self.currency,
            "turnaround_hours": self.turnaround_hours,
            "device": self.device,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OfferedTest:
        """Read a test written by :meth:`to_json`.

        Raises:
            LabInvalid: a value of the wrong type or outside its range.
        """
        try:
            return cls(
                TestKind(data["kind"]),
                Decimal(str(data["price"])),
                str(data["currency"]),
                int(data["turnaround_hours"]),
                None if data.get("device") is None else str(data["device"]),
            )
        except (KeyError, ValueError, TypeError, InvalidOperation):
            raise LabInvalid({"tests": "a test offer cannot be read"}) from None


@dataclass(frozen=True, slots=True)
class OpeningPeriod:
    """A lab is open on ``weekday`` (0 Monday … 6 Sunday) from ``opens`` to ``closes``."""

    weekday: int
    opens: time
    closes: time

    def to_json(self) -> list[Any]:
        """``[weekday, "HH:MM", "HH:MM"]``."""
        return [self.weekday, self.opens.strftime("%H:%M"), self.closes.strftime("%H:%M")]

    @classmethod
    def from_json(cls, data: Sequence[Any]) -> OpeningPeriod:
        """Read a period written by :meth:`to_json`.

        Raises:
            LabInvalid: not ``[weekday, "HH:MM", "HH:MM"]``.
        """
        try:
            weekday, opens, closes = data
            return cls(int(weekday), time.fromisoformat(opens), time.fromisoformat(closes))
        except (ValueError, TypeError):
            raise LabInvalid({"hours": "opening hours cannot be read"}) from None


def parse_hours(text: str) -> tuple[OpeningPeriod, ...]:
    """Read opening hours written as ``Mon-Fri 08:00-18:00; Sat 09:00-13:00``.

    Days are ``Mon`` … ``Sun`` (English) or ``Пн`` … ``Вс`` (Russian), single or as a range;
    several periods are separated by ``;`` or new lines.

    Raises:
        LabInvalid: the text cannot be read (field ``hours``).
    """
    periods: list[OpeningPeriod] = []
    for raw in re.split(r"[;\n]", text):
        part = raw.strip()
        if not part:
            continue
        match = re.fullmatch(r"(\S+)\s+(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})", part)
        if match is None:
            raise LabInvalid({"hours": f"write each period as 'Mon-Fri 08:00-18:00', not {part!r}"})
        days, opens, closes = match.groups()
        try:
            start, end = (time.fromisoformat(t.zfill(5)) for t in (opens, closes))
        except ValueError:
            raise LabInvalid({"hours": f"{opens} or {closes} is not a time of day"}) from None
        first, _, last = days.partition("-")
        begin = _weekday(first)
        finish = _weekday(last) if last else begin
        day = begin
        while True:
            periods.append(OpeningPeriod(day, start, end))
            if day == finish:
                break
            day = (day + 1) % 7
    return tuple(periods)


_DAY_NAMES: Final = (
    ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
    ("пн", "вт", "ср", "чт", "пт", "сб", "вс"),
)


def _weekday(name: str) -> int:
    key = name.strip().lower()[:3].rstrip(".")
    for names in _DAY_NAMES:
        for index, day in enumerate(names):
            if key in (day, day[:2]):
                return index
    raise LabInvalid({"hours": f"{name!r} is not a day of the week (Mon … Sun)"})


def format_hours(periods: Iterable[OpeningPeriod]) -> str:
    """Write opening hours the way :func:`parse_hours` reads them, one period per day."""
    names = _DAY_NAMES[0]
    return "; ".join(
        f"{names[p.weekday].title()} {p.opens:%H:%M}-{p.closes:%H:%M}"
        for p in sorted(periods, key=lambda p: (p.weekday, p.opens))
    )


def search_key(text: str) -> str:
    """Fold a city name for matching: case, accents, ``ё``, hyphens and spaces ignored."""
    folded = unicodedata.normalize("NFKD", text.strip().casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = folded.replace("ё", "е").replace("-", " ")
    return _SPACES.sub(" ", folded).strip()


@dataclass(frozen=True, slots=True)
class Lab:
    """An accredited laboratory, as its state's health authority registered it.

    Attributes:
        id: the lab's id (a UUID, the same on every node).
        state: the accrediting state (ISO 3166-1 alpha-2).
        name: the registered name in the national script.
        name_latin: the name in Latin letters (the certificate's ``tc``; at most 80).
        legal_id_kind, legal_id: the operator's validated registration number.
        licence: the accreditation number.
        address: the street address (national script).
        city_en, city_ru: the city in English and Russian.
        latitude, longitude: WGS 84 coordinates.
        tests: what the lab offers.
        hours: opening hours (wall-clock, in the state's time zone).
        slot_minutes: how long one appointment is.
        seats: how many people one slot takes.
        accredited_from, accredited_until: the accreditation's validity (inclusive days).
        status: ``active``, or ``lapsed``/``withdrawn`` by the health authority.
        version: incremented by each change; replicas keep the highest.
        updated_at: when this version was made.
        organisation_id: the local organisation whose staff run the lab (home node only).
    """

    id: str
    state: str
    name: str
    name_latin: str
    legal_id_kind: str
    legal_id: str
    licence: str
    address: str
    city_en: str
    city_ru: str
    latitude: float
    longitude: float
    tests: tuple[OfferedTest, ...]
    hours: tuple[OpeningPeriod, ...]
    slot_minutes: int
    seats: int
    accredited_from: date
    accredited_until: date
    status: LabStatus = LabStatus.ACTIVE
    version: int = 1
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    organisation_id: str | None = None

    @property
    def time_zone(self) -> ZoneInfo:
        """The time zone of the lab's state (of its capital)."""
        return ZoneInfo(MEMBER_STATES[self.state].time_zone)

    def local_date(self, at: datetime) -> date:
        """The calendar day at the lab at ``at``."""
        return at.astimezone(self.time_zone).date()

    def accredited_at(self, at: datetime) -> bool:
        """Whether the accreditation is in force at ``at`` (active and within its days)."""
        today = self.local_date(at)
        return (
            self.status is LabStatus.ACTIVE
            and self.accredited_from <= today <= self.accredited_until
        )

    def test(self, kind: TestKind) -> OfferedTest | None:
        """The offer of ``kind``, if the lab makes one."""
        return next((t for t in self.tests if t.kind is kind), None)

    def city(self, language: str) -> str:
        """The city in ``language`` (Russian or English)."""
        return self.city_ru if language == "ru" else self.city_en

    def to_json(self) -> dict[str, Any]:
        """The public record, as replicated to other nodes (no local organisation id)."""
        return {
            "id": self.id,
            "state": self.state,
            "name": self.name,
            "name_latin": self.name_latin,
            "legal_id_kind": self.legal_id_kind,
            "legal_id": self.legal_id,
            "licence": self.licence,
            "address": self.address,
            "city_en": self.city_en,
            "city_ru": self.city_ru,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "tests": [t.to_json() for t in self.tests],
            "hours": [p.to_json() for p in self.hours],
            "slot_minutes": self.slot_minutes,
            "seats": self.seats,
            "accredited_from": self.accredited_from.isoformat(),
            "accredited_until": self.accredited_until.isoformat(),
            "status": self.status.value,
            "version": self.version,
            "updated_at": self.updated_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, organisation_id: str | None = None) -> Lab:
        """Read a record written by :meth:`to_json` (from a peer: untrusted).

        Raises:
            LabInvalid: a missing field or a value that cannot be read.
        """
        try:
            lab = cls(
                id=str(data["id"]),
                state=str(data["state"]),
                name=str(data["name"]),
                name_latin=str(data["name_latin"]),
                legal_id_kind=str(data["legal_id_kind"]),
                legal_id=str(data["legal_id"]),
                licence=str(data["licence"]),
                address=str(data["address"]),
                city_en=str(data["city_en"]),
                city_ru=str(data["city_ru"]),
                latitude=float(data["latitude"]),
                longitude=float(data["longitude"]),
                tests=tuple(OfferedTest.from_json(t) for t in data["tests"]),
                hours=tuple(OpeningPeriod.from_json(p) for p in data["hours"]),
                slot_minutes=int(data["slot_minutes"]),
                seats=int(data["seats"]),
                accredited_from=date.fromisoformat(data["accredited_from"]),
                accredited_until=date.fromisoformat(data["accredited_until"]),
                status=LabStatus(data["status"]),
                version=int(data["version"]),
                updated_at=datetime.fromisoformat(data["updated_at"]),
                organisation_id=organisation_id,
            )
        except (KeyError, ValueError, TypeError):
            raise LabInvalid({"record": "the lab record cannot be read"}) from None
        if lab.updated_at.tzinfo is None:
            raise LabInvalid({"updated_at": "the time has no time zone"})
        check_lab(lab)
        return lab


def _check_text(problems: dict[str, str], name: str, value: str, limit: int = _MAX_NAME) -> None:
    if not value.strip():
        problems[name] = REQUIRED
    elif len(value) > limit:
        problems[name] = TOO_LONG


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _check_tests(problems: dict[str, str], tests: Sequence[OfferedTest]) -> None:
    if not tests:
        problems["tests"] = NO_TEST
    kinds = [t.kind for t in tests]
    if len(set(kinds)) != len(kinds):
        problems["tests"] = TEST_TWICE
    for offer in tests:
        key = f"tests.{offer.kind.value}"
        if offer.kind is TestKind.RAT and not (offer.device and _DEVICE.fullmatch(offer.device)):
            problems[key] = NO_DEVICE
        elif offer.kind is TestKind.PCR and offer.device is not None:
            problems[key] = PCR_DEVICE
        elif offer.price <= 0 or _exponent(offer.price) < _PRICE_EXPONENT:
            problems[key] = BAD_PRICE
        elif offer.currency not in CURRENCIES:
            problems[key] = BAD_CURRENCY
        elif not 1 <= offer.turnaround_hours <= MAX_TURNAROUND_HOURS:
            problems[key] = BAD_TURNAROUND


def _check_hours(problems: dict[str, str], hours: Sequence[OpeningPeriod]) -> None:
    if not hours:
        problems["hours"] = NO_HOURS
    for period in hours:
        if not 0 <= period.weekday <= 6:  # noqa: PLR2004 - Sunday
            problems["hours"] = BAD_WEEKDAY
        elif period.opens >= period.closes:
            problems["hours"] = CLOSES_BEFORE


def check_lab(lab: Lab) -> None:
    """Return if ``lab`` keeps every rule of the registry.

    The legal identifier is checked against its state's rule where the lab is registered
    (:func:`eaeu.services.travel.labs.validate_legal_id`), not here: the model knows no
    national registries.

    Raises:
        LabInvalid: every broken rule, by field.
    """
    problems: dict[str, str] = {}
    if lab.state not in MEMBER_STATES:
        problems["state"] = NOT_MEMBER
    _check_text(problems, "name", lab.name)
    _check_text(problems, "name_latin", lab.name_latin, _MAX_LATIN)
    if lab.name_latin.strip() and not lab.name_latin.isascii():
        problems["name_latin"] = NOT_LATIN
    _check_text(problems, "licence", lab.licence, 64)
    _check_text(problems, "address", lab.address)
    _check_text(problems, "city_en", lab.city_en, 100)
    _check_text(problems, "city_ru", lab.city_ru, 100)
    if not (-90 <= lab.latitude <= 90 and -180 <= lab.longitude <= 180):  # noqa: PLR2004
        problems["coordinates"] = BAD_COORDINATES
    _check_tests(problems, lab.tests)
    _check_hours(problems, lab.hours)
    if lab.slot_minutes not in SLOT_MINUTES:
        problems["slot_minutes"] = BAD_SLOT
    if not 1 <= lab.seats <= MAX_SEATS:
        problems["seats"] = BAD_SEATS
    if lab.accredited_until < lab.accredited_from:
        problems["accredited_until"] = ENDS_BEFORE
    if lab.version < 1:
        problems["version"] = BAD_VERSION
    if problems:
        raise LabInvalid(problems)


# --- slots and bookings --------------------------------------------------------------------


def slot_starts(lab: Lab, day: date) -> list[datetime]:
    """Return the start times (UTC) of ``lab``'s appointments on ``day`` (the lab's calendar).

    Slots follow the opening hours; a slot that would run past closing time is not offered.
    """
    zone = lab.time_zone
    step = timedelta(minutes=lab.slot_minutes)
    starts: list[datetime] = []
    for period in sorted(lab.hours, key=lambda p: p.opens):
        if period.weekday != day.weekday():
            continue
        start = datetime.combine(day, period.opens, zone)
        end = datetime.combine(day, period.closes, zone)
        while start + step <= end:
            starts.append(start.astimezone(UTC))
            start += step
    return sorted(set(starts))


def bookable_days(lab: Lab, now: datetime, days: int = BOOKING_HORIZON_DAYS) -> list[date]:
    """The days from today (at the lab) on which ``lab`` has appointments."""
    today = lab.local_date(now)
    open_days = {p.weekday for p in lab.hours}
    return [
        today + timedelta(days=i)
        for i in range(days)
        if (today + timedelta(days=i)).weekday() in open_days
    ]


def new_booking_code(token_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """Return a random booking code of :data:`CODE_LENGTH` characters of :data:`CODE_ALPHABET`.

    Args:
        token_bytes: the randomness source (injected in tests).
    """
    value = int.from_bytes(token_bytes(16), "big")
    chars = []
    for _ in range(CODE_LENGTH):
        value, digit = divmod(value, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[digit])
    return "".join(chars)


def format_code(code: str) -> str:
    """Show a code in two groups of four: ``K7QM-4TXR``."""
    return f"{code[:4]}-{code[4:]}"


def normalise_code(text: str) -> str | None:
    """Return the code a person typed (any case, spaces or hyphens), or ``None`` if impossible."""
    code = re.sub(r"[\s-]", "", text).upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


@dataclass(frozen=True, slots=True)
class Traveller:
    """The person a booking is for, as the certificate names them.

    Attributes:
        ref: the local person id, or a visitor's persistent id ``<HOME>/<HERE>/<opaque>``.
        home_state: the person's home state.
        family_name, given_name: names in the original script.
        family_name_latin, given_name_latin: ICAO 9303 transliteration.
        birth_date: ``YYYY-MM-DD``.
        foreign: a visitor admitted by their home node's identity assertion.
    """

    ref: str
    home_state: str
    family_name: str
    given_name: str
    family_name_latin: str
    given_name_latin: str
    birth_date: str
    foreign: bool = False

    def __repr__(self) -> str:
        # Names and birth dates are personal data: never in a repr that may reach a log.
        return f"Traveller(home_state={self.home_state!r}, foreign={self.foreign!r})"


@dataclass(frozen=True, slots=True)
class Booking:
    """A booked appointment at a lab.

    Attributes:
        id: the booking's id.
        code: the booking code the traveller shows at the lab.
        lab_id: the lab.
        slot_start: the appointment (UTC).
        test_kind: the test booked.
        status: booked, cancelled, or resulted.
        traveller: who it is for.
        created_at: when it was booked.
        cancelled_at: when it was cancelled, if it was.
    """

    id: str
    code: str
    lab_id: str
    slot_start: datetime
    test_kind: TestKind
    status: BookingStatus
    traveller: Traveller = field(repr=False)
    created_at: datetime
    cancelled_at: datetime | None = None

    @property
    def display_code(self) -> str:
        """The code in two groups (``K7QM-4TXR``)."""
        return format_code(self.code)


@dataclass(frozen=True, slots=True)
class TestResult:
    """A result a lab recorded for a booking.

    Attributes:
        booking_id: the booking.
        sample_collected_at: when the sample was taken.
        detected: whether SARS-CoV-2 was detected.
        test_kind: the test done.
        device: the RAT device id (``ma``), for a rapid antigen test.
        recorded_at: when it was recorded.
        certificate_id: the certificate issued for a negative result, if any.
    """

    __test__ = False  # a domain name, not a pytest test class
    booking_id: str
    sample_collected_at: datetime
    detected: bool
    test_kind: TestKind
    device: str | None
    recorded_at: datetime
    certificate_id: str | None = None


@dataclass(frozen=True, slots=True)
class Certificate:
    """A test certificate this node's health authority issued.

    Attributes:
        id: the certificate's id.
        booking_id: the booking it certifies.
        uvci: the unique certificate identifier.
        text: the ``HC1:`` text of the QR code.
        kid: the signer's key id, hex.
        issued_at, expires_at: the CWT ``iat`` and ``exp``.
    """

    id: str
    booking_id: str
    uvci: str
    text: str = field(repr=False)
    kid: str
    issued_at: datetime
    expires_at: datetime


__all__ = [
    "BOOKING_HORIZON_DAYS",
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "CURRENCIES",
    "ISSUER",
    "PROBLEMS",
    "SERVICE",
    "SIGNER_ROLE",
    "VERIFIER",
    "Booking",
    "BookingStatus",
    "Certificate",
    "Lab",
    "LabStatus",
    "OfferedTest",
    "OpeningPeriod",
    "TestKind",
    "TestResult",
    "Traveller",
    "bookable_days",
    "check_lab",
    "format_code",
    "format_hours",
    "new_booking_code",
    "normalise_code",
    "parse_hours",
    "search_key",
    "slot_starts",
]
