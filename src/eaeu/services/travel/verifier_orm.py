"""Tables of the travel verifier: certificate revocations and imported external signers.

``travel_revocations`` holds one row per revoked (or un-revoked) certificate, keyed by the
SHA-256 of its UVCI — the EU DCC revocation hash type ``UCI`` — never by the UVCI itself on
any node but the issuer's. Each change carries the issuing state's sequence number, so
replicas apply changes in any order and exactly once, and an un-revocation is just a later
change.

``travel_external_dscs`` holds document signer certificates of countries outside the union
(the EU DCC / WHO GDHCN network) that an operator imported; they are public.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eaeu.storage.orm import Base


class RevocationRow(Base):
    """The latest state of one certificate's revocation, as its issuer published it."""

    __tablename__ = "travel_revocations"
    __table_args__ = (
        UniqueConstraint("issuer", "sequence"),
        Index("ix_travel_revocations_prefix", "uci_prefix"),
    )

    uci_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex SHA-256(UVCI)
    uci_prefix: Mapped[str] = mapped_column(String(32))  # the first 128 bits, as DCCG lists
    issuer: Mapped[str] = mapped_column(String(2))
    revoked: Mapped[bool] = mapped_column(Boolean)
    sequence: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Only on the issuing node, for its operator; never replicated.
    uvci: Mapped[str | None] = mapped_column(String(80), nullable=True)


class ExternalDscRow(Base):
    """A document signer certificate of a country outside the union, imported by an operator."""

    __tablename__ = "travel_external_dscs"
    __table_args__ = (Index("ix_travel_external_dscs_kid", "kid"),)

    thumbprint: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex SHA-256(DER)
    kid: Mapped[str] = mapped_column(String(16))  # hex of the 8-byte DCC key id
    country: Mapped[str] = mapped_column(String(2))
    certificate: Mapped[str] = mapped_column(Text)  # base64 DER
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
