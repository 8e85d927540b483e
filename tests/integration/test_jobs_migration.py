"""Migration notices across two nodes: a Kyrgyz worker's pre-arrival notice to Russia, and the
Russian employer's contract notice, both acknowledged with signatures the worker's node checks.

The pre-arrival notice is refused without a contract signed by both parties, without a place
booked in Russia, and without a consent; the authority sees what it received. Both nodes run
on each engine.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from jobs_move_support import (
    AIGUL,
    EMPLOYER_REF,
    MOVER,
    PERSON,
    START,
    TODAY,
    contract,
    nodes,
    second_database,
)
from sqlalchemy import MetaData
from test_jobs_housing import CHECK_IN, CHECK_OUT, flat

from eaeu.consent import ledger
from eaeu.consent.errors import ConsentRefused
from eaeu.exchange.errors import MessageRefused
from eaeu.services.jobs import attestations
from eaeu.services.jobs.housing import RENTAL
from eaeu.services.jobs.migration import KIND_CONTRACT, KIND_PRE_ARRIVAL
from eaeu.services.jobs.move_errors import AttestationRefused, NoticeRefused
from eaeu.services.jobs.move_orm import NoticeRow
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.orm import Base
from eaeu.testing import FrozenClock, memory_union

ENTRY = TODAY + timedelta(days=28)


@pytest.fixture(scope="module")
def union():
    return memory_union(now=START - timedelta(days=1))


@pytest.fixture
def clock():
    return FrozenClock(START)


@pytest.fixture
def pair(union, clock, database_url, tmp_path):
    with (
        second_database(database_url, tmp_path) as other,
        nodes(union, clock, {"KG": database_url, "RU": other}) as built,
    ):
        yield built


@pytest.fixture
def kg(pair):
    return pair["KG"]


@pytest.fixture
def ru(pair):
    return pair["RU"]


@pytest.fixture
def signed(kg):
    facts = contract()
    kg.contracts[PERSON] = [facts]
    return facts


@pytest.fixture
def booked(kg, ru):
    landlord = ru.organisation("landlord", "1095407013239", "ООО «Сибирское жильё»")
    place = ru.housing.list_place(landlord, RENTAL, flat())
    token = kg.consent(kg.housing.consent_request(place))
    return kg.housing.book(MOVER, place, check_in=CHECK_IN, check_out=CHECK_OUT, consent=token)


def notify(kg, facts, *, consent="give", entry=ENTRY):
    token = kg.consent(kg.migration.consent_request("RU")) if consent == "give" else consent
    return kg.migration.send_pre_arrival(
        MOVER, facts.contract_id, expected_entry=entry, consent=token
    )


class TestThePreArrivalNotice:
    def test_is_acknowledged_with_a_signature_that_binds_what_was_notified(
        self, kg, ru, signed, booked
    ):
        held = notify(kg, signed)
        claims = kg.migration.verify(held.document)
        assert (claims["iss"], claims["kind"], claims["contract_id"]) == (
            "RU",
            KIND_PRE_ARRIVAL,
            signed.contract_id,
        )
        assert claims["authority"]["ref"] == "RU-AUTHORITY-MIGRATION"
        assert not {"person", "holder", "guest", "address"} & set(claims)
        assert kg.migration.held(PERSON) == [held]
        [notice] = ru.migration.received()
        assert (notice.person, notice.address, notice.expected_entry) == (
            AIGUL,
            booked.address,
            ENTRY,
        )
        assert (notice.contract_id, notice.employer_ref, notice.sender_state) == (
            signed.contract_id,
            EMPLOYER_REF,
            "KG",
        )

    @pytest.mark.usefixtures("booked")
    def test_is_refused_without_a_contract_signed_by_both(self, kg):
        with pytest.raises(NoticeRefused) as raised:
            notify(kg, contract())
        assert raised.value.reason == "jobs.notice_needs_contract"

    def test_is_refused_without_housing_in_the_contracts_state(self, kg, ru, signed):
        with pytest.raises(NoticeRefused) as raised:
            notify(kg, signed)
        assert raised.value.reason == "jobs.notice_needs_housing"
        assert ru.migration.received() == []

    @pytest.mark.usefixtures("booked")
    def test_is_refused_without_a_consent(self, kg, ru, signed):
        with pytest.raises(ConsentRefused) as raised:
            notify(kg, signed, consent=None)
        assert raised.value.reason == "consent.missing"
        assert ru.migration.received() == []

    @pytest.mark.usefixtures("booked")
    def test_is_refused_when_the_consent_names_another_receiver(self, kg, ru, signed):
        ask = replace(kg.migration.consent_request("RU"), requester_organisation=EMPLOYER_REF)
        with pytest.raises(MessageRefused) as raised:
            notify(kg, signed, consent=kg.consent(ask))
        assert raised.value.reason == "jobs.consent_receiver"
        assert ru.migration.received() == []

    @pytest.mark.usefixtures("booked")
    def test_an_entry_date_in_the_past_is_refused_by_the_authority(self, kg, signed):
        with pytest.raises(MessageRefused) as raised:
            notify(kg, signed, entry=TODAY - timedelta(days=1))
        assert raised.value.reason == "jobs.notice_invalid"

    @pytest.mark.usefixtures("booked")
    def test_a_consent_given_on_a_russian_page_names_the_authority_in_russian(self, kg, signed):
        ask = kg.migration.consent_request("RU", language="ru")
        assert (
            ask.requester_organisation_name == "Главное управление по вопросам миграции МВД России"
        )
        assert (
            ask.requester_organisation == kg.migration.consent_request("RU").requester_organisation
        )
        held = kg.migration.send_pre_arrival(
            MOVER, signed.contract_id, expected_entry=ENTRY, consent=kg.consent(ask)
        )
        assert held.kind == KIND_PRE_ARRIVAL

    @pytest.mark.usefixtures("booked")
    def test_a_new_date_replaces_the_notice(self, kg, ru, signed):
        first = notify(kg, signed)
        second = notify(kg, signed, entry=ENTRY + timedelta(days=2))
        assert first.id != second.id
        [notice] = ru.migration.received()
        assert notice.expected_entry == ENTRY + timedelta(days=2)

    @pytest.mark.usefixtures("booked")
    def test_the_transfer_appears_in_the_persons_my_data(self, kg, signed):
        notify(kg, signed)
        with kg.uow() as uow:
            entries = ledger.for_subject(uow.session, PERSON)
        types = {(e.message_type, e.purpose, e.outcome) for e in entries if e.direction == "out"}
        assert ("jobs.migration.pre_arrival", "migration.pre_arrival", "allowed") in types
        assert ("jobs.housing.book", "housing.rental", "allowed") in types

    @pytest.mark.usefixtures("booked")
    def test_completes_the_checklist_item(self, kg, signed):
        def item():
            checklist = kg.checklists.for_person(PERSON, "KG", "RU")
            return next(i for i in checklist.items if i.rule.id == "eaeu.pre_arrival")

        assert item().status == "todo"
        notify(kg, signed)
        assert item().status == "done"


class TestTheEmployersNotice:
    def notice(self, ru, facts):
        with ru.uow() as uow:
            receipt = ru.migration.employer_notice(uow.session, facts)
            uow.commit()
        return receipt

    def test_is_recorded_once_and_its_acknowledgment_reaches_the_worker(self, kg, ru):
        employer_side = contract(worker_person_id=None)
        receipt = self.notice(ru, employer_side)
        assert self.notice(ru, employer_side) == receipt
        [notice] = ru.migration.received(KIND_CONTRACT)
        assert (notice.id, notice.person, notice.position) == (receipt, AIGUL, "Bricklayer")
        worker_side = contract(employer_notice_receipt=receipt)
        kg.contracts[PERSON] = [worker_side]
        held = kg.migration.fetch_employer_ack(PERSON, worker_side)
        assert held is not None
        assert (held.id, held.kind, held.destination) == (receipt, KIND_CONTRACT, "RU")
        assert kg.migration.held(PERSON) == [held]
        assert kg.migration.fetch_employer_ack(PERSON, worker_side) == held
        checklist = kg.checklists.for_person(PERSON, "KG", "RU")
        item = next(i for i in checklist.items if i.rule.id == "ru.employer.notice_signing")
        assert (item.status, item.due) == ("done", TODAY + timedelta(days=2))

    def test_an_acknowledgment_for_other_contract_facts_is_refused(self, kg, ru):
        receipt = self.notice(ru, contract(worker_person_id=None))
        other = contract(employer_notice_receipt=receipt, position="Plasterer")
        with pytest.raises(AttestationRefused) as raised:
            kg.migration.fetch_employer_ack(PERSON, other)
        assert raised.value.reason == "jobs.attestation_content"

    def test_an_unknown_receipt_is_refused_by_the_authority(self, kg):
        with pytest.raises(MessageRefused) as raised:
            kg.migration.fetch_employer_ack(PERSON, contract(employer_notice_receipt="nope"))
        assert raised.value.reason == "jobs.notice_not_found"

    def test_no_receipt_yet_means_nothing_to_fetch(self, kg):
        assert kg.migration.fetch_employer_ack(PERSON, contract()) is None

    def test_a_contract_for_another_state_is_not_notified_here(self, ru):
        with pytest.raises(NoticeRefused) as raised:
            self.notice(ru, contract(destination="KZ"))
        assert raised.value.reason == "jobs.notice_foreign"

    def test_an_altered_acknowledgment_is_refused(self, kg, ru):
        receipt = self.notice(ru, contract(worker_person_id=None))
        [notice] = ru.migration.received(KIND_CONTRACT)
        with ru.uow() as uow:
            document = uow.session.get(NoticeRow, receipt).acknowledgment
        header, payload, signature = document.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["contract_id"] = "another"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        with pytest.raises(AttestationRefused) as raised:
            attestations.verify(
                f"{header}.{forged}.{signature}", attestations.ACKNOWLEDGMENT, kg.ctx.trust()
            )
        assert raised.value.reason == "jobs.attestation_signature"
        assert notice.id == receipt


MOVE_TABLES = {
    "jobs_insurance_products", "jobs_insurance_policies", "jobs_held_policies",
    "jobs_housing_places", "jobs_housing_bookings", "jobs_housing_nights", "jobs_held_bookings",
    "jobs_migration_notices", "jobs_migration_acks", "jobs_checklist_marks",
}  # fmt: skip


class TestTheSchema:
    def test_migration_0014_creates_exactly_the_tables_the_orm_declares(self, database_url):
        engine = make_engine(database_url)
        try:
            migrate.upgrade(engine)
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection,
                    opts={
                        "compare_type": True,
                        "include_name": lambda name, kind, _: (
                            kind != "table" or name in MOVE_TABLES
                        ),
                    },
                )
                declared = MetaData(naming_convention=Base.metadata.naming_convention)
                for name in MOVE_TABLES:
                    Base.metadata.tables[name].to_metadata(declared)
                assert compare_metadata(context, declared) == []
        finally:
            engine.dispose()
