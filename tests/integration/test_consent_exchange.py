"""Consent across nodes: grant, request, answer, revoke, with both sides' guards and ledgers.

The Kyrgyz node is the home of the person (Айгуль Асанова, a fake record served by the
data source the composition root would build from identity); the Russian node is the
employer's. Each node has its own SQLite database (the Kyrgyz one also on PostgreSQL), a
``ConsentGuard`` and the consent message handlers; a loopback transport carries envelopes.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from eaeu.consent import handlers as consent
from eaeu.consent import ledger, received, records
from eaeu.consent.errors import ConsentNotFound, ConsentRefused
from eaeu.consent.guard import ConsentGuard
from eaeu.consent.messages import DATA_REQUEST, GRANTED, REVOKED, SERVICE
from eaeu.consent.messages import handlers as consent_handlers
from eaeu.consent.model import ONE_TIME, PERIODIC, ConsentTerms
from eaeu.exchange.errors import MessageRefused
from eaeu.kernel.errors import NotFound
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.testing import loopback_node

PERSON = "0193a000-0000-7000-8000-00000000a001"
AIGUL = {
    "family_name": "Асанова",
    "given_name": "Айгуль",
    "family_name_latin": "ASANOVA",
    "given_name_latin": "AIGUL",
    "birth_date": "1994-03-17",
    "nationality": "KG",
    "national_id_kind": "pin",
    "national_id": "21703199400123",
    "email": "aigul.asanova@example.kg",
}
SECRETS = [value for key, value in AIGUL.items() if key != "nationality"]


def person_data(person_id):
    if person_id != PERSON:
        raise NotFound("no such person")
    return AIGUL


@pytest.fixture
def node(union, clock, transport, tmp_path, engines):
    def make(state, url=None):
        engine = make_engine(url or f"sqlite:///{tmp_path / state}.db")
        migrate.upgrade(engine)
        engines.append(engine)
        uow = UnitOfWorkFactory(engine)
        guard = ConsentGuard(state=state, trust=lambda: union.trust, uow=uow)
        return loopback_node(
            union,
            state,
            uow=uow,
            clock=clock,
            transport=transport,
            handlers=consent_handlers(guard, person_data),
            guard=guard,
        )

    return make


@pytest.fixture
def kg(node, database_url):
    return node("KG", database_url)


@pytest.fixture
def ru(node):
    return node("RU")


def terms(clock, **overrides):
    values = {
        "subject_id": PERSON,
        "subject_state": "KG",
        "requester_state": "RU",
        "requester_organisation": "RU-OGRN-1157746013237",
        "requester_service": "jobs",
        "purpose": "jobs.application",
        "categories": ("identity", "contact"),
        "valid_from": clock.now(),
        "valid_until": clock.now() + timedelta(days=30),
        "mode": PERIODIC,
        "data_life_days": 30,
        "explicit_request": True,
        "preview_hash": "b" * 64,
    }
    return ConsentTerms(**{**values, **overrides})


def granted(kg, ru, clock, **overrides):
    """Give a consent on the home node and deliver the news to the requester."""
    given = consent.give(kg, terms(clock, **overrides))
    assert kg.deliver_due("worker") == 1
    with ru.uow() as uow:
        assert received.find(uow.session, given.id) is not None
    return given


def ledger_of(node):
    with node.uow() as uow:
        ledger.verify(uow.session)
        return list(reversed(ledger.recent(uow.session, limit=100)))


class TestGrantingAndUsingAConsent:
    def test_the_requester_gets_the_data_the_consent_covers(self, kg, ru, clock):
        given = granted(kg, ru, clock)
        clock.advance(60)
        fetched = consent.request_data(ru, given.id, organisation=None)
        assert fetched.data.payload["family_name"] == "Асанова"
        assert fetched.data.payload["email"] == AIGUL["email"]
        assert fetched.data.categories == ("contact", "identity")
        assert fetched.data.delete_after == clock.now() + timedelta(days=30)
        with ru.uow() as uow:
            [kept] = received.data_for(uow.session, given.id)
        assert kept.payload == AIGUL

    def test_only_the_requested_categories_are_sent(self, kg, ru, clock):
        given = granted(kg, ru, clock)
        fetched = consent.request_data(ru, given.id, organisation=None, categories=("contact",))
        assert fetched.data.payload == {"email": AIGUL["email"]}

    def test_both_ledgers_record_the_transfer(self, kg, ru, clock):
        given = granted(kg, ru, clock)
        consent.request_data(ru, given.id, organisation=None)
        [sent] = ledger_of(kg)
        [got] = ledger_of(ru)
        assert (sent.direction, sent.outcome, sent.counterpart_state) == ("out", "allowed", "RU")
        assert (sent.consent_id, sent.subject_id, sent.purpose) == (
            given.id,
            PERSON,
            "jobs.application",
        )
        assert (got.direction, got.outcome, got.counterpart_state) == ("in", "allowed", "KG")
        assert (got.consent_id, got.subject_id, got.message_id) == (
            given.id,
            None,
            sent.message_id,
        )

    def test_my_data_lists_the_transfer_and_the_consent(self, kg, ru, clock):
        given = granted(kg, ru, clock)
        consent.request_data(ru, given.id, organisation=None)
        mine = consent.my_data(kg, PERSON)
        assert [c.id for c in mine.consents] == [given.id]
        assert [(e.counterpart_state, e.outcome) for e in mine.transfers] == [("RU", "allowed")]
        assert consent.my_data(kg, "somebody-else").transfers == []

    def test_a_one_time_consent_answers_once(self, kg, ru, clock):
        given = granted(kg, ru, clock, mode=ONE_TIME)
        consent.request_data(ru, given.id, organisation=None)
        with pytest.raises(MessageRefused, match="one transfer only") as raised:
            consent.request_data(ru, given.id, organisation=None)
        assert raised.value.reason == "consent.used"
        assert [e.outcome for e in ledger_of(kg)] == ["allowed", "refused"]
        assert ledger_of(kg)[-1].subject_id == PERSON

    def test_a_consent_that_ended_is_not_used_by_the_requester(self, kg, ru, clock):
        given = granted(kg, ru, clock)
        clock.advance(days=31)
        with pytest.raises(ConsentRefused, match="ended on") as raised:
            consent.request_data(ru, given.id, organisation=None)
        assert raised.value.reason == "consent.expired"

    def test_an_unknown_consent_is_not_requested(self, ru):
        with pytest.raises(ConsentNotFound):
            consent.request_data(ru, "0193a000-0000-7000-8000-0000000000ff", organisation=None)

    def test_the_home_laws_refusal_reaches_the_requester_in_its_words(self, node, ru, clock):
        # A Russian citizen's data may not leave before Roskomnadzor is notified.
        ru_home, kz = ru, node("KZ")
        given = consent.give(
            ru_home,
            terms(
                clock,
                subject_state="RU",
                requester_state="KZ",
                requester_organisation="KZ-BIN-071140030713",
            ),
        )
        ru_home.deliver_due("worker")
        with pytest.raises(MessageRefused, match="Roskomnadzor") as raised:
            consent.request_data(kz, given.id, organisation=None)
        assert raised.value.reason == "policy.refused"
        [entry] = ledger_of(ru_home)
        assert (entry.outcome, entry.reason, entry.subject_id) == (
            "refused",
            "policy.refused",
            PERSON,
        )
        with ru_home.uow() as uow:
            records.record_notification(uow.session, "KZ", reference="RKN-7", at=clock.now())
            uow.commit()
        assert consent.request_data(kz, given.id, organisation=None).data.payload["national_id"]


class TestRevoking:
    def test_the_requester_deletes_the_data_and_stops(self, kg, ru, clock):
        given = granted(kg, ru, clock)
        consent.request_data(ru, given.id, organisation=None)
        consent.withdraw(kg, given.id, subject_id=PERSON)
        assert kg.deliver_due("worker") == 1
        with ru.uow() as uow:
            assert received.data_for(uow.session, given.id) == []
            assert received.find(uow.session, given.id).status == "revoked"
        with pytest.raises(ConsentRefused, match="withdrew this consent") as raised:
            consent.request_data(ru, given.id, organisation=None)
        assert raised.value.reason == "consent.revoked"

    def test_the_home_node_refuses_before_the_requester_has_heard(self, kg, ru, clock):
        given = granted(kg, ru, clock)
        clock.advance(60)
        consent.withdraw(kg, given.id, subject_id=PERSON)
        with pytest.raises(MessageRefused, match="withdrew this consent") as raised:
            consent.request_data(ru, given.id, organisation=None)
        assert raised.value.reason == "consent.revoked"
        [entry] = consent.my_data(kg, PERSON).transfers
        assert (entry.outcome, entry.reason, entry.counterpart_state) == (
            "refused",
            "consent.revoked",
            "RU",
        )
        assert entry.detail_ru.startswith("Человек отозвал")

    def test_a_revocation_that_arrives_first_still_counts(self, kg, ru, clock):
        given = consent.give(kg, terms(clock))
        consent.withdraw(kg, given.id, subject_id=PERSON)
        # Delivered in order: the grant, then the revocation.
        assert kg.deliver_due("worker") == 2
        with ru.uow() as uow:
            assert received.find(uow.session, given.id).status == "revoked"

    def test_only_the_issuing_node_can_revoke(self, kg, ru, node, clock):
        given = granted(kg, ru, clock)
        kz = node("KZ")
        payload = {"consent_id": given.id, "revoked_at": clock.now().isoformat()}
        with pytest.raises(MessageRefused, match="only the node that issued") as raised:
            kz.request("RU", SERVICE, REVOKED, payload)
        assert raised.value.reason == "consent.issuer"

    @pytest.mark.usefixtures("ru")
    @pytest.mark.parametrize(
        "payload",
        [None, {}, {"consent_id": "x"}, {"consent_id": "x", "revoked_at": "yesterday"}],
    )
    def test_a_malformed_revocation_is_refused(self, kg, payload):
        with pytest.raises(MessageRefused) as raised:
            kg.request("RU", SERVICE, REVOKED, payload)
        assert raised.value.reason == "exchange.malformed"


class TestGrantMessages:
    def test_a_grant_from_a_node_that_did_not_issue_it_is_refused(self, kg, ru, node, clock):
        given = consent.give(kg, terms(clock))
        kz = node("KZ")
        with pytest.raises(MessageRefused, match="not issued by the node that sent it") as raised:
            kz.request("RU", SERVICE, GRANTED, {"token": given.token})
        assert raised.value.reason == "consent.issuer"
        with ru.uow() as uow:
            assert received.find(uow.session, given.id) is None

    @pytest.mark.usefixtures("ru")
    def test_a_grant_for_another_state_is_refused(self, kg, clock):
        given = consent.give(
            kg, terms(clock, requester_state="KZ", requester_organisation="KZ-BIN-071140030713")
        )
        with pytest.raises(MessageRefused, match="Kazakhstan only") as raised:
            kg.request("RU", SERVICE, GRANTED, {"token": given.token})
        assert raised.value.reason == "consent.receiver"

    @pytest.mark.usefixtures("ru")
    def test_a_grant_delivered_twice_is_kept_once(self, kg, clock):
        given = consent.give(kg, terms(clock))
        first = kg.request("RU", SERVICE, GRANTED, {"token": given.token}).response
        again = kg.request("RU", SERVICE, GRANTED, {"token": given.token}).response
        assert (first["stored"], again["stored"]) == (True, False)

    @pytest.mark.usefixtures("ru")
    def test_a_grant_without_a_token_is_refused(self, kg):
        with pytest.raises(MessageRefused) as raised:
            kg.request("RU", SERVICE, GRANTED, {"token": 7})
        assert raised.value.reason == "exchange.malformed"


class TestDataRequests:
    def test_a_consent_for_another_receiver_is_refused_by_the_home_node(self, kg, node, clock):
        given = consent.give(kg, terms(clock))
        kz = node("KZ")
        with pytest.raises(MessageRefused, match="Russia only") as raised:
            kz.request("KG", SERVICE, DATA_REQUEST, {"consent": given.token})
        assert raised.value.reason == "consent.receiver"

    @pytest.mark.usefixtures("kg")
    def test_a_token_of_another_node_is_refused_by_the_home_node(self, ru):
        with pytest.raises(MessageRefused) as raised:
            ru.request("KG", SERVICE, DATA_REQUEST, {"consent": "not.a.token"})
        assert raised.value.reason == "consent.malformed"

    @pytest.mark.usefixtures("ru")
    def test_categories_must_be_names(self, kg, clock):
        given = consent.give(kg, terms(clock))
        with pytest.raises(MessageRefused, match="list of names"):
            kg.request("RU", SERVICE, DATA_REQUEST, {"consent": given.token, "categories": "x"})

    def test_a_person_without_an_account_is_refused(self, kg, ru, clock):
        given = granted(kg, ru, clock, subject_id="gone")
        with pytest.raises(MessageRefused, match="no longer has an account") as raised:
            consent.request_data(ru, given.id, organisation=None)
        assert raised.value.reason == "consent.subject_unknown"


class TestNoPersonalDataInLogs:
    def test_a_full_cross_border_flow_logs_none_of_the_persons_data(
        self, kg, ru, clock, capfd, caplog
    ):
        caplog.set_level(logging.DEBUG)
        given = granted(kg, ru, clock)
        consent.request_data(ru, given.id, organisation=None)
        consent.withdraw(kg, given.id, subject_id=PERSON)
        kg.deliver_due("worker")
        with pytest.raises(ConsentRefused):
            consent.request_data(ru, given.id, organisation=None)
        with pytest.raises(MessageRefused):
            kg.request("RU", SERVICE, GRANTED, {"token": "broken"})
        out, err = capfd.readouterr()
        logged = out + err + caplog.text
        # The events were captured, so their absence of data means something.
        assert "consent.granted" in logged
        assert "consent.revocation.applied" in logged
        assert "exchange.message.refused" in logged
        for value in [*SECRETS, PERSON, given.subject_ref, given.token]:
            assert value not in logged, value
        for value in SECRETS:
            assert json.dumps(value)[1:-1] not in logged
