"""Identity assertions between nodes of one union: issued at home, judged at the destination.

Each node has its own database and the union's trust list (see ``conftest.py``). The
destination verifies with the trust list it accepted and remembers used assertions in its
own database, on SQLite and on PostgreSQL. The web tests drive a home node's
``/identity/continue`` and a destination's ``/identity/arrive`` and verification API.
"""

import json
import logging
import re
import threading
from datetime import date, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from eaeu.bootstrap import Federation, Platform
from eaeu.consent import ledger
from eaeu.consent.guard import ConsentGuard
from eaeu.identity.accounts import Accounts
from eaeu.identity.assertion import (
    NONCE as NONCE_PATTERN,
)
from eaeu.identity.assertion import (
    TYP,
    AssertionRefused,
    SqlReplayStore,
    issue_organisation_assertion,
    issue_person_assertion,
    pseudonym_key,
    verify_assertion,
)
from eaeu.identity.assertion_orm import UsedAssertion
from eaeu.identity.errors import CodeRefused
from eaeu.identity.passwords import Passwords
from eaeu.identity.seed import DEMO_PASSWORD, seed_demo_accounts
from eaeu.identity.signin import SignIn
from eaeu.kernel.states import get_state
from eaeu.trust.encoding import b64url, b64url_decode
from eaeu.trust.jws import sign_compact
from eaeu.trust.keys import EcSigner, generate_ec_key
from eaeu.web.app import create_app

KG_SECRET = pseudonym_key("kg node secret")
PERSON = "019b0000-0000-7000-8000-00000000a5a1"


@pytest.fixture
def kg(make_node):
    node = make_node("KG")
    # The release of a person's identity abroad is checked and ledgered by consent.
    node.guard = ConsentGuard(state="KG", trust=node.trust.current, uow=node.uow)
    return node


@pytest.fixture
def ru(make_node):
    return make_node("RU")


@pytest.fixture
def by(make_node):
    return make_node("BY")


def person_token(node, *, to="RU", person_id=PERSON, ttl=timedelta(minutes=5)):
    return issue_person_assertion(
        node.signer,
        home_state=node.state,
        audience_state=to,
        person_id=person_id,
        family_name="Асанова",
        given_name="Айгуль",
        birth_date=date(1994, 3, 12),
        nationality="KG",
        id_key=KG_SECRET,
        now=node.clock.now(),
        ttl=ttl,
    )


def judge(node, token):
    """Verify ``token`` at ``node`` as its web layer does: its trust list, its database."""
    return verify_assertion(
        token,
        trust=node.trust.current(),
        audience_state=node.state,
        now=node.clock.now(),
        replay=SqlReplayStore(node.uow),
    )


def refused(reason, call):
    with pytest.raises(AssertionRefused) as caught:
        call()
    assert caught.value.reason == reason
    return caught.value


def claims_of(token):
    return json.loads(b64url_decode(token.split(".")[1]))


def resigned(token, signer, **changes):
    claims = {**claims_of(token), **changes}
    return sign_compact(json.dumps(claims).encode(), signer, {"typ": TYP})


