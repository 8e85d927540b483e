"""Revocation of travel certificates: by their issuer, by UVCI hash, replicated to every node.

The issuing authority (an operator of the issuing state's node) revokes a certificate by its
UVCI. What is stored and sent is the SHA-256 of the UVCI — the EU DCC revocation hash type
``UCI`` — so no node but the issuer's learns which certificate, or whose, was revoked;
verifiers compare the first 128 bits, as the DCC Gateway's revocation batches do.

Every change (a revocation, or an un-revocation) takes the issuer's next **sequence**
number and goes, in the same transaction, into the exchange outbox as a
``travel.revocations.published`` message to every other node in the travel service. A
receiving node keeps, per hash, the change with the highest sequence: deliveries may repeat
or arrive out of order and the outcome is the same. Only a certificate's issuing state may
change its revocation: a message about another state's certificates is refused.

Error tree: :class:`~eaeu.services.travel.errors.RevocationRefused` (``travel.revocation.*``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.node import ExchangeNode, Handler, Incoming
from eaeu.kernel.clock import Clock, utc
from eaeu.kernel.log import get_logger
from eaeu.services.travel.errors import InvalidUvci, RevocationRefused
from eaeu.services.travel.trust import ISSUER, SERVICE
from eaeu.services.travel.uvci import validate_uvci
from eaeu.services.travel.verifier import RevocationKeys
from eaeu.services.travel.verifier_orm import RevocationRow
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.trust.trustlist import TrustList

#: The exchange message that carries revocation changes to every travel node.
PUBLISHED: Final = "travel.revocations.published"
HASH_TYPE: Final = "UCI"
#: Bytes of the hash a verifier compares (DCCG revocation lists: 128 bits).
PREFIX_BYTES: Final = 16
_HASH_HEX: Final = 64
_MAX_ENTRIES: Final = 1000
_ATTEMPTS: Final = 5

logger = get_logger("eaeu.travel")


def uci_hash(uvci: str) -> bytes:
    """Return the ``UCI`` revocation hash of a UVCI: SHA-256 of its text, 32 bytes."""
    return hashlib.sha256(uvci.encode("utf-8")).digest()


@dataclass(frozen=True, slots=True)
class RevocationEntry:
    """One change of one certificate's revocation.

    Attributes:
        uci_hash: hex SHA-256 of the UVCI.
        issuer: the issuing state.
        revoked: whether the certificate is revoked after the change.
        sequence: the issuer's sequence number of the change.
        changed_at: when the issuer made the change.
        uvci: the UVCI, known only on the issuing node.
    """

    uci_hash: str
    issuer: str
    revoked: bool
    sequence: int
    changed_at: datetime
    uvci: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the change as a message carries it (never the UVCI)."""
        return {
            "hash": self.uci_hash,
            "revoked": self.revoked,
            "sequence": self.sequence,
            "changed_at": utc(self.changed_at).isoformat(),
        }


def _entry(row: RevocationRow) -> RevocationEntry:
    # SQLite hands times back without their zone; they were stored in UTC.
    changed = row.changed_at
    changed = changed.replace(tzinfo=UTC) if changed.tzinfo is None else utc(changed)
    return RevocationEntry(row.uci_hash, row.issuer, row.revoked, row.sequence, changed, row.uvci)


def _normalise(uvci: str) -> str:
    text = uvci.strip().upper()
    try:
        validate_uvci(text)
    except InvalidUvci as exc:
        raise RevocationRefused(
            f"not a certificate identifier: {exc.message}", reason="travel.revocation.uvci"
        ) from None
    return text


