"""Migration notices: the worker's pre-arrival notice and the employer's contract notice.

Both go to the migration authority of the destination state, whose node is that state's
node; both are acknowledged with a signed acknowledgment (:mod:`.attestations`,
``eaeu-jobs-ack+jws``) that names no one: the notice's kind, the contract id and the SHA-256
of the notice's content, so the person's home node can check that the acknowledgment is for
what was notified without the authority repeating the data.

* **Pre-arrival notice** (worker → destination, ``jobs.migration.pre_arrival``): once the
  person has a contract signed by both parties for that state and a place booked there, they
  may tell the authority when they will arrive. It is a consented personal request (purpose
  ``migration.pre_arrival``, the consent naming the authority, ``XX-AUTHORITY-MIGRATION``)
  with the minimum data only: Latin names, date of birth, citizenship, expected entry date,
  employer, contract id and the address of the booking.
* **Employer's contract notice** (on the employer's node, which is the destination's):
  :meth:`MigrationNotices.employer_notice` is called in the transaction that records the
  worker's signature on the contract (``Contracts.on_completed``) and returns the
  acknowledgment's id; the worker's home node fetches the signed acknowledgment by that id
  (``jobs.migration.acknowledgment``, public: it holds no personal data) and checks it
  against the contract facts it holds.

The authority (the node's operator) sees every notice received at ``/jobs/migration/received``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from eaeu.consent.handlers import ConsentRequest
from eaeu.consent.model import ORGANISATION_REF
from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.node import Handler, Incoming
from eaeu.kernel.ids import uuid7
from eaeu.kernel.log import get_logger
from eaeu.services.jobs import attestations
from eaeu.services.jobs.context import SERVICE, ContractFacts, JobsContext
from eaeu.services.jobs.housing import Housing
from eaeu.services.jobs.move_errors import AttestationRefused, MoveError, NoticeRefused
from eaeu.services.jobs.move_exchange import ask, exchange_of, payload_of, require_receiver
from eaeu.services.jobs.move_model import AUTHORITIES, MinimumData, Mover, aware, parse_date
from eaeu.services.jobs.move_orm import AckRow, NoticeRow

log = get_logger("eaeu.jobs")

PRE_ARRIVAL: Final = "jobs.migration.pre_arrival"
ACKNOWLEDGMENT: Final = "jobs.migration.acknowledgment"
PURPOSE: Final = "migration.pre_arrival"
KIND_PRE_ARRIVAL: Final = "pre_arrival"
KIND_CONTRACT: Final = "employment_contract"
KINDS: Final = (KIND_PRE_ARRIVAL, KIND_CONTRACT)
#: How far ahead an arrival may be announced.
HORIZON: Final = timedelta(days=365)
#: How long the authority may keep a pre-arrival notice.
DATA_LIFE_DAYS: Final = 1095
_MAX_ADDRESS: Final = 300

ContractsOf = Callable[[str], list[ContractFacts]]


@dataclass(frozen=True, slots=True)
class Notice:
    """A notice this state's migration authority received."""

    id: str
    kind: str
    sender_state: str
    contract_id: str
    employer_ref: str
    person: MinimumData
    expected_entry: date | None
    address: str | None
    position: str | None
    start_date: date | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class HeldAck:
    """An acknowledgment a person of this node holds, signed by the destination's node."""

    id: str
    kind: str
    destination: str
    contract_id: str
    expected_entry: date | None
    document: str
    received_at: datetime


def pre_arrival_content(
    person: MinimumData, *, contract_id: str, employer_ref: str, expected_entry: date, address: str
) -> dict[str, Any]:
    """What a pre-arrival notice says (what its acknowledgment's hash covers)."""
    return {
        "kind": KIND_PRE_ARRIVAL,
        "person": person.to_json(),
        "contract_id": contract_id,
        "employer_ref": employer_ref,
        "expected_entry": expected_entry.isoformat(),
        "address": address,
    }


def contract_content(facts: ContractFacts) -> dict[str, Any]:
    """What an employer's contract notice says, from facts both nodes hold alike."""
    return {
        "kind": KIND_CONTRACT,
        "person": _person_of(facts).to_json(),
        "contract_id": facts.contract_id,
        "employer_ref": facts.employer_ref,
        "position": facts.position,
        "start_date": facts.start_date.isoformat(),
        "end_date": facts.end_date.isoformat() if facts.end_date else None,
    }


