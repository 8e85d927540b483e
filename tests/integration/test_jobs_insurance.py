"""Medical insurance across two nodes: a Russian insurer's products, a Kyrgyz worker buys one.

The catalogue is asked from the Russian node; buying goes under a consent the person gives
after the preview; the policy comes back signed by the Russian node, verifies through the
union trust list, is refused once altered, and satisfies the checklist's health-cover item.
Both nodes run on each engine.
"""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta

import pytest
from jobs_move_support import (
    AIGUL,
    MOVER,
    PERSON,
    START,
    TODAY,
    contract,
    nodes,
    second_database,
)

from eaeu.consent import ledger
from eaeu.consent.errors import ConsentRefused
from eaeu.exchange.errors import MessageRefused
from eaeu.services.jobs import attestations
from eaeu.services.jobs.insurance import NewProduct, Product
from eaeu.services.jobs.move_errors import (
    AttestationRefused,
    HeldNotFound,
    PeerNotAnswering,
    PolicyRefused,
    ProductInvalid,
    ProductNotFound,
)
from eaeu.testing import FrozenClock, memory_union

INSURER_OGRN = "1037739013234"


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


def worker_cover(**changes):
    values = {
        "name_en": "Worker's health cover",
        "name_ru": "ДМС для работника",
        "coverage_en": "Outpatient and inpatient care.",
        "coverage_ru": "Амбулаторная и стационарная помощь.",
        "covers": "worker",
        "price_month": 1500,
        "currency": "RUB",
        "min_months": 1,
        "max_months": 12,
    }
    values.update(changes)
    return NewProduct(**values)


@pytest.fixture
def insurer(ru):
    return ru.organisation("insurer", INSURER_OGRN, "АО «Надёжность»")


@pytest.fixture
def product(ru, insurer):
    return ru.insurance.publish(insurer, worker_cover())


def buy(kg, product, *, months=3, starts=None, consent="give"):
    token = kg.consent(kg.insurance.consent_request(product)) if consent == "give" else consent
    return kg.insurance.buy(
        MOVER, product, starts=starts or TODAY + timedelta(days=20), months=months, consent=token
    )


class TestTheInsurersCatalogue:
    def test_a_published_product_is_listed_to_a_worker_on_their_home_node(self, kg, product):
        [listed] = kg.insurance.products("RU")
        assert listed == product
        assert listed.insurer_ref == f"RU-OGRN-{INSURER_OGRN}"
        assert kg.insurance.product("RU", product.id).price_month == 1500

    def test_a_withdrawn_product_is_no_longer_listed(self, kg, ru, product, insurer):
        ru.insurance.withdraw(product.id, insurer_org_id=insurer.id)
        assert kg.insurance.products("RU") == []
        with pytest.raises(ProductNotFound):
            kg.insurance.product("RU", product.id)

    def test_only_the_insurer_withdraws_its_product(self, ru, product):
        with pytest.raises(ProductNotFound):
            ru.insurance.withdraw(product.id, insurer_org_id="someone-else")

    def test_refuses_a_product_that_breaks_the_rules_naming_every_field(self, ru, insurer):
        bad = worker_cover(price_month=0, currency="KZT", covers="pets", min_months=6, max_months=2)
        with pytest.raises(ProductInvalid) as raised:
            ru.insurance.publish(insurer, bad)
        assert set(raised.value.problems) == {"price_month", "currency", "covers", "max_months"}

    @pytest.mark.usefixtures("product")
    def test_a_node_that_does_not_answer_is_named(self, kg, ru):
        kg.exchange.transport.down.add(ru.exchange.trust.current().endpoint("RU"))
        with pytest.raises(PeerNotAnswering, match="The Russia node is not answering"):
            kg.insurance.products("RU")


