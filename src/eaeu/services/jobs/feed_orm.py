"""The change feed's table: one row per peer whose vacancies this node pulls.

``cursor_seq`` is the highest feed position of the peer's own vacancies applied here; a pull
asks for what comes after it, so a peer that was down is caught up from where it stopped,
withdrawals and blocks included (they are changes with a new position). ``head`` is the
peer's latest position as it last reported it. The rest is the pull's health as the
operator sees it: when it last worked, when and why it last failed, and how many times in a
row. ``next_pull_at`` is when the periodic pull is next due; a worker claims a peer by moving
it forward in one conditional update, so two workers of one node never pull a peer at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from eaeu.storage.orm import Base


class FeedPeerRow(Base):
    """How far this node has pulled one peer's vacancies, and how the last pulls went."""

    __tablename__ = "jobs_feed_peers"

    state: Mapped[str] = mapped_column(String(2), primary_key=True)
    cursor_seq: Mapped[int] = mapped_column(BigInteger)
    head: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    applied: Mapped[int] = mapped_column(BigInteger)
    skipped: Mapped[int] = mapped_column(BigInteger)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failures: Mapped[int] = mapped_column(Integer)
    next_pull_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
