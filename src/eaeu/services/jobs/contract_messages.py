"""The exchange messages of contracts: the offer to the worker and the signed contract back.

* ``jobs.contract.offered`` (employer's node → worker's, through the outbox, under the
  application consent): the contract signed by the employer. The worker's node takes it only
  for an application it sent to that state under that consent, only if the document is a
  contract about that application and that employer, and only once.
* ``jobs.contract.signed`` (worker's node → employer's, a synchronous request under the
  ``jobs.employment_contract`` consent): the same contract with the worker's signature. The
  employer's node takes it only for a contract it offered that still waits for a signature,
  from the worker's state, under a consent naming the employer; the document must be the
  offered one with one more signature, and both signatures are validated (the worker's
  through the worker's node). It then completes the contract
  (:meth:`~eaeu.services.jobs.contracts.Contracts.complete`) and answers with its receipt and
  the migration authority's acknowledgment id. A repeat of a completed contract gets the
  same answer again, so a worker's node that lost the answer can ask again safely.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from eaeu.documents import jades
from eaeu.documents.errors import DocumentError
from eaeu.documents.model import ValidationReport
from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.node import Handler, Incoming
from eaeu.kernel.log import get_logger
from eaeu.services.jobs.application_records import consented, record_event
from eaeu.services.jobs.context import JobsContext
from eaeu.services.jobs.contract_document import (
    COMPLETED,
    FORMAT,
    OFFERED_STATUS,
    documents_of,
    require_same_offer,
    require_signers,
)
from eaeu.services.jobs.people_errors import ContractRefused
from eaeu.services.jobs.people_model import CLOSED, OFFER
from eaeu.services.jobs.people_orm import ApplicationRow, ContractRow

logger = get_logger("eaeu.jobs.contracts")

OFFERED: Final = "jobs.contract.offered"
SIGNED_MESSAGE: Final = "jobs.contract.signed"

#: Completes a contract signed by both on the employer's node (``Contracts.complete``).
Complete = Callable[[Session, ContractRow, ApplicationRow, str, ValidationReport], None]


class ContractMessages:
    """The handlers of this node for the contract messages of its peers.

    Args:
        ctx: the node's wiring.
        complete: what completes a contract once the worker's signature holds.
    """

    def __init__(self, ctx: JobsContext, complete: Complete) -> None:
        self.ctx = ctx
        self._complete = complete

    def handlers(self) -> dict[str, Handler]:
        """The exchange handlers of this part (message type → handler)."""
        return {OFFERED: self.on_offered, SIGNED_MESSAGE: self.on_signed}

    def on_offered(self, incoming: Incoming) -> dict[str, Any]:
        """Take a contract offered for the person's application (the worker's node)."""
        body = incoming.payload
        session = incoming.session
        if not isinstance(body, dict) or not isinstance(body.get("document"), str):
            raise MessageRefused("the offer is malformed", reason="jobs.malformed")
        application = session.get(ApplicationRow, body.get("application_id"), with_for_update=True)
        claims = consented(incoming)
        if (
            application is None
            or not application.worker_side
            or application.consent_id != claims.consent_id
            or application.destination != incoming.sender_state
        ):
            raise MessageRefused(
                "this node has no such application", reason="jobs.application_not_found"
            )
        document = body["document"]
        try:
            content = json.loads(jades.parse(document).payload)
        except (DocumentError, ValueError):
            raise MessageRefused("the contract cannot be read", reason="jobs.malformed") from None
        contract_id = body.get("contract_id")
        if (
            not isinstance(content, dict)
            or content.get("type") != FORMAT
            or content.get("contract_id") != contract_id
            or content.get("application_id") != application.id
            or content.get("destination") != incoming.sender_state
            or (content.get("employer") or {}).get("ref") != application.employer_ref
        ):
            raise MessageRefused(
                "the contract is not about this application", reason="jobs.malformed"
            )
        if session.get(ContractRow, contract_id) is not None or session.scalar(
            select(ContractRow.id).where(ContractRow.application_id == application.id)
        ):
            raise MessageRefused("a contract was offered before", reason="jobs.contract_exists")
        session.add(
            ContractRow(
                id=contract_id,
                application_id=application.id,
                status=OFFERED_STATUS,
                document=document,
                created_at=incoming.at,
                updated_at=incoming.at,
            )
        )
        if application.status not in CLOSED:
            application.status = OFFER
        application.offer = json.dumps(content.get("terms"), ensure_ascii=False)
        application.updated_at = incoming.at
        record_event(session, application, OFFER, "employer", None, incoming.at)
        logger.info("jobs.contract.offer_received", sender=incoming.sender_state)
        return {"status": OFFERED_STATUS}

    def on_signed(self, incoming: Incoming) -> dict[str, Any]:
        """Take the contract signed by the worker and complete it (the employer's node)."""
        body = incoming.payload
        session = incoming.session
        if not isinstance(body, dict) or not isinstance(body.get("document"), str):
            raise MessageRefused("the contract is malformed", reason="jobs.malformed")
        row = session.get(ContractRow, body.get("contract_id"), with_for_update=True)
        application = session.get(ApplicationRow, row.application_id) if row else None
        claims = consented(incoming)
        if (
            row is None
            or application is None
            or not application.employer_side
            or application.worker_state != incoming.sender_state
            or claims.requester_organisation != application.employer_ref
        ):
            raise MessageRefused("this node has no such contract", reason="jobs.contract_not_found")
        document = body["document"]
        if row.status == COMPLETED and row.document == document:
            return {"receipt": row.final_receipt, "acknowledgment": row.acknowledgment}
        if row.status != OFFERED_STATUS or application.status in CLOSED:
            raise MessageRefused(
                "the contract is not waiting for a signature", reason="jobs.contract_state"
            )
        require_same_offer(row.document, document)
        content = json.loads(jades.parse(document).payload)
        try:
            checked = documents_of(self.ctx).validation.check(
                document.encode("utf-8"), ask_home=True
            )
        except DocumentError as exc:
            raise MessageRefused(exc.message, reason=exc.reason) from None
        try:
            require_signers(checked.report, content, signatures=2)
        except ContractRefused as exc:
            raise MessageRefused(exc.message, reason=exc.reason) from None
        peer = body.get("receipt")
        if isinstance(peer, str):
            try:
                documents_of(self.ctx).validation.verify_receipt(peer)
            except DocumentError:
                peer = None
        row.document, row.peer_receipt = document, peer if isinstance(peer, str) else None
        self._complete(session, row, application, checked.receipt, checked.report)
        return {"receipt": row.final_receipt, "acknowledgment": row.acknowledgment}


__all__ = ["OFFERED", "SIGNED_MESSAGE", "ContractMessages"]
