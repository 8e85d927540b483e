"""What a signature amounts to, whatever its format: the digest signed, the value, the certificates.

JAdES, PAdES and CAdES signatures all come down to the same facts: a signature value over
the digest of some to-be-signed bytes (the JWS signing input, or the CMS signed attributes),
made with the key of a signing certificate, at a claimed time. The format modules read
those facts into :class:`SignatureEvidence`; the validation service checks them the same
way for every format. Because the evidence holds digests, not the document, a node can ask
the signer's home node to confirm a signature without sending the document across the
border.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import NameOID

from eaeu.documents.errors import DocumentUnreadable
from eaeu.documents.model import SignerIdentity, SubIndication
from eaeu.trust.encoding import b64url
from eaeu.trust.errors import InvalidSignature

ECDSA = "ecdsa"
RSA_PKCS1 = "rsa-pkcs1"
RSA_PSS = "rsa-pss"
MECHANISMS = frozenset({ECDSA, RSA_PKCS1, RSA_PSS})

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
#: Algorithm objects built once: building them costs a tenth of a verification.
_PREHASHED = {name: utils.Prehashed(kind()) for name, kind in HASHES.items()}
_ECDSA = {name: ec.ECDSA(prehashed) for name, prehashed in _PREHASHED.items()}
_MAX_CERTIFICATES = 8
_MAX_FIELD = 16_384


@dataclass(frozen=True, slots=True)
class Failure:
    """A reason, found while reading a signature, why it cannot pass."""

    sub_indication: SubIndication
    detail: str


@dataclass(frozen=True, slots=True)
class SignatureEvidence:
    """One signature, reduced to what validation needs.

    Attributes:
        id: the signature's position in its document (``sig-1``…).
        format: ``JAdES-B-B``, ``PAdES-B-B``, ``CAdES-B-B`` or ``CMS``.
        mechanism: ``ecdsa``, ``rsa-pkcs1`` or ``rsa-pss``.
        hash_name: the digest algorithm (``sha256``…).
        tbs_digest: the digest of the to-be-signed bytes.
        signature: the signature value (DER for ECDSA).
        certificates: the signing certificate first, then any others the signature carries.
        signing_time: the time the signer claims.
        commitments: the commitment types declared (``proof-of-approval``…).
        failure: a problem found while reading (format, hash, certificate reference).
    """

    id: str
    format: str
    mechanism: str
    hash_name: str
    tbs_digest: bytes
    signature: bytes
    certificates: tuple[x509.Certificate, ...]
    signing_time: datetime | None
    commitments: tuple[str, ...] = ()
    failure: Failure | None = None

    @property
    def signing_certificate(self) -> x509.Certificate | None:
        """The signing certificate, if the signature carries one."""
        return self.certificates[0] if self.certificates else None

    def to_json(self) -> dict[str, Any]:
        """Return the evidence as JSON data (for ``documents.validate`` between nodes)."""
        return {
            "id": self.id,
            "format": self.format,
            "mechanism": self.mechanism,
            "hash": self.hash_name,
            "tbs_digest": base64.b64encode(self.tbs_digest).decode("ascii"),
            "signature": base64.b64encode(self.signature).decode("ascii"),
            "certificates": [cert_b64(c) for c in self.certificates],
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "commitments": list(self.commitments),
        }

    @classmethod
    def from_json(cls, data: Any) -> SignatureEvidence:
        """Read evidence sent by another node.

        Raises:
            DocumentUnreadable: the data is not evidence (``documents.malformed_request``).
        """
        try:
            return _evidence(data)
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise DocumentUnreadable(
                "the signature evidence is malformed", reason="documents.malformed_request"
            ) from None


def _evidence(data: Any) -> SignatureEvidence:
    if not isinstance(data, dict):
        raise TypeError
    certificates = data["certificates"]
    if not isinstance(certificates, list) or len(certificates) > _MAX_CERTIFICATES:
        raise ValueError
    mechanism, hash_name = data["mechanism"], data["hash"]
    if mechanism not in MECHANISMS or hash_name not in HASHES:
        raise ValueError
    strings = [data["id"], data["format"], data["tbs_digest"], data["signature"], *certificates]
    if not all(isinstance(s, str) and len(s) <= _MAX_FIELD for s in strings):
        raise TypeError
    signing_time = data.get("signing_time")
    commitments = data.get("commitments") or []
    if not isinstance(commitments, list) or not all(isinstance(c, str) for c in commitments):
        raise TypeError
    moment = datetime.fromisoformat(signing_time) if isinstance(signing_time, str) else None
    if moment is not None and moment.tzinfo is None:
        raise ValueError
    return SignatureEvidence(
        id=data["id"],
        format=data["format"],
        mechanism=mechanism,
        hash_name=hash_name,
        tbs_digest=base64.b64decode(data["tbs_digest"], validate=True),
        signature=base64.b64decode(data["signature"], validate=True),
        certificates=tuple(
            load_certificate(base64.b64decode(c, validate=True)) for c in certificates
        ),
        signing_time=moment.astimezone(UTC) if moment else None,
        commitments=tuple(commitments),
    )


def digest(hash_name: str, data: bytes) -> bytes:
    """Return the ``hash_name`` digest of ``data``."""
    return hashlib.new(hash_name, data).digest()


@dataclass(frozen=True, slots=True, eq=False)
class CertificateFacts:
    """What validation needs of a certificate, worked out once per certificate.

    One instance per DER encoding (while it stays in the cache), so it hashes by identity.
    """

    certificate: x509.Certificate
    sha256: bytes
    x5t_s256: str
    public_key: Any


@lru_cache(maxsize=1024)
def _facts(der: bytes) -> CertificateFacts:
    cert = x509.load_der_x509_certificate(der)
    sha256 = hashlib.sha256(der).digest()
    return CertificateFacts(cert, sha256, b64url(sha256), cert.public_key())


#: Facts by the identity of a certificate object, which it keeps alive (so the id is not
#: reused while the entry exists): hashing or serialising a certificate costs more than
#: the lookups this saves.
_BY_OBJECT: dict[int, tuple[x509.Certificate, CertificateFacts]] = {}
_BY_OBJECT_MAX = 2048


def certificate_facts(cert: x509.Certificate) -> CertificateFacts:
    """Return the cached facts of ``cert``."""
    found = _BY_OBJECT.get(id(cert))
    if found is not None and found[0] is cert:
        return found[1]
    facts = _facts(cert.public_bytes(serialization.Encoding.DER))
    if len(_BY_OBJECT) >= _BY_OBJECT_MAX:
        _BY_OBJECT.clear()
    _BY_OBJECT[id(cert)] = (cert, facts)
    return facts


def load_certificate(der: bytes) -> x509.Certificate:
    """Parse a DER certificate; the same bytes are parsed once per process.

    Raises:
        ValueError: not a DER certificate.
    """
    return _facts(der).certificate


def fingerprint(cert: x509.Certificate) -> bytes:
    """Return the SHA-256 of ``cert``'s DER (computed once per certificate)."""
    return certificate_facts(cert).sha256


