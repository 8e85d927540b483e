"""Employer and moderation pages of the jobs service through the web app of a Russian node.

A development node on each engine (demonstration accounts and vacancies seeded): the demo
employer posts, meets field errors and the fee refusal, reconfirms and withdraws; a visitor
reports a vacancy and the node's operator blocks it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from eaeu.bootstrap import build
from eaeu.identity.seed import DEMO_PASSWORD
from eaeu.kernel.settings import DEVELOPMENT_SECRET
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


FORM = {
    "title": "Сварщик НАКС",
    "description": "Сварка металлоконструкций на стройке. Общежитие предоставляется.",
    "isco": "7212",
    "locality": "Москва",
    "region": "г. Москва",
    "salary_min": "110000",
    "salary_max": "",
    "currency": "RUB",
    "salary_period": "month",
    "employment_type": "full_time",
    "schedule": "shift",
    "education": "vocational",
    "experience_years": "2",
    "languages": "ru",
    "positions": "3",
    "valid_through": "2026-04-30",
    "housing": "on",
    "eaeu_open": "on",
}


def post(client, **changes):
    data = FORM | changes | {"csrf_token": csrf(client, "/jobs/employer/vacancies/new")}
    return client.post("/jobs/employer/vacancies/new", data=data, headers=HTML)


class TestEmployer:
    def test_the_demo_employer_sees_its_seeded_vacancy(self, node):
        client, _ = node
        sign_in(client, "ru-employer")
        page = client.get("/jobs/employer", headers=HTML)
        assert page.status_code == 200
        assert "RU-OGRN-1157746013237" in page.text
        assert f'id="vacancy-{demo_vacancy_id("RU")}"' in page.text
        assert 'data-listed="yes"' in page.text

    def test_posts_a_vacancy_open_ended_from_n(self, node):
        client, platform = node
        sign_in(client, "ru-employer")
        response = post(client)
        assert response.status_code == 303, response.text
        vacancy_id = response.headers["location"].split("posted=")[1].split("#")[0]
        vacancy = platform.jobs.vacancies.get(vacancy_id)
        assert (vacancy.salary_min, vacancy.salary_max) == (110000, None)
        assert vacancy.housing
        assert vacancy.eaeu_open
        assert vacancy.schedule == "shift"
        page = client.get(response.headers["location"], headers=HTML)
        assert "The vacancy is published" in page.text

    def test_shows_every_problem_by_field(self, node):
        client, _ = node
        sign_in(client, "ru-employer")
        page = post(client, title="", salary_min="0", positions="many", valid_through="soon")
        assert page.status_code == 422
        for field in ("vacancy-title", "vacancy-positions", "vacancy-valid_through"):
            assert f'href="#{field}"' in page.text
        page = post(client, salary_min="0")
        assert page.status_code == 422
        assert "Pay must be more than zero." in page.text
        assert 'value="Сварщик НАКС"' in page.text  # what was typed stays

    def test_refuses_a_fee_in_russian_and_in_russian_pages(self, node):
        client, platform = node
        sign_in(client, "ru-employer")
        before = platform.jobs.vacancies.last_seq()
        text = "Сварка. Оплата за оформление документов 3000 руб. при трудоустройстве."
        page = post(client, description=text)
        assert page.status_code == 422
        assert 'id="fee-refused"' in page.text
        assert platform.jobs.vacancies.last_seq() == before
        russian = client.post(
            "/jobs/employer/vacancies/new?lang=ru",
            data=FORM | {"description": "You must pay a registration fee of 50 USD.",
                         "csrf_token": csrf(client, "/jobs/employer/vacancies/new")},
            headers=HTML,
        )  # fmt: skip
        assert russian.status_code == 422
        assert 'id="fee-refused"' in russian.text

    def test_an_agency_without_a_licence_is_asked_for_it(self, node):
        client, _ = node
        sign_in(client, "ru-employer")
        page = post(client, agency="on", agency_licence="")
        assert page.status_code == 422
        assert 'id="vacancy-agency_licence-error"' in page.text

    @pytest.mark.both_engines
    def test_reconfirms_and_withdraws(self, node):
        client, platform = node
        sign_in(client, "ru-employer")
        vacancy_id = demo_vacancy_id("RU")
        token = csrf(client, "/jobs/employer")
        done = client.post(
            f"/jobs/employer/vacancies/{vacancy_id}/reconfirm",
            data={"csrf_token": token},
            headers=HTML,
        )
        assert done.status_code == 303
        assert "reconfirmed=" in done.headers["location"]
        gone = client.post(
            f"/jobs/employer/vacancies/{vacancy_id}/withdraw",
            data={"csrf_token": token},
            headers=HTML,
        )
        assert gone.status_code == 303
        assert platform.jobs.vacancies.get(vacancy_id).status == "withdrawn"
        again = client.post(
            f"/jobs/employer/vacancies/{vacancy_id}/withdraw",
            data={"csrf_token": token},
            headers=HTML,
        )
        assert again.status_code == 409
        assert "jobs.vacancy_closed" in again.text

    def test_a_citizen_is_not_an_employer(self, node):
        client, _ = node
        sign_in(client, "ru-citizen")
        assert client.get("/jobs/employer", headers=HTML).status_code == 403

    def test_nobody_signed_in_is_sent_to_sign_in(self, node):
        client, _ = node
        response = client.get("/jobs/employer", headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin")


class TestModeration:
    @pytest.mark.both_engines
    def test_a_report_reaches_the_operator_who_blocks_the_vacancy(self, node):
        client, platform = node
        vacancy_id = demo_vacancy_id("RU")
        form = client.get(f"/jobs/vacancies/{vacancy_id}/report", headers=HTML)
        assert form.status_code == 200
        token = TOKEN.search(form.text).group(1)
        refused = client.post(
            f"/jobs/vacancies/{vacancy_id}/report",
            data={"reason": "", "csrf_token": token},
            headers=HTML,
        )
        assert refused.status_code == 422
        assert 'id="report-errors"' in refused.text
        sent = client.post(
            f"/jobs/vacancies/{vacancy_id}/report",
            data={"reason": "fee", "comment": "Просили 5000 на карту", "csrf_token": token},
            headers=HTML,
        )
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/jobs/vacancies/{vacancy_id}?reported=1"
        sign_in(client, "ru-operator")
        queue = client.get("/jobs/moderation", headers=HTML)
        assert queue.status_code == 200
        assert f'id="reported-{vacancy_id}"' in queue.text
        assert "Просили 5000 на карту" in queue.text
        ((report, _),) = platform.jobs.vacancies.open_reports()
        blocked = client.post(
            f"/jobs/moderation/{report.id}",
            data={"action": "block", "csrf_token": TOKEN.search(queue.text).group(1)},
            headers=HTML,
        )
        assert blocked.status_code == 303
        assert platform.jobs.vacancies.get(vacancy_id).status == "blocked"
        assert 'id="queue-empty"' in client.get("/jobs/moderation", headers=HTML).text
        assert client.get(f"/jobs/vacancies/{vacancy_id}/report", headers=HTML).status_code == 404

    def test_a_report_without_the_form_token_is_refused(self, node):
        client, _ = node
        response = client.post(f"/jobs/vacancies/{demo_vacancy_id('RU')}/report",
                               data={"reason": "fee"})  # fmt: skip
        assert response.status_code == 403

    def test_only_operators_moderate(self, node):
        client, _ = node
        sign_in(client, "ru-employer")
        assert client.get("/jobs/moderation", headers=HTML).status_code == 403

    def test_the_pages_speak_russian(self, node):
        client, _ = node
        sign_in(client, "ru-operator")
        page = client.get("/jobs/moderation?lang=ru", headers=HTML)
        assert page.status_code == 200
        assert 'lang="ru"' in page.text
