"""The union trust list: its format, threshold signatures, succession and proposals."""

import copy
import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.x509.oid import NameOID

from eaeu.testing import FrozenClock
from eaeu.trust import jws, pki
from eaeu.trust import trustlist as tl
from eaeu.trust.encoding import b64url, b64url_decode, canonical_json
from eaeu.trust.errors import CertificateInvalid, InvalidSignature, TrustError, TrustListRejected
from eaeu.trust.keys import PS256, EcSigner, generate_ec_key, public_jwk, thumbprint
from eaeu.trust.proposals import (
    AddMember,
    Join,
    Leave,
    RemoveMember,
    ReplaceDocumentSigners,
    ReplaceNodeKeys,
    SetEndpoint,
    SetThreshold,
    describe_changes,
    propose,
)

CLOCK = FrozenClock()
NOW = CLOCK.now()
STATES = ("AM", "BY", "KG", "KZ", "RU")
NAMES = {
    "AM": "Armenia",
    "BY": "Belarus",
    "KG": "Kyrgyzstan",
    "KZ": "Kazakhstan",
    "RU": "Russia",
    "UZ": "Uzbekistan",
}
YEAR = timedelta(days=365)


class RsaSigner:
    """A PS256 governance signer, as a state with an RSA root CA would use."""

    alg = PS256

    def __init__(self, key):
        self._key = key
        self.kid = thumbprint(key.public_key())

    def sign(self, data):
        pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return self._key.sign(data, pad, hashes.SHA256())


@dataclass
class State:
    """One state's keys and certificates, made in memory."""

    code: str
    root_key: object
    root: x509.Certificate
    node_key: object
    node_cert: x509.Certificate
    encryption_key: object
    document_signers: list = field(default_factory=list)

    @property
    def signer(self):
        if isinstance(self.root_key, rsa.RSAPrivateKey):
            return RsaSigner(self.root_key)
        return EcSigner(self.root_key)

    def entry(self, services=None):
        return tl.member_entry(
            state=self.code,
            name=NAMES[self.code],
            roots=[self.root],
            endpoint=f"http://127.0.0.1:8100/{self.code.lower()}",
            node_certificate=self.node_cert,
            encryption_key=self.encryption_key.public_key(),
            document_signers=self.document_signers,
            services=services if services is not None else default_services(self.code),
        )


def default_services(code):
    services = {"jobs": ["publisher", "consumer"], "exchange": ["member"]}
    if code in {"AM", "BY", "RU"}:
        services["travel"] = ["issuer", "verifier"]
    return services


def make_state(code, *, root_key=None, node_key=None):
    root_key = root_key or generate_ec_key()
    root = pki.issue_root(code, root_key, now=NOW)
    node_key = node_key or generate_ec_key()

    def issue(public_key, profile):
        return pki.issue_certificate(
            issuer_cert=root,
            issuer_key=root_key,
            public_key=public_key,
            common_name=f"EAEU {code} {profile.name}",
            profile=profile,
            now=NOW,
            days=730,
        )

    health = tl.DocumentSigner(
        "health", issue(generate_ec_key().public_key(), pki.DOCUMENT_SIGNER_HEALTH)
    )
    return State(
        code=code,
        root_key=root_key,
        root=root,
        node_key=node_key,
        node_cert=issue(node_key.public_key(), pki.NODE_SIGNING),
        encryption_key=generate_ec_key(),
        document_signers=[health],
    )


@pytest.fixture(scope="module")
def states():
    return {code: make_state(code) for code in (*STATES, "UZ")}


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def v1_document(states, *, codes=STATES, threshold=3, issued=NOW, validity=YEAR):
    return tl.build_document(
        version=1,
        issued_at=issued,
        expires_at=issued + validity,
        threshold=threshold,
        members=[states[code].entry() for code in codes],
    )


def signed_by(states, document, *codes):
    return tl.sign(document, {code: states[code].signer for code in codes})


def raw_sign(document, signers):
    """Sign any JSON, bypassing the structural check of ``tl.sign``."""
    return jws.sign_general(
        canonical_json(document),
        [(signer, {"typ": tl.TYP, "eaeu_state": state}) for state, signer in signers.items()],
    )


@pytest.fixture(scope="module")
def v1(states):
    return tl.accept_first(signed_by(states, v1_document(states), *STATES), at=NOW)


def payload_of(signed):
    return json.loads(b64url_decode(signed["payload"]))


def headers_of(signed):
    return [json.loads(b64url_decode(s["protected"])) for s in signed["signatures"]]


def rejected(excinfo, reason):
    assert excinfo.value.reason == reason, excinfo.value.message
    return True


