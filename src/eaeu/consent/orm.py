"""Tables of consent: records and notifications (home node), the received side, the ledger.

On the person's home node: ``consent_records`` (each with its signed token) and
``consent_notifications`` (the authority notifications a state's law requires before data
first leaves for a destination). On a requesting node: ``consent_received`` (consents granted
to it), ``consent_revocations`` (revocations received, kept even for a consent whose grant
never arrived) and ``consent_received_data`` (the personal data received under a consent,
deleted when the consent is revoked or its data life ends). On every node: the hash-chained
``consent_ledger`` of every transfer attempt, with its head (see ``ledger.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eaeu.storage.orm import Base


class ConsentRecordRow(Base):
    """A consent given by a person of this node's state, with its signed token."""

    __tablename__ = "consent_records"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'revoked', 'expired')", name="status"),
        CheckConstraint("mode IN ('one-time', 'periodic')", name="mode"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    subject_state: Mapped[str] = mapped_column(String(8))
    # The pseudonymous reference the token carries instead of any identifier.
    subject_ref: Mapped[str] = mapped_column(String(64), unique=True)
    requester_state: Mapped[str] = mapped_column(String(8))
    requester_organisation: Mapped[str | None] = mapped_column(String(255))
    requester_service: Mapped[str | None] = mapped_column(String(64))
    provider_state: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(64))
    purpose_text_en: Mapped[str] = mapped_column(Text)
    purpose_text_ru: Mapped[str] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(String(32))
    categories: Mapped[str] = mapped_column(String(255))  # sorted, comma-separated
    fields: Mapped[str] = mapped_column(Text)  # comma-separated, in category order
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    mode: Mapped[str] = mapped_column(String(16))
    data_life_days: Mapped[int] = mapped_column(Integer)
    explicit_request: Mapped[bool] = mapped_column(Boolean)
    preview_shown: Mapped[bool] = mapped_column(Boolean)
    preview_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    token: Mapped[str] = mapped_column(Text)


class AuthorityNotification(Base):
    """This node's operator notified its authority of transfers to ``destination``."""

    __tablename__ = "consent_notifications"

    # ``*`` where one notification covers every destination.
    destination: Mapped[str] = mapped_column(String(8), primary_key=True)
    notified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reference: Mapped[str] = mapped_column(String(255))


class ReceivedConsentRow(Base):
    """A consent another state's node granted to this node."""

    __tablename__ = "consent_received"
    __table_args__ = (CheckConstraint("status IN ('active', 'revoked')", name="status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_state: Mapped[str] = mapped_column(String(8))
    subject_ref: Mapped[str] = mapped_column(String(64))
    requester_organisation: Mapped[str | None] = mapped_column(String(255))
    requester_service: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(64))
    categories: Mapped[str] = mapped_column(String(255))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    mode: Mapped[str] = mapped_column(String(16))
    data_life_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    token: Mapped[str] = mapped_column(Text)


class RevocationRow(Base):
    """A revocation received from the node that issued the consent."""

    __tablename__ = "consent_revocations"

    consent_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_state: Mapped[str] = mapped_column(String(8))
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReceivedDataRow(Base):
    """Personal data received under a consent; deleted with the consent's revocation."""

    __tablename__ = "consent_received_data"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    consent_id: Mapped[str] = mapped_column(String(36), index=True)
    message_id: Mapped[str] = mapped_column(String(36))
    categories: Mapped[str] = mapped_column(String(255))
    payload: Mapped[str] = mapped_column(Text)  # JSON
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delete_after: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class LedgerEntryRow(Base):
    """One transfer of personal data (or a refused attempt): metadata only, never the data."""

    __tablename__ = "consent_ledger"
    __table_args__ = (
        CheckConstraint("direction IN ('out', 'in')", name="direction"),
        CheckConstraint("outcome IN ('allowed', 'refused')", name="outcome"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    direction: Mapped[str] = mapped_column(String(3))
    outcome: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    detail_ru: Mapped[str | None] = mapped_column(Text)
    consent_id: Mapped[str | None] = mapped_column(String(36), index=True)
    basis: Mapped[str | None] = mapped_column(String(32))
    counterpart_state: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str | None] = mapped_column(String(64))
    categories: Mapped[str] = mapped_column(String(255))
    message_id: Mapped[str] = mapped_column(String(36))
    message_type: Mapped[str] = mapped_column(String(64))
    # Set on the person's home node only, so that My data can list the person's transfers.
    subject_id: Mapped[str | None] = mapped_column(String(64), index=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class LedgerHead(Base):
    """The one row that holds the last entry's ``seq`` and ``hash``, and the append lock."""

    __tablename__ = "consent_ledger_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
