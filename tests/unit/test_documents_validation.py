"""JAdES, CMS evidence, validation indications and receipts, without a database."""

import base64
import json
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from eaeu.documents import jades, receipts
from eaeu.documents.errors import DocumentError, DocumentUnreadable, ReceiptRefused
from eaeu.documents.evidence import SignatureEvidence
from eaeu.documents.keys import CertificateAuthority, CertifiedKey, seal, unseal
from eaeu.documents.model import Indication, SubIndication
from eaeu.documents.revocation import GOOD, UNKNOWN, RevocationStatus
from eaeu.documents.validation import ValidationService, document_kind, read_validate_request
from eaeu.testing import FrozenClock, memory_union
from eaeu.trust import pki
from eaeu.trust.encoding import b64url, b64url_decode
from eaeu.trust.errors import CertificateInvalid, KeyStoreError
from eaeu.trust.keys import EcSigner, generate_ec_key

UNION_START = FrozenClock().now()
START = UNION_START + timedelta(days=1)
PAYLOAD = json.dumps({"contract": "employment", "salary": 1000}).encode()


class FakeRevocations:
    """Revocation data in memory: serial → revocation time; ``known=False`` → try later."""

    def __init__(self):
        self.revoked = {}
        self.known = True

    def status(self, _state, cert, _root):
        if not self.known:
            return UNKNOWN
        at = self.revoked.get(cert.serial_number)
        return GOOD if at is None else RevocationStatus(known=True, revoked_at=at)


@pytest.fixture(scope="module")
def union():
    return memory_union(now=UNION_START)


@pytest.fixture
def clock():
    return FrozenClock(START)


@pytest.fixture
def revocations():
    return FakeRevocations()


@pytest.fixture
def service(union, clock, revocations):
    return ValidationService(
        state="RU",
        trust=lambda: union.trust,
        revocation=revocations,
        clock=clock,
        signer=union.node_signer("RU"),
    )


def authority(union, state):
    return CertificateAuthority(union.trust.member(state).roots[0], union.governance[state])


def person(union, state="KG", *, days=730, at=START, profile=pki.PERSON, name="Айгуль Асанова"):
    key = generate_ec_key()
    cert = authority(union, state).issue(
        key.public_key(),
        common_name=name,
        identifier=f"{state}-p1",
        profile=profile,
        now=at,
        days=days,
    )
    return CertifiedKey(EcSigner(key), cert)


def only(report):
    assert len(report.signatures) == 1
    return report.signatures[0]


def encode(document):
    return json.dumps(document).encode()


def rewrite_header(document, index=0, **changes):
    entry = document["signatures"][index]
    header = json.loads(b64url_decode(entry["protected"]))
    header.update(changes)
    for name, value in changes.items():
        if value is None:
            del header[name]
    entry["protected"] = b64url(json.dumps(header).encode())
    return document


class TestJadesSigning:
    def test_protected_header_has_the_baseline_b_parameters(self, union):
        key = person(union)
        document = jades.sign(PAYLOAD, key, signing_time=START, commitment="proof-of-approval")
        header = json.loads(b64url_decode(document["signatures"][0]["protected"]))
        assert header["alg"] == "ES256"
        assert header["typ"] == "jose+json"
        assert header["cty"] == "json"
        assert header["sigT"] == "2026-01-02T00:00:00Z"
        assert header["crit"] == ["sigT", "srCms"]
        assert header["x5c"] == list(key.x5c)
        assert header["x5t#S256"] == b64url(key.certificate.fingerprint(hashes.SHA256()))
        assert header["srCms"] == [{"commId": {"id": jades.COMMITMENTS["proof-of-approval"]}}]
        assert b64url_decode(document["payload"]) == PAYLOAD

    def test_compact_form_uses_typ_jose(self, union):
        token = jades.sign_compact(PAYLOAD, person(union), signing_time=START)
        header = json.loads(b64url_decode(token.split(".")[0]))
        assert header["typ"] == "jose"
        assert header["crit"] == ["sigT"]

    def test_unknown_commitment_is_refused(self, union):
        with pytest.raises(ValueError, match="unknown commitment"):
            jades.sign(PAYLOAD, person(union), signing_time=START, commitment="promise")

    def test_add_signature_keeps_the_payload_and_earlier_signatures(self, union):
        first = jades.sign(PAYLOAD, person(union, "RU"), signing_time=START)
        both = jades.add_signature(first, person(union, "KG"), signing_time=START)
        assert both["payload"] == first["payload"]
        assert both["signatures"][0] == first["signatures"][0]
        assert len(both["signatures"]) == 2

    @pytest.mark.parametrize(
        "data",
        [b"[1, 2]", b'{"payload": 1}', b'{"payload": "e30", "signatures": []}', b"not.a", b"{"],
    )
    def test_parse_refuses_what_is_not_a_jws(self, data):
        with pytest.raises(DocumentUnreadable, match="not a signed JSON document"):
            jades.parse(data)


