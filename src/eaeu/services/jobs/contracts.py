"""Offers that become employment contracts signed by employer and worker.

The employer's node makes the contract from the offer's terms and the fields the applicant
sent (:meth:`Contracts.offer`): a JSON document (:func:`contract_document`, version 1) with
its text in English and Russian, signed in JAdES by the employer organisation's node-held
key (proof of origin). The application becomes ``offer`` and the signed contract goes to the
worker's home node through the outbox (``jobs.contract.offered``), under the applicant's
application consent, like every answer of the employer.

On the worker's node the contract is checked when the person first opens it
(:meth:`Contracts.review`): the documents validation service validates the employer's
signature and asks the employer's state's node to confirm it (``documents.validate``, a
cross-border receipt); the signature must pass and be the employer organisation's. The
person then sees the consent preview for ``jobs.employment_contract`` and signs
(:meth:`Contracts.sign`): the confirmation creates the consent, adds the person's JAdES
signature over the same payload (proof of approval) and sends the contract at once as a
consented synchronous request (``jobs.contract.signed``). The employer's node checks that
the document is the one it offered with one more signature, validates it (asking the
worker's node to confirm the worker's signature), marks it completed, builds
:class:`~eaeu.services.jobs.context.ContractFacts` and calls the :attr:`Contracts.on_completed`
callbacks (the employer's notice to the migration authority), and answers with its receipt
and the acknowledgment id, which the worker's node keeps with its own receipt of the
completed contract. A worker's node that cannot reach the employer's keeps the signed
contract as ``signed`` with the reason and sends it again on :meth:`Contracts.resend`.

A contract for a vacancy of the person's own state is made, signed and validated on one
node; nothing crosses a border and no consent is needed.

The contract document — its terms, JSON, text and the checks of its signatures — is
:mod:`.contract_document`, and the exchange handlers are :mod:`.contract_messages`; their
public names are re-exported here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from eaeu.consent import handlers as consent_handlers
from eaeu.consent import records
from eaeu.consent.errors import ConsentInvalid, ConsentRefused
from eaeu.consent.messages import GRANTED
from eaeu.consent.messages import SERVICE as CONSENT_SERVICE
from eaeu.consent.model import ONE_TIME, ConsentTerms
from eaeu.documents import jades
from eaeu.documents.errors import DocumentError
from eaeu.documents.handlers import sign_document
from eaeu.documents.keys import CertifiedKey
from eaeu.documents.model import ValidationReport
from eaeu.documents.receipts import Receipt
from eaeu.exchange.errors import MessageRefused, PeerUnavailable
from eaeu.exchange.node import Handler
from eaeu.kernel.errors import PlatformError
from eaeu.kernel.ids import uuid7
from eaeu.kernel.log import get_logger
from eaeu.services.jobs.application_records import (
    aware,
    employer_row,
    exchange_of,
    record_event,
    refusal_detail,
)
from eaeu.services.jobs.applications import Applications
from eaeu.services.jobs.context import SERVICE, ContractFacts, JobsContext
from eaeu.services.jobs.contract_document import (
    COMPLETED,
    DECLINED,
    FORMAT,
    OFFERED_STATUS,
    PERIODS,
    SIGNED,
    VERSION,
    OfferTerms,
    check_terms,
    contract_document,
    contract_text,
    documents_of,
    facts_of,
    require_signers,
)
from eaeu.services.jobs.contract_messages import OFFERED, SIGNED_MESSAGE, ContractMessages
from eaeu.services.jobs.people_errors import (
    ApplicationConflict,
    ContractConflict,
    ContractNotFound,
    ContractRefused,
)
from eaeu.services.jobs.people_model import CLOSED, HIRED, OFFER
from eaeu.services.jobs.people_orm import ApplicationRow, ContractRow

logger = get_logger("eaeu.jobs.contracts")

PURPOSE: Final = "jobs.employment_contract"
#: The consent for the signed contract: one transfer, within 30 days; the employer keeps
#: the contract for the longest a consent allows (employment records outlive the job).
CONSENT_DAYS: Final = 30
DATA_LIFE_DAYS: Final = 3650
CATEGORIES: Final = ("employment", "identity")

#: A callback run on the employer's node when the worker's signature arrives; it returns
#: the migration authority's acknowledgment id, if it has one.
OnCompleted = Callable[[Session, ContractFacts], "str | None"]


@dataclass(frozen=True, slots=True)
class Check:
    """A validation this node made or received, as shown: the receipt and its findings."""

    receipt: str
    validator_state: str
    serial: str
    passed: bool
    report: ValidationReport


@dataclass(frozen=True, slots=True)
class Contract:
    """A contract as this node holds it.

    Attributes:
        document: the signed JAdES document (text).
        content: its payload (the contract JSON).
        employer_check: this node's receipt of the employer's signature (worker's node).
        final_check: this node's receipt of the contract signed by both.
        peer_check: the other node's receipt of the contract signed by both.
        acknowledgment: the migration authority's acknowledgment of the employer's notice.
    """

    id: str
    application_id: str
    status: str
    document: str
    content: Mapping[str, Any]
    worker_side: bool
    employer_side: bool
    person_id: str | None
    employer_check: Check | None
    final_check: Check | None
    peer_check: Check | None
    acknowledgment: str | None
    last_error: str | None
    signed_at: datetime | None
    signatures: int = field(default=1)

    @property
    def text(self) -> Mapping[str, str]:
        """The contract in words, by language."""
        text = self.content.get("text")
        return text if isinstance(text, dict) else {}


@dataclass(frozen=True, slots=True)
class SignPreview:
    """What the person sees before signing: the consent preview (``None`` when local)."""

    contract: Contract
    consent: consent_handlers.Preview | None
    valid_until: datetime


@dataclass(frozen=True, slots=True)
class SignOutcome:
    """The outcome of signing or resending: delivered, or why not."""

    contract: Contract
    delivered: bool
    reason: str | None = None
    detail: str | None = None


class Contracts:
    """Offers that become employment contracts signed by employer and worker.

    Attributes:
        on_completed: callbacks run on the employer's node when the worker's signature
            arrives; the first acknowledgment id returned is sent back to the worker's node.
        messages: the exchange handlers (see :mod:`.contract_messages`).
    """

    def __init__(self, ctx: JobsContext, applications: Applications | None = None) -> None:
        self.ctx = ctx
        self.applications = applications or Applications(ctx)
        self.on_completed: list[OnCompleted] = []
        self.messages = ContractMessages(ctx, self.complete)

    def __repr__(self) -> str:
        return f"Contracts(state={self.ctx.state!r})"

    def handlers(self) -> dict[str, Handler]:
        """The exchange handlers of this part (message type → handler)."""
        return self.messages.handlers()

    # -- the employer's node ---------------------------------------------------------------

    def offer(
        self, application_id: str, employer_ref: str, terms: OfferTerms, key: CertifiedKey
    ) -> Contract:
        """Make the contract from an offer, sign it for the employer, and send it.

        Args:
            application_id: the application.
            employer_ref: the acting person's organisation (it must be the application's).
            terms: the offer.
            key: the employer organisation's signing key (unlocked after the second factor).

        Raises:
            ApplicationNotFound: not this employer's.
            ApplicationConflict: closed, already offered, or no identity was sent.
            ContractRefused: ``jobs.offer_invalid``.
            ConsentRefused: the applicant's consent no longer lets the offer go to them.
        """
        now = self.ctx.clock.now()
        terms = check_terms(terms, now.date())
        contract_id = str(uuid7())
        try:
            with self.ctx.uow() as uow:
                row = employer_row(uow.session, application_id, employer_ref)
                if row.status in CLOSED or row.status == OFFER:
                    raise ApplicationConflict(
                        "This application can no longer get an offer.",
                        reason="jobs.application_closed",
                    )
                content = contract_document(
                    contract_id=contract_id,
                    application=row,
                    terms=terms,
                    employer_state=self.ctx.state,
                    issued_at=now,
                )
                raw = json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")
                signed = sign_document(raw, key, signing_time=now, commitment="proof-of-origin")
                document = signed.content.decode("utf-8")
                uow.session.add(
                    ContractRow(
                        id=contract_id,
                        application_id=row.id,
                        status=OFFERED_STATUS,
                        document=document,
                        created_at=now,
                        updated_at=now,
                    )
                )
                row.status, row.updated_at = OFFER, now
                row.offer = json.dumps(content["terms"], ensure_ascii=False)
                record_event(uow.session, row, OFFER, "employer", None, now)
                self.applications.notify_worker(
                    uow.session,
                    row,
                    {"contract_id": contract_id, "document": document},
                    message_type=OFFERED,
                    categories=CATEGORIES,
                )
                uow.commit()
        except ConsentRefused as exc:
            self.applications.employer.closed_by_revocation(application_id, exc)
            raise ApplicationConflict(
                "The applicant withdrew their consent, so the application is closed and their "
                "data deleted.",
                reason="jobs.consent_withdrawn",
            ) from None
        logger.info("jobs.contract.offered", local=row.worker_side)
        return self.contract(contract_id, employer_ref=employer_ref)

    # -- reading -------------------------------------------------------------------------------

    def for_application(self, application_id: str) -> str | None:
        """The id of the contract made from an application, if any."""
        with self.ctx.uow() as uow:
            return uow.session.scalar(
                select(ContractRow.id).where(ContractRow.application_id == application_id)
            )

    def contract(
        self, contract_id: str, *, person_id: str | None = None, employer_ref: str | None = None
    ) -> Contract:
        """A contract, seen by its worker (``person_id``) or its employer.

        Raises:
            ContractNotFound: it does not exist or is neither's.
        """
        with self.ctx.uow() as uow:
            row, application = self._rows(uow.session, contract_id, person_id, employer_ref)
            return self._view(row, application)

    def _rows(
        self,
        session: Session,
        contract_id: str,
        person_id: str | None,
        employer_ref: str | None,
        *,
        lock: bool = False,
    ) -> tuple[ContractRow, ApplicationRow]:
        row = session.get(ContractRow, contract_id, with_for_update=lock)
        application = session.get(ApplicationRow, row.application_id) if row else None
        if row is None or application is None:
            raise ContractNotFound("There is no contract with this reference for you.")
        mine = (
            person_id is not None and application.worker_side and application.person_id == person_id
        )
        theirs = (
            employer_ref is not None
            and application.employer_side
            and application.employer_ref == employer_ref
        )
        if not (mine or theirs):
            raise ContractNotFound("There is no contract with this reference for you.")
        return row, application

    def _view(self, row: ContractRow, application: ApplicationRow) -> Contract:
        parsed = jades.parse(row.document)
        content = json.loads(parsed.payload)
        return Contract(
            id=row.id,
            application_id=row.application_id,
            status=row.status,
            document=row.document,
            content=content,
            worker_side=application.worker_side,
            employer_side=application.employer_side,
            person_id=application.person_id,
            employer_check=self._check(row.employer_receipt),
            final_check=self._check(row.final_receipt),
            peer_check=self._check(row.peer_receipt),
            acknowledgment=row.acknowledgment,
            last_error=row.last_error,
            signed_at=aware(row.signed_at) if row.signed_at else None,
            signatures=len(parsed.signatures),
        )

    def _check(self, token: str | None) -> Check | None:
        if token is None or self.ctx.documents is None:
            return None
        receipt = self.ctx.documents.validation.verify_receipt(token)
        return _as_check(receipt)

    # -- the worker's node ---------------------------------------------------------------------

    def review(self, contract_id: str, person_id: str) -> tuple[Contract, ValidationReport | None]:
        """The contract offered to the person, its employer's signature validated on first look.

        The validation asks the employer's state's node to confirm the signature; a
        signature that passes and is the employer organisation's is kept with this node's
        receipt. A failing one is returned with its report and nothing is kept.

        Returns:
            The contract, and the report of a validation that failed (``None`` otherwise).

        Raises:
            ContractNotFound: not the person's.
        """
        contract = self.contract(contract_id, person_id=person_id)
        if contract.status != OFFERED_STATUS or contract.employer_check is not None:
            return contract, None
        documents = documents_of(self.ctx)
        try:
            checked = documents.validation.check(contract.document.encode("utf-8"), ask_home=True)
        except DocumentError as exc:
            logger.info("jobs.contract.unreadable", reason=exc.reason)
            return contract, None
        try:
            require_signers(checked.report, contract.content, signatures=1)
        except ContractRefused as exc:
            logger.info("jobs.contract.employer_signature_refused", reason=exc.reason)
            return contract, checked.report
        with self.ctx.uow() as uow:
            row = uow.session.get(ContractRow, contract_id, with_for_update=True)
            assert row is not None  # noqa: S101 - found above
            if row.document == contract.document and row.employer_receipt is None:
                row.employer_receipt, row.updated_at = checked.receipt, self.ctx.clock.now()
                uow.commit()
        return self.contract(contract_id, person_id=person_id), None

    def sign_preview(
        self,
        contract_id: str,
        person_id: str,
        *,
        language: str = "en",
        valid_until: datetime | None = None,
    ) -> SignPreview:
        """The consent preview the person sees before signing (none for a local contract).

        Raises:
            ContractNotFound: not the person's.
            ContractConflict: not waiting for the person's signature, or the employer's
                signature has not been validated (``jobs.contract_state``).
        """
        contract = self.contract(contract_id, person_id=person_id)
        if contract.status != OFFERED_STATUS:
            raise ContractConflict("This contract is not waiting for your signature.")
        if contract.employer_check is None or not contract.employer_check.passed:
            raise ContractRefused(
                "The employer's signature on this contract could not be confirmed, so it "
                "cannot be signed.",
                reason="jobs.contract_signature",
            )
        now = self.ctx.clock.now().replace(microsecond=0)
        until = valid_until or now + timedelta(days=CONSENT_DAYS)
        if contract.employer_side:
            return SignPreview(contract, None, until)
        employer = contract.content["employer"]
        ask = consent_handlers.ConsentRequest(
            requester_state=employer["state"],
            requester_organisation=employer["ref"],
            requester_organisation_name=employer["name"],
            requester_service=SERVICE,
            purpose=PURPOSE,
            categories=CATEGORIES,
            valid_until=until,
            mode=ONE_TIME,
            data_life_days=DATA_LIFE_DAYS,
        )
        exchange = exchange_of(self.ctx)
        try:
            preview = consent_handlers.preview(
                exchange, self.applications.policy, ask, person={}, language=language
            )
        except ConsentInvalid as exc:
            raise ContractRefused(exc.message, reason=exc.reason) from None
        return SignPreview(contract, preview, until)

    def sign(
        self,
        contract_id: str,
        person_id: str,
        key: CertifiedKey,
        *,
        preview_hash: str = "",
        explicit_request: bool = False,
        language: str = "en",
        valid_until: datetime | None = None,
    ) -> SignOutcome:
        """Sign the contract the person saw, with the consent that lets it go, and send it.

        Raises:
            ContractNotFound: not the person's.
            ContractConflict: not waiting for the person's signature.
            ContractRefused: the employer's signature is not confirmed; the preview
                changed (``jobs.contract_preview``); no explicit request; the home
                state's rules refuse the transfer (``consent.policy_refused``).
        """
        shown = self.sign_preview(
            contract_id, person_id, language=language, valid_until=valid_until
        )
        if not explicit_request:
            raise ContractRefused(
                "Confirm that you sign the contract and ask for it to be sent.",
                reason="consent.no_explicit_request",
            )
        if shown.consent is not None:
            if shown.consent.notice_hash != preview_hash:
                raise ContractRefused(
                    "The details changed since you saw them. Check them again.",
                    reason="jobs.contract_preview",
                )
            if not shown.consent.decision.allowed:
                raise ContractRefused(
                    "The transfer rules of your state do not allow this transfer.",
                    reason="consent.policy_refused",
                )
        now = self.ctx.clock.now()
        contract = shown.contract
        signed = sign_document(
            contract.document.encode("utf-8"), key, signing_time=now, commitment="proof-of-approval"
        ).content.decode("utf-8")
        with self.ctx.uow() as uow:
            row, application = self._rows(uow.session, contract_id, person_id, None, lock=True)
            if row.status != OFFERED_STATUS or row.document != contract.document:
                raise ContractConflict("This contract is not waiting for your signature.")
            if shown.consent is not None:
                exchange = exchange_of(self.ctx)
                employer = contract.content["employer"]
                given = records.grant(
                    uow.session,
                    ConsentTerms(
                        subject_id=person_id,
                        subject_state=self.ctx.state,
                        requester_state=employer["state"],
                        requester_organisation=employer["ref"],
                        requester_organisation_name=employer["name"],
                        requester_service=SERVICE,
                        purpose=PURPOSE,
                        categories=CATEGORIES,
                        valid_from=now,
                        valid_until=shown.valid_until,
                        mode=ONE_TIME,
                        data_life_days=DATA_LIFE_DAYS,
                        explicit_request=True,
                        preview_hash=shown.consent.notice_hash,
                    ),
                    signer=exchange.signer,
                    now=now,
                )
                exchange.enqueue(
                    uow.session, employer["state"], CONSENT_SERVICE, GRANTED, {"token": given.token}
                )
                row.consent_id = given.id
            row.document, row.status, row.signed_at, row.updated_at = signed, SIGNED, now, now
            record_event(uow.session, application, "signed", "worker", None, now)
            uow.commit()
            local = application.employer_side
        logger.info("jobs.contract.signed_by_worker", local=local)
        if local:
            return self._complete_locally(contract_id, person_id)
        return self._deliver(contract_id, person_id)

    def resend(self, contract_id: str, person_id: str) -> SignOutcome:
        """Send again a contract the person signed that the employer's node has not received.

        Raises:
            ContractNotFound: not the person's.
            ContractConflict: it is not waiting to be sent.
        """
        contract = self.contract(contract_id, person_id=person_id)
        if contract.status != SIGNED or contract.employer_side:
            raise ContractConflict("This contract is not waiting to be sent.")
        return self._deliver(contract_id, person_id)

    def _deliver(self, contract_id: str, person_id: str) -> SignOutcome:
        exchange = exchange_of(self.ctx)
        with self.ctx.uow() as uow:
            row, application = self._rows(uow.session, contract_id, person_id, None)
            consent = records.find(uow.session, row.consent_id or "")
            body = {
                "contract_id": row.id,
                "application_id": application.id,
                "document": row.document,
                "receipt": row.employer_receipt,
            }
            destination, document = application.destination, row.document
        reason = detail = None
        answer: dict[str, Any] = {}
        try:
            delivered = exchange.request(
                destination,
                SERVICE,
                SIGNED_MESSAGE,
                body,
                personal=True,
                consent=consent.token if consent else None,
                purpose=PURPOSE,
                categories=CATEGORIES,
            )
            answer = delivered.response if isinstance(delivered.response, dict) else {}
        except PeerUnavailable as exc:
            reason = exc.reason
        except MessageRefused as exc:
            reason = exc.reason
            detail = exc.text.en if isinstance(exc, ConsentRefused) else refusal_detail(exc.message)
        peer = final = None
        if reason is None:
            try:
                peer, final = self._receipts(answer, document)
            except ContractRefused as exc:
                reason, detail = exc.reason, exc.message
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            row, application = self._rows(uow.session, contract_id, person_id, None, lock=True)
            row.updated_at = now
            if reason is None:
                row.status, row.last_error = COMPLETED, None
                row.peer_receipt, row.final_receipt = peer, final
                ack = answer.get("acknowledgment")
                row.acknowledgment = ack if isinstance(ack, str) and len(ack) <= 200 else None  # noqa: PLR2004
                application.status, application.updated_at = HIRED, now
                record_event(uow.session, application, HIRED, "employer", None, now)
            else:
                row.last_error = reason
            uow.commit()
        logger.info("jobs.contract.delivered" if reason is None else "jobs.contract.not_delivered",
                    destination=destination, reason=reason)  # fmt: skip
        return SignOutcome(
            self.contract(contract_id, person_id=person_id), reason is None, reason, detail
        )

    def _receipts(self, answer: Mapping[str, Any], document: str) -> tuple[str, str]:
        """Check the employer's node's receipt of the signed contract; make this node's own."""
        documents = documents_of(self.ctx)
        token = answer.get("receipt")
        digest = hashlib.sha256(document.encode("utf-8")).hexdigest()
        try:
            theirs = documents.validation.verify_receipt(token if isinstance(token, str) else "")
        except DocumentError:
            raise ContractRefused(
                "The employer's node answered without a valid receipt.",
                reason="jobs.contract_receipt",
            ) from None
        if theirs.report.document_sha256 != digest or not theirs.report.signatures:
            raise ContractRefused(
                "The employer's node's receipt is about another document.",
                reason="jobs.contract_receipt",
            )
        checked = documents.validation.check(document.encode("utf-8"), ask_home=True)
        return theirs.token, checked.receipt

    def _complete_locally(self, contract_id: str, person_id: str) -> SignOutcome:
        documents = documents_of(self.ctx)
        with self.ctx.uow() as uow:
            row, application = self._rows(uow.session, contract_id, person_id, None, lock=True)
            content = json.loads(jades.parse(row.document).payload)
            checked = documents.validation.check(row.document.encode("utf-8"))
            require_signers(checked.report, content, signatures=2)
            self.complete(uow.session, row, application, checked.receipt, checked.report)
            uow.commit()
        return SignOutcome(self.contract(contract_id, person_id=person_id), delivered=True)

    def complete(
        self,
        session: Session,
        row: ContractRow,
        application: ApplicationRow,
        receipt: str,
        report: ValidationReport,
    ) -> None:
        """Complete a contract signed by both on the employer's node and run the callbacks.

        The application becomes ``hired``; each :attr:`on_completed` callback is told the
        facts, and the first acknowledgment id one returns is kept to send back. A callback
        that fails is logged and does not undo the contract.
        """
        now = self.ctx.clock.now()
        row.status, row.final_receipt, row.updated_at = COMPLETED, receipt, now
        row.signed_at = report.signatures[-1].signing_time or now
        application.status, application.updated_at = HIRED, now
        record_event(session, application, HIRED, "employer", None, now)
        facts = facts_of(row, application)
        for callback in self.on_completed:
            try:
                acknowledgment = callback(session, facts)
            except PlatformError as exc:
                logger.warning("jobs.contract.callback_failed", reason=exc.reason)
                continue
            if acknowledgment and row.acknowledgment is None:
                row.acknowledgment = acknowledgment[:200]
        logger.info("jobs.contract.completed", acknowledged=row.acknowledgment is not None)

    # -- other parts ----------------------------------------------------------------------------

    def signed_for(self, person_id: str) -> list[ContractFacts]:
        """The person's completed contracts, newest first (on their home node)."""
        with self.ctx.uow() as uow:
            rows = uow.session.execute(
                select(ContractRow, ApplicationRow)
                .join(ApplicationRow, ApplicationRow.id == ContractRow.application_id)
                .where(
                    ApplicationRow.person_id == person_id,
                    ApplicationRow.worker_side.is_(True),
                    ContractRow.status == COMPLETED,
                )
                .order_by(ContractRow.signed_at.desc())
            ).all()
            return [facts_of(contract, application) for contract, application in rows]

    def facts(self, contract_id: str) -> ContractFacts:
        """The facts of a completed contract held on this node.

        Raises:
            ContractNotFound: no completed contract with that id.
        """
        with self.ctx.uow() as uow:
            row = uow.session.get(ContractRow, contract_id)
            application = uow.session.get(ApplicationRow, row.application_id) if row else None
            if row is None or application is None or row.status != COMPLETED:
                raise ContractNotFound("There is no signed contract with this reference.")
            return facts_of(row, application)


def _as_check(receipt: Receipt) -> Check:
    return Check(
        receipt=receipt.token,
        validator_state=receipt.validator_state,
        serial=receipt.serial,
        passed=receipt.report.indication.value == "TOTAL-PASSED",
        report=receipt.report,
    )


__all__ = [
    "CATEGORIES",
    "COMPLETED",
    "DECLINED",
    "FORMAT",
    "OFFERED",
    "OFFERED_STATUS",
    "PERIODS",
    "PURPOSE",
    "SIGNED",
    "SIGNED_MESSAGE",
    "VERSION",
    "Check",
    "Contract",
    "Contracts",
    "OfferTerms",
    "SignOutcome",
    "SignPreview",
    "check_terms",
    "contract_document",
    "contract_text",
]
