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

This module is the person's side and the facade the pages use. The employer's side is
:mod:`.employer_applications`, the exchange handlers are :mod:`.application_messages`, and
the rows and views all three share are :mod:`.application_records`; their public names are
re-exported here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eaeu.consent import handlers as consent_handlers
from eaeu.consent import records
from eaeu.consent.errors import ConsentInvalid, ConsentRefused
from eaeu.consent.messages import GRANTED
from eaeu.consent.messages import SERVICE as CONSENT_SERVICE
from eaeu.consent.model import PERIODIC, ConsentTerms
from eaeu.consent.policy import TransferPolicy, load_policy
from eaeu.exchange.errors import MessageRefused, PeerUnavailable
from eaeu.exchange.node import Handler
from eaeu.identity.accounts import Accounts
from eaeu.identity.model import Person
from eaeu.kernel.ids import uuid7
from eaeu.kernel.log import get_logger
from eaeu.services.jobs.application_messages import ApplicationMessages
from eaeu.services.jobs.application_records import (
    PURPOSE,
    STATUS,
    SUBMIT,
    VERSION,
    WITHDRAWN_MESSAGE,
    aware,
    consent_until,
    consented,
    dumps,
    employer_reference,
    employer_row,
    exchange_of,
    find_vacancy,
    load,
    record_event,
    refusal_detail,
    split,
    to_application,
    to_cv,
    worker_row,
)
from eaeu.services.jobs.context import SERVICE, JobsContext
from eaeu.services.jobs.employer_applications import EmployerApplications
from eaeu.services.jobs.people_errors import (
    ApplicationConflict,
    ApplicationInvalid,
    ApplicationNotFound,
)
from eaeu.services.jobs.people_model import (
    ANSWERS,
    CLOSED,
    NOT_SENT,
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
from eaeu.services.jobs.people_orm import ApplicationRow, CvRow

logger = get_logger("eaeu.jobs.applications")

#: How long the application consent lasts, and how long the employer may keep the data.
CONSENT_DAYS: Final = 180
DATA_LIFE_DAYS: Final = 180

_MAX_TEXT: Final = 4000


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
    """CVs on the home node, consented applications and their statuses.

    Attributes:
        employer: the employer's side (see :mod:`.employer_applications`).
        messages: the exchange handlers (see :mod:`.application_messages`).
    """

    def __init__(self, ctx: JobsContext, policy: TransferPolicy | None = None) -> None:
        self.ctx = ctx
        self._policy = policy
        self.employer = EmployerApplications(ctx)
        self.messages = ApplicationMessages(ctx)

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
        return self.messages.handlers()

    # -- CVs ---------------------------------------------------------------------------------

    def cv(self, person_id: str) -> Cv | None:
        """The person's CV, or ``None``."""
        with self.ctx.uow() as uow:
            row = uow.session.get(CvRow, person_id)
            return None if row is None else to_cv(row)

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
            row.experience = dumps([as_dict(e) for e in cv.experience])
            row.education = dumps([as_dict(e) for e in cv.education])
            row.languages = dumps([as_dict(e) for e in cv.languages])
            row.documents = dumps([as_dict(e) for e in cv.documents])
            row.searchable, row.updated_at = cv.searchable, now
            uow.commit()
            saved = to_cv(row)
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
                cv = to_cv(row)
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
            found = find_vacancy(uow.session, vacancy_id, self.ctx.clock.now().date())
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
        exchange = exchange_of(self.ctx)
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
                exchange = exchange_of(self.ctx)
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
                payload=dumps(shown.payload),
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
                record_event(uow.session, row, SENT, "worker", None, now)
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
        exchange = exchange_of(self.ctx)
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
            categories = split(row.categories)
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
            detail = exc.text.en if isinstance(exc, ConsentRefused) else refusal_detail(exc.message)
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            row = uow.session.get(ApplicationRow, application_id, with_for_update=True)
            assert row is not None  # noqa: S101 - it was there a moment ago
            if reason is None:
                answer = delivered.response if isinstance(delivered.response, dict) else {}
                status = str(answer.get("status") or SENT)
                row.status = status if status in {SENT, VIEWED} else SENT
                row.sent_at, row.last_error = now, None
                record_event(uow.session, row, SENT, "worker", None, now)
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
            row = worker_row(uow.session, application_id, person_id, lock=True)
            if row.status in CLOSED:
                raise ApplicationConflict(
                    "This application is already closed.", reason="jobs.application_closed"
                )
            sent = row.status != NOT_SENT
            row.status, row.updated_at = WITHDRAWN, now
            record_event(uow.session, row, WITHDRAWN, "worker", None, now)
            if sent and not row.employer_side:
                self._tell_employer(uow.session, row, now)
            uow.commit()
        logger.info("jobs.application.withdrawn", destination=row.destination)
        return self.application(application_id, person_id=person_id)

    def _tell_employer(self, session: Session, row: ApplicationRow, now: datetime) -> None:
        try:
            # The guard refuses before anything is written, so the withdrawal still commits.
            exchange_of(self.ctx).enqueue(
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
            return [to_application(row) for row in rows]

    def application(
        self, application_id: str, *, person_id: str | None = None, employer_ref: str | None = None
    ) -> Application:
        """One application with its history, seen by its person or its employer.

        Raises:
            ApplicationNotFound: it does not exist or is neither's.
        """
        with self.ctx.uow() as uow:
            return load(uow.session, application_id, person_id, employer_ref)

    # -- the employer's node (see :mod:`.employer_applications`) -----------------------------

    def for_employer(self, employer_ref: str) -> list[Application]:
        """The applications to an employer's vacancies, newest first (closing revoked ones)."""
        return self.employer.for_employer(employer_ref)

    def open_for_employer(self, application_id: str, employer_ref: str) -> Application:
        """An application as its employer sees it; the first look marks it ``viewed``."""
        return self.employer.open_for_employer(application_id, employer_ref)

    def answer(
        self, application_id: str, employer_ref: str, status: str, note: str = ""
    ) -> Application:
        """Record an employer's answer; tell the applicant (see :class:`EmployerApplications`)."""
        return self.employer.answer(application_id, employer_ref, status, note)

    def notify_worker(
        self,
        session: Session,
        row: ApplicationRow,
        body: Mapping[str, Any],
        *,
        message_type: str = STATUS,
        categories: tuple[str, ...] = ("employment",),
    ) -> None:
        """Tell the worker's home node of a step, in the caller's transaction (outbox)."""
        self.employer.notify_worker(
            session, row, body, message_type=message_type, categories=categories
        )

    # -- helpers -----------------------------------------------------------------------------

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


__all__ = [
    "ANSWERS",
    "CLOSED",
    "PARTS",
    "PURPOSE",
    "STATUS",
    "SUBMIT",
    "WITHDRAWN_MESSAGE",
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
    "aware",
    "check_cv",
    "consent_until",
    "consented",
    "employer_reference",
    "employer_row",
    "record_event",
    "worker_row",
]
