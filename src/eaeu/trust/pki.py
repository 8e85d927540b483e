"""National PKI: each state's root CA and the certificates it issues (RFC 5280).

Every state has one root CA. Directly under it (no intermediates) sit the node's exchange
signing certificate, the document signer certificates of its authorities (health ministry,
migration service, labelling operator) and the certificates of organisations and persons
who sign documents. What a certificate may be used for is stated by its extended key usage.

EAEU key purposes live under a private arc derived from a UUID (ITU-T X.667, ``2.25.<uuid>``),
which anyone may allocate without registration::

    2.25.163240608830321181327524095539458016485        EAEU Digital Platform
     └── .1                                             key purposes (EKU)
          ├── .1  exchange        a national node signing exchange messages
          ├── .2  health          a health authority signing travel certificates
          ├── .3  migration       a migration service signing notices and permits
          ├── .4  labelling       a labelling operator signing product codes
          ├── .5  organisation    an organisation signing documents
          └── .6  person          a person signing documents

Health document signers also carry the EU DCC purposes (``1.3.6.1.4.1.1847.2021.1.1`` test,
``.2`` vaccination, ``.3`` recovery) so that their certificates can later sign DCCs.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from eaeu.kernel.clock import utc
from eaeu.trust.errors import CertificateInvalid, KeyStoreError
from eaeu.trust.keys import PrivateKey, PublicKey

#: The private arc of the EAEU Digital Platform (a UUID-derived OID, ITU-T X.667).
EAEU_ARC = "2.25.163240608830321181327524095539458016485"
_PURPOSES = f"{EAEU_ARC}.1"

EKU_EXCHANGE = x509.ObjectIdentifier(f"{_PURPOSES}.1")
EKU_HEALTH = x509.ObjectIdentifier(f"{_PURPOSES}.2")
EKU_MIGRATION = x509.ObjectIdentifier(f"{_PURPOSES}.3")
EKU_LABELLING = x509.ObjectIdentifier(f"{_PURPOSES}.4")
EKU_ORGANISATION = x509.ObjectIdentifier(f"{_PURPOSES}.5")
EKU_PERSON = x509.ObjectIdentifier(f"{_PURPOSES}.6")
#: RFC 9336 id-kp-documentSigning.
EKU_DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
#: EU DCC document signer purposes (eHealth Network, DCC technical specifications vol. 1).
EKU_DCC_TEST = x509.ObjectIdentifier("1.3.6.1.4.1.1847.2021.1.1")
EKU_DCC_VACCINATION = x509.ObjectIdentifier("1.3.6.1.4.1.1847.2021.1.2")
EKU_DCC_RECOVERY = x509.ObjectIdentifier("1.3.6.1.4.1.1847.2021.1.3")

#: The usages :func:`verify_certificate` checks, by name.
USAGES: dict[str, x509.ObjectIdentifier] = {
    "exchange": EKU_EXCHANGE,
    "health": EKU_HEALTH,
    "migration": EKU_MIGRATION,
    "labelling": EKU_LABELLING,
    "organisation": EKU_ORGANISATION,
    "person": EKU_PERSON,
    "document": EKU_DOCUMENT_SIGNING,
    "dcc-test": EKU_DCC_TEST,
    "dcc-vaccination": EKU_DCC_VACCINATION,
    "dcc-recovery": EKU_DCC_RECOVERY,
}

UNION_ORGANISATION = "EAEU Digital Platform"

_E = TypeVar("_E", bound=x509.ExtensionType)


@dataclass(frozen=True, slots=True)
class Profile:
    """What an end-entity certificate is for: its name, key usage and extended key usages.

    Attributes:
        name: the profile's name (``node-signing``, ``ds-health``…).
        purposes: the extended key usages the certificate carries.
        non_repudiation: whether the key signs commitments (``contentCommitment``).
    """

    name: str
    purposes: tuple[x509.ObjectIdentifier, ...]
    non_repudiation: bool = False


NODE_SIGNING = Profile("node-signing", (EKU_EXCHANGE,))
DOCUMENT_SIGNER_HEALTH = Profile(
    "ds-health",
    (EKU_HEALTH, EKU_DOCUMENT_SIGNING, EKU_DCC_TEST, EKU_DCC_VACCINATION, EKU_DCC_RECOVERY),
    non_repudiation=True,
)
DOCUMENT_SIGNER_MIGRATION = Profile(
    "ds-migration", (EKU_MIGRATION, EKU_DOCUMENT_SIGNING), non_repudiation=True
)
DOCUMENT_SIGNER_LABELLING = Profile(
    "ds-labelling", (EKU_LABELLING, EKU_DOCUMENT_SIGNING), non_repudiation=True
)
ORGANISATION = Profile(
    "organisation", (EKU_ORGANISATION, EKU_DOCUMENT_SIGNING), non_repudiation=True
)
PERSON = Profile("person", (EKU_PERSON, EKU_DOCUMENT_SIGNING), non_repudiation=True)

#: Document signer profiles by role, as roles are named in the trust list.
DOCUMENT_SIGNERS: dict[str, Profile] = {
    "health": DOCUMENT_SIGNER_HEALTH,
    "migration": DOCUMENT_SIGNER_MIGRATION,
    "labelling": DOCUMENT_SIGNER_LABELLING,
}


def document_signer_profile(role: str) -> Profile:
    """Return the document signer profile for ``role`` (``health``, ``migration``, ``labelling``).

    Raises:
        ValueError: no such role.
    """
    try:
        return DOCUMENT_SIGNERS[role]
    except KeyError:
        raise ValueError(f"unknown document signer role {role!r}") from None


def _name(state: str, common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, state),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue_root(state: str, key: PrivateKey, *, now: datetime, days: int = 3650) -> x509.Certificate:
    """Issue a state's self-signed root CA certificate.

    The root issues end-entity certificates directly, so its path length is 0. Its key is
    also the state's governance key for the union trust list.

    Args:
        state: the member state's ISO code (``KZ``).
        key: the root CA's private key (EC P-256 or RSA).
        now: the start of validity.
        days: how long the root is valid.

    Returns:
        The root certificate, signed with SHA-256.
    """
    start = utc(now)
    name = _name(state, f"EAEU {state} Root CA", UNION_ORGANISATION)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )


def issue_certificate(
    *,
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    public_key: PublicKey,
    common_name: str,
    profile: Profile,
    now: datetime,
    days: int,
    organisation: str | None = None,
    serial: int | None = None,
) -> x509.Certificate:
    """Issue an end-entity certificate under a root CA.

    Validity starts at ``now`` and lasts ``days``, clipped to the issuer's validity.

    Args:
        issuer_cert: the root CA certificate.
        issuer_key: the root CA's private key.
        public_key: the subject's public key.
        common_name: the subject's common name.
        profile: what the certificate is for (:data:`NODE_SIGNING`, :data:`PERSON`…).
        now: the start of validity.
        days: how long the certificate is valid.
        organisation: the subject organisation; the issuer's by default.
        serial: the serial number; random (RFC 5280 §4.1.2.2) by default.

    Returns:
        The certificate, signed with SHA-256.

    Raises:
        CertificateInvalid: the issuer is not valid at any time of the requested validity
            (``certificate.expired``).
    """
    start = max(utc(now), issuer_cert.not_valid_before_utc)
    end = min(utc(now) + timedelta(days=days), issuer_cert.not_valid_after_utc)
    if end <= start:
        raise CertificateInvalid(
            "the issuer is not valid during the requested validity", reason="certificate.expired"
        )
    state = issuer_cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value
    issuer_org = issuer_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    subject = _name(str(state), common_name, organisation or str(issuer_org))
    issuer_ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject)
        .public_key(public_key)
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=profile.non_repudiation,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(list(profile.purposes)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski.value),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )


def _extension(cert: x509.Certificate, kind: type[_E]) -> _E | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _issued_by(cert: x509.Certificate, root: x509.Certificate) -> bool:
    if root.subject != cert.issuer:
        return False
    basic = _extension(root, x509.BasicConstraints)
    if basic is None or not basic.ca:
        return False
    aki = _extension(cert, x509.AuthorityKeyIdentifier)
    ski = _extension(root, x509.SubjectKeyIdentifier)
    # The key identifiers tell apart two roots with one name (a root after a key change).
    if aki is not None and ski is not None and aki.key_identifier not in (None, ski.digest):
        return False
    try:
        cert.verify_directly_issued_by(root)
    except (_CryptoInvalidSignature, ValueError, TypeError):
        return False
    return True


def _check_time(cert: x509.Certificate, at: datetime, what: str) -> None:
    if at < cert.not_valid_before_utc:
        raise CertificateInvalid(f"{what} is not valid yet", reason="certificate.not_yet_valid")
    if at > cert.not_valid_after_utc:
        raise CertificateInvalid(f"{what} has expired", reason="certificate.expired")


def verify_certificate(
    cert: x509.Certificate,
    roots: Sequence[x509.Certificate],
    *,
    at: datetime,
    usage: str | None = None,
) -> x509.Certificate:
    """Verify an end-entity certificate issued directly by one of ``roots``.

    Args:
        cert: the end-entity certificate; a CA certificate is refused.
        roots: the trusted root CA certificates (one state's, from the trust list).
        at: the time at which the certificate and its root must be valid.
        usage: a name from :data:`USAGES` the certificate's extended key usage must allow.

    Returns:
        The root certificate ``cert`` chains to.

    Raises:
        CertificateInvalid: ``certificate.untrusted`` (no root issued it, or its signature
            fails), ``certificate.expired`` or ``certificate.not_yet_valid`` (the certificate
            or its root at ``at``), ``certificate.usage`` (a CA certificate, or the requested
            usage is not allowed), ``certificate.malformed`` (unreadable extensions).
        ValueError: ``usage`` is not a known usage name.
    """
    if usage is not None and usage not in USAGES:
        raise ValueError(f"unknown certificate usage {usage!r}")
    moment = utc(at)
    try:
        basic = _extension(cert, x509.BasicConstraints)
        purposes = _extension(cert, x509.ExtendedKeyUsage)
        key_usage = _extension(cert, x509.KeyUsage)
        root = next((r for r in roots if _issued_by(cert, r)), None)
    except (ValueError, x509.DuplicateExtension):
        raise CertificateInvalid(
            "the certificate cannot be read", reason="certificate.malformed"
        ) from None
    if basic is not None and basic.ca:
        raise CertificateInvalid(
            "a CA certificate cannot sign as an end entity", reason="certificate.usage"
        )
    if root is None:
        raise CertificateInvalid(
            "the certificate was not issued by a trusted root", reason="certificate.untrusted"
        )
    _check_time(cert, moment, "the certificate")
    _check_time(root, moment, "the root CA of the certificate")
    if usage is not None and (
        purposes is None
        or USAGES[usage] not in purposes
        or key_usage is None
        or not key_usage.digital_signature
    ):
        raise CertificateInvalid(
            f"the certificate may not be used for {usage}", reason="certificate.usage"
        )
    return root


def cert_to_b64der(cert: x509.Certificate) -> str:
    """Return the certificate as base64 DER (padded, standard alphabet, as in JWS ``x5c``)."""
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def cert_from_b64der(text: str) -> x509.Certificate:
    """Read a certificate from base64 DER.

    Raises:
        CertificateInvalid: not base64 or not a DER certificate (``certificate.malformed``).
    """
    try:
        der = base64.b64decode(text, validate=True)
        return x509.load_der_x509_certificate(der)
    except (TypeError, ValueError, binascii.Error):
        raise CertificateInvalid(
            "not a base64 DER certificate", reason="certificate.malformed"
        ) from None


def save_certificate_pem(cert: x509.Certificate, path: Path) -> None:
    """Write ``cert`` to ``path`` as PEM, creating the folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def load_certificate_pem(path: Path) -> x509.Certificate:
    """Read a PEM certificate.

    Raises:
        KeyStoreError: no file at ``path`` (``keys.missing``).
        CertificateInvalid: the file is not a PEM certificate (``certificate.malformed``).
    """
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise KeyStoreError(f"no certificate at {path}", reason="keys.missing") from None
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise CertificateInvalid(
            f"the file at {path} is not a PEM certificate", reason="certificate.malformed"
        ) from None