class TestTrustListModel:
    def test_reads_its_members(self, v1, states):
        kz = v1.member("KZ")
        assert kz.name == "Kazakhstan"
        assert kz.roots == (states["KZ"].root,)
        assert kz.governance_kid == thumbprint(states["KZ"].root_key.public_key())
        assert kz.node.signing_certificate == states["KZ"].node_cert
        assert kz.services["jobs"] == frozenset({"publisher", "consumer"})
        assert list(v1.members) == list(STATES)

    def test_refuses_an_unknown_member(self, v1):
        with pytest.raises(TrustError, match="'UZ' is not a member") as raised:
            v1.member("UZ")
        assert rejected(raised, "trust.unknown_member")

    def test_finds_a_node_signing_key_by_its_kid(self, v1, states):
        node = EcSigner(states["BY"].node_key)
        state, verifier = v1.node_verifier(node.kid)
        assert state == "BY"
        assert verifier.alg == "ES256"
        verifier.verify(b"message", node.sign(b"message"))

    def test_an_unknown_node_kid_is_an_invalid_signature(self, v1, states):
        with pytest.raises(InvalidSignature, match="not a node signing key") as raised:
            v1.node_verifier(EcSigner(states["UZ"].node_key).kid)
        assert rejected(raised, "signature.kid")

    def test_a_governance_key_signs_for_its_state_only(self, v1, states):
        with pytest.raises(InvalidSignature, match="does not verify"):
            v1.member("AM").governance_verifier().verify(b"x", states["BY"].signer.sign(b"x"))

    def test_gives_the_encryption_key_and_endpoint_of_a_node(self, v1, states):
        assert v1.encryption_key("KZ") == states["KZ"].encryption_key.public_key()
        assert v1.endpoint("KZ") == "http://127.0.0.1:8100/kz"
        assert v1.member("KZ").node.encryption_jwk["use"] == "enc"

    def test_answers_who_takes_part_in_a_service(self, v1):
        assert v1.participates("AM", "travel")
        assert v1.participates("AM", "travel", "issuer")
        assert not v1.participates("AM", "travel", "publisher")
        assert not v1.participates("KZ", "travel")
        assert not v1.participates("UZ", "jobs")
        assert v1.participants("travel") == ["AM", "BY", "RU"]
        assert v1.participants("jobs", "consumer") == list(STATES)
        assert v1.participants("vehicles") == []

    def test_lists_document_signers_by_role(self, v1, states):
        assert v1.document_signers("RU", "health") == [states["RU"].document_signers[0].certificate]
        assert v1.document_signers("RU", "labelling") == []
        with pytest.raises(TrustError, match="not a member") as raised:
            v1.document_signers("UZ", "health")
        assert rejected(raised, "trust.unknown_member")

    def test_is_current_until_it_expires(self, v1):
        v1.check_current(NOW + YEAR - timedelta(seconds=1))
        with pytest.raises(TrustListRejected, match="expired at 2027-01-01T00:00:00Z") as raised:
            v1.check_current(NOW + YEAR)
        assert rejected(raised, "trustlist.expired")

    def test_keeps_members_and_document_out_of_its_repr(self, v1):
        assert "members" not in repr(v1)
        assert f"version={v1.version}" in repr(v1)


class TestFormat:
    def test_builds_the_documented_shape(self, states):
        document = v1_document(states)
        assert document["format"] == "eaeu-trust-list"
        assert document["format_version"] == 1
        assert document["issued_at"] == "2026-01-01T00:00:00Z"
        assert document["expires_at"] == "2027-01-01T00:00:00Z"
        kz = document["members"]["KZ"]
        assert set(kz) == {
            "name",
            "roots",
            "governance_key",
            "node",
            "document_signers",
            "services",
        }
        assert kz["governance_key"]["kid"] == thumbprint(states["KZ"].root_key.public_key())
        assert set(kz["node"]) == {
            "endpoint",
            "signing_key",
            "signing_certificate",
            "encryption_key",
        }
        assert kz["services"] == {"exchange": ["member"], "jobs": ["consumer", "publisher"]}
        assert kz["document_signers"][0]["role"] == "health"

    def test_parsing_gives_back_the_member_entries(self, states):
        parsed = tl.parse_document(v1_document(states))
        assert parsed.members["KZ"] == states["KZ"].entry()
        assert parsed.signed_by == ()

    def test_the_digest_is_the_sha256_of_the_canonical_payload(self, states):
        document = v1_document(states)
        signed = signed_by(states, document, "AM")
        expected = hashlib.sha256(canonical_json(document)).hexdigest()
        assert tl.parse(signed).digest == expected
        assert b64url_decode(signed["payload"]) == canonical_json(document)

    def test_an_rsa_root_can_govern(self, states, rsa_key):
        rsa_state = make_state("KG", root_key=rsa_key)
        members = [states[c].entry() for c in ("AM", "BY")] + [rsa_state.entry()]
        document = tl.build_document(
            version=1, issued_at=NOW, expires_at=NOW + YEAR, threshold=3, members=members
        )
        signers = {"AM": states["AM"].signer, "BY": states["BY"].signer, "KG": rsa_state.signer}
        accepted = tl.accept_first(tl.sign(document, signers), at=NOW)
        assert accepted.signed_by == ("AM", "BY", "KG")
        assert accepted.member("KG").governance_verifier().alg == PS256

    def test_a_node_may_sign_with_rsa(self, rsa_key):
        rsa_state = make_state("KG", node_key=rsa_key)
        document = tl.build_document(
            version=1,
            issued_at=NOW,
            expires_at=NOW + YEAR,
            threshold=1,
            members=[rsa_state.entry()],
        )
        state, verifier = tl.parse_document(document).node_verifier(
            thumbprint(rsa_key.public_key())
        )
        assert (state, verifier.alg) == ("KG", PS256)

    def test_a_member_needs_an_ec_or_rsa_root(self, states):
        key = ed25519.Ed25519PrivateKey.generate()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EAEU KZ Root CA")])
        root = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(NOW)
            .not_valid_after(NOW + YEAR)
            .sign(key, None)
        )
        kz = states["KZ"]
        with pytest.raises(CertificateInvalid, match="only EC P-256 and RSA") as raised:
            tl.member_entry(
                state="KZ",
                name="Kazakhstan",
                roots=[root],
                endpoint="http://kz",
                node_certificate=kz.node_cert,
                encryption_key=kz.encryption_key.public_key(),
            )
        assert rejected(raised, "certificate.malformed")