class MigrationNotices:
    """The migration pre-arrival notice and the employer's contract notice.

    Args:
        ctx: the node's wiring.
        contracts: the contracts signed by both parties of a person of this node (the
            contracts part's ``signed_for`` by default).
    """

    def __init__(self, ctx: JobsContext, *, contracts: ContractsOf | None = None) -> None:
        self.ctx = ctx
        self._contracts = contracts

    def __repr__(self) -> str:
        return f"MigrationNotices(state={self.ctx.state!r})"

    def signed_contracts(self, person_id: str) -> list[ContractFacts]:
        """The contracts signed by both parties of a person of this node."""
        if self._contracts is None:
            from eaeu.services.jobs.contracts import Contracts  # noqa: PLC0415 - built on use

            self._contracts = Contracts(self.ctx).signed_for
        return list(self._contracts(person_id))

    # -- the authority's side (this node's state is the destination) -----------------------
    def employer_notice(self, session: Session, facts: ContractFacts) -> str:
        """Record the employer's notice of a contract; return its acknowledgment's id.

        Called on the employer's node, in the transaction that completes the contract, so
        the notice is recorded if and only if the contract is. Calling it again for the same
        contract returns the same acknowledgment.

        Raises:
            NoticeRefused: ``jobs.notice_foreign`` — a contract for work in another state.
        """
        if facts.destination != self.ctx.state:
            raise NoticeRefused(
                "The contract is for work in another state; its authority is notified there.",
                reason="jobs.notice_foreign",
            )
        existing = _existing(session, KIND_CONTRACT, facts.contract_id)
        if existing is not None:
            return existing.id
        person = _person_of(facts)
        row = self._record(
            session,
            kind=KIND_CONTRACT,
            sender_state=self.ctx.state,
            content=contract_content(facts),
            person=person,
            contract_id=facts.contract_id,
            employer_ref=facts.employer_ref,
            position=facts.position,
            start_date=facts.start_date,
        )
        log.info("jobs.migration.employer_notice", notice=row.id)
        return row.id

    def receive_pre_arrival(
        self,
        session: Session,
        *,
        sender_state: str,
        person: MinimumData,
        contract_id: str,
        employer_ref: str,
        expected_entry: date,
        address: str,
        consent_id: str | None,
    ) -> str:
        """Record a worker's pre-arrival notice; return the signed acknowledgment.

        A notice sent again for the same contract replaces the earlier one (a new date, a
        new address) and gets a new acknowledgment; the same notice gets the same one.

        Raises:
            NoticeRefused: ``jobs.notice_invalid`` — a field breaks a rule.
        """
        today = self.ctx.clock.now().date()
        if not today <= expected_entry <= today + HORIZON:
            raise NoticeRefused(
                "The expected entry date is from today up to a year ahead.",
                reason="jobs.notice_invalid",
            )
        if not address.strip() or len(address) > _MAX_ADDRESS:
            raise NoticeRefused(
                "The notice needs the address of stay.", reason="jobs.notice_invalid"
            )
        if not contract_id or len(contract_id) > 64 or not ORGANISATION_REF.fullmatch(employer_ref):  # noqa: PLR2004
            raise NoticeRefused(
                "The notice needs the contract and the employer's registration number.",
                reason="jobs.notice_invalid",
            )
        content = pre_arrival_content(
            person,
            contract_id=contract_id,
            employer_ref=employer_ref,
            expected_entry=expected_entry,
            address=address,
        )
        existing = _existing(session, KIND_PRE_ARRIVAL, contract_id)
        if existing is not None:
            if existing.content_hash == attestations.content_hash(content):
                return existing.acknowledgment
            session.delete(existing)
            session.flush()
        row = self._record(
            session,
            kind=KIND_PRE_ARRIVAL,
            sender_state=sender_state,
            content=content,
            person=person,
            contract_id=contract_id,
            employer_ref=employer_ref,
            expected_entry=expected_entry,
            address=address,
            consent_id=consent_id,
        )
        log.info("jobs.migration.pre_arrival_received", notice=row.id, sender=sender_state)
        return row.acknowledgment

    def _record(
        self,
        session: Session,
        *,
        kind: str,
        sender_state: str,
        content: dict[str, Any],
        person: MinimumData,
        contract_id: str,
        employer_ref: str,
        expected_entry: date | None = None,
        address: str | None = None,
        position: str | None = None,
        start_date: date | None = None,
        consent_id: str | None = None,
    ) -> NoticeRow:
        now = self.ctx.clock.now()
        notice_id = str(uuid7())
        digest = attestations.content_hash(content)
        authority = AUTHORITIES[self.ctx.state]
        document = attestations.sign(
            attestations.ACKNOWLEDGMENT,
            {
                "jti": notice_id,
                "kind": kind,
                "contract_id": contract_id,
                "notice": digest,
                "authority": {"ref": authority.ref, "name": authority.name_en},
                "received": now.date().isoformat(),
            },
            exchange_of(self.ctx).signer,
            issuer=self.ctx.state,
            at=now,
        )
        row = NoticeRow(
            id=notice_id,
            kind=kind,
            sender_state=sender_state,
            contract_id=contract_id,
            employer_ref=employer_ref,
            family_name_latin=person.family_name_latin,
            given_name_latin=person.given_name_latin,
            birth_date=person.birth_date,
            nationality=person.nationality,
            expected_entry=expected_entry,
            address=address,
            position=position,
            start_date=start_date,
            consent_id=consent_id,
            content_hash=digest,
            acknowledgment=document,
            received_at=now,
        )
        session.add(row)
        session.flush()
        return row

    def received(self, kind: str | None = None) -> list[Notice]:
        """The notices this state's authority received, newest first."""
        with self.ctx.uow() as uow:
            query = select(NoticeRow).order_by(NoticeRow.received_at.desc(), NoticeRow.id)
            if kind is not None:
                query = query.where(NoticeRow.kind == kind)
            return [_notice(row) for row in uow.session.scalars(query)]

    # -- the worker's side (this node is the person's home) --------------------------------
    def ready(self, person_id: str, contract_id: str) -> tuple[ContractFacts, str]:
        """The contract and the address of stay a pre-arrival notice would carry.

        Raises:
            NoticeRefused: ``jobs.notice_needs_contract`` (no contract signed by both
                parties with this id) or ``jobs.notice_needs_housing`` (no place booked in
                the contract's state).
        """
        contract = next(
            (c for c in self.signed_contracts(person_id) if c.contract_id == contract_id), None
        )
        if contract is None:
            raise NoticeRefused(
                "A pre-arrival notice needs an employment contract signed by you and the employer.",
                reason="jobs.notice_needs_contract",
            )
        today = self.ctx.clock.now().date()
        stays = [
            b
            for b in Housing(self.ctx).held(person_id)
            if b.destination == contract.destination and b.check_out > today
        ]
        if not stays:
            raise NoticeRefused(
                "A pre-arrival notice needs a place booked in the state of the contract: its "
                "address is where you will stay.",
                reason="jobs.notice_needs_housing",
            )
        stay = min(stays, key=lambda b: b.check_in)
        return contract, stay.address

    def consent_request(
        self, destination: str, *, now: datetime | None = None, language: str = "en"
    ) -> ConsentRequest:
        """What the person is asked to consent to before the notice is sent.

        The authority is named in ``language`` (the page's), as the person reads it; the
        consent binds its reference, which is the same in every language.
        """
        moment = (now or self.ctx.clock.now()).replace(microsecond=0)
        authority = AUTHORITIES[destination]
        return ConsentRequest(
            requester_state=destination,
            requester_organisation=authority.ref,
            requester_organisation_name=authority.name(language),
            requester_service=SERVICE,
            purpose=PURPOSE,
            categories=("identity",),
            valid_until=moment + timedelta(days=1),
            data_life_days=DATA_LIFE_DAYS,
        )

    def send_pre_arrival(
        self, mover: Mover, contract_id: str, *, expected_entry: date, consent: str | None
    ) -> HeldAck:
        """Send the pre-arrival notice for a contract; keep the signed acknowledgment.

        Raises:
            NoticeRefused: no contract or no housing yet (see :meth:`ready`).
            MessageRefused: the consent does not cover it (``consent.*``, refused here
                before anything leaves) or the authority refused (``jobs.notice_invalid``).
            PeerNotAnswering: the destination's node did not answer.
            AttestationRefused: the acknowledgment does not verify or is for another notice.
        """
        contract, address = self.ready(mover.person_id, contract_id)
        destination = contract.destination
        delivered = ask(
            self.ctx,
            destination,
            PRE_ARRIVAL,
            {
                "person": mover.data.to_json(),
                "contract_id": contract.contract_id,
                "employer_ref": contract.employer_ref,
                "expected_entry": expected_entry.isoformat(),
                "address": address,
            },
            consent=consent,
            purpose=PURPOSE,
        )
        answer = delivered.response if isinstance(delivered.response, dict) else {}
        document = str(answer.get("acknowledgment"))
        content = pre_arrival_content(
            mover.data,
            contract_id=contract.contract_id,
            employer_ref=contract.employer_ref,
            expected_entry=expected_entry,
            address=address,
        )
        claims = self._checked(document, destination, KIND_PRE_ARRIVAL, contract.contract_id)
        if claims.get("notice") != attestations.content_hash(content):
            raise AttestationRefused(
                "The acknowledgment is for another notice.", reason="jobs.attestation_content"
            )
        held = self._keep(mover.person_id, claims, document, destination, expected_entry)
        log.info("jobs.migration.pre_arrival_sent", notice=held.id, destination=destination)
        return held

    def fetch_employer_ack(self, person_id: str, facts: ContractFacts) -> HeldAck | None:
        """Fetch, check and keep the acknowledgment of the employer's notice, once there is one.

        Returns:
            The acknowledgment held, or ``None`` while the employer's notice has none.

        Raises:
            PeerNotAnswering: the destination's node did not answer.
            MessageRefused: it refused (``jobs.notice_not_found``).
            AttestationRefused: the acknowledgment does not verify or is for another contract.
        """
        receipt = facts.employer_notice_receipt
        if receipt is None:
            return None
        with self.ctx.uow() as uow:
            row = uow.session.get(AckRow, receipt)
            if row is not None and row.person_id == person_id:
                return _ack(row)
        delivered = ask(
            self.ctx,
            facts.destination,
            ACKNOWLEDGMENT,
            {"id": receipt, "contract_id": facts.contract_id},
        )
        answer = delivered.response if isinstance(delivered.response, dict) else {}
        document = str(answer.get("acknowledgment"))
        claims = self._checked(document, facts.destination, KIND_CONTRACT, facts.contract_id)
        if claims["jti"] != receipt or claims.get("notice") != attestations.content_hash(
            contract_content(facts)
        ):
            raise AttestationRefused(
                "The acknowledgment is for another notice.", reason="jobs.attestation_content"
            )
        return self._keep(person_id, claims, document, facts.destination, None)

    def held(self, person_id: str) -> list[HeldAck]:
        """The acknowledgments a person of this node holds, newest first."""
        with self.ctx.uow() as uow:
            rows = uow.session.scalars(
                select(AckRow)
                .where(AckRow.person_id == person_id)
                .order_by(AckRow.received_at.desc(), AckRow.id)
            )
            return [_ack(row) for row in rows]

    def verify(self, document: str) -> dict[str, Any]:
        """Verify an acknowledgment against the union trust list; return its claims.

        Raises:
            AttestationRefused: it does not verify.
        """
        return attestations.verify(document, attestations.ACKNOWLEDGMENT, self.ctx.trust())

    def _checked(
        self, document: str, destination: str, kind: str, contract_id: str
    ) -> dict[str, Any]:
        claims = attestations.verify(
            document, attestations.ACKNOWLEDGMENT, self.ctx.trust(), issuer=destination
        )
        if claims.get("kind") != kind or claims.get("contract_id") != contract_id:
            raise AttestationRefused(
                "The acknowledgment is for another notice.", reason="jobs.attestation_content"
            )
        return claims

    def _keep(
        self,
        person_id: str,
        claims: dict[str, Any],
        document: str,
        destination: str,
        expected_entry: date | None,
    ) -> HeldAck:
        held = HeldAck(
            id=str(claims["jti"]),
            kind=str(claims["kind"]),
            destination=destination,
            contract_id=str(claims["contract_id"]),
            expected_entry=expected_entry,
            document=document,
            received_at=self.ctx.clock.now(),
        )
        with self.ctx.uow() as uow:
            if uow.session.get(AckRow, held.id) is None:
                uow.session.add(
                    AckRow(
                        id=held.id,
                        person_id=person_id,
                        kind=held.kind,
                        destination=destination,
                        contract_id=held.contract_id,
                        expected_entry=expected_entry,
                        acknowledgment=document,
                        received_at=held.received_at,
                    )
                )
                uow.commit()
        return held

    # -- exchange --------------------------------------------------------------------------
    def handlers(self) -> dict[str, Handler]:
        """The exchange handlers of this part (message type → handler)."""
        return {PRE_ARRIVAL: self._on_pre_arrival, ACKNOWLEDGMENT: self._on_acknowledgment}

    def _on_pre_arrival(self, incoming: Incoming) -> dict[str, Any]:
        payload = payload_of(incoming)
        contract_id, employer_ref = payload.get("contract_id"), payload.get("employer_ref")
        address = payload.get("address")
        try:
            person = MinimumData.from_json(payload.get("person"))
            expected_entry = parse_date(payload.get("expected_entry"))
            if not all(isinstance(v, str) for v in (contract_id, employer_ref, address)):
                raise TypeError("contract")  # noqa: TRY301 - one path for malformed fields
        except (TypeError, ValueError) as exc:
            raise MessageRefused(
                f"the notice is malformed ({exc})", reason="exchange.malformed"
            ) from None
        consent_id = require_receiver(incoming, AUTHORITIES[self.ctx.state].ref)
        try:
            document = self.receive_pre_arrival(
                incoming.session,
                sender_state=incoming.sender_state,
                person=person,
                contract_id=str(contract_id),
                employer_ref=str(employer_ref),
                expected_entry=expected_entry,
                address=str(address),
                consent_id=consent_id,
            )
        except MoveError as exc:
            raise MessageRefused(exc.message, reason=exc.reason) from None
        return {"acknowledgment": document}

    def _on_acknowledgment(self, incoming: Incoming) -> dict[str, Any]:
        payload = payload_of(incoming)
        row = incoming.session.get(NoticeRow, str(payload.get("id")))
        if row is None or row.contract_id != payload.get("contract_id"):
            raise MessageRefused(
                "there is no acknowledgment with this id for this contract",
                reason="jobs.notice_not_found",
            )
        return {"acknowledgment": row.acknowledgment}