class TestBetweenNodes:
    def test_a_valid_assertion_is_accepted(self, kg, ru):
        assertion = judge(ru, person_token(kg))
        assert assertion.issuer_state == "KG"
        assert assertion.subject.startswith("KG/RU/")
        assert assertion.family_name.latin == "ASANOVA"

    def test_an_expired_assertion_is_refused(self, kg, ru, clock):
        token = person_token(kg)
        clock.advance(minutes=6)
        refused("identity.assertion_expired", lambda: judge(ru, token))

    def test_an_assertion_from_the_future_is_refused(self, kg, ru, clock):
        clock.advance(minutes=2)
        token = person_token(kg)
        clock.advance(minutes=-2)
        refused("identity.assertion_not_yet_valid", lambda: judge(ru, token))

    def test_another_state_refuses_it(self, kg, ru, by):
        token = person_token(kg, to="RU")
        refused("identity.assertion_audience", lambda: judge(by, token))
        judge(ru, token)  # the refusal elsewhere did not use it up

    def test_a_key_outside_the_trust_list_is_refused(self, kg, ru):
        token = resigned(person_token(kg), EcSigner(generate_ec_key()))
        refused("identity.assertion_signer", lambda: judge(ru, token))

    def test_a_member_node_cannot_speak_for_another_state(self, kg, ru, make_node):
        kz = make_node("KZ")
        token = resigned(person_token(kg), kz.signer)
        refused("identity.assertion_signer", lambda: judge(ru, token))

    def test_tampered_claims_are_refused(self, kg, ru):
        header, payload, signature = person_token(kg).split(".")
        claims = json.loads(b64url_decode(payload))
        claims["family_name"] = {"original": "Иванова", "latin": "IVANOVA"}
        forged = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
        refused("identity.assertion_signature", lambda: judge(ru, forged))

    def test_alg_none_is_refused(self, kg, ru):
        header = {"alg": "none", "kid": kg.signer.kid, "typ": TYP}
        _, payload, _ = person_token(kg).split(".")
        token = f"{b64url(json.dumps(header).encode())}.{payload}."
        refused("identity.assertion_signature", lambda: judge(ru, token))

    def test_the_persistent_id_is_stable_per_destination_and_differs_across(
        self, kg, ru, by, clock
    ):
        first = judge(ru, person_token(kg, to="RU")).subject
        clock.advance(minutes=1)
        again = judge(ru, person_token(kg, to="RU")).subject
        elsewhere = judge(by, person_token(kg, to="BY")).subject
        assert first == again
        assert elsewhere.startswith("KG/BY/")
        assert elsewhere.split("/")[2] != first.split("/")[2]

    def test_an_organisation_is_asserted_by_its_home_node(self, kg, ru):
        token = issue_organisation_assertion(
            ru.signer,
            home_state="RU",
            audience_state="KG",
            legal_id="1027700132195",
            legal_id_kind="ogrn",
            legal_name="ООО «Ромашка»",
            kinds={"employer"},
            now=ru.clock.now(),
        )
        assertion = judge(kg, token)
        assert assertion.kind == "organisation"
        assert assertion.subject == "RU/KG/1027700132195"
        assert assertion.legal_name.latin == "OOO ROMASHKA"
        assert assertion.org_kinds == ("employer",)
        refused("identity.assertion_replayed", lambda: judge(kg, token))


