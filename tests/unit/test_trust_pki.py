"""National PKI: roots, end-entity profiles, and verification of a certificate to its root."""

import base64
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from eaeu.testing import FrozenClock
from eaeu.trust import pki
from eaeu.trust.errors import CertificateInvalid
from eaeu.trust.keys import generate_ec_key

CLOCK = FrozenClock()
NOW = CLOCK.now()


@pytest.fixture(scope="module")
def root_key():
    return generate_ec_key()


@pytest.fixture(scope="module")
def root(root_key):
    return pki.issue_root("KZ", root_key, now=NOW, days=3650)


def issue(root, root_key, profile=pki.NODE_SIGNING, *, now=NOW, days=365, **kwargs):
    return pki.issue_certificate(
        issuer_cert=root,
        issuer_key=root_key,
        public_key=generate_ec_key().public_key(),
        common_name="EAEU KZ node",
        profile=profile,
        now=now,
        days=days,
        **kwargs,
    )


def build(subject, issuer_name, key, signing_key, *, extensions=(), days=365, start=NOW):
    """A certificate built by hand, for shapes the issuing functions never produce."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


class TestRoot:
    def test_names_the_state_and_the_union(self, root):
        subject = root.subject
        assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "EAEU KZ Root CA"
        assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "KZ"
        organisation = subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
        assert organisation == "EAEU Digital Platform"
        assert root.issuer == subject

    def test_is_a_ca_that_issues_end_entities_directly(self, root):
        basic = root.extensions.get_extension_for_class(x509.BasicConstraints)
        assert basic.critical
        assert basic.value.ca
        assert basic.value.path_length == 0
        usage = root.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.key_cert_sign
        assert usage.crl_sign
        assert not usage.digital_signature

    def test_carries_its_key_identifier_and_validity(self, root, root_key):
        ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        assert ski == x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
        assert root.not_valid_before_utc == NOW
        assert root.not_valid_after_utc == NOW + timedelta(days=3650)
        root.verify_directly_issued_by(root)


class TestIssuing:
    @pytest.mark.parametrize(
        ("profile", "purposes", "commitment"),
        [
            (pki.NODE_SIGNING, {pki.EKU_EXCHANGE}, False),
            (
                pki.DOCUMENT_SIGNER_HEALTH,
                {
                    pki.EKU_HEALTH,
                    pki.EKU_DOCUMENT_SIGNING,
                    pki.EKU_DCC_TEST,
                    pki.EKU_DCC_VACCINATION,
                    pki.EKU_DCC_RECOVERY,
                },
                True,
            ),
            (pki.DOCUMENT_SIGNER_MIGRATION, {pki.EKU_MIGRATION, pki.EKU_DOCUMENT_SIGNING}, True),
            (pki.DOCUMENT_SIGNER_LABELLING, {pki.EKU_LABELLING, pki.EKU_DOCUMENT_SIGNING}, True),
            (pki.ORGANISATION, {pki.EKU_ORGANISATION, pki.EKU_DOCUMENT_SIGNING}, True),
            (pki.PERSON, {pki.EKU_PERSON, pki.EKU_DOCUMENT_SIGNING}, True),
        ],
        ids=lambda value: getattr(value, "name", None),
    )
    def test_each_profile_states_what_the_key_may_do(
        self, root, root_key, profile, purposes, commitment
    ):
        cert = issue(root, root_key, profile)
        assert set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == purposes
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
        assert usage.critical
        assert usage.value.digital_signature
        assert usage.value.content_commitment is commitment
        assert not usage.value.key_cert_sign
        assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca

    def test_the_dcc_purposes_are_the_published_oids(self):
        assert pki.EKU_DCC_TEST.dotted_string == "1.3.6.1.4.1.1847.2021.1.1"
        assert pki.EKU_DCC_VACCINATION.dotted_string == "1.3.6.1.4.1.1847.2021.1.2"
        assert pki.EKU_DCC_RECOVERY.dotted_string == "1.3.6.1.4.1.1847.2021.1.3"
        assert pki.EKU_DOCUMENT_SIGNING.dotted_string == "1.3.6.1.5.5.7.3.36"
        assert pki.EKU_EXCHANGE.dotted_string.startswith("2.25.")

    def test_links_to_the_issuer_by_key_identifier(self, root, root_key):
        cert = issue(root, root_key)
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        assert aki.key_identifier == ski.digest
        own = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        assert own == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
        assert cert.issuer == root.subject
        cert.verify_directly_issued_by(root)

    def test_takes_the_state_and_organisation_of_the_issuer_unless_given(self, root, root_key):
        subject = issue(root, root_key).subject
        assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "KZ"
        assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
            "EAEU Digital Platform"
        )
        named = issue(root, root_key, pki.ORGANISATION, organisation="Ministry of Health")
        organisation = named.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0]
        assert organisation.value == "Ministry of Health"

    def test_uses_a_given_serial_or_a_random_one(self, root, root_key):
        assert issue(root, root_key, serial=4242).serial_number == 4242
        assert issue(root, root_key).serial_number != issue(root, root_key).serial_number

    def test_clips_validity_to_the_issuer(self, root, root_key):
        early = issue(root, root_key, now=NOW - timedelta(days=10), days=30)
        assert early.not_valid_before_utc == NOW
        assert early.not_valid_after_utc == NOW + timedelta(days=20)
        late = issue(root, root_key, now=NOW + timedelta(days=3600), days=365)
        assert late.not_valid_after_utc == root.not_valid_after_utc

    def test_refuses_to_issue_under_an_expired_issuer(self, root, root_key):
        with pytest.raises(CertificateInvalid, match="issuer is not valid") as raised:
            issue(root, root_key, now=NOW + timedelta(days=3651))
        assert raised.value.reason == "certificate.expired"

    def test_document_signer_profiles_by_role(self):
        assert pki.document_signer_profile("health") is pki.DOCUMENT_SIGNER_HEALTH
        assert pki.document_signer_profile("labelling") is pki.DOCUMENT_SIGNER_LABELLING
        with pytest.raises(ValueError, match="unknown document signer role 'customs'"):
            pki.document_signer_profile("customs")


class TestVerification:
    def test_returns_the_root_a_certificate_chains_to(self, root, root_key):
        cert = issue(root, root_key)
        other = pki.issue_root("RU", generate_ec_key(), now=NOW)
        assert pki.verify_certificate(cert, [other, root], at=NOW, usage="exchange") == root

    @pytest.mark.parametrize(
        ("profile", "usage"),
        [
            (pki.DOCUMENT_SIGNER_HEALTH, "dcc-test"),
            (pki.DOCUMENT_SIGNER_HEALTH, "health"),
            (pki.DOCUMENT_SIGNER_MIGRATION, "migration"),
            (pki.PERSON, "document"),
            (pki.ORGANISATION, "organisation"),
        ],
    )
    def test_accepts_the_usages_of_each_profile(self, root, root_key, profile, usage):
        pki.verify_certificate(issue(root, root_key, profile), [root], at=NOW, usage=usage)

    def test_refuses_a_usage_the_certificate_does_not_have(self, root, root_key):
        cert = issue(root, root_key, pki.DOCUMENT_SIGNER_LABELLING)
        with pytest.raises(CertificateInvalid, match="may not be used for health") as raised:
            pki.verify_certificate(cert, [root], at=NOW, usage="health")
        assert raised.value.reason == "certificate.usage"

    def test_refuses_any_usage_of_a_certificate_without_extended_key_usage(self, root, root_key):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bare")])
        cert = build(name, root.subject, generate_ec_key().public_key(), root_key)
        assert pki.verify_certificate(cert, [root], at=NOW) == root
        with pytest.raises(CertificateInvalid, match="may not be used for exchange") as raised:
            pki.verify_certificate(cert, [root], at=NOW, usage="exchange")
        assert raised.value.reason == "certificate.usage"

    def test_refuses_a_usage_without_the_digital_signature_bit(self, root, root_key):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "no bit")])
        eku = x509.ExtendedKeyUsage([pki.EKU_EXCHANGE])
        cert = build(
            name, root.subject, generate_ec_key().public_key(), root_key, extensions=[(eku, False)]
        )
        with pytest.raises(CertificateInvalid, match="may not be used") as raised:
            pki.verify_certificate(cert, [root], at=NOW, usage="exchange")
        assert raised.value.reason == "certificate.usage"

    def test_a_root_is_not_an_end_entity(self, root):
        with pytest.raises(CertificateInvalid, match="CA certificate cannot sign") as raised:
            pki.verify_certificate(root, [root], at=NOW)
        assert raised.value.reason == "certificate.usage"

    def test_refuses_an_unknown_usage_name_as_a_programming_error(self, root, root_key):
        with pytest.raises(ValueError, match="unknown certificate usage 'sorcery'"):
            pki.verify_certificate(issue(root, root_key), [root], at=NOW, usage="sorcery")

    def test_refuses_a_certificate_of_another_states_root(self, root_key):
        kz = pki.issue_root("KZ", root_key, now=NOW)
        ru_key = generate_ec_key()
        ru = pki.issue_root("RU", ru_key, now=NOW)
        with pytest.raises(CertificateInvalid, match="not issued by a trusted root") as raised:
            pki.verify_certificate(issue(ru, ru_key), [kz], at=NOW)
        assert raised.value.reason == "certificate.untrusted"

    def test_refuses_a_root_of_the_same_name_with_another_key(self, root, root_key):
        impostor = pki.issue_root("KZ", generate_ec_key(), now=NOW)
        with pytest.raises(CertificateInvalid, match="not issued by a trusted root") as raised:
            pki.verify_certificate(issue(root, root_key), [impostor], at=NOW)
        assert raised.value.reason == "certificate.untrusted"

    def test_refuses_a_signature_that_fails_under_a_matching_root(self, root, root_key):
        # A root of the same name without a key identifier is tried, and its key fails.
        ca = x509.BasicConstraints(ca=True, path_length=0)
        impostor_key = generate_ec_key()
        impostor = build(
            root.subject,
            root.subject,
            impostor_key.public_key(),
            impostor_key,
            extensions=[(ca, True)],
        )
        with pytest.raises(CertificateInvalid, match="not issued by a trusted root") as raised:
            pki.verify_certificate(issue(root, root_key), [impostor], at=NOW)
        assert raised.value.reason == "certificate.untrusted"

    def test_a_certificate_that_is_not_a_ca_issues_nothing(self, root):
        leaf_key = generate_ec_key()
        not_ca = build(root.subject, root.subject, leaf_key.public_key(), leaf_key)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "child")])
        child = build(name, root.subject, generate_ec_key().public_key(), leaf_key)
        with pytest.raises(CertificateInvalid, match="not issued by a trusted root") as raised:
            pki.verify_certificate(child, [not_ca], at=NOW)
        assert raised.value.reason == "certificate.untrusted"

    def test_refuses_an_expired_certificate(self, root, root_key):
        cert = issue(root, root_key, days=30)
        pki.verify_certificate(cert, [root], at=NOW + timedelta(days=30))
        with pytest.raises(CertificateInvalid, match="the certificate has expired") as raised:
            pki.verify_certificate(cert, [root], at=NOW + timedelta(days=30, seconds=1))
        assert raised.value.reason == "certificate.expired"

    def test_refuses_a_certificate_not_valid_yet(self, root, root_key):
        cert = issue(root, root_key, now=NOW + timedelta(days=1))
        with pytest.raises(CertificateInvalid, match="the certificate is not valid yet") as raised:
            pki.verify_certificate(cert, [root], at=NOW)
        assert raised.value.reason == "certificate.not_yet_valid"

    def test_refuses_a_certificate_whose_root_has_expired(self, root, root_key):
        # The same root key under a longer-lived certificate issued the leaf.
        short_root = pki.issue_root("KZ", root_key, now=NOW, days=10)
        cert = issue(root, root_key, days=365)
        at = NOW + timedelta(days=11)
        with pytest.raises(CertificateInvalid, match=r"the root CA .* has expired") as raised:
            pki.verify_certificate(cert, [short_root], at=at)
        assert raised.value.reason == "certificate.expired"

    def test_refuses_a_certificate_whose_root_is_not_valid_yet(self, root, root_key):
        later_root = pki.issue_root("KZ", root_key, now=NOW + timedelta(days=5))
        with pytest.raises(CertificateInvalid, match=r"root CA .* is not valid yet") as raised:
            pki.verify_certificate(issue(root, root_key), [later_root], at=NOW + timedelta(days=1))
        assert raised.value.reason == "certificate.not_yet_valid"

    def test_refuses_a_certificate_with_unreadable_extensions(self, root, root_key):
        garbage = x509.UnrecognizedExtension(ExtensionOID.EXTENDED_KEY_USAGE, b"\x01\x02")
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "garbled")])
        cert = build(
            name,
            root.subject,
            generate_ec_key().public_key(),
            root_key,
            extensions=[(garbage, False)],
        )
        with pytest.raises(CertificateInvalid, match="cannot be read") as raised:
            pki.verify_certificate(cert, [root], at=NOW)
        assert raised.value.reason == "certificate.malformed"

    def test_the_server_auth_purpose_is_not_an_eaeu_usage(self, root, root_key):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tls")])
        eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
        cert = build(
            name, root.subject, generate_ec_key().public_key(), root_key, extensions=[(eku, False)]
        )
        with pytest.raises(CertificateInvalid, match="may not be used for exchange"):
            pki.verify_certificate(cert, [root], at=NOW, usage="exchange")


class TestEncoding:
    def test_base64_der_round_trips(self, root):
        text = pki.cert_to_b64der(root)
        assert base64.b64decode(text, validate=True)[:1] == b"\x30"
        assert pki.cert_from_b64der(text) == root

    @pytest.mark.parametrize(
        "text",
        ["not base64!", base64.b64encode(b"not a certificate").decode(), None, ""],
        ids=["alphabet", "not-der", "none", "empty"],
    )
    def test_refuses_what_is_not_a_base64_der_certificate(self, text):
        with pytest.raises(CertificateInvalid, match="not a base64 DER certificate") as raised:
            pki.cert_from_b64der(text)
        assert raised.value.reason == "certificate.malformed"
