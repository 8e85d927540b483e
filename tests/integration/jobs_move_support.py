"""Two in-process nodes for the tests of the move: Kyrgyzstan (home) and Russia (destination).

Each node has its own database (both on the engine under test: a second PostgreSQL database
is made for the second node), a frozen clock, the union's exchange over a loopback transport,
a real ``ConsentGuard`` with the consent handlers, and the move's parts (insurance, housing,
migration notices, checklist). Contracts are given by the test (``contracts`` maps a person
to the facts the contracts part would return), so these tests do not depend on applying and
signing; the Russian insurer, landlord and employer are registered organisations.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from eaeu.consent import handlers as consent
from eaeu.consent.guard import ConsentGuard
from eaeu.consent.messages import handlers as consent_handlers
from eaeu.consent.policy import load_policy
from eaeu.consent.records import assume_notified
from eaeu.exchange.node import ExchangeNode
from eaeu.identity.accounts import Accounts, NewOrganisation
from eaeu.identity.model import Organisation
from eaeu.kernel.errors import NotFound
from eaeu.services.jobs.checklist import Checklists
from eaeu.services.jobs.context import ContractFacts, JobsContext
from eaeu.services.jobs.housing import Housing
from eaeu.services.jobs.insurance import Insurance
from eaeu.services.jobs.migration import MigrationNotices
from eaeu.services.jobs.move_model import MinimumData, Mover
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.testing import (
    FrozenClock,
    LoopbackTransport,
    MemoryUnion,
    loopback_node,
    postgres_database,
)

#: Monday 2 March 2026, 07:00 in Moscow.
START = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
TODAY = START.date()
PERSON = "0193a000-0000-7000-8000-00000000a001"
AIGUL = MinimumData("ASANOVA", "AIGUL", date(1990, 4, 15), "KG")
AIGUL_RECORD = {
    "family_name": "Асанова",
    "given_name": "Айгуль",
    "family_name_latin": "ASANOVA",
    "given_name_latin": "AIGUL",
    "birth_date": "1990-04-15",
    "nationality": "KG",
    "national_id_kind": "pin",
    "national_id": "11504199000123",
    "email": "aigul@example.kg",
}
MOVER = Mover(PERSON, "KG", AIGUL)
EMPLOYER_REF = "RU-OGRN-1157746013237"


def person_data(person_id: str) -> dict[str, str]:
    if person_id != PERSON:
        raise NotFound("no such person")
    return AIGUL_RECORD


@dataclass
class Node:
    """One node and the move's parts on it."""

    state: str
    exchange: ExchangeNode
    uow: UnitOfWorkFactory
    ctx: JobsContext
    insurance: Insurance
    housing: Housing
    migration: MigrationNotices
    checklists: Checklists
    contracts: dict[str, list[ContractFacts]] = field(default_factory=dict)

    def organisation(self, kind: str, legal_id: str, name: str) -> Organisation:
        accounts = Accounts(self.uow, self.ctx.clock)
        existing = accounts.organisation_by_legal_id(legal_id)
        if existing is not None:
            return existing
        return accounts.register_organisation(
            NewOrganisation(
                state=self.state,
                legal_id_kind="ogrn",
                legal_id=legal_id,
                name=name,
                name_latin=name,
                kinds=frozenset({kind}),
            )
        )

    def consent(self, ask: consent.ConsentRequest, *, subject: str = PERSON) -> str:
        """Show the preview and confirm it, as the person does; return the consent token."""
        shown = consent.preview(
            self.exchange, load_policy(), ask, person=AIGUL_RECORD, language="en"
        )
        given = consent.confirm(
            self.exchange,
            load_policy(),
            ask,
            person=AIGUL_RECORD,
            subject_id=subject,
            language="en",
            preview_hash=shown.notice_hash,
            explicit_request=True,
        )
        return given.token


@contextlib.contextmanager
def nodes(
    union: MemoryUnion, clock: FrozenClock, urls: dict[str, str]
) -> Iterator[dict[str, Node]]:
    """Build the nodes of ``urls`` (state → database URL), disposing of them afterwards."""
    transport = LoopbackTransport()
    engines = []
    built: dict[str, Node] = {}
    try:
        for state, url in urls.items():
            engine = make_engine(url)
            engines.append(engine)
            migrate.upgrade(engine)
            uow = UnitOfWorkFactory(engine)
            with uow() as unit:
                assume_notified(unit.session, state, at=clock.now())
                unit.commit()
            guard = ConsentGuard(state=state, trust=lambda: union.trust, uow=uow)
            exchange = loopback_node(
                union,
                state,
                uow=uow,
                clock=clock,
                transport=transport,
                handlers=consent_handlers(guard, person_data),
                guard=guard,
            )
            ctx = JobsContext(
                state=state, uow=uow, clock=clock, trust=exchange.trust.current, exchange=exchange
            )
            contracts: dict[str, list[ContractFacts]] = {}

            def signed_for(person_id: str, held=contracts) -> list[ContractFacts]:
                return list(held.get(person_id, []))

            node = Node(
                state=state,
                exchange=exchange,
                uow=uow,
                ctx=ctx,
                insurance=Insurance(ctx),
                housing=Housing(ctx),
                migration=MigrationNotices(ctx, contracts=signed_for),
                checklists=Checklists(ctx, contracts=signed_for),
                contracts=contracts,
            )
            for part in (node.insurance, node.housing, node.migration, node.checklists):
                exchange.handlers.update(part.handlers())
            built[state] = node
        yield built
    finally:
        for engine in engines:
            engine.dispose()


@contextlib.contextmanager
def second_database(database_url: str, tmp_path) -> Iterator[str]:
    """Another fresh database on the same engine as ``database_url``."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    with postgres_database(os.environ["EAEU_TEST_POSTGRES_URL"]) as url:
        yield url


def contract(**changes: object) -> ContractFacts:
    """A contract signed by both parties: Aigul Asanova works for StroiMontazh in Moscow."""
    values: dict[str, object] = {
        "contract_id": "RU-0193b000-0000-7000-8000-0000000c0001",
        "application_id": "app-1",
        "vacancy_id": "RU-vacancy-1",
        "destination": "RU",
        "worker_home": "KG",
        "worker_person_id": PERSON,
        "employer_ref": EMPLOYER_REF,
        "employer_name": "StroiMontazh LLC",
        "worker_family_name_latin": AIGUL.family_name_latin,
        "worker_given_name_latin": AIGUL.given_name_latin,
        "worker_birth_date": AIGUL.birth_date,
        "worker_nationality": "KG",
        "position": "Bricklayer",
        "locality": "Moscow",
        "start_date": TODAY + timedelta(days=30),
        "end_date": TODAY + timedelta(days=395),
        "signed_at": START - timedelta(days=1),
    }
    values.update(changes)
    return ContractFacts(**values)  # type: ignore[arg-type]
