"""Tables of documents: node-held signing keys and the node's certificate revocations.

A signing key row holds the certificate the state root issued and the private key sealed
with a key derived from the node secret (AES-256-GCM); a revocation row is what the
node's CRL lists. Neither holds a person's name: the certificate does, and it is public to
whoever receives a signed document anyway.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eaeu.storage.orm import Base


class SigningKeyRow(Base):
    """A person's or an organisation's signing key, held by its home node."""

    __tablename__ = "documents_signing_keys"
    __table_args__ = (
        UniqueConstraint("owner_kind", "owner_id", "generation"),
        Index("ix_documents_signing_keys_owner", "owner_kind", "owner_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(8))
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    certificate: Mapped[str] = mapped_column(Text)  # base64 DER
    sealed_key: Mapped[str] = mapped_column(Text)  # AES-256-GCM sealed PKCS#8 DER
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    not_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RevocationRow(Base):
    """A certificate the state root revoked; the node's CRL lists every row."""

    __tablename__ = "documents_revocations"

    serial: Mapped[str] = mapped_column(String(40), primary_key=True)  # hex
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
