"""Results and certificates: a lab records a result; the health authority signs a negative one.

The node's health-ministry document signer (its certificate is in the union trust list with
the DCC test extended key usage) signs an EU DCC 1.3 test certificate
(:func:`~eaeu.services.travel.hcert.issue_test_certificate`) for a result "not detected":
``co`` is the lab's state, ``tc`` its Latin name, ``is`` the state's health ministry, the
UVCI ``URN:UVCI:01:<CC>:<26 random characters>#<check>``. A positive result is recorded and
shown red; it gets no certificate. Only a state that takes part in travel as ``issuer``
signs, and only for a lab whose accreditation is in force.

Results and certificates are personal data and stay on this node.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from cryptography import x509

from eaeu.kernel.clock import Clock, utc
from eaeu.kernel.log import get_logger
from eaeu.kernel.states import MEMBER_STATES
from eaeu.services.travel import repository
from eaeu.services.travel.booking import Bookings
from eaeu.services.travel.commands import RecordResult
from eaeu.services.travel.errors import BookingNotFound, ResultRefused
from eaeu.services.travel.hcert import (
    DccSigner,
    Holder,
    LabResult,
    TestType,
    issue_test_certificate,
)
from eaeu.services.travel.labs import LabRegistry
from eaeu.services.travel.model import (
    Booking,
    BookingStatus,
    Certificate,
    Lab,
    TestKind,
    TestResult,
    Traveller,
)
from eaeu.services.travel.orm import BookingRow, CertificateRow, ResultRow
from eaeu.services.travel.uvci import make_uvci, random_opaque
from eaeu.storage.uow import UnitOfWorkFactory

log = get_logger("eaeu.travel")

#: Returns the health document signer's key and certificate; raises ``IssuingUnavailable``.
SignerSource = Callable[[], tuple[DccSigner, x509.Certificate]]
#: How long a certificate is valid after it is issued (the CWT ``exp``).
VALIDITY: Final = timedelta(hours=72)
#: How far in the future a sample time may lie (clocks of lab and node differ a little).
SKEW: Final = timedelta(minutes=5)
#: How old a sample may be when its result is recorded.
MAX_SAMPLE_AGE: Final = timedelta(days=7)
_ICAO_KEEP: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ<")


def icao(latin: str) -> str:
    """A Latin name in the ICAO 9303 form a DCC ``fnt``/``gnt`` needs (``A``-``Z``, ``<``)."""
    text = latin.upper().replace(" ", "<").replace("-", "<").replace("'", "")
    return "".join(c for c in text if c in _ICAO_KEEP)[:80]


def issuer_name(state: str) -> str:
    """The DCC ``is`` of a state's certificates: its health ministry, at most 80 characters."""
    return f"Ministry of Health of the {MEMBER_STATES[state].official_name('en')}"[:80]


@dataclass(frozen=True, slots=True)
class Outcome:
    """A booking with its lab, result and certificate, as its pages show it."""

    booking: Booking
    lab: Lab
    result: TestResult | None
    certificate: Certificate | None


