"""The change feed of vacancies between in-process nodes: serving, pulling, peers down and back.

Each node has its own database (Kyrgyzstan, which pulls, on each engine; the others on
SQLite files), a frozen clock and the exchange of a union made in memory, over a loopback
transport whose ``down`` set makes a node stop answering. Each node runs the vacancy store
and the feed only, as the jobs service wires them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import timedelta
from types import SimpleNamespace

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select

from eaeu.exchange.errors import MessageRefused
from eaeu.services.jobs import feed as feed_module
from eaeu.services.jobs.adapters import Parsed, vacancy_id
from eaeu.services.jobs.context import SERVICE, JobsContext
from eaeu.services.jobs.errors import VacancyNotFound
from eaeu.services.jobs.feed import CHANGES, Feed, FeedRefused
from eaeu.services.jobs.feed_orm import FeedPeerRow
from eaeu.services.jobs.model import Vacancy
from eaeu.services.jobs.orm import VacancyRow
from eaeu.services.jobs.vacancies import VacancyStore
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.orm import Base
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.testing import FrozenClock, LoopbackTransport, loopback_node, memory_union
from eaeu.trust.union import default_services

START = FrozenClock().now().replace(year=2026, month=3, day=2, hour=6, minute=0, second=0)
TODAY = START.date()
EMPLOYERS = {
    "RU": "RU-OGRN-1027700013230",
    "KZ": "KZ-BIN-190340030712",
    "KG": "KG-TIN-01503201910123",
    "AM": "AM-TIN-02571841",
    "BY": "BY-UNP-190123455",
}


@dataclass
class Node:
    state: str
    store: VacancyStore
    feed: Feed
    exchange: object
    uow: UnitOfWorkFactory


def vacancy(state: str, n: int, **changes) -> Vacancy:
    source_id = f"test-{n}"
    made = Vacancy(
        id=vacancy_id(state, "jobposting", source_id),
        origin=state,
        source="jobposting",
        source_id=source_id,
        title=f"Сварщик {n} разряда",
        description="Сварка металлоконструкций на строительной площадке.",
        employer_ref=EMPLOYERS[state],
        employer_name="ООО «Стройка»",
        locality="Москва",
        currency="RUB",
        salary_min=80_000 + n,
        salary_max=120_000 + n,
        posted=TODAY,
        valid_through=TODAY + timedelta(days=30),
        last_confirmed=TODAY,
        eaeu_open=True,
    )
    return replace(made, **changes)


def ingest(node: Node, *vacancies: Vacancy) -> None:
    report = node.store.ingest(Parsed("jobposting", tuple(vacancies)))
    assert report.ok, report.rejected


def block(node: Node, vacancy_id: str) -> None:
    report = node.store.report(vacancy_id, "fraud")
    node.store.decide(report.id, "block", "operator-1")


def replicas(node: Node, origin: str) -> dict[str, VacancyRow]:
    with node.uow() as uow:
        rows = uow.session.scalars(select(VacancyRow).where(VacancyRow.origin == origin))
        return {row.id: row for row in rows}


def peer_row(node: Node, state: str) -> SimpleNamespace:
    with node.uow() as uow:
        row = uow.session.get(FeedPeerRow, state)
        assert row is not None
        return SimpleNamespace(**{c.key: getattr(row, c.key) for c in FeedPeerRow.__table__.c})


@pytest.fixture
def clock():
    return FrozenClock(START)


@pytest.fixture
def engines():
    made = []
    yield made
    for engine in made:
        engine.dispose()


@pytest.fixture
def transport():
    return LoopbackTransport()


@pytest.fixture
def make(clock, tmp_path, engines, transport, database_url):
    unions = {}

    def build(state, *, url=None, services=None):
        key = repr(services)
        if key not in unions:
            unions[key] = memory_union(now=START - timedelta(days=1), services=services)
        engine = make_engine(url or f"sqlite:///{tmp_path / state}.db")
        migrate.upgrade(engine)
        engines.append(engine)
        uow = UnitOfWorkFactory(engine)
        exchange = loopback_node(unions[key], state, uow=uow, clock=clock, transport=transport)
        ctx = JobsContext(
            state=state, uow=uow, clock=clock, trust=exchange.trust.current, exchange=exchange
        )
        store = VacancyStore(ctx)
        feed = Feed(ctx, store)
        exchange.handlers.update(feed.handlers())
        return Node(state, store, feed, exchange, uow)

    build.database_url = database_url
    return build


@pytest.fixture
def ru(make):
    return make("RU")


@pytest.fixture
def kz(make):
    return make("KZ")


@pytest.fixture
def kg(make):
    return make("KG", url=make.database_url)


def endpoint(state: str) -> str:
    return f"http://{state.lower()}.test"


class TestServing:
    def test_serves_own_changes_in_order_a_page_at_a_time_tombstones_included(self, ru, kg):
        ingest(ru, *(vacancy("RU", n) for n in range(1, 5)))
        first = vacancy("RU", 1).id
        block(ru, first)
        pages = []
        since = 0
        while True:
            page = kg.exchange.request(
                "RU", SERVICE, CHANGES, {"since": since, "limit": 2}
            ).response
            pages.append(page)
            since = page["next"]
            if not page["more"]:
                break
        # The blocked vacancy moved to the end of the feed: each vacancy once, as it is now.
        assert [len(page["changes"]) for page in pages] == [2, 2]
        seqs = [record["seq"] for page in pages for record in page["changes"]]
        assert seqs == sorted(seqs)
        assert seqs == [2, 3, 4, 5]
        assert all(page["origin"] == "RU" and page["head"] == seqs[-1] for page in pages)
        last = pages[-1]["changes"][-1]
        assert last["id"] == first
        assert last["status"] == "blocked"
        assert first not in {r["id"] for page in pages[:-1] for r in page["changes"]}

    @pytest.mark.usefixtures("ru")
    def test_an_empty_feed_says_nothing_more(self, kg):
        page = kg.exchange.request("RU", SERVICE, CHANGES, {"since": 0}).response
        assert page == {
            "origin": "RU", "since": 0, "changes": [], "next": 0, "head": 0, "more": False
        }  # fmt: skip

    @pytest.mark.parametrize(
        "payload",
        [
            {"since": -1},
            {"since": "0"},
            {"since": True},
            {"since": 0, "limit": 0},
            {"since": 0, "limit": 501},
            {},
            None,
        ],
    )
    @pytest.mark.usefixtures("ru")
    def test_refuses_a_malformed_request_with_a_reason(self, kg, payload):
        with pytest.raises(MessageRefused, match="position 'since'") as refused:
            kg.exchange.request("RU", SERVICE, CHANGES, payload)
        assert refused.value.reason == "jobs.feed_malformed"

    def test_refuses_a_state_that_does_not_receive_vacancies(self, make):
        services = default_services()
        services["jobs"]["KG"] = ["publisher"]
        ru, kg = make("RU", services=services), make("KG", services=services)
        with pytest.raises(MessageRefused, match="does not receive vacancies") as refused:
            kg.exchange.request("RU", SERVICE, CHANGES, {"since": 0})
        assert refused.value.reason == "jobs.not_participating"
        assert ru.feed.sources() == ["AM", "BY", "KG", "KZ"]  # Kyrgyzstan still publishes
        assert kg.feed.sources() == []

    def test_a_node_that_does_not_publish_serves_nothing(self, make):
        services = default_services()
        services["jobs"]["RU"] = ["consumer"]
        make("RU", services=services)
        kg = make("KG", services=services)
        with pytest.raises(MessageRefused, match="does not publish vacancies") as refused:
            kg.exchange.request("RU", SERVICE, CHANGES, {"since": 0})
        assert refused.value.reason == "jobs.not_participating"


class TestPulling:
    def test_replicates_a_peers_vacancies_and_pulling_again_changes_nothing(self, ru, kg):
        ingest(ru, *(vacancy("RU", n) for n in range(1, 4)))
        result = kg.feed.pull("RU")
        assert result.ok
        assert (result.applied, result.skipped, result.pages) == (3, 0, 1)
        assert result.cursor == ru.store.last_seq()
        held = replicas(kg, "RU")
        assert set(held) == {vacancy("RU", n).id for n in range(1, 4)}
        assert kg.store.get(vacancy("RU", 2).id).salary_min == 80_002
        again = kg.feed.pull("RU")
        assert again.ok
        assert (again.applied, again.pages) == (0, 1)

    def test_pages_until_caught_up(self, ru, kg, monkeypatch):
        monkeypatch.setattr(feed_module, "PAGE", 2)
        ingest(ru, *(vacancy("RU", n) for n in range(1, 6)))
        result = kg.feed.pull("RU")
        assert result.ok
        assert (result.applied, result.pages) == (5, 3)
        assert len(replicas(kg, "RU")) == 5

    def test_a_peer_down_is_recorded_and_caught_up_when_back_deletions_included(
        self, ru, kg, clock, transport
    ):
        ingest(ru, *(vacancy("RU", n) for n in range(1, 4)))
        assert kg.feed.pull("RU").ok
        pulled_at = clock.now()

        transport.down.add(endpoint("RU"))
        clock.advance(minutes=10)
        ingest(ru, vacancy("RU", 1, salary_min=95_000, salary_max=130_000), vacancy("RU", 4))
        block(ru, vacancy("RU", 2).id)
        failed = kg.feed.pull("RU")
        assert not failed.ok
        assert failed.reason == "exchange.unreachable"
        status = next(s for s in kg.feed.status() if s.state == "RU")
        assert status.failing
        assert status.failures == 1
        assert status.last_reason == "exchange.unreachable"
        assert status.last_failure_at == clock.now()
        assert kg.feed.freshness()["RU"] == pulled_at
        assert kg.store.get(vacancy("RU", 2).id).status == "active"
        with pytest.raises(VacancyNotFound):
            kg.store.get(vacancy("RU", 4).id)

        transport.down.discard(endpoint("RU"))
        clock.advance(minutes=1)
        back = kg.feed.pull("RU")
        assert back.ok
        assert back.applied == 3
        assert kg.store.get(vacancy("RU", 1).id).salary_min == 95_000
        assert kg.store.get(vacancy("RU", 2).id).status == "blocked"
        assert kg.store.get(vacancy("RU", 4).id).status == "active"
        assert kg.feed.freshness()["RU"] == clock.now()
        status = next(s for s in kg.feed.status() if s.state == "RU")
        assert not status.failing
        assert status.cursor == status.head == ru.store.last_seq()
        assert status.behind == 0
        assert status.last_failure_at is not None  # kept for the operator

    def test_other_peers_are_pulled_while_one_is_down(self, ru, kz, kg, transport):
        ingest(ru, vacancy("RU", 1))
        ingest(kz, vacancy("KZ", 1, locality="Алматы", currency="KZT"))
        transport.down.add(endpoint("RU"))
        results = kg.feed.sync_all()
        assert set(results) == {"AM", "BY", "KZ", "RU"}
        assert results["KZ"].ok
        assert results["KZ"].applied == 1
        assert not results["RU"].ok
        # AM and BY have no node in this test: they are down too, and that is recorded.
        assert results["AM"].reason == "exchange.unreachable"
        assert vacancy("KZ", 1).id in replicas(kg, "KZ")

    def test_refuses_to_pull_a_state_that_does_not_publish_or_itself(self, make):
        services = default_services()
        services["jobs"]["BY"] = ["consumer"]
        del services["jobs"]["AM"]
        kg = make("KG", services=services)
        assert kg.feed.sources() == ["KZ", "RU"]
        for state in ("AM", "BY", "KG", "XX"):
            with pytest.raises(FeedRefused, match="both must take part") as refused:
                kg.feed.pull(state)
            assert refused.value.reason == "jobs.not_participating"
        status = {s.state: s.participates for s in kg.feed.status()}
        assert status == {"AM": False, "BY": False, "KZ": True, "RU": True}
        assert set(kg.feed.freshness()) == {"KG", "KZ", "RU"}  # the publishers

    def test_a_node_that_does_not_receive_pulls_nothing(self, make):
        services = default_services()
        services["jobs"]["KG"] = ["publisher"]
        kg = make("KG", services=services)
        assert kg.feed.sources() == []
        assert kg.feed.sync_all() == {}
        assert kg.feed.sync_due() == {}
        with pytest.raises(FeedRefused) as refused:
            kg.feed.pull("RU")
        assert refused.value.reason == "jobs.not_participating"

    def test_a_node_without_an_exchange_cannot_pull(self, kg):
        alone = Feed(replace(kg.feed.ctx, exchange=None))
        with pytest.raises(FeedRefused, match="no exchange") as refused:
            alone.pull("RU")
        assert refused.value.reason == "jobs.feed_unavailable"


class TestBadPeers:
    def test_skips_records_it_cannot_take_and_goes_on(self, ru, kg, monkeypatch):
        ingest(ru, vacancy("RU", 1), vacancy("RU", 2))
        served = ru.store.changes_since

        def tampered(since, limit=100):
            records = served(since, limit)
            if records:
                records[0] = {**records[0], "salary_period": "fortnight"}
            return records

        monkeypatch.setattr(ru.store, "changes_since", tampered)
        result = kg.feed.pull("RU")
        assert result.ok
        assert (result.applied, result.skipped) == (1, 1)
        assert set(replicas(kg, "RU")) == {vacancy("RU", 2).id}
        assert peer_row(kg, "RU").skipped == 1

    def test_refuses_a_record_of_another_origin_or_out_of_its_page(self, ru, kg, monkeypatch):
        ingest(ru, vacancy("RU", 1))
        foreign = vacancy("KZ", 7).to_json() | {"seq": 1}
        beyond = vacancy("RU", 9).to_json() | {"seq": 99}
        # The page ends at position 1, so a record at 99 is outside it.
        monkeypatch.setattr(ru.store, "changes_since", lambda *_: [beyond, foreign])
        result = kg.feed.pull("RU")
        assert (result.applied, result.skipped) == (0, 2)
        assert replicas(kg, "RU") == {}
        assert replicas(kg, "KZ") == {}

    def test_a_page_that_is_not_a_feed_page_is_a_failure(self, ru, kg, monkeypatch):
        page = {"origin": "RU", "changes": [], "next": -5, "head": 0, "more": False}
        monkeypatch.setattr(ru.feed, "page", lambda *_: page)
        result = kg.feed.pull("RU")
        assert not result.ok
        assert result.reason == "jobs.feed_invalid"
        assert peer_row(kg, "RU").last_reason == "jobs.feed_invalid"

    def test_a_rewound_peer_is_pulled_again_from_the_start(self, ru, kg):
        ingest(ru, *(vacancy("RU", n) for n in range(1, 4)))
        assert kg.feed.pull("RU").ok
        with kg.uow() as uow:
            uow.session.get(FeedPeerRow, "RU").cursor_seq = 50
            uow.commit()
        rewound = kg.feed.pull("RU")
        assert not rewound.ok
        assert rewound.reason == "jobs.feed_rewound"
        assert peer_row(kg, "RU").cursor_seq == 0
        assert kg.feed.pull("RU").ok
        assert peer_row(kg, "RU").cursor_seq == ru.store.last_seq()


class TestPeriodicPull:
    @pytest.mark.usefixtures("kz")
    def test_pulls_each_peer_once_per_interval_whoever_calls(self, ru, kg, clock):
        ingest(ru, vacancy("RU", 1))
        every = timedelta(minutes=5)
        pulled = kg.feed.sync_due(every)
        assert set(pulled) == {"AM", "BY", "KZ", "RU"}
        second_worker = Feed(kg.feed.ctx)
        assert second_worker.sync_due(every) == {}
        clock.advance(minutes=4)
        assert set(kg.feed.sync_due(every)) == {"AM", "BY"}  # failed: retried sooner
        clock.advance(minutes=1, seconds=1)
        # KZ and RU are due after the interval; AM and BY again 30 s after their 2nd failure.
        assert set(second_worker.sync_due(every)) == {"AM", "BY", "KZ", "RU"}
        assert set(kg.feed.sync_due(every)) == set()

    def test_a_peer_that_failed_is_tried_again_sooner_then_less_often(self, kg, clock, make):
        every = timedelta(minutes=5)
        assert not kg.feed.sync_due(every)["RU"].ok  # no RU node yet
        due = peer_row(kg, "RU").next_pull_at
        assert due.replace(tzinfo=None) == (clock.now() + timedelta(seconds=15)).replace(
            tzinfo=None
        )
        clock.advance(seconds=16)
        assert "RU" in kg.feed.sync_due(every)
        row = peer_row(kg, "RU")
        assert row.failures == 2
        assert row.next_pull_at.replace(tzinfo=None) == (
            clock.now() + timedelta(seconds=30)
        ).replace(tzinfo=None)
        ru = make("RU")
        ingest(ru, vacancy("RU", 1))
        clock.advance(seconds=31)
        assert kg.feed.sync_due(every)["RU"].ok
        assert vacancy("RU", 1).id in replicas(kg, "RU")

    def test_the_background_loop_pulls_until_stopped(self, ru, kg):
        ingest(ru, vacancy("RU", 1))
        stop = threading.Event()
        rounds_with_news = []
        loop = threading.Thread(
            target=kg.feed.run,
            args=(timedelta(minutes=5), stop),
            kwargs={"poll_s": 0.05, "on_new": lambda: rounds_with_news.append(1)},
        )
        loop.start()
        try:
            for _ in range(200):
                if vacancy("RU", 1).id in replicas(kg, "RU"):
                    break
                stop.wait(0.05)
        finally:
            stop.set()
            loop.join(timeout=10)
        assert not loop.is_alive()
        assert vacancy("RU", 1).id in replicas(kg, "RU")
        # The alerts run once: after the round that brought the vacancy, not after idle ones.
        assert rounds_with_news == [1]


class TestConcurrentPulls:
    def test_two_pulls_of_one_peer_at_once_leave_one_copy_of_each_vacancy(self, ru, kg):
        ingest(ru, *(vacancy("RU", n) for n in range(1, 30)))
        other = Feed(kg.feed.ctx)
        results = []
        barrier = threading.Barrier(2)

        def pull(feed):
            barrier.wait()
            results.append(feed.pull("RU"))

        threads = [threading.Thread(target=pull, args=(f,)) for f in (kg.feed, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(results) == 2
        assert any(result.ok for result in results)
        assert all(r.ok or r.reason == "jobs.feed_conflict" for r in results)
        kg.feed.pull("RU")
        with kg.uow() as uow:
            count = uow.session.scalar(
                select(func.count()).select_from(VacancyRow).where(VacancyRow.origin == "RU")
            )
        assert count == 29
        assert peer_row(kg, "RU").cursor_seq == ru.store.last_seq()


class TestFreshness:
    @pytest.mark.usefixtures("ru")
    def test_own_state_is_now_and_a_peer_never_pulled_is_none(self, kg, clock):
        fresh = kg.feed.freshness()
        assert fresh["KG"] == clock.now()
        assert fresh["RU"] is None
        assert set(fresh) == {"AM", "BY", "KG", "KZ", "RU"}
        kg.feed.pull("RU")
        clock.advance(hours=2)
        fresh = kg.feed.freshness()
        assert fresh["RU"] == clock.now() - timedelta(hours=2)
        assert fresh["RU"].tzinfo is not None
        assert fresh["KG"] == clock.now()


class TestMigration:
    @pytest.fixture
    def engine(self, database_url):
        engine = make_engine(database_url)
        migrate.upgrade(engine)
        yield engine
        engine.dispose()

    def test_the_migration_matches_the_model(self, engine):
        def ours(obj, name, type_, reflected, compare_to):
            table = name if type_ == "table" else obj.table.name
            return table == FeedPeerRow.__tablename__

        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": ours}
            )
            assert compare_metadata(context, Base.metadata) == []

    def test_downgrade_removes_the_table(self, engine):
        config = migrate.alembic_config()
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0011")
            connection.commit()
        assert FeedPeerRow.__tablename__ not in inspect(engine).get_table_names()
        assert migrate.current_revision(engine) == "0011"
