"""CVs on the home node, consented applications and their statuses.

A person's CV (:class:`Cv`) is kept only on their home node. It is found by employers of
that node only if the person opted in (``searchable``), and then only its professional
parts are shown — never an identifier, a date of birth or a contact detail.

Applying is three steps on the person's home node: choose the parts to send
(:data:`PARTS`), see the preview (:meth:`Applications.preview`: exactly which values go to
which organisation in which state and why, and what the home state's transfer rules say),
and confirm (:meth:`Applications.apply`). For a vacancy of another state the confirmation
creates the consent (purpose ``jobs.application``, the receiver being the vacancy's
employer organisation and state, periodic so that later steps of the same application —
the withdrawal, the employer's answers — can travel under it), stores the application and
sends it at once as a synchronous, consented personal-data request
(``jobs.application.submit``). If the employer's node does not answer the application
stays ``not_sent`` with the reason, and the person retries (:meth:`Applications.resend`)
under the same consent. An application to a vacancy of the person's own state never
leaves the node and needs no consent.

The employer's node keeps only the fields sent. Its answers — viewed, invited (with a
message), rejected, and the offer made by :mod:`.contracts` — are personal data about the
applicant, so they go back through the outbox (``jobs.application.status``) as personal
data under the applicant's own consent: the guard lets a node answer the person's home node
under the consent that home node issued (``_cover_foreign``). Once the person withdraws
that consent the guard refuses every further answer, and the employer's node closes the
application and drops the fields it received. The person's withdrawal of an application
travels the other way under the same consent (``jobs.application.withdrawn``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Date, String, column, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eaeu.consent import handlers as consent_handlers
from eaeu.consent import received, records, tokens
from eaeu.consent.errors import ConsentInvalid, ConsentRefused
from eaeu.consent.messages import GRANTED
from eaeu.consent.messages import SERVICE as CONSENT_SERVICE
from eaeu.consent.model import MAX_VALIDITY, PERIODIC, ConsentTerms, organisation_ref
from eaeu.consent.policy import TransferPolicy, load_policy
from eaeu.exchange.errors import MessageRefused, PeerUnavailable
from eaeu.exchange.node import Handler, Incoming
from eaeu.identity.accounts import Accounts
from eaeu.identity.model import Person
from eaeu.kernel.clock import utc
from eaeu.kernel.ids import uuid7
from eaeu.kernel.log import get_logger
from eaeu.services.jobs.context import SERVICE, JobsContext
from eaeu.services.jobs.people_errors import (
    ApplicationConflict,
    ApplicationInvalid,
    ApplicationNotFound,
)
from eaeu.services.jobs.people_model import (
    ANSWERS,
    CLOSED,
    INVITED,
    NOT_SENT,
    OFFER,
    PARTS,
    SENT,
    VIEWED,
    WITHDRAWN,
    Application,
    Cv,
    CvDocument,
    Education,
    Event,
    Experience,
    Language,
    VacancyRef,
    as_dict,
    check_cv,
)
from eaeu.services.jobs.people_orm import ApplicationEventRow, ApplicationRow, CvRow

logger = get_logger("eaeu.jobs.applications")

PURPOSE: Final = "jobs.application"
SUBMIT: Final = "jobs.application.submit"
STATUS: Final = "jobs.application.status"
WITHDRAWN_MESSAGE: Final = "jobs.application.withdrawn"
#: The version of the application payload.
VERSION: Final = 1

#: How long the application consent lasts, and how long the employer may keep the data.
CONSENT_DAYS: Final = 180
DATA_LIFE_DAYS: Final = 180

_MAX_TEXT = 4000
_MAX_MESSAGE = 2000
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")
_LISTING_DAYS = 90

# The vacancy columns every slice may read (the table belongs to :mod:`.vacancies`).
_VACANCIES = table(
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


# -- applications ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplyPreview:
    """What the person sees before confirming an application.

    Attributes:
        vacancy: the vacancy.
        parts: the parts chosen.
        payload: exactly what would be sent.
        categories: the data categories of the payload.
        consent: the consent preview (who, why, how long, the home state's rules), or
            ``None`` for a vacancy of the person's own state (nothing leaves the node).
        valid_until: when the consent would end.
    """

    vacancy: VacancyRef
    parts: tuple[str, ...]
    payload: Mapping[str, Any]
    categories: tuple[str, ...]
    consent: consent_handlers.Preview | None
    valid_until: datetime


@dataclass(frozen=True, slots=True)
class Sent:
    """The outcome of confirming or retrying an application.

    Attributes:
        application: the application as it now stands.
        delivered: whether the employer's node has it.
        reason: why it was not delivered (``exchange.unreachable``, a refusal's reason).
        detail: the refusal's own words, when the peer refused.
    """

    application: Application
    delivered: bool
    reason: str | None = None
    detail: str | None = None


class Applications:
    """CVs on the home node, consented applications and their statuses."""

    def __init__(self, ctx: JobsContext, policy: TransferPolicy | None = None) -> None:
        self.ctx = ctx
        self._policy = policy

    def __repr__(self) -> str:
        return f"Applications(state={self.ctx.state!r})"

    @property
    def policy(self) -> TransferPolicy:
        """The transfer policy the consent previews apply (read on first use)."""
        if self._policy is None:
            self._policy = load_policy()
        return self._policy

    def handlers(self) -> dict[str, Handler]:
        """The exchange handlers of this part (message type → handler)."""
        return {
            SUBMIT: self._on_submit,
            STATUS: self._on_status,
            WITHDRAWN_MESSAGE: self._on_withdrawn,
        }

    # -- CVs ---------------------------------------------------------------------------------

    def cv(self, person_id: str) -> Cv | None:
        """The person's CV, or ``None``."""
        with self.ctx.uow() as uow:
            row = uow.session.get(CvRow, person_id)
            return None if row is None else _cv(row)

    def save_cv(self, cv: Cv) -> Cv:
        """Check and keep a person's CV (replacing the one before).

        Raises:
            CvInvalid: by field, what to correct.
        """
        cv = check_cv(cv)
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            row = uow.session.get(CvRow, cv.person_id, with_for_update=True)
            if row is None:
                row = CvRow(person_id=cv.person_id)
                uow.session.add(row)
            row.headline, row.summary, row.locality = cv.headline, cv.summary, cv.locality
            row.occupations = ",".join(cv.occupations)
            row.experience = _dumps([as_dict(e) for e in cv.experience])
            row.education = _dumps([as_dict(e) for e in cv.education])
            row.languages = _dumps([as_dict(e) for e in cv.languages])
            row.documents = _dumps([as_dict(e) for e in cv.documents])
            row.searchable, row.updated_at = cv.searchable, now
            uow.commit()
            saved = _cv(row)
        logger.info("jobs.cv.saved", searchable=cv.searchable)
        return saved

    def search_cvs(
        self, *, occupation: str = "", text: str = "", language: str = "", limit: int = 50
    ) -> list[Cv]:
        """The CVs of people of this node who let employers find them, newest first.

        Args:
            occupation: an ISCO-08 code or its prefix (``71`` finds every ``71xx``).
            text: words that must all appear in the headline, summary or experience.
            language: a two-letter language code the person speaks.
            limit: at most this many.
        """
        query = select(CvRow).where(CvRow.searchable.is_(True)).order_by(CvRow.updated_at.desc())
        words = [w for w in text.casefold().split() if w]
        found: list[Cv] = []
        with self.ctx.uow() as uow:
            for row in uow.session.scalars(query):
                cv = _cv(row)
                if occupation and not any(c.startswith(occupation) for c in cv.occupations):
                    continue
                if language and language not in {item.code for item in cv.languages}:
                    continue
                haystack = " ".join(
                    [
                        cv.headline,
                        cv.summary,
                        *(f"{e.title} {e.description}" for e in cv.experience),
                    ]
                ).casefold()
                if not all(word in haystack for word in words):
                    continue
                found.append(cv)
                if len(found) >= limit:
                    break
        return found

    # -- vacancies ----------------------------------------------------------------------------

    def vacancy(self, vacancy_id: str) -> VacancyRef:
        """The vacancy an application is for.

        Raises:
            ApplicationInvalid: there is no such vacancy here (``jobs.vacancy_not_found``).
        """
        with self.ctx.uow() as uow:
            found = _vacancy(uow.session, vacancy_id, self.ctx.clock.now().date())
        if found is None:
            raise ApplicationNotFound(
                "There is no vacancy with this id.", reason="jobs.vacancy_not_found"
            )
        return found

    # -- applying (the worker's home node) ---------------------------------------------------

    def preview(
        self,
        person_id: str,
        vacancy_id: str,
        parts: Sequence[str],
        *,
        letter: str = "",
        language: str = "en",
        valid_until: datetime | None = None,
    ) -> ApplyPreview:
        """Show exactly what an application would send, to whom, why, and under what rules.

        Raises:
            ApplicationNotFound: no such vacancy.
            ApplicationConflict: the vacancy is no longer listed (``jobs.vacancy_closed``),
                or the person applied before (``jobs.application_exists``).
            ApplicationInvalid: no part chosen, an unknown part, or a CV part without a CV.
        """
        vacancy = self.vacancy(vacancy_id)
        if not vacancy.listed:
            raise ApplicationConflict(
                "This vacancy is no longer open.", reason="jobs.vacancy_closed"
            )
        self._refuse_twice(person_id, vacancy_id)
        chosen = _parts(parts)
        person = Accounts(self.ctx.uow, self.ctx.clock).person(person_id)
        payload = self._payload(person, self.cv(person_id), chosen, letter)
        categories = _categories(chosen)
        now = self.ctx.clock.now().replace(microsecond=0)
        until = valid_until or now + timedelta(days=CONSENT_DAYS)
        consent = None
        if vacancy.origin != self.ctx.state:
            consent = self._consent_preview(vacancy, categories, until, language)
        return ApplyPreview(vacancy, chosen, payload, categories, consent, until)

    def _consent_preview(
        self, vacancy: VacancyRef, categories: tuple[str, ...], until: datetime, language: str
    ) -> consent_handlers.Preview:
        exchange = self._exchange()
        if not self.ctx.participates(vacancy.origin):
            raise ApplicationConflict(
                "The vacancy's state does not take part in the jobs service now.",
                reason="jobs.not_participating",
            )
        ask = consent_handlers.ConsentRequest(
            requester_state=vacancy.origin,
            requester_organisation=vacancy.employer_ref,
            requester_organisation_name=vacancy.employer_name,
            requester_service=SERVICE,
            purpose=PURPOSE,
            categories=categories,
            valid_until=until,
            mode=PERIODIC,
            data_life_days=DATA_LIFE_DAYS,
        )
        try:
            return consent_handlers.preview(
                exchange, self.policy, ask, person={}, language=language
            )
        except ConsentInvalid as exc:
            raise ApplicationInvalid(exc.message, reason=exc.reason) from None

    def apply(
        self,
        person_id: str,
        vacancy_id: str,
        parts: Sequence[str],
        *,
        letter: str = "",
        language: str = "en",
        valid_until: datetime | None = None,
        preview_hash: str = "",
        explicit_request: bool = False,
    ) -> Sent:
        """Confirm an application the person saw in the preview, and send it.

        For a vacancy of another state the consent is created and the application stored
        in one transaction; then it is sent at once. A node that does not answer leaves it
        ``not_sent`` (see :meth:`resend`).

        Raises:
            ApplicationInvalid: ``jobs.application_preview`` (what would be sent is not
                what the person saw), ``consent.no_explicit_request``, a consent rule.
            ApplicationConflict: sent before, or the vacancy is closed.
        """
        shown = self.preview(
            person_id, vacancy_id, parts, letter=letter, language=language, valid_until=valid_until
        )
        vacancy = shown.vacancy
        if not explicit_request:
            raise ApplicationInvalid(
                "Confirm that you ask for your application to be sent.",
                reason="consent.no_explicit_request",
            )
        if shown.consent is not None and shown.consent.notice_hash != preview_hash:
            raise ApplicationInvalid(
                "The details changed since you saw them. Check them again.",
                reason="jobs.application_preview",
            )
        if shown.consent is not None and not shown.consent.decision.allowed:
            raise ApplicationInvalid(
                "The transfer rules of your state do not allow this transfer.",
                reason="consent.policy_refused",
            )
        now = self.ctx.clock.now()
        local = vacancy.origin == self.ctx.state
        application_id = str(uuid7())
        with self.ctx.uow() as uow:
            consent_id = token = None
            if not local:
                exchange = self._exchange()
                assert shown.consent is not None  # noqa: S101 - a foreign vacancy has one
                terms = ConsentTerms(
                    subject_id=person_id,
                    subject_state=self.ctx.state,
                    requester_state=vacancy.origin,
                    requester_organisation=vacancy.employer_ref,
                    requester_organisation_name=vacancy.employer_name,
                    requester_service=SERVICE,
                    purpose=PURPOSE,
                    categories=shown.categories,
                    valid_from=now,
                    valid_until=shown.valid_until,
                    mode=PERIODIC,
                    data_life_days=DATA_LIFE_DAYS,
                    explicit_request=True,
                    preview_hash=shown.consent.notice_hash,
                )
                try:
                    given = records.grant(uow.session, terms, signer=exchange.signer, now=now)
                except ConsentInvalid as exc:
                    raise ApplicationInvalid(exc.message, reason=exc.reason) from None
                exchange.enqueue(
                    uow.session, vacancy.origin, CONSENT_SERVICE, GRANTED, {"token": given.token}
                )
                consent_id, token = given.id, given.token
            row = ApplicationRow(
                id=application_id,
                vacancy_id=vacancy.id,
                destination=vacancy.origin,
                employer_ref=vacancy.employer_ref,
                employer_name=vacancy.employer_name,
                title=vacancy.title,
                locality=vacancy.locality,
                worker_state=self.ctx.state,
                worker_side=True,
                employer_side=local,
                person_id=person_id,
                status=SENT if local else NOT_SENT,
                payload=_dumps(shown.payload),
                categories=",".join(shown.categories),
                consent_id=consent_id,
                consent_token=token,
                created_at=now,
                sent_at=now if local else None,
                updated_at=now,
            )
            uow.session.add(row)
            try:
                uow.session.flush()
            except IntegrityError:
                raise _applied_before() from None
            if local:
                _event(uow.session, row, SENT, "worker", None, now)
            uow.commit()
        logger.info("jobs.application.created", destination=vacancy.origin, local=local)
        if local:
            return Sent(self.application(application_id, person_id=person_id), delivered=True)
        return self._send(application_id, person_id)

    def resend(self, application_id: str, person_id: str) -> Sent:
        """Try again to send an application its employer's node has not received.

        Raises:
            ApplicationNotFound: not the person's.
            ApplicationConflict: it was delivered or withdrawn (``jobs.application_state``).
        """
        current = self.application(application_id, person_id=person_id)
        if current.status != NOT_SENT:
            raise ApplicationConflict("This application has been sent already.")
        return self._send(application_id, person_id)

    def _send(self, application_id: str, person_id: str) -> Sent:
        exchange = self._exchange()
        with self.ctx.uow() as uow:
            row = uow.session.get(ApplicationRow, application_id)
            assert row is not None  # noqa: S101 - the caller found it
            body = {
                "v": VERSION,
                "application_id": row.id,
                "vacancy_id": row.vacancy_id,
                "worker_state": row.worker_state,
                "fields": json.loads(row.payload),
            }
            destination, token = row.destination, row.consent_token
            categories = _split(row.categories)
        reason = detail = None
        try:
            delivered = exchange.request(
                destination,
                SERVICE,
                SUBMIT,
                body,
                personal=True,
                consent=token,
                purpose=PURPOSE,
                categories=categories,
            )
        except PeerUnavailable as exc:
            reason = exc.reason
        except MessageRefused as exc:
            reason = exc.reason
            detail = exc.text.en if isinstance(exc, ConsentRefused) else _detail(exc.message)
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            row = uow.session.get(ApplicationRow, application_id, with_for_update=True)
            assert row is not None  # noqa: S101 - it was there a moment ago
            if reason is None:
                answer = delivered.response if isinstance(delivered.response, dict) else {}
                status = str(answer.get("status") or SENT)
                row.status = status if status in {SENT, VIEWED} else SENT
                row.sent_at, row.last_error = now, None
                _event(uow.session, row, SENT, "worker", None, now)
            else:
                row.last_error = reason
            row.updated_at = now
            uow.commit()
        logger.info("jobs.application.sent" if reason is None else "jobs.application.not_sent",
                    destination=destination, reason=reason)  # fmt: skip
        return Sent(
            self.application(application_id, person_id=person_id),
            delivered=reason is None,
            reason=reason,
            detail=detail,
        )

    def withdraw(self, application_id: str, person_id: str) -> Application:
        """Withdraw the person's application; the employer's node is told.

        If the consent it travelled under was withdrawn meanwhile, the employer's node was
        already told to delete the data, and the application is withdrawn here only.

        Raises:
            ApplicationNotFound: not the person's.
            ApplicationConflict: it is already closed (``jobs.application_closed``).
        """
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            row = _worker_row(uow.session, application_id, person_id, lock=True)
            if row.status in CLOSED:
                raise ApplicationConflict(
                    "This application is already closed.", reason="jobs.application_closed"
                )
            sent = row.status != NOT_SENT
            row.status, row.updated_at = WITHDRAWN, now
            _event(uow.session, row, WITHDRAWN, "worker", None, now)
            if sent and not row.employer_side:
                self._tell_employer(uow.session, row, now)
            uow.commit()
        logger.info("jobs.application.withdrawn", destination=row.destination)
        return self.application(application_id, person_id=person_id)

    def _tell_employer(self, session: Session, row: ApplicationRow, now: datetime) -> None:
        try:
            # The guard refuses before anything is written, so the withdrawal still commits.
            self._exchange().enqueue(
                session,
                row.destination,
                SERVICE,
                WITHDRAWN_MESSAGE,
                {"application_id": row.id, "at": now.isoformat()},
                personal=True,
                consent=row.consent_token,
                purpose=PURPOSE,
                categories=("employment",),
            )
        except ConsentRefused as exc:
            logger.info("jobs.application.withdrawal_not_sent", reason=exc.reason)

    def mine(self, person_id: str) -> list[Application]:
        """The person's applications, newest first."""
        with self.ctx.uow() as uow:
            rows = uow.session.scalars(
                select(ApplicationRow)
                .where(ApplicationRow.person_id == person_id, ApplicationRow.worker_side.is_(True))
                .order_by(ApplicationRow.created_at.desc())
            )
            return [_application(row) for row in rows]

    def application(
        self, application_id: str, *, person_id: str | None = None, employer_ref: str | None = None
    ) -> Application:
        """One application with its history, seen by its person or its employer.

        Raises:
            ApplicationNotFound: it does not exist or is neither's.
        """
        with self.ctx.uow() as uow:
            row = uow.session.get(ApplicationRow, application_id)
            if row is None or not _visible(row, person_id, employer_ref):
                raise ApplicationNotFound("You have no application with this reference.")
            return _application(row, _history(uow.session, row.id))

    # -- the employer's node -------------------------------------------------------------------

    def for_employer(self, employer_ref: str) -> list[Application]:
        """The applications to an employer's vacancies, newest first (closing revoked ones)."""
        self._close_revoked(employer_ref)
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
            return [_application(row) for row in rows]

    def open_for_employer(self, application_id: str, employer_ref: str) -> Application:
        """An application as its employer sees it; the first look marks it ``viewed``.

        Raises:
            ApplicationNotFound: not this employer's.
        """
        self._close_revoked(employer_ref)
        current = self.application(application_id, employer_ref=employer_ref)
        if current.status == SENT:
            try:
                self.answer(application_id, employer_ref, VIEWED)
            except ApplicationConflict as exc:
                logger.info("jobs.application.view_not_told", reason=exc.reason)
        return self.application(application_id, employer_ref=employer_ref)

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
        if len(note) > _MAX_MESSAGE:
            raise ApplicationInvalid(
                f"The message is too long (at most {_MAX_MESSAGE} characters)."
            )
        if status == INVITED and not note:
            raise ApplicationInvalid(
                "Write the invitation: when and where, or how the interview will be held.",
                reason="jobs.message_missing",
            )
        now = self.ctx.clock.now()
        try:
            with self.ctx.uow() as uow:
                row = _employer_row(uow.session, application_id, employer_ref, lock=True)
                if row.status in CLOSED or row.status == OFFER:
                    raise ApplicationConflict(
                        "This application can no longer be answered.",
                        reason="jobs.application_closed",
                    )
                row.status, row.updated_at = status, now
                if status != VIEWED:
                    row.message = note or None
                _event(uow.session, row, status, "employer", note or None, now)
                self.notify_worker(uow.session, row, {"status": status, "message": note or None})
                uow.commit()
        except ConsentRefused as exc:
            self._closed_by_revocation(application_id, exc)
            raise ApplicationConflict(
                "The applicant withdrew their consent, so the application is closed and their "
                "data deleted.",
                reason="jobs.consent_withdrawn",
            ) from None
        logger.info("jobs.application.answered", status=status)
        return self.application(application_id, employer_ref=employer_ref)

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
        self._exchange().enqueue(
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

    def _close_revoked(self, employer_ref: str) -> None:
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
                    _wipe(uow.session, row, self.ctx.clock.now())
                    closed += 1
            if closed:
                uow.commit()
                logger.info("jobs.application.closed_by_revocation", count=closed)

    def _closed_by_revocation(self, application_id: str, exc: ConsentRefused) -> None:
        if exc.reason not in {"consent.revoked", "consent.expired"}:
            return
        with self.ctx.uow() as uow:
            row = uow.session.get(ApplicationRow, application_id, with_for_update=True)
            if row is not None:
                _wipe(uow.session, row, self.ctx.clock.now())
                uow.commit()

    # -- exchange handlers ----------------------------------------------------------------------

    def _on_submit(self, incoming: Incoming) -> dict[str, Any]:
        body = incoming.payload
        session = incoming.session
        if not isinstance(body, dict) or body.get("v") != VERSION:
            raise MessageRefused("the application is malformed", reason="jobs.malformed")
        application_id, vacancy_id = body.get("application_id"), body.get("vacancy_id")
        fields = body.get("fields")
        if (
            not isinstance(application_id, str)
            or not _ID.fullmatch(application_id)
            or not isinstance(vacancy_id, str)
            or not isinstance(fields, dict)
            or not set(fields) <= set(PARTS) | {"letter"}
            or body.get("worker_state") != incoming.sender_state
            or len(json.dumps(fields)) > 64_000  # noqa: PLR2004
        ):
            raise MessageRefused("the application is malformed", reason="jobs.malformed")
        claims = consented(incoming)
        vacancy = _vacancy(session, vacancy_id, incoming.at.date())
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
            payload=_dumps(fields),
            categories=",".join(incoming.envelope.categories),
            consent_id=claims.consent_id,
            consent_token=incoming.envelope.consent,
            created_at=incoming.at,
            sent_at=incoming.at,
            updated_at=incoming.at,
        )
        session.add(row)
        session.flush()
        _event(session, row, SENT, "worker", None, incoming.at)
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

    def _on_status(self, incoming: Incoming) -> dict[str, Any]:
        row = self._incoming_row(incoming)
        assert row is not None  # noqa: S101 - refused above otherwise
        body = incoming.payload
        status, note = body.get("status"), body.get("message")
        if (
            not row.worker_side
            or row.destination != incoming.sender_state
            or status not in ANSWERS
            or not (note is None or (isinstance(note, str) and len(note) <= _MAX_MESSAGE))
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
        _event(incoming.session, row, status, "employer", note, incoming.at)
        logger.info("jobs.application.status_received", status=status)
        return {"status": row.status}

    def _on_withdrawn(self, incoming: Incoming) -> dict[str, Any]:
        row = self._incoming_row(incoming)
        assert row is not None  # noqa: S101 - refused above otherwise
        if not row.employer_side or row.worker_state != incoming.sender_state:
            raise MessageRefused("the message is malformed", reason="jobs.malformed")
        if row.status not in CLOSED:
            row.status, row.updated_at = WITHDRAWN, incoming.at
            _event(incoming.session, row, WITHDRAWN, "worker", None, incoming.at)
        logger.info("jobs.application.withdrawal_received")
        return {"status": row.status}

    # -- helpers -----------------------------------------------------------------------------

    def _exchange(self) -> Any:
        if self.ctx.exchange is None:
            raise ApplicationConflict(
                "This node does not exchange data with other states.",
                reason="jobs.exchange_unavailable",
            )
        return self.ctx.exchange

    def _refuse_twice(self, person_id: str, vacancy_id: str) -> None:
        with self.ctx.uow() as uow:
            found = uow.session.scalar(
                select(ApplicationRow.id).where(
                    ApplicationRow.person_id == person_id, ApplicationRow.vacancy_id == vacancy_id
                )
            )
        if found is not None:
            raise _applied_before()

    @staticmethod
    def _payload(
        person: Person, cv: Cv | None, parts: tuple[str, ...], letter: str
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for part in parts:
            if part == "identity":
                payload["identity"] = {
                    "family_name": person.family_name,
                    "given_name": person.given_name,
                    "family_name_latin": person.family_name_latin,
                    "given_name_latin": person.given_name_latin,
                    "birth_date": person.birth_date.isoformat(),
                    "nationality": person.nationality,
                }
            elif part == "contact":
                payload["contact"] = {"email": person.email}
            else:
                if cv is None:
                    raise ApplicationInvalid(
                        "Write your CV before you send parts of it.", reason="jobs.cv_missing"
                    )
                payload[part] = cv.part(part)
        letter = letter.strip()
        if len(letter) > _MAX_TEXT:
            raise ApplicationInvalid("The letter is too long (at most 4000 characters).")
        if letter:
            payload["letter"] = letter
        return payload


# -- rows and views ---------------------------------------------------------------------------


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


def _parts(parts: Sequence[str]) -> tuple[str, ...]:
    chosen = {part.strip() for part in parts if part.strip()}
    if not chosen:
        raise ApplicationInvalid("Choose what to send.", reason="jobs.application_parts")
    if not chosen <= set(PARTS):
        raise ApplicationInvalid(
            "This is not a part of an application.", reason="jobs.application_parts"
        )
    return tuple(part for part in PARTS if part in chosen)


def _categories(parts: tuple[str, ...]) -> tuple[str, ...]:
    # The application itself (which vacancy, the letter) is employment data.
    return tuple(sorted({"employment", *(PARTS[part] for part in parts)}))


def _applied_before() -> ApplicationConflict:
    return ApplicationConflict(
        "You have already applied for this vacancy.", reason="jobs.application_exists"
    )


def _visible(row: ApplicationRow, person_id: str | None, employer_ref: str | None) -> bool:
    if person_id is not None and row.worker_side and row.person_id == person_id:
        return True
    return (
        employer_ref is not None
        and row.employer_side
        and row.employer_ref == employer_ref
        and row.status != NOT_SENT
    )


def _worker_row(
    session: Session, application_id: str, person_id: str, *, lock: bool
) -> ApplicationRow:
    row = session.get(ApplicationRow, application_id, with_for_update=lock)
    if row is None or not _visible(row, person_id, None):
        raise ApplicationNotFound("You have no application with this reference.")
    return row


def _employer_row(
    session: Session, application_id: str, employer_ref: str, *, lock: bool
) -> ApplicationRow:
    row = session.get(ApplicationRow, application_id, with_for_update=lock)
    if row is None or not _visible(row, None, employer_ref):
        raise ApplicationNotFound("Your organisation has no application with this reference.")
    return row


def employer_row(session: Session, application_id: str, employer_ref: str) -> ApplicationRow:
    """The application row an employer may act on, locked (for :mod:`.contracts`).

    Raises:
        ApplicationNotFound: not this employer's.
    """
    return _employer_row(session, application_id, employer_ref, lock=True)


def worker_row(session: Session, application_id: str, person_id: str) -> ApplicationRow:
    """The application row of a person, locked (for :mod:`.contracts`).

    Raises:
        ApplicationNotFound: not the person's.
    """
    return _worker_row(session, application_id, person_id, lock=True)


def record_event(
    session: Session, row: ApplicationRow, status: str, actor: str, note: str | None, at: datetime
) -> None:
    """Append a step to an application's history (for :mod:`.contracts`)."""
    _event(session, row, status, actor, note, at)


def _event(
    session: Session, row: ApplicationRow, status: str, actor: str, note: str | None, at: datetime
) -> None:
    session.add(
        ApplicationEventRow(
            id=str(uuid7()), application_id=row.id, at=at, status=status, actor=actor, note=note
        )
    )


def _wipe(session: Session, row: ApplicationRow, now: datetime) -> None:
    """Close an application whose consent was withdrawn and delete the fields received."""
    row.payload, row.message, row.offer = "{}", None, None
    if row.status not in CLOSED:
        row.status = WITHDRAWN
        _event(session, row, WITHDRAWN, "worker", None, now)
    row.updated_at = now
    session.flush()


def _history(session: Session, application_id: str) -> tuple[Event, ...]:
    rows = session.scalars(
        select(ApplicationEventRow)
        .where(ApplicationEventRow.application_id == application_id)
        .order_by(ApplicationEventRow.at, ApplicationEventRow.id)
    )
    return tuple(Event(aware(r.at), r.status, r.actor, r.note) for r in rows)


def _application(row: ApplicationRow, history: tuple[Event, ...] = ()) -> Application:
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
        categories=_split(row.categories),
        consent_id=row.consent_id,
        message=row.message,
        offer=json.loads(row.offer) if row.offer else None,
        last_error=row.last_error,
        created_at=aware(row.created_at),
        sent_at=aware(row.sent_at) if row.sent_at else None,
        updated_at=aware(row.updated_at),
        history=history,
    )


def _vacancy(session: Session, vacancy_id: str, today: date) -> VacancyRef | None:
    found = (
        session.execute(select(_VACANCIES).where(_VACANCIES.c.id == vacancy_id)).mappings().first()
    )
    if found is None:
        return None
    listed = (
        found["status"] == "active"
        and found["valid_through"] is not None
        and found["valid_through"] >= today
        and found["last_confirmed"] is not None
        and found["last_confirmed"] >= today - timedelta(days=_LISTING_DAYS)
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


def _cv(row: CvRow) -> Cv:
    return Cv(
        person_id=row.person_id,
        headline=row.headline,
        summary=row.summary,
        occupations=_split(row.occupations),
        experience=tuple(Experience(**e) for e in json.loads(row.experience)),
        education=tuple(Education(**e) for e in json.loads(row.education)),
        languages=tuple(Language(**e) for e in json.loads(row.languages)),
        documents=tuple(CvDocument(**e) for e in json.loads(row.documents)),
        locality=row.locality,
        searchable=row.searchable,
        updated_at=aware(row.updated_at),
    )


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _split(value: str) -> tuple[str, ...]:
    return tuple(value.split(",")) if value else ()


def _detail(message: str) -> str:
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
    "ANSWERS",
    "CLOSED",
    "PARTS",
    "PURPOSE",
    "STATUS",
    "SUBMIT",
    "Application",
    "Applications",
    "ApplyPreview",
    "Cv",
    "CvDocument",
    "Education",
    "Event",
    "Experience",
    "Language",
    "Sent",
    "VacancyRef",
    "check_cv",
]
