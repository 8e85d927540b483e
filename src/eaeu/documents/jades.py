"""JAdES baseline B-B (ETSI TS 119 182-1): JSON documents signed as JWS with their certificates.

A signed JSON document is a JWS over the document's bytes. Each signature's protected
header carries what TS 119 182-1 §5.1 and §5.2 asks of a B-B signature:

* ``alg`` — ``ES256`` for our keys (``ES384``, ``ES512``, ``RS256``, ``PS256`` verified);
* ``cty`` — the payload's media type, ``json``;
* ``typ`` — ``jose+json`` in the JSON serialisation, ``jose`` in the compact one (RFC 7515);
* ``kid`` — base64 of the DER ``IssuerSerial`` of the signing certificate (a hint only);
* ``x5c`` — the signing certificate and its chain, without the root (base64 DER);
* ``x5t#S256`` — the signing certificate's SHA-256 thumbprint, which binds it to the
  signature: a certificate swapped into ``x5c`` no longer matches;
* ``sigT`` — the claimed signing time, ``YYYY-MM-DDThh:mm:ssZ`` (§5.2.1);
* ``srCms`` — optional signer commitments (§5.2.3), e.g. proof of approval;
* ``crit`` — the JAdES parameters present (``sigT``, ``srCms``), so that a verifier that
  does not understand them must refuse the signature instead of ignoring them.

Several parties sign one document in the JWS JSON general serialisation (RFC 7515 §7.2.1):
one payload, one entry per signature. A single signature may also be compact.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from eaeu.documents.errors import DocumentUnreadable
from eaeu.documents.evidence import (
    ECDSA,
    RSA_PKCS1,
    RSA_PSS,
    Failure,
    SignatureEvidence,
    certificate_facts,
    digest,
    load_certificate,
    verify_signature,
)
from eaeu.documents.keys import CertifiedKey
from eaeu.documents.model import SubIndication
from eaeu.trust.encoding import b64url, b64url_decode
from eaeu.trust.errors import InvalidSignature

FORMAT = "JAdES-B-B"
TYP_JSON = "jose+json"
TYP_COMPACT = "jose"
JSON_CTY = "json"

#: JOSE algorithm → (mechanism, digest, size of r and s for ECDSA).
ALGORITHMS: dict[str, tuple[str, str, int]] = {
    "ES256": (ECDSA, "sha256", 32),
    "ES384": (ECDSA, "sha384", 48),
    "ES512": (ECDSA, "sha512", 66),
    "RS256": (RSA_PKCS1, "sha256", 0),
    "PS256": (RSA_PSS, "sha256", 0),
}
#: Commitment types (ETSI TS 119 182-1 §5.2.3, the URIs of ETSI EN 319 132-1 / XAdES).
COMMITMENTS: dict[str, str] = {
    "proof-of-origin": "http://uri.etsi.org/01903/v1.2.2#ProofOfOrigin",
    "proof-of-receipt": "http://uri.etsi.org/01903/v1.2.2#ProofOfReceipt",
    "proof-of-delivery": "http://uri.etsi.org/01903/v1.2.2#ProofOfDelivery",
    "proof-of-sender": "http://uri.etsi.org/01903/v1.2.2#ProofOfSender",
    "proof-of-approval": "http://uri.etsi.org/01903/v1.2.2#ProofOfApproval",
    "proof-of-creation": "http://uri.etsi.org/01903/v1.2.2#ProofOfCreation",
}
_COMMITMENT_NAMES = {uri: name for name, uri in COMMITMENTS.items()}
#: The JAdES header parameters this verifier understands when they are critical.
_UNDERSTOOD = frozenset({"sigT", "srCms"})
#: Header parameters that name a key outside the signature; never honoured.
_FORBIDDEN = frozenset({"jku", "x5u", "jwk"})
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_SIGT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_MAX_SIGNATURES = 32
_MAX_CHAIN = 8
_COMPACT_PARTS = 3


def signing_time_text(moment: datetime) -> str:
    """Return ``moment`` as JAdES writes ``sigT``: ``2026-01-01T00:00:00Z``."""
    t = moment.astimezone(UTC)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


def protected_header(
    key: CertifiedKey,
    *,
    signing_time: datetime,
    typ: str = TYP_JSON,
    content_type: str = JSON_CTY,
    commitment: str | None = None,
) -> dict[str, Any]:
    """Return the protected header of a JAdES B-B signature by ``key``.

    Args:
        key: the signing key and certificate.
        signing_time: the claimed signing time.
        typ: ``jose+json`` (JSON serialisation) or ``jose`` (compact).
        content_type: the payload's media type.
        commitment: a name from :data:`COMMITMENTS`, if the signer commits to something.

    Raises:
        ValueError: unknown commitment name.
    """
    encoded = _encoded_header(
        key, signing_time=signing_time, typ=typ, content_type=content_type, commitment=commitment
    )
    header: dict[str, Any] = json.loads(b64url_decode(encoded))
    return header


@lru_cache(maxsize=256)
def _header_prefix(
    alg: str,
    typ: str,
    content_type: str,
    certificate: x509.Certificate,
    chain: tuple[x509.Certificate, ...],
) -> str:
    # The parameters that do not change between signatures by one certificate, serialised
    # once: the JSON of the header without its closing brace. Keyed by the certificate,
    # never by the key, so no private key is kept alive here.
    fixed = CertifiedKey(signer=None, certificate=certificate, chain=chain)  # type: ignore[arg-type]
    header = {
        "alg": alg,
        "typ": typ,
        "cty": content_type,
        "kid": fixed.issuer_serial,
        "x5c": list(fixed.x5c),
        "x5t#S256": fixed.x5t_s256,
    }
    text = json.dumps(header, separators=(",", ":"))[:-1]
    # Spaces (insignificant in JSON) make the prefix a multiple of three bytes, so its
    # base64url is a prefix of the whole header's and is encoded once.
    text += " " * (-len(text.encode("utf-8")) % 3)
    return b64url(text.encode("utf-8"))


def _encoded_header(
    key: CertifiedKey,
    *,
    signing_time: datetime,
    typ: str,
    content_type: str,
    commitment: str | None,
) -> str:
    prefix = key.header_cache.get((typ, content_type))
    if prefix is None:
        prefix = _header_prefix(key.signer.alg, typ, content_type, key.certificate, key.chain)
        key.header_cache[typ, content_type] = prefix
    sig_t = signing_time_text(signing_time)
    if commitment is None:
        tail = f',"sigT":"{sig_t}","crit":["sigT"]}}'
    else:
        if commitment not in COMMITMENTS:
            raise ValueError(f"unknown commitment type {commitment!r}")
        commitments = json.dumps([{"commId": {"id": COMMITMENTS[commitment]}}])
        tail = f',"sigT":"{sig_t}","srCms":{commitments},"crit":["sigT","srCms"]}}'
    return prefix + b64url(tail.encode("utf-8"))


def _signature_entry(encoded_payload: str, key: CertifiedKey, protected: str) -> dict[str, str]:
    value = key.signer.sign(f"{protected}.{encoded_payload}".encode("ascii"))
    return {"protected": protected, "signature": b64url(value)}


def sign(
    payload: bytes,
    key: CertifiedKey,
    *,
    signing_time: datetime,
    commitment: str | None = None,
    content_type: str = JSON_CTY,
) -> dict[str, Any]:
    """Sign ``payload``; return a JAdES document in the JWS JSON general serialisation.

    Args:
        payload: the document's bytes (usually UTF-8 JSON).
        key: the signer.
        signing_time: the claimed signing time.
        commitment: a name from :data:`COMMITMENTS`.
        content_type: the payload's media type.

    Raises:
        ValueError: unknown commitment name.
    """
    encoded = b64url(payload)
    protected = _encoded_header(
        key,
        signing_time=signing_time,
        typ=TYP_JSON,
        content_type=content_type,
        commitment=commitment,
    )
    return {"payload": encoded, "signatures": [_signature_entry(encoded, key, protected)]}


def add_signature(
    document: Mapping[str, Any],
    key: CertifiedKey,
    *,
    signing_time: datetime,
    commitment: str | None = None,
) -> dict[str, Any]:
    """Add another party's signature over the same payload (a parallel signature).

    Args:
        document: a JAdES document in the JSON general (or flattened) serialisation.
        key: the further signer.
        signing_time: the claimed signing time.
        commitment: a name from :data:`COMMITMENTS`.

    Raises:
        DocumentUnreadable: ``document`` is not a JWS in the JSON serialisation.
        ValueError: unknown commitment name.
    """
    parsed = parse(dict(document))
    encoded = parsed.encoded_payload
    protected = _encoded_header(
        key,
        signing_time=signing_time,
        typ=TYP_JSON,
        content_type=JSON_CTY,
        commitment=commitment,
    )
    entries = [{"protected": p, "signature": s} for p, s in parsed.signatures]
    return {
        "payload": encoded,
        "signatures": [*entries, _signature_entry(encoded, key, protected)],
    }


def sign_compact(
    payload: bytes,
    key: CertifiedKey,
    *,
    signing_time: datetime,
    commitment: str | None = None,
    content_type: str = JSON_CTY,
) -> str:
    """Sign ``payload`` with one signature; return the JWS compact serialisation.

    Raises:
        ValueError: unknown commitment name.
    """
    encoded = b64url(payload)
    protected = _encoded_header(
        key,
        signing_time=signing_time,
        typ=TYP_COMPACT,
        content_type=content_type,
        commitment=commitment,
    )
    entry = _signature_entry(encoded, key, protected)
    return f"{entry['protected']}.{encoded}.{entry['signature']}"


@dataclass(frozen=True, slots=True)
class JadesDocument:
    """A JWS read from bytes, before any check.

    Attributes:
        serialization: ``compact`` or ``json``.
        encoded_payload: the payload as it was signed (base64url).
        signatures: each signature's ``(protected, signature)`` in base64url.
    """

    serialization: str
    encoded_payload: str
    signatures: tuple[tuple[str, str], ...]

    @property
    def payload(self) -> bytes:
        """The decoded payload (decoded when asked: verifying needs only its encoding).

        Raises:
            DocumentUnreadable: the payload is not base64url.
        """
        try:
            return b64url_decode(self.encoded_payload)
        except ValueError:
            raise _unreadable("its payload is not base64url") from None


def _unreadable(why: str) -> DocumentUnreadable:
    return DocumentUnreadable(f"The file is not a signed JSON document: {why}.")


def parse(data: bytes | str | Mapping[str, Any]) -> JadesDocument:
    """Read a JWS in the compact, flattened JSON or general JSON serialisation.

    Raises:
        DocumentUnreadable: it is not a JWS (``documents.unrecognised``).
    """
    if isinstance(data, bytes | str):
        text = data.strip()
        if text[:1] in ("{", b"{"):
            try:
                data = json.loads(text)
            except (ValueError, RecursionError):
                raise _unreadable("it is not JSON") from None
        else:
            return _parse_compact(
                text.decode("ascii", "replace") if isinstance(text, bytes) else text
            )
    if not isinstance(data, dict | Mapping):
        raise _unreadable("it is not a JSON object")
    encoded = data.get("payload")
    if not isinstance(encoded, str):
        raise _unreadable("it has no payload")
    raw = data.get("signatures")
    entries = raw if isinstance(raw, list) else [data] if "signature" in data else []
    if not entries or len(entries) > _MAX_SIGNATURES:
        raise _unreadable("it has no signatures")
    signatures = []
    for entry in entries:
        if not isinstance(entry, dict | Mapping):
            raise _unreadable("a signature is not an object")
        protected, signature = entry.get("protected"), entry.get("signature")
        if not isinstance(protected, str) or not isinstance(signature, str):
            raise _unreadable("a signature has no protected header")
        signatures.append((protected, signature))
    return JadesDocument("json", _checked_payload(encoded), tuple(signatures))


def _parse_compact(text: str) -> JadesDocument:
    parts = text.split(".")
    if len(parts) != _COMPACT_PARTS or not all(p.isascii() for p in parts):
        raise _unreadable("it is neither JSON nor a compact JWS")
    return JadesDocument("compact", _checked_payload(parts[1]), ((parts[0], parts[2]),))


def _checked_payload(encoded: str) -> str:
    if _B64URL.fullmatch(encoded) is None or len(encoded) % 4 == 1:
        raise _unreadable("its payload is not base64url")
    return encoded


@dataclass(frozen=True, slots=True)
class JadesSignature:
    """One signature of a JAdES document, verified but not yet trusted.

    Attributes:
        id: its position (``sig-1``…).
        certificate: the signing certificate from ``x5c``, if readable.
        signing_time: the claimed signing time.
        commitments: the commitment types declared.
        failure: why it does not verify; ``None`` when the signature is cryptographically
            valid over the payload and bound to its certificate by ``x5t#S256``.
    """

    id: str
    certificate: x509.Certificate | None
    signing_time: datetime | None
    commitments: tuple[str, ...]
    failure: Failure | None

    @property
    def valid(self) -> bool:
        """Whether the signature verified."""
        return self.failure is None


def verify(data: bytes | str | Mapping[str, Any]) -> tuple[bytes, list[JadesSignature]]:
    """Verify every signature of a JAdES document with the certificate it carries.

    Whether that certificate is trusted — issued by a member's root, valid, not revoked —
    is the validation service's question (:class:`eaeu.documents.validation.ValidationService`).

    Returns:
        The payload and each signature's result, in order.

    Raises:
        DocumentUnreadable: it is not a JWS (``documents.unrecognised``).
    """
    document = parse(data)
    results = []
    for item in evidence(document):
        failure = item.failure
        if failure is None:
            try:
                verify_signature(item)
            except InvalidSignature:
                failure = Failure(SubIndication.SIG_CRYPTO_FAILURE, "the signature does not verify")
        results.append(
            JadesSignature(
                item.id, item.signing_certificate, item.signing_time, item.commitments, failure
            )
        )
    return document.payload, results


def evidence(document: JadesDocument) -> list[SignatureEvidence]:
    """Return the evidence of each signature of ``document``, in order."""
    return [
        _evidence(f"sig-{i}", protected, document.encoded_payload, signature)
        for i, (protected, signature) in enumerate(document.signatures, 1)
    ]


def _failed(sig_id: str, sub: SubIndication, detail: str, **known: Any) -> SignatureEvidence:
    return SignatureEvidence(
        id=sig_id,
        format=FORMAT,
        mechanism=known.get("mechanism", ECDSA),
        hash_name=known.get("hash_name", "sha256"),
        tbs_digest=b"",
        signature=b"",
        certificates=known.get("certificates", ()),
        signing_time=known.get("signing_time"),
        commitments=known.get("commitments", ()),
        failure=Failure(sub, detail),
    )


def _header(protected: str) -> dict[str, Any] | None:
    try:
        header = json.loads(b64url_decode(protected))
    except (ValueError, RecursionError):
        return None
    return header if isinstance(header, dict) else None


def _certificates(value: Any) -> tuple[x509.Certificate, ...] | None:
    if not isinstance(value, list) or not value or len(value) > _MAX_CHAIN:
        return None
    try:
        return tuple(_x5c_certificate(v) for v in value)
    except (TypeError, ValueError, binascii.Error):
        return None


@lru_cache(maxsize=1024)
def _x5c_certificate(text: str) -> x509.Certificate:
    return load_certificate(base64.b64decode(text, validate=True))


def _signing_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or _SIGT.fullmatch(value) is None:
        return None
    try:
        return datetime.fromisoformat(value)  # the pattern admits only UTC ("Z")
    except ValueError:  # a day or hour that does not exist
        return None


def _commitments(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if not isinstance(value, list):
        return None
    names = []
    for item in value:
        ident = item.get("commId") if isinstance(item, dict) else None
        uri = ident.get("id") if isinstance(ident, dict) else ident
        if not isinstance(uri, str):
            return None
        names.append(_COMMITMENT_NAMES.get(uri, uri))
    return tuple(names)


def _evidence(  # noqa: C901, PLR0911 - one check per rule of TS 119 182-1, in order
    sig_id: str, protected: str, encoded_payload: str, signature: str
) -> SignatureEvidence:
    header = _header(protected)
    if header is None:
        return _failed(sig_id, SubIndication.FORMAT_FAILURE, "the header is not base64url JSON")
    algorithm = ALGORITHMS.get(header.get("alg"))  # type: ignore[arg-type]
    if algorithm is None:
        return _failed(
            sig_id, SubIndication.FORMAT_FAILURE, "the signature algorithm is not accepted"
        )
    mechanism, hash_name, size = algorithm
    if not _FORBIDDEN.isdisjoint(header):
        return _failed(
            sig_id, SubIndication.FORMAT_FAILURE, "the header names a key outside the signature"
        )
    critical = header.get("crit", [])
    # Exactly the JAdES parameters present must be critical, and nothing else may be.
    present = _UNDERSTOOD.intersection(header)
    if (
        not isinstance(critical, list)
        or len(critical) != len(present)
        or not all(isinstance(c, str) for c in critical)
        or set(critical) != present
    ):
        return _failed(
            sig_id,
            SubIndication.FORMAT_FAILURE,
            "the critical header parameters are not the JAdES ones present",
        )
    signing_time = _signing_time(header.get("sigT"))
    commitments = _commitments(header.get("srCms"))
    if signing_time is None or commitments is None:
        return _failed(
            sig_id, SubIndication.FORMAT_FAILURE, "sigT or srCms is missing or malformed"
        )
    known: dict[str, Any] = {
        "mechanism": mechanism,
        "hash_name": hash_name,
        "signing_time": signing_time,
        "commitments": commitments,
    }
    certificates = _certificates(header.get("x5c"))
    if certificates is None:
        return _failed(
            sig_id,
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "the signature does not carry its signing certificate (x5c)",
            **known,
        )
    known["certificates"] = certificates
    thumbprint = header.get("x5t#S256")
    if thumbprint is None:
        return _failed(
            sig_id,
            SubIndication.FORMAT_FAILURE,
            "the signature does not reference its signing certificate (x5t#S256)",
            **known,
        )
    if thumbprint != certificate_facts(certificates[0]).x5t_s256:
        return _failed(
            sig_id,
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "the certificate in x5c is not the one the signature references",
            **known,
        )
    try:
        value = b64url_decode(signature)
    except ValueError:
        return _failed(
            sig_id, SubIndication.FORMAT_FAILURE, "the signature is not base64url", **known
        )
    if mechanism == ECDSA:
        if len(value) != 2 * size:
            return _failed(
                sig_id,
                SubIndication.SIG_CRYPTO_FAILURE,
                "the signature value has the wrong length",
                **known,
            )
        value = encode_dss_signature(
            int.from_bytes(value[:size], "big"), int.from_bytes(value[size:], "big")
        )
    return SignatureEvidence(
        id=sig_id,
        format=FORMAT,
        mechanism=mechanism,
        hash_name=hash_name,
        tbs_digest=digest(hash_name, f"{protected}.{encoded_payload}".encode("ascii")),
        signature=value,
        certificates=certificates,
        signing_time=signing_time,
        commitments=commitments,
    )
