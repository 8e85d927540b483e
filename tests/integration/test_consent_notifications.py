"""Authority notifications: ``eaeu consent notify``, the operator API, a development node's.

Russian law requires Roskomnadzor to be notified before personal data first goes to a
state; without a recorded notification the Russian node refuses every transfer there. The
command line and the operator API record the real notifications; a development node
assumes them (reference ``DEV-ASSUMED``) so that a development federation can exchange.
"""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from typer.testing import CliRunner

from eaeu.bootstrap import assume_authority_notified, build
from eaeu.cli.main import app as cli
from eaeu.consent import records
from eaeu.consent.errors import ConsentInvalid, ConsentRefused
from eaeu.consent.guard import ConsentGuard
from eaeu.consent.orm import AuthorityNotification
from eaeu.kernel.settings import DEVELOPMENT_MARKER
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.testing import FrozenClock
from eaeu.web.app import create_app

OTHERS = ["AM", "BY", "KG", "KZ"]


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def node_env(monkeypatch, data_dir, database_url):
    """The environment of an ``eaeu`` command run on the Russian node's database."""
    for name in [n for n in os.environ if n.startswith("EAEU_")]:
        monkeypatch.delenv(name)
    # The command configures logging onto the runner's stream, which closes after the
    # run; the tests after it would then log into a closed file.
    monkeypatch.setattr("eaeu.cli.main.configure_logging", lambda *_, **__: None)
    (data_dir / DEVELOPMENT_MARKER).write_text("")
    monkeypatch.setenv("EAEU_DATABASE_URL", database_url)
    return data_dir


def run(*args, data_dir):
    return CliRunner().invoke(cli, ["consent", *args, "--data-dir", str(data_dir)])


def notified(database_url):
    engine = make_engine(database_url)
    try:
        with UnitOfWorkFactory(engine)() as uow:
            return {n.destination: n.reference for n in records.notifications(uow.session)}
    finally:
        engine.dispose()


class TestTheCommandLine:
    def test_records_a_notification_and_lists_it(self, node_env, database_url):
        done = run("notify", "--state", "RU", "--to", "kz", "--reference", "RKN-77-0012",
                   data_dir=node_env)  # fmt: skip
        assert done.exit_code == 0, done.output
        assert "RU → KZ: notification RKN-77-0012 recorded" in done.output
        assert notified(database_url) == {"KZ": "RKN-77-0012"}
        listed = run("notifications", "--state", "RU", data_dir=node_env)
        assert listed.exit_code == 0, listed.output
        assert listed.output.startswith("KZ\tRKN-77-0012\t")

    def test_recording_again_replaces_the_reference(self, node_env, database_url):
        for reference in ("RKN-1", "RKN-2"):
            run("notify", "--state", "RU", "--to", "KZ", "--reference", reference,
                data_dir=node_env)  # fmt: skip
        assert notified(database_url) == {"KZ": "RKN-2"}

    def test_one_notification_can_cover_every_destination(self, node_env, database_url):
        done = run("notify", "--state", "RU", "--to", "*", "--reference", "RKN-ALL",
                   data_dir=node_env)  # fmt: skip
        assert done.exit_code == 0, done.output
        assert notified(database_url) == {"*": "RKN-ALL"}

    def test_lists_nothing_on_a_new_node(self, node_env):
        listed = run("notifications", "--state", "RU", data_dir=node_env)
        assert listed.exit_code == 0
        assert listed.output.strip() == "no notifications recorded"

    @pytest.mark.parametrize(
        ("state", "to", "reference", "words"),
        [
            ("RU", "RU", "RKN-1", "another member state"),
            ("RU", "XX", "RKN-1", "another member state"),
            ("RU", "KZ", "  ", "reference"),
            ("XX", "KZ", "RKN-1", "not a member state"),
        ],
    )
    def test_refuses_what_is_not_a_notification(self, node_env, state, to, reference, words):
        done = run("notify", "--state", state, "--to", to, "--reference", reference,
                   data_dir=node_env)  # fmt: skip
        assert done.exit_code == 1
        assert words in done.output

    def test_refuses_another_states_database(self, node_env):
        run("notifications", "--state", "RU", data_dir=node_env)
        done = run("notifications", "--state", "KZ", data_dir=node_env)
        assert done.exit_code == 1
        assert "belongs to the RU node" in done.output


@pytest.fixture
def ru_node(make_settings, database_url, clock):
    platform = build(make_settings(state="RU", database_url=database_url), clock=clock)
    yield platform
    platform.close()


