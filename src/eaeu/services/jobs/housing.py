"""Housing for the move: places to live, and stays that can never be booked twice.

Landlords (role ``landlord``) and employers with a dormitory (role ``employer``) of the
destination state list places on their own node: city, address, how many people it sleeps,
price per month and the dates it is available. The list is not replicated: the worker's home
node asks the destination's node (``jobs.housing.places``, public, synchronous) with the
dates wanted, and the answer says how many beds are free for every night of them.

Booking is the person's consented request (``jobs.housing.book``, purpose
``housing.rental``, the consent naming the place's owner) with the minimum data. A stay takes
one bed for every night from check-in to the night before check-out, one row per bed and
night in ``jobs_housing_nights``, whose primary key (place, night, bed) no two stays can
share. Before it picks a bed, a booking takes the place's row for writing (an ``UPDATE`` of
the place as its first statement), so bookings of one place queue on PostgreSQL's row lock
and SQLite's write lock alike, and each sees the nights the previous one took; the key is
the last word if anything slips past. The answer is the stay signed by the destination's
node (``eaeu-jobs-booking+jws``) with the address at which the host registers the person.
"""

# Demonstration addresses and descriptions in Russian are data of this module.
# ruff: noqa: RUF001

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from eaeu.consent.handlers import ConsentRequest
from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.node import Handler, Incoming
from eaeu.identity.accounts import Accounts
from eaeu.identity.model import Organisation
from eaeu.kernel.ids import uuid7
from eaeu.kernel.log import get_logger
from eaeu.kernel.states import MEMBER_STATES
from eaeu.services.jobs import attestations
from eaeu.services.jobs.context import SERVICE, JobsContext
from eaeu.services.jobs.insurance import reference_of
from eaeu.services.jobs.move_errors import (
    AttestationRefused,
    HeldNotFound,
    HousingFull,
    MoveError,
    PlaceInvalid,
    PlaceNotFound,
    StayInvalid,
)
from eaeu.services.jobs.move_exchange import ask, exchange_of, payload_of, refused, require_receiver
from eaeu.services.jobs.move_model import MinimumData, Mover, aware, fold, parse_date
from eaeu.services.jobs.move_orm import HeldBookingRow, NightRow, PlaceRow, StayRow

log = get_logger("eaeu.jobs")

PLACES: Final = "jobs.housing.places"
BOOK: Final = "jobs.housing.book"
PURPOSE: Final = "housing.rental"
RENTAL: Final = "rental"
DORMITORY: Final = "dormitory"
KINDS: Final = (RENTAL, DORMITORY)
#: The longest stay booked at once (a year and a day).
MAX_NIGHTS: Final = 366
#: How far ahead a stay may start.
HORIZON: Final = timedelta(days=730)
#: How long the owner may keep the guest's data (the stay, and the registration after it).
DATA_LIFE_DAYS: Final = 1095
_MAX_CAPACITY: Final = 500
_MAX_PRICE: Final = 100_000_000
DEMO_NAMESPACE: Final = uuid.UUID("5b3a0f7e-2d41-4c86-8f0e-9a7d1c2b3e44")


@dataclass(frozen=True, slots=True)
class NewPlace:
    """A place as its owner enters it (the *list place* command)."""

    city: str
    address: str
    capacity: int
    price_month: int
    currency: str
    available_from: date
    available_until: date
    description: str = ""


