"""The move's pages through the web app: a Kyrgyz citizen buys Russian health cover and books
a Russian dormitory bed from the Kyrgyz portal; the Russian insurer, landlord and operator see
their side.

Two development nodes of one union on disk (Kyrgyzstan on each engine, Russia on SQLite), each
a full web app with its demonstration accounts, products and places, and a loopback transport
between their exchanges.
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
MONDAY = FrozenClock().now().replace(year=2026, month=3, day=2, hour=4)


@pytest.fixture
def clock():
    return FrozenClock(MONDAY)


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
    for state in ("KG", "RU"):
        url = database_url if state == "KG" else f"sqlite:///{data_dir / 'ru.db'}"
        settings = make_settings(state=state, database_url=url)
        platform = build(settings, clock=clock)
        platform.exchange.transport = transport
        transport.nodes[ENDPOINTS[state]] = platform.exchange
        platforms[state] = platform
        clients[state] = TestClient(create_app(settings, platform=platform), follow_redirects=False)
    yield clients, platforms
    for client in clients.values():
        client.close()
    for platform in platforms.values():
        platform.close()


@pytest.fixture
def kg(nodes):
    return nodes[0]["KG"]


@pytest.fixture
def ru(nodes):
    return nodes[0]["RU"]


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


def form_of(page: str, form_id: str) -> dict[str, str]:
    """The named inputs of a form on ``page`` (hidden fields and the CSRF token)."""
    start = page.index(f'id="{form_id}"')
    body = page[start : page.index("</form>", start)]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))


class TestBuyingCoverFromHome:
    @pytest.mark.both_engines
    def test_the_catalogue_then_the_preview_then_the_signed_policy(self, kg, ru):
        sign_in(kg, "kg-citizen")
        listing = kg.get("/jobs/insurance?to=RU", headers=HTML)
        assert listing.status_code == 200, listing.text
        product = re.search(r'href="/jobs/insurance/buy\?to=RU&amp;product=([^"]+)"', listing.text)
        preview = kg.get(
            f"/jobs/insurance/buy?to=RU&product={product.group(1)}&months=3", headers=HTML
        )
        assert preview.status_code == 200, preview.text
        assert 'id="consent-submit">Give consent and buy<' in preview.text
        assert "ASANOVA" in preview.text
        assert "RU-OGRN-1037739013234" in preview.text
        fields = form_of(preview.text, "consent-form")
        refused = kg.post("/jobs/insurance/buy", data=fields, headers=HTML)
        assert refused.status_code == 422
        assert "Confirm that you ask for your data to be sent" in refused.text
        bought = kg.post("/jobs/insurance/buy", data={**fields, "explicit": "yes"}, headers=HTML)
        assert bought.status_code == 303, bought.text
        policy = kg.get(bought.headers["location"], headers=HTML)
        assert 'id="policy-verified"' in policy.text
        assert "Worker&#39;s health cover (VHI)" in policy.text
        download = kg.get(bought.headers["location"] + "/policy.jws")
        assert download.headers["content-type"].startswith("application/jose")
        assert download.text.count(".") == 2
        my_data = kg.get("/my-data", headers=HTML)
        assert "insurance" in my_data.text.lower()
        in_russian = kg.get(bought.headers["location"] + "?lang=ru", headers=HTML)
        assert re.search(r'id="policy-product">ДМС для работника<', in_russian.text)
        sign_in(ru, "ru-insurer")
        issued = ru.get("/jobs/insurer", headers=HTML)
        assert issued.status_code == 200
        assert "ASANOVA" in issued.text

    def test_a_node_that_is_down_is_named_on_the_page(self, kg, nodes):
        _, platforms = nodes
        platforms["KG"].exchange.transport.down.add(ENDPOINTS["RU"])
        sign_in(kg, "kg-citizen")
        page = kg.get("/jobs/insurance?to=RU", headers=HTML)
        assert page.status_code == 502
        assert "Russia: The node of that state is not answering" in page.text

    def test_the_insurer_gets_every_problem_of_a_product_by_field(self, ru):
        sign_in(ru, "ru-insurer")
        response = ru.post(
            "/jobs/insurer/products",
            data={"name_en": "", "name_ru": "x", "coverage_en": "x", "coverage_ru": "x",
                  "covers": "pets", "price_month": "0", "min_months": "1", "max_months": "x",
                  "csrf_token": csrf(ru, "/jobs/insurer")},
            headers=HTML,
        )  # fmt: skip
        assert response.status_code == 422
        assert 'href="#max_months"' in response.text


class TestBookingAPlaceFromHome:
    @pytest.mark.both_engines
    def test_the_dormitory_bed_is_booked_with_the_address_for_registration(self, kg, ru):
        sign_in(kg, "kg-citizen")
        dates = "check_in=2026-03-30&check_out=2026-04-29"
        listing = kg.get(f"/jobs/housing?to=RU&city=москва&{dates}", headers=HTML)
        assert listing.status_code == 200, listing.text
        assert "Places found: 1" in listing.text
        assert "Москва" in listing.text
        assert re.search(r"eaeu-card-tag\">Free<", listing.text)  # the employer's dormitory
        link = re.search(r'href="(/jobs/housing/book\?[^"]+)"[^>]*>Book this place<', listing.text)
        preview = kg.get(link.group(1).replace("&amp;", "&"), headers=HTML)
        assert preview.status_code == 200, preview.text
        assert 'id="consent-submit">Give consent and book<' in preview.text
        fields = form_of(preview.text, "consent-form")
        booked = kg.post("/jobs/housing/book", data={**fields, "explicit": "yes"}, headers=HTML)
        assert booked.status_code == 303, booked.text
        page = kg.get(booked.headers["location"], headers=HTML)
        assert "г. Москва, Нагатинская ул., д. 16" in page.text
        assert 'id="booking-verified"' in page.text
        checklist = kg.get("/jobs/checklist?to=RU", headers=HTML)
        assert re.search(r'data-rule="eaeu.housing" data-status="done"', checklist.text)
        assert re.search(r'data-rule="eaeu.contract" data-status="todo"', checklist.text)
        sign_in(ru, "ru-employer")
        stays = ru.get("/jobs/landlord", headers=HTML)
        assert stays.status_code == 200
        assert "ASANOVA" in stays.text

    def test_the_checklist_is_in_russian_too(self, kg):
        sign_in(kg, "kg-citizen")
        page = kg.get("/jobs/checklist?to=RU&lang=ru", headers=HTML)
        assert page.status_code == 200
        assert "Постановка на миграционный учёт" in page.text

    def test_the_employers_duty_is_tagged_as_theirs_and_what_remains_is_listed(self, kg):
        sign_in(kg, "kg-citizen")
        page = kg.get("/jobs/checklist?to=RU&entry=2026-04-01", headers=HTML)
        assert page.status_code == 200
        notice = page.text[page.text.index('id="item-ru.employer.notice_signing"') :]
        notice = notice[: notice.index("</li>")]
        assert 'data-duty="employer">Employer&#39;s duty<' in notice
        assert "Recommended" not in notice
        assert "Waiting for the employer" in notice
        remaining = page.text[page.text.index('id="checklist-remaining"') :]
        remaining = remaining[: remaining.index("</ul>")]
        assert 'href="#item-eaeu.travel_document"' in remaining
        assert 'id="checklist-complete"' not in page.text
        assert "YYYY-MM-DD" not in page.text

    def test_a_manual_tick_of_the_travel_document_counts(self, kg):
        sign_in(kg, "kg-citizen")
        token = csrf(kg, "/jobs/checklist?to=RU")
        marked = kg.post(
            "/jobs/checklist/marks",
            data={"rule": "eaeu.travel_document", "to": "RU", "csrf_token": token},
            headers=HTML,
        )
        assert marked.status_code == 303
        page = kg.get("/jobs/checklist?to=RU", headers=HTML)
        assert 'data-rule="eaeu.travel_document" data-status="done"' in page.text
        remaining = page.text[page.text.index('id="checklist-remaining"') :]
        assert "#item-eaeu.travel_document" not in remaining[: remaining.index("</ul>")]


class TestTheAuthority:
    def test_only_the_operator_sees_the_notices_received(self, ru):
        with TestClient(ru.app, follow_redirects=False) as citizen:
            sign_in(citizen, "ru-citizen")
            assert citizen.get("/jobs/migration/received", headers=HTML).status_code == 403
        sign_in(ru, "ru-operator")
        page = ru.get("/jobs/migration/received", headers=HTML)
        assert page.status_code == 200
        assert "No notices received yet." in page.text

    def test_the_rules_are_published_as_json(self, kg):
        response = kg.get("/api/v1/jobs/checklist?citizenship=BY&destination=RU&on=2026-03-02")
        assert response.status_code == 200
        found = {item["id"] for item in response.json()}
        assert "ru.registration" in found
        assert "ru.medical_exam" not in found
        same = kg.get("/api/v1/jobs/checklist?citizenship=RU&destination=RU")
        assert same.status_code == 422
        assert same.json()["reason"] == "jobs.checklist_own_state"