def _set(path, value):
    """A mutation that sets ``path`` (a tuple of keys) in the document."""

    def mutate(document, states):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value(states) if callable(value) else value
        return document

    return mutate


def _drop(path):
    def mutate(document, states):
        target = document
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        return document

    return mutate


KZ = ("members", "KZ")
NODE = (*KZ, "node")


def _jwk(key, **extra):
    return {**public_jwk(key), **extra, "kid": thumbprint(key)}


def _duplicate_node(document, states):
    document["members"]["BY"]["node"] = copy.deepcopy(document["members"]["KZ"]["node"])
    return document


def _rename_member(document, states):
    document["members"]["kz"] = document["members"].pop("KZ")
    return document


MALFORMED = [
    (lambda d, _: [d], "the payload must be a JSON object"),
    (_set(("format",), "ts-119-602"), "format must be 'eaeu-trust-list'"),
    (_set(("format_version",), 2), "format_version must be 1"),
    (_set(("version",), "1"), "version must be an integer"),
    (_set(("version",), value=True), "version must be an integer"),
    (_set(("version",), 0), "version must be 1 or more"),
    (_set(("issued_at",), 5), "issued_at must be a string"),
    (_set(("issued_at",), "2026-01-01"), "issued_at must be a UTC time"),
    (_set(("issued_at",), "2026-1-01T00:00:00Z"), "issued_at must be a UTC time"),
    (_set(("expires_at",), "2026-01-01T00:00:00Z"), "expires_at must be after issued_at"),
    (_set(("members",), []), "members must be an object"),
    (_set(("threshold",), "3"), "threshold must be an integer"),
    (_set(("threshold",), 0), "threshold must be between 1 and the 5 members"),
    (_set(("threshold",), 6), "threshold must be between 1 and the 5 members"),
    (_duplicate_node, "members share a node signing key"),
    (_rename_member, "members.kz must be an object under a two-letter state code"),
    (_set(KZ, []), "members.KZ must be an object"),
    (_drop((*KZ, "name")), "members.KZ.name must be a string"),
    (_set((*KZ, "roots"), "x"), "members.KZ.roots must be a list"),
    (_set((*KZ, "roots"), []), "members.KZ.roots must not be empty"),
    (_set((*KZ, "roots"), ["AAAA"]), r"members.KZ.roots\[0\] is not a base64 DER certificate"),
    (_set((*KZ, "governance_key"), "x"), "members.KZ.governance_key must be an object"),
    (_set((*KZ, "governance_key", "crv"), 256), "governance_key must be a JWK with string"),
    (_set((*KZ, "governance_key"), {"kty": "oct", "kid": "x"}), "is not a usable public key"),
    (_set((*KZ, "governance_key", "alg"), "PS256"), "governance_key is not a usable public key"),
    (_drop((*KZ, "governance_key", "kid")), "members.KZ.governance_key.kid must be a string"),
    (_set((*KZ, "governance_key", "kid"), "x"), "kid is not the key's RFC 7638 thumbprint"),
    (
        _set((*KZ, "governance_key"), lambda s: _jwk(s["KZ"].node_key.public_key())),
        "members.KZ.governance_key is not the key of one of its roots",
    ),
    (_set(NODE, "x"), "members.KZ.node must be an object"),
    (_set((*NODE, "endpoint"), 8104), "members.KZ.node.endpoint must be a string"),
    (_set((*NODE, "endpoint"), "ftp://kz"), "node.endpoint must be an http or https URL"),
    (_set((*NODE, "endpoint"), "http://"), "node.endpoint must be an http or https URL"),
    (_drop((*NODE, "signing_key")), "members.KZ.node.signing_key must be an object"),
    (_set((*NODE, "signing_certificate"), "x"), "signing_certificate is not a base64 DER"),
    (
        _set((*NODE, "signing_certificate"), lambda s: pki.cert_to_b64der(s["KZ"].root)),
        "members.KZ.node.signing_certificate does not hold the node signing key",
    ),
    (_drop((*NODE, "encryption_key", "use")), 'encryption_key must be an EC key with "use"'),
    (
        _set((*NODE, "encryption_key"), lambda s: _jwk(s["RSA"].public_key(), use="enc")),
        'members.KZ.node.encryption_key must be an EC key with "use": "enc"',
    ),
    (_set((*KZ, "document_signers"), {}), "members.KZ.document_signers must be a list"),
    (_set((*KZ, "document_signers"), ["x"]), r"document_signers\[0\] must be an object"),
    (
        _set((*KZ, "document_signers"), [{"role": "health", "certificate": "x"}]),
        r"members.KZ.document_signers\[0\].certificate is not a base64 DER certificate",
    ),
    (
        _set((*KZ, "document_signers", 0, "role"), "Health"),
        r"members.KZ.document_signers\[0\].role must be a lower-case name",
    ),
    (_set((*KZ, "services"), []), "members.KZ.services must be an object"),
    (_set((*KZ, "services"), {"Jobs": ["x"]}), "members.KZ.services.Jobs must be a lower-case"),
    (_set((*KZ, "services"), {"jobs": []}), "services.jobs must be a non-empty list of roles"),
    (_set((*KZ, "services"), {"jobs": "consumer"}), "services.jobs must be a non-empty list"),
    (
        _set((*KZ, "services"), {"jobs": ["Consumer"]}),
        r"members.KZ.services.jobs\['Consumer'\] must be a lower-case name",
    ),
]


