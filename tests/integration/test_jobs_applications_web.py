"""Jobs, people: CV, consented application, employer's answers, offer, contract signed by both.

Two nodes of one union made with ``init_union`` on disk, each a full web app on its own
database (the Kyrgyz worker's node on each engine, the Russian employer's on SQLite), with
a loopback exchange between them and each other's CRL fetched in-process. The Russian
node's vacancies are replicated to the Kyrgyz one through the feed's own calls
(``changes_since`` / ``apply_replica``). People sign in with the seeded demonstration
accounts (``kg-citizen`` applies to the vacancy of ``ru-employer``).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import update

from eaeu.bootstrap import build
from eaeu.consent import handlers as consent_handlers
from eaeu.consent.errors import ConsentRefused
from eaeu.consent.model import organisation_ref
from eaeu.documents.revocation import CrlCache
from eaeu.identity.accounts import Accounts, NewPerson
from eaeu.identity.seed import DEMO_PASSWORD
from eaeu.kernel.settings import DEVELOPMENT_SECRET
from eaeu.services.jobs import applications as apps
from eaeu.services.jobs.people_errors import ApplicationConflict, ApplicationNotFound
from eaeu.services.jobs.people_orm import ApplicationRow, ContractRow
from eaeu.services.jobs.vacancies import DEMO_DRAFT, demo_vacancy_id
from eaeu.storage.orm import Base
from eaeu.testing import FrozenClock, LoopbackTransport
from eaeu.trust.union import init_union
from eaeu.web.app import create_app

#: The pages and APIs over stores whose own tests run on both engines: SQLite here,
#: PostgreSQL too for the journeys marked ``both_engines``.
pytestmark = pytest.mark.engine_neutral

HTML = {"accept": "text/html"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
ENDPOINTS = {state: f"http://{state.lower()}.test" for state in ("AM", "BY", "KG", "KZ", "RU")}
EMPLOYER = "RU-OGRN-1157746013237"  # the ru-employer's organisation (StroiMontazh LLC)
VACANCY = demo_vacancy_id("RU")
CV = {
    "headline": "Bricklayer, 8 years on residential sites",
    "summary": "Brick and block work, reading drawings.",
    "occupations": "7112",
    "locality": "Бишкек",
    "experience-0-title": "Bricklayer",
    "experience-0-employer": "Ala-Too Kurulush",
    "experience-0-start": "2017-03",
    "experience-0-isco": "7112",
    "education-0-level": "Vocational",
    "education-0-institution": "Bishkek Building College",
    "languages-0-code": "ru",
    "languages-0-level": "C1",
    "languages-1-code": "ky",
    "languages-1-level": "native",
    "documents-0-title": "Bricklayer certificate",
    "documents-0-reference": "KG-77-123",
    "searchable": "yes",
}


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def transport():
    return LoopbackTransport()


@pytest.fixture
def nodes(make_settings, data_dir, database_url, clock, transport):
    init_union(
        data_dir, passphrase=DEVELOPMENT_SECRET.encode(), now=clock.now(), endpoints=ENDPOINTS
    )
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
    replicate(platforms["RU"], platforms["KG"])
    yield clients, platforms
    for client in clients.values():
        client.close()
    for platform in platforms.values():
        platform.close()


def replicate(origin, replica):
    records = origin.jobs.vacancies.changes_since(0, limit=1000)
    with replica.uow() as uow:
        for record in records:
            replica.jobs.vacancies.apply_replica(uow.session, origin.settings.state, record)
        uow.commit()


@pytest.fixture
def kg(nodes):
    return nodes[0]["KG"]


@pytest.fixture
def ru(nodes):
    return nodes[0]["RU"]


@pytest.fixture
def platforms(nodes):
    return nodes[1]


def deliver(platforms, state):
    return platforms[state].exchange.deliver_due("test")


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


def person_id(platform, username):
    return Accounts(platform.uow, platform.clock).person_by_username(username).id


def hidden(page):
    """The hidden fields of a page's form; ``parts`` may repeat."""
    fields: dict[str, list[str]] = {}
    for name, value in HIDDEN.findall(page):
        fields.setdefault(name, []).append(value)
    return fields