class TestValidation:
    def test_valid_signature_passes_with_signer_identity(self, union, service):
        key = person(union)
        report = service.validate(encode(jades.sign(PAYLOAD, key, signing_time=START)))
        result = only(report)
        assert report.indication is Indication.TOTAL_PASSED
        assert result.format == "JAdES-B-B"
        assert result.signer.name == "Айгуль Асанова"
        assert result.signer.state == "KG"
        assert result.signer.certificate_serial == format(key.certificate.serial_number, "x")
        assert result.signing_time == START

    def test_compact_signature_passes(self, union, service):
        token = jades.sign_compact(PAYLOAD, person(union), signing_time=START)
        assert service.validate(token.encode()).indication is Indication.TOTAL_PASSED

    def test_tampered_payload_fails_the_crypto_check(self, union, service):
        document = jades.sign(PAYLOAD, person(union), signing_time=START)
        document["payload"] = b64url(PAYLOAD.replace(b"1000", b"9000"))
        result = only(service.validate(encode(document)))
        assert result.indication is Indication.TOTAL_FAILED
        assert result.sub_indication is SubIndication.SIG_CRYPTO_FAILURE

    def test_tampered_header_fails_the_crypto_check(self, union, service):
        document = jades.sign(PAYLOAD, person(union), signing_time=START)
        rewrite_header(document, sigT="2026-01-01T12:00:00Z")
        assert only(service.validate(encode(document))).sub_indication is (
            SubIndication.SIG_CRYPTO_FAILURE
        )

    @pytest.mark.parametrize(
        ("changes", "sub"),
        [
            ({"alg": "none"}, SubIndication.FORMAT_FAILURE),
            ({"alg": "HS256"}, SubIndication.FORMAT_FAILURE),
            ({"crit": ["sigT", "sigD"]}, SubIndication.FORMAT_FAILURE),
            ({"crit": None}, SubIndication.FORMAT_FAILURE),
            ({"sigT": "2026-01-02 00:00:00"}, SubIndication.FORMAT_FAILURE),
            ({"jku": "https://example.org/keys"}, SubIndication.FORMAT_FAILURE),
            ({"x5t#S256": None}, SubIndication.FORMAT_FAILURE),
            ({"x5c": None}, SubIndication.NO_SIGNING_CERTIFICATE_FOUND),
            ({"x5c": ["not base64!"]}, SubIndication.NO_SIGNING_CERTIFICATE_FOUND),
            ({"srCms": "yes"}, SubIndication.FORMAT_FAILURE),
        ],
    )
    def test_malformed_headers_are_refused(self, union, service, changes, sub):
        document = jades.sign(PAYLOAD, person(union), signing_time=START)
        rewrite_header(document, **changes)
        result = only(service.validate(encode(document)))
        assert result.sub_indication is sub
        assert result.indication is not Indication.TOTAL_PASSED

    def test_header_that_is_not_json_is_a_format_failure(self, union, service):
        document = jades.sign(PAYLOAD, person(union), signing_time=START)
        document["signatures"][0]["protected"] = b64url(b"[not json")
        assert only(service.validate(encode(document))).sub_indication is (
            SubIndication.FORMAT_FAILURE
        )

    def test_swapped_certificate_does_not_match_the_reference(self, union, service):
        document = jades.sign(PAYLOAD, person(union), signing_time=START)
        rewrite_header(document, x5c=list(person(union).x5c))
        assert only(service.validate(encode(document))).sub_indication is (
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND
        )

    def test_signature_of_wrong_length_is_a_crypto_failure(self, union, service):
        document = jades.sign(PAYLOAD, person(union), signing_time=START)
        document["signatures"][0]["signature"] = b64url(b"short")
        assert only(service.validate(encode(document))).sub_indication is (
            SubIndication.SIG_CRYPTO_FAILURE
        )

    def test_unknown_root_has_no_certificate_chain(self, service):
        stranger = memory_union(now=UNION_START)  # the same states, other keys: not trusted
        document = jades.sign(PAYLOAD, person(stranger), signing_time=START)
        result = only(service.validate(encode(document)))
        assert result.indication is Indication.INDETERMINATE
        assert result.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND

    def test_certificate_not_for_documents_fails_chain_constraints(self, union, service):
        key = person(union, profile=pki.NODE_SIGNING)
        result = only(service.validate(encode(jades.sign(PAYLOAD, key, signing_time=START))))
        assert result.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE

    def test_expired_certificate_is_out_of_bounds_without_proof_of_existence(
        self, union, service, clock
    ):
        key = person(union, days=2)
        document = encode(jades.sign(PAYLOAD, key, signing_time=START))
        clock.advance(days=3)
        result = only(service.validate(document))
        assert result.indication is Indication.INDETERMINATE
        assert result.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE

    def test_signing_after_expiry_has_expired(self, union, service, clock):
        key = person(union, days=2)
        clock.advance(days=3)
        result = only(service.validate(encode(jades.sign(PAYLOAD, key, signing_time=clock.now()))))
        assert result.indication is Indication.TOTAL_FAILED
        assert result.sub_indication is SubIndication.EXPIRED

    def test_signing_before_the_certificate_is_not_yet_valid(self, union, service):
        key = person(union)
        early = START - timedelta(hours=1)
        result = only(service.validate(encode(jades.sign(PAYLOAD, key, signing_time=early))))
        assert result.sub_indication is SubIndication.NOT_YET_VALID

    def test_signing_time_in_the_future_is_refused(self, union, service):
        key = person(union)
        later = START + timedelta(hours=1)
        result = only(service.validate(encode(jades.sign(PAYLOAD, key, signing_time=later))))
        assert result.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE

    def test_revoked_after_signing_is_indeterminate(self, union, service, revocations, clock):
        key = person(union)
        document = encode(jades.sign(PAYLOAD, key, signing_time=START))
        clock.advance(3600)
        revocations.revoked[key.certificate.serial_number] = clock.now()
        result = only(service.validate(document))
        assert result.indication is Indication.INDETERMINATE
        assert result.sub_indication is SubIndication.REVOKED_NO_POE

    def test_signed_after_revocation_fails(self, union, service, revocations, clock):
        key = person(union)
        revocations.revoked[key.certificate.serial_number] = START
        clock.advance(60)
        document = encode(jades.sign(PAYLOAD, key, signing_time=clock.now()))
        result = only(service.validate(document))
        assert result.indication is Indication.TOTAL_FAILED
        assert result.sub_indication is SubIndication.REVOKED

    def test_without_revocation_data_try_later(self, union, service, revocations):
        revocations.known = False
        result = only(
            service.validate(encode(jades.sign(PAYLOAD, person(union), signing_time=START)))
        )
        assert result.sub_indication is SubIndication.TRY_LATER

    def test_multi_party_with_one_bad_signature_fails_overall(self, union, service):
        employer = person(union, "RU", profile=pki.ORGANISATION, name="ООО Ромашка")
        document = jades.sign(PAYLOAD, employer, signing_time=START)
        document = jades.add_signature(document, person(union, "KG"), signing_time=START)
        document["signatures"][1]["signature"] = document["signatures"][0]["signature"]
        report = service.validate(encode(document))
        first, second = report.signatures
        assert first.passed
        assert first.signer.state == "RU"
        assert second.sub_indication is SubIndication.SIG_CRYPTO_FAILURE
        assert report.indication is Indication.TOTAL_FAILED
        assert report.sub_indication is SubIndication.SIG_CRYPTO_FAILURE

    def test_failure_outranks_indeterminate_overall(self, union, service):
        stranger = memory_union(now=UNION_START)
        document = jades.sign(PAYLOAD, person(stranger), signing_time=START)
        document = jades.add_signature(document, person(union), signing_time=START)
        document["signatures"][1]["signature"] = b64url(b"x" * 64)
        report = service.validate(encode(document))
        assert report.indication is Indication.TOTAL_FAILED

    def test_unrecognised_file_is_refused(self, service):
        with pytest.raises(DocumentUnreadable, match="not a signed document"):
            service.validate(b"hello, world")

    def test_too_large_file_is_refused(self, service):
        with pytest.raises(DocumentUnreadable, match="too large") as caught:
            service.validate(b"{" + b" " * (11 * 1024 * 1024))
        assert caught.value.reason == "documents.too_large"

    def test_expired_trust_list_refuses_to_validate(self, union, service, clock):
        document = encode(jades.sign(PAYLOAD, person(union), signing_time=START))
        clock.advance(days=400)
        with pytest.raises(DocumentError, match="trust list has expired") as caught:
            service.validate(document)
        assert caught.value.reason == "documents.trust_list_expired"

    @pytest.mark.parametrize(
        ("data", "kind"),
        [
            (b"%PDF-1.7\n", "pdf"),
            (b'  {"payload"', "jades"),
            (b"\x30\x82\x01", "cms"),
            (b"eyJhbGciOi.e30.sig", "jades"),
            (b"-----BEGIN PKCS7-----\nMA==\n-----END PKCS7-----", "cms"),
        ],
    )
    def test_document_kind_is_recognised(self, data, kind):
        assert document_kind(data) == kind