class TestMalformedDocuments:
    @pytest.mark.parametrize(("mutate", "match"), MALFORMED, ids=[m for _, m in MALFORMED])
    def test_names_the_field_that_is_wrong(self, states, rsa_key, mutate, match):
        context = {**states, "RSA": rsa_key}
        document = mutate(v1_document(states), context)
        with pytest.raises(TrustListRejected, match=match) as raised:
            tl.parse_document(document)
        assert rejected(raised, "trustlist.malformed")

    @pytest.mark.parametrize(
        ("signed", "match"),
        [
            ([], "the signed trust list must be a JSON object"),
            ({"signatures": []}, "payload must be a string"),
            ({"payload": "e30"}, "signatures must be a list"),
            ({"payload": "e30", "signatures": ["x"]}, "signatures must be a list of objects"),
            ({"payload": "e3=", "signatures": []}, "payload is not base64url"),
            ({"payload": b64url(b"\xff"), "signatures": []}, "payload is not UTF-8 JSON"),
            ({"payload": b64url(b'{"a": 1}'), "signatures": []}, "payload is not canonical"),
            ({"payload": b64url(b'{"a":1,"a":2}'), "signatures": []}, "payload is not canonical"),
            ({"payload": b64url(b"{}"), "signatures": []}, "format must be"),
        ],
    )
    def test_refuses_a_malformed_envelope(self, signed, match):
        with pytest.raises(TrustListRejected, match=match) as raised:
            tl.parse(signed)
        assert rejected(raised, "trustlist.malformed")


class TestSigning:
    def test_each_signature_names_its_state_and_type(self, states):
        signed = signed_by(states, v1_document(states), "RU", "AM")
        assert headers_of(signed) == [
            {
                "typ": "eaeu-trust-list+jws",
                "eaeu_state": "AM",
                "alg": "ES256",
                "kid": states["AM"].signer.kid,
            },
            {
                "typ": "eaeu-trust-list+jws",
                "eaeu_state": "RU",
                "alg": "ES256",
                "kid": states["RU"].signer.kid,
            },
        ]
        assert tl.signing_states(signed) == ["AM", "RU"]

    def test_a_proposal_starts_with_no_signature(self, states):
        assert tl.sign(v1_document(states), {})["signatures"] == []

    def test_refuses_to_sign_what_is_not_a_trust_list(self, states):
        with pytest.raises(TrustListRejected, match="format must be") as raised:
            tl.sign({"format": "x"}, {"AM": states["AM"].signer})
        assert rejected(raised, "trustlist.malformed")

    def test_states_add_their_signatures_one_by_one(self, states):
        signed = tl.sign(v1_document(states), {})
        for code in ("KZ", "AM", "BY"):
            signed = tl.add_state_signature(signed, code, states[code].signer)
        assert tl.signing_states(signed) == ["KZ", "AM", "BY"]
        assert tl.accept_first(signed, at=NOW).signed_by == ("AM", "BY", "KZ")

    def test_a_state_cannot_add_a_second_signature(self, states):
        signed = signed_by(states, v1_document(states), "KZ")
        with pytest.raises(TrustListRejected, match="KZ has already signed") as raised:
            tl.add_state_signature(signed, "KZ", states["KZ"].signer)
        assert rejected(raised, "trustlist.duplicate_signer")

    def test_refuses_to_add_a_signature_to_a_malformed_list(self, states):
        with pytest.raises(TrustListRejected, match="payload is not canonical") as raised:
            tl.add_state_signature(
                {"payload": b64url(b'{"a": 1}'), "signatures": []}, "KZ", states["KZ"].signer
            )
        assert rejected(raised, "trustlist.malformed")

    @pytest.mark.parametrize(
        "entry",
        [{"protected": b64url(b'{"alg":"ES256"}')}, {"protected": 5}, {}],
        ids=["no-state", "not-text", "no-header"],
    )
    def test_the_claimed_signers_need_readable_headers(self, states, entry):
        signed = {**tl.sign(v1_document(states), {}), "signatures": [entry]}
        with pytest.raises(TrustListRejected, match="header without eaeu_state") as raised:
            tl.signing_states(signed)
        assert rejected(raised, "trustlist.malformed")


def tamper(signed):
    """Change one byte of the payload (a state's name) and keep the signatures."""
    raw = b64url_decode(signed["payload"]).replace(b'"Kazakhstan"', b'"Kazakhstam"', 1)
    return {**signed, "payload": b64url(raw)}