@pytest.fixture
def citizen(kg):
    sign_in(kg, "kg-citizen")
    response = kg.post("/jobs/cv", data={**CV, "csrf_token": csrf(kg, "/jobs/cv")}, headers=HTML)
    assert response.status_code == 303, response.text
    return kg


@pytest.fixture
def employer(ru):
    sign_in(ru, "ru-employer")
    return ru


PARTS = ["identity", "contact", "profile", "experience", "languages"]


def preview(client, parts=PARTS, vacancy=VACANCY):
    token = csrf(client, f"/jobs/vacancies/{vacancy}/apply")
    return client.post(
        f"/jobs/vacancies/{vacancy}/apply",
        data={"parts": parts, "letter": "I can start in May.", "step": "preview",
              "csrf_token": token},
        headers=HTML,
    )  # fmt: skip


def apply(client, parts=PARTS, vacancy=VACANCY, *, explicit="yes"):
    page = preview(client, parts, vacancy)
    assert page.status_code == 200, page.text
    fields = hidden(page.text)
    fields["explicit"] = [explicit]
    return client.post(f"/jobs/vacancies/{vacancy}/apply", data=fields, headers=HTML)


def applied(client, **kwargs):
    response = apply(client, **kwargs)
    assert response.status_code == 303, response.text
    return response.headers["location"].split("?")[0].rsplit("/", 1)[1]


def answer(client, application_id, status, message=""):
    path = f"/jobs/employer/applications/{application_id}"
    return client.post(
        f"{path}/answer",
        data={"status": status, "message": message, "csrf_token": csrf(client, path)},
        headers=HTML,
    )


def offer(client, application_id, platforms, **changes):
    path = f"/jobs/employer/applications/{application_id}"
    start = platforms["RU"].clock.now().date() + timedelta(days=30)
    terms = {
        "position": "Bricklayer", "workplace": "Moscow, Stroitelnaya 1",
        "start_date": start.isoformat(), "end_date": (start + timedelta(days=364)).isoformat(),
        "salary": "95000", "currency": "RUB", "period": "month", "hours": "40",
        "probation": "1", "duties": "Brick and block work.", "conditions": "Dormitory provided.",
        **changes,
    }  # fmt: skip
    return client.post(
        f"{path}/offer", data={**terms, "csrf_token": csrf(client, path)}, headers=HTML
    )


def sign(client, contract_id, *, explicit="yes"):
    page = client.get(f"/jobs/contracts/{contract_id}", headers=HTML)
    assert page.status_code == 200, page.text
    fields = {k: v[0] for k, v in hidden(page.text).items()}
    return client.post(
        f"/jobs/contracts/{contract_id}/sign",
        data={**fields, "explicit": explicit},
        headers=HTML,
    )


def offered(kg, ru, platforms):
    """An application sent, viewed and offered; the offer delivered: the contract id."""
    application_id = applied(kg)
    deliver(platforms, "KG")
    assert ru.get(f"/jobs/employer/applications/{application_id}", headers=HTML).status_code == 200
    response = offer(ru, application_id, platforms)
    assert response.status_code == 303, response.text
    contract_id = response.headers["location"].rsplit("/", 1)[1]
    deliver(platforms, "RU")
    return application_id, contract_id