class TestReceipts:
    def test_receipt_verifies_through_the_trust_list(self, union, service):
        checked = service.check(encode(jades.sign(PAYLOAD, person(union), signing_time=START)))
        receipt = receipts.verify(checked.receipt, union.trust)
        assert receipt.validator_state == "RU"
        assert receipt.basis == "validation"
        assert receipt.report.indication is Indication.TOTAL_PASSED
        assert receipt.report.document_sha256 == checked.report.document_sha256
        payload = json.loads(b64url_decode(checked.receipt.split(".")[1]))
        assert payload["dv_status"] == "granted"
        assert payload["service"] == "vsd"
        assert payload["validator"]["node"] == "EAEU/RU/GOV/NODE"
        header = json.loads(b64url_decode(checked.receipt.split(".")[0]))
        assert header["typ"] == "eaeu-validation+jws"

    def test_failed_validation_is_a_rejection(self, union, service):
        document = jades.sign(PAYLOAD, person(union), signing_time=START)
        document["payload"] = b64url(b"{}")
        checked = service.check(encode(document))
        payload = json.loads(b64url_decode(checked.receipt.split(".")[1]))
        assert payload["dv_status"] == "rejection"
        assert payload["indication"] == "TOTAL-FAILED"

    def test_receipt_signed_by_a_non_member_is_refused(self, union, clock):
        stranger = memory_union(now=UNION_START)
        foreign = ValidationService(
            state="KZ",
            trust=lambda: stranger.trust,
            revocation=FakeRevocations(),
            clock=clock,
            signer=stranger.node_signer("KZ"),
        )
        token = foreign.check(encode(jades.sign(PAYLOAD, person(stranger), signing_time=START)))
        with pytest.raises(ReceiptRefused, match="not signed by a member node") as caught:
            receipts.verify(token.receipt, union.trust)
        assert caught.value.reason == "documents.receipt_signer"

    def test_receipt_naming_another_validator_is_refused(self, union, service):
        checked = service.check(encode(jades.sign(PAYLOAD, person(union), signing_time=START)))
        payload = json.loads(b64url_decode(checked.receipt.split(".")[1]))
        payload["validator"]["state"] = "KZ"
        forged = receipts.jws.sign_compact(
            json.dumps(payload).encode(), union.node_signer("RU"), {"typ": receipts.TYP}
        )
        with pytest.raises(ReceiptRefused, match="names KZ but the RU node signed it"):
            receipts.verify(forged, union.trust)

    def test_tampered_receipt_is_refused(self, union, service):
        token = service.check(
            encode(jades.sign(PAYLOAD, person(union), signing_time=START))
        ).receipt
        header, payload, signature = token.split(".")
        body = json.loads(b64url_decode(payload))
        body["indication"] = "TOTAL-PASSED"
        body["signatures"][0]["indication"] = "TOTAL-PASSED"
        altered = b64url(json.dumps(body).encode())
        with pytest.raises(ReceiptRefused) as caught:
            receipts.verify(f"{header}.{altered}.{signature}", union.trust)
        assert caught.value.reason == "documents.receipt_invalid"

    def test_receipt_with_inconsistent_indication_is_refused(self, union, service):
        token = service.check(
            encode(jades.sign(PAYLOAD, person(union), signing_time=START))
        ).receipt
        body = json.loads(b64url_decode(token.split(".")[1]))
        body["indication"] = "INDETERMINATE"
        forged = receipts.jws.sign_compact(
            json.dumps(body).encode(), union.node_signer("RU"), {"typ": receipts.TYP}
        )
        with pytest.raises(ReceiptRefused, match="malformed"):
            receipts.verify(forged, union.trust)

    @pytest.mark.parametrize("token", ["", "a.b.c", "x" * 300_000])
    def test_garbage_is_not_a_receipt(self, union, token):
        with pytest.raises(ReceiptRefused, match="cannot be relied on"):
            receipts.verify(token, union.trust)

    def test_other_typ_is_not_a_receipt(self, union):
        token = receipts.jws.sign_compact(b"{}", union.node_signer("RU"), {"typ": "other"})
        with pytest.raises(ReceiptRefused, match="not a validation receipt"):
            receipts.verify(token, union.trust)


