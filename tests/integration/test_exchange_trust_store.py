"""A node's accepted trust lists: version 1 once, then only successors, kept in its database."""

import json
import threading
from datetime import timedelta

import pytest

from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.trust_store import TrustStore
from eaeu.kernel.states import STATE_CODES
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWork, UnitOfWorkFactory
from eaeu.testing import FrozenClock, memory_union
from eaeu.trust import trustlist as tl
from eaeu.trust.errors import TrustListRejected
from eaeu.trust.proposals import Join, SetThreshold

UNION_START = FrozenClock().now()
START = UNION_START + timedelta(days=1)


class RacingUnitOfWork(UnitOfWork):
    """A unit of work that lets another process of the node commit just before it does."""

    def __init__(self, sessions, race):
        super().__init__(sessions)
        self._race = race

    def commit(self):
        while self._race:
            self._race.pop()()
        super().commit()


class RacingUnitOfWorkFactory(UnitOfWorkFactory):
    """Makes racing units of work; ``race`` holds what the other process does, once."""

    def __init__(self, engine):
        super().__init__(engine)
        self.race = []

    def __call__(self):
        return RacingUnitOfWork(self._sessions, self.race)


@pytest.fixture(scope="module")
def union():
    return memory_union(now=UNION_START)


@pytest.fixture(scope="module")
def v2(union):
    return union.successor(union.trust, Join("KZ", "travel", ("verifier",)), now=UNION_START)


@pytest.fixture(scope="module")
def v3(union, v2):
    return union.successor(tl.parse(v2), now=UNION_START)


@pytest.fixture
def clock():
    return FrozenClock(START)


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'node.db'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def any_engine(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine, clock):
    return TrustStore(UnitOfWorkFactory(engine), clock)


def write_versions(directory, **versions):
    directory.mkdir(exist_ok=True)
    for name, signed in versions.items():
        (directory / f"{name}.json").write_text(json.dumps(signed), encoding="utf-8")
    return directory


class TestTheFirstVersion:
    def test_has_no_list_in_force_before_accepting_one(self, store):
        with pytest.raises(MessageRefused, match="not accepted a union trust list yet") as raised:
            store.current()
        assert raised.value.reason == "exchange.no_trust_list"
        assert store.versions() == []

    def test_accepts_version_1_signed_by_its_own_members(self, store, union):
        accepted = store.accept(union.signed)
        assert (accepted.version, accepted.digest) == (1, union.trust.digest)
        assert accepted.signed_by == STATE_CODES
        assert store.versions() == [1]
        current = store.current()
        assert (current.version, current.digest, current.signed_by) == (
            1,
            accepted.digest,
            STATE_CODES,
        )

    def test_accepts_the_pinned_version_1(self, engine, clock, union):
        pinned = TrustStore(UnitOfWorkFactory(engine), clock, pinned_digest=union.trust.digest)
        assert pinned.accept(union.signed).version == 1

    def test_refuses_a_version_1_other_than_the_pinned_one(self, engine, clock, union):
        pinned = TrustStore(UnitOfWorkFactory(engine), clock, pinned_digest="0" * 64)
        with pytest.raises(TrustListRejected, match="not the pinned first version") as raised:
            pinned.accept(union.signed)
        assert raised.value.reason == "trustlist.pinned"
        assert pinned.versions() == []

    def test_refuses_a_later_version_as_the_first(self, store, v2):
        with pytest.raises(TrustListRejected, match="cannot be trusted on its own") as raised:
            store.accept(v2)
        assert raised.value.reason == "trustlist.not_first"

    def test_refuses_an_expired_version_1(self, store, union, clock):
        clock.advance(days=365)
        with pytest.raises(TrustListRejected, match="expired") as raised:
            store.accept(union.signed)
        assert raised.value.reason == "trustlist.expired"


class TestSuccessors:
    def test_accepts_a_successor_and_keeps_every_version(self, store, union, v2):
        store.accept(union.signed)
        accepted = store.accept(v2)
        assert accepted.version == 2
        assert store.versions() == [1, 2]
        assert store.current().participates("KZ", "travel")

    def test_accepts_a_successor_that_skips_a_version(self, store, union, v3):
        store.accept(union.signed)
        assert store.accept(v3).version == 3
        assert store.versions() == [1, 3]

    def test_accepting_the_version_in_force_again_changes_nothing(self, store, union):
        first = store.accept(union.signed)
        again = store.accept(union.signed)
        assert (again.version, again.digest) == (first.version, first.digest)
        assert sorted(again.signed_by) == sorted(first.members)
        assert store.versions() == [1]

    def test_refuses_another_list_numbered_like_the_one_in_force(self, store, union):
        store.accept(union.signed)
        v2 = union.successor(union.trust, now=START)
        store.accept(v2)
        other = union.successor(union.trust, Join("KZ", "travel", ("verifier",)), now=START)
        with pytest.raises(TrustListRejected, match="does not follow version 2") as raised:
            store.accept(other)
        assert raised.value.reason == "trustlist.rollback"
        assert store.versions() == [1, 2]

    def test_refuses_a_successor_signed_by_too_few_members(self, store, union):
        store.accept(union.signed)
        few = union.successor(union.trust, now=START, signers=("AM", "BY"))
        with pytest.raises(TrustListRejected, match="signed by 2 of the 3") as raised:
            store.accept(few)
        assert raised.value.reason == "trustlist.threshold"
        assert store.versions() == [1]

    def test_judges_a_successor_by_the_threshold_of_the_list_in_force(self, store, union):
        store.accept(union.signed)
        strict = union.successor(union.trust, SetThreshold(5), now=START)
        store.accept(strict)
        four = union.successor(tl.parse(strict), now=START, signers=STATE_CODES[:4])
        with pytest.raises(TrustListRejected, match="signed by 4 of the 5") as raised:
            store.accept(four)
        assert raised.value.reason == "trustlist.threshold"


