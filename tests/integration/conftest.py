"""Fixtures of the exchange tests: in-process nodes of a union made in memory.

Each node has its own SQLite database (or the ``database_url`` one) and a frozen clock; a
loopback transport carries envelopes between them. The ``travel.certificate.verify``
handler records what it received and answers with it.
"""

from datetime import timedelta

import pytest

from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.testing import (
    FrozenClock,
    LoopbackTransport,
    RecordingGuard,
    loopback_node,
    memory_union,
)

UNION_START = FrozenClock().now()
START = UNION_START + timedelta(days=1)
VERIFY = "travel.certificate.verify"


@pytest.fixture(scope="module")
def union():
    return memory_union(now=UNION_START)


@pytest.fixture
def clock():
    return FrozenClock(START)


@pytest.fixture
def transport():
    return LoopbackTransport()


@pytest.fixture
def calls():
    return []


@pytest.fixture
def engines():
    made = []
    yield made
    for engine in made:
        engine.dispose()


@pytest.fixture
def guards():
    """Each node's recording transfer guard, by state."""
    return {}


@pytest.fixture
def make_node(union, clock, transport, tmp_path, engines, calls, guards):
    def verify(incoming):
        calls.append(incoming)
        return {"valid": True, "seen": incoming.payload}

    def make(state, *, url=None, handlers=None, **kwargs):
        kwargs.setdefault("guard", guards.setdefault(state, RecordingGuard()))
        engine = make_engine(url or f"sqlite:///{tmp_path / state}.db")
        migrate.upgrade(engine)
        engines.append(engine)
        return loopback_node(
            union,
            state,
            uow=UnitOfWorkFactory(engine),
            clock=clock,
            transport=transport,
            handlers={VERIFY: verify, **(handlers or {})},
            **kwargs,
        )

    return make