def cert_b64(cert: x509.Certificate) -> str:
    """Return ``cert`` as standard, padded base64 of its DER (as in JWS ``x5c``)."""
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def verify_signature(evidence: SignatureEvidence) -> None:
    """Verify the signature value over the digest with the signing certificate's key.

    Raises:
        InvalidSignature: the signature does not verify, or the key does not fit the
            mechanism.
    """
    cert = evidence.signing_certificate
    if cert is None:
        raise InvalidSignature("there is no signing certificate")
    key = certificate_facts(cert).public_key
    algorithm = _PREHASHED[evidence.hash_name]
    try:
        if evidence.mechanism == ECDSA and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(evidence.signature, evidence.tbs_digest, _ECDSA[evidence.hash_name])
        elif evidence.mechanism == RSA_PKCS1 and isinstance(key, rsa.RSAPublicKey):
            key.verify(evidence.signature, evidence.tbs_digest, padding.PKCS1v15(), algorithm)
        elif evidence.mechanism == RSA_PSS and isinstance(key, rsa.RSAPublicKey):
            pss = padding.PSS(
                mgf=padding.MGF1(HASHES[evidence.hash_name]()), salt_length=padding.PSS.AUTO
            )
            key.verify(evidence.signature, evidence.tbs_digest, pss, algorithm)
        else:
            raise InvalidSignature(
                "the certificate's key does not fit the signature algorithm",
                reason="signature.alg",
            )
    except (_CryptoInvalidSignature, ValueError):
        raise InvalidSignature("the signature does not verify") from None


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def signer_identity(cert: x509.Certificate, state: str | None = None) -> SignerIdentity:
    """Describe the subject of a signing certificate.

    Args:
        cert: the signing certificate.
        state: the state whose root issued it; the subject's country when not known.
    """
    return _identity(certificate_facts(cert), state)


@lru_cache(maxsize=2048)
def _identity(facts: CertificateFacts, state: str | None) -> SignerIdentity:
    cert = facts.certificate
    subject = cert.subject
    return SignerIdentity(
        name=_attribute(subject, NameOID.COMMON_NAME) or subject.rfc4514_string(),
        state=state or _attribute(subject, NameOID.COUNTRY_NAME),
        organisation=_attribute(subject, NameOID.ORGANIZATION_NAME),
        identifier=_attribute(subject, NameOID.SERIAL_NUMBER),
        certificate_serial=format(cert.serial_number, "x"),
        issuer=_attribute(cert.issuer, NameOID.COMMON_NAME) or cert.issuer.rfc4514_string(),
    )