class TestFirstVersion:
    def test_accepts_version_1_signed_by_its_own_threshold(self, states):
        accepted = tl.accept_first(signed_by(states, v1_document(states), "AM", "KG", "RU"), at=NOW)
        assert accepted.version == 1
        assert accepted.signed_by == ("AM", "KG", "RU")

    def test_refuses_version_1_below_its_own_threshold(self, states):
        signed = signed_by(states, v1_document(states), "AM", "KG")
        with pytest.raises(TrustListRejected, match="signed by 2 of the 3") as raised:
            tl.accept_first(signed, at=NOW)
        assert rejected(raised, "trustlist.threshold")

    def test_accepts_the_pinned_version(self, states):
        signed = signed_by(states, v1_document(states), *STATES)
        digest = tl.parse(signed).digest
        assert tl.accept_first(signed, at=NOW, pinned_digest=digest.upper()).digest == digest

    def test_refuses_a_list_that_is_not_the_pinned_one(self, states, v1):
        other = signed_by(states, v1_document(states, threshold=2), *STATES)
        with pytest.raises(TrustListRejected, match="not the pinned first version") as raised:
            tl.accept_first(other, at=NOW, pinned_digest=v1.digest)
        assert rejected(raised, "trustlist.pinned")

    def test_a_later_version_cannot_be_trusted_on_its_own(self, states, v1):
        v2 = signed_by(states, propose(v1, now=NOW, changes=[]), *STATES)
        with pytest.raises(TrustListRejected, match="version 2 cannot be trusted") as raised:
            tl.accept_first(v2, at=NOW)
        assert rejected(raised, "trustlist.not_first")

    def test_refuses_an_expired_first_version(self, states):
        signed = signed_by(states, v1_document(states), *STATES)
        with pytest.raises(TrustListRejected, match="expired") as raised:
            tl.accept_first(signed, at=NOW + YEAR)
        assert rejected(raised, "trustlist.expired")

    def test_refuses_a_signature_by_a_state_outside_the_list(self, states):
        document = v1_document(states)
        signed = tl.sign(document, {c: states[c].signer for c in ("AM", "BY", "KG", "UZ")})
        with pytest.raises(TrustListRejected, match="by 'UZ', not a member") as raised:
            tl.accept_first(signed, at=NOW)
        assert rejected(raised, "trustlist.non_member")

    def test_refuses_a_tampered_byte(self, states):
        signed = tamper(signed_by(states, v1_document(states), *STATES))
        with pytest.raises(TrustListRejected, match="does not verify") as raised:
            tl.accept_first(signed, at=NOW)
        assert rejected(raised, "trustlist.tampered")


class TestSignatureChecks:
    """Every signature over a successor is checked against the list in force."""

    def test_refuses_a_signature_by_a_non_member(self, states, v1):
        document = propose(v1, now=NOW, changes=[])
        signed = tl.sign(document, {c: states[c].signer for c in ("AM", "BY", "KG", "UZ")})
        with pytest.raises(TrustListRejected, match="'UZ', not a member") as raised:
            tl.accept_successor(v1, signed, at=NOW)
        assert rejected(raised, "trustlist.non_member")

    def test_refuses_a_member_signing_with_another_key_than_its_governance_key(self, states, v1):
        document = propose(v1, now=NOW, changes=[])
        node = EcSigner(states["KZ"].node_key)
        signed = tl.sign(
            document, {"AM": states["AM"].signer, "BY": states["BY"].signer, "KZ": node}
        )
        with pytest.raises(TrustListRejected, match="not by its current governance key") as raised:
            tl.accept_successor(v1, signed, at=NOW)
        assert rejected(raised, "trustlist.non_member")

    def test_refuses_a_state_without_a_name(self, states, v1):
        document = propose(v1, now=NOW, changes=[])
        entry = jws.add_signature(
            b64url(canonical_json(document)), states["AM"].signer, {"typ": tl.TYP}
        )
        signed = {"payload": b64url(canonical_json(document)), "signatures": [entry]}
        with pytest.raises(TrustListRejected, match="by None, not a member") as raised:
            tl.accept_successor(v1, signed, at=NOW)
        assert rejected(raised, "trustlist.non_member")

    def test_refuses_a_duplicate_signer(self, states, v1):
        signed = signed_by(states, propose(v1, now=NOW, changes=[]), "AM", "BY")
        signed["signatures"].append(signed["signatures"][0])
        with pytest.raises(TrustListRejected, match="AM signed the trust list twice") as raised:
            tl.accept_successor(v1, signed, at=NOW)
        assert rejected(raised, "trustlist.duplicate_signer")

    def test_refuses_a_signature_of_another_type(self, states, v1):
        document = propose(v1, now=NOW, changes=[])
        entry = jws.add_signature(
            b64url(canonical_json(document)), states["AM"].signer, {"eaeu_state": "AM"}
        )
        signed = {"payload": b64url(canonical_json(document)), "signatures": [entry]}
        with pytest.raises(TrustListRejected, match='must have "typ"') as raised:
            tl.accept_successor(v1, signed, at=NOW)
        assert rejected(raised, "trustlist.malformed")

    def test_refuses_a_signature_value_that_is_not_es256(self, states, v1):
        signed = signed_by(states, propose(v1, now=NOW, changes=[]), *STATES)
        signed["signatures"][0]["signature"] = "AAAA"
        with pytest.raises(TrustListRejected, match="64 bytes") as raised:
            tl.accept_successor(v1, signed, at=NOW)
        assert rejected(raised, "trustlist.malformed")

    def test_refuses_alg_none(self, states, v1):
        signed = signed_by(states, propose(v1, now=NOW, changes=[]), *STATES)
        header = {"alg": "none", "typ": tl.TYP, "eaeu_state": "AM"}
        signed["signatures"][0] = {"protected": b64url(canonical_json(header)), "signature": ""}
        with pytest.raises(TrustListRejected, match="'none' is not accepted") as raised:
            tl.accept_successor(v1, signed, at=NOW)
        assert rejected(raised, "trustlist.malformed")


