"""Vacancies: ingest, direct posting by verified employers, freshness, duplicates, moderation.

:class:`VacancyStore` keeps this state's vacancies and the replicas of the other states'.

* **Who may post.** Only an organisation registered at this node, of kind ``employer``,
  whose legal identifier passes its state's published rule (:meth:`VacancyStore.
  verify_employer`). A private employment agency gives its licence number and every
  vacancy it posts is flagged as an agency's. Nobody may ask the jobseeker for money: a
  fee in the text is refused (:func:`~eaeu.services.jobs.model.check_vacancy`).
* **Ingest** from the national system (:mod:`.adapters`) creates, updates or merges each
  record, or rejects it with its reasons, and says which in an :class:`IngestReport`.
  A record whose employer, title, locality and pay match an active vacancy of this state
  (its :func:`~eaeu.services.jobs.model.dedup_key`) is merged into it instead of listed
  twice.
* **Freshness.** A vacancy is listed while active, not past ``valid_through`` and confirmed
  in the last 90 days; employers reconfirm from their dashboard.
* **Moderation.** Anyone can report a vacancy; reports wait in this node's queue until an
  operator blocks the vacancy (a tombstone) or dismisses the report.
* **Change feed.** Every change to an own vacancy takes the next ``seq`` of this origin's
  feed: the writer's first statement bumps the origin's row in ``jobs_feed_counters``, so
  concurrent writers queue on that row (PostgreSQL) or on the write lock (SQLite) and never
  share a ``seq``. Withdrawn and blocked vacancies keep their row with a new ``seq`` so
  replicas learn of them. :meth:`VacancyStore.changes_since` serves the feed and
  :meth:`VacancyStore.apply_replica` takes a peer's record only from its origin and only if
  newer.

The parts around the store live in their own modules and are re-exported here:
:mod:`.vacancy_rows` (row mapping, the listing condition, the feed counter),
:mod:`.moderation` (reports and decisions) and :mod:`.vacancy_demo` (the demonstration seed).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from eaeu.exchange.node import Handler
from eaeu.identity.accounts import Accounts
from eaeu.identity.errors import AccountNotFound
from eaeu.identity.model import EMPLOYER
from eaeu.kernel.ids import uuid7
from eaeu.kernel.log import get_logger
from eaeu.services.jobs import adapters, vacancy_demo
from eaeu.services.jobs.adapters import Parsed, Rejection
from eaeu.services.jobs.context import JobsContext
from eaeu.services.jobs.errors import (
    EmployerRefused,
    ReplicaRefused,
    VacancyClosed,
    VacancyInvalid,
    VacancyNotFound,
)
from eaeu.services.jobs.model import (
    AGENCY_LICENCE,
    Vacancy,
    VacancyDraft,
    check_vacancy,
    employer_ref,
    merge,
    same_content,
)
from eaeu.services.jobs.moderation import MAX_COMMENT, REPORT_REASONS, Moderation, Report
from eaeu.services.jobs.orm import EmployerRow, FeedCounterRow, VacancyRow
from eaeu.services.jobs.vacancy_demo import (
    DEMO_DRAFT,
    DEMO_EMPLOYER_OGRN,
    SAMPLE_DATE,
    SAMPLES,
    demo_vacancy_id,
)
from eaeu.services.jobs.vacancy_rows import (
    claim_feed,
    listed_filter,
    next_seq,
    to_row,
    to_vacancy,
)

log = get_logger("eaeu.jobs")

#: The most records one change-feed page carries.
MAX_FEED_PAGE: Final = 500
#: How long a reconfirmed vacancy without an end date of its own stays open.
RECONFIRM_VALIDITY_DAYS: Final = 60


@dataclass(frozen=True, slots=True)
class Employer:
    """An organisation verified at this node to post vacancies.

    Attributes:
        employer_ref: its reference (``RU-OGRN-1157746013237``).
        organisation_id: its id in identity.
        name: its registered name.
        is_agency: a private employment agency.
        agency_licence: the agency's licence number.
        verified_at: when it was last verified.
    """

    employer_ref: str
    organisation_id: str
    name: str
    is_agency: bool
    agency_licence: str | None
    verified_at: datetime


@dataclass
class IngestReport:
    """What happened to each record of an ingest.

    Attributes:
        source: the adapter's format.
        created: ids of new vacancies.
        updated: ids of vacancies changed by a newer version of their record.
        merged: ``(source id, vacancy id)`` of records merged into an existing vacancy.
        unchanged: ids of vacancies the record repeated.
        rejected: records not taken, with the reasons.
    """

    source: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    merged: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every record was taken."""
        return not self.rejected

    def to_json(self) -> dict[str, Any]:
        """The report as JSON values (``eaeu jobs ingest --json``)."""
        return {
            "source": self.source,
            "created": len(self.created),
            "updated": len(self.updated),
            "merged": [{"source_id": s, "into": v} for s, v in self.merged],
            "unchanged": len(self.unchanged),
            "rejected": [r.to_json() for r in self.rejected],
        }


