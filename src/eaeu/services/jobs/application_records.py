"""Application records: the messages' names, and the rows read and written by every side.

An application is one row in ``jobs_applications`` on each node that holds it: the worker's
home node (``worker_side``) and the employer's node (``employer_side``) — the same row when
the vacancy is of the person's own state. This module holds what the three parts around
those rows share: the applying person's side (:mod:`.applications`), the employer's side
(:mod:`.employer_applications`), the exchange handlers (:mod:`.application_messages`) and
the contracts (:mod:`.contracts`):

* the exchange message types and the payload version;
* finding a row its person or its employer may act on (:func:`worker_row`,
  :func:`employer_row`; anyone else gets "not found", never "not yours");
* the history of steps (:func:`record_event`, :func:`history`) and the views
  (:func:`to_application`, :func:`to_cv`);
* the vacancy an application is for, read from the vacancy table every slice may read
  (:func:`find_vacancy`);
* :func:`consented`, which refuses a personal-data message that did not travel under a
  consent the exchange's guard checked.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Date, String, column, select, table
from sqlalchemy.orm import Session

from eaeu.consent import tokens
from eaeu.consent.model import MAX_VALIDITY, organisation_ref
from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.node import Incoming
from eaeu.kernel.clock import utc
from eaeu.kernel.ids import uuid7
from eaeu.services.jobs.context import JobsContext
from eaeu.services.jobs.people_errors import ApplicationConflict, ApplicationNotFound
from eaeu.services.jobs.people_model import (
    NOT_SENT,
    Application,
    Cv,
    CvDocument,
    Education,
    Event,
    Experience,
    Language,
    VacancyRef,
)
from eaeu.services.jobs.people_orm import ApplicationEventRow, ApplicationRow, CvRow

PURPOSE: Final = "jobs.application"
SUBMIT: Final = "jobs.application.submit"
STATUS: Final = "jobs.application.status"
WITHDRAWN_MESSAGE: Final = "jobs.application.withdrawn"
#: The version of the application payload.
VERSION: Final = 1

#: The longest message an employer's answer carries.
MAX_MESSAGE: Final = 2000
#: An application's id: a UUIDv7, made by the worker's home node.
APPLICATION_ID: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")
#: A vacancy is listed while confirmed within this many days (the vacancy store's rule).
LISTING_DAYS: Final = 90

#: The vacancy columns every slice may read (the table belongs to :mod:`.vacancies`).
VACANCIES = table(
    "jobs_vacancies",
    column("id", String),
    column("origin", String),
    column("title", String),
    column("employer_ref", String),
    column("employer_name", String),
    column("locality", String),
    column("region", String),
    column("isco", String),
    column("status", String),
    column("valid_through", Date),
    column("last_confirmed", Date),
)


def exchange_of(ctx: JobsContext) -> Any:
    """The node's exchange, for the parts that send.

    Raises:
        ApplicationConflict: ``jobs.exchange_unavailable``.
    """
    if ctx.exchange is None:
        raise ApplicationConflict(
            "This node does not exchange data with other states.",
            reason="jobs.exchange_unavailable",
        )
    return ctx.exchange


def consented(incoming: Incoming) -> tokens.ConsentClaims:
    """The claims of the consent an incoming personal-data message travelled under.

    The exchange's guard verified the token before the handler runs, but only for an
    encrypted (personal) envelope: a message of this part that arrives in clear, or without
    a consent, is refused, so that nothing here rests on a token nobody checked.

    Raises:
        MessageRefused: ``jobs.not_consented``.
    """
    if incoming.envelope.encrypted is None or not incoming.envelope.consent:
        raise MessageRefused(
            "this message carries personal data and must travel under a consent",
            reason="jobs.not_consented",
        )
    return tokens.peek(incoming.envelope.consent)


def visible(row: ApplicationRow, person_id: str | None, employer_ref: str | None) -> bool:
    """Whether the person or the employer may see an application (unsent: the person only)."""
    if person_id is not None and row.worker_side and row.person_id == person_id:
        return True
    return (
        employer_ref is not None
        and row.employer_side
        and row.employer_ref == employer_ref
        and row.status != NOT_SENT
    )


def worker_row(
    session: Session, application_id: str, person_id: str, *, lock: bool = True
) -> ApplicationRow:
    """The application row of a person, locked unless ``lock`` is false.

    Raises:
        ApplicationNotFound: not the person's.
    """
    row = session.get(ApplicationRow, application_id, with_for_update=lock)
    if row is None or not visible(row, person_id, None):
        raise ApplicationNotFound("You have no application with this reference.")
    return row


def employer_row(
    session: Session, application_id: str, employer_ref: str, *, lock: bool = True
) -> ApplicationRow:
    """The application row an employer may act on, locked unless ``lock`` is false.

    Raises:
        ApplicationNotFound: not this employer's.
    """
    row = session.get(ApplicationRow, application_id, with_for_update=lock)
    if row is None or not visible(row, None, employer_ref):
        raise ApplicationNotFound("Your organisation has no application with this reference.")
    return row


def record_event(
    session: Session, row: ApplicationRow, status: str, actor: str, note: str | None, at: datetime
) -> None:
    """Append a step to an application's history."""
    session.add(
        ApplicationEventRow(
            id=str(uuid7()), application_id=row.id, at=at, status=status, actor=actor, note=note
        )
    )