@dataclass(frozen=True, slots=True)
class Place:
    """A place to live in ``state``; ``free`` is the beds free for the dates asked, if any."""

    id: str
    state: str
    owner_ref: str
    owner_name: str
    kind: str
    city: str
    address: str
    capacity: int
    price_month: int
    currency: str
    available_from: date
    available_until: date
    description: str
    active: bool = True
    free: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The place as the catalogue answers with it."""
        return {
            "id": self.id,
            "state": self.state,
            "owner_ref": self.owner_ref,
            "owner_name": self.owner_name,
            "kind": self.kind,
            "city": self.city,
            "address": self.address,
            "capacity": self.capacity,
            "price_month": self.price_month,
            "currency": self.currency,
            "available_from": self.available_from.isoformat(),
            "available_until": self.available_until.isoformat(),
            "description": self.description,
            "free": self.free,
        }

    @classmethod
    def from_json(cls, data: Any) -> Place:
        """Read a place a destination's node sent.

        Raises:
            ValueError: a field is missing or of the wrong type.
        """
        if not isinstance(data, dict):
            msg = "a place is an object"
            raise ValueError(msg)  # noqa: TRY004 - one error type for every malformed field
        names = ("id", "state", "owner_ref", "owner_name", "kind", "city", "address",
                 "currency", "description")  # fmt: skip
        text = {k: data.get(k) for k in names}
        numbers = {k: data.get(k) for k in ("capacity", "price_month")}
        free = data.get("free")
        if not all(isinstance(v, str) for v in text.values()):
            msg = "a text field is missing"
            raise ValueError(msg)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in numbers.values()):
            msg = "a number field is missing"
            raise ValueError(msg)
        if free is not None and not isinstance(free, int):
            msg = "free beds"
            raise ValueError(msg)
        return cls(
            **text,  # type: ignore[arg-type]
            **numbers,  # type: ignore[arg-type]
            available_from=parse_date(data.get("available_from")),
            available_until=parse_date(data.get("available_until")),
            free=free,
        )


@dataclass(frozen=True, slots=True)
class Stay:
    """A stay booked at a place of this state (the owner's view)."""

    id: str
    place_id: str
    bed: int
    check_in: date
    check_out: date
    guest: MinimumData
    guest_state: str
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class HeldBooking:
    """A stay a person of this node booked in another state, signed by that state's node."""

    id: str
    destination: str
    place_id: str
    kind: str
    owner_ref: str
    owner_name: str
    city: str
    address: str
    check_in: date
    check_out: date
    price_month: int
    currency: str
    document: str
    received_at: datetime


class Housing:
    """Housing places and bookings without double booking, on both sides of the border."""

    def __init__(self, ctx: JobsContext) -> None:
        self.ctx = ctx

    def __repr__(self) -> str:
        return f"Housing(state={self.ctx.state!r})"

    # -- the owner's side (this node's state is the destination) ---------------------------
    def list_place(
        self, owner: Organisation, kind: str, new: NewPlace, *, place_id: str | None = None
    ) -> Place:
        """List a place of ``owner`` (a landlord, or an employer's dormitory).

        Raises:
            PlaceInvalid: a field breaks a rule (every problem, by field).
        """
        check_place(new, kind, self.ctx.state)
        now = self.ctx.clock.now()
        row = PlaceRow(
            id=place_id or str(uuid7()),
            owner_ref=reference_of(owner),
            owner_org_id=owner.id,
            owner_name=owner.name,
            kind=kind,
            city=new.city.strip(),
            city_key=fold(new.city),
            address=new.address.strip(),
            capacity=new.capacity,
            price_month=new.price_month,
            currency=new.currency.upper(),
            available_from=new.available_from,
            available_until=new.available_until,
            description=new.description.strip(),
            active=True,
            created_at=now,
            updated_at=now,
        )
        with self.ctx.uow() as uow:
            uow.session.add(row)
            uow.commit()
            place = self._place(row)
        log.info("jobs.housing.listed", place=place.id, kind=kind)
        return place

    def withdraw(self, place_id: str, *, owner_org_id: str) -> None:
        """Stop taking bookings for a place (stays booked are kept).

        Raises:
            PlaceNotFound: the owner has no such place.
        """
        with self.ctx.uow() as uow:
            row = uow.session.get(PlaceRow, place_id)
            if row is None or row.owner_org_id != owner_org_id:
                raise PlaceNotFound("Your organisation has no place with this id.")
            row.active, row.updated_at = False, self.ctx.clock.now()
            uow.commit()
        log.info("jobs.housing.withdrawn", place=place_id)

    def places_of(self, owner_org_id: str) -> list[Place]:
        """An owner's places, listed or not, newest first."""
        with self.ctx.uow() as uow:
            rows = uow.session.scalars(
                select(PlaceRow)
                .where(PlaceRow.owner_org_id == owner_org_id)
                .order_by(PlaceRow.created_at.desc(), PlaceRow.id)
            )
            return [self._place(row) for row in rows]

    def stays_of(self, owner_org_id: str) -> list[Stay]:
        """The stays booked at an owner's places, the next check-in first."""
        with self.ctx.uow() as uow:
            rows = uow.session.scalars(
                select(StayRow)
                .join(PlaceRow, PlaceRow.id == StayRow.place_id)
                .where(PlaceRow.owner_org_id == owner_org_id)
                .order_by(StayRow.check_in, StayRow.id)
            )
            return [_stay(row) for row in rows]

    def search(self, *, city: str | None, check_in: date, check_out: date) -> list[Place]:
        """The listed places of this state in ``city`` (any, if ``None``) with free beds counted.

        Raises:
            StayInvalid: the dates cannot be booked.
        """
        self._check_dates(check_in, check_out)
        with self.ctx.uow() as uow:
            query = select(PlaceRow).where(
                PlaceRow.active.is_(True),
                PlaceRow.available_from <= check_in,
                PlaceRow.available_until >= check_out - timedelta(days=1),
            )
            if city:
                query = query.where(PlaceRow.city_key.startswith(fold(city), autoescape=True))
            rows = list(uow.session.scalars(query.order_by(PlaceRow.price_month, PlaceRow.id)))
            taken = dict(
                uow.session.execute(
                    select(NightRow.place_id, func.count(func.distinct(NightRow.bed)))
                    .where(
                        NightRow.place_id.in_([row.id for row in rows]),
                        NightRow.night >= check_in,
                        NightRow.night < check_out,
                    )
                    .group_by(NightRow.place_id)
                ).all()
            )
            return [
                self._place(row, free=max(row.capacity - int(taken.get(row.id, 0)), 0))
                for row in rows
            ]

    def reserve(
        self,
        session: Session,
        *,
        place_id: str,
        guest: MinimumData,
        guest_state: str,
        check_in: date,
        check_out: date,
        receiver: str | None = None,
        consent_id: str | None = None,
    ) -> tuple[Stay, str]:
        """Take a free bed for every night of a stay, in the caller's transaction.

        The first statement takes the place's row for writing, so that concurrent bookings
        of one place run one after the other (see the module's docstring).

        Returns:
            The stay, and its booking confirmation signed by this node.

        Raises:
            PlaceNotFound: no such listed place.
            StayInvalid: dates in the past, reversed, too long or outside availability.
            HousingFull: no bed is free for every night.
            MoveError: ``jobs.consent_receiver`` — the consent names another receiver.
        """
        locked = session.execute(
            update(PlaceRow)
            .where(PlaceRow.id == place_id, PlaceRow.active.is_(True))
            .values(updated_at=PlaceRow.updated_at)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(locked, "rowcount", 0) or 0) != 1:
            raise PlaceNotFound("This place is not listed.")
        row = session.scalars(
            select(PlaceRow)
            .where(PlaceRow.id == place_id)
            .execution_options(populate_existing=True)
        ).one()
        if receiver is not None and receiver != row.owner_ref:
            raise MoveError(
                "The consent names another organisation than this place's owner.",
                reason="jobs.consent_receiver",
            )
        self._check_dates(check_in, check_out)
        if check_in < row.available_from or check_out - timedelta(days=1) > row.available_until:
            raise StayInvalid(
                "The place is not available for all of these dates.", reason="jobs.stay_unavailable"
            )
        taken = set(
            session.scalars(
                select(NightRow.bed).where(
                    NightRow.place_id == place_id,
                    NightRow.night >= check_in,
                    NightRow.night < check_out,
                )
            )
        )
        free = [bed for bed in range(1, row.capacity + 1) if bed not in taken]
        if not free:
            raise HousingFull("Every bed of this place is taken for some of these nights.")
        now = self.ctx.clock.now()
        stay = Stay(
            id=str(uuid7()),
            place_id=place_id,
            bed=free[0],
            check_in=check_in,
            check_out=check_out,
            guest=guest,
            guest_state=guest_state,
            status="booked",
            created_at=now,
        )
        place = self._place(row)
        document = attestations.sign(
            attestations.BOOKING,
            {
                "jti": stay.id,
                "place": {
                    "id": place.id,
                    "kind": place.kind,
                    "city": place.city,
                    "address": place.address,
                    "price_month": place.price_month,
                    "currency": place.currency,
                },
                "host": {"ref": place.owner_ref, "name": place.owner_name},
                "guest": guest.to_json(),
                "bed": stay.bed,
                "check_in": check_in.isoformat(),
                "check_out": check_out.isoformat(),
            },
            exchange_of(self.ctx).signer,
            issuer=self.ctx.state,
            at=now,
        )
        session.add(
            StayRow(
                id=stay.id,
                place_id=place_id,
                bed=stay.bed,
                check_in=check_in,
                check_out=check_out,
                guest_state=guest_state,
                family_name_latin=guest.family_name_latin,
                given_name_latin=guest.given_name_latin,
                birth_date=guest.birth_date,
                nationality=guest.nationality,
                consent_id=consent_id,
                status="booked",
                document=document,
                created_at=now,
            )
        )
        session.flush()
        nights = (check_out - check_in).days
        session.add_all(
            NightRow(
                place_id=place_id,
                night=check_in + timedelta(days=n),
                bed=stay.bed,
                booking_id=stay.id,
            )
            for n in range(nights)
        )
        session.flush()
        log.info("jobs.housing.booked", booking=stay.id, place=place_id, nights=nights)
        return stay, document

    def book_here(
        self,
        *,
        place_id: str,
        guest: MinimumData,
        guest_state: str,
        check_in: date,
        check_out: date,
    ) -> tuple[Stay, str]:
        """Book a stay in a transaction of its own (a local booking, and the tests' way in).

        Raises:
            PlaceNotFound, StayInvalid, HousingFull: see :meth:`reserve`.
        """
        with self.ctx.uow() as uow:
            made = self.reserve(
                uow.session,
                place_id=place_id,
                guest=guest,
                guest_state=guest_state,
                check_in=check_in,
                check_out=check_out,
            )
            uow.commit()
        return made

    def _check_dates(self, check_in: date, check_out: date) -> None:
        today = self.ctx.clock.now().date()
        if check_in < today or check_in > today + HORIZON:
            raise StayInvalid(
                "A stay starts from today up to two years ahead.", reason="jobs.stay_dates"
            )
        if not 1 <= (check_out - check_in).days <= MAX_NIGHTS:
            raise StayInvalid(
                f"A stay is 1 to {MAX_NIGHTS} nights, check-out after check-in.",
                reason="jobs.stay_dates",
            )

    # -- the worker's side (this node is the person's home) --------------------------------
    def places(
        self, destination: str, *, city: str | None, check_in: date, check_out: date
    ) -> list[Place]:
        """The places of ``destination`` free for the dates, asked from its node now.

        Raises:
            PeerNotAnswering: the destination's node did not answer.
            MessageRefused: it refused (``jobs.stay_dates``…).
        """
        delivered = ask(
            self.ctx,
            destination,
            PLACES,
            {"city": city, "check_in": check_in.isoformat(), "check_out": check_out.isoformat()},
        )
        answer = delivered.response if isinstance(delivered.response, dict) else {}
        found: list[Place] = []
        for record in answer.get("places") or []:
            try:
                place = Place.from_json(record)
            except ValueError:
                log.warning("jobs.housing.place_unreadable", peer=destination)
                continue
            if place.state == destination:
                found.append(place)
        return found

    def place(self, destination: str, place_id: str, *, check_in: date, check_out: date) -> Place:
        """One place of ``destination``, with its free beds for the dates.

        Raises:
            PlaceNotFound: not listed there, or not available for the dates.
            PeerNotAnswering: the destination's node did not answer.
        """
        for place in self.places(destination, city=None, check_in=check_in, check_out=check_out):
            if place.id == place_id:
                return place
        raise PlaceNotFound("This place is not listed for these dates.")

    def consent_request(self, place: Place, *, now: datetime | None = None) -> ConsentRequest:
        """What the person is asked to consent to before booking ``place``."""
        moment = (now or self.ctx.clock.now()).replace(microsecond=0)
        return ConsentRequest(
            requester_state=place.state,
            requester_organisation=place.owner_ref,
            requester_organisation_name=place.owner_name,
            requester_service=SERVICE,
            purpose=PURPOSE,
            categories=("identity",),
            valid_until=moment + timedelta(days=1),
            data_life_days=DATA_LIFE_DAYS,
        )

    def book(
        self, mover: Mover, place: Place, *, check_in: date, check_out: date, consent: str | None
    ) -> HeldBooking:
        """Book a stay at ``place`` for ``mover`` under their consent; keep the confirmation.

        Raises:
            MessageRefused: the consent does not cover it (``consent.*``, refused here
                before anything leaves) or the destination refused (``jobs.housing_full``,
                ``jobs.stay_dates``…).
            PeerNotAnswering: the destination's node did not answer.
            AttestationRefused: the answer is not a booking signed by the destination's node
                for what was asked.
        """
        delivered = ask(
            self.ctx,
            place.state,
            BOOK,
            {
                "place_id": place.id,
                "check_in": check_in.isoformat(),
                "check_out": check_out.isoformat(),
                "guest": mover.data.to_json(),
            },
            consent=consent,
            purpose=PURPOSE,
        )
        answer = delivered.response if isinstance(delivered.response, dict) else {}
        token = str(answer.get("booking"))
        claims = attestations.verify(
            token, attestations.BOOKING, self.ctx.trust(), issuer=place.state
        )
        signed_place = claims.get("place")
        if (
            claims.get("guest") != mover.data.to_json()
            or not isinstance(signed_place, dict)
            or signed_place.get("id") != place.id
            or claims.get("check_in") != check_in.isoformat()
            or claims.get("check_out") != check_out.isoformat()
            or not isinstance(signed_place.get("address"), str)
        ):
            raise AttestationRefused(
                "The booking returned is not for what was asked.",
                reason="jobs.attestation_content",
            )
        held = HeldBooking(
            id=str(claims["jti"]),
            destination=place.state,
            place_id=place.id,
            kind=place.kind,
            owner_ref=place.owner_ref,
            owner_name=place.owner_name,
            city=str(signed_place.get("city", place.city)),
            address=signed_place["address"],
            check_in=check_in,
            check_out=check_out,
            price_month=place.price_month,
            currency=place.currency,
            document=token,
            received_at=self.ctx.clock.now(),
        )
        with self.ctx.uow() as uow:
            uow.session.add(
                HeldBookingRow(
                    id=held.id,
                    person_id=mover.person_id,
                    destination=held.destination,
                    place_id=held.place_id,
                    kind=held.kind,
                    owner_ref=held.owner_ref,
                    owner_name=held.owner_name,
                    city=held.city,
                    address=held.address,
                    check_in=held.check_in,
                    check_out=held.check_out,
                    price_month=held.price_month,
                    currency=held.currency,
                    document=held.document,
                    message_id=delivered.message_id,
                    received_at=held.received_at,
                )
            )
            uow.commit()
        log.info("jobs.housing.held", booking=held.id, destination=held.destination)
        return held

    def held(self, person_id: str) -> list[HeldBooking]:
        """The stays a person of this node booked, the latest check-in first."""
        with self.ctx.uow() as uow:
            rows = uow.session.scalars(
                select(HeldBookingRow)
                .where(HeldBookingRow.person_id == person_id)
                .order_by(HeldBookingRow.check_in.desc(), HeldBookingRow.id)
            )
            return [_held(row) for row in rows]

    def held_booking(self, person_id: str, booking_id: str) -> HeldBooking:
        """One booking of the person.

        Raises:
            HeldNotFound: they hold no booking with this id (``jobs.booking_not_found``).
        """
        with self.ctx.uow() as uow:
            row = uow.session.get(HeldBookingRow, booking_id)
            if row is None or row.person_id != person_id:
                raise HeldNotFound(
                    "You hold no booking with this number.", reason="jobs.booking_not_found"
                )
            return _held(row)

    def verify(self, document: str) -> dict[str, Any]:
        """Verify a booking confirmation against the union trust list; return its claims.

        Raises:
            AttestationRefused: it does not verify.
        """
        return attestations.verify(document, attestations.BOOKING, self.ctx.trust())

    # -- exchange ----------------------------------------------------------------------------
    def handlers(self) -> dict[str, Handler]:
        """The exchange handlers of this part (message type → handler)."""
        return {PLACES: self._on_places, BOOK: self._on_book}

    def _on_places(self, incoming: Incoming) -> dict[str, Any]:
        payload = payload_of(incoming)
        city = payload.get("city")
        try:
            check_in = parse_date(payload.get("check_in"))
            check_out = parse_date(payload.get("check_out"))
        except ValueError:
            raise MessageRefused(
                "the dates of the stay are malformed", reason="exchange.malformed"
            ) from None
        try:
            found = self.search(
                city=city[:100] if isinstance(city, str) and city.strip() else None,
                check_in=check_in,
                check_out=check_out,
            )
        except MoveError as exc:
            raise refused(exc) from None
        return {"places": [place.to_json() for place in found]}

    def _on_book(self, incoming: Incoming) -> dict[str, Any]:
        payload = payload_of(incoming)
        place_id = payload.get("place_id")
        try:
            guest = MinimumData.from_json(payload.get("guest"))
            check_in = parse_date(payload.get("check_in"))
            check_out = parse_date(payload.get("check_out"))
        except ValueError as exc:
            raise MessageRefused(
                f"the request is malformed ({exc})", reason="exchange.malformed"
            ) from None
        row = incoming.session.get(PlaceRow, place_id) if isinstance(place_id, str) else None
        if row is None:
            raise MessageRefused("this place is not listed", reason="jobs.place_not_found")
        consent_id = require_receiver(incoming, row.owner_ref)
        try:
            _, document = self.reserve(
                incoming.session,
                place_id=row.id,
                guest=guest,
                guest_state=incoming.sender_state,
                check_in=check_in,
                check_out=check_out,
                receiver=row.owner_ref,
                consent_id=consent_id,
            )
        except MoveError as exc:
            raise refused(exc) from None
        return {"booking": document}

    # -- demonstration data ------------------------------------------------------------------
    def seed_demo(self) -> None:
        """List the demonstration places of this state's landlord and employer (idempotent)."""
        from eaeu.identity.seed import ORGANISATIONS  # noqa: PLC0415 - development only

        accounts = Accounts(self.ctx.uow, self.ctx.clock)
        today = self.ctx.clock.now().date()
        currency = MEMBER_STATES[self.ctx.state].currency
        for demo in ORGANISATIONS.get(self.ctx.state, ()):
            owner = accounts.organisation_by_legal_id(demo.legal_id)
            if owner is None or demo.kind not in {"landlord", "employer"}:
                continue
            for key, kind, new in demo_places(self.ctx.state, demo.kind, currency, today):
                place_id = str(uuid.uuid5(DEMO_NAMESPACE, f"{self.ctx.state}/{key}"))
                if not self._refresh_demo(place_id, new):
                    self.list_place(owner, kind, new, place_id=place_id)

    def _refresh_demo(self, place_id: str, new: NewPlace) -> bool:
        """Bring a demonstration place seeded earlier up to date; ``False`` if there is none.

        Only the text and the price change (an earlier seed may have had them in Latin
        letters, or a price for the free dormitory); the dates and the stays are kept.
        """
        with self.ctx.uow() as uow:
            row = uow.session.get(PlaceRow, place_id)
            if row is None:
                return False
            wanted = {
                "city": new.city,
                "city_key": fold(new.city),
                "address": new.address,
                "description": new.description,
                "price_month": new.price_month,
            }
            if any(getattr(row, name) != value for name, value in wanted.items()):
                for name, value in wanted.items():
                    setattr(row, name, value)
                row.updated_at = self.ctx.clock.now()
                uow.commit()
                log.info("jobs.housing.demo_refreshed", place=place_id)
        return True

    def _place(self, row: PlaceRow, *, free: int | None = None) -> Place:
        return Place(
            id=row.id,
            state=self.ctx.state,
            owner_ref=row.owner_ref,
            owner_name=row.owner_name,
            kind=row.kind,
            city=row.city,
            address=row.address,
            capacity=row.capacity,
            price_month=row.price_month,
            currency=row.currency,
            available_from=row.available_from,
            available_until=row.available_until,
            description=row.description,
            active=row.active,
            free=free,
        )


def check_place(new: NewPlace, kind: str, state: str) -> None:
    """Return if a place can be listed in ``state``.

    Raises:
        PlaceInvalid: every problem, by field.
    """
    problems: dict[str, str] = {}
    if kind not in KINDS:
        problems["kind"] = "A place is let by a landlord or is an employer's dormitory."
    if not new.city.strip() or len(new.city.strip()) > 100:  # noqa: PLR2004 - the column's size
        problems["city"] = "Give the city (at most 100 characters)."
    if not new.address.strip() or len(new.address.strip()) > 300:  # noqa: PLR2004
        problems["address"] = (
            "Give the full address used for registration (at most 300 characters)."
        )
    if not 1 <= new.capacity <= _MAX_CAPACITY:
        problems["capacity"] = f"A place sleeps 1 to {_MAX_CAPACITY} people."
    if not 0 <= new.price_month <= _MAX_PRICE:
        problems["price_month"] = "Give the price per month (0 for a free dormitory)."
    if new.currency.upper() != MEMBER_STATES[state].currency:
        problems["currency"] = f"Places here are priced in {MEMBER_STATES[state].currency}."
    if new.available_until < new.available_from:
        problems["available_until"] = "The place must be available until a day after it is from."
    if len(new.description) > 2000:  # noqa: PLR2004
        problems["description"] = "The description is at most 2000 characters."
    if problems:
        raise PlaceInvalid(problems)


#: The demonstration places' city and address, in the language the host registers a
#: guest in (Russian in every state: it is an official language of four and the language
#: of the union's documents; Armenian hosts register in Armenian or Russian).
_DEMO_ADDRESSES: Final = {
    "RU": {
        "landlord": ("Новосибирск", "г. Новосибирск, Красный проспект, д. 25, кв. 14"),
        "rooms": ("Новосибирск", "г. Новосибирск, ул. Ленина, д. 12, комнаты 3–6"),
        "employer": ("Москва", "г. Москва, Нагатинская ул., д. 16, корп. 2 (общежитие)"),
    },
    "KZ": {
        "landlord": ("Астана", "г. Астана, пр. Кабанбай батыра, д. 11, кв. 40"),
        "rooms": ("Астана", "г. Астана, пр. Республики, д. 24, комнаты 1–4"),
        "employer": ("Алматы", "г. Алматы, ул. Толе би, д. 101 (общежитие)"),
    },
    "BY": {
        "landlord": ("Гродно", "г. Гродно, ул. Советская, д. 8, кв. 3"),
        "rooms": ("Гродно", "г. Гродно, ул. Гагарина, д. 5, комнаты 2–5"),
        "employer": ("Минск", "г. Минск, ул. Кальварийская, д. 42 (общежитие)"),
    },
    "AM": {
        "landlord": ("Гюмри", "г. Гюмри, ул. Руставели, д. 7, кв. 12"),
        "rooms": ("Гюмри", "г. Гюмри, ул. Абовяна, д. 30, комнаты 1–3"),
        "employer": ("Ереван", "г. Ереван, пр. Тиграна Меца, д. 49 (общежитие)"),
    },
    "KG": {
        "landlord": ("Бишкек", "г. Бишкек, пр. Чуй, д. 120, кв. 9"),
        "rooms": ("Бишкек", "г. Бишкек, пр. Манаса, д. 40, комнаты 1–4"),
        "employer": ("Бишкек", "г. Бишкек, ул. Жибек Жолу, д. 300 (общежитие)"),
    },
}
#: The demonstration places' descriptions (a place has one description: in Russian here).
_DEMO_DESCRIPTIONS: Final = {
    "employer": (
        "Общежитие работодателя для его работников, бесплатно: места в комнатах на четверых, "
        "кухня на каждом этаже, 15 минут до места работы."
    ),
    "landlord": "Квартира на двоих рядом с остановкой общественного транспорта.",
    "rooms": "Комнаты в общей квартире, по одному месту в каждой.",
}


def demo_places(
    state: str, role: str, currency: str, today: date
) -> list[tuple[str, str, NewPlace]]:
    """The demonstration places of ``state``'s landlord or employer: ``(key, kind, place)``.

    The employer's dormitory is free for its workers (price 0), as the demonstration
    vacancy with housing says.
    """
    addresses = _DEMO_ADDRESSES[state]
    scale = {"RUB": 1, "KZT": 5, "BYN": 0.04, "AMD": 4, "KGS": 1}.get(currency, 1)
    until = today + timedelta(days=730)

    def place(key: str, capacity: int, price: int) -> NewPlace:
        city, address = addresses[key]
        return NewPlace(
            city=city,
            address=address,
            capacity=capacity,
            price_month=round(price * scale),
            currency=currency,
            available_from=today,
            available_until=until,
            description=_DEMO_DESCRIPTIONS[key],
        )

    if role == "employer":
        return [("employer-dormitory", DORMITORY, place("employer", 20, 0))]
    return [
        ("landlord-flat", RENTAL, place("landlord", 2, 28000)),
        ("landlord-rooms", RENTAL, place("rooms", 4, 15000)),
    ]


def _stay(row: StayRow) -> Stay:
    return Stay(
        id=row.id,
        place_id=row.place_id,
        bed=row.bed,
        check_in=row.check_in,
        check_out=row.check_out,
        guest=MinimumData(
            row.family_name_latin, row.given_name_latin, row.birth_date, row.nationality
        ),
        guest_state=row.guest_state,
        status=row.status,
        created_at=aware(row.created_at),
    )


def _held(row: HeldBookingRow) -> HeldBooking:
    return HeldBooking(
        id=row.id,
        destination=row.destination,
        place_id=row.place_id,
        kind=row.kind,
        owner_ref=row.owner_ref,
        owner_name=row.owner_name,
        city=row.city,
        address=row.address,
        check_in=row.check_in,
        check_out=row.check_out,
        price_month=row.price_month,
        currency=row.currency,
        document=row.document,
        received_at=aware(row.received_at),
    )


__all__ = [
    "BOOK",
    "DORMITORY",
    "PLACES",
    "PURPOSE",
    "RENTAL",
    "HeldBooking",
    "Housing",
    "NewPlace",
    "Place",
    "Stay",
    "check_place",
    "demo_places",
]