class TestEvidence:
    def test_evidence_round_trips_through_json(self, union):
        document = jades.sign(
            PAYLOAD, person(union), signing_time=START, commitment="proof-of-origin"
        )
        (evidence,) = jades.evidence(jades.parse(encode(document)))
        again = SignatureEvidence.from_json(json.loads(json.dumps(evidence.to_json())))
        assert again == evidence

    @pytest.mark.parametrize(
        "request_",
        [
            None,
            {"document_kind": "doc", "document_sha256": "0" * 64, "signatures": [{}]},
            {"document_kind": "jades", "document_sha256": "0", "signatures": [{}]},
            {"document_kind": "jades", "document_sha256": "0" * 64, "signatures": []},
            {"document_kind": "jades", "document_sha256": "0" * 64, "signatures": [{"id": 1}]},
        ],
    )
    def test_malformed_validate_requests_are_refused(self, request_):
        with pytest.raises(DocumentUnreadable, match="malformed") as caught:
            read_validate_request(request_)
        assert caught.value.reason == "documents.malformed_request"


class TestAuthority:
    def test_issued_certificate_names_the_subject(self, union):
        key = person(union)
        cert = key.certificate
        assert cert.subject.rfc4514_string() == "2.5.4.5=KG-p1,CN=Айгуль Асанова,C=KG"
        pki.verify_certificate(cert, union.trust.member("KG").roots, at=START, usage="person")

    def test_signer_that_is_not_the_root_is_refused(self, union):
        impostor = CertificateAuthority(union.trust.member("KG").roots[0], union.governance["KZ"])
        with pytest.raises(CertificateInvalid, match="does not hold the root"):
            impostor.issue(
                generate_ec_key().public_key(),
                common_name="x",
                identifier="y",
                profile=pki.PERSON,
                now=START,
            )

    def test_crl_is_signed_by_the_root(self, union):
        der = authority(union, "KG").crl(
            [(12345, START)], now=START, next_update=START + timedelta(days=1), number=1
        )
        crl = x509.load_der_x509_crl(der)
        root = union.trust.member("KG").roots[0]
        assert crl.is_signature_valid(root.public_key())
        assert crl.get_revoked_certificate_by_serial_number(12345) is not None


class TestSealing:
    def test_sealed_key_opens_with_the_same_secret_and_id(self):
        assert unseal(b"s" * 32, "id-1", seal(b"s" * 32, "id-1", b"key")) == b"key"

    @pytest.mark.parametrize(("secret", "key_id"), [(b"t" * 32, "id-1"), (b"s" * 32, "id-2")])
    def test_other_secret_or_row_cannot_open_it(self, secret, key_id):
        sealed = seal(b"s" * 32, "id-1", b"key")
        with pytest.raises(KeyStoreError, match="cannot be opened"):
            unseal(secret, key_id, sealed)

    def test_unknown_seal_version_cannot_be_opened(self):
        sealed = seal(b"s" * 32, "id-1", b"key").replace("v1.", "v9.", 1)
        with pytest.raises(KeyStoreError, match="cannot be opened"):
            unseal(b"s" * 32, "id-1", sealed)


def test_x5c_is_standard_base64(union):
    key = person(union)
    assert base64.b64decode(key.x5c[0], validate=True) == key.der
