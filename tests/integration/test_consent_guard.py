"""Consent records and the consent guard on real SQLite and PostgreSQL databases.

The Kyrgyz node is the person's home: it gives consents and guards what leaves. The Russian
node receives: its guard verifies consent tokens through the union trust list. Tokens from
other nodes are signed with those nodes' real keys from a union made in memory.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from eaeu.consent import ledger, received, records, tokens
from eaeu.consent.errors import ConsentInvalid, ConsentNotActive, ConsentNotFound, ConsentRefused
from eaeu.consent.guard import ConsentGuard
from eaeu.consent.model import (
    ACTIVE,
    EXPIRED,
    ONE_TIME,
    PERIODIC,
    REVOKED,
    ConsentTerms,
    check_terms,
)
from eaeu.consent.orm import ConsentRecordRow
from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.guard import Transfer
from eaeu.kernel.ids import uuid7
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.testing import FrozenClock, memory_union
from eaeu.trust.encoding import b64url, b64url_decode

UNION_START = FrozenClock().now()
START = UNION_START + timedelta(days=1)
PERSON = "0193a000-0000-7000-8000-00000000a001"
OTHER = "0193a000-0000-7000-8000-00000000a002"
PURPOSE = "jobs.application"
TYPED = b64url(b'{"typ": "eaeu-consent+jws"}')
VERSION_ONLY = b64url(b'{"ver": 1}')
VERSION_TWO = b64url(b'{"ver": 2}')


@pytest.fixture(scope="module")
def union():
    return memory_union(now=UNION_START)


@pytest.fixture
def uow(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield UnitOfWorkFactory(engine)
    engine.dispose()


@pytest.fixture
def kg(union, uow):
    return ConsentGuard(state="KG", trust=lambda: union.trust, uow=uow)


@pytest.fixture
def ru(union, uow):
    return ConsentGuard(state="RU", trust=lambda: union.trust, uow=uow)


def terms(**overrides):
    values = {
        "subject_id": PERSON,
        "subject_state": "KG",
        "requester_state": "RU",
        "requester_organisation": "RU-OGRN-1157746013237",
        "requester_service": "jobs",
        "purpose": PURPOSE,
        "categories": ("identity", "contact"),
        "valid_from": START,
        "valid_until": START + timedelta(days=30),
        "mode": PERIODIC,
        "data_life_days": 30,
        "explicit_request": True,
        "preview_hash": "a" * 64,
    }
    return ConsentTerms(**{**values, **overrides})


def give(uow, union, **overrides):
    state = overrides.get("subject_state", "KG")
    with uow() as u:
        consent = records.grant(
            u.session, terms(**overrides), signer=union.node_signer(state), now=START
        )
        u.commit()
    return consent


def transfer(direction="out", *, sender="KG", receiver="RU", **overrides):
    values = {
        "direction": direction,
        "sender_state": sender,
        "receiver_state": receiver,
        "service": "exchange",
        "message_type": "consent.data.request.response",
        "message_id": str(uuid7()),
        "consent": None,
        "purpose": PURPOSE,
        "categories": ("identity",),
        "basis": None,
        "at": START + timedelta(hours=1),
    }
    return Transfer(**{**values, **overrides})


def check(guard, uow, t):
    with uow() as u:
        guard.check(u.session, t)


def refused(guard, uow, t, reason, match=None):
    with pytest.raises(ConsentRefused, match=match) as raised:
        check(guard, uow, t)
    assert raised.value.reason == reason
    assert isinstance(raised.value, MessageRefused)
    assert raised.value.text.ru
    return raised.value


def allowed(guard, uow, t):
    with uow() as u:
        guard.check(u.session, t)
        guard.record(u.session, t)
        u.commit()


def entries(uow):
    with uow() as u:
        return list(reversed(ledger.recent(u.session, limit=1000)))


def foreign_token(union, *, signer_state="KG", **overrides):
    claims = tokens.ConsentClaims(
        consent_id=str(uuid7()),
        issuer_state="KG",
        subject_ref="ref-1",
        requester_state="RU",
        requester_organisation=None,
        requester_service="jobs",
        purpose=PURPOSE,
        basis="consent",
        categories=("contact", "identity"),
        fields=("email",),
        mode=ONE_TIME,
        valid_from=START,
        valid_until=START + timedelta(days=30),
        issued_at=START,
        data_life_days=30,
        explicit_request=True,
        preview_hash=None,
    )
    return tokens.sign(replace(claims, **overrides), union.node_signer(signer_state))


class TestGivingConsent:
    def test_signs_the_terms_as_a_typed_token_of_the_home_node(self, uow, union):
        consent = give(uow, union)
        header = json.loads(b64url_decode(consent.token.split(".")[0]))
        assert header["typ"] == "eaeu-consent+jws"
        assert header["kid"] == union.node_signer("KG").kid
        claims = tokens.verify(consent.token, union.trust)
        assert (claims.consent_id, claims.issuer_state, claims.requester_state) == (
            consent.id,
            "KG",
            "RU",
        )
        assert claims.categories == ("contact", "identity")
        assert (claims.fields[0], claims.fields[-1]) == ("family_name", "email")
        assert claims.subject_ref == consent.subject_ref

    def test_the_token_names_nobody(self, uow, union):
        consent = give(uow, union)
        body = b64url_decode(consent.token.split(".")[1]).decode()
        assert PERSON not in body
        assert consent.subject_ref not in (PERSON, "")

    def test_stores_every_field_of_the_record(self, uow, union):
        consent = give(uow, union)
        with uow() as u:
            stored = records.find(u.session, consent.id)
        assert stored == consent
        assert (stored.status, stored.mode, stored.basis) == (ACTIVE, PERIODIC, "consent")
        assert stored.preview_shown
        assert stored.explicit_request
        assert stored.provider_state == "KG"
        assert stored.purpose_text.ru
        assert stored.valid_from.microsecond == 0
        assert stored.requester_organisation == "RU-OGRN-1157746013237"
        assert tokens.peek(stored.token).requester_organisation == "RU-OGRN-1157746013237"

    @pytest.mark.parametrize(
        ("override", "reason"),
        [
            ({"purpose": "marketing"}, "consent.unknown_purpose"),
            ({"categories": ()}, "consent.categories_invalid"),
            ({"categories": ("dreams",)}, "consent.categories_invalid"),
            ({"requester_state": "KG"}, "consent.requester_invalid"),
            ({"requester_state": "XX"}, "consent.requester_invalid"),
            ({"valid_until": START}, "consent.validity_invalid"),
            ({"valid_until": START + timedelta(days=400)}, "consent.validity_invalid"),
            ({"mode": "forever"}, "consent.mode_invalid"),
            ({"data_life_days": 0}, "consent.data_life_invalid"),
            ({"explicit_request": False}, "consent.no_explicit_request"),
            ({"preview_hash": None}, "consent.no_preview"),
            ({"requester_organisation": None}, "consent.organisation_invalid"),
            ({"requester_organisation": "ООО «Стройка»"}, "consent.organisation_invalid"),
            ({"requester_organisation": "KZ-BIN-071140030713"}, "consent.organisation_invalid"),
        ],
    )
    def test_refuses_terms_that_break_a_rule(self, override, reason):
        with pytest.raises(ConsentInvalid) as raised:
            check_terms(terms(**override))
        assert raised.value.reason == reason


class TestRevoking:
    def test_the_person_revokes_their_consent(self, uow, union):
        consent = give(uow, union)
        with uow() as u:
            revoked = records.revoke(
                u.session, consent.id, subject_id=PERSON, now=START + timedelta(hours=2)
            )
            u.commit()
        assert revoked.status == REVOKED
        assert revoked.revoked_at == START + timedelta(hours=2)

    def test_nobody_else_can_revoke_it(self, uow, union):
        consent = give(uow, union)
        with uow() as u, pytest.raises(ConsentNotFound, match="no consent"):
            records.revoke(u.session, consent.id, subject_id=OTHER, now=START)

    def test_a_revoked_consent_cannot_be_revoked_again(self, uow, union):
        consent = give(uow, union)
        with uow() as u:
            records.revoke(u.session, consent.id, subject_id=PERSON, now=START)
            u.commit()
        with uow() as u, pytest.raises(ConsentNotActive, match="already withdrawn"):
            records.revoke(u.session, consent.id, subject_id=PERSON, now=START)

    def test_an_ended_consent_cannot_be_revoked(self, uow, union):
        consent = give(uow, union)
        with uow() as u, pytest.raises(ConsentNotActive, match="already ended"):
            records.revoke(u.session, consent.id, subject_id=PERSON, now=START + timedelta(days=31))


class TestExpiry:
    def test_a_consent_expires_by_the_clock(self, uow, union):
        consent = give(uow, union)
        end = consent.valid_until
        assert consent.status_at(end - timedelta(seconds=1)) == ACTIVE
        assert consent.status_at(end) == EXPIRED
        with uow() as u:
            assert records.expire_due(u.session, end - timedelta(seconds=1)) == 0
            assert records.expire_due(u.session, end) == 1
            u.commit()
        with uow() as u:
            assert records.find(u.session, consent.id).status == EXPIRED
            assert records.for_subject(u.session, PERSON)[0].status == EXPIRED


class TestTheGuardOnTheHomeNode:
    def test_allows_a_covered_transfer_and_ledgers_it_for_the_person(self, kg, uow, union):
        consent = give(uow, union)
        t = transfer(consent=consent.token)
        allowed(kg, uow, t)
        [entry] = entries(uow)
        assert (entry.outcome, entry.direction, entry.counterpart_state) == ("allowed", "out", "RU")
        assert (entry.consent_id, entry.subject_id, entry.basis) == (consent.id, PERSON, "consent")
        assert (entry.purpose, entry.categories, entry.message_id) == (
            PURPOSE,
            ("identity",),
            t.message_id,
        )
        with uow() as u:
            assert ledger.for_subject(u.session, PERSON) == [entry]
            assert records.find(u.session, consent.id).use_count == 1

    def test_refuses_another_receiving_state(self, kg, uow, union):
        consent = give(uow, union)
        refused(
            kg, uow, transfer(consent=consent.token, receiver="KZ"), "consent.receiver", "Russia"
        )

    def test_refuses_another_purpose(self, kg, uow, union):
        consent = give(uow, union)
        t = transfer(consent=consent.token, purpose="housing.rental")
        refused(kg, uow, t, "consent.purpose", "different purpose")

    def test_refuses_a_category_not_consented_to(self, kg, uow, union):
        consent = give(uow, union)
        t = transfer(consent=consent.token, categories=("identity", "health"))
        refused(kg, uow, t, "consent.categories", "health data")

    def test_refuses_before_the_consent_starts(self, kg, uow, union):
        consent = give(uow, union, valid_from=START + timedelta(days=2))
        t = transfer(consent=consent.token)
        refused(kg, uow, t, "consent.not_yet_valid", "only applies from")

    def test_refuses_after_the_consent_ends(self, kg, uow, union):
        consent = give(uow, union)
        t = transfer(consent=consent.token, at=consent.valid_until)
        refused(kg, uow, t, "consent.expired", "ended on")

    def test_refuses_after_the_person_revoked_it(self, kg, uow, union):
        consent = give(uow, union)
        with uow() as u:
            records.revoke(u.session, consent.id, subject_id=PERSON, now=START)
            u.commit()
        error = refused(kg, uow, transfer(consent=consent.token), "consent.revoked", "withdrew")
        assert "отозвал" in error.text.ru

    def test_a_one_time_consent_is_used_up_by_one_transfer(self, kg, uow, union):
        consent = give(uow, union, mode=ONE_TIME)
        allowed(kg, uow, transfer(consent=consent.token))
        refused(kg, uow, transfer(consent=consent.token), "consent.used", "one transfer only")

    def test_a_periodic_consent_is_used_again(self, kg, uow, union):
        consent = give(uow, union)
        allowed(kg, uow, transfer(consent=consent.token))
        allowed(kg, uow, transfer(consent=consent.token))
        assert [e.outcome for e in entries(uow)] == ["allowed", "allowed"]

    def test_refuses_a_token_of_this_node_it_holds_no_record_of(self, kg, uow, union):
        t = transfer(consent=foreign_token(union))
        refused(kg, uow, t, "consent.unknown", "no consent with that reference")

    def test_refuses_a_token_whose_record_says_something_else(self, kg, uow, union):
        consent = give(uow, union)
        forged = foreign_token(union, consent_id=consent.id)
        refused(kg, uow, transfer(consent=forged), "consent.unknown")

    def test_refuses_a_token_another_node_signed_in_its_name(self, kg, uow, union):
        forged = foreign_token(union, signer_state="RU")
        refused(kg, uow, transfer(consent=forged), "consent.issuer", "not signed by the node")

    def test_refuses_a_consent_issued_by_a_third_state(self, kg, uow, union):
        kz = foreign_token(union, signer_state="KZ", issuer_state="KZ")
        refused(kg, uow, transfer(consent=kz), "consent.issuer", "given in Kazakhstan")

    def test_refuses_a_token_with_a_broken_signature(self, kg, uow, union):
        consent = give(uow, union)
        header, body, _ = consent.token.split(".")
        broken = f"{header}.{body}.{b64url(b'x' * 64)}"
        refused(kg, uow, transfer(consent=broken), "consent.signature", "cannot be verified")

    @pytest.mark.parametrize(
        "token",
        [
            "not-a-token",
            "a.b.c",
            f"{b64url(b'{}')}.{b64url(b'{}')}.sig",
            f"{TYPED}.{b64url(b'[]')}.sig",
            f"{TYPED}.{VERSION_ONLY}.sig",
            f"{TYPED}.{VERSION_TWO}.sig",
        ],
    )
    def test_refuses_something_that_is_not_a_consent_token(self, kg, uow, token):
        refused(kg, uow, transfer(consent=token), "consent.malformed", "damaged")

    @pytest.mark.parametrize("basis", [None, "consent", "informed_consent"])
    def test_refuses_personal_data_without_consent_or_other_basis(self, kg, uow, basis):
        refused(kg, uow, transfer(basis=basis), "consent.missing", "No consent was given")

    def test_a_legal_basis_the_home_law_does_not_accept_is_refused_with_its_words(self, kg, uow):
        error = refused(kg, uow, transfer(basis="law"), "policy.refused", "The transfer is refused")
        assert "Law No. 58" in error.message
        assert "\n" not in error.message
        assert "Передача запрещена" in error.text.ru

    def test_the_policy_refuses_what_the_home_law_refuses_even_with_consent(self, ru, uow, union):
        # Russian law: Roskomnadzor must be notified before data first goes to a state.
        consent = give(
            uow,
            union,
            subject_state="RU",
            requester_state="KZ",
            requester_organisation="KZ-BIN-071140030713",
        )
        t = transfer(sender="RU", receiver="KZ", consent=consent.token)
        error = refused(ru, uow, t, "policy.refused", "Roskomnadzor")
        assert "Kazakhstan" in error.message
        with uow() as u:
            records.record_notification(u.session, "KZ", reference="RKN-1", at=START)
            u.commit()
        allowed(ru, uow, t)

    def test_a_legal_basis_the_home_law_accepts_needs_no_consent(self, ru, uow):
        with uow() as u:
            records.record_notification(u.session, "KG", reference="RKN-1", at=START)
            records.record_notification(u.session, "KG", reference="RKN-2", at=START)
            u.commit()
        t = transfer(sender="RU", receiver="KG", basis="treaty")
        allowed(ru, uow, t)
        [entry] = entries(uow)
        assert (entry.basis, entry.consent_id, entry.subject_id) == ("treaty", None, None)

    def test_an_unknown_category_is_refused_by_the_policy(self, ru, uow):
        t = transfer(sender="RU", receiver="KG", basis="treaty", categories=("dreams",))
        refused(ru, uow, t, "policy.unknown_category", "cannot be applied")

    def test_every_refusal_is_ledgered_even_though_its_transaction_rolls_back(self, kg, uow, union):
        consent = give(uow, union)
        t = transfer(consent=consent.token, purpose="housing.rental")
        refused(kg, uow, t, "consent.purpose")
        refused(kg, uow, transfer(), "consent.missing")
        first, second = entries(uow)
        assert (first.outcome, first.reason, first.subject_id, first.consent_id) == (
            "refused",
            "consent.purpose",
            PERSON,
            consent.id,
        )
        assert first.detail.startswith("The consent was given for a different purpose")
        assert first.detail_ru.startswith("Согласие дано для другой цели")
        assert (second.reason, second.subject_id, second.consent_id) == (
            "consent.missing",
            None,
            None,
        )
        with uow() as u:
            assert ledger.verify(u.session).count == 2

    def test_a_refusal_is_ledgered_when_the_caller_commits_after_it(self, kg, uow, union):
        consent = give(uow, union)
        with uow() as u:
            u.session.execute(select(ConsentRecordRow.id)).all()
            with pytest.raises(ConsentRefused):
                kg.check(u.session, transfer(consent=consent.token, receiver="KZ"))
            u.commit()
        assert [e.reason for e in entries(uow)] == ["consent.receiver"]


class TestTheGuardOnTheReceivingNode:
    def test_accepts_data_under_a_consent_the_senders_node_signed(self, ru, uow, union):
        token = foreign_token(union)
        t = transfer("in", consent=token)
        allowed(ru, uow, t)
        [entry] = entries(uow)
        assert (entry.direction, entry.counterpart_state, entry.outcome) == ("in", "KG", "allowed")
        assert entry.consent_id == tokens.peek(token).consent_id
        assert entry.subject_id is None

    def test_refuses_a_consent_for_another_receiver(self, ru, uow, union):
        t = transfer("in", consent=foreign_token(union, requester_state="KZ"))
        refused(ru, uow, t, "consent.receiver", "Kazakhstan only")

    def test_refuses_another_purpose(self, ru, uow, union):
        t = transfer("in", consent=foreign_token(union), purpose="travel.verification")
        refused(ru, uow, t, "consent.purpose")

    def test_refuses_categories_beyond_the_consent(self, ru, uow, union):
        t = transfer("in", consent=foreign_token(union), categories=("location",))
        refused(ru, uow, t, "consent.categories", "location data")

    def test_refuses_before_and_after_the_validity(self, ru, uow, union):
        token = foreign_token(union)
        refused(
            ru,
            uow,
            transfer("in", consent=token, at=START - timedelta(seconds=1)),
            "consent.not_yet_valid",
        )
        refused(
            ru, uow, transfer("in", consent=token, at=START + timedelta(days=30)), "consent.expired"
        )

    def test_refuses_a_consent_whose_revocation_it_received(self, ru, uow, union):
        token = foreign_token(union)
        consent_id = tokens.peek(token).consent_id
        with uow() as u:
            received.revoke(u.session, consent_id, issuer_state="KG", revoked_at=START, at=START)
            u.commit()
        refused(ru, uow, transfer("in", consent=token), "consent.revoked", "withdrew")

    def test_a_revocation_from_another_state_does_not_count(self, ru, uow, union):
        token = foreign_token(union)
        consent_id = tokens.peek(token).consent_id
        with uow() as u:
            received.revoke(u.session, consent_id, issuer_state="KZ", revoked_at=START, at=START)
            u.commit()
        allowed(ru, uow, transfer("in", consent=token))

    def test_refuses_a_consent_the_sender_did_not_issue(self, ru, uow, union):
        t = transfer("in", sender="KZ", consent=foreign_token(union))
        refused(ru, uow, t, "consent.issuer", "given in Kyrgyzstan")

    def test_refuses_a_consent_signed_by_another_node_in_the_senders_name(self, ru, uow, union):
        t = transfer("in", consent=foreign_token(union, signer_state="KZ"))
        refused(ru, uow, t, "consent.issuer")

    def test_an_answer_going_back_home_rests_on_the_home_nodes_consent(self, ru, uow, union):
        with uow() as u:
            records.record_notification(u.session, "KG", reference="RKN-1", at=START)
            u.commit()
        t = transfer("out", sender="RU", receiver="KG", consent=foreign_token(union))
        allowed(ru, uow, t)
        t = transfer(
            "out", sender="RU", receiver="KG", consent=foreign_token(union, requester_state="AM")
        )
        refused(ru, uow, t, "consent.receiver")

    def test_an_answer_coming_home_rests_on_a_consent_given_here(self, kg, uow, union):
        consent = give(uow, union, mode=ONE_TIME)
        allowed(kg, uow, transfer("in", sender="RU", receiver="KG", consent=consent.token))
        # Receiving an answer does not use the consent up.
        allowed(kg, uow, transfer(consent=consent.token))


class TestReleaseOnRequest:
    """A person's identity sent abroad through their browser, when they sign in there."""

    def release(self, guard, uow, to):
        with uow() as u:
            guard.release_on_request(
                u.session,
                subject_id="person-1",
                to_state=to,
                purpose="identity.sign_in",
                categories=("identity",),
                reference=str(uuid7()),
                message_type="identity.assertion",
                at=START,
            )
            u.commit()

    def test_is_ledgered_for_the_person_when_the_home_rules_allow_it(self, kg, uow):
        self.release(kg, uow, "RU")
        [entry] = entries(uow)
        assert (entry.subject_id, entry.basis, entry.outcome) == (
            "person-1",
            "own_request",
            "allowed",
        )

    def test_is_refused_when_the_home_rules_refuse_it(self, ru, uow):
        with pytest.raises(ConsentRefused, match="Roskomnadzor") as raised:
            self.release(ru, uow, "KZ")
        assert raised.value.reason == "policy.refused"
        assert entries(uow) == []