class TestTwoProcessesAcceptingAtOnce:
    def test_is_content_when_both_accepted_the_same_version(self, any_engine, clock, union, v2):
        racing = RacingUnitOfWorkFactory(any_engine)
        mine = TrustStore(racing, clock)
        other = TrustStore(UnitOfWorkFactory(any_engine), clock)
        mine.accept(union.signed)
        racing.race.append(lambda: other.accept(v2))
        assert mine.accept(v2).version == 2
        assert mine.versions() == [1, 2]

    def test_refuses_when_the_other_accepted_a_different_list_of_that_version(
        self, any_engine, clock, union, v2
    ):
        racing = RacingUnitOfWorkFactory(any_engine)
        mine = TrustStore(racing, clock)
        other = TrustStore(UnitOfWorkFactory(any_engine), clock)
        mine.accept(union.signed)
        fork = union.successor(union.trust, now=UNION_START)
        racing.race.append(lambda: other.accept(fork))
        with pytest.raises(TrustListRejected, match="another version 2 was accepted here") as r:
            mine.accept(v2)
        assert r.value.reason == "trustlist.conflict"
        assert mine.versions() == [1, 2]
        assert mine.current().digest == tl.parse(fork).digest


class TestBootstrap:
    def test_accepts_the_versions_found_in_a_directory_in_order(self, store, union, v2, tmp_path):
        directory = write_versions(tmp_path / "trust", v2=v2, v1=union.signed)
        assert store.bootstrap(directory).version == 2
        assert store.versions() == [1, 2]

    def test_finds_nothing_in_an_empty_directory(self, store, tmp_path):
        assert store.bootstrap(write_versions(tmp_path / "trust")) is None
        assert store.versions() == []

    def test_keeps_the_list_in_force_when_the_directory_has_nothing_newer(
        self, store, union, v2, tmp_path
    ):
        store.accept(union.signed)
        store.accept(v2)
        directory = write_versions(tmp_path / "trust", v1=union.signed)
        assert store.bootstrap(directory).version == 2
        assert store.versions() == [1, 2]

    def test_skips_versions_older_than_the_list_in_force(self, store, union, v2, v3, tmp_path):
        store.accept(union.signed)
        store.accept(v3)
        directory = write_versions(tmp_path / "trust", v1=union.signed, v2=v2, v3=v3)
        assert store.bootstrap(directory).version == 3
        assert store.versions() == [1, 3]

    def test_ignores_files_that_are_not_numbered_versions(self, store, union, tmp_path):
        directory = write_versions(
            tmp_path / "trust", v1=union.signed, vnext={"payload": "x"}, proposed={}
        )
        (directory / "v2.json.bak").write_text("{", encoding="utf-8")
        assert store.bootstrap(directory).version == 1

    def test_refuses_a_version_file_that_is_not_json(self, store, union, tmp_path):
        directory = write_versions(tmp_path / "trust", v1=union.signed)
        (directory / "v2.json").write_text('{"payload": ', encoding="utf-8")
        with pytest.raises(TrustListRejected, match=r"v2\.json is not JSON") as raised:
            store.bootstrap(directory)
        assert raised.value.reason == "trustlist.malformed"
        assert store.versions() == [1]

    def test_refuses_a_version_file_that_must_not_be_accepted(self, store, union, tmp_path):
        few = union.successor(union.trust, now=START, signers=("RU",))
        directory = write_versions(tmp_path / "trust", v1=union.signed, v2=few)
        with pytest.raises(TrustListRejected, match="signed by 1 of the 3") as raised:
            store.bootstrap(directory)
        assert raised.value.reason == "trustlist.threshold"


class TestTheListInForce:
    def test_reuses_the_list_for_a_second_before_looking_again(
        self, engine, store, clock, union, v2
    ):
        store.accept(union.signed)
        first = store.current()
        TrustStore(UnitOfWorkFactory(engine), clock).accept(v2)  # another process of the node
        clock.advance(seconds=0.9)
        assert store.current() is first
        clock.advance(seconds=0.1)
        assert store.current().version == 2

    def test_keeps_the_same_list_after_a_second_when_nothing_changed(self, store, clock, union):
        store.accept(union.signed)
        first = store.current()
        clock.advance(seconds=5)
        again = store.current()
        assert (again.version, again.digest, again.signed_by) == (1, first.digest, STATE_CODES)

    def test_uses_a_version_it_accepted_at_once(self, store, union, v2):
        store.accept(union.signed)
        assert store.current().version == 1
        store.accept(v2)
        assert store.current().version == 2


class TestProcessesOfOneNode:
    def test_several_processes_accepting_the_first_version_at_once_all_succeed(
        self, database_url, union, clock
    ):
        # A node's web process and its delivery worker bootstrap the same database at start.
        engines = [make_engine(database_url) for _ in range(4)]
        migrate.upgrade(engines[0])
        errors, barrier = [], threading.Barrier(len(engines))

        def accept(engine):
            store = TrustStore(UnitOfWorkFactory(engine), clock)
            barrier.wait()
            try:
                store.accept(union.signed)
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)

        try:
            for _ in range(5):
                with engines[0].begin() as connection:
                    connection.exec_driver_sql("DELETE FROM trust_lists")
                threads = [threading.Thread(target=accept, args=(e,)) for e in engines]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
        finally:
            for engine in engines:
                engine.dispose()
        assert errors == []