class TestTheCv:
    def test_is_saved_on_the_home_node_with_the_opt_in(self, citizen, platforms):
        page = citizen.get("/jobs/cv?saved=1", headers=HTML).text
        assert 'id="cv-saved"' in page
        cv = platforms["KG"].jobs.applications.cv(person_id(platforms["KG"], "kg-citizen"))
        assert cv.occupations == ("7112",)
        assert [lang.code for lang in cv.languages] == ["ru", "ky"]
        assert cv.searchable

    def test_comes_back_with_what_to_correct(self, citizen):
        bad = {**CV, "occupations": "71", "experience-0-start": "March 2017"}
        response = citizen.post(
            "/jobs/cv", data={**bad, "csrf_token": csrf(citizen, "/jobs/cv")}, headers=HTML
        )
        assert response.status_code == 422
        assert 'data-problem="occupations"' in response.text
        assert 'data-problem="experience.0"' in response.text
        assert "Give months as YYYY-MM." in response.text

    def test_is_shown_in_russian(self, citizen):
        page = citizen.get("/jobs/cv?lang=ru", headers=HTML)
        assert page.status_code == 200
        assert '<html lang="ru"' in page.text
        assert 'value="Bricklayer, 8 years on residential sites"' in page.text


class TestApplying:
    def test_the_preview_shows_exactly_what_goes_to_which_organisation_where_and_why(self, citizen):
        page = preview(citizen)
        assert page.status_code == 200, page.text
        text = page.text
        assert "Send your application to Russia?" in text
        assert '<span id="preview-organisation">ООО «СтройМонтаж»</span>' in text
        assert f'<code id="preview-organisation-id">{EMPLOYER}</code>' in text
        assert "applying for a job" in text
        assert 'data-field="family_name">Асанова<' in text
        assert 'data-field="email"' in text
        assert "Bricklayer, 8 years" in text
        assert 'id="sent-education"' not in text  # not chosen
        assert "national_id" not in text
        assert 'id="confirm-apply"' in text

    def test_sends_the_application_under_a_consent_and_the_employer_sees_only_that(
        self, citizen, employer, platforms
    ):
        response = apply(citizen)
        assert response.status_code == 303, response.text
        assert response.headers["location"].endswith("?outcome=sent")
        application_id = response.headers["location"].split("?")[0].rsplit("/", 1)[1]
        page = citizen.get(response.headers["location"], headers=HTML).text
        assert 'id="sent-panel"' in page
        deliver(platforms, "KG")  # the consent.granted notice
        listing = employer.get("/jobs/employer/applications", headers=HTML).text
        assert f'id="application-{application_id}"' in listing
        assert "Айгуль Асанова" in listing or "Асанова" in listing
        seen = employer.get(f"/jobs/employer/applications/{application_id}", headers=HTML)
        assert seen.status_code == 200
        assert 'data-status="viewed"' in seen.text
        assert "Bricklayer certificate" not in seen.text  # documents were not chosen
        with platforms["RU"].uow() as uow:
            row = uow.session.get(ApplicationRow, application_id)
            assert row.person_id is None
            assert set(json.loads(row.payload)) == {*PARTS, "letter"}
            assert "national_id" not in row.payload

    def test_an_answer_flows_back_to_the_worker(self, citizen, employer, platforms):
        application_id = applied(citizen)
        deliver(platforms, "KG")
        response = answer(employer, application_id, "invited", "Video call on Monday at 10:00.")
        assert response.status_code == 303, response.text
        assert deliver(platforms, "RU") >= 1
        page = citizen.get(f"/jobs/applications/{application_id}", headers=HTML).text
        assert 'id="application-status" data-status="invited"' in page
        assert "Video call on Monday at 10:00." in page

    def test_an_invitation_needs_a_message(self, citizen, employer):
        application_id = applied(citizen)
        response = answer(employer, application_id, "invited", "")
        assert response.status_code == 422
        assert "Write the invitation" in response.text

    def test_applying_twice_is_refused(self, citizen):
        applied(citizen)
        page = preview(citizen)
        assert page.status_code == 409
        assert "already applied" in page.text

    def test_confirming_needs_the_explicit_request(self, citizen, platforms):
        response = apply(citizen, explicit="")
        assert response.status_code == 422
        assert "Tick the box" in response.text
        kg = platforms["KG"]
        assert kg.jobs.applications.mine(person_id(kg, "kg-citizen")) == []

    def test_a_peer_that_does_not_answer_leaves_it_not_sent_with_a_retry(
        self, citizen, employer, platforms, transport
    ):
        transport.down.add(ENDPOINTS["RU"])
        response = apply(citizen)
        assert response.headers["location"].endswith("?outcome=exchange.unreachable")
        page = citizen.get(response.headers["location"], headers=HTML).text
        assert "The Russia node is not answering" in page or "node is not answering" in page
        assert 'id="resend"' in page
        application_id = response.headers["location"].split("?")[0].rsplit("/", 1)[1]
        transport.down.clear()
        path = f"/jobs/applications/{application_id}"
        again = citizen.post(
            f"{path}/resend", data={"csrf_token": csrf(citizen, path)}, headers=HTML
        )
        assert again.headers["location"].endswith("?outcome=sent")
        deliver(platforms, "KG")
        assert (
            f'id="application-{application_id}"'
            in employer.get("/jobs/employer/applications", headers=HTML).text
        )

    def test_withdrawing_tells_the_employer(self, citizen, employer, platforms):
        application_id = applied(citizen)
        path = f"/jobs/applications/{application_id}"
        response = citizen.post(
            f"{path}/withdraw", data={"csrf_token": csrf(citizen, path)}, headers=HTML
        )
        assert response.status_code == 303
        deliver(platforms, "KG")
        seen = employer.get(f"/jobs/employer/applications/{application_id}", headers=HTML).text
        assert 'data-status="withdrawn"' in seen
        assert 'id="make-offer"' not in seen
        again = citizen.post(
            f"{path}/withdraw", data={"csrf_token": csrf(citizen, path)}, headers=HTML
        )
        assert again.status_code == 409


