"""Consent pages through the web app: preview, give, My data, revoke, consents received.

Two nodes of one union made with ``init_union`` on disk, each a full web app on its own
database (the Kyrgyz one on each engine), with a loopback transport between their exchanges
so that no port is opened. People sign in with the seeded demonstration accounts.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from eaeu.bootstrap import build
from eaeu.consent import received
from eaeu.consent.orm import AuthorityNotification
from eaeu.identity.seed import DEMO_PASSWORD
from eaeu.kernel.settings import DEVELOPMENT_SECRET
from eaeu.testing import FrozenClock, LoopbackTransport
from eaeu.trust.union import init_union
from eaeu.web.app import create_app

HTML = {"accept": "text/html"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
FIELD = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
ENDPOINTS = {state: f"http://{state.lower()}.test" for state in ("AM", "BY", "KG", "KZ", "RU")}
EMPLOYER = "RU-OGRN-1157746013237"  # the ru-employer's organisation (StroiMontazh LLC)
ASK = (
    "/consents/new?requester=RU&purpose=jobs.application&categories=identity,contact"
    f"&organisation={EMPLOYER}&organisation_name=ООО «СтройМонтаж»"
)

#: The pages and APIs over stores whose own tests run on both engines: SQLite here,
#: PostgreSQL too for the journeys marked ``both_engines``.
pytestmark = pytest.mark.engine_neutral
BARE = "/consents/new?requester=RU&purpose=jobs.application&categories=identity,contact"


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def nodes(make_settings, data_dir, database_url, clock):
    init_union(
        data_dir, passphrase=DEVELOPMENT_SECRET.encode(), now=clock.now(), endpoints=ENDPOINTS
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


def deliver(nodes, state="KG"):
    return nodes[1][state].exchange.deliver_due("test")


def csrf(client, path):
    return TOKEN.search(client.get(path, headers=HTML).text).group(1)


def sign_in(client, username):
    response = client.post(
        "/signin",
        data={"username": username, "password": DEMO_PASSWORD, "next": "/account",
              "csrf_token": csrf(client, "/signin")},
        headers=HTML,
    )  # fmt: skip
    assert response.status_code == 303
    code = re.search(r'data-code="(\d{6})"', client.get("/dev/mailbox").text).group(1)
    done = client.post(
        "/signin/code",
        data={"code": code, "next": "/account",
              "csrf_token": csrf(client, response.headers["location"])},
        headers=HTML,
    )  # fmt: skip
    assert done.status_code == 303


def form_of(page):
    return dict(FIELD.findall(page))


def give(client, ask=ASK, **changes):
    page = client.get(ask, headers=HTML)
    assert page.status_code == 200, page.text
    fields = {**form_of(page.text), "explicit": "yes", **changes}
    return client.post("/consents", data=fields, headers=HTML)


@pytest.fixture
def citizen(kg):
    sign_in(kg, "kg-citizen")
    return kg


@pytest.fixture
def employer(ru):
    sign_in(ru, "ru-employer")
    return ru


class TestThePreview:
    def test_asks_for_sign_in_first(self, kg):
        response = kg.get(ASK, headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin?next=/consents/new")

    def test_shows_exactly_which_data_would_go_where_and_why(self, citizen):
        page = citizen.get(ASK, headers=HTML)
        assert page.status_code == 200
        text = page.text
        assert "Send your data to Russia?" in text
        assert '<span id="consent-organisation">ООО «СтройМонтаж»</span>' in text
        assert f'<code id="consent-organisation-id">{EMPLOYER}</code>' in text
        assert "applying for a job" in text
        assert 'data-field="family_name">Асанова<' in text
        assert 'data-field="email"' in text
        assert "The transfer rules of Kyrgyzstan allow this transfer" in text
        assert "Record the legal basis with the transfer" in text
        assert 'id="give-consent"' in text

    def test_is_in_russian_too(self, citizen):
        page = citizen.get(ASK + "&lang=ru", headers=HTML).text
        assert "отклик на вакансию" in page
        assert "идентификационные данные" in page

    def test_shows_the_home_laws_refusal_and_offers_no_button(self, ru, nodes):
        # A development node assumes Roskomnadzor was notified; this one has not been.
        with nodes[1]["RU"].uow() as uow:
            uow.session.execute(delete(AuthorityNotification))
            uow.commit()
        sign_in(ru, "ru-citizen")
        page = ru.get(
            "/consents/new?requester=KZ&purpose=jobs.application&categories=identity"
            "&organisation=KZ-BIN-071140030713",
            headers=HTML,
        ).text
        assert "do not allow this transfer" in page
        assert "Roskomnadzor" in page
        assert 'id="give-consent"' not in page

    @pytest.mark.parametrize(
        ("query", "words"),
        [
            ("requester=RU&purpose=marketing&categories=identity", "purpose a consent cannot"),
            ("requester=RU&purpose=jobs.application", "does not name the data"),
            ("requester=KG&purpose=jobs.application&categories=identity", "another member state"),
            ("requester=RU&purpose=jobs.application&categories=x&mode=ever", "does not name"),
            (BARE.partition("?")[2], "registration number"),
            (BARE.partition("?")[2] + "&organisation=KZ-BIN-071140030713", "registration number"),
            (BARE.partition("?")[2] + "&organisation=ООО «Стройка»", "registration number"),
        ],
    )
    def test_explains_a_request_that_cannot_be_shown(self, citizen, query, words):
        page = citizen.get(f"/consents/new?{query}", headers=HTML)
        assert page.status_code == 422
        assert "govuk-error-summary" in page.text
        assert words in page.text


class TestADevelopmentNode:
    def test_lets_a_russian_citizens_data_go_abroad_once_notified(self, ru):
        sign_in(ru, "ru-citizen")
        page = ru.get(
            "/consents/new?requester=KZ&purpose=jobs.application&categories=identity"
            "&organisation=KZ-BIN-071140030713",
            headers=HTML,
        ).text
        assert 'id="give-consent"' in page


class TestGivingConsent:
    @pytest.mark.both_engines
    def test_gives_the_consent_and_tells_the_requester(self, citizen, nodes):
        response = give(citizen)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/my-data?given=")
        page = citizen.get(response.headers["location"], headers=HTML).text
        assert "You gave your consent" in page
        assert "Withdraw consent" in page
        assert deliver(nodes) == 1

    def test_needs_the_persons_explicit_request(self, citizen):
        response = give(citizen, explicit="")
        assert response.status_code == 422
        assert "Confirm that you ask for your data to be sent" in response.text

    def test_refuses_a_notice_other_than_the_one_shown(self, citizen):
        response = give(citizen, categories="identity,contact,health")
        assert response.status_code == 422
        assert "changed since you saw them" in response.text

    def test_needs_the_forms_csrf_token(self, citizen):
        response = give(citizen, csrf_token="forged")
        assert response.status_code == 403


class TestTheRoundTrip:
    @pytest.mark.both_engines
    def test_request_my_data_revoke_and_refusal(self, citizen, employer, nodes):
        give(citizen)
        deliver(nodes)
        listing = employer.get("/consents/received", headers=HTML).text
        [consent_id] = re.findall(r'id="request-([0-9a-f-]{36})"', listing)
        token = csrf(employer, "/consents/received")
        answered = employer.post(
            f"/consents/received/{consent_id}/request", data={"csrf_token": token}, headers=HTML
        )
        assert answered.status_code == 200
        assert 'data-field="family_name">Асанова<' in answered.text

        mine = citizen.get("/my-data", headers=HTML).text
        assert 'data-outcome="allowed"' in mine
        assert "Russia" in mine

        # One-time by default: the second request is refused, in plain words.
        again = employer.post(
            f"/consents/received/{consent_id}/request", data={"csrf_token": token}, headers=HTML
        )
        assert again.status_code == 403
        assert "one transfer only" in again.text
        assert 'data-reason="consent.used"' in citizen.get("/my-data", headers=HTML).text

        revoked = citizen.post(
            f"/my-data/consents/{consent_id}/revoke",
            data={"csrf_token": csrf(citizen, "/my-data")},
            headers=HTML,
        )
        assert revoked.status_code == 303
        assert "You withdrew your consent" in citizen.get(revoked.headers["location"]).text
        deliver(nodes)
        listing = employer.get("/consents/received", headers=HTML).text
        assert 'data-status="revoked"' in listing
        assert "Withdrawn" in listing

        api = employer.post("/api/v1/consent/requests", json={"consent_id": consent_id})
        assert api.status_code == 403
        assert api.json()["reason"] == "consent.revoked"
        assert "withdrew this consent" in api.json()["detail"]

    def test_the_api_answers_with_the_data(self, citizen, ru, nodes):
        give(citizen, ASK + "&mode=periodic")
        deliver(nodes)
        with nodes[1]["RU"].uow() as uow:
            [item] = received.consents(uow.session)
            consent_id = item.id
        answer = ru.post("/api/v1/consent/requests", json={"consent_id": consent_id})
        assert answer.status_code == 200
        body = answer.json()
        assert body["data"]["given_name"] == "Айгуль"
        assert body["categories"] == ["contact", "identity"]
        assert (
            ru.post("/api/v1/consent/requests", json={"consent_id": consent_id}).status_code == 200
        )

    def test_the_api_knows_no_unknown_consent(self, ru):
        answer = ru.post("/api/v1/consent/requests", json={"consent_id": "nope"})
        assert answer.status_code == 404
        assert answer.json()["reason"] == "consent.not_found"

    def test_a_citizen_cannot_see_consents_received(self, ru):
        sign_in(ru, "ru-citizen")
        assert ru.get("/consents/received", headers=HTML).status_code == 403

    def test_my_data_of_a_person_without_transfers(self, citizen):
        page = citizen.get("/my-data", headers=HTML).text
        assert "You have no consents in force." in page
        assert "None of your data has been sent" in page


@pytest.fixture
def insurer(ru):
    sign_in(ru, "ru-insurer")
    return ru


def consent_given(citizen, nodes, ask=ASK):
    give(citizen, ask)
    deliver(nodes)
    with nodes[1]["RU"].uow() as uow:
        [item] = received.consents(uow.session)
    return item.id


def request(client, consent_id):
    return client.post(
        f"/consents/received/{consent_id}/request",
        data={"csrf_token": csrf(client, "/consents/received")},
        headers=HTML,
    )


class TestConsentsBelongToTheOrganisation:
    def test_the_consent_names_the_organisation_on_both_nodes(self, citizen, nodes):
        consent_id = consent_given(citizen, nodes)
        with nodes[1]["RU"].uow() as uow:
            kept = received.find(uow.session, consent_id)
        assert kept.requester_organisation == EMPLOYER
        assert kept.requester_organisation_name == "ООО «СтройМонтаж»"
        mine = citizen.get("/my-data", headers=HTML).text
        assert "ООО «СтройМонтаж»" in mine
        assert EMPLOYER in mine

    def test_the_organisation_sees_and_fetches_its_own(self, citizen, employer, nodes):
        consent_id = consent_given(citizen, nodes)
        listing = employer.get("/consents/received", headers=HTML).text
        assert f'id="request-{consent_id}"' in listing
        assert EMPLOYER in listing
        answered = request(employer, consent_id)
        assert answered.status_code == 200
        assert 'data-field="family_name">Асанова<' in answered.text

    def test_another_organisation_sees_nothing_and_cannot_fetch(self, citizen, insurer, nodes):
        consent_id = consent_given(citizen, nodes)
        listing = insurer.get("/consents/received", headers=HTML).text
        assert consent_id not in listing
        assert 'id="no-consents"' in listing
        refused = request(insurer, consent_id)
        assert refused.status_code == 404
        assert "Асанова" not in refused.text
        with nodes[1]["RU"].uow() as uow:
            assert received.data_for(uow.session, consent_id) == []

    def test_another_organisations_data_kept_is_not_shown(self, citizen, employer, nodes):
        consent_id = consent_given(citizen, nodes, ASK + "&mode=periodic")
        assert request(employer, consent_id).status_code == 200
        employer.cookies.clear()
        sign_in(employer, "ru-landlord")
        listing = employer.get("/consents/received", headers=HTML).text
        assert consent_id not in listing
        assert "Асанова" not in listing

    def test_the_operator_sees_every_consent_but_fetches_only_through_the_api(
        self, citizen, ru, nodes
    ):
        consent_id = consent_given(citizen, nodes, ASK + "&mode=periodic")
        sign_in(ru, "ru-operator")
        listing = ru.get("/consents/received", headers=HTML).text
        assert f'id="received-{consent_id}"' in listing
        assert f'id="request-{consent_id}"' not in listing
        assert request(ru, consent_id).status_code == 403
        with nodes[1]["RU"].uow() as uow:
            assert received.data_for(uow.session, consent_id) == []
        api = ru.post("/api/v1/consent/requests", json={"consent_id": consent_id})
        assert api.status_code == 200
