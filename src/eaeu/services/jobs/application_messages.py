"""The exchange messages of applications: what a node accepts from its peers, and why not.

Three messages cross between the worker's home node and the employer's node, each carrying
personal data under the applicant's ``jobs.application`` consent (:func:`~.application_records.
consented` refuses one that arrives in clear or without a consent):

* ``jobs.application.submit`` (worker's node → employer's): the application itself. It is
  taken only for a listed vacancy of this node's own state, under a consent that names that
  vacancy's employer; a retry of one received before answers with its status instead of
  storing it twice.
* ``jobs.application.status`` (employer's → worker's): viewed, invited, rejected. It is taken
  only from the application's destination state, under the application's own consent; an
  answer that crosses the person's withdrawal changes nothing.
* ``jobs.application.withdrawn`` (worker's → employer's): the person withdrew.

Anything malformed, about an unknown application or from the wrong state is refused with a
``MessageRefused`` and its reason; the sender sees the reason, this node keeps nothing.
"""

from __future__ import annotations

import json
from typing import Any

from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.node import Handler, Incoming
from eaeu.kernel.log import get_logger
from eaeu.services.jobs.application_records import (
    APPLICATION_ID,
    MAX_MESSAGE,
    STATUS,
    SUBMIT,
    VERSION,
    WITHDRAWN_MESSAGE,
    consented,
    dumps,
    find_vacancy,
    record_event,
)
from eaeu.services.jobs.context import JobsContext
from eaeu.services.jobs.people_model import (
    ANSWERS,
    CLOSED,
    NOT_SENT,
    OFFER,
    PARTS,
    SENT,
    VIEWED,
    WITHDRAWN,
)
from eaeu.services.jobs.people_orm import ApplicationRow

logger = get_logger("eaeu.jobs.applications")


class ApplicationMessages:
    """The handlers of this node for the application messages of its peers.

    Args:
        ctx: the node's wiring.
    """

    def __init__(self, ctx: JobsContext) -> None:
        self.ctx = ctx

    def handlers(self) -> dict[str, Handler]:
        """The exchange handlers of this part (message type → handler)."""
        return {
            SUBMIT: self.on_submit,
            STATUS: self.on_status,
            WITHDRAWN_MESSAGE: self.on_withdrawn,
        }

    def on_submit(self, incoming: Incoming) -> dict[str, Any]:
        """Take an application for a vacancy of this state (the employer's node)."""
        body = incoming.payload
        session = incoming.session
        if not isinstance(body, dict) or body.get("v") != VERSION:
            raise MessageRefused("the application is malformed", reason="jobs.malformed")
        application_id, vacancy_id = body.get("application_id"), body.get("vacancy_id")
        fields = body.get("fields")
        if (
            not isinstance(application_id, str)
            or not APPLICATION_ID.fullmatch(application_id)
            or not isinstance(vacancy_id, str)
            or not isinstance(fields, dict)
            or not set(fields) <= set(PARTS) | {"letter"}
            or body.get("worker_state") != incoming.sender_state
            or len(json.dumps(fields)) > 64_000  # noqa: PLR2004
        ):
            raise MessageRefused("the application is malformed", reason="jobs.malformed")
        claims = consented(incoming)
        vacancy = find_vacancy(session, vacancy_id, incoming.at.date())
        if vacancy is None or vacancy.origin != self.ctx.state:
            raise MessageRefused(
                "this node has no such vacancy of its own", reason="jobs.vacancy_not_found"
            )
        if claims.requester_organisation != vacancy.employer_ref:
            raise MessageRefused(
                "the consent does not name the vacancy's employer", reason="jobs.wrong_employer"
            )
        existing = session.get(ApplicationRow, application_id)
        if existing is not None:
            # A retry of an application that arrived before (its answer was lost).
            if existing.consent_id != claims.consent_id:
                raise MessageRefused(
                    "an application with this id exists", reason="jobs.application_exists"
                )
            return {"status": existing.status}
        if not vacancy.listed:
            raise MessageRefused("the vacancy is no longer open", reason="jobs.vacancy_closed")
        row = ApplicationRow(
            id=application_id,
            vacancy_id=vacancy.id,
            destination=self.ctx.state,
            employer_ref=vacancy.employer_ref,
            employer_name=vacancy.employer_name,
            title=vacancy.title,
            locality=vacancy.locality,
            worker_state=incoming.sender_state,
            worker_side=False,
            employer_side=True,
            person_id=None,
            status=SENT,
            payload=dumps(fields),
            categories=",".join(incoming.envelope.categories),
            consent_id=claims.consent_id,
            consent_token=incoming.envelope.consent,
            created_at=incoming.at,
            sent_at=incoming.at,
            updated_at=incoming.at,
        )
        session.add(row)
        session.flush()
        record_event(session, row, SENT, "worker", None, incoming.at)
        logger.info("jobs.application.received", sender=incoming.sender_state)
        return {"status": SENT}

    def _incoming_row(self, incoming: Incoming) -> ApplicationRow | None:
        """The application an incoming step is about, if its consent is the application's."""
        body = incoming.payload
        if not isinstance(body, dict) or not isinstance(body.get("application_id"), str):
            raise MessageRefused("the message is malformed", reason="jobs.malformed")
        claims = consented(incoming)
        row = incoming.session.get(ApplicationRow, body["application_id"], with_for_update=True)
        if row is None or row.consent_id != claims.consent_id:
            raise MessageRefused(
                "this node has no such application", reason="jobs.application_not_found"
            )
        return row

    def on_status(self, incoming: Incoming) -> dict[str, Any]:
        """Take the employer's answer to the person's application (the worker's node)."""
        row = self._incoming_row(incoming)
        assert row is not None  # noqa: S101 - refused above otherwise
        body = incoming.payload
        status, note = body.get("status"), body.get("message")
        if (
            not row.worker_side
            or row.destination != incoming.sender_state
            or status not in ANSWERS
            or not (note is None or (isinstance(note, str) and len(note) <= MAX_MESSAGE))
        ):
            raise MessageRefused("the status is malformed", reason="jobs.malformed")
        if row.status in CLOSED or row.status == OFFER:
            # Crossed with the person's withdrawal: the answer changes nothing now.
            logger.info("jobs.application.status_ignored", status=status)
            return {"ignored": True}
        if status != VIEWED or row.status in {SENT, NOT_SENT}:
            row.status = status
        if status != VIEWED:
            row.message = note
        row.updated_at = incoming.at
        record_event(incoming.session, row, status, "employer", note, incoming.at)
        logger.info("jobs.application.status_received", status=status)
        return {"status": row.status}

    def on_withdrawn(self, incoming: Incoming) -> dict[str, Any]:
        """Take the person's withdrawal of an application (the employer's node)."""
        row = self._incoming_row(incoming)
        assert row is not None  # noqa: S101 - refused above otherwise
        if not row.employer_side or row.worker_state != incoming.sender_state:
            raise MessageRefused("the message is malformed", reason="jobs.malformed")
        if row.status not in CLOSED:
            row.status, row.updated_at = WITHDRAWN, incoming.at
            record_event(incoming.session, row, WITHDRAWN, "worker", None, incoming.at)
        logger.info("jobs.application.withdrawal_received")
        return {"status": row.status}


__all__ = ["ApplicationMessages"]
