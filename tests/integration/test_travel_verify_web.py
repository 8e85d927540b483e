"""The travel verifier through the web app: the API, the bundle, revocation, and the page.

Two nodes of one union made with ``init_union`` on disk (Belarus on each engine, Russia on
SQLite), full web apps with a loopback exchange between them. Belarus's health document
signer issues a real certificate; Russia's border verifies it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from eaeu.bootstrap import build
from eaeu.identity.seed import DEMO_PASSWORD
from eaeu.kernel.settings import DEVELOPMENT_SECRET
from eaeu.services.travel.bundle import read_bundle
from eaeu.services.travel.hcert import Holder, LabResult, TestType, issue_test_certificate
from eaeu.services.travel.qr import render_png
from eaeu.services.travel.uvci import make_uvci
from eaeu.testing import FrozenClock, LoopbackTransport
from eaeu.trust.union import LocalUnion, init_union
from eaeu.web.app import create_app

#: The pages and APIs over stores whose own tests run on both engines: SQLite here,
#: PostgreSQL too for the journeys marked ``both_engines``.
pytestmark = pytest.mark.engine_neutral

HTML = {"accept": "text/html"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
ENDPOINTS = {state: f"http://{state.lower()}.test" for state in ("AM", "BY", "KG", "KZ", "RU")}
UVCI = make_uvci("BY", "0001WEB")


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def nodes(make_settings, data_dir, database_url, clock):
    init_union(
        data_dir, passphrase=DEVELOPMENT_SECRET.encode(), now=clock.now(), endpoints=ENDPOINTS
    )
    clock.advance(days=1)
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
    yield clients, platforms
    for client in clients.values():
        client.close()
    for platform in platforms.values():
        platform.close()


@pytest.fixture
def text(data_dir, clock):
    signer, dsc = LocalUnion(data_dir, DEVELOPMENT_SECRET.encode()).document_signer("BY", "health")
    return issue_test_certificate(
        Holder("Кавалёва", "Марына", "1993-09-09"),
        LabResult(
            TestType.NAAT,
            clock.now() - timedelta(hours=5),
            detected=False,
            country="BY",
            issuer="MoH BY",
            centre="Lab",
        ),
        uvci=UVCI,
        signer=signer,
        certificate=dsc,
        issuer_country="BY",
        issued_at=clock.now() - timedelta(hours=1),
    ).text


def foreign_dsc(country):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def csrf(client, path):
    return TOKEN.search(client.get(path, headers=HTML).text).group(1)


def problem(response, status, reason):
    assert response.status_code == status, response.text
    assert response.json()["reason"] == reason


class TestVerifyApi:
    @pytest.mark.both_engines
    def test_verifies_a_belarusian_certificate_at_the_russian_border(self, nodes, text):
        ru = nodes[0]["RU"]
        response = ru.post("/api/v1/travel/verify", json={"qr": text})
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        verdict = response.json()
        assert verdict["valid"] is True, verdict
        assert verdict["reason"] is None
        assert verdict["arrival"] == "RU"
        assert verdict["holder"] == {"fn": "Кавалёва", "gn": "Марына", "dob": "1993-09-09"}
        assert verdict["stages"]["revocation"] == "pass"
        assert verdict["stages"]["rules"] == "pass"

    def test_a_time_at_the_end_of_the_calendar_is_just_expired(self, nodes, text):
        verdict = (
            nodes[0]["RU"]
            .post("/api/v1/travel/verify", json={"qr": text, "at": "9999-12-31T23:59:59Z"})
            .json()
        )
        assert verdict["reason"] == "expired"

    def test_applies_the_rules_of_the_country_given_and_the_time_given(self, nodes, text, clock):
        ru = nodes[0]["RU"]
        later = (clock.now() + timedelta(days=4)).isoformat()
        verdict = ru.post("/api/v1/travel/verify", json={"qr": text, "at": later}).json()
        assert verdict["reason"] == "expired"
        soon = (clock.now() + timedelta(hours=70)).isoformat()
        verdict = ru.post(
            "/api/v1/travel/verify", json={"qr": text, "at": soon, "arrival": "am"}
        ).json()
        assert (verdict["reason"], verdict["arrival"]) == ("rules", "AM")
        assert verdict["failed_rules"] == ["TR-AM-0003"]

    @pytest.mark.parametrize(
        "qr", ["", "garbage", "HC1:", "HC1:%%%", "HC1:" + "A" * 4000, "HC1:6BFOXN*TS0BI$ZD"]
    )
    def test_garbage_gets_an_invalid_verdict(self, nodes, qr):
        response = nodes[0]["RU"].post("/api/v1/travel/verify", json={"qr": qr})
        assert response.status_code == 200
        assert response.json()["valid"] is False

    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            ({"qr": 5}, "request.invalid"),
            ({}, "request.invalid"),
            ({"qr": "HC1:" + "A" * 9000}, "request.invalid"),
            ({"qr": "x", "arrival": "RUS"}, "request.invalid"),
            ({"qr": "x", "at": "yesterday"}, "request.invalid"),
            ({"qr": "x", "at": "2026-01-01T00:00:00"}, "travel.verify.at"),
            ({"qr": "x", "at": "0001-01-01T00:00:00+14:00"}, "travel.verify.at"),
            ([1, 2], "request.invalid"),
        ],
    )
    def test_bad_requests_are_4xx(self, nodes, body, reason):
        problem(nodes[0]["RU"].post("/api/v1/travel/verify", json=body), 422, reason)

    @pytest.mark.parametrize(
        ("content", "status", "reason"),
        [(b'{"qr": ', 422, "request.malformed_json"), (b"\xff\x00{", 400, "http.400")],
    )
    def test_a_body_that_is_not_json_is_4xx(self, nodes, content, status, reason):
        response = nodes[0]["RU"].post(
            "/api/v1/travel/verify", content=content, headers={"content-type": "application/json"}
        )
        problem(response, status, reason)


class TestBundleApi:
    def test_the_bundle_is_signed_by_the_node_and_reads_against_the_trust_list(self, nodes):
        clients, platforms = nodes
        response = clients["RU"].get("/api/v1/travel/bundle", params={"max_age_s": 3600})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/jose+json")
        trust = platforms["RU"].exchange.trust.current()
        bundle = read_bundle(response.json(), trust=trust)
        assert bundle.issuer == "RU"
        assert bundle.valid_until - bundle.issued_at == timedelta(hours=1)
        assert {s.country for s in bundle.material.signers} == {"AM", "BY", "RU"}

    def test_a_maximum_age_out_of_bounds_is_refused(self, nodes):
        problem(
            nodes[0]["RU"].get("/api/v1/travel/bundle", params={"max_age_s": 5}),
            422,
            "travel.bundle.max_age",
        )


class TestRevocationApi:
    @pytest.mark.both_engines
    def test_belarus_revokes_and_the_russian_border_sees_it(self, nodes, text):
        clients, platforms = nodes
        by, ru = clients["BY"], clients["RU"]
        response = by.post("/api/v1/travel/revocations", json={"uvci": UVCI})
        assert response.status_code == 200, response.text
        assert response.json()["revoked"] is True
        platforms["BY"].exchange.deliver_due("test")
        assert ru.post("/api/v1/travel/verify", json={"qr": text}).json()["reason"] == "revoked"
        listed = ru.get("/api/v1/travel/revocations").json()
        assert listed["entries"][0]["issuer"] == "BY"
        assert "uvci" not in listed["entries"][0]
        bundle = read_bundle(
            ru.get("/api/v1/travel/bundle").json(),
            trust=platforms["RU"].exchange.trust.current(),
        )
        assert len(bundle.revoked) == 1

        by.post("/api/v1/travel/revocations", json={"uvci": UVCI, "revoked": False})
        platforms["BY"].exchange.deliver_due("test")
        assert ru.post("/api/v1/travel/verify", json={"qr": text}).json()["valid"] is True

    def test_only_the_issuer_may_revoke(self, nodes):
        problem(
            nodes[0]["RU"].post("/api/v1/travel/revocations", json={"uvci": UVCI}),
            403,
            "travel.revocation.not_issuer",
        )

    def test_a_bad_uvci_is_4xx(self, nodes):
        problem(
            nodes[0]["BY"].post("/api/v1/travel/revocations", json={"uvci": "nonsense"}),
            422,
            "travel.revocation.uvci",
        )

    def test_revoking_needs_the_operator(self, nodes, make_settings, monkeypatch):
        clients, platforms = nodes
        settings = make_settings(state="BY", operator_token="s3cret-operator-token")
        monkeypatch.setattr(platforms["BY"], "settings", settings)
        response = clients["BY"].post("/api/v1/travel/revocations", json={"uvci": UVCI})
        problem(response, 401, "operator.unauthenticated")
        response = clients["BY"].post("/api/v1/travel/signers", content=b"x")
        problem(response, 401, "operator.unauthenticated")


class TestSignersApi:
    def test_imports_a_foreign_signer_and_lists_it(self, nodes):
        ru = nodes[0]["RU"]
        dsc, _ = foreign_dsc("DE")
        pem = dsc.public_bytes(serialization.Encoding.PEM)
        response = ru.post("/api/v1/travel/signers", content=pem)
        assert response.status_code == 200, response.text
        assert response.json()["imported"][0]["country"] == "DE"
        assert ru.post("/api/v1/travel/signers", content=pem).json()["already"] == 1
        listed = ru.get("/api/v1/travel/signers").json()
        assert listed["countries"] == ["AM", "BY", "DE", "RU"]

    def test_refuses_a_member_states_signer_and_garbage(self, nodes, data_dir):
        ru = nodes[0]["RU"]
        _, dsc = LocalUnion(data_dir, DEVELOPMENT_SECRET.encode()).document_signer("KZ", "health")
        response = ru.post(
            "/api/v1/travel/signers", content=dsc.public_bytes(serialization.Encoding.PEM)
        )
        problem(response, 422, "travel.dsc.member_state")
        problem(ru.post("/api/v1/travel/signers", content=b"junk"), 422, "travel.dsc.invalid")


class TestVerifierPage:
    def test_pasted_text_gives_a_green_verdict_with_name_and_birth_date(self, nodes, text):
        ru = nodes[0]["RU"]
        page = ru.get("/travel/verify", headers=HTML)
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert 'value="RU" selected' in page.text
        response = ru.post(
            "/travel/verify",
            data={"qr": text, "arrival": "RU", "csrf_token": csrf(ru, "/travel/verify")},
            headers=HTML,
        )
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert 'data-valid="true"' in response.text
        assert "Марына Кавалёва" in response.text
        assert "1993-09-09" in response.text
        assert UVCI not in response.text

    def test_an_uploaded_photo_is_read_on_the_server(self, nodes, text):
        ru = nodes[0]["RU"]
        response = ru.post(
            "/travel/verify",
            data={"arrival": "BY", "csrf_token": csrf(ru, "/travel/verify")},
            files={"image": ("qr.png", render_png(text), "image/png")},
            headers=HTML,
        )
        assert 'data-valid="true"' in response.text

    def test_a_picture_without_a_qr_code_is_explained(self, nodes):
        ru = nodes[0]["RU"]
        response = ru.post(
            "/travel/verify",
            data={"csrf_token": csrf(ru, "/travel/verify")},
            files={"image": ("x.png", b"not an image", "image/png")},
            headers=HTML,
        )
        assert response.status_code == 422
        assert "No QR code could be read" in response.text

    def test_nothing_submitted_is_explained(self, nodes):
        ru = nodes[0]["RU"]
        response = ru.post(
            "/travel/verify", data={"csrf_token": csrf(ru, "/travel/verify")}, headers=HTML
        )
        assert response.status_code == 422
        assert "Scan, upload or paste" in response.text

    def test_a_forged_certificate_is_red_in_russian(self, nodes, text):
        ru = nodes[0]["RU"]
        forged = text[:-12] + ("A" if text[-12] != "A" else "B") + text[-11:]
        response = ru.post(
            "/travel/verify?lang=ru",
            data={"qr": forged, "arrival": "", "csrf_token": csrf(ru, "/travel/verify")},
            headers=HTML,
        )
        assert 'data-valid="false"' in response.text

    def test_the_form_needs_its_csrf_token(self, nodes, text):
        response = nodes[0]["RU"].post("/travel/verify", data={"qr": text}, headers=HTML)
        assert response.status_code == 403


class TestRevocationPage:
    def sign_in(self, client, username):
        response = client.post(
            "/signin",
            data={"username": username, "password": DEMO_PASSWORD, "next": "/travel/revocations",
                  "csrf_token": csrf(client, "/signin")},
            headers=HTML,
        )  # fmt: skip
        code = re.search(r'data-code="(\d{6})"', client.get("/dev/mailbox").text).group(1)
        client.post(
            "/signin/code",
            data={"code": code, "next": "/travel/revocations",
                  "csrf_token": csrf(client, response.headers["location"])},
            headers=HTML,
        )  # fmt: skip

    def test_anonymous_people_are_sent_to_sign_in(self, nodes):
        response = nodes[0]["BY"].get("/travel/revocations", headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin")

    def test_a_citizen_may_not_revoke(self, nodes):
        by = nodes[0]["BY"]
        self.sign_in(by, "by-citizen")
        assert by.get("/travel/revocations", headers=HTML).status_code == 403

    def test_the_operator_revokes_and_withdraws(self, nodes):
        by = nodes[0]["BY"]
        self.sign_in(by, "by-operator")
        page = by.get("/travel/revocations", headers=HTML)
        assert page.status_code == 200
        done = by.post(
            "/travel/revocations",
            data={"uvci": UVCI, "action": "revoke", "csrf_token": csrf(by, "/travel/revocations")},
            headers=HTML,
        )
        assert done.status_code == 303
        listed = by.get(done.headers["location"], headers=HTML).text
        assert "revocation-done" in listed
        assert UVCI in listed
        wrong = by.post(
            "/travel/revocations",
            data={
                "uvci": "junk",
                "action": "revoke",
                "csrf_token": csrf(by, "/travel/revocations"),
            },
            headers=HTML,
        )
        assert wrong.status_code == 422
        assert "not a certificate identifier" in wrong.text
        undone = by.post(
            "/travel/revocations",
            data={"uvci": UVCI, "action": "unrevoke",
                  "csrf_token": csrf(by, "/travel/revocations")},
            headers=HTML,
        )  # fmt: skip
        assert undone.headers["location"].endswith("done=unrevoked")
