import pytest
from sqlalchemy import inspect, select

from eaeu.storage import migrate
from eaeu.storage.engine import describe, make_engine
from eaeu.storage.errors import DatabaseUnavailable, WrongNodeDatabase
from eaeu.storage.orm import NodeRecord
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.testing import FrozenClock


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


class TestMigrations:
    def test_upgrade_creates_the_schema_at_head(self, engine):
        assert migrate.current_revision(engine) is None
        assert migrate.upgrade(engine) == migrate.head_revision()
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert "node_info" in inspect(engine).get_table_names()

    def test_upgrade_twice_is_harmless(self, engine):
        migrate.upgrade(engine)
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()


class TestNodeOwnership:
    def test_first_start_claims_the_database(self, engine):
        migrate.upgrade(engine)
        migrate.claim_for_node(engine, "KZ", clock=FrozenClock())
        migrate.claim_for_node(engine, "KZ")
        with UnitOfWorkFactory(engine)() as uow:
            assert list(uow.session.scalars(select(NodeRecord.state))) == ["KZ"]

    def test_another_states_node_is_refused(self, engine):
        migrate.upgrade(engine)
        migrate.claim_for_node(engine, "KZ")
        with pytest.raises(WrongNodeDatabase, match="belongs to the KZ node, not RU") as caught:
            migrate.claim_for_node(engine, "RU")
        assert caught.value.reason == "database.wrong_node"


class TestUnitOfWork:
    def test_leaving_without_commit_rolls_back(self, engine):
        migrate.upgrade(engine)
        uow_factory = UnitOfWorkFactory(engine)
        clock = FrozenClock()
        with uow_factory() as uow:
            uow.session.add(NodeRecord(state="AM", created_at=clock.now(), software_version="t"))
            uow.session.flush()
        with uow_factory() as uow:
            assert uow.session.get(NodeRecord, "AM") is None

    def test_committed_work_is_kept_and_a_failure_inside_loses_nothing_committed(self, engine):
        migrate.upgrade(engine)
        uow_factory = UnitOfWorkFactory(engine)
        clock = FrozenClock()
        with uow_factory() as uow:
            uow.session.add(NodeRecord(state="AM", created_at=clock.now(), software_version="t"))
            uow.commit()

        def fail_halfway():
            with uow_factory() as uow:
                uow.session.add(
                    NodeRecord(state="BY", created_at=clock.now(), software_version="t")
                )
                uow.session.flush()
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            fail_halfway()
        with uow_factory() as uow:
            assert uow.session.get(NodeRecord, "AM") is not None
            assert uow.session.get(NodeRecord, "BY") is None


class TestEngines:
    def test_an_unparseable_url_is_a_clear_error(self):
        with pytest.raises(DatabaseUnavailable, match="not a database URL"):
            make_engine("not a url at all")

    def test_an_unsupported_backend_is_named(self):
        with pytest.raises(DatabaseUnavailable, match="unsupported backend 'mysql'"):
            make_engine("mysql://root@localhost/x")

    def test_an_unreachable_server_is_one_line_without_the_password(self):
        engine = make_engine("postgresql://eaeu:hunter2@127.0.0.1:1/nothing")
        with pytest.raises(DatabaseUnavailable, match="cannot connect") as caught:
            migrate.upgrade(engine)
        assert "hunter2" not in caught.value.message
        assert "\n" not in caught.value.message

    def test_describe_hides_passwords(self):
        assert "hunter2" not in describe("postgresql://u:hunter2@h/db")
        assert describe("::") == "<unparseable database URL>"
