"""How a :class:`~eaeu.services.jobs.model.Vacancy` is stored, and the change feed's counter.

``jobs_vacancies`` holds this state's vacancies and the replicas of the others', one row per
vacancy: :func:`to_row` and :func:`to_vacancy` map between the two, and :func:`listed_filter`
is the listing rule of :func:`~eaeu.services.jobs.model.is_listed` as a SQL condition, for
every part that reads the table.

Each origin's change feed is numbered by a counter row in ``jobs_feed_counters``. A writer
of own vacancies first calls :func:`claim_feed`, which bumps that row to itself: PostgreSQL
then holds the row lock and SQLite the database's write lock until the transaction ends, so
concurrent writers queue there and :func:`next_seq` never gives one position twice.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from eaeu.services.jobs.model import Vacancy, reconfirmation_cutoff
from eaeu.services.jobs.orm import FeedCounterRow, VacancyRow


def to_row(row: VacancyRow, vacancy: Vacancy, *, seq: int, at: datetime) -> None:
    """Write ``vacancy`` into ``row`` at feed position ``seq``, changed ``at``."""
    row.id = vacancy.id
    row.origin = vacancy.origin
    row.source = vacancy.source
    row.source_id = vacancy.source_id
    row.title = vacancy.title
    row.title_norm = vacancy.title_norm[:200]
    row.description = vacancy.description
    row.isco = vacancy.isco
    row.employer_ref = vacancy.employer_ref
    row.employer_name = vacancy.employer_name
    row.is_agency = vacancy.is_agency
    row.agency_licence = vacancy.agency_licence
    row.region = vacancy.region
    row.locality = vacancy.locality
    row.salary_min = vacancy.salary_min
    row.salary_max = vacancy.salary_max
    row.currency = vacancy.currency
    row.salary_period = vacancy.salary_period
    row.salary_ref = vacancy.salary_ref
    row.employment_type = vacancy.employment_type
    row.schedule = vacancy.schedule
    row.education = vacancy.education
    row.experience_years = vacancy.experience_years
    row.languages = ",".join(vacancy.languages)
    row.housing = vacancy.housing
    row.eaeu_open = vacancy.eaeu_open
    row.positions = vacancy.positions
    row.posted = vacancy.posted
    row.valid_through = vacancy.valid_through
    row.last_confirmed = vacancy.last_confirmed
    row.status = vacancy.status
    row.dedup_key = vacancy.dedup_key
    row.url = vacancy.url
    row.seq = seq
    row.updated_at = at


def to_vacancy(row: VacancyRow) -> Vacancy:
    """The vacancy a stored row holds (also for the other parts reading the table)."""
    return Vacancy(
        id=row.id,
        origin=row.origin,
        source=row.source,
        source_id=row.source_id,
        title=row.title,
        description=row.description,
        isco=row.isco,
        employer_ref=row.employer_ref,
        employer_name=row.employer_name,
        is_agency=row.is_agency,
        agency_licence=row.agency_licence,
        region=row.region,
        locality=row.locality,
        salary_min=row.salary_min,
        salary_max=row.salary_max,
        currency=row.currency,
        salary_period=row.salary_period,
        employment_type=row.employment_type,
        schedule=row.schedule,
        education=row.education,
        experience_years=row.experience_years,
        languages=tuple(code for code in row.languages.split(",") if code),
        housing=row.housing,
        eaeu_open=row.eaeu_open,
        positions=row.positions,
        posted=row.posted,
        valid_through=row.valid_through,
        last_confirmed=row.last_confirmed,
        status=row.status,
        url=row.url,
        seq=row.seq,
        updated_at=row.updated_at,
    )


def listed_filter(today: date) -> ColumnElement[bool]:
    """The listing rule as a SQL condition on ``jobs_vacancies`` (for search and pages)."""
    return and_(
        VacancyRow.status == "active",
        VacancyRow.valid_through >= today,
        VacancyRow.last_confirmed >= reconfirmation_cutoff(today),
    )


# -- the change feed's counter ------------------------------------------------------------------


def claim_feed(session: Session, origin: str) -> None:
    """Take the write lock on ``origin``'s feed counter; the first statement of a writer.

    Creates the counter row if it is missing (``INSERT … ON CONFLICT DO NOTHING``), then
    updates it to itself: PostgreSQL holds the row lock, SQLite the database's write lock,
    until the transaction ends, so every other writer of this origin waits here.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(FeedCounterRow)
        .values(origin=origin, last=0)
        .on_conflict_do_nothing(index_elements=["origin"])
    )
    session.execute(
        update(FeedCounterRow)
        .where(FeedCounterRow.origin == origin)
        .values(last=FeedCounterRow.last)
    )


def next_seq(session: Session, origin: str) -> int:
    """The next position in ``origin``'s change feed (after :func:`claim_feed`)."""
    seq: int = session.execute(
        update(FeedCounterRow)
        .where(FeedCounterRow.origin == origin)
        .values(last=FeedCounterRow.last + 1)
        .returning(FeedCounterRow.last)
    ).scalar_one()
    return seq


__all__ = ["claim_feed", "listed_filter", "next_seq", "to_row", "to_vacancy"]