def load(
    session: Session, application_id: str, person_id: str | None, employer_ref: str | None
) -> Application:
    """One application with its history, seen by its person or its employer.

    Raises:
        ApplicationNotFound: it does not exist or is neither's.
    """
    row = session.get(ApplicationRow, application_id)
    if row is None or not visible(row, person_id, employer_ref):
        raise ApplicationNotFound("You have no application with this reference.")
    return to_application(row, history(session, row.id))


def history(session: Session, application_id: str) -> tuple[Event, ...]:
    """The steps of an application, oldest first."""
    rows = session.scalars(
        select(ApplicationEventRow)
        .where(ApplicationEventRow.application_id == application_id)
        .order_by(ApplicationEventRow.at, ApplicationEventRow.id)
    )
    return tuple(Event(aware(r.at), r.status, r.actor, r.note) for r in rows)


def to_application(row: ApplicationRow, steps: tuple[Event, ...] = ()) -> Application:
    """The application a row holds (with its ``steps``, if read)."""
    return Application(
        id=row.id,
        vacancy_id=row.vacancy_id,
        destination=row.destination,
        employer_ref=row.employer_ref,
        employer_name=row.employer_name,
        title=row.title,
        locality=row.locality,
        worker_state=row.worker_state,
        worker_side=row.worker_side,
        employer_side=row.employer_side,
        person_id=row.person_id,
        status=row.status,
        payload=json.loads(row.payload),
        categories=split(row.categories),
        consent_id=row.consent_id,
        message=row.message,
        offer=json.loads(row.offer) if row.offer else None,
        last_error=row.last_error,
        created_at=aware(row.created_at),
        sent_at=aware(row.sent_at) if row.sent_at else None,
        updated_at=aware(row.updated_at),
        history=steps,
    )


def find_vacancy(session: Session, vacancy_id: str, today: date) -> VacancyRef | None:
    """The vacancy an application is for, and whether it is listed ``today``."""
    found = (
        session.execute(select(VACANCIES).where(VACANCIES.c.id == vacancy_id)).mappings().first()
    )
    if found is None:
        return None
    listed = (
        found["status"] == "active"
        and found["valid_through"] is not None
        and found["valid_through"] >= today
        and found["last_confirmed"] is not None
        and found["last_confirmed"] >= today - timedelta(days=LISTING_DAYS)
    )
    return VacancyRef(
        id=found["id"],
        origin=found["origin"],
        title=found["title"],
        employer_ref=found["employer_ref"],
        employer_name=found["employer_name"],
        locality=found["locality"] or found["region"] or "",
        isco=found["isco"],
        listed=listed,
    )


def employer_reference(state: str, kind: str, legal_id: str) -> str:
    """An organisation's reference as vacancies and consents name it (``RU-OGRN-…``)."""
    return organisation_ref(state, kind, legal_id)


def to_cv(row: CvRow) -> Cv:
    """The CV a row holds."""
    return Cv(
        person_id=row.person_id,
        headline=row.headline,
        summary=row.summary,
        occupations=split(row.occupations),
        experience=tuple(Experience(**e) for e in json.loads(row.experience)),
        education=tuple(Education(**e) for e in json.loads(row.education)),
        languages=tuple(Language(**e) for e in json.loads(row.languages)),
        documents=tuple(CvDocument(**e) for e in json.loads(row.documents)),
        locality=row.locality,
        searchable=row.searchable,
        updated_at=aware(row.updated_at),
    )


def dumps(value: Any) -> str:
    """``value`` as compact JSON, keys sorted, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def split(value: str) -> tuple[str, ...]:
    """A comma-separated column as a tuple."""
    return tuple(value.split(",")) if value else ()


def refusal_detail(message: str) -> str:
    """A peer's refusal in its own words, without the exchange's preamble."""
    _, sep, rest = message.partition(" refused the message: ")
    return rest if sep else message


def aware(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (SQLite returns stored UTC times naive)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def consent_until(now: datetime, value: str) -> datetime | None:
    """The consent end a form carried back from the preview, if it is a sensible one."""
    try:
        until = utc(datetime.fromisoformat(value))
    except (ValueError, TypeError):
        return None
    if until <= now or until - now > MAX_VALIDITY:
        return None
    return until


__all__ = [
    "APPLICATION_ID",
    "MAX_MESSAGE",
    "PURPOSE",
    "STATUS",
    "SUBMIT",
    "VERSION",
    "WITHDRAWN_MESSAGE",
    "aware",
    "consent_until",
    "consented",
    "dumps",
    "employer_reference",
    "employer_row",
    "exchange_of",
    "find_vacancy",
    "history",
    "load",
    "record_event",
    "refusal_detail",
    "split",
    "to_application",
    "to_cv",
    "visible",
    "worker_row",
]