class TestADevelopmentNode:
    def test_assumes_a_notification_to_every_other_state(self, ru_node):
        with ru_node.uow() as uow:
            found = records.notifications(uow.session)
        assert [n.destination for n in found] == OTHERS
        assert {n.reference for n in found} == {"DEV-ASSUMED"}

    def test_lets_a_russian_citizen_sign_in_abroad(self, ru_node, clock):
        guard = ConsentGuard(state="RU", trust=lambda: None, uow=ru_node.uow)
        with ru_node.uow() as uow:
            guard.release_on_request(
                uow.session,
                subject_id="person-1",
                to_state="KZ",
                purpose="identity.sign_in",
                categories=("identity",),
                reference="assertion-1",
                message_type="identity.assertion",
                at=clock.now(),
            )
            uow.commit()

    def test_keeps_a_real_notification_when_it_starts_again(
        self, ru_node, make_settings, database_url, clock
    ):
        with ru_node.uow() as uow:
            records.record_notification(uow.session, "KZ", reference="RKN-9", at=clock.now())
            uow.session.execute(
                delete(AuthorityNotification).where(AuthorityNotification.destination == "AM")
            )
            uow.commit()
        again = build(make_settings(state="RU", database_url=database_url), clock=clock)
        again.close()
        assert notified(database_url) == {
            "AM": "DEV-ASSUMED", "BY": "DEV-ASSUMED", "KG": "DEV-ASSUMED", "KZ": "RKN-9",
        }  # fmt: skip


class TestAssumingNotifications:
    @pytest.fixture
    def uow(self, database_url):
        engine = make_engine(database_url)
        migrate.upgrade(engine)
        yield UnitOfWorkFactory(engine)
        engine.dispose()

    def test_records_only_what_is_missing(self, uow, clock):
        with uow() as u:
            records.record_notification(u.session, "*", reference="RKN-ALL", at=clock.now())
            assert records.assume_notified(u.session, "RU", at=clock.now()) == len(OTHERS)
            assert records.assume_notified(u.session, "RU", at=clock.now()) == 0
            u.commit()
            found = {n.destination: n.reference for n in records.notifications(u.session)}
        assert found == {"*": "RKN-ALL", **dict.fromkeys(OTHERS, "DEV-ASSUMED")}

    def test_a_node_and_its_worker_starting_together_do_not_fail(self, uow, clock, monkeypatch):
        assume_authority_notified(uow, clock, "RU")
        # The other process read "none recorded" just before this one committed its rows.
        monkeypatch.setattr(records, "notified_destinations", lambda _session: frozenset())
        assume_authority_notified(uow, clock, "RU")
        with uow() as u:
            assert len(records.notifications(u.session)) == len(OTHERS)

    def test_without_a_notification_russia_refuses(self, uow, clock):
        guard = ConsentGuard(state="RU", trust=lambda: None, uow=uow)
        with uow() as u, pytest.raises(ConsentRefused, match="Roskomnadzor"):
            guard.release_on_request(
                u.session, subject_id="p", to_state="KZ", purpose="identity.sign_in",
                categories=("identity",), reference="r", message_type="identity.assertion",
                at=clock.now(),
            )  # fmt: skip

    def test_refuses_the_home_state_as_a_destination(self, uow, clock):
        with uow() as u, pytest.raises(ConsentInvalid, match="another member state") as raised:
            records.record_notification(u.session, "RU", reference="x", at=clock.now(), home="RU")
        assert raised.value.reason == "consent.notification_invalid"


class TestTheOperatorApi:
    @pytest.fixture
    def api(self, ru_node):
        with TestClient(create_app(ru_node.settings, platform=ru_node)) as client:
            yield client

    def test_lists_the_notifications(self, api):
        listed = api.get("/api/v1/consent/notifications")
        assert listed.status_code == 200
        assert [(n["destination"], n["reference"]) for n in listed.json()] == [
            (code, "DEV-ASSUMED") for code in OTHERS
        ]

    def test_records_a_real_notification(self, api):
        answer = api.post(
            "/api/v1/consent/notifications", json={"destination": "KZ", "reference": "RKN-5"}
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["reference"] == "RKN-5"
        listed = {n["destination"]: n["reference"] for n in api.get(
            "/api/v1/consent/notifications").json()}  # fmt: skip
        assert listed["KZ"] == "RKN-5"

    @pytest.mark.parametrize(
        "body",
        [{"destination": "RU", "reference": "RKN-5"}, {"destination": "ZZ", "reference": "x"}],
    )
    def test_refuses_what_is_not_a_notification(self, api, body):
        answer = api.post("/api/v1/consent/notifications", json=body)
        assert answer.status_code == 422
        assert answer.json()["reason"] == "consent.notification_invalid"

    def test_is_for_the_operator_only(self, make_settings, database_url, clock):
        settings = make_settings(state="RU", database_url=database_url, operator_token="s3cret")
        platform = build(settings, clock=clock)
        try:
            with TestClient(create_app(settings, platform=platform)) as client:
                body = {"destination": "KZ", "reference": "RKN-5"}
                refused = client.post("/api/v1/consent/notifications", json=body)
                assert refused.status_code == 401
                assert client.get("/api/v1/consent/notifications").status_code == 401
                allowed = client.post(
                    "/api/v1/consent/notifications",
                    json=body,
                    headers={"authorization": "Bearer s3cret"},
                )
                assert allowed.status_code == 201
        finally:
            platform.close()
