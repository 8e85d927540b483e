"""Certificate revocation: this node's table and CRL, and the CRLs of the other members.

Each node keeps the revocations of certificates its state's root issued for documents
(:class:`RevocationRegistry`) and publishes them as an X.509 CRL (RFC 5280) signed by the
state root at ``GET /api/v1/documents/crl``. A validation service asks its own table for
its own state's certificates and a :class:`CrlCache` for everybody else's: the cache
fetches a member's CRL from the endpoint in the trust list, accepts it only when the
member's root signed it and it is current, and keeps it until it is due for refresh. When
no current CRL can be had, the status is unknown, and validation says ``TRY_LATER``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import httpx
from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from eaeu.documents.errors import DocumentError, HomeUnavailable
from eaeu.documents.log import logger
from eaeu.documents.orm import RevocationRow
from eaeu.kernel.clock import Clock
from eaeu.kernel.errors import PlatformError
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.trust.trustlist import TrustList

if TYPE_CHECKING:
    from eaeu.documents.keys import CertificateAuthority


#: RFC 5280 §5.3.1 reason names this node records.
REASONS = frozenset(
    {
        "unspecified",
        "keyCompromise",
        "affiliationChanged",
        "superseded",
        "cessationOfOperation",
        "certificateHold",
    }
)
CRL_PATH = "/api/v1/documents/crl"
#: How long a published CRL is valid (``nextUpdate - thisUpdate``).
CRL_VALIDITY = timedelta(hours=24)
#: How long the revocation table is reused before the database is asked again.
_CACHE_S = 1.0
_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class RevocationStatus:
    """What is known about a certificate's revocation.

    Attributes:
        known: whether current revocation data was available; ``False`` means try later.
        revoked_at: when the certificate was revoked, or ``None`` if it is not.
    """

    known: bool
    revoked_at: datetime | None = None


GOOD = RevocationStatus(known=True)
UNKNOWN = RevocationStatus(known=False)


class RevocationSource(Protocol):
    """Tells whether a certificate issued by a member's root has been revoked."""

    def status(
        self, state: str, cert: x509.Certificate, root: x509.Certificate
    ) -> RevocationStatus:
        """Return the revocation status of ``cert``, issued by ``state``'s ``root``."""
        ...


def record_revocation(session: Session, serial: str, *, at: datetime, reason: str) -> None:
    """Add a revocation in the caller's transaction (once; a second one keeps the first).

    Raises:
        ValueError: ``reason`` is not an RFC 5280 reason name.
    """
    if reason not in REASONS:
        raise ValueError(f"unknown revocation reason {reason!r}")
    serial = serial.lower()
    if session.get(RevocationRow, serial) is None:
        session.add(RevocationRow(serial=serial, revoked_at=at, reason=reason, recorded_at=at))


class RevocationRegistry:
    """This node's revocations, and the CRL its state root signs over them.

    Args:
        state: this node's member state.
        uow: the node's unit-of-work factory.
        clock: the node's clock.
        authority: the state root that signs the CRL; without it no CRL is published.
    """

    def __init__(
        self,
        *,
        state: str,
        uow: UnitOfWorkFactory,
        clock: Clock,
        authority: CertificateAuthority | None = None,
    ) -> None:
        self.state = state
        self._uow = uow
        self._clock = clock
        self._authority = authority
        self._cached: tuple[float, dict[int, datetime]] | None = None
        self._crl: tuple[frozenset[int], datetime, bytes] | None = None

    def __repr__(self) -> str:
        return f"RevocationRegistry(state={self.state!r})"

    def revoke(self, serial: str, *, reason: str = "unspecified") -> None:
        """Revoke the certificate with serial number ``serial`` (hex) now.

        Raises:
            ValueError: ``reason`` is not an RFC 5280 reason name.
        """
        with self._uow() as uow:
            record_revocation(uow.session, serial, at=self._clock.now(), reason=reason)
            uow.commit()
        self._cached = None
        logger.info("documents.certificate.revoked", serial=serial.lower(), reason=reason)

    def forget(self) -> None:
        """Drop the cached table, after a revocation recorded in another transaction."""
        self._cached = None

    def revoked(self) -> dict[int, datetime]:
        """Return every revoked serial with its revocation time (reused for a second)."""
        now = self._clock.monotonic()
        if self._cached is not None and now - self._cached[0] < _CACHE_S:
            return self._cached[1]
        with self._uow() as uow:
            rows = uow.session.execute(select(RevocationRow.serial, RevocationRow.revoked_at))
            revoked = {int(serial, 16): _aware(at) for serial, at in rows}
        self._cached = (now, revoked)
        return revoked

    def status(self, cert: x509.Certificate) -> RevocationStatus:
        """Return the status of a certificate this node's state issued."""
        revoked_at = self.revoked().get(cert.serial_number)
        return RevocationStatus(known=True, revoked_at=revoked_at)

    def crl(self) -> bytes:
        """Return the current CRL in DER, signed by the state root.

        A new CRL is signed when the revocations change or half its validity has passed.

        Raises:
            DocumentError: this node does not hold its root's signer (``documents.no_crl``).
        """
        if self._authority is None:
            raise DocumentError(
                "this node does not publish a revocation list", reason="documents.no_crl"
            )
        now = self._clock.now()
        revoked = self.revoked()
        serials = frozenset(revoked)
        if (
            self._crl is not None
            and self._crl[0] == serials
            and now < self._crl[1] + CRL_VALIDITY / 2
        ):
            return self._crl[2]
        der = self._authority.crl(
            sorted(revoked.items()),
            now=now,
            next_update=now + CRL_VALIDITY,
            number=int(now.timestamp()),
        )
        self._crl = (serials, now, der)
        return der


