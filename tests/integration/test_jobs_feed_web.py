"""The living pages and the feed's operator page and API, through the web app.

Two nodes of one union made with ``init_union`` on disk (Russia on each engine, Kyrgyzstan on
SQLite), each a full web app with its demonstration accounts and vacancies, and a loopback
transport between their exchanges.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from eaeu.bootstrap import build
from eaeu.identity.seed import DEMO_PASSWORD
from eaeu.kernel.settings import DEVELOPMENT_SECRET
from eaeu.testing import FrozenClock, LoopbackTransport
from eaeu.trust.union import init_union
from eaeu.web.app import create_app

#: The pages and APIs over stores whose own tests run on both engines: SQLite here,
#: PostgreSQL too for the journeys marked ``both_engines``.
pytestmark = pytest.mark.engine_neutral

HTML = {"accept": "text/html"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
ENDPOINTS = {state: f"http://{state.lower()}.test" for state in ("AM", "BY", "KG", "KZ", "RU")}
NOW = FrozenClock().now().replace(year=2026, month=3, day=2, hour=6)


@pytest.fixture
def clock():
    return FrozenClock(NOW)


@pytest.fixture
def nodes(make_settings, data_dir, database_url, clock):
    init_union(
        data_dir,
        passphrase=DEVELOPMENT_SECRET.encode(),
        now=clock.now() - timedelta(days=1),
        endpoints=ENDPOINTS,
    )
    transport = LoopbackTransport()
    platforms, clients = {}, {}
    for state in ("RU", "KG"):
        url = database_url if state == "RU" else f"sqlite:///{data_dir / 'kg.db'}"
        platform = build(make_settings(state=state, database_url=url), clock=clock)
        platform.exchange.transport = transport
        transport.nodes[ENDPOINTS[state]] = platform.exchange
        platforms[state] = platform
        settings = make_settings(state=state, database_url=url)
        clients[state] = TestClient(create_app(settings, platform=platform), follow_redirects=False)
    yield clients, platforms, transport
    for client in clients.values():
        client.close()
    for platform in platforms.values():
        platform.close()


@pytest.fixture
def ru(nodes):
    return nodes[0]["RU"]


@pytest.fixture
def kg(nodes):
    return nodes[0]["KG"]


def csrf(client, path):
    page = client.get(path, headers=HTML)
    assert page.status_code == 200, page.text
    return TOKEN.search(page.text).group(1)


def sign_in(client, username):
    response = client.post(
        "/signin",
        data={"username": username, "password": DEMO_PASSWORD, "next": "/account",
              "csrf_token": csrf(client, "/signin")},
        headers=HTML,
    )  # fmt: skip
    assert response.status_code == 303
    codes = re.findall(r'data-code="(\d{6})"', client.get("/dev/mailbox").text)
    done = client.post(
        "/signin/code",
        data={"code": codes[0], "next": "/account",
              "csrf_token": csrf(client, response.headers["location"])},
        headers=HTML,
    )  # fmt: skip
    assert done.status_code == 303


class TestLivingPages:
    def test_lists_the_five_states(self, kg):
        page = kg.get("/jobs/living", headers=HTML)
        assert page.status_code == 200
        for code in ("am", "by", "kg", "kz", "ru"):
            assert f'href="/jobs/living/{code}"' in page.text

    def test_shows_a_states_facts_with_sources_and_checks(self, kg):
        page = kg.get("/jobs/living/ru", headers=HTML)
        assert page.status_code == 200
        assert 'data-state="RU"' in page.text
        for section in ("registration", "medical", "taxes", "schooling", "pensions",
                        "diplomas", "changing_jobs", "complaints"):  # fmt: skip
            assert f'id="{section}"' in page.text
        assert "ruID" in page.text
        assert 'href="https://www.garant.ru/products/ipo/prime/doc/412028702/"' in page.text
        assert 'data-confidence="C"' in page.text
        assert page.text.count("eaeu-living-check") >= 3
        assert "Check with the authority" in page.text

    def test_shows_the_facts_in_russian(self, kg):
        page = kg.get("/jobs/living/kz?lang=ru", headers=HTML)
        assert page.status_code == 200
        assert "ОСМС" in page.text
        assert "по ставкам для резидентов" in page.text
        assert 'lang="ru"' in page.text

    def test_an_unknown_country_is_a_404(self, kg):
        page = kg.get("/jobs/living/uz", headers=HTML)
        assert page.status_code == 404
        problem = kg.get("/api/v1/jobs/living/uz")
        assert problem.status_code == 404
        assert problem.json()["reason"] == "jobs.living_not_found"

    def test_the_api_gives_both_languages_and_sources(self, kg):
        reply = kg.get("/api/v1/jobs/living/kg")
        assert reply.status_code == 200
        guide = reply.json()
        assert guide["state"] == "KG"
        fact = guide["sections"]["pensions"][0]
        assert set(fact["text"]) == {"en", "ru"}
        assert fact["sources"][0]["url"].startswith("https://")
        assert any(f["check_with_authority"] for f in guide["sections"]["schooling"])


class TestFeedPage:
    def test_needs_a_signed_in_operator(self, ru):
        page = ru.get("/jobs/feed", headers=HTML)
        assert page.status_code == 303
        assert page.headers["location"].startswith("/signin")
        sign_in(ru, "ru-citizen")
        assert ru.get("/jobs/feed", headers=HTML).status_code == 403

    @pytest.mark.usefixtures("kg")
    @pytest.mark.both_engines
    def test_shows_every_peer_and_syncs_one_now(self, ru):
        sign_in(ru, "ru-operator")
        page = ru.get("/jobs/feed", headers=HTML)
        assert page.status_code == 200
        for state in ("AM", "BY", "KG", "KZ"):
            assert f'id="feed-{state}"' in page.text
        assert 'id="sync-KG"' in page.text
        done = ru.post(
            "/jobs/feed/sync", data={"peer": "KG", "csrf_token": csrf(ru, "/jobs/feed")},
            headers=HTML,
        )  # fmt: skip
        assert done.status_code == 200, done.text
        assert 'data-state="KG" data-ok="yes"' in done.text
        assert 'id="feed-KG" data-participates="yes" data-failing="no"' in done.text

    def test_a_peer_that_is_down_is_shown_failing(self, nodes, ru):
        transport = nodes[2]
        transport.down.add(ENDPOINTS["KZ"])
        sign_in(ru, "ru-operator")
        done = ru.post(
            "/jobs/feed/sync", data={"peer": "KZ", "csrf_token": csrf(ru, "/jobs/feed")},
            headers=HTML,
        )  # fmt: skip
        assert done.status_code == 200
        assert 'data-state="KZ" data-ok="no"' in done.text
        assert "exchange.unreachable" in done.text
        assert 'id="feed-KZ" data-participates="yes" data-failing="yes"' in done.text

    def test_refuses_a_sync_without_the_form_token(self, ru):
        sign_in(ru, "ru-operator")
        refused = ru.post("/jobs/feed/sync", data={"peer": "KG"}, headers=HTML)
        assert refused.status_code == 403

    def test_refuses_to_pull_from_itself_with_a_reason(self, ru):
        sign_in(ru, "ru-operator")
        refused = ru.post(
            "/jobs/feed/sync", data={"peer": "RU", "csrf_token": csrf(ru, "/jobs/feed")},
            headers=HTML,
        )  # fmt: skip
        assert refused.status_code == 422
        assert 'id="feed-error"' in refused.text


class TestFeedApi:
    def test_freshness_is_public_and_says_never_before_a_pull(self, kg):
        reply = kg.get("/api/v1/jobs/feed/freshness")
        assert reply.status_code == 200
        body = reply.json()
        assert body["state"] == "KG"
        assert body["freshness"]["KG"] == NOW.isoformat()
        assert body["freshness"]["RU"] is None

    def test_the_operator_api_syncs_and_reports_freshness(self, kg):
        synced = kg.post("/api/v1/jobs/feed/sync", json={"peer": "RU"})
        assert synced.status_code == 200, synced.text
        result = synced.json()["results"]["RU"]
        assert result["ok"] is True
        assert kg.get("/api/v1/jobs/feed/freshness").json()["freshness"]["RU"] == NOW.isoformat()
        status = kg.get("/api/v1/jobs/feed/status").json()
        ru = next(peer for peer in status["peers"] if peer["state"] == "RU")
        assert ru["cursor"] == result["cursor"]
        assert ru["failures"] == 0

    def test_the_operator_api_refuses_a_state_that_is_not_pulled(self, kg):
        refused = kg.post("/api/v1/jobs/feed/sync", json={"peer": "KG"})
        assert refused.status_code == 403
        assert refused.json()["reason"] == "jobs.not_participating"