class TestReplayStore:
    @pytest.fixture
    def ru(self, make_node, database_url):
        return make_node("RU", url=database_url)

    def test_a_second_use_is_refused(self, kg, ru):
        token = person_token(kg)
        judge(ru, token)
        error = refused("identity.assertion_replayed", lambda: judge(ru, token))
        assert "already been used" in error.message

    def test_used_ids_are_forgotten_after_expiry(self, kg, ru, clock):
        judge(ru, person_token(kg))
        clock.advance(minutes=6)
        judge(ru, person_token(kg))
        with ru.uow() as uow:
            assert uow.session.scalar(select(func.count()).select_from(UsedAssertion)) == 1

    def test_of_two_simultaneous_uses_exactly_one_wins(self, kg, ru):
        token = person_token(kg)
        start = threading.Barrier(4)
        outcomes = []

        def present():
            start.wait()
            try:
                judge(ru, token)
                outcomes.append("accepted")
            except AssertionRefused as exc:
                outcomes.append(exc.reason)

        threads = [threading.Thread(target=present) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["accepted", *["identity.assertion_replayed"] * 3]


# --- the web flow ---------------------------------------------------------------------------


def platform_of(node, make_settings):
    settings = make_settings(state=node.state, public_url=f"http://{node.state.lower()}.test")
    return Platform(
        settings=settings,
        clock=node.clock,
        engine=node.uow.engine,
        uow=node.uow,
        state=get_state(node.state),
        federation=Federation(),
        exchange=node,
    )


@pytest.fixture
def kg_app(kg, make_settings):
    platform = platform_of(kg, make_settings)
    seed_demo_accounts(Accounts(kg.uow, kg.clock), "KG")
    with TestClient(create_app(platform.settings, platform=platform)) as client:
        yield client


@pytest.fixture
def ru_app(ru, make_settings):
    platform = platform_of(ru, make_settings)
    with TestClient(create_app(platform.settings, platform=platform)) as client:
        client.cookies.set("eaeu-arrival-ru", NONCE)
        yield client


def sign_in(client, node, username="kg-citizen"):
    """Give ``client`` the session of ``username`` with a confirmed one-time code."""
    service = SignIn(node.uow, node.clock, Passwords(), code=lambda: "246810")
    pending = service.password(username, DEMO_PASSWORD, client="test")
    token = service.confirm_code(pending.token, "246810")
    client.cookies.set(f"eaeu-session-{node.state.lower()}", token)


#: The nonce the destination gave the browser (its cookie is set on the destination's client).
NONCE = "n0nce-of-this-browser-0123456789"


def hidden(page, name):
    match = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    assert match, page.text
    return unescape(match.group(1))


def confirmation(client, to="RU", next_path="/account"):
    """The home node's page that asks the person before anything is sent."""
    page = client.get("/identity/continue", params={"to": to, "next": next_path, "nonce": NONCE})
    assert page.status_code == 200, page.text
    return page


def continue_to(client, to="RU", next_path="/account"):
    """Confirm on the home node; return its answer, the form's action, assertion and next."""
    page = confirmation(client, to, next_path)
    fields = {name: hidden(page, name) for name in ("to", "next", "nonce", "csrf_token")}
    response = client.post("/identity/continue", data=fields)
    assert response.status_code == 200, response.text
    form = re.search(r'<form method="post" action="([^"]+)" id="identity-continue"', response.text)
    assertion = re.search(r'name="assertion" value="([^"]+)"', response.text)
    next_field = re.search(r'name="next" value="([^"]*)"', response.text)
    return response, form.group(1), unescape(assertion.group(1)), unescape(next_field.group(1))


def assert_problem(response, status, reason):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["reason"] == reason
    return body


class TestContinueAbroad:
    def test_posts_a_fresh_assertion_to_the_destination(self, kg_app, kg):
        sign_in(kg_app, kg)
        response, action, assertion, next_path = continue_to(kg_app)
        assert action == "http://ru.test/identity/arrive"
        assert next_path == "/account"
        assert response.headers["cache-control"] == "no-store"
        assert 'document.getElementById("identity-continue").submit()' in response.text
        claims = claims_of(assertion)
        assert claims["aud"] == "EAEU/RU/GOV/NODE"
        assert claims["family_name"]["original"] == "Асанова"
        assert claims["loa"] == "http://eidas.europa.eu/LoA/substantial"

    def test_a_get_asks_for_confirmation_and_sends_nothing(self, kg_app, kg):
        # A page of another site can make the browser GET this URL (SameSite=Lax lets a
        # top-level GET carry the session): it must not send the person's data anywhere.
        sign_in(kg_app, kg)
        page = confirmation(kg_app)
        assert "Continue to Russia?" in page.text
        assert "Your home node will send your details to the node of Russia" in page.text
        assert '<form method="post" action="/identity/continue"' in page.text
        assert (hidden(page, "to"), hidden(page, "next"), hidden(page, "nonce")) == (
            "RU",
            "/account",
            NONCE,
        )
        assert 'name="assertion"' not in page.text
        assert "identity-continue" not in page.text
        assert page.headers["cache-control"] == "no-store"
        person = Accounts(kg.uow, kg.clock).person_by_username("kg-citizen")
        with kg.uow() as uow:
            assert ledger.for_subject(uow.session, person.id) == []

    def test_the_confirmation_needs_the_pages_csrf_token(self, kg_app, kg):
        sign_in(kg_app, kg)
        fields = {"to": "RU", "next": "/account", "nonce": NONCE}
        assert_problem(kg_app.post("/identity/continue", data=fields), 403, "identity.csrf")
        forged = {**fields, "csrf_token": "0" * 64}
        assert_problem(kg_app.post("/identity/continue", data=forged), 403, "identity.csrf")
        person = Accounts(kg.uow, kg.clock).person_by_username("kg-citizen")
        with kg.uow() as uow:
            assert ledger.for_subject(uow.session, person.id) == []

    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            ({"nonce": ""}, "identity.assertion_input"),
            ({"to": "KG"}, "identity.assertion_destination"),
        ],
    )
    def test_the_confirmation_is_checked_again(self, kg_app, kg, change, reason):
        sign_in(kg_app, kg)
        page = confirmation(kg_app)
        fields = {name: hidden(page, name) for name in ("to", "next", "nonce", "csrf_token")}
        response = kg_app.post("/identity/continue", data={**fields, **change})
        assert_problem(response, 422, reason)

    def test_puts_the_release_on_the_persons_ledger(self, kg_app, kg):
        sign_in(kg_app, kg)
        _, _, assertion, _ = continue_to(kg_app)
        person = Accounts(kg.uow, kg.clock).person_by_username("kg-citizen")
        with kg.uow() as uow:
            [entry] = ledger.for_subject(uow.session, person.id)
        assert (entry.direction, entry.outcome, entry.counterpart_state) == ("out", "allowed", "RU")
        assert (entry.basis, entry.purpose, entry.categories) == (
            "own_request",
            "identity.sign_in",
            ("identity",),
        )
        assert entry.message_id == claims_of(assertion)["jti"]
        assert entry.message_type == "identity.assertion"

    def test_needs_a_signed_in_person(self, kg_app):
        response = kg_app.get(
            "/identity/continue?to=RU",
            headers={"accept": "text/html"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin?next=/identity/continue")
        assert_problem(kg_app.get("/identity/continue?to=RU"), 401, "identity.unauthenticated")

    @pytest.mark.parametrize("to", ["KG", "XX", ""])
    def test_refuses_a_destination_that_is_not_another_member(self, kg_app, kg, to):
        sign_in(kg_app, kg)
        response = kg_app.get("/identity/continue", params={"to": to})
        assert_problem(response, 422, "identity.assertion_destination")

    def test_first_sends_the_browser_to_the_destination_for_a_nonce(self, kg_app, kg):
        sign_in(kg_app, kg)
        response = kg_app.get(
            "/identity/continue", params={"to": "RU", "next": "/account"}, follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"] == (
            "http://ru.test/identity/start?from=KG&next=%2Faccount"
        )
        person = Accounts(kg.uow, kg.clock).person_by_username("kg-citizen")
        with kg.uow() as uow:
            assert ledger.for_subject(uow.session, person.id) == []

    @pytest.mark.parametrize("nonce", ["short", "x" * 21, "not a nonce at all!!!!!!"])
    def test_refuses_a_nonce_that_is_not_a_random_token(self, kg_app, kg, nonce):
        sign_in(kg_app, kg)
        response = kg_app.get("/identity/continue", params={"to": "RU", "nonce": nonce})
        assert_problem(response, 422, "identity.assertion_input")

    def test_never_sends_the_person_to_another_site(self, kg_app, kg):
        sign_in(kg_app, kg)
        _, _, _, next_path = continue_to(kg_app, next_path="//evil.example/x")
        assert next_path == "/"


class TestStart:
    def test_marks_the_browser_and_sends_it_home_to_be_vouched_for(self, ru_app):
        response = ru_app.get(
            "/identity/start", params={"from": "kg", "next": "/account"}, follow_redirects=False
        )
        assert response.status_code == 303
        nonce = response.cookies.get("eaeu-arrival-ru")
        assert NONCE_PATTERN.fullmatch(nonce)
        assert response.headers["location"] == (
            f"http://kg.test/identity/continue?to=RU&next=%2Faccount&nonce={nonce}"
        )
        assert response.headers["cache-control"] == "no-store"

    @pytest.mark.parametrize("origin", ["RU", "XX", ""])
    def test_refuses_an_origin_that_is_not_another_member(self, ru_app, origin):
        response = ru_app.get("/identity/start", params={"from": origin})
        assert_problem(response, 422, "identity.assertion_destination")


class TestArrive:
    @pytest.mark.parametrize("cookie", [None, "another-browsers-nonce-0123456789"])
    def test_refuses_an_assertion_started_in_another_browser(self, kg_app, kg, ru_app, cookie):
        sign_in(kg_app, kg)
        _, _, assertion, _ = continue_to(kg_app)
        ru_app.cookies.delete("eaeu-arrival-ru")
        if cookie:
            ru_app.cookies.set("eaeu-arrival-ru", cookie)
        response = ru_app.post("/identity/arrive", data={"assertion": assertion})
        body = assert_problem(response, 403, "identity.assertion_browser")
        assert "another browser" in body["detail"]

    def test_admits_the_visitor_with_a_foreign_session(self, kg_app, kg, ru_app, ru):
        sign_in(kg_app, kg)
        _, _, assertion, next_path = continue_to(kg_app)
        response = ru_app.post(
            "/identity/arrive",
            data={"assertion": assertion, "next": next_path},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/account"
        cookie = response.cookies.get("eaeu-session-ru")
        session = SignIn(ru.uow, ru.clock, Passwords()).session(cookie)
        assert session.foreign
        assert session.state == "KG"
        assert session.persistent_id == claims_of(assertion)["sub"]
        assert session.display_name == "Айгуль Асанова"
        assert session.second_factor

    def test_a_replayed_arrival_is_refused(self, kg_app, kg, ru_app):
        sign_in(kg_app, kg)
        _, _, assertion, _ = continue_to(kg_app)
        ru_app.post("/identity/arrive", data={"assertion": assertion}, follow_redirects=False)
        again = ru_app.post("/identity/arrive", data={"assertion": assertion})
        body = assert_problem(again, 401, "identity.assertion_replayed")
        assert "already been used" in body["detail"]

    def test_the_refusal_page_is_in_the_visitors_language(self, kg_app, kg, ru_app):
        sign_in(kg_app, kg)
        _, _, assertion, _ = continue_to(kg_app, to="BY")
        page = ru_app.post(
            "/identity/arrive?lang=en",
            data={"assertion": assertion},
            headers={"accept": "text/html"},
        )
        assert page.status_code == 403
        assert "meant for the service of another state" in page.text
        assert "identity.assertion_audience" in page.text

    def test_a_visitor_cannot_be_sent_on_by_the_destination(self, kg_app, kg, ru_app):
        sign_in(kg_app, kg)
        _, _, assertion, _ = continue_to(kg_app)
        ru_app.post("/identity/arrive", data={"assertion": assertion}, follow_redirects=False)
        response = ru_app.get("/identity/continue?to=BY")
        assert_problem(response, 403, "identity.forbidden")

    def test_an_organisation_assertion_opens_no_session(self, ru_app, kg):
        token = issue_organisation_assertion(
            kg.signer,
            home_state="KG",
            audience_state="RU",
            legal_id="01503201910123",
            legal_id_kind="tin",
            legal_name="ОсОО «Бишкек Медлаб»",
            kinds={"lab"},
            now=kg.clock.now(),
        )
        response = ru_app.post("/identity/arrive", data={"assertion": token})
        assert_problem(response, 422, "identity.assertion_malformed")

    def test_a_missing_assertion_is_refused(self, ru_app):
        assert_problem(ru_app.post("/identity/arrive"), 422, "identity.assertion_malformed")


class TestVerificationApi:
    URL = "/api/v1/identity/assertions/verify"

    def test_returns_the_verified_claims_once(self, ru_app, kg):
        token = person_token(kg)
        response = ru_app.post(self.URL, json={"token": token})
        assert response.status_code == 200
        body = response.json()
        assert body["valid"] is True
        assert body["issuer_state"] == "KG"
        assert body["subject"] == claims_of(token)["sub"]
        assert body["claims"]["given_name"] == {"original": "Айгуль", "latin": "AIGUL"}
        assert response.headers["cache-control"] == "no-store"
        assert_problem(
            ru_app.post(self.URL, json={"token": token}), 401, "identity.assertion_replayed"
        )

    @pytest.mark.parametrize(
        ("make", "status", "reason"),
        [
            (lambda kg: person_token(kg, to="BY"), 403, "identity.assertion_audience"),
            (
                lambda kg: resigned(person_token(kg), EcSigner(generate_ec_key())),
                401,
                "identity.assertion_signer",
            ),
            (lambda kg: person_token(kg)[:-4] + "AAAA", 401, "identity.assertion_signature"),
            (lambda _: "not.a.token", 422, "identity.assertion_malformed"),
        ],
    )
    def test_refusals_are_problem_documents(self, ru_app, kg, make, status, reason):
        assert_problem(ru_app.post(self.URL, json={"token": make(kg)}), status, reason)

    def test_an_expired_assertion_is_a_401(self, ru_app, kg, clock):
        token = person_token(kg)
        clock.advance(minutes=10)
        assert_problem(
            ru_app.post(self.URL, json={"token": token}), 401, "identity.assertion_expired"
        )

    def test_an_oversized_body_is_refused_unread(self, ru_app):
        response = ru_app.post(self.URL, json={"token": "x" * 20_000})
        assert_problem(response, 422, "request.invalid")

    def test_is_described_in_the_openapi_document(self, ru_app):
        assert self.URL in ru_app.get("/api/openapi.json").json()["paths"]


class TestNoPersonalDataInLogs:
    def test_sign_in_and_a_cross_border_sign_in_log_none_of_the_persons_data(
        self, kg_app, kg, ru_app, capfd, caplog
    ):
        caplog.set_level(logging.DEBUG)
        capfd.readouterr()  # forget what the setup logged
        service = SignIn(kg.uow, kg.clock, Passwords(), code=lambda: "246810")
        pending = service.password("kg-citizen", DEMO_PASSWORD, client="test")
        with pytest.raises(CodeRefused):
            service.confirm_code(pending.token, "135790")
        token = service.confirm_code(pending.token, "246810")
        kg_app.cookies.set("eaeu-session-kg", token)
        _, _, assertion, next_path = continue_to(kg_app)
        arrived = ru_app.post(
            "/identity/arrive",
            data={"assertion": assertion, "next": next_path},
            follow_redirects=False,
        )
        assert arrived.status_code == 303
        out, err = capfd.readouterr()
        logged = out + err + caplog.text
        # The events were captured, so the absence of data in them means something.
        for event in (
            "identity.signin.password_ok",
            "identity.signin.completed",
            "identity.assertion.issued",
            "identity.visitor.arrived",
        ):
            assert event in logged, event
        person = Accounts(kg.uow, kg.clock).person_by_username("kg-citizen")
        visitor = claims_of(assertion)["sub"]
        values = [
            "kg-citizen",
            person.id,
            person.email,
            person.given_name,
            person.family_name,
            person.given_name_latin,
            person.family_name_latin,
            person.birth_date.isoformat(),
            person.birth_date.strftime("%d.%m.%Y"),
            person.national_id,
            visitor,
            visitor.rsplit("/", 1)[1],
            pending.token,
            token,
            assertion,
        ]
        for value in values:
            assert value not in logged, value
            assert json.dumps(value)[1:-1] not in logged, value
