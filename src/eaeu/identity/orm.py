"""Tables of identity: people, organisations, sessions, codes, mailbox, failed sign-ins.

Secrets are never stored in clear: passwords as argon2id hashes, session ids and one-time
codes as SHA-256 digests (session ids and codes are random and short-lived, so a fast hash
is enough; a password is neither).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eaeu.storage.orm import Base


class OrganisationRecord(Base):
    """An organisation registered at this node."""

    __tablename__ = "identity_organisations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    state: Mapped[str] = mapped_column(String(2))
    legal_id_kind: Mapped[str] = mapped_column(String(16))
    legal_id: Mapped[str] = mapped_column(String(32), unique=True)
    tax_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    name: Mapped[str] = mapped_column(String(300))
    name_latin: Mapped[str] = mapped_column(String(300))
    kinds: Mapped[str] = mapped_column(String(200))  # space-separated
    licence: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PersonRecord(Base):
    """A person registered at this node, with their sign-in credentials."""

    __tablename__ = "identity_people"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    state: Mapped[str] = mapped_column(String(2))
    national_id_kind: Mapped[str] = mapped_column(String(16))
    national_id: Mapped[str] = mapped_column(String(32), unique=True)
    tax_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    family_name: Mapped[str] = mapped_column(String(200))
    given_name: Mapped[str] = mapped_column(String(200))
    family_name_latin: Mapped[str] = mapped_column(String(200))
    given_name_latin: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date] = mapped_column(Date)
    nationality: Mapped[str] = mapped_column(String(2))
    email: Mapped[str] = mapped_column(String(254))
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(200))  # space-separated
    organisation_id: Mapped[str | None] = mapped_column(
        ForeignKey("identity_organisations.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SessionRecord(Base):
    """A signed-in browser: only the SHA-256 of its random id is kept."""

    __tablename__ = "identity_sessions"
    __table_args__ = (Index("ix_identity_sessions_person", "person_id"),)

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # A local person's id, or a foreign visitor's persistent id (no foreign key for those).
    person_id: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(2))
    display_name: Mapped[str] = mapped_column(String(400))
    roles: Mapped[str] = mapped_column(String(200))
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False)
    foreign: Mapped[bool] = mapped_column(Boolean, default=False)
    persistent_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # absolute


class CodeRecord(Base):
    """A one-time code sent for a password-only session."""

    __tablename__ = "identity_codes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class MailboxRecord(Base):
    """A message the node would e-mail; shown on ``/dev/mailbox`` in development mode."""

    __tablename__ = "identity_mailbox"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FailureRecord(Base):
    """Failed sign-ins of one username or one client, counted in a window."""

    __tablename__ = "identity_signin_failures"

    # "user:<sha256 of the username>" or "client:<sha256 of the address>": no names kept.
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
