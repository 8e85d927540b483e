"""Document signer certificates (DSC) prepared once for fast DCC verification.

Reading a certificate's public key and extensions costs more than checking one ECDSA
signature, so :func:`prepare` does it once per certificate and caches the result
(certificates hash by their DER, so a trust store reloaded from disk still hits the cache).

The DCC extended key usages (eHealth Network, HCERT specification §5.1.1) restrict what a
DSC may sign: ``1.3.6.1.4.1.1847.2021.1.1`` test, ``.2`` vaccination, ``.3`` recovery.
A DSC without any of them may sign every type. National test DSCs also carry a non-standard
``1.3.6.1.4.1.0.1847.2021.1.*`` arc, which verifiers in the field accept; so do we.

Some DSCs in the field carry an extension that ``cryptography`` refuses to parse, such as an
empty extended key usage ``SEQUENCE {}`` (EU DCC test corpus ``common/CO15``). For those
the extended key usage is read straight from the DER (:func:`_raw_eku`); an empty one names
no DCC type and so allows every type, as the specification says.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Final, Literal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

#: DCC extended key usages → certificate group (``t``, ``v``, ``r``).
EKU_GROUPS: Final = {
    "1.3.6.1.4.1.1847.2021.1.1": "t",
    "1.3.6.1.4.1.1847.2021.1.2": "v",
    "1.3.6.1.4.1.1847.2021.1.3": "r",
    "1.3.6.1.4.1.0.1847.2021.1.1": "t",
    "1.3.6.1.4.1.0.1847.2021.1.2": "v",
    "1.3.6.1.4.1.0.1847.2021.1.3": "r",
}
_RSA_MIN_BITS: Final = 2048
_EKU_OID_DER: Final = b"\x06\x03\x55\x1d\x25"  # 2.5.29.37, extKeyUsage
_SEQUENCE: Final = 0x30
_EXTENSIONS: Final = 0xA3
_OID: Final = 0x06

Kind = Literal["es256", "ps256", "unusable"]


@dataclass(frozen=True, slots=True)
class Dsc:
    """A document signer certificate, read once.

    Attributes:
        key: the public key (``None`` if unreadable).
        kind: ``es256`` (P-256), ``ps256`` (RSA ≥ 2048 bits) or ``unusable``.
        not_before: the start of validity, seconds since the epoch.
        not_after: the end of validity, seconds since the epoch.
        groups: the certificate groups it may sign, or ``None`` for all.
    """

    key: Any
    kind: Kind
    not_before: float
    not_after: float
    groups: frozenset[str] | None


def _tlv(data: bytes, at: int) -> tuple[int, int, int]:
    """Return ``(tag, start of value, end of value)`` of the DER element at ``at``."""
    tag = data[at]
    size = data[at + 1]
    start = at + 2
    if size & 0x80:
        count = size & 0x7F
        size = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + size
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    while start < end:
        element = _tlv(data, start)
        out.append(element)
        start = element[2]
    return out


def _oid(value: bytes) -> str:
    arcs: list[int] = []
    number = 0
    for byte in value:
        number = (number << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(number)
            number = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in (first, arcs[0] - 40 * first, *arcs[1:]))


def _raw_eku(tbs: bytes) -> list[str] | None:
    """Return the extended key usage OIDs of a DER ``tbsCertificate``, or ``None`` if absent."""
    _, start, end = _tlv(tbs, 0)
    for tag, value_start, _ in _children(tbs, start, end):
        if tag != _EXTENSIONS:
            continue
        _, seq_start, seq_end = _tlv(tbs, value_start)
        for _, ext_start, ext_end in _children(tbs, seq_start, seq_end):
            members = _children(tbs, ext_start, ext_end)
            oid_tag, oid_start, oid_end = members[0]
            if tbs[oid_start - 2 : oid_end] != _EKU_OID_DER or oid_tag != _OID:
                continue
            _, octets_start, _ = members[-1]
            _, usages_start, usages_end = _tlv(tbs, octets_start)
            return [
                _oid(tbs[s:e])
                for tag_, s, e in _children(tbs, usages_start, usages_end)
                if tag_ == _OID
            ]
    return None


def _groups(certificate: x509.Certificate) -> frozenset[str] | None:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        oids: list[str] | None = [oid.dotted_string for oid in usage]
    except x509.ExtensionNotFound:
        oids = None
    except ValueError:
        try:
            oids = _raw_eku(certificate.tbs_certificate_bytes)
        except (ValueError, IndexError):
            return frozenset()  # unreadable extensions allow no type
    if oids is None:
        return None
    return frozenset(EKU_GROUPS[oid] for oid in oids if oid in EKU_GROUPS) or None


#: Prepared certificates by ``id``: hashing a certificate (its DER) costs as much as a fifth
#: of an ECDSA verify, so the certificate objects of a trust store are looked up by
#: identity first. Each entry keeps its certificate alive, so its id cannot be reused.
_BY_ID: dict[int, tuple[x509.Certificate, Dsc]] = {}
_BY_ID_MAX: Final = 4096


def prepare(certificate: x509.Certificate) -> Dsc:
    """Return the verification view of a DSC (cached per certificate)."""
    entry = _BY_ID.get(id(certificate))
    if entry is not None and entry[0] is certificate:
        return entry[1]
    dsc = _prepare(certificate)
    if len(_BY_ID) >= _BY_ID_MAX:
        _BY_ID.clear()
    _BY_ID[id(certificate)] = (certificate, dsc)
    return dsc


@functools.lru_cache(maxsize=4096)
def _prepare(certificate: x509.Certificate) -> Dsc:
    try:
        key: Any = certificate.public_key()
    except ValueError:
        key = None
    kind: Kind = "unusable"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        kind = "es256"
    elif isinstance(key, rsa.RSAPublicKey) and key.key_size >= _RSA_MIN_BITS:
        kind = "ps256"
    return Dsc(
        key,
        kind,
        certificate.not_valid_before_utc.timestamp(),
        certificate.not_valid_after_utc.timestamp(),
        _groups(certificate),
    )


__all__ = ["EKU_GROUPS", "Dsc", "prepare"]
