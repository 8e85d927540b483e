"""Vacancies replicated between five real nodes (``eaeu up``): search, a node down and back.

The nodes are ``eaeu node serve`` processes over real HTTP; each node's ``eaeu exchange
worker`` pulls the other nodes' change feeds every 2 s (``EAEU_JOBS_FEED_INTERVAL_S``). A
vacancy the Russian demonstration employer posts on the Russian portal is found by the
Kyrgyz node's search. Then Kyrgyzstan's node and worker are frozen (SIGSTOP: they keep their
sockets but do nothing) while the employer posts another vacancy and withdraws the first;
once thawed, Kyrgyzstan catches up — the new one appears, the withdrawn one disappears —
and reports how fresh each country's data is. Freezing Russia's node instead shows a peer
that is down: Kyrgyzstan records the failure, still finds Russian vacancies locally, and
catches up when Russia is back.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from exchange_steps import process_of, stopped, wait_for

from eaeu.identity.seed import DEMO_PASSWORD
from eaeu.services.jobs.vacancies import demo_vacancy_id
from eaeu.testing import federation

pytestmark = pytest.mark.slow

ENV = {
    "EAEU_EXCHANGE_RETRY_BASE_S": "0.2",
    "EAEU_EXCHANGE_RETRY_CAP_S": "1",
    "EAEU_JOBS_FEED_INTERVAL_S": "2",
}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
#: Pulls every 2 s; a silent peer costs the transport's 10 s timeout; leave room for both.
CATCH_UP_S = 60


def eventually(what, probe, done, timeout=CATCH_UP_S):
    return wait_for(what, probe, done, timeout)


def found(node, query):
    reply = httpx.get(f"{node}/api/v1/jobs/search", params=query, timeout=10, trust_env=False)
    assert reply.status_code == 200, reply.text
    return {hit["id"] for hit in reply.json()["hits"]}


def freshness(node):
    reply = httpx.get(f"{node}/api/v1/jobs/feed/freshness", timeout=10, trust_env=False)
    assert reply.status_code == 200, reply.text
    return {
        state: None if at is None else datetime.fromisoformat(at)
        for state, at in reply.json()["freshness"].items()
    }


def feed_status(node, state):
    reply = httpx.get(f"{node}/api/v1/jobs/feed/status", timeout=10, trust_env=False)
    assert reply.status_code == 200, reply.text
    return next(peer for peer in reply.json()["peers"] if peer["state"] == state)


def stored_status(fed, state, vacancy_id):
    """A vacancy's status in a node's SQLite file, opened read-only beside the running node."""
    uri = f"{(fed.data_dir / f'{state.lower()}.db').as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as connection:
        row = connection.execute(
            "SELECT status FROM jobs_vacancies WHERE id = ?", (vacancy_id,)
        ).fetchone()
    return row[0] if row else None


def signed_in(node, username):
    client = httpx.Client(base_url=node, timeout=15, trust_env=False, follow_redirects=False)

    def token(path):
        page = client.get(path, headers={"accept": "text/html"})
        assert page.status_code == 200, page.text
        return TOKEN.search(page.text).group(1)

    started = client.post(
        "/signin",
        data={"username": username, "password": DEMO_PASSWORD, "next": "/account",
              "csrf_token": token("/signin")},
    )  # fmt: skip
    assert started.status_code == 303, started.text
    code = re.findall(r'data-code="(\d{6})"', client.get("/dev/mailbox").text)[0]
    done = client.post(
        "/signin/code",
        data={"code": code, "next": "/account", "csrf_token": token(started.headers["location"])},
    )
    assert done.status_code == 303, done.text
    client.token = token  # type: ignore[attr-defined]
    return client


def post_vacancy(employer, title, salary):
    reply = employer.post(
        "/jobs/employer/vacancies/new",
        data={
            "title": title,
            "description": "Сварка металлоконструкций на стройке в Москве. Общежитие бесплатно.",
            "locality": "Москва",
            "region": "г. Москва",
            "isco": "7212",
            "salary_min": str(salary),
            "salary_max": str(salary + 30_000),
            "currency": "RUB",
            "salary_period": "month",
            "employment_type": "full_time",
            "schedule": "full_day",
            "languages": "ru",
            "positions": "3",
            "housing": "on",
            "eaeu_open": "on",
            "valid_through": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
            "csrf_token": employer.token("/jobs/employer/vacancies/new"),
        },
    )
    assert reply.status_code == 303, reply.text
    return re.search(r"posted=([A-Z]{2}-[0-9a-f]+)", reply.headers["location"]).group(1)


def withdraw(employer, vacancy_id):
    reply = employer.post(
        f"/jobs/employer/vacancies/{vacancy_id}/withdraw",
        data={"csrf_token": employer.token("/jobs/employer")},
    )
    assert reply.status_code == 303, reply.text


@pytest.fixture(scope="module")
def fed(tmp_path_factory):
    with federation(tmp_path_factory.mktemp("jobs") / "var", env=ENV) as running:
        yield running


@pytest.fixture(scope="module")
def employer(fed):
    """The Russian demonstration employer, signed in at the Russian portal."""
    client = signed_in(fed.url("RU"), "ru-employer")
    yield client
    client.close()


class TestVacanciesAcrossNodes:
    def test_a_vacancy_posted_in_russia_is_found_by_the_kyrgyz_search(self, fed, employer):
        ru, kg = fed.url("RU"), fed.url("KG")
        demo = demo_vacancy_id("RU")
        eventually(
            "the demo vacancy on KG", lambda: found(kg, {"country": "RU"}), lambda ids: demo in ids
        )
        posted = post_vacancy(employer, "Электросварщик ручной сварки", 90_000)
        assert posted in found(ru, {"country": "RU"})
        eventually(
            "the new vacancy in KG's search",
            lambda: found(kg, {"q": "электросварщик", "country": "RU"}),
            lambda ids: posted in ids,
        )
        fresh = freshness(kg)
        assert fresh["KG"] is not None
        assert datetime.now(UTC) - fresh["RU"] < timedelta(seconds=CATCH_UP_S)

    def test_a_node_stopped_catches_up_with_a_change_and_a_deletion(self, fed, employer):
        ru, kg = fed.url("RU"), fed.url("KG")
        first = post_vacancy(employer, "Арматурщик", 85_000)
        eventually(
            "the first vacancy on KG",
            lambda: found(kg, {"country": "RU"}),
            lambda ids: first in ids,
        )

        node = process_of(fed, "node", "serve", "--state", "KG")
        worker = process_of(fed, "exchange", "worker", "--state", "KG")
        with stopped(node, worker):
            stopped_at = datetime.now(UTC)
            second = post_vacancy(employer, "Бетонщик", 88_000)
            withdraw(employer, first)
            assert first not in found(ru, {"country": "RU"})
            time.sleep(3)  # more than one pull interval passes while Kyrgyzstan is stopped

        ids = eventually(
            "KG to catch up",
            lambda: found(kg, {"country": "RU"}),
            lambda ids: second in ids and first not in ids,
        )
        assert demo_vacancy_id("RU") in ids
        assert stored_status(fed, "KG", first) == "withdrawn"  # a tombstone, not a gap
        assert stored_status(fed, "KG", second) == "active"
        assert freshness(kg)["RU"] > stopped_at

    def test_a_peer_that_is_down_is_reported_and_caught_up_when_back(self, fed, employer):
        kg = fed.url("KG")
        eventually(
            "KG to be up to date", lambda: feed_status(kg, "RU"), lambda s: s["failures"] == 0
        )
        node = process_of(fed, "node", "serve", "--state", "RU")
        with stopped(node):
            status = eventually(
                "KG to record that RU does not answer",
                lambda: feed_status(kg, "RU"),
                lambda s: s["failures"] > 0,
            )
            assert status["last_reason"] == "exchange.unreachable"
            assert freshness(kg)["RU"] < datetime.fromisoformat(status["last_failure_at"])
            # Search is local: Russian vacancies are still found while Russia is down.
            assert demo_vacancy_id("RU") in found(kg, {"country": "RU"})
        later = post_vacancy(employer, "Каменщик", 92_000)
        eventually(
            "the vacancy posted after RU was back",
            lambda: found(kg, {"country": "RU"}),
            lambda ids: later in ids,
        )
        status = eventually(
            "KG's pull of RU to recover",
            lambda: feed_status(kg, "RU"),
            lambda s: s["failures"] == 0,
        )
        assert status["cursor"] == status["head"]