class TestTrustListSuccession:
    def test_accepts_the_next_version_signed_by_the_threshold(self, states, v1):
        document = propose(v1, now=NOW, changes=[Join("KZ", "travel", ("verifier",))])
        accepted = tl.accept_successor(v1, signed_by(states, document, "AM", "KG", "KZ"), at=NOW)
        assert accepted.version == 2
        assert accepted.signed_by == ("AM", "KG", "KZ")
        assert accepted.participates("KZ", "travel", "verifier")

    def test_refuses_a_rollback_to_an_older_version(self, states, v1):
        v2 = tl.accept_successor(
            v1, signed_by(states, propose(v1, now=NOW, changes=[]), *STATES), at=NOW
        )
        old = signed_by(states, v1_document(states), *STATES)
        with pytest.raises(
            TrustListRejected, match="version 1 does not follow version 2"
        ) as raised:
            tl.accept_successor(v2, old, at=NOW)
        assert rejected(raised, "trustlist.rollback")

    def test_refuses_the_same_version_again(self, states, v1):
        same = signed_by(states, v1_document(states), *STATES)
        with pytest.raises(TrustListRejected, match="does not follow") as raised:
            tl.accept_successor(v1, same, at=NOW)
        assert rejected(raised, "trustlist.rollback")

    @pytest.mark.parametrize("codes", [(), ("AM",), ("AM", "BY")])
    def test_refuses_a_version_below_the_current_threshold(self, states, v1, codes):
        signed = signed_by(states, propose(v1, now=NOW, changes=[]), *codes)
        with pytest.raises(TrustListRejected, match=f"signed by {len(codes)} of the 3") as raised:
            tl.accept_successor(v1, signed, at=NOW)
        assert rejected(raised, "trustlist.threshold")

    def test_the_threshold_is_the_current_one_not_the_candidates(self, states, v1):
        document = propose(v1, now=NOW, changes=[SetThreshold(1)])
        with pytest.raises(TrustListRejected, match="signed by 1 of the 3") as raised:
            tl.accept_successor(v1, signed_by(states, document, "AM"), at=NOW)
        assert rejected(raised, "trustlist.threshold")

    def test_refuses_a_tampered_byte_in_the_payload(self, states, v1):
        signed = tamper(signed_by(states, propose(v1, now=NOW, changes=[]), *STATES))
        with pytest.raises(TrustListRejected, match="does not verify") as raised:
            tl.accept_successor(v1, signed, at=NOW)
        assert rejected(raised, "trustlist.tampered")

    def test_refuses_an_expired_successor(self, states, v1):
        document = propose(v1, now=NOW, changes=[], validity=timedelta(days=1))
        signed = signed_by(states, document, *STATES)
        with pytest.raises(TrustListRejected, match="version 2 expired") as raised:
            tl.accept_successor(v1, signed, at=NOW + timedelta(days=1))
        assert rejected(raised, "trustlist.expired")

    @pytest.mark.parametrize("threshold", [0, 6])
    def test_refuses_a_threshold_outside_the_members(self, states, v1, threshold):
        document = propose(v1, now=NOW, changes=[])
        document["threshold"] = threshold
        signed = raw_sign(document, {c: states[c].signer for c in STATES})
        with pytest.raises(TrustListRejected, match="threshold must be between 1 and") as raised:
            tl.accept_successor(v1, signed, at=NOW)
        assert rejected(raised, "trustlist.malformed")

    def test_refuses_a_malformed_successor_even_when_signed(self, states, v1):
        signed = raw_sign({"format": "other"}, {c: states[c].signer for c in STATES})
        with pytest.raises(TrustListRejected, match="format must be") as raised:
            tl.accept_successor(v1, signed, at=NOW)
        assert rejected(raised, "trustlist.malformed")

    def test_a_new_member_signs_the_version_after_it_joins(self, states, v1):
        # v2: Uzbekistan joins and the threshold rises to 4; it cannot sign its own entry in.
        uz = states["UZ"].entry(services={"jobs": ["consumer"]})
        v2_doc = propose(v1, now=NOW, changes=[AddMember(uz), SetThreshold(4)])
        with pytest.raises(TrustListRejected, match="'UZ', not a member") as raised:
            tl.accept_successor(v1, signed_by(states, v2_doc, "AM", "BY", "UZ", "KZ"), at=NOW)
        assert rejected(raised, "trustlist.non_member")
        v2 = tl.accept_successor(v1, signed_by(states, v2_doc, "AM", "BY", "KZ"), at=NOW)
        assert v2.threshold == 4
        assert v2.participants("jobs", "consumer") == [*STATES, "UZ"]
        # v3 needs four signatures now, and Uzbekistan's counts.
        v3_doc = propose(v2, now=NOW, changes=[Join("UZ", "jobs", ("publisher",))])
        with pytest.raises(TrustListRejected, match="signed by 3 of the 4") as raised:
            tl.accept_successor(v2, signed_by(states, v3_doc, "AM", "BY", "UZ"), at=NOW)
        assert rejected(raised, "trustlist.threshold")
        v3 = tl.accept_successor(v2, signed_by(states, v3_doc, "AM", "BY", "KG", "UZ"), at=NOW)
        assert v3.signed_by == ("AM", "BY", "KG", "UZ")
        assert v3.participates("UZ", "jobs", "publisher")

    def test_a_removed_member_no_longer_signs(self, states, v1):
        v2_doc = propose(v1, now=NOW, changes=[RemoveMember("RU"), SetThreshold(2)])
        v2 = tl.accept_successor(v1, signed_by(states, v2_doc, *STATES), at=NOW)
        v3_doc = propose(v2, now=NOW, changes=[])
        with pytest.raises(TrustListRejected, match="'RU', not a member") as raised:
            tl.accept_successor(v2, signed_by(states, v3_doc, "AM", "RU"), at=NOW)
        assert rejected(raised, "trustlist.non_member")

    def test_a_new_governance_key_signs_from_the_next_version(self, states, v1):
        new_kz = make_state("KZ")
        v2_doc = propose(v1, now=NOW, changes=[RemoveMember("KZ"), AddMember(new_kz.entry())])
        v2 = tl.accept_successor(v1, signed_by(states, v2_doc, "AM", "BY", "KZ"), at=NOW)
        v3_doc = propose(v2, now=NOW, changes=[])
        with pytest.raises(TrustListRejected, match="KZ is not by its current") as raised:
            tl.accept_successor(v2, signed_by(states, v3_doc, "AM", "BY", "KZ"), at=NOW)
        assert rejected(raised, "trustlist.non_member")
        signers = {"AM": states["AM"].signer, "BY": states["BY"].signer, "KZ": new_kz.signer}
        assert tl.accept_successor(v2, tl.sign(v3_doc, signers), at=NOW).version == 3