class TestAOneTimeConsentRace:
    """Two transfers under one one-time consent, both checked before either is recorded."""

    def test_exactly_one_of_two_racing_transfers_uses_it(self, kg, uow, union):
        consent = give(uow, union, mode=ONE_TIME)
        both_checked = threading.Barrier(2, timeout=30)
        outcomes: list[str] = []

        def send():
            t = transfer(consent=consent.token)
            try:
                with uow() as u:
                    kg.check(u.session, t)
                    both_checked.wait()
                    kg.record(u.session, t)
                    u.commit()
                outcomes.append("sent")
            except ConsentRefused as exc:
                outcomes.append(exc.reason)

        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes) == ["consent.used", "sent"]
        with uow() as u:
            assert records.find(u.session, consent.id).use_count == 1
        assert sorted(e.outcome for e in entries(uow)) == ["allowed", "refused"]
        assert {e.reason for e in entries(uow)} == {None, "consent.used"}

    def test_a_periodic_consent_counts_every_use(self, uow, union):
        consent = give(uow, union, mode=PERIODIC)
        with uow() as u:
            assert records.mark_used(u.session, consent.id, START)
            assert records.mark_used(u.session, consent.id, START)
            u.commit()
            assert records.find(u.session, consent.id).use_count == 2

    def test_a_used_one_time_consent_is_not_counted_again(self, uow, union):
        consent = give(uow, union, mode=ONE_TIME)
        with uow() as u:
            assert records.mark_used(u.session, consent.id, START)
            assert not records.mark_used(u.session, consent.id, START)
            u.commit()
            assert records.find(u.session, consent.id).use_count == 1