def _person_of(facts: ContractFacts) -> MinimumData:
    return MinimumData(
        facts.worker_family_name_latin,
        facts.worker_given_name_latin,
        facts.worker_birth_date,
        facts.worker_nationality,
    )


def _existing(session: Session, kind: str, contract_id: str) -> NoticeRow | None:
    return session.scalars(
        select(NoticeRow).where(NoticeRow.kind == kind, NoticeRow.contract_id == contract_id)
    ).one_or_none()


def _notice(row: NoticeRow) -> Notice:
    return Notice(
        id=row.id,
        kind=row.kind,
        sender_state=row.sender_state,
        contract_id=row.contract_id,
        employer_ref=row.employer_ref,
        person=MinimumData(
            row.family_name_latin, row.given_name_latin, row.birth_date, row.nationality
        ),
        expected_entry=row.expected_entry,
        address=row.address,
        position=row.position,
        start_date=row.start_date,
        received_at=aware(row.received_at),
    )


def _ack(row: AckRow) -> HeldAck:
    return HeldAck(
        id=row.id,
        kind=row.kind,
        destination=row.destination,
        contract_id=row.contract_id,
        expected_entry=row.expected_entry,
        document=row.acknowledgment,
        received_at=aware(row.received_at),
    )


__all__ = [
    "ACKNOWLEDGMENT",
    "KIND_CONTRACT",
    "KIND_PRE_ARRIVAL",
    "PRE_ARRIVAL",
    "PURPOSE",
    "HeldAck",
    "MigrationNotices",
    "Notice",
    "contract_content",
    "pre_arrival_content",
]
