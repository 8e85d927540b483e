"""EU DCC test certificates: issuing, and verifying stage by stage.

The negatives the conformance corpus lists without data (BasicDgcTestsList CO4, CO24 to CO27,
DGC7, DGC8) are crafted here, next to the positives and the input hardening.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from eaeu.kernel.errors import PlatformError
from eaeu.services.travel.base45 import b45decode, b45encode
from eaeu.services.travel.errors import CertificateRejected, HcertError, SchemaViolation
from eaeu.services.travel.hcert import (
    DEFAULT_LIMITS,
    Holder,
    LabResult,
    Limits,
    TestType,
    decode,
    decode_claims,
    icao_name,
    index_certificates,
    issue_test_certificate,
    kid_of,
    parse_cose,
)
from eaeu.services.travel.uvci import make_uvci, validate_uvci
from eaeu.services.travel.verifier import STAGES, RevocationKeys, RuleContext, verify
from eaeu.trust.keys import EcSigner

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EKU_TEST = "1.3.6.1.4.1.1847.2021.1.1"
EKU_VACCINATION = "1.3.6.1.4.1.1847.2021.1.2"


def make_dsc(
    key: Any,
    *,
    ekus: tuple[str, ...] = (),
    not_before: datetime = NOW - timedelta(days=30),
    not_after: datetime = NOW + timedelta(days=365),
    name: str = "AM Health DSC",
) -> x509.Certificate:
    """A document signer certificate for ``key``, signed by a throwaway CSCA."""
    csca = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "AM"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AM CSCA")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ekus:
        usage = x509.ExtendedKeyUsage([x509.ObjectIdentifier(oid) for oid in ekus])
        builder = builder.add_extension(usage, critical=False)
    return builder.sign(csca, hashes.SHA256())


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def dsc(ec_key) -> x509.Certificate:
    return make_dsc(ec_key, ekus=(EKU_TEST,))


HOLDER = Holder(family_name="Սարգսյան", given_name="Արամ", date_of_birth="1990-04-12")


def lab(**changes: Any) -> LabResult:
    values: dict[str, Any] = {
        "test_type": TestType.NAAT,
        "sample_collected": NOW - timedelta(hours=20),
        "detected": False,
        "country": "AM",
        "issuer": "Ministry of Health of Armenia",
        "centre": "Yerevan Central Laboratory",
    }
    return LabResult(**(values | changes))


def issue(key, certificate, *, holder=HOLDER, test=None, issued_at=NOW - timedelta(hours=2)):
    return issue_test_certificate(
        holder,
        test or lab(),
        uvci=make_uvci("AM", "TESTLAB2026000042"),
        signer=key,
        certificate=certificate,
        issuer_country="AM",
        issued_at=issued_at,
    )


def check(text: str, certificate: x509.Certificate, **options: Any):
    return verify(text, certificates=index_certificates([certificate]), at=NOW, **options)


def es256(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def claims_for(dcc: dict[str, Any], *, iat: Any = None, exp: Any = None) -> dict[int, Any]:
    issued = int((NOW - timedelta(hours=1)).timestamp())
    return {
        1: "AM",
        6: issued if iat is None else iat,
        4: issued + 86400 if exp is None else exp,
        -260: {1: dcc},
    }


def craft(
    key: Any,
    certificate: x509.Certificate,
    *,
    claims: dict[int, Any] | None = None,
    protected: dict[int, Any] | None = None,
    unprotected: dict[int, Any] | None = None,
    sign: Callable[[bytes], bytes] | None = None,
    wrap: Callable[[list[Any]], Any] = lambda m: cbor2.CBORTag(18, m),
    payload: bytes | None = None,
) -> str:
    """An HC1 text built by hand, to reach every corner of the verifier."""
    if claims is None:
        dcc = decode_claims(decode(issue(key, certificate).text).payload).dcc
        claims = claims_for(dcc)
    header = {1: -7, 4: kid_of(certificate)} if protected is None else protected
    protected_bytes = cbor2.dumps(header) if header else b""
    body = cbor2.dumps(claims) if payload is None else payload
    signer = sign or (lambda data: es256(key, data))
    signature = signer(sig_structure(protected_bytes, body))
    message = [protected_bytes, unprotected or {}, body, signature]
    return "HC1:" + b45encode(zlib.compress(cbor2.dumps(wrap(message)), 9))


def a_test_dcc(key, certificate, **entry: Any) -> dict[str, Any]:
    dcc = decode_claims(decode(issue(key, certificate).text).payload).dcc
    dcc["t"][0].update(entry)
    return dcc


class TestIssuing:
    def test_writes_a_cwt_with_integer_times_and_the_dcc(self, ec_key, dsc):
        issued = issue(ec_key, dsc)
        cose = decode(issued.text)
        claims = cbor2.loads(cose.payload)
        assert claims[1] == "AM"
        assert type(claims[6]) is int
        assert type(claims[4]) is int
        assert claims[4] - claims[6] == 3 * 86400
        assert claims[-260][1] == issued.payload

    def test_protects_es256_and_the_kid_of_the_dsc(self, ec_key, dsc):
        cose = decode(issue(ec_key, dsc).text)
        der = dsc.public_bytes(serialization.Encoding.DER)
        assert cose.protected_header == {1: -7, 4: hashlib.sha256(der).digest()[:8]}
        assert cose.unprotected_header == {}
        assert len(cose.signature) == 64

    def test_tags_the_message_18_and_compresses_at_level_9(self, ec_key, dsc):
        text = issue(ec_key, dsc).text
        assert text.startswith("HC1:")
        raw = b45decode(text[4:])
        assert raw[:2] == b"\x78\xda"  # zlib header of level 9
        assert zlib.decompress(raw)[:1] == b"\xd2"  # CBOR tag 18

    def test_writes_a_naat_test_entry(self, ec_key, dsc):
        payload = issue(ec_key, dsc).payload
        entry = payload["t"][0]
        assert payload["ver"] == "1.3.0"
        assert entry["tg"] == "840539006"
        assert entry["tt"] == "LP6464-4"
        assert entry["tr"] == "260415000"
        assert entry["sc"] == "2026-02-28T16:00:00Z"
        assert "ma" not in entry
        validate_uvci(entry["ci"])

    def test_writes_a_rat_entry_with_its_device(self, ec_key, dsc):
        test = lab(test_type=TestType.RAT, device="1232")
        entry = issue(ec_key, dsc, test=test).payload["t"][0]
        assert (entry["tt"], entry["ma"]) == ("LP217198-3", "1232")

    def test_refuses_a_rat_without_device(self, ec_key, dsc):
        with pytest.raises(HcertError, match="device") as caught:
            issue(ec_key, dsc, test=lab(test_type=TestType.RAT))
        assert caught.value.reason == "hcert.schema"

    def test_transliterates_names_for_the_machine_readable_zone(self, ec_key, dsc):
        nam = issue(ec_key, dsc).payload["nam"]
        assert nam == {"fn": "Սարգսյան", "gn": "Արամ", "fnt": "SARGSYAN", "gnt": "ARAM"}
        assert icao_name("Анна-Мария Петрова") == "ANNA<MARIIA<PETROVA"

    def test_refuses_a_payload_that_breaks_the_schema(self, ec_key, dsc):
        holder = Holder(family_name="X", given_name="Y", date_of_birth="12.04.1990")
        with pytest.raises(SchemaViolation, match="dob"):
            issue(ec_key, dsc, holder=holder)

    def test_refuses_a_key_that_is_not_the_certificates(self, dsc):
        other = ec.generate_private_key(ec.SECP256R1())
        with pytest.raises(HcertError, match="does not match"):
            issue(other, dsc)

    def test_refuses_a_p384_key(self):
        key = ec.generate_private_key(ec.SECP384R1())
        with pytest.raises(HcertError, match="P-256") as caught:
            issue(key, make_dsc(key))
        assert caught.value.reason == "hcert.alg_not_allowed"

    def test_refuses_a_short_rsa_key(self):
        key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
        with pytest.raises(HcertError, match="2048"):
            issue(key, make_dsc(key))

    def test_signs_with_the_platform_ec_signer(self, ec_key, dsc):
        issued = issue(EcSigner(ec_key), dsc)
        assert check(issued.text, dsc).valid

    def test_signs_ps256_with_an_rsa_key(self, rsa_key):
        certificate = make_dsc(rsa_key)
        cose = decode(issue(rsa_key, certificate).text)
        assert cose.alg == -37
        assert check(issue(rsa_key, certificate).text, certificate).valid


class TestVerifying:
    def test_accepts_a_certificate_it_issued(self, ec_key, dsc):
        issued = issue(ec_key, dsc)
        result = check(issued.text, dsc)
        assert result.valid
        assert result.reason is None
        assert result.stages == dict.fromkeys(STAGES, "pass") | {
            "revocation": "skipped",
            "rules": "skipped",
        }
        assert result.holder == {"fn": "Սարգսյան", "gn": "Արամ", "dob": "1990-04-12"}
        assert result.group == "t"
        assert result.kid == kid_of(dsc)
        assert result.issuer == "AM"
        assert result.issued_at == issued.issued_at
        assert result.expires_at == issued.expires_at
        assert result.payload == issued.payload
        result.ensure_valid()

    def test_ensure_valid_raises_with_the_reason(self, dsc):
        result = check("HC2:ABC", dsc)
        with pytest.raises(CertificateRejected, match="not an HC1") as caught:
            result.ensure_valid()
        assert caught.value.reason == "hcert.prefix"
        assert isinstance(caught.value, PlatformError)

    @pytest.mark.parametrize(
        ("text", "stage", "reason"),
        [
            ("HC2:NCFOZ5", "prefix", "prefix"),
            ("NCFOZ5", "prefix", "prefix"),
            ("HC1:abc", "base45", "base45"),
            ("HC1:" + b45encode(b"not zlib"), "zlib", "zlib"),
            ("HC1:" + b45encode(zlib.compress(b"\xff\xff")), "cose", "cose_structure"),
            ("HC1:" + b45encode(zlib.compress(cbor2.dumps([1, 2]))), "cose", "cose_structure"),
        ],
    )
    def test_stops_at_the_first_broken_encoding_stage(self, dsc, text, stage, reason):
        result = check(text, dsc)
        assert (result.valid, result.reason, result.stages[stage]) == (False, reason, "fail")
        later = STAGES[STAGES.index(stage) + 1 :]
        assert all(result.stages[s] == "skipped" for s in later)
        assert result.payload is None
        assert result.holder is None

    def test_refuses_an_uncompressed_cose_message(self, ec_key, dsc):
        raw = zlib.decompress(b45decode(issue(ec_key, dsc).text[4:]))
        assert check("HC1:" + b45encode(raw), dsc).reason == "zlib"

    def test_refuses_a_wrong_signature(self, ec_key, dsc):
        text = craft(ec_key, dsc, sign=lambda data: es256(ec_key, data + b"x"))
        result = check(text, dsc)
        assert (result.reason, result.stages["signature"]) == ("signature", "fail")
        assert result.payload is None
        assert result.stages["cbor"] == "skipped"

    def test_refuses_an_unknown_kid(self, ec_key, dsc):
        other = make_dsc(ec_key, name="other")
        assert check(issue(ec_key, dsc).text, other).reason == "unknown_kid"

    def test_tries_every_certificate_that_shares_the_kid(self, ec_key, dsc):
        impostor = make_dsc(ec.generate_private_key(ec.SECP256R1()))
        store = {kid_of(dsc): [impostor, dsc]}
        result = verify(issue(ec_key, dsc).text, certificates=store, at=NOW)
        assert result.valid

    def test_reads_the_kid_from_the_unprotected_header(self, ec_key, dsc):
        text = craft(ec_key, dsc, protected={1: -7}, unprotected={4: kid_of(dsc)})
        assert check(text, dsc).valid

    def test_prefers_the_protected_kid_over_the_unprotected_one(self, ec_key, dsc):
        # CO22: a wrong protected kid is not rescued by a right unprotected one.
        wrong = b"\x00" * 8
        text = craft(ec_key, dsc, protected={1: -7, 4: wrong}, unprotected={4: kid_of(dsc)})
        assert check(text, dsc).reason == "unknown_kid"
        # CO21: the other way round is valid.
        text = craft(ec_key, dsc, protected={1: -7, 4: kid_of(dsc)}, unprotected={4: wrong})
        assert check(text, dsc).valid

    @pytest.mark.parametrize("kid_length", [0, 7, 9, 32])
    def test_refuses_a_kid_that_is_not_8_bytes(self, ec_key, dsc, kid_length):
        # CO25, CO26.
        kid = kid_of(dsc)[:kid_length] + b"\x01" * max(0, kid_length - 8)
        text = craft(ec_key, dsc, protected={1: -7, 4: kid})
        result = check(text, dsc)
        assert (result.reason, result.stages["cose"]) == ("kid", "fail")

    def test_refuses_a_missing_kid(self, ec_key, dsc):
        assert check(craft(ec_key, dsc, protected={1: -7}), dsc).reason == "kid"

    @pytest.mark.parametrize("alg", [-35, -36, -8, -257, -38, 0, "ES256", None])
    def test_refuses_other_algorithms(self, ec_key, dsc, alg):
        # CO4.
        header = {4: kid_of(dsc)} if alg is None else {1: alg, 4: kid_of(dsc)}
        result = check(craft(ec_key, dsc, protected=header), dsc)
        assert (result.reason, result.stages["cose"]) == ("alg_not_allowed", "fail")

    def test_refuses_es256_with_an_rsa_key(self, rsa_key):
        # CO27: the algorithm does not fit the key type.
        certificate = make_dsc(rsa_key)
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        text = craft(
            rsa_key,
            certificate,
            protected={1: -7, 4: kid_of(certificate)},
            sign=lambda data: rsa_key.sign(data, pss, hashes.SHA256()),
        )
        result = check(text, certificate)
        assert (result.reason, result.stages["signature"]) == ("alg_key_mismatch", "fail")

    def test_refuses_ps256_with_an_ec_key(self, ec_key, dsc):
        text = craft(ec_key, dsc, protected={1: -37, 4: kid_of(dsc)})
        assert check(text, dsc).reason == "alg_key_mismatch"

    def test_verifies_ps256_with_the_digest_length_salt_only(self, rsa_key):
        certificate = make_dsc(rsa_key)
        header = {1: -37, 4: kid_of(certificate)}

        def pss(salt: int) -> Callable[[bytes], bytes]:
            scheme = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt)
            return lambda data: rsa_key.sign(data, scheme, hashes.SHA256())

        assert check(craft(rsa_key, certificate, protected=header, sign=pss(32)), certificate).valid
        wrong_salt = craft(rsa_key, certificate, protected=header, sign=pss(64))
        assert check(wrong_salt, certificate).reason == "signature"

    def test_refuses_a_p384_key_claiming_es256(self, ec_key, dsc):
        # The corpus's ES 401-403 use a P-384 DSC under an ES256 header.
        key = ec.generate_private_key(ec.SECP384R1())
        certificate = make_dsc(key)
        claims = claims_for(a_test_dcc(ec_key, dsc))
        text = craft(key, certificate, claims=claims, sign=lambda data: es256(ec_key, data))
        assert check(text, certificate).reason == "alg_key_mismatch"

    @pytest.mark.parametrize("size", [0, 63, 65, 71, 72, 200, 4000])
    def test_refuses_signatures_of_the_wrong_length_without_crashing(self, ec_key, dsc, size):
        # CO24: an over-long (DER-looking) signature must not crash the verifier.
        text = craft(ec_key, dsc, sign=lambda data: (es256(ec_key, data) * 100)[:size])
        assert check(text, dsc).reason == "signature"

    def test_refuses_a_malformed_rsa_signature(self, rsa_key):
        certificate = make_dsc(rsa_key)
        header = {1: -37, 4: kid_of(certificate)}
        text = craft(rsa_key, certificate, protected=header, sign=lambda _: b"\x01" * 300)
        assert check(text, certificate).reason == "signature"

    @pytest.mark.parametrize(
        "wrap",
        [
            lambda m: cbor2.CBORTag(18, m),
            lambda m: cbor2.CBORTag(61, cbor2.CBORTag(18, m)),
            lambda m: m,
        ],
        ids=["tag18", "tag61-18", "untagged"],
    )
    def test_accepts_the_cose_tags_in_use(self, ec_key, dsc, wrap):
        assert check(craft(ec_key, dsc, wrap=wrap), dsc).valid

    def test_refuses_another_tag(self, ec_key, dsc):
        text = craft(ec_key, dsc, wrap=lambda m: cbor2.CBORTag(98, m))
        assert check(text, dsc).reason == "cose_structure"

    def test_reads_float_times_and_tagged_date_times(self, ec_key, dsc):
        dcc = a_test_dcc(ec_key, dsc, sc=NOW - timedelta(hours=5))
        issued = (NOW - timedelta(hours=1)).timestamp() + 0.5
        claims = claims_for(dcc, iat=issued, exp=issued + 3600.0)
        result = check(craft(ec_key, dsc, claims=claims), dsc)
        assert result.valid
        assert result.payload is not None
        assert result.payload["t"][0]["sc"] == "2026-03-01T07:00:00Z"

    @pytest.mark.parametrize(
        "claims",
        [
            {1: "AM", 6: 1, 4: 2},
            {1: "AM", -260: {1: {}}},
            {1: "AM", 6: "yesterday", 4: 2, -260: {1: {}}},
            {1: "AM", 6: float("nan"), 4: 2, -260: {1: {}}},
            {1: "AM", 6: True, 4: 2, -260: {1: {}}},
            {1: 7, 6: 1, 4: 2, -260: {1: {}}},
            {1: "AM", 6: 1, 4: 2, -260: {1: "dcc"}},
        ],
    )
    def test_refuses_a_payload_that_is_not_dcc_claims(self, ec_key, dsc, claims):
        result = check(craft(ec_key, dsc, claims=claims), dsc)
        assert (result.reason, result.stages["cbor"]) == ("cbor", "fail")
        assert result.stages["signature"] == "pass"

    def test_refuses_a_payload_that_is_not_cbor(self, ec_key, dsc):
        result = check(craft(ec_key, dsc, payload=b"\xff"), dsc)
        assert result.reason == "cbor"

    def test_refuses_a_payload_against_the_schema_and_still_checks_the_rest(self, ec_key, dsc):
        dcc = a_test_dcc(ec_key, dsc)
        del dcc["t"][0]["ci"]
        result = check(craft(ec_key, dsc, claims=claims_for(dcc)), dsc)
        assert (result.valid, result.reason) == (False, "schema")
        assert result.stages["schema"] == "fail"
        assert result.stages["expiry"] == result.stages["key_usage"] == "pass"

    def test_refuses_a_certificate_with_two_groups(self, ec_key, dsc):
        # DGC2.
        dcc = a_test_dcc(ec_key, dsc)
        dcc["r"] = dcc["t"]
        result = check(craft(ec_key, dsc, claims=claims_for(dcc)), dsc)
        assert (result.reason, result.stages["key_usage"]) == ("schema", "fail")

    def test_refuses_before_issue_and_after_expiry(self, ec_key, dsc):
        issued = issue(ec_key, dsc)
        early = verify(
            issued.text,
            certificates=index_certificates([dsc]),
            at=issued.issued_at - timedelta(minutes=6),
        )
        assert (early.reason, early.stages["expiry"]) == ("not_yet_valid", "fail")
        late = verify(
            issued.text,
            certificates=index_certificates([dsc]),
            at=issued.expires_at + timedelta(seconds=1),
        )
        assert late.reason == "expired"
        at_expiry = verify(
            issued.text, certificates=index_certificates([dsc]), at=issued.expires_at
        )
        assert at_expiry.valid

    def test_tolerates_the_stated_skew_for_a_fresh_certificate(self, ec_key, dsc):
        issued = issue(ec_key, dsc, issued_at=NOW + timedelta(minutes=2))
        assert check(issued.text, dsc).valid
        assert check(issued.text, dsc, skew=timedelta(0)).reason == "not_yet_valid"

    def test_refuses_when_the_dsc_is_not_valid_at_the_clock(self, ec_key):
        expired = make_dsc(
            ec_key, not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=1)
        )
        issued = issue(ec_key, expired, issued_at=NOW - timedelta(days=2))
        assert check(issued.text, expired).reason == "dsc_expired"
        future = make_dsc(
            ec_key, not_before=NOW + timedelta(days=1), not_after=NOW + timedelta(days=9)
        )
        assert check(issue(ec_key, future).text, future).reason == "dsc_not_yet_valid"

    def test_refuses_a_certificate_issued_before_its_dsc(self, ec_key):
        young = make_dsc(ec_key, not_before=NOW - timedelta(hours=1))
        issued = issue(ec_key, young, issued_at=NOW - timedelta(hours=3))
        assert check(issued.text, young).reason == "dsc_not_yet_valid"

    @pytest.mark.parametrize(
        ("ekus", "valid"),
        [
            ((EKU_TEST,), True),
            (("1.3.6.1.4.1.0.1847.2021.1.1",), True),
            ((EKU_VACCINATION,), False),
            (("1.3.6.1.4.1.0.1847.2021.1.3",), False),
            ((EKU_VACCINATION, EKU_TEST), True),
            (("1.3.6.1.5.5.7.3.36",), True),
            ((), True),
        ],
    )
    def test_checks_the_dsc_extended_key_usage(self, ec_key, ekus, valid):
        # CO6 to CO15.
        certificate = make_dsc(ec_key, ekus=ekus)
        result = check(issue(ec_key, certificate).text, certificate)
        assert result.valid is valid
        assert result.stages["key_usage"] == ("pass" if valid else "fail")

    def test_refuses_a_positive_test(self, ec_key, dsc):
        # DGC7.
        issued = issue(ec_key, dsc, test=lab(detected=True))
        result = check(issued.text, dsc)
        assert (result.valid, result.reason, result.stages["invariants"]) == (
            False,
            "test_positive",
            "fail",
        )

    def test_refuses_a_sample_taken_in_the_future(self, ec_key, dsc):
        # DGC8.
        issued = issue(ec_key, dsc, test=lab(sample_collected=NOW + timedelta(minutes=10)))
        assert check(issued.text, dsc).reason == "sample_in_future"
        slightly = issue(ec_key, dsc, test=lab(sample_collected=NOW + timedelta(minutes=3)))
        assert check(slightly.text, dsc).valid
        assert check(slightly.text, dsc, skew=timedelta(0)).reason == "sample_in_future"

    def test_reads_a_sample_time_without_zone_as_utc(self, ec_key, dsc):
        dcc = a_test_dcc(ec_key, dsc, sc="2026-03-01T13:00:00")
        result = check(craft(ec_key, dsc, claims=claims_for(dcc)), dsc)
        assert result.stages["invariants"] == "fail"
        assert result.reason == "schema"

    def test_never_reports_valid_when_a_stage_was_skipped(self, ec_key, dsc):
        for text in ("HC1:", "HC1:" + b45encode(zlib.compress(b"")), issue(ec_key, dsc).text[:-3]):
            result = check(text, dsc)
            assert not result.valid
            assert "fail" in result.stages.values()

    def test_asks_the_revocation_hook_with_the_hashes_of_the_certificate(self, ec_key, dsc):
        issued = issue(ec_key, dsc)
        seen: list[RevocationKeys] = []

        def revoked(keys: RevocationKeys) -> bool:
            seen.append(keys)
            return keys.uci == hashlib.sha256(issued.uvci.encode()).digest()[:16]

        result = check(issued.text, dsc, revocation=revoked)
        assert (result.valid, result.reason, result.stages["revocation"]) == (
            False,
            "revoked",
            "fail",
        )
        (keys,) = seen
        assert keys.country_code_uci == hashlib.sha256(("AM" + issued.uvci).encode()).digest()[:16]
        assert keys.signature == hashlib.sha256(decode(issued.text).signature[:32]).digest()[:16]
        assert keys.kid == kid_of(dsc)
        assert check(issued.text, dsc, revocation=lambda _: False).stages["revocation"] == "pass"

    def test_fails_closed_when_the_revocation_list_cannot_be_read(self, ec_key, dsc):
        def unavailable(_: RevocationKeys) -> bool:
            raise PlatformError("the list is stale", reason="revocation.stale")

        result = check(issue(ec_key, dsc).text, dsc, revocation=unavailable)
        assert (result.valid, result.reason) == (False, "revocation")

    def test_evaluates_the_rules_of_the_country_of_arrival(self, ec_key, dsc):
        issued = issue(ec_key, dsc)
        contexts: list[RuleContext] = []

        def rules(context: RuleContext) -> list[str]:
            contexts.append(context)
            return [] if context.arrival == "AM" else ["TR-RU-0001"]

        assert check(issued.text, dsc, rules=rules, arrival="AM").stages["rules"] == "pass"
        refused = check(issued.text, dsc, rules=rules, arrival="RU")
        assert (refused.valid, refused.reason, refused.failed_rules) == (
            False,
            "rules",
            ("TR-RU-0001",),
        )
        context = contexts[0]
        assert (context.at, context.issuer, context.issued_at) == (NOW, "AM", issued.issued_at)
        assert context.payload == issued.payload

    def test_does_not_run_rules_on_an_invalid_certificate(self, ec_key, dsc):
        issued = issue(ec_key, dsc, test=lab(detected=True))
        calls: list[RuleContext] = []
        result = check(issued.text, dsc, rules=lambda c: calls.append(c) or [])
        assert (calls, result.stages["rules"]) == ([], "skipped")

    def test_fails_closed_when_the_rules_cannot_be_evaluated(self, ec_key, dsc):
        def broken(_: RuleContext) -> list[str]:
            raise PlatformError("no rules", reason="rules.missing")

        assert check(issue(ec_key, dsc).text, dsc, rules=broken).reason == "rules"

    def test_refuses_a_naive_clock(self, ec_key, dsc):
        with pytest.raises(ValueError, match="naive"):
            verify(issue(ec_key, dsc).text, certificates={}, at=datetime(2026, 1, 1))  # noqa: DTZ001


class TestHardening:
    def test_refuses_text_longer_than_a_qr_code_holds(self, dsc):
        result = check("HC1:" + "0" * DEFAULT_LIMITS.max_text, dsc)
        assert result.reason == "prefix"

    def test_refuses_non_text(self, dsc):
        assert check(b"HC1:ABC", dsc).reason == "prefix"  # type: ignore[arg-type]

    def test_stops_a_zlib_bomb_at_the_limit(self, dsc):
        bomb = zlib.compress(b"\x00" * 2_500_000, 9)
        assert len(b45encode(bomb)) < DEFAULT_LIMITS.max_text
        result = check("HC1:" + b45encode(bomb), dsc)
        assert (result.reason, result.detail) == (
            "zlib",
            "the certificate inflates beyond the size limit",
        )

    def test_refuses_a_truncated_or_padded_zlib_stream(self, ec_key, dsc):
        raw = b45decode(issue(ec_key, dsc).text[4:])
        assert check("HC1:" + b45encode(raw[:-4]), dsc).reason == "zlib"
        assert check("HC1:" + b45encode(raw + b"\x00"), dsc).reason == "zlib"

    def test_refuses_deeply_nested_cbor(self, ec_key, dsc):
        deep: Any = "x"
        for _ in range(DEFAULT_LIMITS.max_depth + 4):
            deep = [deep]
        dcc = a_test_dcc(ec_key, dsc)
        dcc["deep"] = deep
        assert check(craft(ec_key, dsc, claims=claims_for(dcc)), dsc).reason == "cbor"
        nested_cose = "HC1:" + b45encode(zlib.compress(cbor2.dumps(deep)))
        assert check(nested_cose, dsc).reason == "cose_structure"

    def test_refuses_duplicate_map_keys(self, dsc):
        protected = b"\xa3\x01\x26\x04\x48" + kid_of(dsc) + b"\x01\x26"
        message = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, b"\xa0", b"\x00" * 64]))
        assert check("HC1:" + b45encode(zlib.compress(message)), dsc).reason == "cose_structure"

    def test_limits_are_configurable(self, ec_key, dsc):
        text = issue(ec_key, dsc).text
        assert check(text, dsc, limits=Limits(max_inflated=100)).reason == "zlib"
        assert check(text, dsc, limits=Limits(max_text=100)).reason == "prefix"

    def test_refuses_a_protected_header_that_is_not_a_map(self):
        message = cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps([1]), {}, b"\xa0", b""]))
        with pytest.raises(HcertError, match="protected header") as caught:
            parse_cose(message)
        assert caught.value.reason == "hcert.cose_structure"

    def test_refuses_cose_members_of_the_wrong_type(self):
        message = cbor2.dumps(cbor2.CBORTag(18, [b"", [], b"", b""]))
        with pytest.raises(HcertError, match="wrong types"):
            parse_cose(message)