class VacancyStore:
    """Vacancies of this state and the replicas of the others.

    Args:
        ctx: the node's wiring.

    Attributes:
        moderation: this node's queue of reports about vacancies.
    """

    def __init__(self, ctx: JobsContext) -> None:
        self.ctx = ctx
        self.moderation = Moderation(ctx, self._put)

    def handlers(self) -> dict[str, Handler]:
        """The exchange handlers of this part (message type → handler): none; see feed."""
        return {}

    @property
    def state(self) -> str:
        """This node's state."""
        return self.ctx.state

    def today(self) -> date:
        """Today at this node (UTC)."""
        return self.ctx.clock.now().date()

    # -- employers ------------------------------------------------------------------------

    def verify_employer(
        self, organisation_id: str, *, agency: bool | None = None, licence: str | None = None
    ) -> Employer:
        """Verify an organisation registered here to post, and record it.

        Args:
            organisation_id: its id in identity.
            agency: whether it is a private employment agency (``None``: as recorded).
            licence: the agency's licence number (``None``: as recorded).

        Raises:
            EmployerRefused: it is not registered here (``jobs.employer_unknown``), is of
                another state (``jobs.employer_foreign``), is not an employer
                (``jobs.employer_not_employer``), its legal identifier fails its rule
                (``jobs.employer_legal_id``), or it is an agency without a licence
                (``jobs.agency_licence``).
        """
        try:
            organisation = Accounts(self.ctx.uow, self.ctx.clock).organisation(organisation_id)
        except AccountNotFound:
            raise EmployerRefused(
                "Only organisations registered at this node may post vacancies.",
                reason="jobs.employer_unknown",
            ) from None
        if organisation.state != self.state:
            raise EmployerRefused(
                "An organisation posts vacancies at the node of its own state.",
                reason="jobs.employer_foreign",
            )
        if EMPLOYER not in organisation.kinds:
            raise EmployerRefused(
                "This organisation is not registered as an employer.",
                reason="jobs.employer_not_employer",
            )
        try:
            ref = employer_ref(
                organisation.state, organisation.legal_id, organisation.legal_id_kind
            )
        except VacancyInvalid:
            raise EmployerRefused(
                "The organisation's registration number fails its state's rule, so it cannot "
                "be verified.",
                reason="jobs.employer_legal_id",
            ) from None
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            row = uow.session.get(EmployerRow, ref)
            is_agency = agency if agency is not None else bool(row and row.is_agency)
            number = licence if licence is not None else (row.agency_licence if row else None)
            number = (number or "").strip()[:64] or None
            if is_agency and number is None:
                raise EmployerRefused(AGENCY_LICENCE, reason="jobs.agency_licence")
            if row is None:
                row = EmployerRow(employer_ref=ref, organisation_id=organisation.id)
                uow.session.add(row)
            row.name = organisation.name
            row.legal_id_kind = organisation.legal_id_kind
            row.legal_id = organisation.legal_id
            row.is_agency = is_agency
            row.agency_licence = number if is_agency else None
            row.verified_at = now
            employer = _employer(row)
            uow.commit()
        log.info("jobs.employer.verified", employer=ref, agency=is_agency)
        return employer

    def employer(self, organisation_id: str) -> Employer | None:
        """The verification recorded for an organisation, if any."""
        with self.ctx.uow() as uow:
            row = uow.session.scalars(
                select(EmployerRow).where(EmployerRow.organisation_id == organisation_id)
            ).first()
            return _employer(row) if row else None

    # -- posting, reconfirming, withdrawing -----------------------------------------------

    def post(
        self,
        organisation_id: str,
        draft: VacancyDraft,
        *,
        agency: bool | None = None,
        licence: str | None = None,
        new_id: str | None = None,
    ) -> Vacancy:
        """Publish a vacancy of a verified employer of this state.

        Raises:
            EmployerRefused: the organisation may not post (see :meth:`verify_employer`).
            FeeCharged: the text asks the jobseeker to pay.
            VacancyInvalid: any other rule is broken (``problems`` by field).
        """
        employer = self.verify_employer(organisation_id, agency=agency, licence=licence)
        today = self.today()
        vacancy_id = new_id or f"{self.state}-{uuid7().hex}"
        vacancy = Vacancy(
            id=vacancy_id,
            origin=self.state,
            source="portal",
            source_id=vacancy_id,
            title=draft.title.strip(),
            description=draft.description.strip(),
            isco=draft.isco,
            employer_ref=employer.employer_ref,
            employer_name=employer.name,
            is_agency=employer.is_agency,
            agency_licence=employer.agency_licence,
            region=draft.region.strip(),
            locality=draft.locality.strip(),
            salary_min=draft.salary_min,
            salary_max=draft.salary_max,
            currency=draft.currency,
            salary_period=draft.salary_period,
            employment_type=draft.employment_type,
            schedule=draft.schedule,
            education=draft.education,
            experience_years=draft.experience_years,
            languages=draft.languages,
            housing=draft.housing,
            eaeu_open=draft.eaeu_open,
            positions=draft.positions,
            posted=today,
            valid_through=draft.valid_through,
            last_confirmed=today,
        )
        check_vacancy(vacancy, today)
        with self.ctx.uow() as uow:
            claim_feed(uow.session, self.state)
            stored = self._put(uow.session, vacancy)
            uow.commit()
        log.info("jobs.vacancy.posted", vacancy=stored.id, seq=stored.seq)
        return stored

    def of_employer(self, organisation_id: str) -> list[Vacancy]:
        """Every vacancy an organisation posted here, newest change first."""
        employer = self.employer(organisation_id)
        if employer is None:
            return []
        with self.ctx.uow() as uow:
            rows = uow.session.scalars(
                select(VacancyRow)
                .where(
                    VacancyRow.origin == self.state,
                    VacancyRow.employer_ref == employer.employer_ref,
                )
                .order_by(VacancyRow.seq.desc())
            )
            return [to_vacancy(row) for row in rows]

    def reconfirm(
        self, organisation_id: str, vacancy_id: str, *, valid_through: date | None = None
    ) -> Vacancy:
        """Confirm that an employer's vacancy is still open (listed again for 90 days).

        An expired vacancy (or one given ``valid_through``) is also extended, by
        :data:`RECONFIRM_VALIDITY_DAYS` by default.

        Raises:
            VacancyNotFound: not a vacancy of this organisation here.
            VacancyClosed: it was withdrawn or blocked.
            VacancyInvalid: ``valid_through`` is in the past or more than a year away.
        """
        today = self.today()

        def change(vacancy: Vacancy) -> Vacancy:
            until = valid_through or vacancy.valid_through
            if until < today:
                until = today + timedelta(days=RECONFIRM_VALIDITY_DAYS)
            changed = replace(vacancy, last_confirmed=today, valid_through=until)
            check_vacancy(changed, today)
            return changed

        vacancy = self._change_own(organisation_id, vacancy_id, change)
        log.info("jobs.vacancy.reconfirmed", vacancy=vacancy_id, seq=vacancy.seq)
        return vacancy

    def withdraw(self, organisation_id: str, vacancy_id: str) -> Vacancy:
        """Withdraw an employer's vacancy: a tombstone that replicas learn of.

        Raises:
            VacancyNotFound: not a vacancy of this organisation here.
            VacancyClosed: it was already withdrawn or blocked.
        """
        vacancy = self._change_own(
            organisation_id, vacancy_id, lambda v: replace(v, status="withdrawn")
        )
        log.info("jobs.vacancy.withdrawn", vacancy=vacancy_id, seq=vacancy.seq)
        return vacancy

    def _change_own(self, organisation_id: str, vacancy_id: str, change: Any) -> Vacancy:
        employer = self.employer(organisation_id)
        with self.ctx.uow() as uow:
            claim_feed(uow.session, self.state)
            row = uow.session.get(VacancyRow, vacancy_id)
            if (
                row is None
                or employer is None
                or row.origin != self.state
                or row.employer_ref != employer.employer_ref
            ):
                raise VacancyNotFound("You have no vacancy with this id.")
            if row.status != "active":
                raise VacancyClosed("This vacancy was withdrawn or blocked; it cannot change.")
            stored = self._put(uow.session, change(to_vacancy(row)), row=row)
            uow.commit()
        return stored

    def _put(self, session: Session, vacancy: Vacancy, *, row: VacancyRow | None = None) -> Vacancy:
        """Store an own vacancy at the next position of the feed (after :func:`claim_feed`)."""
        seq = next_seq(session, self.state)
        now = self.ctx.clock.now()
        if row is None:
            row = VacancyRow()
            session.add(row)
        to_row(row, vacancy, seq=seq, at=now)
        session.flush()
        return replace(vacancy, seq=seq, updated_at=now)

    # -- reading --------------------------------------------------------------------------

    def get(self, vacancy_id: str) -> Vacancy:
        """The vacancy with ``vacancy_id`` (own or replicated, whatever its status).

        Raises:
            VacancyNotFound: no such vacancy here.
        """
        with self.ctx.uow() as uow:
            row = uow.session.get(VacancyRow, vacancy_id)
            if row is None:
                raise VacancyNotFound("There is no vacancy at this address.")
            return to_vacancy(row)

    def listed(self, vacancy_id: str) -> Vacancy:
        """The vacancy with ``vacancy_id`` if it is listed today.

        Raises:
            VacancyNotFound: no such vacancy, or it is withdrawn, blocked, expired or stale.
        """
        vacancy = self.get(vacancy_id)
        if not vacancy.listed(self.today()):
            raise VacancyNotFound("This vacancy is no longer open.")
        return vacancy

    # -- ingest ---------------------------------------------------------------------------

    def ingest(self, parsed: Parsed, *, shift_days: int = 0) -> IngestReport:
        """Take what an adapter read: create, update or merge each record, or reject it.

        Args:
            parsed: the adapter's output.
            shift_days: move every date by this many days (the demonstration seed).

        Returns:
            The report: created, updated, merged, unchanged and rejected (with reasons).
        """
        report = IngestReport(parsed.source, rejected=list(parsed.rejected))
        today = self.today()
        with self.ctx.uow() as uow:
            claim_feed(uow.session, self.state)
            for record in parsed.vacancies:
                vacancy = _shifted(record, shift_days) if shift_days else record
                self._ingest_one(uow.session, vacancy, today, report)
            uow.commit()
        log.info(
            "jobs.vacancies.ingested",
            source=parsed.source,
            created=len(report.created),
            updated=len(report.updated),
            merged=len(report.merged),
            rejected=len(report.rejected),
        )
        return report

    def _ingest_one(
        self, session: Session, vacancy: Vacancy, today: date, report: IngestReport
    ) -> None:
        if vacancy.origin != self.state:
            report.rejected.append(
                Rejection(
                    vacancy.source_id,
                    "jobs.wrong_origin",
                    {"origin": "A node ingests the vacancies of its own state only."},
                )
            )
            return
        try:
            check_vacancy(vacancy, today)
        except VacancyInvalid as exc:
            report.rejected.append(Rejection(vacancy.source_id, exc.reason, exc.problems))
            return
        row = session.get(VacancyRow, vacancy.id)
        if row is not None:
            if row.status != "active":
                report.rejected.append(
                    Rejection(
                        vacancy.source_id,
                        "jobs.vacancy_closed",
                        {"status": "This vacancy was withdrawn or blocked here."},
                    )
                )
                return
            held = to_vacancy(row)
            if same_content(held, replace(vacancy, status=held.status)):
                report.unchanged.append(vacancy.id)
                return
            self._put(session, replace(vacancy, posted=min(held.posted, vacancy.posted)), row=row)
            report.updated.append(vacancy.id)
            return
        twin = session.scalars(
            select(VacancyRow).where(
                VacancyRow.origin == self.state,
                VacancyRow.dedup_key == vacancy.dedup_key,
                VacancyRow.status == "active",
            )
        ).first()
        if twin is not None:
            held = to_vacancy(twin)
            merged = merge(held, vacancy)
            if not same_content(held, merged):
                self._put(session, merged, row=twin)
            report.merged.append((vacancy.source_id, twin.id))
            return
        self._put(session, vacancy)
        report.created.append(vacancy.id)

    def ingest_file(
        self, kind: str, data: bytes | str, *, expected_region: str | None = None
    ) -> IngestReport:
        """Read a source file with its adapter and ingest it.

        Raises:
            FeedUnreadable: not JSON, or not in the shape of ``kind``.
            FeedOutOfRegion: trudvsem records outside ``expected_region``.
        """
        parsed = adapters.parse_file(kind, data, state=self.state, expected_region=expected_region)
        return self.ingest(parsed)

    # -- moderation (see :mod:`.moderation`) ----------------------------------------------

    def report(self, vacancy_id: str, reason: str, comment: str = "") -> Report:
        """Record a report about a vacancy (see :meth:`Moderation.report`)."""
        return self.moderation.report(vacancy_id, reason, comment)

    def open_reports(self) -> list[tuple[Report, Vacancy]]:
        """The moderation queue (see :meth:`Moderation.open_reports`)."""
        return self.moderation.open_reports()

    def decide(self, report_id: str, action: str, operator_id: str) -> Vacancy:
        """An operator's decision on a report (see :meth:`Moderation.decide`)."""
        return self.moderation.decide(report_id, action, operator_id)

    # -- replication ----------------------------------------------------------------------

    def last_seq(self) -> int:
        """The newest position of this state's change feed (0 before any change)."""
        with self.ctx.uow() as uow:
            counter = uow.session.get(FeedCounterRow, self.state)
            return counter.last if counter else 0

    def changes_since(self, since: int, limit: int = 100) -> list[dict[str, Any]]:
        """This state's vacancies changed after ``since``, tombstones included, by ``seq``.

        Args:
            since: the newest ``seq`` the reader has.
            limit: at most this many (1 … :data:`MAX_FEED_PAGE`).
        """
        limit = max(1, min(limit, MAX_FEED_PAGE))
        with self.ctx.uow() as uow:
            rows = uow.session.scalars(
                select(VacancyRow)
                .where(VacancyRow.origin == self.state, VacancyRow.seq > since)
                .order_by(VacancyRow.seq)
                .limit(limit)
            )
            return [to_vacancy(row).to_json() for row in rows]

    def apply_replica(self, session: Session, origin: str, record: Any) -> bool:
        """Keep a peer's vacancy record if it comes from its origin and is newer.

        Args:
            session: the caller's transaction.
            origin: the state of the node that sent it.
            record: a record of :meth:`changes_since` (``Vacancy.to_json``).

        Returns:
            Whether it was kept (``False``: this node holds that ``seq`` or a newer one).

        Raises:
            ReplicaRefused: a record of this node's own state (``jobs.replica_own``), one
                that cannot be read (``jobs.replica_invalid``), of another origin than
                its sender (``jobs.replica_origin``), or reusing a ``seq`` held by another
                vacancy (``jobs.replica_seq``).
        """
        if origin == self.state:
            raise ReplicaRefused(
                "A node does not take replicas of its own vacancies.", reason="jobs.replica_own"
            )
        try:
            vacancy = Vacancy.from_json(record)
        except VacancyInvalid as exc:
            fields = ", ".join(sorted(exc.problems))
            raise ReplicaRefused(
                f"The record cannot be read ({fields}).", reason="jobs.replica_invalid"
            ) from None
        if vacancy.seq is None or vacancy.seq < 1:
            raise ReplicaRefused("The record has no feed position.", reason="jobs.replica_invalid")
        row = session.get(VacancyRow, vacancy.id)
        if vacancy.origin != origin or (row is not None and row.origin != origin):
            raise ReplicaRefused(
                f"The {origin} node may only publish the vacancies of its own state.",
                reason="jobs.replica_origin",
            )
        if row is not None and row.seq >= vacancy.seq:
            return False
        clash = session.scalars(
            select(VacancyRow.id).where(VacancyRow.origin == origin, VacancyRow.seq == vacancy.seq)
        ).first()
        if clash is not None and clash != vacancy.id:
            raise ReplicaRefused(
                "Another vacancy holds this feed position.", reason="jobs.replica_seq"
            )
        if row is None:
            row = VacancyRow()
            session.add(row)
        to_row(row, vacancy, seq=vacancy.seq, at=vacancy.updated_at or self.ctx.clock.now())
        session.flush()
        return True

    # -- demonstration data ---------------------------------------------------------------

    def seed_demo(self) -> int:
        """Ingest the sample files and the demo post (see :func:`.vacancy_demo.seed_demo`)."""
        return vacancy_demo.seed_demo(self)


def _shifted(vacancy: Vacancy, days: int) -> Vacancy:
    delta = timedelta(days=days)
    return replace(
        vacancy,
        posted=vacancy.posted + delta,
        valid_through=vacancy.valid_through + delta,
        last_confirmed=vacancy.last_confirmed + delta,
    )


def _employer(row: EmployerRow) -> Employer:
    return Employer(
        employer_ref=row.employer_ref,
        organisation_id=row.organisation_id,
        name=row.name,
        is_agency=row.is_agency,
        agency_licence=row.agency_licence,
        verified_at=row.verified_at,
    )


__all__ = [
    "DEMO_DRAFT",
    "DEMO_EMPLOYER_OGRN",
    "MAX_COMMENT",
    "MAX_FEED_PAGE",
    "RECONFIRM_VALIDITY_DAYS",
    "REPORT_REASONS",
    "SAMPLES",
    "SAMPLE_DATE",
    "Employer",
    "IngestReport",
    "Report",
    "VacancyDraft",
    "VacancyStore",
    "claim_feed",
    "demo_vacancy_id",
    "listed_filter",
    "next_seq",
    "to_row",
    "to_vacancy",
]
