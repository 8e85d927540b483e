"""Travel pages through the web app: search, book, record a result, see the certificate.

Two nodes of one union made with ``init_union`` on disk (Belarus on each engine, Russia on
SQLite), each a full web app with its demonstration labs and accounts, and a loopback
transport between their exchanges so that the registry replicates without a port.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from types import SimpleNamespace
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient

from eaeu.bootstrap import build
from eaeu.identity.assertion import Assertion, Name
from eaeu.identity.seed import DEMO_PASSWORD
from eaeu.kernel.settings import DEVELOPMENT_SECRET
from eaeu.services.travel import hcert, qr, verifier
from eaeu.services.travel.errors import BookingError
from eaeu.services.travel.labs import demo_lab_id
from eaeu.testing import FrozenClock, LoopbackTransport
from eaeu.trust.union import init_union
from eaeu.web.app import create_app
from eaeu.web.travel_pages import remember_visitor

#: The pages and APIs over stores whose own tests run on both engines: SQLite here,
#: PostgreSQL too for the journeys marked ``both_engines``.
pytestmark = pytest.mark.engine_neutral

HTML = {"accept": "text/html"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
ENDPOINTS = {state: f"http://{state.lower()}.test" for state in ("AM", "BY", "KG", "KZ", "RU")}
MINSK = demo_lab_id("BY", "minsk-centre")
BREST = demo_lab_id("BY", "brest")
#: A Monday, 07:00 in Minsk.
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
    for state in ("BY", "RU"):
        url = database_url if state == "BY" else f"sqlite:///{data_dir / 'ru.db'}"
        settings = make_settings(state=state, database_url=url)
        platform = build(settings, clock=clock)
        platform.exchange.transport = transport
        transport.nodes[ENDPOINTS[state]] = platform.exchange
        platforms[state] = platform
        clients[state] = TestClient(create_app(settings, platform=platform), follow_redirects=False)
    for platform in platforms.values():
        platform.exchange.deliver_due("test")
    yield clients, platforms
    for client in clients.values():
        client.close()
    for platform in platforms.values():
        platform.close()


@pytest.fixture
def by(nodes):
    return nodes[0]["BY"]


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


def first_slot(client, lab=MINSK):
    page = client.get(f"/travel/labs/{lab}/book", headers=HTML)
    assert page.status_code == 200, page.text
    return re.search(r'name="slot" type="radio" value="([^"]+)">', page.text).group(1)


def book(client, lab=MINSK, test="pcr"):
    slot = first_slot(client, lab)
    response = client.post(
        f"/travel/labs/{lab}/book",
        data={"slot": slot, "test": test, "csrf_token": csrf(client, f"/travel/labs/{lab}/book")},
        headers=HTML,
    )
    assert response.status_code == 303, response.text
    return response.headers["location"].split("booked=")[1]


def record(client, booking, result="negative", sampled="2026-03-02T07:16"):
    return client.post(
        f"/travel/lab/bookings/{booking}/result",
        data={"sampled": sampled, "result": result, "test": "pcr",
              "csrf_token": csrf(client, "/travel/lab?day=2026-03-02")},
        headers=HTML,
    )  # fmt: skip


class TestSearch:
    def test_finds_minsk_labs_in_english_and_russian(self, by):
        for city in ("Minsk", "минск", "МИН"):
            page = by.get(f"/travel/labs?country=BY&city={city}", headers=HTML)
            assert page.status_code == 200
            assert MINSK in page.text
            assert BREST not in page.text

    def test_the_replicated_belarusian_labs_are_found_on_the_russian_portal(self, ru):
        page = ru.get("/travel/labs?country=BY&city=Брест", headers=HTML)
        assert BREST in page.text
        api = ru.get("/api/v1/travel/labs", params={"country": "BY", "city": "minsk"}).json()
        assert {lab["id"] for lab in api["labs"]} >= {MINSK}
        assert all(lab["state"] == "BY" for lab in api["labs"])

    def test_kazakh_labs_stay_hidden_until_kazakhstan_joins(self, by):
        page = by.get("/travel/labs?country=KZ", headers=HTML)
        assert "has not joined the travel service yet" in page.text
        assert by.get("/api/v1/travel/labs", params={"country": "KZ"}).json()["count"] == 0

    def test_a_lab_page_is_in_russian_too(self, by):
        page = by.get(f"/travel/labs/{MINSK}?lang=ru", headers=HTML)
        assert page.status_code == 200
        assert "Минск" in page.text

    def test_an_unknown_lab_is_a_404(self, by):
        response = by.get("/api/v1/travel/labs/nope")
        assert response.status_code == 404
        assert response.json()["reason"] == "travel.lab_not_found"


class TestTheJourney:
    @pytest.mark.both_engines
    def test_book_record_a_negative_result_and_get_a_certificate(self, by, nodes, clock):
        sign_in(by, "by-citizen")
        booking = book(by)
        clock.advance(minutes=20)
        listing = by.get(f"/travel/bookings?booked={booking}", headers=HTML).text
        assert "Test booked" in listing
        assert re.search(r'id="booked-code">[2-9A-Z]{4}-[2-9A-Z]{4}<', listing)
        lab = TestClient(by.app, follow_redirects=False)
        sign_in(lab, "by-lab")
        desk = lab.get("/travel/lab?day=2026-03-02", headers=HTML).text
        assert f"booking-{booking}" in desk
        assert record(lab, booking).status_code == 303
        page = by.get(f"/travel/certificates/{booking}", headers=HTML)
        assert 'data-result="negative"' in page.text
        png = by.get(f"/travel/certificates/{booking}.png")
        text = qr.read_hc1(png.content)
        assert text.startswith("HC1:")
        platform = nodes[1]["BY"]
        result = verifier.verify(
            text,
            certificates=hcert.index_certificates(platform.travel.signer_certificates()),
            at=platform.clock.now(),
        )
        assert result.valid, result.stages
        assert by.get(f"/travel/certificates/{booking}.svg").text.startswith("<svg")
        pdf = by.get(f"/travel/certificates/{booking}.pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-")

    def test_a_positive_result_is_red_and_has_no_certificate(self, by, clock):
        sign_in(by, "by-citizen")
        booking = book(by)
        clock.advance(minutes=20)
        lab = TestClient(by.app, follow_redirects=False)
        sign_in(lab, "by-lab")
        record(lab, booking, result="positive")
        page = by.get(f"/travel/certificates/{booking}", headers=HTML)
        assert 'data-result="positive"' in page.text
        assert by.get(f"/travel/certificates/{booking}.png").status_code == 404


class TestBookingPages:
    def test_booking_needs_sign_in(self, by):
        response = by.get(f"/travel/labs/{MINSK}/book", headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin?next=/travel/labs/")

    def test_a_missing_choice_is_explained_on_the_form(self, by):
        sign_in(by, "by-citizen")
        token = csrf(by, f"/travel/labs/{MINSK}/book")
        response = by.post(
            f"/travel/labs/{MINSK}/book", data={"csrf_token": token, "test": "pcr"}, headers=HTML
        )
        assert response.status_code == 422
        assert "Choose a time and a test." in response.text

    def test_a_refused_booking_is_explained_on_the_form(self, by):
        sign_in(by, "by-citizen")
        slot = first_slot(by)
        for _ in range(3):
            book(by)
        response = by.post(
            f"/travel/labs/{MINSK}/book",
            data={
                "slot": slot,
                "test": "pcr",
                "csrf_token": csrf(by, f"/travel/labs/{MINSK}/book"),
            },
            headers=HTML,
        )
        assert response.status_code == 409
        assert "as many appointments as one person may" in response.text

    def test_a_form_without_its_token_is_refused(self, by):
        sign_in(by, "by-citizen")
        response = by.post(f"/travel/labs/{MINSK}/book", data={"slot": "x"}, headers=HTML)
        assert response.status_code == 403

    def test_cancels_a_booking_and_nobody_else_can(self, by):
        sign_in(by, "by-citizen")
        booking = book(by)
        other = TestClient(by.app, follow_redirects=False)
        sign_in(other, "by-employer")
        refused = other.post(
            f"/travel/bookings/{booking}/cancel",
            data={"csrf_token": csrf(other, "/travel/bookings")},
            headers=HTML,
        )
        assert refused.status_code == 404
        assert other.get(f"/travel/certificates/{booking}", headers=HTML).status_code == 404
        done = by.post(
            f"/travel/bookings/{booking}/cancel",
            data={"csrf_token": csrf(by, "/travel/bookings")},
            headers=HTML,
        )
        assert done.headers["location"] == "/travel/bookings?cancelled=1"
        assert 'data-status="cancelled"' in by.get("/travel/bookings", headers=HTML).text

    def test_a_lab_of_another_state_is_booked_at_home_through_the_continue_link(self, ru):
        sign_in(ru, "ru-citizen")
        page = ru.get(f"/travel/labs/{MINSK}", headers=HTML)
        assert "/identity/continue?to=BY&amp;next=%2Ftravel%2Flabs%2F" in page.text
        response = ru.get(f"/travel/labs/{MINSK}/book", headers=HTML)
        assert response.status_code == 409
        assert "Book this laboratory on the portal of the state it is in." in response.text

    def test_a_certificate_before_its_result_says_so(self, by):
        sign_in(by, "by-citizen")
        booking = book(by)
        page = by.get(f"/travel/certificates/{booking}", headers=HTML)
        assert 'id="result-waiting"' in page.text
        assert by.get(f"/travel/certificates/{booking}.pdf").status_code == 404


class TestTheLabDesk:
    def test_is_for_lab_staff_only(self, by):
        sign_in(by, "by-citizen")
        assert by.get("/travel/lab", headers=HTML).status_code == 403

    def test_finds_a_booking_by_its_code_however_typed(self, by):
        sign_in(by, "by-citizen")
        booking = book(by)
        code = re.search(
            r'id="booked-code">([^<]+)<', by.get(f"/travel/bookings?booked={booking}").text
        ).group(1)
        lab = TestClient(by.app, follow_redirects=False)
        sign_in(lab, "by-lab")
        page = lab.get(f"/travel/lab?code={code.lower()}", headers=HTML).text
        assert f'id="booking-{booking}"' in page
        assert "KAZLOUSKI" in page
        missing = lab.get("/travel/lab?code=ZZZZ-ZZZZ", headers=HTML).text
        assert 'id="code-not-found"' in missing

    def test_an_incomplete_result_goes_back_with_an_error(self, by):
        sign_in(by, "by-citizen")
        booking = book(by)
        lab = TestClient(by.app, follow_redirects=False)
        sign_in(lab, "by-lab")
        response = record(lab, booking, result="")
        assert response.status_code == 303
        assert f"error={booking}" in response.headers["location"]
        page = lab.get(response.headers["location"], headers=HTML).text
        assert "Give the sample time and choose the result." in page

    def test_a_sample_time_in_the_future_is_refused(self, by):
        sign_in(by, "by-citizen")
        booking = book(by)
        lab = TestClient(by.app, follow_redirects=False)
        sign_in(lab, "by-lab")
        response = record(lab, booking, sampled="2026-03-02T09:00")
        assert response.status_code == 422
        assert "The sample time must be in the past week" in response.text


class TestTheHealthAuthority:
    FORM: ClassVar[dict[str, str]] = {
        "name": "ТАА «Новая лабараторыя»",
        "name_latin": "Novaia Labaratoryia LLC",
        "legal_id": "190145676",
        "organisation": "",
        "licence": "BY-LAB-0999",
        "address": "г. Гродна, вул. Савецкая, 1",
        "city_en": "Grodno",
        "city_ru": "Гродно",
        "latitude": "53.68",
        "longitude": "23.83",
        "pcr_price": "80",
        "pcr_hours": "24",
        "rat_price": "",
        "rat_hours": "1",
        "rat_device": "",
        "hours": "Mon-Fri 08:00-18:00",
        "slot_minutes": "15",
        "seats": "2",
        "accredited_from": "2026-03-01",
        "accredited_until": "2027-02-28",
    }

    def test_is_for_the_operator_only(self, by):
        sign_in(by, "by-citizen")
        assert by.get("/travel/labs/manage", headers=HTML).status_code == 403

    @pytest.mark.both_engines
    def test_accredits_a_lab_that_every_travel_node_receives(self, by, ru, nodes):
        sign_in(by, "by-operator")
        token = csrf(by, "/travel/labs/manage")
        response = by.post(
            "/travel/labs/manage", data={**self.FORM, "csrf_token": token}, headers=HTML
        )
        assert response.status_code == 303, response.text
        nodes[1]["BY"].exchange.deliver_due("test")
        found = ru.get("/api/v1/travel/labs", params={"city": "Гродно"}).json()["labs"]
        assert [lab["name_latin"] for lab in found] == ["Novaia Labaratoryia LLC"]

    def test_explains_every_problem_of_the_form(self, by):
        sign_in(by, "by-operator")
        token = csrf(by, "/travel/labs/manage")
        form = {
            **self.FORM, "legal_id": "190145677", "latitude": "north", "pcr_price": "",
            "organisation": "000000000", "csrf_token": token,
        }  # fmt: skip
        response = by.post("/travel/labs/manage", data=form, headers=HTML)
        assert response.status_code == 422
        assert "No organisation here has this number." in response.text
        form["organisation"] = ""
        response = by.post("/travel/labs/manage", data=form, headers=HTML)
        assert response.status_code == 422
        assert "Give the latitude and longitude as numbers." in response.text
        assert "Give the price of at least one test." in response.text
        form.update(latitude="53.6", pcr_price="80")
        response = by.post("/travel/labs/manage", data=form, headers=HTML)
        assert response.status_code == 422
        assert "The check digit does not match" in response.text

    def test_a_lapse_hides_the_lab_on_every_node(self, by, ru, nodes):
        sign_in(by, "by-operator")
        response = by.post(
            f"/travel/labs/manage/{BREST}/status",
            data={"action": "lapse", "csrf_token": csrf(by, "/travel/labs/manage")},
            headers=HTML,
        )
        assert response.status_code == 303
        nodes[1]["BY"].exchange.deliver_due("test")
        assert ru.get(f"/api/v1/travel/labs/{BREST}").status_code == 404
        assert by.get(f"/travel/labs/{BREST}", headers=HTML).status_code == 404
        manage = by.get("/travel/labs/manage", headers=HTML).text
        assert f'id="reinstate-{BREST}"' in manage

    def test_exchanges_registries_on_request(self, by):
        sign_in(by, "by-operator")
        response = by.post(
            "/travel/labs/manage/reconcile",
            data={"csrf_token": csrf(by, "/travel/labs/manage")},
            headers=HTML,
        )
        assert response.status_code == 200
        assert 'id="reconciled"' in response.text


class TestVisitors:
    def test_a_visitor_bound_for_travel_is_remembered_for_the_booking(self, nodes):
        platform = nodes[1]["BY"]
        request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(platform=platform)))
        assertion = Assertion(
            kind="person",
            issuer_state="KG",
            audience_state="BY",
            subject="KG/BY/opaque",
            jti="j1",
            issued_at=MONDAY,
            not_before=MONDAY,
            expires_at=MONDAY,
            loa="substantial",
            family_name=Name("Асанова", "ASANOVA"),
            given_name=Name("Айгуль", "AIGUL"),
            birth_date=date(1990, 4, 15),
        )
        remember_visitor(request, assertion, "/documents/sign")
        with pytest.raises(BookingError):
            platform.travel.bookings.visitor("KG/BY/opaque")
        remember_visitor(request, assertion, f"/travel/labs/{MINSK}/book")
        visitor = platform.travel.bookings.visitor("KG/BY/opaque")
        assert (visitor.family_name_latin, visitor.birth_date, visitor.foreign) == (
            "ASANOVA",
            "1990-04-15",
            True,
        )
