"""Tables of the jobs service's people part (migration 0013): CVs, applications, contracts.

Personal data, never replicated:

* ``jobs_cvs`` — a person's CV, on their home node only (one per person). The structured
  parts (experience, education, languages, documents) are JSON text, which both engines
  store and neither needs to search inside; ``occupations`` (ISCO-08 unit groups) and
  ``searchable`` (the "employers may find my CV" opt-in) are columns, because the CV search
  filters on them.
* ``jobs_applications`` — an application as this node knows it. On the worker's home node
  it has the person (``person_id``) and the consent it was sent under; on the employer's
  node it has only ``payload``, the fields the person chose to send. An application to a
  vacancy of the person's own state is one row that is both (``worker_side`` and
  ``employer_side``). Its id is the same on both nodes. A person applies to a vacancy once
  (``uq_jobs_applications_vacancy_person``; the employer's copy has no person, and NULLs
  never collide).
* ``jobs_application_events`` — the history of an application (sent, viewed, invited…),
  on both sides.
* ``jobs_contracts`` — the employment contract made from an offer: the JAdES document as it
  stands (signed by the employer, then by both), the validation receipts each side got, and
  the migration authority's acknowledgment of the employer's notice once there is one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from eaeu.storage.orm import Base

APPLICATION_STATUSES = (
    "not_sent", "sent", "viewed", "invited", "offer", "hired", "rejected", "withdrawn",
)  # fmt: skip
CONTRACT_STATUSES = ("offered", "signed", "completed", "declined")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class CvRow(Base):
    """A person's CV, kept on their home node only."""

    __tablename__ = "jobs_cvs"

    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    headline: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    # ISCO-08 unit groups, comma-separated ("7112,7115").
    occupations: Mapped[str] = mapped_column(String(200))
    experience: Mapped[str] = mapped_column(Text)
    education: Mapped[str] = mapped_column(Text)
    languages: Mapped[str] = mapped_column(Text)
    documents: Mapped[str] = mapped_column(Text)
    locality: Mapped[str] = mapped_column(String(200))
    searchable: Mapped[bool] = mapped_column(Boolean, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApplicationRow(Base):
    """An application, on the worker's home node, the employer's node, or both."""

    __tablename__ = "jobs_applications"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(APPLICATION_STATUSES)})", name="status"),
        UniqueConstraint("vacancy_id", "person_id", name="uq_jobs_applications_vacancy_person"),
        Index("ix_jobs_applications_employer", "employer_ref", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    vacancy_id: Mapped[str] = mapped_column(String(64))
    destination: Mapped[str] = mapped_column(String(2))
    employer_ref: Mapped[str] = mapped_column(String(64))
    employer_name: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300))
    locality: Mapped[str] = mapped_column(String(200))
    worker_state: Mapped[str] = mapped_column(String(2))
    worker_side: Mapped[bool] = mapped_column(Boolean)
    employer_side: Mapped[bool] = mapped_column(Boolean)
    # The person, on their home node only.
    person_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    # The fields sent, as JSON, exactly as the employer's node received them.
    payload: Mapped[str] = mapped_column(Text)
    categories: Mapped[str] = mapped_column(String(200))
    consent_id: Mapped[str | None] = mapped_column(String(64))
    consent_token: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
    offer: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApplicationEventRow(Base):
    """One step in the history of an application."""

    __tablename__ = "jobs_application_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("jobs_applications.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class ContractRow(Base):
    """An employment contract made from an offer, and its signatures' receipts."""

    __tablename__ = "jobs_contracts"
    __table_args__ = (CheckConstraint(f"status IN ({_in(CONTRACT_STATUSES)})", name="status"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("jobs_applications.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    # The JAdES document as it stands: the employer's signature, then both.
    document: Mapped[str] = mapped_column(Text)
    # This node's validation receipts: of the employer's signature, then of both.
    employer_receipt: Mapped[str | None] = mapped_column(Text)
    final_receipt: Mapped[str | None] = mapped_column(Text)
    # The other node's receipt of the signed contract, when it sent one.
    peer_receipt: Mapped[str | None] = mapped_column(Text)
    consent_id: Mapped[str | None] = mapped_column(String(64))
    acknowledgment: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