class TestChain:
    def chain(self, states, v1):
        first = signed_by(states, v1_document(states), *STATES)
        v2_doc = propose(v1, now=NOW + timedelta(days=200), changes=[SetThreshold(2)])
        v2 = tl.accept_successor(v1, second := signed_by(states, v2_doc, *STATES), at=NOW)
        v3_doc = propose(v2, now=NOW + timedelta(days=400), changes=[])
        return [first, second, signed_by(states, v3_doc, "AM", "BY")]

    def test_follows_the_chain_to_the_last_version(self, states, v1):
        # Version 1 expired after a year; only the last version must be current.
        at = NOW + timedelta(days=500)
        accepted = tl.verify_chain(self.chain(states, v1), at=at, pinned_digest=v1.digest)
        assert accepted.version == 3
        assert accepted.signed_by == ("AM", "BY")

    def test_refuses_a_chain_whose_last_version_expired(self, states, v1):
        with pytest.raises(TrustListRejected, match="version 3 expired") as raised:
            tl.verify_chain(self.chain(states, v1), at=NOW + timedelta(days=765))
        assert rejected(raised, "trustlist.expired")

    def test_following_without_a_time_skips_expiry(self, states, v1):
        assert tl.follow_chain(self.chain(states, v1)).version == 3

    def test_refuses_a_chain_from_another_first_version(self, states, v1):
        chain = self.chain(states, v1)
        with pytest.raises(TrustListRejected, match="pinned") as raised:
            tl.verify_chain(chain, at=NOW, pinned_digest="00" * 32)
        assert rejected(raised, "trustlist.pinned")

    def test_refuses_a_chain_with_a_gap_in_signatures(self, states, v1):
        chain = self.chain(states, v1)
        chain[2]["signatures"] = chain[2]["signatures"][:1]
        with pytest.raises(TrustListRejected, match="signed by 1 of the 2") as raised:
            tl.verify_chain(chain, at=NOW + timedelta(days=400))
        assert rejected(raised, "trustlist.threshold")

    def test_refuses_an_empty_chain(self):
        with pytest.raises(TrustListRejected, match="the chain has no versions") as raised:
            tl.verify_chain([], at=NOW)
        assert rejected(raised, "trustlist.malformed")


