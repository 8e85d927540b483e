"""The employer's side of applications: the received list, answers, and consent withdrawn.

On the employer's node an application holds only the fields the person chose to send. The
employer's organisation sees the applications to its vacancies (:meth:`EmployerApplications.
for_employer`); opening one marks it ``viewed`` (:meth:`~EmployerApplications.
open_for_employer`), and the employer invites or rejects with a message
(:meth:`~EmployerApplications.answer`).

Each answer is personal data about the applicant, so it is queued in the caller's
transaction (the outbox) to the worker's home node under the applicant's own consent
(:meth:`~EmployerApplications.notify_worker`, which :mod:`.contracts` also uses for the
offer). When the applicant has withdrawn that consent the exchange's guard refuses to queue
it; then, and whenever the list is read, the applications whose consent was revoked are
closed and the fields received are deleted (:func:`wipe`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eaeu.consent import received
from eaeu.consent.errors import ConsentRefused
from eaeu.kernel.log import get_logger
from eaeu.services.jobs.application_records import (
    MAX_MESSAGE,
    PURPOSE,
    STATUS,
    employer_row,
    exchange_of,
    load,
    record_event,
    to_application,
)
from eaeu.services.jobs.context import SERVICE, JobsContext
from eaeu.services.jobs.people_errors import ApplicationConflict, ApplicationInvalid
from eaeu.services.jobs.people_model import (
    ANSWERS,
    CLOSED,
    INVITED,
    NOT_SENT,
    OFFER,
    SENT,
    VIEWED,
    WITHDRAWN,
    Application,
)
from eaeu.services.jobs.people_orm import ApplicationRow

logger = get_logger("eaeu.jobs.applications")


class EmployerApplications:
    """The applications an employer of this node received, and its answers to them.

    Args:
        ctx: the node's wiring.
    """

    def __init__(self, ctx: JobsContext) -> None:
        self.ctx = ctx

    def application(self, application_id: str, employer_ref: str) -> Application:
        """One application with its history, as its employer sees it.

        Raises:
            ApplicationNotFound: not this employer's.
        """
        with self.ctx.uow() as uow:
            return load(uow.session, application_id, None, employer_ref)

    def for_employer(self, employer_ref: str) -> list[Application]:
        """The applications to an employer's vacancies, newest first (closing revoked ones)."""
        self.close_revoked(employer_ref)
        with self.ctx.uow() as uow:
            rows = uow.session.scalars(
                select(ApplicationRow)
                .where(
                    ApplicationRow.employer_ref == employer_ref,
                    ApplicationRow.employer_side.is_(True),
                    ApplicationRow.status != NOT_SENT,
                )
                .order_by(ApplicationRow.updated_at.desc())
            )
            return [to_application(row) for row in rows]

    def open_for_employer(self, application_id: str, employer_ref: str) -> Application:
        """An application as its employer sees it; the first look marks it ``viewed``.

        Raises:
            ApplicationNotFound: not this employer's.
        """
        self.close_revoked(employer_ref)
        current = self.application(application_id, employer_ref)
        if current.status == SENT:
            try:
                self.answer(application_id, employer_ref, VIEWED)
            except ApplicationConflict as exc:
                logger.info("jobs.application.view_not_told", reason=exc.reason)
        return self.application(application_id, employer_ref)

    def answer(
        self, application_id: str, employer_ref: str, status: str, note: str = ""
    ) -> Application:
        """Record an employer's answer (viewed, invited, rejected); tell the applicant.

        Raises:
            ApplicationNotFound: not this employer's.
            ApplicationInvalid: an unknown answer, or a message that is too long.
            ApplicationConflict: the application is closed; or the applicant withdrew the
                consent (``jobs.consent_withdrawn``: the application is closed now).
        """
        if status not in ANSWERS:
            raise ApplicationInvalid("This is not an answer to an application.")
        note = note.strip()
        if len(note) > MAX_MESSAGE:
            raise ApplicationInvalid(f"The message is too long (at most {MAX_MESSAGE} characters).")
        if status == INVITED and not note:
            raise ApplicationInvalid(
                "Write the invitation: when and where, or how the interview will be held.",
                reason="jobs.message_missing",
            )
        now = self.ctx.clock.now()
        try:
            with self.ctx.uow() as uow:
                row = employer_row(uow.session, application_id, employer_ref, lock=True)
                if row.status in CLOSED or row.status == OFFER:
                    raise ApplicationConflict(
                        "This application can no longer be answered.",
                        reason="jobs.application_closed",
                    )
                row.status, row.updated_at = status, now
                if status != VIEWED:
                    row.message = note or None
                record_event(uow.session, row, status, "employer", note or None, now)
                self.notify_worker(uow.session, row, {"status": status, "message": note or None})
                uow.commit()
        except ConsentRefused as exc:
            self.closed_by_revocation(application_id, exc)
            raise ApplicationConflict(
                "The applicant withdrew their consent, so the application is closed and their "
                "data deleted.",
                reason="jobs.consent_withdrawn",
            ) from None
        logger.info("jobs.application.answered", status=status)
        return self.application(application_id, employer_ref)

    def notify_worker(
        self,
        session: Session,
        row: ApplicationRow,
        body: Mapping[str, Any],
        *,
        message_type: str = STATUS,
        categories: tuple[str, ...] = ("employment",),
    ) -> None:
        """Tell the worker's home node of a step, in the caller's transaction (outbox).

        Nothing is sent for an application that never left this node.

        Raises:
            ConsentRefused: the applicant's consent no longer allows it.
        """
        if row.worker_side:
            return
        exchange_of(self.ctx).enqueue(
            session,
            row.worker_state,
            SERVICE,
            message_type,
            {"application_id": row.id, "at": self.ctx.clock.now().isoformat(), **body},
            personal=True,
            consent=row.consent_token,
            purpose=PURPOSE,
            categories=categories,
        )

    def close_revoked(self, employer_ref: str) -> None:
        """Close the employer's applications whose consent the applicant withdrew."""
        with self.ctx.uow() as uow:
            rows = uow.session.scalars(
                select(ApplicationRow).where(
                    ApplicationRow.employer_ref == employer_ref,
                    ApplicationRow.employer_side.is_(True),
                    ApplicationRow.worker_side.is_(False),
                    ApplicationRow.consent_id.is_not(None),
                    ApplicationRow.payload != "{}",
                )
            ).all()
            closed = 0
            for row in rows:
                assert row.consent_id is not None  # noqa: S101 - filtered above
                if received.is_revoked(uow.session, row.consent_id, row.worker_state):
                    wipe(uow.session, row, self.ctx.clock.now())
                    closed += 1
            if closed:
                uow.commit()
                logger.info("jobs.application.closed_by_revocation", count=closed)

    def closed_by_revocation(self, application_id: str, exc: ConsentRefused) -> None:
        """Close an application and delete its fields if ``exc`` says the consent is gone."""
        if exc.reason not in {"consent.revoked", "consent.expired"}:
            return
        with self.ctx.uow() as uow:
            row = uow.session.get(ApplicationRow, application_id, with_for_update=True)
            if row is not None:
                wipe(uow.session, row, self.ctx.clock.now())
                uow.commit()


def wipe(session: Session, row: ApplicationRow, now: datetime) -> None:
    """Close an application whose consent was withdrawn and delete the fields received."""
    row.payload, row.message, row.offer = "{}", None, None
    if row.status not in CLOSED:
        row.status = WITHDRAWN
        record_event(session, row, WITHDRAWN, "worker", None, now)
    row.updated_at = now
    session.flush()


__all__ = ["EmployerApplications", "wipe"]
