"""HCERT: the EU Digital COVID Certificate wire format, decoded strictly and issued.

The pipeline (eHealth Network, *Electronic Health Certificate Specification* 1.0.8)::

    DCC (JSON schema 1.3) --CBOR--> CWT claims {1: iss, 4: exp, 6: iat, -260: {1: DCC}}
      --COSE_Sign1 (tag 18; ES256 or PS256; kid = SHA-256(DSC DER)[:8])--> zlib (level 9)
      --> Base45 --> "HC1:" + text --> QR code (alphanumeric mode, ECC level Q)

Each decoding step here is one function that raises
:class:`~eaeu.services.travel.errors.HcertError` with the stage's ``code`` and bounds the
work an attacker can cause (:class:`Limits`): the text length, the inflated size (a zlib
bomb stops at the limit), the CBOR size and nesting depth, and duplicate map keys.

Decoding is lenient where issuers in the field deviate harmlessly — floating-point
``iat``/``exp``, CBOR tag-0 date-times inside the DCC, an untagged or CWT-tagged
(61 + 18) COSE message, a ``kid`` only in the unprotected header — and issuing is strict
(integer times, text date-times, tag 18, ``kid`` protected).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Final, TypeAlias

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from eaeu.identity.translit import transliterate
from eaeu.kernel.clock import utc
from eaeu.services.travel.base45 import b45decode, b45encode
from eaeu.services.travel.errors import HcertError
from eaeu.services.travel.schema import validate
from eaeu.trust.keys import EcSigner

PREFIX: Final = "HC1:"
ES256: Final = -7
PS256: Final = -37
#: COSE algorithms a DCC may be signed with; everything else is refused.
ALGORITHMS: Final = frozenset({ES256, PS256})
KID_LENGTH: Final = 8
HEADER_ALG: Final = 1
HEADER_KID: Final = 4
CLAIM_ISS: Final = 1
CLAIM_EXP: Final = 4
CLAIM_IAT: Final = 6
CLAIM_HCERT: Final = -260
HCERT_DCC: Final = 1
TAG_COSE_SIGN1: Final = 18
TAG_CWT: Final = 61
SCHEMA_VERSION: Final = "1.3.0"

#: SNOMED CT: COVID-19, the disease targeted.
DISEASE_COVID19: Final = "840539006"
#: SNOMED CT test results.
RESULT_NOT_DETECTED: Final = "260415000"
RESULT_DETECTED: Final = "260373001"


class TestType(StrEnum):
    """The LOINC type of a COVID-19 test (value set ``covid-19-lab-test-type``)."""

    __test__ = False  # a domain name, not a pytest test class
    NAAT = "LP6464-4"
    RAT = "LP217198-3"


_P256_BYTES: Final = 32
_RSA_MIN_BITS: Final = 2048
_SIGNATURE1: Final = b"\x6aSignature1"
_EMPTY_BSTR: Final = b"\x40"
_CBOR_INLINE: Final = 24
# NumericDates a datetime can hold (years 1970 to 9999); NaN and infinities fall outside.
_MIN_TIME: Final = 0
_MAX_TIME: Final = 253402300799


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on untrusted input, so that no QR code can make a verifier work hard.

    Args:
        max_text: characters of the ``HC1:`` text (a version 40 QR code holds 4296
            alphanumeric characters).
        max_inflated: bytes after inflating (the zlib-bomb limit), and so the largest COSE
            message and CBOR payload.
        max_depth: nesting of CBOR arrays and maps.
    """

    max_text: int = 4296
    max_inflated: int = 32 * 1024
    max_depth: int = 16


DEFAULT_LIMITS: Final = Limits()


@dataclass(frozen=True, slots=True)
class CoseSign1:
    """A parsed COSE_Sign1 message (RFC 9052), not yet verified.

    Attributes:
        protected: the protected header's serialised bytes, as signed.
        protected_header: the decoded protected header.
        unprotected_header: the unprotected header.
        payload: the CWT claims, serialised.
        signature: the signature bytes.
        alg: the algorithm (protected header, else unprotected), or ``None``.
        kid: the key id (protected header, else unprotected), or ``None``.
    """

    protected: bytes
    protected_header: Mapping[Any, Any]
    unprotected_header: Mapping[Any, Any]
    payload: bytes
    signature: bytes
    alg: Any
    kid: Any

    def to_be_signed(self) -> bytes:
        """Return the ``Sig_structure`` ``["Signature1", protected, h'', payload]`` bytes."""
        return b"".join(
            (
                b"\x84",
                _SIGNATURE1,
                _bstr_head(len(self.protected)),
                self.protected,
                _EMPTY_BSTR,
                _bstr_head(len(self.payload)),
                self.payload,
            )
        )


