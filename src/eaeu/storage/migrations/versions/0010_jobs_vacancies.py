"""Jobs service: vacancies (own and replicated), feed counters, employers, reports.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs_vacancies",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=2), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_norm", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("isco", sa.String(length=4), nullable=True),
        sa.Column("employer_ref", sa.String(length=64), nullable=False),
        sa.Column("employer_name", sa.String(length=300), nullable=False),
        sa.Column("is_agency", sa.Boolean(), nullable=False),
        sa.Column("agency_licence", sa.String(length=64), nullable=True),
        sa.Column("region", sa.String(length=200), nullable=False),
        sa.Column("locality", sa.String(length=200), nullable=False),
        sa.Column("salary_min", sa.Integer(), nullable=True),
        sa.Column("salary_max", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("salary_period", sa.String(length=8), nullable=False),
        sa.Column("salary_ref", sa.Integer(), nullable=True),
        sa.Column("employment_type", sa.String(length=16), nullable=False),
        sa.Column("schedule", sa.String(length=16), nullable=False),
        sa.Column("education", sa.String(length=16), nullable=True),
        sa.Column("experience_years", sa.Integer(), nullable=True),
        sa.Column("languages", sa.String(length=64), nullable=False),
        sa.Column("housing", sa.Boolean(), nullable=False),
        sa.Column("eaeu_open", sa.Boolean(), nullable=False),
        sa.Column("positions", sa.Integer(), nullable=False),
        sa.Column("posted", sa.Date(), nullable=False),
        sa.Column("valid_through", sa.Date(), nullable=False),
        sa.Column("last_confirmed", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'withdrawn', 'blocked')",
            name=op.f("ck_jobs_vacancies_status"),
        ),
        sa.CheckConstraint("positions >= 1", name=op.f("ck_jobs_vacancies_positions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_vacancies")),
        sa.UniqueConstraint("origin", "seq", name="uq_jobs_vacancies_origin_seq"),
    )
    op.create_index("ix_jobs_vacancies_origin_dedup", "jobs_vacancies", ["origin", "dedup_key"])
    op.create_index(op.f("ix_jobs_vacancies_employer_ref"), "jobs_vacancies", ["employer_ref"])
    op.create_table(
        "jobs_feed_counters",
        sa.Column("origin", sa.String(length=2), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("origin", name=op.f("pk_jobs_feed_counters")),
    )
    op.create_table(
        "jobs_employers",
        sa.Column("employer_ref", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("legal_id_kind", sa.String(length=32), nullable=False),
        sa.Column("legal_id", sa.String(length=32), nullable=False),
        sa.Column("is_agency", sa.Boolean(), nullable=False),
        sa.Column("agency_licence", sa.String(length=64), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("employer_ref", name=op.f("pk_jobs_employers")),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_jobs_employers_organisation_id")),
    )
    op.create_table(
        "jobs_reports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("vacancy_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'blocked', 'dismissed')", name=op.f("ck_jobs_reports_status")
        ),
        sa.ForeignKeyConstraint(
            ["vacancy_id"],
            ["jobs_vacancies.id"],
            name=op.f("fk_jobs_reports_vacancy_id_jobs_vacancies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_reports")),
    )
    op.create_index("ix_jobs_reports_status_created", "jobs_reports", ["status", "created_at"])
    op.create_index(op.f("ix_jobs_reports_vacancy_id"), "jobs_reports", ["vacancy_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_jobs_reports_vacancy_id"), table_name="jobs_reports")
    op.drop_index("ix_jobs_reports_status_created", table_name="jobs_reports")
    op.drop_table("jobs_reports")
    op.drop_table("jobs_employers")
    op.drop_table("jobs_feed_counters")
    op.drop_index(op.f("ix_jobs_vacancies_employer_ref"), table_name="jobs_vacancies")
    op.drop_index("ix_jobs_vacancies_origin_dedup", table_name="jobs_vacancies")
    op.drop_table("jobs_vacancies")
