"""Booking a test: slots from opening hours, seats that cannot be taken twice, cancellation.

A slot has as many seats as the lab tests people at once. A booking takes the first free
seat in its own short transaction whose first statement is the insert; the database's
unique constraint on (lab, slot start, seat) decides between concurrent requests, and a
loser tries the next seat (PostgreSQL and SQLite alike, with no lock held across reads).
A cancellation clears the seat, so that it can be booked again.

Bookings are personal data and stay on the node of the lab's state. A visitor from another
state (admitted by their home node's identity assertion) books with what that assertion
carried, kept here for the visit only (:meth:`Bookings.remember_visitor`).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Final

from sqlalchemy.exc import IntegrityError

from eaeu.kernel.clock import Clock, utc
from eaeu.kernel.log import get_logger
from eaeu.services.travel import repository
from eaeu.services.travel.commands import BookSlot
from eaeu.services.travel.errors import BookingError, BookingNotFound
from eaeu.services.travel.labs import LabRegistry
from eaeu.services.travel.model import (
    BOOKING_HORIZON_DAYS,
    Booking,
    BookingStatus,
    Lab,
    Traveller,
    new_booking_code,
    slot_starts,
)
from eaeu.services.travel.orm import BookingRow
from eaeu.storage.uow import UnitOfWorkFactory

log = get_logger("eaeu.travel")

#: Appointments one traveller may hold at once (stops one person blocking a lab's day).
MAX_ACTIVE_BOOKINGS: Final = 3
#: How long a visitor's asserted data is kept for booking (a foreign session's lifetime).
VISIT: Final = timedelta(hours=12)
#: Extra attempts when a random booking code collides with an existing one.
_CODE_RETRIES: Final = 3


@dataclass(frozen=True, slots=True)
class Slot:
    """An appointment time at a lab, and how many seats are left."""

    start: datetime
    free: int


@dataclass
class Bookings:
    """Travellers' bookings at this node's labs.

    Args:
        registry: the lab registry (which labs exist and may be booked).
        uow: the node's units of work.
        clock: the node's clock.
        token_bytes: the randomness of booking codes (injected in tests).
    """

    registry: LabRegistry
    uow: UnitOfWorkFactory
    clock: Clock
    token_bytes: Callable[[int], bytes] = secrets.token_bytes

    @property
    def state(self) -> str:
        """This node's state."""
        return self.registry.state

    def bookable(self, lab_id: str) -> Lab:
        """The lab, if a traveller may book it on this node.

        Raises:
            LabNotFound: no such lab, or not listed.
            BookingError: a lab of another state (``travel.booking_elsewhere``).
            LabNotAccredited, NotParticipating: see :meth:`LabRegistry.require_accredited`.
        """
        lab = self.registry.lab(lab_id)
        if lab.state != self.state:
            raise BookingError(
                "Book this laboratory on the portal of the state it is in.",
                reason="travel.booking_elsewhere",
            )
        self.registry.require_accredited(lab)
        return lab

    def slots(self, lab: Lab, day: datetime | None = None) -> list[Slot]:
        """The slots of ``lab`` on the lab's calendar day of ``day`` (today), from now on."""
        now = self.clock.now()
        local_day = lab.local_date(day or now)
        starts = [s for s in slot_starts(lab, local_day) if s > now]
        if not starts:
            return []
        zone = lab.time_zone
        begin = datetime.combine(local_day, time.min, zone)
        with self.uow() as uow:
            taken = repository.seats_taken_between(
                uow.session, lab.id, begin, begin + timedelta(days=1)
            )
        return [Slot(start, max(lab.seats - taken.get(start, 0), 0)) for start in starts]

    def book(self, command: BookSlot) -> Booking:
        """Book a seat in a slot for a traveller.

        Raises:
            LabNotFound, LabNotAccredited, NotParticipating: the lab cannot be booked.
            BookingError: a test the lab does not offer (``travel.test_not_offered``), a
                time that is not one of its slots or is past or too far ahead
                (``travel.slot_invalid``), a full slot (``travel.slot_full``), or too many
                appointments held (``travel.booking_limit``).
        """
        lab = self.bookable(command.lab_id)
        if lab.test(command.test_kind) is None:
            raise BookingError(
                "This laboratory does not offer this test.", reason="travel.test_not_offered"
            )
        now = self.clock.now()
        start = utc(command.slot_start)
        command = replace(command, slot_start=start)
        if (
            start <= now
            or start > now + timedelta(days=BOOKING_HORIZON_DAYS)
            or start not in slot_starts(lab, lab.local_date(start))
        ):
            raise BookingError(
                "This time is not one of the laboratory's appointments. Choose a time from the "
                "list.",
                reason="travel.slot_invalid",
            )
        with self.uow() as uow:
            held = repository.active_bookings_count(uow.session, command.traveller.ref, now)
            taken = repository.taken_seats(uow.session, lab.id, start)
        if held >= MAX_ACTIVE_BOOKINGS:
            raise BookingError(
                "You already hold as many appointments as one person may. Cancel one before you "
                "book another.",
                reason="travel.booking_limit",
            )
        free = [seat for seat in range(1, lab.seats + 1) if seat not in taken]
        booking = self._insert(lab, command, free)
        log.info("travel.booking.made", booking=booking.id, lab=lab.id)
        return booking

    def _insert(self, lab: Lab, command: BookSlot, seats: list[int]) -> Booking:
        retries = _CODE_RETRIES
        queue = list(seats)
        while queue:
            seat = queue[0]
            booking = Booking(
                id=str(uuid.uuid4()),
                code=new_booking_code(self.token_bytes),
                lab_id=lab.id,
                slot_start=command.slot_start,
                test_kind=command.test_kind,
                status=BookingStatus.BOOKED,
                traveller=command.traveller,
                created_at=self.clock.now(),
            )
            try:
                with self.uow() as uow:
                    uow.session.add(repository.booking_row(booking, seat))
                    uow.commit()
            except IntegrityError:
                # Someone took the seat first, or (rarely) the code exists: find out which.
                with self.uow() as uow:
                    taken = repository.taken_seats(uow.session, lab.id, command.slot_start)
                if seat in taken:
                    queue.pop(0)
                elif retries:
                    retries -= 1
                else:
                    raise
                continue
            return booking
        raise BookingError(
            "This time has just been fully booked. Choose another time.",
            reason="travel.slot_full",
        )

    def of_traveller(self, ref: str) -> list[Booking]:
        """A traveller's bookings, the latest appointment first."""
        with self.uow() as uow:
            return repository.bookings_of_traveller(uow.session, ref)

    def get(self, booking_id: str, *, traveller: str) -> Booking:
        """A booking of ``traveller``.

        Raises:
            BookingNotFound: no booking with this id is theirs.
        """
        with self.uow() as uow:
            row = uow.session.get(BookingRow, booking_id)
            if row is None or row.traveller_ref != traveller:
                raise BookingNotFound("You have no booking at this address.")
            return repository.booking_of(row)

    def cancel(self, booking_id: str, *, traveller: str) -> Booking:
        """Cancel a traveller's booking; its seat can be booked again.

        Raises:
            BookingNotFound: no booking with this id is theirs.
            BookingError: it was cancelled already, the test was done, or its time has
                passed (``travel.booking_closed``).
        """
        now = self.clock.now()
        with self.uow() as uow:
            row = uow.session.get(BookingRow, booking_id)
            if row is None or row.traveller_ref != traveller:
                raise BookingNotFound("You have no booking at this address.")
            booking = repository.booking_of(row)
            if booking.status is not BookingStatus.BOOKED or booking.slot_start <= now:
                raise BookingError(
                    "This booking can no longer be cancelled.", reason="travel.booking_closed"
                )
            row.status = BookingStatus.CANCELLED.value
            row.seat = None
            row.cancelled_at = now
            uow.commit()
        log.info("travel.booking.cancelled", booking=booking_id)
        return repository.booking_of(row)

    # -- the lab's view -------------------------------------------------------------------
    def of_lab(self, lab: Lab, day: datetime) -> list[Booking]:
        """The bookings of ``lab`` on the lab's calendar day of ``day``."""
        begin = datetime.combine(lab.local_date(day), time.min, lab.time_zone)
        with self.uow() as uow:
            return repository.bookings_of_lab(uow.session, lab.id, begin, begin + timedelta(days=1))

    def by_code(self, lab: Lab, code: str) -> Booking | None:
        """The booking with ``code`` at ``lab``, if any."""
        with self.uow() as uow:
            return repository.booking_by_code(uow.session, lab.id, code)

    # -- visitors -------------------------------------------------------------------------
    def remember_visitor(self, traveller: Traveller) -> None:
        """Keep what a visitor's home node asserted, for as long as a visit lasts.

        The data arrives in the identity assertion the person's home node issued at their
        own request (their home node checked its transfer rules and wrote it to their
        ledger); only what a booking and its certificate need is kept: names in the original
        script and in Latin letters, date of birth and the persistent id.
        """
        now = self.clock.now()
        with self.uow() as uow:
            repository.forget_visitors(uow.session, now)
            repository.put_visitor(uow.session, traveller, arrived_at=now, expires_at=now + VISIT)
            uow.commit()

    def visitor(self, persistent_id: str) -> Traveller:
        """The traveller a visitor is, from what their home node asserted.

        Raises:
            BookingError: nothing is kept for this visitor (``travel.visitor_unknown``).
        """
        with self.uow() as uow:
            traveller = repository.visitor(uow.session, persistent_id, self.clock.now())
        if traveller is None:
            raise BookingError(
                "Your visit has expired. Continue to this service from the portal of your "
                "home state again.",
                reason="travel.visitor_unknown",
            )
        return traveller


__all__ = ["MAX_ACTIVE_BOOKINGS", "VISIT", "Bookings", "Slot"]
