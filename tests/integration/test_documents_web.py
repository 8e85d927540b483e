"""Documents through the web app: the API, the CRL, Check a document, and signing in the portal.

Two nodes of one union made with ``init_union`` on disk (the Kyrgyz one on each engine),
each a full web app, with a loopback exchange between them and each other's CRL fetched
in-process. People sign in with the seeded demonstration accounts.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re

import pytest
from cryptography import x509
from fastapi.testclient import TestClient

from eaeu.bootstrap import build
from eaeu.documents import pades, receipts
from eaeu.documents.handlers import sign_document
from eaeu.documents.keys import SignerAuthorisation
from eaeu.documents.revocation import CrlCache
from eaeu.identity.accounts import Accounts
from eaeu.identity.passwords import Passwords
from eaeu.identity.seed import DEMO_PASSWORD
from eaeu.identity.signin import SignIn
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
CONTRACT = json.dumps({"contract": "employment", "salary": 1000}).encode()


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
    for platform in platforms.values():
        platform.documents.validation.revocation.others = CrlCache(
            lambda state: platforms[state].documents.revocations.crl(), clock
        )
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


def signed_by_kg(nodes, clock, document=CONTRACT):
    keys = nodes[1]["KG"].documents.keys
    key = keys.person_key(
        SignerAuthorisation("kg-1", "s", second_factor=True),
        name="Айгуль Асанова",
        identifier="KG-kg-1",
    )
    return sign_document(document, key, signing_time=clock.now()).content


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


def problem(response, status, reason):
    assert response.status_code == status, response.text
    assert response.json()["reason"] == reason
    return response.json()


class TestValidateApi:
    @pytest.mark.both_engines
    def test_foreign_document_validates_with_a_receipt(self, nodes, ru, clock):
        document = signed_by_kg(nodes, clock)
        response = ru.post(
            "/api/v1/documents/validate",
            content=document,
            headers={"content-type": "application/jose+json"},
        )
        assert response.status_code == 200
        body = response.json()
        assert body["report"]["indication"] == "TOTAL-PASSED"
        assert body["report"]["signatures"][0]["signer"]["state"] == "KG"
        trust = nodes[1]["RU"].exchange.trust.current()
        assert receipts.verify(body["receipt"], trust).validator_state == "RU"

    def test_home_confirmation_over_the_exchange(self, nodes, ru, clock):
        document = signed_by_kg(nodes, clock)
        body = ru.post(
            "/api/v1/documents/validate?ask_home=true",
            files={"file": ("contract.json", document, "application/json")},
        ).json()
        assert body["report"]["signatures"][0]["confirmed_by"] == "KG"
        assert body["report"]["references"][0]["validator_state"] == "KG"

    def test_signed_pdf_as_multipart(self, nodes, kg, clock):
        pdf = signed_by_kg(nodes, clock, pades.simple_pdf("Contract", ["Salary: 1000"]))
        response = kg.post(
            "/api/v1/documents/validate", files={"file": ("contract.pdf", pdf, "application/pdf")}
        )
        assert response.json()["report"]["signatures"][0]["format"] == "PAdES-B-B"

    def test_tampered_document_is_reported_not_refused(self, nodes, ru, clock):
        document = json.loads(signed_by_kg(nodes, clock))
        document["payload"] = "e30"
        body = ru.post(
            "/api/v1/documents/validate",
            content=json.dumps(document),
            headers={"content-type": "application/json"},
        ).json()
        assert body["report"]["indication"] == "TOTAL-FAILED"
        assert body["report"]["sub_indication"] == "SIG_CRYPTO_FAILURE"

    def test_unrecognised_file_is_a_422(self, ru):
        response = ru.post(
            "/api/v1/documents/validate", files={"file": ("x.txt", b"hello", "text/plain")}
        )
        problem(response, 422, "documents.unrecognised")

    def test_missing_file_field_is_a_422(self, ru):
        response = ru.post("/api/v1/documents/validate", files={"data": ("x", b"1", "text/plain")})
        problem(response, 422, "documents.unrecognised")

    def test_unknown_media_type_is_a_422(self, ru):
        response = ru.post(
            "/api/v1/documents/validate", content=b"x", headers={"content-type": "text/plain"}
        )
        problem(response, 422, "documents.unrecognised")

    def test_too_large_declared_body_is_a_413(self, ru):
        response = ru.post(
            "/api/v1/documents/validate",
            content=b"{}",
            headers={"content-type": "application/json", "content-length": str(10**9)},
        )
        problem(response, 413, "documents.too_large")


class TestReceiptsApi:
    def test_foreign_receipt_is_reissued(self, nodes, kg, ru, clock):
        document = signed_by_kg(nodes, clock)
        theirs = kg.post(
            "/api/v1/documents/validate",
            content=document,
            headers={"content-type": "application/json"},
        ).json()["receipt"]
        response = ru.post(
            "/api/v1/documents/receipts/verify",
            json={"receipt": theirs, "document": base64.b64encode(document).decode()},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["foreign"]["validator_state"] == "KG"
        assert body["report"]["references"][0]["validator_state"] == "KG"
        trust = nodes[1]["RU"].exchange.trust.current()
        assert receipts.verify(body["receipt"], trust).basis == "receipt"

    def test_forged_receipt_is_refused(self, nodes, kg, ru, clock):
        theirs = kg.post(
            "/api/v1/documents/validate",
            content=signed_by_kg(nodes, clock),
            headers={"content-type": "application/json"},
        ).json()["receipt"]
        header, _, signature = theirs.split(".")
        forged = f"{header}.{base64.urlsafe_b64encode(b'{}').decode().rstrip('=')}.{signature}"
        problem(
            ru.post("/api/v1/documents/receipts/verify", json={"receipt": forged}),
            422,
            "documents.receipt_invalid",
        )

    def test_own_receipt_is_a_409(self, nodes, ru, clock):
        mine = ru.post(
            "/api/v1/documents/validate",
            content=signed_by_kg(nodes, clock),
            headers={"content-type": "application/json"},
        ).json()["receipt"]
        problem(
            ru.post("/api/v1/documents/receipts/verify", json={"receipt": mine}),
            409,
            "documents.receipt_own",
        )

    def test_document_that_is_not_base64_is_a_422(self, ru):
        response = ru.post(
            "/api/v1/documents/receipts/verify", json={"receipt": "a.b.c", "document": "%%"}
        )
        problem(response, 422, "documents.malformed_request")


class TestCrl:
    def test_crl_is_signed_by_the_state_root(self, nodes, kg):
        response = kg.get("/api/v1/documents/crl")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pkix-crl"
        crl = x509.load_der_x509_crl(response.content)
        root = nodes[1]["KG"].exchange.trust.current().member("KG").roots[0]
        assert crl.is_signature_valid(root.public_key())


class TestCheckPage:
    def test_form_is_shown(self, ru):
        page = ru.get("/documents/check", headers=HTML)
        assert page.status_code == 200
        assert 'enctype="multipart/form-data"' in page.text
        assert 'name="csrf_token"' in page.text

    def test_valid_document_shows_green_with_signer_and_receipt(self, nodes, ru, clock):
        response = ru.post(
            "/documents/check",
            files={"file": ("contract.json", signed_by_kg(nodes, clock), "application/json")},
            data={"csrf_token": csrf(ru, "/documents/check")},
            headers=HTML,
        )
        assert response.status_code == 200
        assert 'data-indication="TOTAL-PASSED"' in response.text
        assert "govuk-notification-banner--success" in response.text
        assert "Айгуль Асанова" in response.text
        assert 'id="receipt-download"' in response.text

    def test_tampered_document_shows_red(self, nodes, ru, clock):
        document = json.loads(signed_by_kg(nodes, clock))
        document["payload"] = "e30"
        response = ru.post(
            "/documents/check",
            files={"file": ("contract.json", json.dumps(document).encode(), "application/json")},
            data={"csrf_token": csrf(ru, "/documents/check")},
            headers=HTML,
        )
        assert 'data-indication="TOTAL-FAILED"' in response.text
        assert "The signature does not match the document" in response.text

    def test_no_file_is_an_error_summary(self, ru):
        response = ru.post(
            "/documents/check", data={"csrf_token": csrf(ru, "/documents/check")}, headers=HTML
        )
        assert response.status_code == 422
        assert "govuk-error-summary" in response.text

    def test_form_without_csrf_token_is_refused(self, ru):
        response = ru.post(
            "/documents/check", files={"file": ("a.json", b"{}", "application/json")}, headers=HTML
        )
        assert response.status_code == 403

    def test_foreign_receipt_is_checked_on_the_page(self, nodes, kg, ru, clock):
        theirs = kg.post(
            "/api/v1/documents/validate",
            content=signed_by_kg(nodes, clock),
            headers={"content-type": "application/json"},
        ).json()["receipt"]
        response = ru.post(
            "/documents/check-receipt",
            data={"receipt": theirs, "csrf_token": csrf(ru, "/documents/check")},
            headers=HTML,
        )
        assert response.status_code == 200
        assert 'data-indication="TOTAL-PASSED"' in response.text

    def test_bad_receipt_is_an_error_summary(self, ru):
        response = ru.post(
            "/documents/check-receipt",
            data={"receipt": "a.b.c", "csrf_token": csrf(ru, "/documents/check")},
            headers=HTML,
        )
        assert response.status_code == 422
        assert "govuk-error-summary" in response.text


class TestSignPage:
    def test_needs_sign_in(self, kg):
        response = kg.get("/documents/sign", headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin")

    @pytest.mark.both_engines
    def test_citizen_signs_and_the_other_state_validates(self, kg, ru):
        sign_in(kg, "kg-citizen")
        assert kg.get("/documents/sign", headers=HTML).status_code == 200
        response = kg.post(
            "/documents/sign",
            files={"file": ("contract.json", CONTRACT, "application/json")},
            data={"commitment": "proof-of-approval", "csrf_token": csrf(kg, "/documents/sign")},
            headers=HTML,
        )
        assert response.status_code == 200
        assert "contract.signed.json" in response.headers["content-disposition"]
        body = ru.post(
            "/api/v1/documents/validate",
            content=response.content,
            headers={"content-type": "application/json"},
        ).json()
        assert body["report"]["indication"] == "TOTAL-PASSED"
        signature = body["report"]["signatures"][0]
        assert signature["signer"]["state"] == "KG"
        assert signature["commitments"] == ["proof-of-approval"]

    def test_employer_signs_for_the_organisation(self, ru):
        sign_in(ru, "ru-employer")
        assert 'id="signer-organisation"' in ru.get("/documents/sign", headers=HTML).text
        pdf = pades.simple_pdf("Contract", ["Salary: 1000"])
        response = ru.post(
            "/documents/sign",
            files={"file": ("contract.pdf", pdf, "application/pdf")},
            data={"signer": "organisation", "csrf_token": csrf(ru, "/documents/sign")},
            headers=HTML,
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        report = ru.post(
            "/api/v1/documents/validate", files={"file": ("c.pdf", response.content)}
        ).json()["report"]
        signer = report["signatures"][0]["signer"]
        assert signer["organisation"] == signer["name"]
        assert signer["identifier"].startswith("NTRRU-")

    def test_unsupported_file_is_an_error_summary(self, kg):
        sign_in(kg, "kg-citizen")
        response = kg.post(
            "/documents/sign",
            files={"file": ("notes.txt", b"hello", "text/plain")},
            data={"csrf_token": csrf(kg, "/documents/sign")},
            headers=HTML,
        )
        assert response.status_code == 422
        assert "govuk-error-summary" in response.text


def stream_to(app, chunks, *, path="/api/v1/documents/validate"):
    """Post ``chunks`` without a length straight to the ASGI app; count what it pulled."""
    pulled = []
    sent = []
    source = iter(chunks)

    async def receive():
        chunk = next(source, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled.append(len(chunk))
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 1), "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                    (b"transfer-encoding", b"chunked")],
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body), pulled


class TestBodyLimits:
    def test_a_chunked_body_past_the_cap_is_refused_with_413_as_it_streams(self, ru):
        block = b"x" * 1_048_576
        status, body, pulled = stream_to(ru.app, (block for _ in range(64)))
        assert (status, body["reason"]) == (413, "documents.too_large")
        # Refused once past 10 MB, without reading the remaining 54 MB into memory.
        assert len(pulled) <= 11

    def test_a_chunked_body_under_the_cap_is_read(self, nodes, ru, clock):
        document = signed_by_kg(nodes, clock)
        response = ru.post(
            "/api/v1/documents/validate",
            content=iter([document[:10], document[10:]]),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["report"]["indication"] == "TOTAL-PASSED"


def signing_certificate(client, document):
    report = client.post(
        "/api/v1/documents/validate",
        content=document,
        headers={"content-type": "application/json"},
    ).json()["report"]
    return report["signatures"][0]["signer"]


class TestSigningPseudonyms:
    def test_a_persons_certificate_names_a_random_pseudonym_not_their_account(self, nodes, kg):
        sign_in(kg, "kg-citizen")
        signed = kg.post(
            "/documents/sign",
            files={"file": ("contract.json", CONTRACT, "application/json")},
            data={"csrf_token": csrf(kg, "/documents/sign")},
            headers=HTML,
        )
        assert signed.status_code == 200
        signer = signing_certificate(kg, signed.content)
        citizen = Accounts(nodes[1]["KG"].uow, nodes[1]["KG"].clock).person_by_username(
            "kg-citizen"
        )
        assert re.fullmatch(r"KG-PSN-[0-9A-F]{20}", signer["identifier"])
        assert citizen.id not in signer["identifier"]
        assert citizen.national_id not in signer["identifier"]

    def test_each_new_key_gets_a_new_pseudonym(self, nodes):
        keys = nodes[1]["KG"].documents.keys
        auth = SignerAuthorisation("kg-7", "s", second_factor=True)
        first = keys.person_key(auth, name="Айгуль Асанова")
        again = keys.person_key(auth, name="Айгуль Асанова")
        keys.revoke_owner("person", "kg-7", reason="keyCompromise")
        renewed = keys.person_key(auth, name="Айгуль Асанова")

        def serial_number(key):
            return key.certificate.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)[
                0
            ].value

        assert serial_number(first) == serial_number(again)
        assert serial_number(renewed) != serial_number(first)
        assert "kg-7" not in serial_number(first)


class TestForeignVisitorSigning:
    def test_a_visitor_from_another_state_is_refused_with_403(self, nodes, ru):
        platform = nodes[1]["RU"]
        token = SignIn(platform.uow, platform.clock, Passwords()).start_foreign(
            persistent_id="KG/RU/opaque-1", state="KG", display_name="Айгуль"
        )
        ru.cookies.set("eaeu-session-ru", token)
        response = ru.post(
            "/documents/sign",
            files={"file": ("contract.json", CONTRACT, "application/json")},
            data={"csrf_token": csrf(ru, "/documents/sign")},
            headers=HTML,
        )
        assert response.status_code == 403
        assert "home state" in response.text
