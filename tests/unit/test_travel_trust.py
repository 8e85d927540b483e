"""Travel verifier: whose signers count, imported foreign signers, and the verification service.

A union made in memory, whose member states' health document signers sign real DCC test
certificates; participation in travel comes from the trust list.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from eaeu.services.travel.errors import DscRefused
from eaeu.services.travel.hcert import Holder, LabResult, TestType, issue_test_certificate, kid_of
from eaeu.services.travel.rules import load_entry_rules
from eaeu.services.travel.service import Sources, result_json, verify_certificate
from eaeu.services.travel.trust import (
    external_signer,
    material,
    read_certificates,
    union_signers,
)
from eaeu.services.travel.uvci import make_uvci
from eaeu.services.travel.value_sets import default_value_sets
from eaeu.testing import FrozenClock, memory_union
from eaeu.trust.proposals import Join, Leave
from eaeu.trust.trustlist import accept_successor

START = FrozenClock().now()
NOW = START + timedelta(days=10)
HOLDER = Holder("Иванов", "Иван", "1990-05-17")


@pytest.fixture(scope="module")
def union():
    return memory_union(now=START)


def certificate(union, state, *, test_type=TestType.NAAT, hours_ago=5, uvci=None):
    signer, dsc = union.health_signer(state)
    result = LabResult(
        test_type=test_type,
        sample_collected=NOW - timedelta(hours=hours_ago),
        detected=False,
        country=state,
        issuer=f"Ministry of Health of {state}",
        centre="Central lab",
        device="1232" if test_type is TestType.RAT else None,
    )
    return issue_test_certificate(
        HOLDER,
        result,
        uvci=uvci or make_uvci(state, "0001TEST"),
        signer=signer,
        certificate=dsc,
        issuer_country=state,
        issued_at=NOW - timedelta(hours=1),
    ).text


def sources_of(trust, external=()):
    return Sources(material(trust, external), None, load_entry_rules(), default_value_sets())


def foreign_dsc(country="DE", *, key=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{country} DSC"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(START - timedelta(days=1))
        .not_valid_after(START + timedelta(days=365))
        .sign(key, hashes.SHA256())
    ), key


class TestParticipation:
    def test_accepts_the_health_signers_of_travel_issuers_only(self, union):
        signers, refused = union_signers(union.trust)
        assert sorted({s.country for s in signers}) == ["AM", "BY", "RU"]
        kz = kid_of(union.health_signer("KZ")[1])
        assert kz in refused
        assert all(s.source == "union" and s.types == ["r", "t", "v"] for s in signers)

    def test_a_certificate_issued_in_belarus_is_valid_at_the_russian_border(self, union):
        result = verify_certificate(
            certificate(union, "BY"), sources=sources_of(union.trust), at=NOW, arrival="RU"
        )
        assert result.valid, result.reason
        assert result.stages["rules"] == "pass"
        assert result.stages["revocation"] == "skipped"
        assert result.holder == {"fn": "Иванов", "gn": "Иван", "dob": "1990-05-17"}

    def test_refuses_a_member_state_that_has_not_joined_travel(self, union):
        result = verify_certificate(
            certificate(union, "KZ"), sources=sources_of(union.trust), at=NOW, arrival="RU"
        )
        assert not result.valid
        assert result.reason == "issuer_not_participating"
        assert result.stages["signature"] == "fail"

    def test_accepts_kazakhstan_once_it_joins_and_refuses_belarus_once_it_leaves(self, union):
        joined = union.successor(
            union.trust, Join("KZ", "travel", ("issuer", "verifier")), now=START + timedelta(days=1)
        )
        v2 = accept_successor(union.trust, joined, at=START + timedelta(days=1))
        assert verify_certificate(
            certificate(union, "KZ"), sources=sources_of(v2), at=NOW, arrival="RU"
        ).valid
        left = union.successor(v2, Leave("BY", "travel"), now=START + timedelta(days=2))
        v3 = accept_successor(v2, left, at=START + timedelta(days=2))
        result = verify_certificate(
            certificate(union, "BY"), sources=sources_of(v3), at=NOW, arrival="RU"
        )
        assert result.reason == "issuer_not_participating"

    def test_an_unknown_signer_is_an_unknown_key(self, union):
        dsc, key = foreign_dsc()
        text = issue_test_certificate(
            HOLDER,
            LabResult(
                TestType.NAAT,
                NOW - timedelta(hours=3),
                detected=False,
                country="DE",
                issuer="RKI",
                centre="Lab",
            ),
            uvci=make_uvci("DE", "0002TEST"),
            signer=key,
            certificate=dsc,
            issuer_country="DE",
            issued_at=NOW - timedelta(hours=1),
        ).text
        result = verify_certificate(text, sources=sources_of(union.trust), at=NOW, arrival="RU")
        assert result.reason == "unknown_kid"
        imported = sources_of(union.trust, [external_signer(dsc)])
        assert verify_certificate(text, sources=imported, at=NOW, arrival="RU").valid


class TestEntryRules:
    def test_russia_refuses_a_rapid_antigen_test_that_belarus_accepts(self, union):
        text = certificate(union, "AM", test_type=TestType.RAT)
        sources = sources_of(union.trust)
        refused = verify_certificate(text, sources=sources, at=NOW, arrival="RU")
        assert refused.reason == "rules"
        assert refused.failed_rules == ("TR-RU-0004",)
        assert verify_certificate(text, sources=sources, at=NOW, arrival="BY").valid

    def test_a_pcr_sample_older_than_72_hours_fails_the_rules(self, union):
        text = certificate(union, "BY", hours_ago=80)
        result = verify_certificate(text, sources=sources_of(union.trust), at=NOW, arrival="AM")
        assert result.reason == "rules"
        assert "TR-AM-0003" in result.failed_rules

    def test_without_an_arrival_country_the_rules_are_skipped(self, union):
        text = certificate(union, "BY", hours_ago=80)
        result = verify_certificate(text, sources=sources_of(union.trust), at=NOW)
        assert result.valid
        assert result.stages["rules"] == "skipped"

    def test_the_json_verdict_shows_only_names_and_birth_date(self, union):
        text = certificate(union, "BY")
        sources = sources_of(union.trust)
        result = verify_certificate(text, sources=sources, at=NOW, arrival="RU")
        document = result_json(result, at=NOW, arrival="RU", sources=sources)
        assert document["valid"] is True
        assert document["holder"] == {"fn": "Иванов", "gn": "Иван", "dob": "1990-05-17"}
        assert set(document["stages"]) >= {"prefix", "signature", "revocation", "rules"}
        assert "URN:UVCI" not in json.dumps(document)
        assert "bundle" not in document

    @pytest.mark.parametrize(
        "garbage", ["", "HC1:", "hello", "HC1:%%%%", "HC2:ABC", "HC1:" + "A" * 5000]
    )
    def test_garbage_gets_a_verdict_not_an_exception(self, union, garbage):
        result = verify_certificate(garbage, sources=sources_of(union.trust), at=NOW, arrival="RU")
        assert not result.valid
        assert result.reason in {"prefix", "base45", "zlib"}


class TestExternalSigners:
    def test_reads_a_der_file_whose_last_byte_looks_like_white_space(self):
        # The signature ends the DER; one in about forty ends with a byte strip() removes.
        key = ec.generate_private_key(ec.SECP256R1())
        for _ in range(2000):
            certificate, _ = foreign_dsc("DE", key=key)
            der = certificate.public_bytes(serialization.Encoding.DER)
            if der[-1:].isspace():
                break
        else:
            pytest.fail("no certificate ended with a white-space byte in 2000 tries")
        assert read_certificates(der) == [(certificate, None)]

    def test_reads_pem_der_base64_and_gateway_json(self):
        first, _ = foreign_dsc("DE")
        second, _ = foreign_dsc("FR")
        pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (first, second))
        der = first.public_bytes(serialization.Encoding.DER)
        assert [c for c, _ in read_certificates(pem)] == [first, second]
        assert read_certificates(der) == [(first, None)]
        assert read_certificates(base64.b64encode(der) + b"\n") == [(first, None)]
        gateway = json.dumps(
            [
                {
                    "kid": base64.b64encode(kid_of(first)).decode(),
                    "country": "de",
                    "certificateType": "DSC",
                    "rawData": base64.b64encode(der).decode(),
                },
                {"certificateType": "CSCA", "rawData": "ignored"},
            ]
        ).encode()
        assert read_certificates(gateway) == [(first, "DE")]

    def test_refuses_a_gateway_entry_whose_kid_does_not_match(self):
        first, _ = foreign_dsc("DE")
        der = base64.b64encode(first.public_bytes(serialization.Encoding.DER)).decode()
        entry = {"kid": "AAAAAAAAAAA=", "certificateType": "DSC", "rawData": der}
        with pytest.raises(DscRefused, match="kid does not match") as caught:
            read_certificates(json.dumps([entry]).encode())
        assert caught.value.reason == "travel.dsc.kid"

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "PEM"),
            (b"{not json", "not valid JSON"),
            (b'{"dscs": 5}', "no list"),
            (b"[5]", "not an object"),
            (b'[{"certificateType": "DSC"}]', "no rawData"),
            (b'[{"rawData": "%%%"}]', "not base64"),
            (b"\x30\x03\x02\x01\x01", "no readable certificate"),
            (b"not a certificate at all", "neither PEM"),
            (b"   ", "holds no certificate"),
        ],
    )
    def test_refuses_unreadable_files(self, data, message):
        with pytest.raises(DscRefused, match=message):
            read_certificates(data)

    def test_a_member_state_signer_cannot_be_imported_as_foreign(self, union):
        with pytest.raises(DscRefused, match="member state") as caught:
            external_signer(union.health_signer("KZ")[1])
        assert caught.value.reason == "travel.dsc.member_state"

    def test_a_signer_needs_a_country(self):
        dsc, _ = foreign_dsc()
        no_country = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nameless")])
        key = ec.generate_private_key(ec.SECP256R1())
        nameless = (
            x509.CertificateBuilder()
            .subject_name(no_country)
            .issuer_name(no_country)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(START)
            .not_valid_after(START + timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        with pytest.raises(DscRefused, match="no country"):
            external_signer(nameless)
        assert external_signer(nameless, "ch").country == "CH"
        assert external_signer(dsc).country == "DE"

    def test_a_key_no_dcc_can_be_signed_with_is_refused(self):
        key = ec.generate_private_key(ec.SECP384R1())
        dsc, _ = foreign_dsc("DE", key=key)
        with pytest.raises(DscRefused, match="P-256") as caught:
            external_signer(dsc)
        assert caught.value.reason == "travel.dsc.key"