class TestRefusals:
    def test_personal_data_without_a_consent_is_refused_by_the_guard(self, platforms):
        with pytest.raises(ConsentRefused, match="No consent") as refused:
            platforms["KG"].exchange.request(
                "RU", "jobs", apps.SUBMIT, {"v": 1}, personal=True,
                purpose=apps.PURPOSE, categories=("employment",),
            )  # fmt: skip
        assert refused.value.reason == "consent.missing"

    @pytest.mark.both_engines
    def test_a_withdrawn_consent_stops_the_employer_and_deletes_the_data(
        self, citizen, employer, platforms
    ):
        application_id = applied(citizen)
        kg = platforms["KG"]
        consent_id = kg.jobs.applications.application(
            application_id, person_id=person_id(kg, "kg-citizen")
        ).consent_id
        citizen.post(
            f"/my-data/consents/{consent_id}/revoke",
            data={"csrf_token": csrf(citizen, "/my-data")},
            headers=HTML,
        )
        deliver(platforms, "KG")  # consent.granted, then consent.revoked
        response = answer(employer, application_id, "invited", "Come on Monday.")
        assert response.status_code in {200, 409}
        assert "withdrew their consent" in response.text or "data-deleted" in response.text
        with platforms["RU"].uow() as uow:
            row = uow.session.get(ApplicationRow, application_id)
            assert row.status == "withdrawn"
            assert row.payload == "{}"

    @pytest.mark.usefixtures("employer")
    def test_the_guard_refuses_an_answer_under_a_revoked_consent(self, citizen, platforms):
        application_id = applied(citizen)
        kg = platforms["KG"]
        consent_id = kg.jobs.applications.application(
            application_id, person_id=person_id(kg, "kg-citizen")
        ).consent_id
        consent_handlers.withdraw(kg.exchange, consent_id, subject_id=person_id(kg, "kg-citizen"))
        deliver(platforms, "KG")
        ru = platforms["RU"]
        with pytest.raises(ApplicationConflict, match="withdrew their consent"):
            ru.jobs.applications.answer(application_id, EMPLOYER, "rejected")
        refused = [
            e for e in _ledger(ru) if e.outcome == "refused" and e.message_type == apps.STATUS
        ]
        assert refused
        assert refused[0].reason == "consent.revoked"

    def test_another_organisation_cannot_see_the_application(self, citizen, ru, platforms):
        application_id = applied(citizen)
        deliver(platforms, "KG")
        other = _second_employer(platforms["RU"])
        ru.cookies.clear()
        sign_in(ru, other)
        listing = ru.get("/jobs/employer/applications", headers=HTML).text
        assert application_id not in listing
        response = ru.get(f"/jobs/employer/applications/{application_id}", headers=HTML)
        assert response.status_code == 404
        lab = organisation_ref("RU", "ogrn", "1027700013230")
        with pytest.raises(ApplicationNotFound):
            platforms["RU"].jobs.applications.application(application_id, employer_ref=lab)

    def test_a_person_without_the_employer_role_is_refused(self, ru):
        ru.cookies.clear()
        sign_in(ru, "ru-insurer")
        assert ru.get("/jobs/employer/applications", headers=HTML).status_code == 403


