"""Tables of the jobs service's vacancies (migration 0010).

Public data, replicated: ``jobs_vacancies`` holds this state's vacancies and the replicas of
the other states' (each at the newest ``seq`` seen from its origin). Withdrawn and blocked
vacancies stay as tombstones with a new ``seq``, so that replicas learn of them.
``jobs_feed_counters`` holds one row per origin whose ``last`` is the newest ``seq`` given
out: a writer bumps it in its own transaction, so concurrent writers are put in line by the
row lock (PostgreSQL) or the write lock (SQLite) and never share a ``seq``; the unique
constraint on ``(origin, seq)`` stands behind it.

This node's own records: ``jobs_employers`` (organisations registered here that were
verified to post, with their agency licence) and ``jobs_reports`` (reports about vacancies,
the moderation queue). Neither leaves the node.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from eaeu.storage.orm import Base


class VacancyRow(Base):
    """A vacancy of this state, or the replica of another state's."""

    __tablename__ = "jobs_vacancies"
    __table_args__ = (
        UniqueConstraint("origin", "seq", name="uq_jobs_vacancies_origin_seq"),
        CheckConstraint("status IN ('active', 'withdrawn', 'blocked')", name="status"),
        CheckConstraint("positions >= 1", name="positions"),
        Index("ix_jobs_vacancies_origin_dedup", "origin", "dedup_key"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    origin: Mapped[str] = mapped_column(String(2))
    source: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    title_norm: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    isco: Mapped[str | None] = mapped_column(String(4))
    employer_ref: Mapped[str] = mapped_column(String(64), index=True)
    employer_name: Mapped[str] = mapped_column(String(300))
    is_agency: Mapped[bool] = mapped_column(Boolean)
    agency_licence: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(200))
    locality: Mapped[str] = mapped_column(String(200))
    salary_min: Mapped[int | None] = mapped_column(Integer)
    salary_max: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    salary_period: Mapped[str] = mapped_column(String(8))
    salary_ref: Mapped[int | None] = mapped_column(Integer)
    employment_type: Mapped[str] = mapped_column(String(16))
    schedule: Mapped[str] = mapped_column(String(16))
    education: Mapped[str | None] = mapped_column(String(16))
    experience_years: Mapped[int | None] = mapped_column(Integer)
    languages: Mapped[str] = mapped_column(String(64))
    housing: Mapped[bool] = mapped_column(Boolean)
    eaeu_open: Mapped[bool] = mapped_column(Boolean)
    positions: Mapped[int] = mapped_column(Integer)
    posted: Mapped[date] = mapped_column(Date)
    valid_through: Mapped[date] = mapped_column(Date)
    last_confirmed: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    dedup_key: Mapped[str] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(500))
    seq: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FeedCounterRow(Base):
    """The newest change-feed position given out for one origin's vacancies."""

    __tablename__ = "jobs_feed_counters"

    origin: Mapped[str] = mapped_column(String(2), primary_key=True)
    last: Mapped[int] = mapped_column(BigInteger)


class EmployerRow(Base):
    """An organisation registered at this node and verified to post vacancies."""

    __tablename__ = "jobs_employers"

    employer_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    legal_id_kind: Mapped[str] = mapped_column(String(32))
    legal_id: Mapped[str] = mapped_column(String(32))
    is_agency: Mapped[bool] = mapped_column(Boolean)
    agency_licence: Mapped[str | None] = mapped_column(String(64))
    verified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReportRow(Base):
    """A report about a vacancy: open in the moderation queue until an operator decides."""

    __tablename__ = "jobs_reports"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'blocked', 'dismissed')", name="status"),
        Index("ix_jobs_reports_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vacancy_id: Mapped[str] = mapped_column(ForeignKey("jobs_vacancies.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(36))