@dataclass
class Results:
    """Recording results and issuing certificates at this node's labs.

    Args:
        registry: the lab registry.
        bookings: the bookings.
        uow: the node's units of work.
        clock: the node's clock.
        signer: the health document signer (opened on first use).
        token_bytes: randomness of the UVCI (injected in tests).
    """

    registry: LabRegistry
    bookings: Bookings
    uow: UnitOfWorkFactory
    clock: Clock
    signer: SignerSource
    token_bytes: Callable[[int], bytes] = secrets.token_bytes

    def record(self, command: RecordResult) -> Outcome:
        """Record a result; sign a certificate if nothing was detected.

        Raises:
            BookingNotFound: no booking with this id at a lab of this node.
            ResultRefused: not a lab of the recorder's organisation
                (``travel.result_not_your_lab``), the booking was cancelled or has a result
                already (``travel.result_recorded``), a test the lab does not offer
                (``travel.test_not_offered``), or a sample time in the future or too old
                (``travel.result_sample_time``).
            NotParticipating: this state does not issue travel certificates.
            LabNotAccredited: the lab's accreditation is not in force.
            IssuingUnavailable: the node has no health document signer.
        """
        now = self.clock.now()
        with self.uow() as uow:
            row = uow.session.get(BookingRow, command.booking_id)
            booking = None if row is None else repository.booking_of(row)
        if booking is None:
            raise BookingNotFound("There is no booking at this address.")
        lab = self.registry.lab(booking.lab_id, listed_only=False)
        if lab.state != self.registry.state or lab.organisation_id != command.organisation_id:
            raise ResultRefused(
                "Only the staff of the laboratory that took the booking record its result.",
                reason="travel.result_not_your_lab",
            )
        self.registry.require_accredited(lab)
        if booking.status is not BookingStatus.BOOKED:
            raise ResultRefused(
                "This booking was cancelled or already has a result.",
                reason="travel.result_recorded",
            )
        offer = lab.test(command.test_kind)
        if offer is None:
            raise ResultRefused(
                "This laboratory does not offer this test.", reason="travel.test_not_offered"
            )
        sampled = utc(command.sample_collected_at).replace(microsecond=0)
        if sampled > now + SKEW or sampled < now - MAX_SAMPLE_AGE:
            raise ResultRefused(
                "The sample time must be in the past week, not in the future.",
                reason="travel.result_sample_time",
            )
        # Open the signer before anything is written: no result is kept without its certificate.
        signing = None if command.detected else self.signer()
        with self.uow() as uow:
            row = uow.session.get_one(BookingRow, booking.id)
            if row.status != BookingStatus.BOOKED.value:
                raise ResultRefused(
                    "This booking was cancelled or already has a result.",
                    reason="travel.result_recorded",
                )
            row.status = BookingStatus.RESULTED.value
            uow.session.add(
                ResultRow(
                    booking_id=booking.id,
                    sample_collected_at=sampled,
                    detected=command.detected,
                    test_kind=command.test_kind.value,
                    device=offer.device,
                    recorded_by=command.staff_id,
                    recorded_at=now,
                )
            )
            certificate = None
            if signing is not None:
                certificate = self._issue(
                    signing, booking.traveller, lab, command, sampled, offer.device
                )
                certificate_row = CertificateRow(
                    id=certificate.id,
                    booking_id=booking.id,
                    uvci=certificate.uvci,
                    text=certificate.text,
                    kid=certificate.kid,
                    issued_at=certificate.issued_at,
                    expires_at=certificate.expires_at,
                )
                uow.session.add(certificate_row)
            uow.commit()
        log.info(
            "travel.result.recorded",
            booking=booking.id,
            certificate=None if certificate is None else certificate.id,
        )
        return self.outcome(booking.id)

    def _issue(
        self,
        signing: tuple[DccSigner, x509.Certificate],
        traveller: Traveller,
        lab: Lab,
        command: RecordResult,
        sampled: datetime,
        device: str | None,
    ) -> Certificate:
        signer, dsc = signing
        uvci = make_uvci(self.registry.state, random_opaque(token_bytes=self.token_bytes))
        issued = issue_test_certificate(
            Holder(
                family_name=traveller.family_name,
                given_name=traveller.given_name,
                date_of_birth=traveller.birth_date,
                family_name_icao=icao(traveller.family_name_latin) or None,
                given_name_icao=icao(traveller.given_name_latin) or None,
            ),
            LabResult(
                test_type=TestType(command.test_kind.loinc),
                sample_collected=sampled,
                detected=False,
                country=lab.state,
                issuer=issuer_name(lab.state),
                centre=lab.name_latin[:80],
                device=device if command.test_kind is TestKind.RAT else None,
            ),
            uvci=uvci,
            signer=signer,
            certificate=dsc,
            issuer_country=self.registry.state,
            issued_at=self.clock.now(),
            validity=VALIDITY,
        )
        log.info("travel.certificate.issued", kid=issued.kid.hex())
        return Certificate(
            id=str(uuid.uuid4()),
            booking_id=command.booking_id,
            uvci=issued.uvci,
            text=issued.text,
            kid=issued.kid.hex(),
            issued_at=issued.issued_at,
            expires_at=issued.expires_at,
        )

    def outcome(self, booking_id: str, *, traveller: str | None = None) -> Outcome:
        """A booking with its lab, result and certificate.

        Args:
            booking_id: the booking.
            traveller: when given, the booking must be theirs.

        Raises:
            BookingNotFound: no such booking (of ``traveller``).
        """
        with self.uow() as uow:
            row = uow.session.get(BookingRow, booking_id)
            if row is None or (traveller is not None and row.traveller_ref != traveller):
                raise BookingNotFound("You have no booking at this address.")
            booking = repository.booking_of(row)
            result = repository.get_result(uow.session, booking_id)
            certificate = repository.certificate_for_booking(uow.session, booking_id)
        lab = self.registry.lab(booking.lab_id, listed_only=False)
        return Outcome(booking, lab, result, certificate)


__all__ = ["SKEW", "VALIDITY", "Outcome", "Results", "SignerSource", "icao", "issuer_name"]
