"""Jobs service: people — CVs, applications and their history, employment contracts.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_APPLICATION_STATUSES = (
    "'not_sent', 'sent', 'viewed', 'invited', 'offer', 'hired', 'rejected', 'withdrawn'"
)
_CONTRACT_STATUSES = "'offered', 'signed', 'completed', 'declined'"


def upgrade() -> None:
    op.create_table(
        "jobs_cvs",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("headline", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("occupations", sa.String(length=200), nullable=False),
        sa.Column("experience", sa.Text(), nullable=False),
        sa.Column("education", sa.Text(), nullable=False),
        sa.Column("languages", sa.Text(), nullable=False),
        sa.Column("documents", sa.Text(), nullable=False),
        sa.Column("locality", sa.String(length=200), nullable=False),
        sa.Column("searchable", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_jobs_cvs")),
    )
    op.create_index(op.f("ix_jobs_cvs_searchable"), "jobs_cvs", ["searchable"])
    op.create_table(
        "jobs_applications",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("vacancy_id", sa.String(length=64), nullable=False),
        sa.Column("destination", sa.String(length=2), nullable=False),
        sa.Column("employer_ref", sa.String(length=64), nullable=False),
        sa.Column("employer_name", sa.String(length=300), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("locality", sa.String(length=200), nullable=False),
        sa.Column("worker_state", sa.String(length=2), nullable=False),
        sa.Column("worker_side", sa.Boolean(), nullable=False),
        sa.Column("employer_side", sa.Boolean(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("categories", sa.String(length=200), nullable=False),
        sa.Column("consent_id", sa.String(length=64), nullable=True),
        sa.Column("consent_token", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("offer", sa.Text(), nullable=True),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            f"status IN ({_APPLICATION_STATUSES})", name=op.f("ck_jobs_applications_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_applications")),
        sa.UniqueConstraint("vacancy_id", "person_id", name="uq_jobs_applications_vacancy_person"),
    )
    op.create_index(
        "ix_jobs_applications_employer", "jobs_applications", ["employer_ref", "updated_at"]
    )
    op.create_index(op.f("ix_jobs_applications_person_id"), "jobs_applications", ["person_id"])
    op.create_table(
        "jobs_application_events",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["jobs_applications.id"],
            name=op.f("fk_jobs_application_events_application_id_jobs_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_application_events")),
    )
    op.create_index(
        op.f("ix_jobs_application_events_application_id"),
        "jobs_application_events",
        ["application_id"],
    )
    op.create_table(
        "jobs_contracts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("employer_receipt", sa.Text(), nullable=True),
        sa.Column("final_receipt", sa.Text(), nullable=True),
        sa.Column("peer_receipt", sa.Text(), nullable=True),
        sa.Column("consent_id", sa.String(length=64), nullable=True),
        sa.Column("acknowledgment", sa.String(length=200), nullable=True),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            f"status IN ({_CONTRACT_STATUSES})", name=op.f("ck_jobs_contracts_status")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["jobs_applications.id"],
            name=op.f("fk_jobs_contracts_application_id_jobs_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_contracts")),
        sa.UniqueConstraint("application_id", name=op.f("uq_jobs_contracts_application_id")),
    )


def downgrade() -> None:
    op.drop_table("jobs_contracts")
    op.drop_index(
        op.f("ix_jobs_application_events_application_id"), table_name="jobs_application_events"
    )
    op.drop_table("jobs_application_events")
    op.drop_index(op.f("ix_jobs_applications_person_id"), table_name="jobs_applications")
    op.drop_index("ix_jobs_applications_employer", table_name="jobs_applications")
    op.drop_table("jobs_applications")
    op.drop_index(op.f("ix_jobs_cvs_searchable"), table_name="jobs_cvs")
    op.drop_table("jobs_cvs")