class TestProposals:
    def test_the_next_version_is_issued_now_and_keeps_the_rest(self, v1):
        later = NOW + timedelta(days=30)
        document = propose(v1, now=later, changes=[], validity=timedelta(days=90))
        assert document["version"] == 2
        assert document["issued_at"] == "2026-01-31T00:00:00Z"
        assert document["expires_at"] == "2026-05-01T00:00:00Z"
        assert document["members"] == v1.document["members"]
        assert v1.document["version"] == 1

    def test_joining_adds_roles(self, v1):
        document = propose(
            v1,
            now=NOW,
            changes=[
                Join("KZ", "travel", ("verifier",)),
                Join("KZ", "travel", ("issuer",)),
                Join("AM", "jobs", ("consumer",)),
            ],
        )
        assert document["members"]["KZ"]["services"]["travel"] == ["issuer", "verifier"]
        assert document["members"]["AM"]["services"]["jobs"] == ["consumer", "publisher"]

    def test_leaving_removes_every_role(self, v1):
        document = propose(v1, now=NOW, changes=[Leave("AM", "travel")])
        assert "travel" not in document["members"]["AM"]["services"]

    def test_cannot_leave_a_service_a_state_is_not_in(self, v1):
        with pytest.raises(TrustError, match="KZ does not take part in travel") as raised:
            propose(v1, now=NOW, changes=[Leave("KZ", "travel")])
        assert rejected(raised, "trust.not_participating")

    @pytest.mark.parametrize(
        "change",
        [Join("UZ", "jobs", ("consumer",)), SetEndpoint("UZ", "http://uz"), RemoveMember("UZ")],
        ids=["join", "endpoint", "remove"],
    )
    def test_changes_name_existing_members(self, v1, change):
        with pytest.raises(TrustError, match="'UZ' is not a member") as raised:
            propose(v1, now=NOW, changes=[change])
        assert rejected(raised, "trust.unknown_member")

    def test_moves_an_endpoint_to_a_valid_url_only(self, v1):
        document = propose(v1, now=NOW, changes=[SetEndpoint("KZ", "https://kz.example")])
        assert tl.parse_document(document).endpoint("KZ") == "https://kz.example"
        with pytest.raises(TrustListRejected, match="must be an http or https URL") as raised:
            propose(v1, now=NOW, changes=[SetEndpoint("KZ", "kz.example")])
        assert rejected(raised, "trustlist.malformed")

    def test_refuses_a_threshold_above_the_members(self, v1):
        with pytest.raises(TrustListRejected, match="between 1 and the 5 members") as raised:
            propose(v1, now=NOW, changes=[SetThreshold(6)])
        assert rejected(raised, "trustlist.malformed")

    def test_replaces_node_keys(self, v1, states):
        new = make_state("KZ", root_key=states["KZ"].root_key)
        change = ReplaceNodeKeys("KZ", new.node_cert, new.encryption_key.public_key())
        candidate = tl.parse_document(propose(v1, now=NOW, changes=[change]))
        assert candidate.node_verifier(EcSigner(new.node_key).kid)[0] == "KZ"
        assert candidate.encryption_key("KZ") == new.encryption_key.public_key()

    def test_replaces_document_signers(self, v1):
        change = ReplaceDocumentSigners("KZ", ())
        assert (
            tl.parse_document(propose(v1, now=NOW, changes=[change])).document_signers(
                "KZ", "health"
            )
            == []
        )

    def test_cannot_add_an_existing_member(self, v1, states):
        with pytest.raises(TrustError, match="KZ is already a member") as raised:
            propose(v1, now=NOW, changes=[AddMember(states["KZ"].entry())])
        assert rejected(raised, "trust.member_exists")


class TestDescribingChanges:
    def test_says_what_a_proposal_changes(self, v1, states):
        new_kz, new_by = make_state("KZ"), make_state("BY")
        changes = [
            SetThreshold(4),
            AddMember(states["UZ"].entry(services={"jobs": ["consumer"]})),
            RemoveMember("RU"),
            SetEndpoint("AM", "https://am.example"),
            ReplaceNodeKeys("BY", new_by.node_cert, new_by.encryption_key.public_key()),
            ReplaceDocumentSigners("BY", ()),
            Leave("AM", "travel"),
            Join("KZ", "travel", ("verifier",)),
            Join("KG", "jobs", ("auditor",)),
            RemoveMember("KZ"),
            AddMember(new_kz.entry()),
        ]
        candidate = tl.parse_document(propose(v1, now=NOW, changes=changes))
        lines = describe_changes(v1, candidate)
        by = EcSigner(new_by.node_key).kid
        assert lines[:3] == [
            "version 1 -> 2",
            "threshold 3 -> 4",
            "valid until 2027-01-01T00:00:00Z",
        ]
        assert "AM endpoint http://127.0.0.1:8100/am -> https://am.example" in lines
        assert "AM leaves travel" in lines
        assert f"BY node signing key now {by}" in lines
        assert any(line.startswith("BY node encryption key now ") for line in lines)
        assert "BY document signers replaced (none)" in lines
        assert "KG jobs roles consumer, publisher -> auditor, consumer, publisher" in lines
        assert f"KZ root CA and governance key now {new_kz.signer.kid}" in lines
        assert "KZ document signers replaced (health)" in lines
        assert "RU leaves the union" in lines
        assert "UZ joins the union" in lines
        assert not any(line.startswith("KZ joins travel") for line in lines)

    def test_a_join_is_described_with_its_roles(self, v1):
        candidate = tl.parse_document(
            propose(v1, now=NOW, changes=[Join("KZ", "travel", ("verifier", "issuer"))])
        )
        assert describe_changes(v1, candidate)[2:] == ["KZ joins travel as issuer, verifier"]
