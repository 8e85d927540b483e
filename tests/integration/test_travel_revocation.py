"""Revocation of travel certificates: made by the issuer, replicated over the exchange.

Loopback nodes of a union made in memory (BY on each database engine): the Belarusian
operator revokes a certificate by UVCI, the change goes through the outbox to every travel
node, and their verifiers show it as revoked; an un-revocation follows the same path.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from eaeu.exchange.errors import MessageRefused
from eaeu.services.travel import revocation
from eaeu.services.travel.errors import RevocationRefused
from eaeu.services.travel.hcert import Holder, LabResult, TestType, issue_test_certificate
from eaeu.services.travel.revocation import PUBLISHED, Revocations, uci_hash
from eaeu.services.travel.service import NodeVerifier
from eaeu.services.travel.uvci import make_uvci
from eaeu.services.travel.verifier_orm import RevocationRow

UVCI = make_uvci("BY", "0001REVOKE")


@pytest.fixture
def nodes(make_node, union, database_url):
    trust = lambda: union.trust  # noqa: E731 - the union's one version
    handlers = revocation.handlers(trust)
    made = {
        "BY": make_node("BY", url=database_url, handlers=handlers),
        "RU": make_node("RU", handlers=handlers),
        "AM": make_node("AM", handlers=handlers),
        "KZ": make_node("KZ", handlers=handlers),
    }
    services = {
        state: Revocations(uow=node.uow, clock=node.clock, state=state, trust=trust, exchange=node)
        for state, node in made.items()
    }
    return made, services


def verifier(union, node, revocations):
    return NodeVerifier(
        trust=lambda: union.trust,
        clock=node.clock,
        uow=node.uow,
        revocations=revocations,
        state=node.state,
    )


@pytest.fixture
def text(union, clock):
    signer, dsc = union.health_signer("BY")
    return issue_test_certificate(
        Holder("Бондар", "Віктар", "1982-04-18"),
        LabResult(
            TestType.NAAT,
            clock.now() - timedelta(hours=3),
            detected=False,
            country="BY",
            issuer="MoH",
            centre="Lab",
        ),
        uvci=UVCI,
        signer=signer,
        certificate=dsc,
        issuer_country="BY",
        issued_at=clock.now() - timedelta(hours=1),
    ).text


def deliver(node):
    return node.deliver_due("test")


class TestRevocation:
    def test_reaches_every_travel_node_and_is_withdrawn_the_same_way(self, union, nodes, text):
        made, services = nodes
        ru = verifier(union, made["RU"], services["RU"])
        assert ru.verify_certificate(text).valid

        entry = services["BY"].set_revoked(UVCI)
        assert entry.revoked
        assert entry.sequence == 1
        assert entry.uci_hash == uci_hash(UVCI).hex()
        # Only the travel participants are told: AM and RU, not KZ.
        assert deliver(made["BY"]) == 2
        result = ru.verify_certificate(text)
        assert not result.valid
        assert result.reason == "revoked"
        assert verifier(union, made["AM"], services["AM"]).verify_certificate(text).reason == (
            "revoked"
        )
        assert verifier(union, made["BY"], services["BY"]).verify_certificate(text).reason == (
            "revoked"
        )

        withdrawn = services["BY"].set_revoked(UVCI.lower(), revoked=False)
        assert (withdrawn.revoked, withdrawn.sequence) == (False, 2)
        assert deliver(made["BY"]) == 2
        assert ru.verify_certificate(text).valid
        assert services["RU"].status(UVCI).sequence == 2

    def test_a_repeated_request_makes_no_new_change(self, nodes):
        _, services = nodes
        first = services["BY"].set_revoked(UVCI)
        assert services["BY"].set_revoked(UVCI) == first

    def test_replicas_never_hold_the_uvci(self, nodes):
        made, services = nodes
        services["BY"].set_revoked(UVCI)
        deliver(made["BY"])
        with made["RU"].uow() as uow:
            row = uow.session.scalars(select(RevocationRow)).one()
            assert (row.uvci, row.issuer) == (None, "BY")
        assert services["BY"].entries()[0].uvci == UVCI

    def test_an_older_change_arriving_late_is_ignored(self, nodes):
        made, services = nodes
        services["BY"].set_revoked(UVCI)
        services["BY"].set_revoked(UVCI, revoked=False)
        # Deliver the newer change first: the outbox sends in order, so reorder by hand.
        newer = {
            "issuer": "BY",
            "hash_type": "UCI",
            "entries": [services["BY"].entries()[0].to_json()],
        }
        older = {**newer, "entries": [{**newer["entries"][0], "revoked": True, "sequence": 1}]}
        with made["BY"].uow() as uow:
            made["BY"].enqueue(uow.session, "RU", "travel", PUBLISHED, newer)
            made["BY"].enqueue(uow.session, "RU", "travel", PUBLISHED, older)
            uow.commit()
        for _ in range(3):
            deliver(made["BY"])
        assert services["RU"].status(UVCI).revoked is False
        assert services["RU"].revoked_prefixes() == []

    def test_a_node_cannot_revoke_another_states_certificate(self, nodes):
        _, services = nodes
        with pytest.raises(RevocationRefused, match="only BY") as caught:
            services["RU"].set_revoked(UVCI)
        assert caught.value.reason == "travel.revocation.not_issuer"

    def test_a_state_outside_travel_cannot_revoke(self, nodes):
        _, services = nodes
        with pytest.raises(RevocationRefused, match="does not issue") as caught:
            services["KZ"].set_revoked(make_uvci("KZ", "0001"))
        assert caught.value.reason == "travel.revocation.not_participating"

    @pytest.mark.parametrize("uvci", ["", "not a uvci", "URN:UVCI:01:BY:0001REVOKE#Z"])
    def test_refuses_what_is_not_a_uvci(self, nodes, uvci):
        _, services = nodes
        with pytest.raises(RevocationRefused, match="not a certificate identifier"):
            services["BY"].set_revoked(uvci)

    def test_cannot_withdraw_what_was_never_revoked(self, nodes):
        _, services = nodes
        with pytest.raises(RevocationRefused, match="not revoked"):
            services["BY"].set_revoked(UVCI, revoked=False)

    def test_a_node_refuses_revocations_of_another_issuers_certificates(self, nodes):
        made, services = nodes
        forged = {
            "issuer": "BY",
            "hash_type": "UCI",
            "entries": [
                {
                    "hash": uci_hash(UVCI).hex(),
                    "revoked": True,
                    "sequence": 1,
                    "changed_at": "2026-01-02T00:00:00+00:00",
                }
            ],
        }
        with pytest.raises(MessageRefused, match="RU cannot revoke BY") as caught:
            made["RU"].request("AM", "travel", PUBLISHED, forged)
        assert caught.value.reason == "travel.revocation.not_issuer"
        assert services["AM"].revoked_prefixes() == []

    @pytest.mark.parametrize(
        "payload",
        [
            None,
            {"issuer": "RU", "hash_type": "SIGNATURE", "entries": []},
            {"issuer": "RU", "hash_type": "UCI", "entries": "x"},
            {"issuer": "RU", "hash_type": "UCI", "entries": [{"hash": "ab"}]},
            {
                "issuer": "RU",
                "hash_type": "UCI",
                "entries": [
                    {"hash": "g" * 64, "revoked": True, "sequence": 1, "changed_at": "2026-01-01"}
                ],
            },
        ],
    )
    def test_a_malformed_list_is_refused(self, nodes, payload):
        made, _ = nodes
        with pytest.raises(MessageRefused) as caught:
            made["RU"].request("AM", "travel", PUBLISHED, payload)
        assert caught.value.reason == "travel.revocation.malformed"
