"""Search, vacancy and alert pages of the jobs service through the web app of a Russian node.

A development node on each engine (demonstration accounts and vacancies seeded): a visitor
searches in Russian and in English, reads a vacancy with its JSON-LD, meets a bad filter;
a signed-in citizen saves a search and gets an alert for a vacancy posted afterwards.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from eaeu.bootstrap import build
from eaeu.identity.seed import DEMO_PASSWORD
from eaeu.kernel.settings import DEVELOPMENT_SECRET
from eaeu.services.jobs.orm import VacancyRow
from eaeu.services.jobs.vacancies import demo_vacancy_id
from eaeu.testing import FrozenClock
from eaeu.trust.union import init_union
from eaeu.web.app import create_app

#: The pages and APIs over stores whose own tests run on both engines: SQLite here,
#: PostgreSQL too for the journeys marked ``both_engines``.
pytestmark = pytest.mark.engine_neutral

HTML = {"accept": "text/html"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEMO = demo_vacancy_id("RU")


@pytest.fixture
def node(make_settings, data_dir, database_url):
    clock = FrozenClock(NOW)
    init_union(
        data_dir,
        passphrase=DEVELOPMENT_SECRET.encode(),
        now=NOW - timedelta(days=1),
        endpoints={s: f"http://{s.lower()}.test" for s in ("AM", "BY", "KG", "KZ", "RU")},
    )
    settings = make_settings(state="RU", database_url=database_url)
    platform = build(settings, clock=clock)
    client = TestClient(create_app(settings, platform=platform), follow_redirects=False)
    yield client, platform
    client.close()
    platform.close()


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
        data={"code": codes[-1], "next": "/account",
              "csrf_token": csrf(client, response.headers["location"])},
        headers=HTML,
    )  # fmt: skip
    assert done.status_code == 303


class TestSearchPage:
    @pytest.mark.both_engines
    def test_a_russian_search_finds_the_demo_vacancy_in_either_language(self, node):
        client, _ = node
        page = client.get("/jobs", params={"q": "монтажник"}, headers=HTML)
        assert page.status_code == 200
        assert f'data-vacancy="{DEMO}"' in page.text
        english = client.get("/jobs", params={"q": "construction", "lang": "en"}, headers=HTML)
        assert english.status_code == 200
        assert 'id="results-heading"' in english.text

    def test_the_page_is_in_russian_and_english(self, node):
        client, _ = node
        assert "Find a job in the EAEU" in client.get("/jobs?lang=en", headers=HTML).text
        assert 'lang="ru"' in client.get("/jobs?lang=ru", headers=HTML).text

    def test_a_bad_filter_shows_the_form_again_with_the_reason(self, node):
        client, _ = node
        page = client.get("/jobs", params={"salary": "lots", "lang": "en"}, headers=HTML)
        assert page.status_code == 422
        assert 'id="search-error"' in page.text
        assert "Pay is a whole number of roubles" in page.text

    def test_the_api_answers_json_and_refuses_bad_filters_with_a_problem(self, node):
        client, _ = node
        found = client.get("/api/v1/jobs/search", params={"q": "монтажник", "country": "RU"})
        assert found.status_code == 200
        assert DEMO in [hit["id"] for hit in found.json()["hits"]]
        refused = client.get("/api/v1/jobs/search", params={"country": "XX"})
        assert refused.status_code == 422
        assert refused.json()["reason"] == "jobs.search_invalid"


class TestVacancyPage:
    def test_embeds_the_jobposting_and_offers_apply_and_report(self, node):
        client, _ = node
        page = client.get(f"/jobs/vacancies/{DEMO}", headers=HTML)
        assert page.status_code == 200
        pattern = r'<script type="application/ld\+json" id="jobposting">(.*?)</script>'
        script = re.search(pattern, page.text, re.DOTALL)
        posting = json.loads(script.group(1))
        assert posting["@type"] == "JobPosting"
        assert posting["identifier"]["value"] == DEMO
        assert f'href="/jobs/vacancies/{DEMO}/apply"' in page.text
        assert f'href="/jobs/vacancies/{DEMO}/report"' in page.text

    def test_the_api_serves_json_ld(self, node):
        client, _ = node
        response = client.get(f"/api/v1/jobs/vacancies/{DEMO}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/ld+json")
        assert response.json()["title"] == "Монтажник строительных конструкций"

    def test_an_unknown_vacancy_is_a_404(self, node):
        client, _ = node
        assert client.get("/api/v1/jobs/vacancies/RU-nothing").status_code == 404
        assert client.get("/jobs/vacancies/RU-nothing", headers=HTML).status_code == 404


class TestAlerts:
    def test_needs_a_signed_in_person(self, node):
        client, _ = node
        assert client.get("/jobs/alerts", headers=HTML).status_code == 303

    @pytest.mark.both_engines
    def test_a_saved_search_alerts_on_a_vacancy_posted_later(self, node):
        client, platform = node
        sign_in(client, "ru-citizen")
        token = csrf(client, "/jobs?q=монтажник")
        saved = client.post(
            "/jobs/alerts",
            data={"name": "Монтаж", "query": "q=монтажник", "alerts": "1", "csrf_token": token},
            headers=HTML,
        )
        assert saved.status_code == 303
        page = client.get("/jobs/alerts", headers=HTML)
        assert 'id="no-alerts"' in page.text  # what matched when saving is not news
        assert "Монтаж" in page.text
        # Another writer (here: the database directly, as replication would) adds a vacancy.
        with platform.jobs.ctx.uow() as uow:
            row = uow.session.get(VacancyRow, DEMO)
            clone = VacancyRow(**{c.key: getattr(row, c.key) for c in VacancyRow.__table__.c})
            clone.id, clone.seq, clone.dedup_key = "RU-newer", row.seq + 1000, "x" * 64
            clone.title = "Монтажник фасадов"
            uow.session.add(clone)
            uow.commit()
        page = client.get("/jobs/alerts", headers=HTML)
        assert 'data-alert="RU-newer"' in page.text
        assert 'data-seen="no"' in page.text
        token = TOKEN.search(page.text).group(1)
        assert (
            client.post("/jobs/alerts/seen", data={"csrf_token": token}, headers=HTML).status_code
            == 303
        )
        assert 'data-seen="yes"' in client.get("/jobs/alerts", headers=HTML).text

    def test_saving_without_a_name_is_refused_with_the_reason(self, node):
        client, _ = node
        sign_in(client, "ru-citizen")
        token = csrf(client, "/jobs/alerts")
        page = client.post(
            "/jobs/alerts",
            data={"name": " ", "query": "q=x", "csrf_token": token, "lang": "en"},
            headers=HTML,
        )
        assert page.status_code == 422
        assert 'id="save-error"' in page.text

    def test_saving_without_the_csrf_token_is_refused(self, node):
        client, _ = node
        sign_in(client, "ru-citizen")
        response = client.post("/jobs/alerts", data={"name": "x", "query": "q=x"}, headers=HTML)
        assert response.status_code == 403