def _ledger(platform):
    from eaeu.consent import ledger  # noqa: PLC0415

    with platform.uow() as uow:
        return ledger.recent(uow.session, limit=200)


def _snils(base: str) -> str:
    total = sum(int(d) * (9 - i) for i, d in enumerate(base)) % 101
    return f"{base}{0 if total == 100 else total:02d}"


def _second_employer(platform):
    """A person acting as employer for another organisation of the node (the lab's)."""
    accounts = Accounts(platform.uow, platform.clock)
    lab = accounts.organisation_by_legal_id("1027700013230")
    accounts.register_person(
        NewPerson(
            state="RU", national_id_kind="snils", national_id=_snils("189004457"),
            family_name="Орлов", given_name="Павел", birth_date=date(1980, 1, 2),
            email="orlov@example.ru", username="ru-other-employer",
            roles=frozenset({"employer"}), organisation_id=lab.id,
        ),
        DEMO_PASSWORD,
    )  # fmt: skip
    return "ru-other-employer"


class TestTheContract:
    @pytest.mark.both_engines
    def test_is_signed_by_both_validated_on_both_sides_and_acknowledged(
        self, citizen, employer, platforms
    ):
        completed = []
        acknowledgments = []
        callbacks = platforms["RU"].jobs.contracts.on_completed
        (migration_notice,) = callbacks  # the node's wiring: the migration authority's notice

        def notice(session, facts):
            completed.append(facts)
            acknowledgment = migration_notice(session, facts)
            acknowledgments.append(acknowledgment)
            return acknowledgment

        callbacks[:] = [notice]
        application_id, contract_id = offered(citizen, employer, platforms)
        assert (
            'id="contract-link"'
            in citizen.get(f"/jobs/applications/{application_id}", headers=HTML).text
        )
        page = citizen.get(f"/jobs/contracts/{contract_id}", headers=HTML).text
        assert 'id="employer-check" data-passed="yes"' in page
        assert "confirmed by Russia" in page
        assert "concluding an employment contract" in page
        assert "EMPLOYMENT CONTRACT" in page
        assert "95,000 RUB a month" in page
        response = sign(citizen, contract_id)
        assert response.status_code == 303, response.text
        assert response.headers["location"].endswith("?outcome=completed")
        done = citizen.get(response.headers["location"], headers=HTML).text
        assert 'id="completed-panel"' in done
        assert 'id="final-check" data-passed="yes"' in done
        assert 'id="peer-check" data-passed="yes"' in done
        (acknowledgment,) = acknowledgments
        assert acknowledgment in done
        # The employer's node: completed, both signatures its own receipt, the facts made.
        (facts,) = completed
        assert facts.worker_person_id is None
        assert facts.worker_family_name_latin == "ASANOVA"
        assert (facts.destination, facts.worker_home) == ("RU", "KG")
        with platforms["RU"].uow() as uow:
            row = uow.session.get(ContractRow, contract_id)
            assert row.status == "completed"
            assert len(json.loads(row.document)["signatures"]) == 2
        seen = employer.get(f"/jobs/contracts/{contract_id}", headers=HTML).text
        assert 'id="final-check" data-passed="yes"' in seen
        # The worker's node: the facts for the checklist, with the acknowledgment.
        kg = platforms["KG"]
        (mine,) = kg.jobs.contracts.signed_for(person_id(kg, "kg-citizen"))
        assert mine.worker_person_id == person_id(kg, "kg-citizen")
        assert mine.employer_notice_receipt == acknowledgment
        assert mine.position == "Bricklayer"

    @pytest.mark.both_engines
    def test_my_data_lists_every_transfer(self, citizen, employer, platforms):
        _, contract_id = offered(citizen, employer, platforms)
        sign(citizen, contract_id)
        kg = platforms["KG"]
        mine = consent_handlers.my_data(kg.exchange, person_id(kg, "kg-citizen"))
        types = {(e.direction, e.message_type, e.purpose) for e in mine.transfers}
        assert ("out", apps.SUBMIT, "jobs.application") in types
        assert ("in", apps.STATUS, "jobs.application") in types
        assert ("in", "jobs.contract.offered", "jobs.application") in types
        assert ("out", "jobs.contract.signed", "jobs.employment_contract") in types
        page = citizen.get("/my-data", headers=HTML).text
        assert "concluding an employment contract" in page
        assert page.count('class="govuk-table__row eaeu-transfer"') >= 4

    def test_a_tampered_employer_signature_cannot_be_signed(self, citizen, employer, platforms):
        _, contract_id = offered(citizen, employer, platforms)
        _tamper(platforms["KG"], contract_id, signature=0)
        page = citizen.get(f"/jobs/contracts/{contract_id}", headers=HTML)
        assert 'id="signature-failed"' in page.text
        assert 'id="sign-form"' not in page.text
        response = citizen.post(
            f"/jobs/contracts/{contract_id}/sign",
            data={"explicit": "yes", "csrf_token": csrf(citizen, f"/jobs/contracts/{contract_id}")},
            headers=HTML,
        )
        assert response.status_code == 422

    def test_a_tampered_worker_signature_is_refused_by_the_employer(
        self, citizen, employer, platforms, transport
    ):
        _, contract_id = offered(citizen, employer, platforms)
        transport.down.add(ENDPOINTS["RU"])
        response = sign(citizen, contract_id)
        assert response.headers["location"].endswith("?outcome=exchange.unreachable")
        page = citizen.get(response.headers["location"], headers=HTML).text
        assert 'id="resend-contract"' in page
        _tamper(platforms["KG"], contract_id, signature=1)
        transport.down.clear()
        path = f"/jobs/contracts/{contract_id}"
        again = citizen.post(
            f"{path}/resend", data={"csrf_token": csrf(citizen, path)}, headers=HTML
        )
        assert again.headers["location"].endswith("?outcome=jobs.contract_signature")
        with platforms["RU"].uow() as uow:
            assert uow.session.get(ContractRow, contract_id).status == "offered"

    def test_an_offer_needs_the_applicants_identity(self, citizen, employer, platforms):
        application_id = applied(citizen, parts=["profile", "experience"])
        deliver(platforms, "KG")
        response = offer(employer, application_id, platforms)
        assert response.status_code == 409
        assert "did not send their identity" in response.text

    def test_an_offer_with_bad_terms_is_explained(self, citizen, employer, platforms):
        application_id = applied(citizen)
        deliver(platforms, "KG")
        response = offer(employer, application_id, platforms, start_date="2000-01-01")
        assert response.status_code == 422
        assert "cannot be in the past" in response.text