@dataclass(frozen=True, slots=True)
class Claims:
    """The CWT claims of a DCC.

    Attributes:
        issuer: ``iss``, the issuing country (ISO 3166-1 alpha-2), or ``None``.
        issued_at: ``iat`` in seconds since the epoch.
        expires: ``exp`` in seconds since the epoch.
        dcc: the DCC payload (``-260/1``) with date-times as text.
    """

    issuer: str | None
    issued_at: float
    expires: float
    dcc: dict[str, Any]


def _bstr_head(size: int) -> bytes:
    # CBOR major type 2 (byte string) with the shortest length encoding (RFC 8949 §4.2.1).
    if size < _CBOR_INLINE:
        return bytes((0x40 | size,))
    for head, width in ((0x58, 1), (0x59, 2), (0x5A, 4)):
        if size < 1 << (8 * width):
            return bytes((head,)) + size.to_bytes(width, "big")
    raise HcertError("a COSE member is too large", code="cose_structure")


def unprefix(text: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """Return the Base45 part of an ``HC1:`` text.

    Raises:
        HcertError: another context identifier (``HC2:``, ``HL0:``), none, a non-text
            input or a text longer than the limit (code ``prefix``).
    """
    if not isinstance(text, str):
        raise HcertError("the QR content is not text", code="prefix")
    if len(text) > limits.max_text:
        raise HcertError("the QR content is longer than any DCC", code="prefix")
    if not text.startswith(PREFIX):
        raise HcertError("the QR content is not an HC1 certificate", code="prefix")
    return text[len(PREFIX) :]


def inflate(data: bytes, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Return the COSE bytes inside zlib ``data``, inflating at most the limit.

    Raises:
        HcertError: not zlib (an uncompressed COSE message too), a broken or truncated
            stream, trailing bytes, or more than ``limits.max_inflated`` bytes (code ``zlib``).
    """
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limits.max_inflated)
    except zlib.error:
        raise HcertError("the certificate is not a valid zlib stream", code="zlib") from None
    if inflater.unconsumed_tail:
        raise HcertError("the certificate inflates beyond the size limit", code="zlib")
    if not inflater.eof or inflater.unused_data:
        raise HcertError("the certificate's zlib stream is truncated or padded", code="zlib")
    return out


# cbor2 decodes arrays and maps inside a tag as immutable tuples and frozendicts. Exact type
# checks, not ABCs: they are ten times faster and nothing else may stand in for them.
_ARRAYS: Final = (list, tuple)
_MAPS: Final = (dict, cbor2.frozendict)


def _loads(data: bytes, limits: Limits) -> Any:
    return cbor2.loads(data, max_depth=limits.max_depth, allow_duplicate_keys=False)


def parse_cose(data: bytes, limits: Limits = DEFAULT_LIMITS) -> CoseSign1:
    """Parse a COSE_Sign1 message: tagged 18, 61 + 18, or untagged.

    ``alg`` and ``kid`` are read from the protected header and, only where it lacks them,
    from the unprotected one: a wrong protected ``kid`` is never overridden.

    Raises:
        HcertError: not CBOR, not a four-element COSE_Sign1, or a header or member of the
            wrong type (code ``cose_structure``).
    """
    if len(data) > limits.max_inflated:
        raise HcertError("the COSE message is too large", code="cose_structure")
    try:
        message = _loads(data, limits)
    except (cbor2.CBORDecodeError, RecursionError):
        raise HcertError("the certificate is not a CBOR message", code="cose_structure") from None
    if type(message) is cbor2.CBORTag and message.tag == TAG_CWT:
        message = message.value
    if type(message) is cbor2.CBORTag and message.tag == TAG_COSE_SIGN1:
        message = message.value
    if type(message) not in _ARRAYS or len(message) != 4:  # noqa: PLR2004 - COSE_Sign1 size
        raise HcertError("the certificate is not a COSE_Sign1 message", code="cose_structure")
    protected, unprotected, payload, signature = message
    if not (
        type(protected) is bytes
        and type(unprotected) in _MAPS
        and type(payload) is bytes
        and type(signature) is bytes
    ):
        raise HcertError("the COSE_Sign1 members have wrong types", code="cose_structure")
    header: Any = {}
    if protected:
        try:
            header = _loads(protected, limits)
        except (cbor2.CBORDecodeError, RecursionError):
            header = None
        if type(header) not in _MAPS:
            raise HcertError("the protected header is not a map", code="cose_structure")
    alg = header[HEADER_ALG] if HEADER_ALG in header else unprotected.get(HEADER_ALG)
    kid = header[HEADER_KID] if HEADER_KID in header else unprotected.get(HEADER_KID)
    return CoseSign1(protected, header, unprotected, payload, signature, alg, kid)


def _text_dates(value: Any) -> Any:
    # Some issuers tag date-times (CBOR tag 0) or dates (tag 1004); the schema and the rules
    # read them as RFC 3339 text, so they become text here.
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, date):
        return value.isoformat()
    return value


def _normalise(dcc: dict[str, Any]) -> None:
    if "dob" in dcc and isinstance(dcc["dob"], date):
        dcc["dob"] = _text_dates(dcc["dob"])
    for group in ("v", "t", "r"):
        entries = dcc.get(group)
        if type(entries) is list:
            for entry in entries:
                if type(entry) is dict:
                    for key, value in entry.items():
                        if type(value) is not str and isinstance(value, date):
                            entry[key] = _text_dates(value)


def _numeric_date(value: Any, name: str) -> float:
    # RFC 8392 NumericDate is an integer or a float; issuers must send integers (I-CO4),
    # verifiers read both.
    if isinstance(value, datetime):
        value = value.timestamp()
    if (type(value) is int or type(value) is float) and _MIN_TIME <= value <= _MAX_TIME:
        return value
    raise HcertError(f"the claim {name} is not a date", code="cbor")


def decode_claims(payload: bytes, limits: Limits = DEFAULT_LIMITS) -> Claims:
    """Decode the CWT claims of a verified COSE payload.

    Raises:
        HcertError: not CBOR, not a claims map, no ``-260/1`` DCC object, or ``iat``/``exp``
            missing or not numbers (code ``cbor``).
    """
    if len(payload) > limits.max_inflated:
        raise HcertError("the CWT payload is too large", code="cbor")
    try:
        claims = _loads(payload, limits)
    except (cbor2.CBORDecodeError, RecursionError):
        raise HcertError("the CWT payload is not CBOR", code="cbor") from None
    if not isinstance(claims, dict):
        raise HcertError("the CWT payload is not a claims map", code="cbor")
    hcert = claims.get(CLAIM_HCERT)
    dcc = hcert.get(HCERT_DCC) if isinstance(hcert, dict) else None
    if not isinstance(dcc, dict):
        raise HcertError("the CWT holds no DCC object", code="cbor")
    if CLAIM_IAT not in claims or CLAIM_EXP not in claims:
        raise HcertError("the CWT lacks iat or exp", code="cbor")
    issuer = claims.get(CLAIM_ISS)
    if issuer is not None and not isinstance(issuer, str):
        raise HcertError("the claim iss is not text", code="cbor")
    _normalise(dcc)
    return Claims(
        issuer,
        _numeric_date(claims[CLAIM_IAT], "iat"),
        _numeric_date(claims[CLAIM_EXP], "exp"),
        dcc,
    )


def decode(text: str, limits: Limits = DEFAULT_LIMITS) -> CoseSign1:
    """Return the unverified COSE_Sign1 message of an ``HC1:`` text.

    Raises:
        HcertError: at the first failing stage (codes ``prefix``, ``base45``, ``zlib``,
            ``cose_structure``).
    """
    return parse_cose(inflate(b45decode(unprefix(text, limits)), limits), limits)


def kid_of(certificate: x509.Certificate) -> bytes:
    """Return the DCC key id of a document signer certificate: SHA-256 of its DER, 8 bytes."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).digest()[:KID_LENGTH]


def index_certificates(
    certificates: Sequence[x509.Certificate],
) -> dict[bytes, list[x509.Certificate]]:
    """Return a trust store for :func:`~eaeu.services.travel.verifier.verify`: kid → DSCs.

    Several certificates may share a kid; the verifier tries each.
    """
    store: dict[bytes, list[x509.Certificate]] = {}
    for certificate in certificates:
        store.setdefault(kid_of(certificate), []).append(certificate)
    return store


# --- Issuing -------------------------------------------------------------------------------

DccSigner: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | EcSigner


def _sign(signer: DccSigner, data: bytes) -> tuple[int, bytes]:
    if isinstance(signer, EcSigner):
        return ES256, signer.sign(data)
    if isinstance(signer, ec.EllipticCurvePrivateKey):
        if not isinstance(signer.curve, ec.SECP256R1):
            raise HcertError("a DCC is signed with a P-256 key", code="alg_not_allowed")
        r, s = decode_dss_signature(signer.sign(data, ec.ECDSA(hashes.SHA256())))
        return ES256, r.to_bytes(_P256_BYTES, "big") + s.to_bytes(_P256_BYTES, "big")
    if signer.key_size < _RSA_MIN_BITS:
        raise HcertError("a DCC RSA key has at least 2048 bits", code="alg_not_allowed")
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
    return PS256, signer.sign(data, pss, hashes.SHA256())


def _public_key(signer: DccSigner) -> Any:
    return signer.public_key if isinstance(signer, EcSigner) else signer.public_key()


def sign_cwt(
    claims: Mapping[int, Any], *, signer: DccSigner, certificate: x509.Certificate
) -> bytes:
    """Return a tagged COSE_Sign1 over CWT ``claims``, ``alg`` and ``kid`` protected.

    Args:
        claims: the CWT claims map.
        signer: the document signer's private key (P-256 for ES256, RSA for PS256) or an
            :class:`~eaeu.trust.keys.EcSigner`.
        certificate: the signer's certificate (DSC), whose hash is the ``kid``.

    Raises:
        HcertError: the key does not belong to the certificate or is not usable for a
            DCC (code ``alg_not_allowed``).
    """
    public = _public_key(signer)
    if public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise HcertError("the signing key does not match its certificate", code="alg_not_allowed")
    alg = PS256 if isinstance(signer, rsa.RSAPrivateKey) else ES256
    protected = cbor2.dumps({HEADER_ALG: alg, HEADER_KID: kid_of(certificate)})
    payload = cbor2.dumps(dict(claims))
    unsigned = CoseSign1(protected, {}, {}, payload, b"", alg, None)
    _, signature = _sign(signer, unsigned.to_be_signed())
    return cbor2.dumps(cbor2.CBORTag(TAG_COSE_SIGN1, [protected, {}, payload, signature]))


def encode(cose: bytes) -> str:
    """Return the ``HC1:`` text of a COSE message: zlib level 9, Base45, prefix."""
    return PREFIX + b45encode(zlib.compress(cose, 9))


@dataclass(frozen=True, slots=True)
class Holder:
    """The person a certificate is about.

    Args:
        family_name: surname(s) as written in the passport's own script.
        given_name: forename(s).
        date_of_birth: ``YYYY-MM-DD`` (or ``YYYY-MM`` / ``YYYY`` when not fully known).
        family_name_icao: the ICAO 9303 form (``A`` to ``Z`` and ``<``); derived when ``None``.
        given_name_icao: as ``family_name_icao``.
    """

    family_name: str
    given_name: str
    date_of_birth: str
    family_name_icao: str | None = None
    given_name_icao: str | None = None


@dataclass(frozen=True, slots=True)
class LabResult:
    """A COVID-19 test result as a laboratory reports it.

    Args:
        test_type: NAAT (PCR) or RAT (rapid antigen).
        sample_collected: when the sample was taken (timezone-aware).
        detected: whether SARS-CoV-2 was detected.
        country: ISO 3166-1 alpha-2 code of the country of the test.
        issuer: the certificate issuer (``is``), at most 80 characters.
        centre: the testing centre (``tc``), at most 80 characters.
        device: the RAT device id from the EU common list (``ma``); required for RAT.
        name: the NAA test name (``nm``), optional.
    """

    test_type: TestType
    sample_collected: datetime
    detected: bool
    country: str
    issuer: str
    centre: str
    device: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    """A signed DCC test certificate.

    Attributes:
        text: the ``HC1:`` text a QR code carries.
        uvci: the certificate identifier.
        kid: the signer's key id.
        issued_at: ``iat``.
        expires_at: ``exp``.
        payload: the DCC payload as signed.
    """

    text: str
    uvci: str
    kid: bytes
    issued_at: datetime
    expires_at: datetime
    payload: Mapping[str, Any]


def icao_name(name: str) -> str:
    """Return a name as a DCC ``fnt``/``gnt``: ICAO 9303, ``<`` between parts, ≤ 80.

    Raises:
        TransliterationError: a character has no Latin transliteration.
    """
    latin = transliterate(name)
    return latin.replace(" ", "<").replace("-", "<")[:80]


def _rfc3339(value: datetime) -> str:
    return utc(value).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def build_test_payload(holder: Holder, test: LabResult, uvci: str) -> dict[str, Any]:
    """Return the DCC 1.3.0 payload of a test certificate.

    Raises:
        HcertError: a RAT without device id (code ``schema``).
    """
    if test.test_type is TestType.RAT and not test.device:
        raise HcertError("a rapid antigen test certificate names its device", code="schema")
    entry: dict[str, Any] = {
        "tg": DISEASE_COVID19,
        "tt": test.test_type.value,
        "sc": _rfc3339(test.sample_collected),
        "tr": RESULT_DETECTED if test.detected else RESULT_NOT_DETECTED,
        "tc": test.centre,
        "co": test.country,
        "is": test.issuer,
        "ci": uvci,
    }
    if test.test_type is TestType.RAT:
        entry["ma"] = test.device
    if test.name is not None:
        entry["nm"] = test.name
    return {
        "ver": SCHEMA_VERSION,
        "nam": {
            "fn": holder.family_name,
            "gn": holder.given_name,
            "fnt": holder.family_name_icao or icao_name(holder.family_name),
            "gnt": holder.given_name_icao or icao_name(holder.given_name),
        },
        "dob": holder.date_of_birth,
        "t": [entry],
    }


def issue_test_certificate(
    holder: Holder,
    test: LabResult,
    *,
    uvci: str,
    signer: DccSigner,
    certificate: x509.Certificate,
    issuer_country: str,
    issued_at: datetime,
    validity: timedelta = timedelta(days=3),
) -> IssuedCertificate:
    """Sign a DCC test certificate and return its ``HC1:`` text.

    The payload is validated against the schema before signing, so a certificate that
    would fail verification is never issued.

    Args:
        holder: the person.
        test: the test result.
        uvci: the certificate identifier (see :func:`~eaeu.services.travel.uvci.make_uvci`).
        signer: the document signer's key.
        certificate: the document signer certificate (its hash is the ``kid``).
        issuer_country: ``iss``, the issuing state's ISO 3166-1 alpha-2 code.
        issued_at: ``iat`` (the clock's time; truncated to the second).
        validity: ``exp - iat``.

    Returns:
        The issued certificate.

    Raises:
        SchemaViolation: the payload breaks the DCC schema.
        HcertError: the key cannot sign a DCC (code ``alg_not_allowed``).
    """
    payload = build_test_payload(holder, test, uvci)
    validate(payload)
    iat = utc(issued_at).replace(microsecond=0)
    exp = iat + validity
    claims = {
        CLAIM_ISS: issuer_country,
        CLAIM_IAT: int(iat.timestamp()),
        CLAIM_EXP: int(exp.timestamp()),
        CLAIM_HCERT: {HCERT_DCC: payload},
    }
    cose = sign_cwt(claims, signer=signer, certificate=certificate)
    return IssuedCertificate(
        encode(cose), uvci, kid_of(certificate), iat, exp.astimezone(UTC), payload
    )


__all__ = [
    "ALGORITHMS",
    "DEFAULT_LIMITS",
    "ES256",
    "PREFIX",
    "PS256",
    "Claims",
    "CoseSign1",
    "DccSigner",
    "Holder",
    "IssuedCertificate",
    "LabResult",
    "Limits",
    "TestType",
    "build_test_payload",
    "decode",
    "decode_claims",
    "encode",
    "icao_name",
    "index_certificates",
    "inflate",
    "issue_test_certificate",
    "kid_of",
    "parse_cose",
    "sign_cwt",
    "unprefix",
]