class TestBuyingAPolicy:
    def test_the_policy_is_signed_by_the_destinations_node_and_kept_at_home(self, kg, ru, product):
        held = buy(kg, product)
        claims = attestations.verify(held.document, attestations.POLICY, kg.ctx.trust())
        assert claims["iss"] == "RU"
        assert claims["holder"] == AIGUL.to_json()
        assert claims["insurer"]["ref"] == product.insurer_ref
        assert (held.starts, held.ends) == (date(2026, 3, 22), date(2026, 6, 21))
        assert held.premium == 4500
        assert kg.insurance.held(PERSON) == [held]
        assert kg.insurance.held_policy(PERSON, held.id).document == held.document
        [issued] = ru.insurance.issued_by(product.insurer_ref)
        assert (issued.id, issued.holder, issued.holder_state) == (held.id, AIGUL, "KG")

    def test_an_altered_policy_is_refused(self, kg, product):
        held = buy(kg, product)
        header, payload, signature = held.document.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["ends"] = "2030-12-31"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        with pytest.raises(AttestationRefused) as raised:
            kg.insurance.verify(f"{header}.{forged}.{signature}")
        assert raised.value.reason == "jobs.attestation_signature"
        with pytest.raises(AttestationRefused, match="not a signed document"):
            kg.insurance.verify("not-a-policy")

    def test_a_policy_signed_by_another_state_than_it_names_is_refused(self, kg, union):
        fake = attestations.sign(
            attestations.POLICY,
            {"jti": "x"},
            union.node_signer("KG"),
            issuer="RU",
            at=START,
        )
        with pytest.raises(AttestationRefused) as raised:
            kg.insurance.verify(fake)
        assert raised.value.reason == "jobs.attestation_issuer"

    def test_nothing_is_sent_without_a_consent(self, kg, ru, product):
        with pytest.raises(ConsentRefused) as raised:
            buy(kg, product, consent=None)
        assert raised.value.reason == "consent.missing"
        assert ru.insurance.issued_by(product.insurer_ref) == []

    def test_a_consent_for_another_organisation_is_refused_by_the_destination(
        self, kg, ru, product
    ):
        elsewhere = Product(**{**product.to_json(), "insurer_ref": "RU-OGRN-1027700013230"})
        token = kg.consent(kg.insurance.consent_request(elsewhere))
        with pytest.raises(MessageRefused) as raised:
            buy(kg, product, consent=token)
        assert raised.value.reason == "jobs.consent_receiver"
        assert ru.insurance.issued_by(product.insurer_ref) == []

    def test_a_term_the_product_does_not_offer_is_refused(self, kg, product):
        with pytest.raises(MessageRefused) as raised:
            buy(kg, product, months=18)
        assert raised.value.reason == "jobs.policy_term"
        with pytest.raises(PolicyRefused):
            buy(kg, product, months=40)

    def test_a_start_in_the_past_is_refused(self, kg, product):
        with pytest.raises(MessageRefused) as raised:
            buy(kg, product, starts=TODAY - timedelta(days=1))
        assert raised.value.reason == "jobs.policy_start"

    def test_the_transfer_appears_in_the_persons_my_data(self, kg, product):
        buy(kg, product)
        with kg.uow() as uow:
            entries = ledger.for_subject(uow.session, PERSON)
        sent = [e for e in entries if e.message_type == "jobs.insurance.buy"]
        assert [(e.direction, e.outcome, e.counterpart_state, e.purpose) for e in sent] == [
            ("out", "allowed", "RU", "insurance.policy")
        ]

    def test_another_persons_policy_is_not_found(self, kg, product):
        held = buy(kg, product)
        with pytest.raises(HeldNotFound):
            kg.insurance.held_policy("someone-else", held.id)


class TestTheChecklistItem:
    def test_a_policy_covering_the_entry_date_completes_health_cover(self, kg, product):
        kg.contracts[PERSON] = [contract()]

        def cover():
            checklist = kg.checklists.for_person(
                PERSON, "KG", "RU", entry=TODAY + timedelta(days=25)
            )
            return next(i for i in checklist.items if i.rule.id == "ru.health.cover")

        assert (cover().status, cover().action) == ("todo", "insurance")
        buy(kg, product)
        assert cover().status == "done"