def _tamper(platform, contract_id, *, signature):
    with platform.uow() as uow:
        row = uow.session.get(ContractRow, contract_id)
        document = json.loads(row.document)
        value = document["signatures"][signature]["signature"]
        flipped = ("A" if value[10] != "A" else "B").join([value[:10], value[11:]])
        document["signatures"][signature]["signature"] = flipped
        uow.session.execute(
            update(ContractRow)
            .where(ContractRow.id == contract_id)
            .values(document=json.dumps(document, indent=2))
        )
        uow.commit()


class TestCvSearch:
    def test_finds_only_the_cvs_of_people_who_opted_in(self, citizen, platforms):
        kg_platform = platforms["KG"]
        kz = kg_platform.jobs.applications
        citizen.cookies.clear()
        sign_in(citizen, "kg-employer")
        found = citizen.get("/jobs/employer/cvs?occupation=71", headers=HTML).text
        assert 'id="cv-count">1 CVs found' in found
        assert "Bricklayer, 8 years" in found
        assert "Асанова" not in found
        cv = kz.cv(person_id(kg_platform, "kg-citizen"))
        kz.save_cv(apps.Cv(**{**_fields(cv), "searchable": False}))
        hidden_now = citizen.get("/jobs/employer/cvs?occupation=71", headers=HTML).text
        assert 'id="cv-count">0 CVs found' in hidden_now


