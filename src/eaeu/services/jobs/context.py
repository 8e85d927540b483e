"""What every part of the jobs service is built from: one node's database, clock and peers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
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


@dataclass(frozen=True, slots=True)
class ContractFacts:
    """An employment contract signed by both parties, as the other parts need it.

    Made by :mod:`.contracts` on both nodes once the worker's signature is on the contract;
    read by :mod:`.migration` (the employer's notice to the migration authority) and
    :mod:`.checklist` (the worker's paperwork).

    Attributes:
        contract_id: the contract's id (the same on both nodes).
        application_id: the application it came from.
        vacancy_id: the vacancy.
        destination: the state where the work is (the employer's).
        worker_home: the worker's home state.
        worker_person_id: the worker's person id on the home node (``None`` on the
            employer's node, which never learns it).
        employer_ref: the employer's organisation reference (``RU-OGRN-…``).
        employer_name: the employer's name.
        worker_family_name_latin: the worker's family name in Latin letters.
        worker_given_name_latin: the worker's given name in Latin letters.
        worker_birth_date: the worker's date of birth.
        worker_nationality: the worker's citizenship (state code).
        position: the job title in the contract.
        locality: where the work is.
        start_date: the first working day.
        end_date: the last day of a fixed-term contract (``None``: open-ended).
        signed_at: when the last signature was made.
        employer_notice_receipt: the migration authority's acknowledgment of the employer's
            notice, once there is one.
    """

    contract_id: str
    application_id: str
    vacancy_id: str
    destination: str
    worker_home: str
    worker_person_id: str | None
    employer_ref: str
    employer_name: str
    worker_family_name_latin: str
    worker_given_name_latin: str
    worker_birth_date: date
    worker_nationality: str
    position: str
    locality: str
    start_date: date
    end_date: date | None
    signed_at: datetime
    employer_notice_receipt: str | None = None