class Revocations:
    """This node's revocation list: what its own authority revoked and what others published.

    Args:
        uow: the node's unit-of-work factory.
        clock: the node's clock.
        state: this node's member state (the issuer of the certificates it may revoke).
        trust: returns the trust list in force (who takes part in travel).
        exchange: the node's exchange, which replicates this node's changes; ``None``
            keeps them local (a node without keys).
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        state: str,
        trust: Callable[[], TrustList],
        exchange: ExchangeNode | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.state = state
        self._trust = trust
        self._exchange = exchange

    # --- the issuer's side ----------------------------------------------------------------

    def set_revoked(self, uvci: str, *, revoked: bool = True) -> RevocationEntry:
        """Revoke (or un-revoke) a certificate this node's state issued, and publish it.

        Args:
            uvci: the certificate's UVCI, with its check character.
            revoked: ``False`` withdraws an earlier revocation.

        Returns:
            The change made (a repeated request makes no new change and returns the last).

        Raises:
            RevocationRefused: not a UVCI (``travel.revocation.uvci``), a certificate of
                another state (``travel.revocation.not_issuer``), or this state does not
                issue travel certificates (``travel.revocation.not_participating``).
        """
        text = _normalise(uvci)
        country = text.split(":")[3]
        if country != self.state:
            raise RevocationRefused(
                f"only {country}'s health authority may revoke this certificate",
                reason="travel.revocation.not_issuer",
            )
        trust = self._trust()
        if not trust.participates(self.state, SERVICE, ISSUER):
            raise RevocationRefused(
                f"{self.state} does not issue travel certificates",
                reason="travel.revocation.not_participating",
            )
        digest = uci_hash(text).hex()
        for attempt in range(_ATTEMPTS):
            try:
                return self._change(digest, text, revoked=revoked, trust=trust)
            except IntegrityError:
                # Another operator took the same sequence number at the same moment.
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def _change(
        self, digest: str, uvci: str, *, revoked: bool, trust: TrustList
    ) -> RevocationEntry:
        now = self._clock.now()
        with self._uow() as uow:
            session = uow.session
            row = session.get(RevocationRow, digest)
            if row is not None and row.revoked == revoked:
                return _entry(row)
            if row is None and not revoked:
                raise RevocationRefused(
                    "this certificate is not revoked", reason="travel.revocation.not_revoked"
                )
            last = session.scalar(
                select(func.max(RevocationRow.sequence)).where(RevocationRow.issuer == self.state)
            )
            sequence = (last or 0) + 1
            if row is None:
                row = RevocationRow(
                    uci_hash=digest,
                    uci_prefix=digest[: 2 * PREFIX_BYTES],
                    issuer=self.state,
                    uvci=uvci,
                )
                session.add(row)
            row.revoked, row.sequence, row.changed_at, row.recorded_at = (
                revoked,
                sequence,
                now,
                now,
            )
            entry = _entry(row)
            self._publish(session, trust, [entry])
            uow.commit()
        logger.info(
            "travel.revocation.changed", revoked=revoked, sequence=sequence, issuer=self.state
        )
        return entry

    def _publish(self, session: Session, trust: TrustList, entries: list[RevocationEntry]) -> None:
        if self._exchange is None:
            return
        payload = {
            "issuer": self.state,
            "hash_type": HASH_TYPE,
            "entries": [entry.to_json() for entry in entries],
        }
        for peer in trust.participants(SERVICE):
            if peer != self.state:
                self._exchange.enqueue(session, peer, SERVICE, PUBLISHED, payload)

    # --- every node -----------------------------------------------------------------------

    def is_revoked(self, keys: RevocationKeys) -> bool:
        """The verifier's revocation hook: whether the certificate's UVCI hash is revoked."""
        with self._uow() as uow:
            return bool(
                uow.session.scalar(
                    select(func.count())
                    .select_from(RevocationRow)
                    .where(
                        RevocationRow.uci_prefix == keys.uci[:PREFIX_BYTES].hex(),
                        RevocationRow.revoked.is_(True),
                    )
                )
            )

    def revoked_prefixes(self) -> list[bytes]:
        """Return the 128-bit hash prefixes of every revoked certificate (for a bundle)."""
        with self._uow() as uow:
            prefixes = uow.session.scalars(
                select(RevocationRow.uci_prefix)
                .where(RevocationRow.revoked.is_(True))
                .order_by(RevocationRow.uci_prefix)
            ).all()
        return [bytes.fromhex(prefix) for prefix in prefixes]

    def entries(self, *, issuer: str | None = None, limit: int = 200) -> list[RevocationEntry]:
        """Return the latest changes, newest first (``issuer`` narrows to one state)."""
        query = select(RevocationRow).order_by(RevocationRow.changed_at.desc()).limit(limit)
        if issuer is not None:
            query = query.where(RevocationRow.issuer == issuer)
        with self._uow() as uow:
            return [_entry(row) for row in uow.session.scalars(query)]

    def status(self, uvci: str) -> RevocationEntry | None:
        """Return the latest change about a certificate, or ``None`` if it was never revoked.

        Raises:
            RevocationRefused: not a UVCI (``travel.revocation.uvci``).
        """
        digest = uci_hash(_normalise(uvci)).hex()
        with self._uow() as uow:
            row = uow.session.get(RevocationRow, digest)
            return _entry(row) if row is not None else None


def _parse_entries(payload: Any) -> tuple[str, list[RevocationEntry]]:
    if not isinstance(payload, Mapping) or payload.get("hash_type") != HASH_TYPE:
        raise RevocationRefused("not a revocation list", reason="travel.revocation.malformed")
    issuer, raw = payload.get("issuer"), payload.get("entries")
    if not isinstance(issuer, str) or not isinstance(raw, list) or len(raw) > _MAX_ENTRIES:
        raise RevocationRefused("not a revocation list", reason="travel.revocation.malformed")
    entries = []
    for item in raw:
        try:
            digest, revoked, sequence = item["hash"], item["revoked"], item["sequence"]
            changed_at = datetime.fromisoformat(item["changed_at"])
        except (TypeError, KeyError, ValueError):
            raise RevocationRefused(
                "a revocation entry is malformed", reason="travel.revocation.malformed"
            ) from None
        if not (
            isinstance(digest, str)
            and len(digest) == _HASH_HEX
            and all(c in "0123456789abcdef" for c in digest)
            and type(revoked) is bool
            and type(sequence) is int
            and sequence > 0
            and changed_at.tzinfo is not None
        ):
            raise RevocationRefused(
                "a revocation entry is malformed", reason="travel.revocation.malformed"
            )
        entries.append(RevocationEntry(digest, issuer, revoked, sequence, utc(changed_at)))
    return issuer, entries


def apply_changes(
    session: Session, issuer: str, entries: Iterable[RevocationEntry], *, now: datetime
) -> tuple[int, int]:
    """Apply another issuer's changes: per hash, the highest sequence wins.

    Returns:
        How many changes were applied and how many were older than what is stored.

    Raises:
        RevocationRefused: a hash is already held for another issuer
            (``travel.revocation.not_issuer``).
    """
    applied = ignored = 0
    for entry in entries:
        row = session.get(RevocationRow, entry.uci_hash)
        if row is not None and row.issuer != issuer:
            raise RevocationRefused(
                "a certificate can only be revoked by its issuer",
                reason="travel.revocation.not_issuer",
            )
        if row is not None and row.sequence >= entry.sequence:
            ignored += 1
            continue
        if row is None:
            row = RevocationRow(
                uci_hash=entry.uci_hash,
                uci_prefix=entry.uci_hash[: 2 * PREFIX_BYTES],
                issuer=issuer,
            )
            session.add(row)
        row.revoked, row.sequence, row.changed_at, row.recorded_at = (
            entry.revoked,
            entry.sequence,
            entry.changed_at,
            now,
        )
        applied += 1
    session.flush()
    return applied, ignored


def _check_sender(issuer: str, sender: str, trust: TrustList) -> None:
    if issuer != sender:
        raise RevocationRefused(
            f"{sender} cannot revoke {issuer}'s certificates",
            reason="travel.revocation.not_issuer",
        )
    if not trust.participates(issuer, SERVICE, ISSUER):
        raise RevocationRefused(
            f"{issuer} does not issue travel certificates",
            reason="travel.revocation.not_participating",
        )


def published_handler(trust: Callable[[], TrustList]) -> Handler:
    """Handle ``travel.revocations.published``: store the sender's own changes."""

    def handle(incoming: Incoming) -> dict[str, Any]:
        try:
            issuer, entries = _parse_entries(incoming.payload)
            _check_sender(issuer, incoming.sender_state, trust())
            applied, ignored = apply_changes(incoming.session, issuer, entries, now=incoming.at)
        except RevocationRefused as exc:
            raise MessageRefused(exc.message, reason=exc.reason) from None
        logger.info("travel.revocation.received", issuer=issuer, applied=applied, ignored=ignored)
        return {"applied": applied, "ignored": ignored}

    return handle


def handlers(trust: Callable[[], TrustList]) -> dict[str, Handler]:
    """The exchange message handlers of revocation, by message type."""
    return {PUBLISHED: published_handler(trust)}


__all__ = [
    "HASH_TYPE",
    "PREFIX_BYTES",
    "PUBLISHED",
    "RevocationEntry",
    "Revocations",
    "apply_changes",
    "handlers",
    "published_handler",
    "uci_hash",
]