@dataclass(frozen=True, slots=True)
class _Fetched:
    crl: x509.CertificateRevocationList
    fetched_at: datetime


class CrlCache:
    """The CRLs of other members, fetched when needed and kept while current.

    Args:
        fetch: returns a member's CRL in DER by state code, or raises ``DocumentError``.
        clock: the node's clock.
        refresh: how long a CRL is used before a fresh one is fetched (even if its
            ``nextUpdate`` is later), so that a revocation is seen within this time.
    """

    def __init__(
        self,
        fetch: Callable[[str], bytes],
        clock: Clock,
        refresh: timedelta = timedelta(minutes=5),
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._refresh = refresh
        self._crls: dict[str, _Fetched] = {}

    def __repr__(self) -> str:
        return f"CrlCache(states={sorted(self._crls)!r})"

    def status(
        self, state: str, cert: x509.Certificate, root: x509.Certificate
    ) -> RevocationStatus:
        """Return the status of ``cert`` from ``state``'s CRL (``UNKNOWN`` without one)."""
        now = self._clock.now()
        entry = self._crls.get(state)
        if entry is None or now >= entry.fetched_at + self._refresh or not _current(entry, now):
            fresh = self._load(state, root, now)
            if fresh is not None:
                entry = self._crls[state] = fresh
        if entry is None or not _current(entry, now) or entry.crl.issuer != root.subject:
            return UNKNOWN
        revoked = entry.crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if revoked is None:
            return GOOD
        return RevocationStatus(known=True, revoked_at=revoked.revocation_date_utc)

    def _load(self, state: str, root: x509.Certificate, now: datetime) -> _Fetched | None:
        try:
            crl = x509.load_der_x509_crl(self._fetch(state))
        except (DocumentError, ValueError) as exc:
            logger.warning("documents.crl.unavailable", state=state, error=type(exc).__name__)
            return None
        if (
            crl.issuer != root.subject
            or not crl.is_signature_valid(root.public_key())  # type: ignore[arg-type]
            or crl.last_update_utc > now + _SKEW
        ):
            logger.warning("documents.crl.refused", state=state)
            return None
        return _Fetched(crl, now)


def _aware(value: datetime) -> datetime:
    # SQLite keeps no time zone; every time this node stores is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _current(entry: _Fetched, now: datetime) -> bool:
    next_update = entry.crl.next_update_utc
    return next_update is not None and now < next_update


class NodeRevocations:
    """Revocation status as a node sees it: its own table, and other members' CRLs.

    Args:
        registry: this node's revocations.
        others: the other members' CRLs; without it, foreign certificates are unknown.
    """

    def __init__(self, registry: RevocationRegistry, others: CrlCache | None = None) -> None:
        self.registry = registry
        self.others = others

    def status(
        self, state: str, cert: x509.Certificate, root: x509.Certificate
    ) -> RevocationStatus:
        """Return the revocation status of ``cert``, issued by ``state``'s ``root``."""
        if state == self.registry.state:
            return self.registry.status(cert)
        if self.others is None:
            return UNKNOWN
        return self.others.status(state, cert, root)


class HttpCrlFetcher:
    """Fetches a member's CRL from its node, at the endpoint the trust list gives.

    Args:
        trust: returns the trust list in force.
        timeout: seconds to wait for a node.
    """

    def __init__(self, trust: Callable[[], TrustList], timeout: float = 3.0) -> None:
        self._trust = trust
        self._timeout = timeout

    def __call__(self, state: str) -> bytes:
        """Return ``state``'s CRL in DER.

        Raises:
            HomeUnavailable: the node did not answer with a CRL.
        """
        try:
            url = self._trust().endpoint(state) + CRL_PATH
            with httpx.Client(timeout=self._timeout, trust_env=False) as client:
                reply = client.get(url)
        except (httpx.HTTPError, PlatformError) as exc:
            # PlatformError: the trust list does not know the state.
            raise HomeUnavailable(
                f"the {state} node did not answer: {type(exc).__name__}"
            ) from None
        if reply.status_code != 200:  # noqa: PLR2004
            raise HomeUnavailable(f"the {state} node answered {reply.status_code}")
        return reply.content
