"""The offline verification bundle: signed by a node, checked against the trust list or a
pinned certificate, refused when tampered with, and reported when stale."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from eaeu.services.travel.bundle import build_bundle, parse_json, read_bundle
from eaeu.services.travel.errors import BundleRejected
from eaeu.services.travel.hcert import Holder, LabResult, TestType, issue_test_certificate
from eaeu.services.travel.revocation import uci_hash
from eaeu.services.travel.rules import load_entry_rules
from eaeu.services.travel.service import result_json, verify_certificate
from eaeu.services.travel.trust import material
from eaeu.services.travel.uvci import make_uvci
from eaeu.services.travel.value_sets import default_value_sets
from eaeu.testing import FrozenClock, memory_union
from eaeu.trust.encoding import b64url, b64url_decode

START = FrozenClock().now()
NOW = START + timedelta(days=10)
UVCI = make_uvci("BY", "0001BUNDLE")


@pytest.fixture(scope="module")
def union():
    return memory_union(now=START)


@pytest.fixture(scope="module")
def text(union):
    signer, dsc = union.health_signer("BY")
    return issue_test_certificate(
        Holder("Kavaliova", "Maryna", "1993-09-09"),
        LabResult(
            TestType.NAAT,
            NOW - timedelta(hours=4),
            detected=False,
            country="BY",
            issuer="MoH BY",
            centre="Lab",
        ),
        uvci=UVCI,
        signer=signer,
        certificate=dsc,
        issuer_country="BY",
        issued_at=NOW - timedelta(hours=2),
    ).text


def make(union, *, state="RU", revoked=(), now=NOW, max_age=timedelta(hours=24)):
    return build_bundle(
        state=state,
        signer=union.node_signer(state),
        trust=union.trust,
        material=material(union.trust),
        revoked=list(revoked),
        rules=load_entry_rules(),
        value_sets=default_value_sets(),
        now=now,
        max_age=max_age,
    )


def tamper(document, change):
    payload = json.loads(b64url_decode(document["payload"]))
    change(payload)
    return {**document, "payload": b64url(json.dumps(payload).encode())}


class TestBundle:
    def test_a_fresh_bundle_verifies_a_certificate_offline(self, union, text):
        bundle = read_bundle(make(union), trust=union.trust)
        assert bundle.issuer == "RU"
        assert bundle.valid_until == bundle.issued_at + timedelta(hours=24)
        assert {s.country for s in bundle.material.signers} == {"AM", "BY", "RU"}
        assert bundle.trust_list_version == 1
        result = verify_certificate(text, sources=bundle.sources(), at=NOW, arrival="RU")
        assert result.valid, result.reason
        assert result.stages["revocation"] == "pass"
        document = result_json(result, at=NOW, arrival="RU", sources=bundle.sources())
        assert document["bundle"]["issuer"] == "RU"
        assert document["bundle"]["stale"] is False

    def test_a_revocation_in_the_bundle_makes_the_certificate_revoked(self, union, text):
        bundle = read_bundle(make(union, revoked=[uci_hash(UVCI)]), trust=union.trust)
        result = verify_certificate(text, sources=bundle.sources(), at=NOW, arrival="RU")
        assert result.reason == "revoked"

    def test_a_stale_bundle_is_reported_not_trusted(self, union, text):
        bundle = read_bundle(make(union, max_age=timedelta(hours=1)), trust=union.trust)
        later = NOW + timedelta(hours=1)
        assert bundle.is_stale(later)
        result = verify_certificate(text, sources=bundle.sources(), at=later, arrival="RU")
        assert not result.valid
        assert result.reason == "bundle_stale"
        assert result_json(result, at=later, arrival="RU", sources=bundle.sources())["bundle"][
            "stale"
        ]

    def test_a_bundle_from_the_future_is_reported(self, union, text):
        bundle = read_bundle(make(union, now=NOW + timedelta(hours=2)), trust=union.trust)
        result = verify_certificate(text, sources=bundle.sources(), at=NOW, arrival="RU")
        assert result.reason == "bundle_not_yet_valid"

    def test_a_pinned_node_certificate_verifies_the_bundle_without_a_trust_list(self, union, text):
        pinned = union.trust.member("RU").node.signing_certificate
        bundle = read_bundle(make(union), signer_certificate=pinned)
        assert verify_certificate(text, sources=bundle.sources(), at=NOW, arrival="RU").valid
        other = union.trust.member("BY").node.signing_certificate
        with pytest.raises(BundleRejected, match="does not verify") as caught:
            read_bundle(make(union), signer_certificate=other)
        assert caught.value.reason == "travel.bundle.signature"

    @pytest.mark.parametrize(
        "change",
        [
            lambda p: p["revocations"]["hashes"].clear(),
            lambda p: p.update(valid_until="2099-01-01T00:00:00Z"),
            lambda p: p["dscs"].pop(),
        ],
        ids=["revocations removed", "age extended", "signer removed"],
    )
    def test_a_tampered_bundle_is_refused(self, union, change):
        document = make(union, revoked=[uci_hash(UVCI)])
        with pytest.raises(BundleRejected, match="does not verify") as caught:
            read_bundle(tamper(document, change), trust=union.trust)
        assert caught.value.reason == "travel.bundle.signature"

    def test_a_bundle_signed_by_a_node_outside_travel_is_refused(self, union):
        with pytest.raises(BundleRejected, match="travel service") as caught:
            read_bundle(make(union, state="KZ"), trust=union.trust)
        assert caught.value.reason == "travel.bundle.signer"

    def test_a_bundle_naming_another_issuer_than_its_signer_is_refused(self, union):
        document = build_bundle(
            state="BY",
            signer=union.node_signer("RU"),
            trust=union.trust,
            material=material(union.trust),
            revoked=[],
            rules=load_entry_rules(),
            value_sets={},
            now=NOW,
        )
        with pytest.raises(BundleRejected) as caught:
            read_bundle(document, trust=union.trust)
        assert caught.value.reason == "travel.bundle.signer"

    def test_a_signature_by_an_unknown_key_is_refused(self, union):
        document = make(union)
        header = json.loads(b64url_decode(document["protected"]))
        header["kid"] = "unknown"
        forged = {**document, "protected": b64url(json.dumps(header).encode())}
        with pytest.raises(BundleRejected) as caught:
            read_bundle(forged, trust=union.trust)
        assert caught.value.reason == "travel.bundle.signer"

    @pytest.mark.parametrize(
        "document",
        [None, [], {}, {"payload": 5}, {"payload": "e30", "protected": "e30", "signature": "AA"}],
    )
    def test_garbage_is_not_a_bundle(self, union, document):
        with pytest.raises(BundleRejected):
            read_bundle(document, trust=union.trust)

    def test_parse_json_refuses_what_is_not_json(self):
        with pytest.raises(BundleRejected, match="not JSON"):
            parse_json(b"\x00garbage")

    def test_needs_a_trust_list_or_a_pinned_certificate(self, union):
        with pytest.raises(ValueError, match="trust list or a pinned"):
            read_bundle(make(union))

    def test_hashes_are_the_first_128_bits_of_the_uvci_hash(self, union):
        payload = json.loads(b64url_decode(make(union, revoked=[uci_hash(UVCI)])["payload"]))
        assert payload["revocations"]["hashes"] == [base64.b64encode(uci_hash(UVCI)[:16]).decode()]
        assert payload["max_age_s"] == 86400
        assert payload["refused_kids"]
