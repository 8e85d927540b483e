"""The table of identity assertions already used at this node (replay protection).

A destination node records the ``jti`` of every assertion it accepts until the assertion
expires; a second presentation of the same ``jti`` is refused. Rows past their expiry are
purged as new assertions arrive.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from eaeu.storage.orm import Base


class UsedAssertion(Base):
    """An assertion accepted once: its id, its issuing state, and when it stops mattering."""

    __tablename__ = "identity_assertion_replay"

    jti: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_state: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
