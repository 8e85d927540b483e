"""The jobs service as a node runs it: every part over one node's wiring.

:class:`JobsService` builds the parts from one :class:`~eaeu.services.jobs.context.JobsContext`;
the composition root builds it, registers its exchange handlers, and the edges call its parts.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from eaeu.exchange.node import Handler
from eaeu.services.jobs.alerts import SavedSearches
from eaeu.services.jobs.applications import Applications
from eaeu.services.jobs.checklist import Checklists
from eaeu.services.jobs.context import JobsContext
from eaeu.services.jobs.contracts import Contracts
from eaeu.services.jobs.feed import Feed
from eaeu.services.jobs.housing import Housing
from eaeu.services.jobs.insurance import Insurance
from eaeu.services.jobs.migration import MigrationNotices
from eaeu.services.jobs.search import SearchIndex
from eaeu.services.jobs.vacancies import VacancyStore


class JobsService:
    """One node's jobs service.

    Attributes:
        ctx: the node's wiring.
        vacancies: this state's vacancies and the replicas of the others'.
        search: the local union-wide search.
        alerts: saved searches and alerts.
        feed: replication of public vacancy data.
        applications: CVs and applications.
        contracts: offers and signed employment contracts.
        checklists: the paperwork checklist.
        insurance: medical insurance products and policies.
        housing: housing places and bookings.
        migration: migration notices.
    """

    def __init__(self, ctx: JobsContext) -> None:
        self.ctx = ctx
        self.vacancies = VacancyStore(ctx)
        self.search = SearchIndex(ctx)
        self.alerts = SavedSearches(ctx)
        self.feed = Feed(ctx, self.vacancies)
        self.applications = Applications(ctx)
        self.contracts = Contracts(ctx, self.applications)
        self.checklists = Checklists(ctx, contracts=self.contracts.signed_for)
        self.insurance = Insurance(ctx)
        self.housing = Housing(ctx)
        self.migration = MigrationNotices(ctx, contracts=self.contracts.signed_for)
        self.contracts.on_completed.append(self.migration.employer_notice)

    def __repr__(self) -> str:
        return f"JobsService(state={self.ctx.state!r})"

    def seed_demo(self) -> None:
        """Seed a development node's demonstration data (idempotent), part by part.

        The node and its delivery worker start together and both seed: the one that loses a
        race on a row keeps what the winner wrote.
        """
        for seed in (self.vacancies.seed_demo, self.insurance.seed_demo, self.housing.seed_demo):
            try:
                seed()
            except IntegrityError:
                continue

    def message_handlers(self) -> dict[str, Handler]:
        """The exchange handlers of every part."""
        handlers: dict[str, Handler] = {}
        for part in (
            self.vacancies, self.search, self.alerts, self.feed, self.applications,
            self.contracts, self.checklists, self.insurance, self.housing, self.migration,
        ):  # fmt: skip
            handlers.update(part.handlers())
        return handlers


__all__ = ["JobsService"]
