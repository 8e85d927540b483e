"""The travel service as a node runs it: the lab registry, bookings, results and certificates.

:class:`TravelService` wires the three use-case groups over one node's database, clock,
trust list and exchange: :class:`~eaeu.services.travel.labs.LabRegistry` (accreditation,
search, replication), :class:`~eaeu.services.travel.booking.Bookings` (slots, booking,
cancellation, visitors) and :class:`~eaeu.services.travel.issuance.Results` (results and
signed certificates). The composition root builds it; the edges call it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from cryptography import x509

from eaeu.exchange.node import ExchangeNode, Handler
from eaeu.kernel.clock import Clock
from eaeu.services.travel import messages
from eaeu.services.travel.booking import Bookings
from eaeu.services.travel.errors import IssuingUnavailable
from eaeu.services.travel.hcert import DccSigner
from eaeu.services.travel.issuance import Results, SignerSource
from eaeu.services.travel.labs import LabRegistry
from eaeu.services.travel.model import SIGNER_ROLE
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.trust.trustlist import TrustList

#: What a person reads when no certificate can be signed (the portal translates it).
SIGNER_UNAVAILABLE = (
    "This node cannot sign test certificates at the moment. Nothing was recorded; try again later."
)


def no_signer() -> tuple[DccSigner, x509.Certificate]:
    """A signer source for a node without a health document signer.

    Raises:
        IssuingUnavailable: always.
    """
    raise IssuingUnavailable(SIGNER_UNAVAILABLE)


class TravelService:
    """One node's travel service.

    Args:
        state: this node's state.
        uow: the node's units of work.
        clock: the node's clock.
        trust: the trust list in force (who takes part in travel, and the signer certificates).
        exchange: the node's exchange, for replication (``None``: nothing is replicated).
        signer: the health document signer (opened on first use).
        token_bytes: randomness of booking codes and UVCIs (injected in tests).
    """

    def __init__(
        self,
        *,
        state: str,
        uow: UnitOfWorkFactory,
        clock: Clock,
        trust: Callable[[], TrustList],
        exchange: ExchangeNode | None = None,
        signer: SignerSource = no_signer,
        token_bytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        self.state = state
        self.clock = clock
        self.trust = trust
        self.registry = LabRegistry(state, uow, clock, trust, exchange)
        self.bookings = Bookings(self.registry, uow, clock, token_bytes)
        self.results = Results(self.registry, self.bookings, uow, clock, signer, token_bytes)

    def __repr__(self) -> str:
        return f"TravelService(state={self.state!r})"

    def signer_certificates(self) -> list[x509.Certificate]:
        """This state's health document signer certificates in the trust list in force."""
        return self.trust().document_signers(self.state, SIGNER_ROLE)

    def message_handlers(self) -> dict[str, Handler]:
        """The exchange handlers of the lab registry."""
        return messages.handlers(self.registry)


__all__ = ["SIGNER_UNAVAILABLE", "TravelService", "no_signer"]
