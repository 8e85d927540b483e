"""What every part of the jobs service is built from: one node's database, clock and peers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from eaeu.documents.handlers import Documents
from eaeu.exchange.node import ExchangeNode
from eaeu.kernel.clock import Clock
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.trust.trustlist import TrustList

#: The service's name in the trust list and on every exchange message.
SERVICE: Final = "jobs"
#: The trust-list roles: a publisher's vacancies are replicated; a consumer receives them.
PUBLISHER: Final = "publisher"
CONSUMER: Final = "consumer"


@dataclass(frozen=True, slots=True)
class JobsContext:
    """One node's wiring, shared by the parts of :class:`~eaeu.services.jobs.service.JobsService`.

    Attributes:
        state: this node's member state.
        uow: the node's units of work.
        clock: the node's clock.
        trust: the trust list in force (who takes part in jobs, and in which role).
        exchange: the node's exchange (``None``: nothing crosses a border).
        documents: the node's documents service, for signed contracts and policies
            (``None`` on a node that neither signs nor validates).
    """

    state: str
    uow: UnitOfWorkFactory
    clock: Clock
    trust: Callable[[], TrustList]
    exchange: ExchangeNode | None = None
    documents: Documents | None = None

    def participates(self, state: str | None = None) -> bool:
        """Whether ``state`` (this node's by default) takes part in the jobs service."""
        return self.trust().participates(state or self.state, SERVICE)

    def peers(self) -> list[str]:
        """The other states taking part in the jobs service, in code order."""
        trust = self.trust()
        others = (code for code in trust.members if code != self.state)
        return sorted(code for code in others if trust.participates(code, SERVICE))