def _fields(cv):
    return {name: getattr(cv, name) for name in cv.__slots__ if name != "updated_at"}


class TestAnApplicationInTheOwnState:
    def test_stays_on_the_node_needs_no_consent_and_ends_in_a_signed_contract(
        self, citizen, platforms, transport
    ):
        kg = platforms["KG"]
        employer_org = Accounts(kg.uow, kg.clock).organisation_by_legal_id("02204201510234")
        vacancy = kg.jobs.vacancies.post(
            employer_org.id,
            replace(
                DEMO_DRAFT, locality="Бишкек", region="Бишкек", currency="KGS",
                salary_min=60_000, salary_max=None,
                valid_through=kg.clock.now().date() + timedelta(days=60),
            ),
            agency=False,
        )  # fmt: skip
        completed = []
        kg.jobs.contracts.on_completed.append(lambda _session, facts: completed.append(facts))
        posted = len(transport.posted)
        page = preview(citizen, vacancy=vacancy.id)
        assert "Check your application" in page.text
        assert "Give consent" not in page.text
        application_id = applied(citizen, vacancy=vacancy.id)
        citizen.cookies.clear()
        sign_in(citizen, "kg-employer")
        assert "Асанова" in citizen.get("/jobs/employer/applications", headers=HTML).text
        response = offer(citizen, application_id, platforms, currency="KGS", salary="60000")
        assert response.status_code == 303, response.text
        contract_id = response.headers["location"].rsplit("/", 1)[1]
        citizen.cookies.clear()
        sign_in(citizen, "kg-citizen")
        page = citizen.get(f"/jobs/contracts/{contract_id}", headers=HTML).text
        assert 'id="employer-check" data-passed="yes"' in page
        assert 'id="sign-consent"' not in page
        done = sign(citizen, contract_id)
        assert done.headers["location"].endswith("?outcome=completed")
        (facts,) = completed
        assert (facts.destination, facts.worker_home) == ("KG", "KG")
        assert facts.worker_person_id == person_id(kg, "kg-citizen")
        jobs_messages = [t for _, t in transport.posted[posted:]]
        assert jobs_messages == []
        mine = consent_handlers.my_data(kg.exchange, person_id(kg, "kg-citizen"))
        assert mine.consents == []


class TestTheMigration:
    @pytest.mark.both_engines
    def test_matches_the_model(self, platforms):
        ours = {"jobs_cvs", "jobs_applications", "jobs_application_events", "jobs_contracts"}

        def include(obj, name, type_, reflected, compare_to):
            table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
            return table in ours

        with platforms["KG"].engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include}
            )
            assert compare_metadata(context, Base.metadata) == []
