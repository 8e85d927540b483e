"""Moderation: reports about vacancies and the operator's decisions on them.

Anyone may report an active vacancy — a fee asked of the jobseeker, fraud, discrimination, a
stale or duplicate ad — with a reason from :data:`REPORT_REASONS` and an optional comment.
Reports wait in the queue of the node that received them (:meth:`Moderation.open_reports`)
until an operator decides (:meth:`Moderation.decide`): dismissing closes the one report;
blocking closes every open report of the vacancy and leaves a ``blocked`` tombstone at the
next position of the change feed, so that replicas drop it too. Only the node of the
vacancy's own state may block it; another state's operator can only dismiss.

The store (:class:`~eaeu.services.jobs.vacancies.VacancyStore`) owns the feed, so it lends
:class:`Moderation` the function that writes an own vacancy at the next position.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from eaeu.kernel.ids import uuid7
from eaeu.kernel.log import get_logger
from eaeu.services.jobs.context import JobsContext
from eaeu.services.jobs.errors import ReportInvalid, ReportNotFound, VacancyNotFound
from eaeu.services.jobs.model import Vacancy
from eaeu.services.jobs.orm import ReportRow, VacancyRow
from eaeu.services.jobs.vacancy_rows import claim_feed, to_vacancy

log = get_logger("eaeu.jobs")

#: What a report can say is wrong with a vacancy.
REPORT_REASONS: Final = ("fee", "fraud", "discrimination", "stale", "duplicate", "other")
MAX_COMMENT: Final = 1000


class Put(Protocol):
    """Store an own vacancy at the next position of the feed (after ``claim_feed``)."""

    def __call__(
        self, session: Session, vacancy: Vacancy, *, row: VacancyRow | None = None
    ) -> Vacancy:
        """Store ``vacancy`` (into ``row`` if given) and return it with its position."""
        ...


@dataclass(frozen=True, slots=True)
class Report:
    """A report about a vacancy, as the moderation queue shows it."""

    id: str
    vacancy_id: str
    reason: str
    comment: str
    status: str
    created_at: datetime
    decided_at: datetime | None = None


class Moderation:
    """This node's moderation queue of reports about vacancies.

    Args:
        ctx: the node's wiring.
        put: the store's writer of own vacancies (for blocking).
    """

    def __init__(self, ctx: JobsContext, put: Put) -> None:
        self.ctx = ctx
        self._put = put

    def report(self, vacancy_id: str, reason: str, comment: str = "") -> Report:
        """Record a report about a vacancy in this node's moderation queue.

        Raises:
            ReportInvalid: an unknown reason or a comment that is too long.
            VacancyNotFound: no such vacancy, or it is withdrawn or blocked already.
        """
        if reason not in REPORT_REASONS:
            raise ReportInvalid("Choose what is wrong with the vacancy.")
        if len(comment) > MAX_COMMENT:
            raise ReportInvalid(f"A comment has at most {MAX_COMMENT} characters.")
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            vacancy = uow.session.get(VacancyRow, vacancy_id)
            if vacancy is None or vacancy.status != "active":
                raise VacancyNotFound("There is no open vacancy at this address.")
            row = ReportRow(
                id=str(uuid7()),
                vacancy_id=vacancy_id,
                reason=reason,
                comment=comment.strip(),
                status="open",
                created_at=now,
            )
            uow.session.add(row)
            report = _report(row)
            uow.commit()
        log.info("jobs.vacancy.reported", vacancy=vacancy_id, reason=reason)
        return report

    def open_reports(self) -> list[tuple[Report, Vacancy]]:
        """The moderation queue: open reports, oldest first, with their vacancies."""
        with self.ctx.uow() as uow:
            rows = uow.session.execute(
                select(ReportRow, VacancyRow)
                .join(VacancyRow, VacancyRow.id == ReportRow.vacancy_id)
                .where(ReportRow.status == "open")
                .order_by(ReportRow.created_at, ReportRow.id)
            ).all()
            return [(_report(report), to_vacancy(vacancy)) for report, vacancy in rows]

    def decide(self, report_id: str, action: str, operator_id: str) -> Vacancy:
        """An operator's decision on a report: ``block`` the vacancy or ``dismiss`` the report.

        Blocking closes every open report of the vacancy and leaves a tombstone that
        replicas learn of; only the vacancy's origin can block it.

        Raises:
            ReportNotFound: no open report with this id.
            ReportInvalid: an unknown action, or blocking another state's vacancy.
        """
        if action not in ("block", "dismiss"):
            raise ReportInvalid("Block the vacancy or dismiss the report.")
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            if action == "block":
                claim_feed(uow.session, self.ctx.state)
            report = uow.session.get(ReportRow, report_id)
            if report is None or report.status != "open":
                raise ReportNotFound("There is no open report with this id.")
            row = uow.session.get(VacancyRow, report.vacancy_id)
            assert row is not None  # noqa: S101 - a foreign key
            vacancy = to_vacancy(row)
            if action == "dismiss":
                reports = [report]
            else:
                if row.origin != self.ctx.state:
                    raise ReportInvalid(
                        "Only the node of the vacancy's state can block it.",
                        reason="jobs.report_foreign",
                    )
                if row.status == "active":
                    vacancy = self._put(uow.session, replace(vacancy, status="blocked"), row=row)
                reports = list(
                    uow.session.scalars(
                        select(ReportRow).where(
                            ReportRow.vacancy_id == row.id, ReportRow.status == "open"
                        )
                    )
                )
            for each in reports:
                each.status = "blocked" if action == "block" else "dismissed"
                each.decided_at = now
                each.decided_by = operator_id
            uow.commit()
        log.info("jobs.report.decided", report=report_id, action=action, vacancy=vacancy.id)
        return vacancy


def _report(row: ReportRow) -> Report:
    return Report(
        id=row.id,
        vacancy_id=row.vacancy_id,
        reason=row.reason,
        comment=row.comment,
        status=row.status,
        created_at=row.created_at,
        decided_at=row.decided_at,
    )


__all__ = ["MAX_COMMENT", "REPORT_REASONS", "Moderation", "Report"]
