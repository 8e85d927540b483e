"""Tables of the exchange: the outbox, the inbox and the node's accepted trust lists.

The message log has its own module (``log.py``). Outbox rows are written in the same
transaction as the business change that causes them (a transactional outbox), so a message
is sent if and only if the change committed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eaeu.storage.orm import Base

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"


class OutboxMessage(Base):
    """A message waiting for (or past) delivery to a peer node."""

    __tablename__ = "exchange_outbox"
    __table_args__ = (Index("ix_exchange_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    receiver_state: Mapped[str] = mapped_column(String(8))
    service: Mapped[str] = mapped_column(String(64))
    message_type: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[str] = mapped_column(
        Text
    )  # unsigned envelope JSON (payload encrypted if personal)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sent_token: Mapped[str | None] = mapped_column(
        Text, nullable=True
    )  # the signed envelope delivered
    receipt: Mapped[str | None] = mapped_column(
        Text, nullable=True
    )  # the receiver's signed receipt


class InboxMessage(Base):
    """A message this node accepted: the key of exactly-once processing."""

    __tablename__ = "exchange_inbox"

    message_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sender_state: Mapped[str] = mapped_column(String(8))
    service: Mapped[str] = mapped_column(String(64))
    message_type: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(Text)  # the signed envelope as received
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    receipt: Mapped[str] = mapped_column(Text)
    response: Mapped[str | None] = mapped_column(Text, nullable=True)


class AcceptedTrustList(Base):
    """A version of the union trust list this node verified and accepted."""

    __tablename__ = "trust_lists"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    digest: Mapped[str] = mapped_column(String(64))
    signed: Mapped[str] = mapped_column(Text)
    accepted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
