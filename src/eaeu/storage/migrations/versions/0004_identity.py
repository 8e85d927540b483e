"""Identity: people, organisations, sessions, one-time codes, mailbox, failed sign-ins.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_organisations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("legal_id_kind", sa.String(length=16), nullable=False),
        sa.Column("legal_id", sa.String(length=32), nullable=False),
        sa.Column("tax_id", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("name_latin", sa.String(length=300), nullable=False),
        sa.Column("kinds", sa.String(length=200), nullable=False),
        sa.Column("licence", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_organisations")),
        sa.UniqueConstraint("legal_id", name=op.f("uq_identity_organisations_legal_id")),
    )
    op.create_table(
        "identity_people",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("national_id_kind", sa.String(length=16), nullable=False),
        sa.Column("national_id", sa.String(length=32), nullable=False),
        sa.Column("tax_id", sa.String(length=32), nullable=True),
        sa.Column("family_name", sa.String(length=200), nullable=False),
        sa.Column("given_name", sa.String(length=200), nullable=False),
        sa.Column("family_name_latin", sa.String(length=200), nullable=False),
        sa.Column("given_name_latin", sa.String(length=200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("nationality", sa.String(length=2), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["identity_organisations.id"],
            name=op.f("fk_identity_people_organisation_id_identity_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_people")),
        sa.UniqueConstraint("national_id", name=op.f("uq_identity_people_national_id")),
        sa.UniqueConstraint("username", name=op.f("uq_identity_people_username")),
    )
    op.create_table(
        "identity_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("display_name", sa.String(length=400), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("second_factor", sa.Boolean(), nullable=False),
        sa.Column("foreign", sa.Boolean(), nullable=False),
        sa.Column("persistent_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_identity_sessions")),
    )
    op.create_index("ix_identity_sessions_person", "identity_sessions", ["person_id"])
    op.create_table(
        "identity_codes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_codes")),
    )
    op.create_index(op.f("ix_identity_codes_session_hash"), "identity_codes", ["session_hash"])
    op.create_table(
        "identity_mailbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_mailbox")),
    )
    op.create_index(op.f("ix_identity_mailbox_person_id"), "identity_mailbox", ["person_id"])
    op.create_table(
        "identity_signin_failures",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_identity_signin_failures")),
    )


def downgrade() -> None:
    op.drop_table("identity_signin_failures")
    op.drop_index(op.f("ix_identity_mailbox_person_id"), table_name="identity_mailbox")
    op.drop_table("identity_mailbox")
    op.drop_index(op.f("ix_identity_codes_session_hash"), table_name="identity_codes")
    op.drop_table("identity_codes")
    op.drop_index("ix_identity_sessions_person", table_name="identity_sessions")
    op.drop_table("identity_sessions")
    op.drop_table("identity_people")
    op.drop_table("identity_organisations")
