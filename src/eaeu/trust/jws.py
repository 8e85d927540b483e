"""JSON Web Signatures (RFC 7515): compact form for messages, general JSON for multi-signed lists.

Only algorithms in an explicit allow-list are accepted; ``alg: none``, MAC algorithms and keys
carried in the header (``jwk``, ``jku``, ``x5u``) are refused — the key is always resolved
from the union trust list by the caller's resolver.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eaeu.trust.encoding import b64url, b64url_decode, canonical_json
from eaeu.trust.errors import InvalidSignature
from eaeu.trust.keys import ES256, VERIFY_ALGORITHMS, Signer, Verifier

#: Header parameters that would let a token choose its own key; never honoured.
_FORBIDDEN_HEADERS = frozenset({"jwk", "jku", "x5u"})
_COMPACT_PARTS = 3

Resolver = Callable[[Mapping[str, Any]], Verifier]


@dataclass(frozen=True, slots=True)
class Verified:
    """A signature that verified: its protected header, payload and verifier."""

    header: Mapping[str, Any]
    payload: bytes
    verifier: Verifier


def sign_compact(payload: bytes, signer: Signer, header: Mapping[str, Any] | None = None) -> str:
    """Sign ``payload``; return ``header.payload.signature`` in base64url.

    Args:
        payload: the bytes to sign.
        signer: the key; its ``alg`` and ``kid`` go into the protected header.
        header: further protected header parameters (``typ``, ``cty``…).
    """
    protected = {**(header or {}), "alg": signer.alg, "kid": signer.kid}
    signing_input = f"{b64url(canonical_json(protected))}.{b64url(payload)}"
    signature = signer.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"


def _header(encoded: str) -> dict[str, Any]:
    try:
        header = json.loads(b64url_decode(encoded))
    except (ValueError, RecursionError):  # RecursionError: nested deeper than JSON parses
        raise InvalidSignature(
            "the signature header is not base64url JSON", reason="signature.malformed"
        ) from None
    if not isinstance(header, dict):
        raise InvalidSignature(
            "the signature header is not an object", reason="signature.malformed"
        )
    alg = header.get("alg")
    if alg not in VERIFY_ALGORITHMS:
        raise InvalidSignature(f"the algorithm {alg!r} is not accepted", reason="signature.alg")
    if _FORBIDDEN_HEADERS & header.keys():
        raise InvalidSignature(
            "keys named inside a signature are never trusted", reason="signature.header_key"
        )
    if "crit" in header:
        raise InvalidSignature(
            "critical header extensions are not supported", reason="signature.crit"
        )
    return header


def _check(header: Mapping[str, Any], verifier: Verifier, signing_input: bytes, sig: bytes) -> None:
    if header["alg"] != verifier.alg:
        raise InvalidSignature(
            f"the key is for {verifier.alg}, the signature claims {header['alg']}",
            reason="signature.alg",
        )
    verifier.verify(signing_input, sig)


def verify_compact(token: str, resolve: Resolver) -> Verified:
    """Verify a compact JWS.

    Args:
        token: ``header.payload.signature``.
        resolve: returns the verifier for a protected header (by ``kid``), or raises.

    Raises:
        InvalidSignature: malformed token, refused algorithm, unknown key, or a bad signature.
    """
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != _COMPACT_PARTS:
        raise InvalidSignature("not a compact JWS", reason="signature.malformed")
    header = _header(parts[0])
    try:
        payload = b64url_decode(parts[1])
        signature = b64url_decode(parts[2])
    except ValueError:
        raise InvalidSignature("the JWS is not base64url", reason="signature.malformed") from None
    verifier = resolve(header)
    _check(header, verifier, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)
    return Verified(header, payload, verifier)


def sign_general(
    payload: bytes, signers: Iterable[tuple[Signer, Mapping[str, Any]]]
) -> dict[str, Any]:
    """Sign ``payload`` by several keys in the JWS general JSON serialization (RFC 7515 §7.2.1)."""
    encoded = b64url(payload)
    signatures = []
    for signer, extra in signers:
        signatures.append(add_signature(encoded, signer, extra))
    return {"payload": encoded, "signatures": signatures}


def add_signature(encoded_payload: str, signer: Signer, extra: Mapping[str, Any]) -> dict[str, str]:
    """Return one general-serialization signature object over an encoded payload."""
    protected = b64url(canonical_json({**extra, "alg": signer.alg, "kid": signer.kid}))
    signature = signer.sign(f"{protected}.{encoded_payload}".encode("ascii"))
    return {"protected": protected, "signature": b64url(signature)}


def verify_general_signature(
    encoded_payload: str, entry: Mapping[str, Any], resolve: Resolver
) -> Verified:
    """Verify one signature object of a general JSON JWS.

    Raises:
        InvalidSignature: as :func:`verify_compact`.
    """
    protected = entry.get("protected")
    signature = entry.get("signature")
    if not isinstance(protected, str) or not isinstance(signature, str):
        raise InvalidSignature("a signature entry is incomplete", reason="signature.malformed")
    header = _header(protected)
    try:
        raw = b64url_decode(signature)
        payload = b64url_decode(encoded_payload)
    except ValueError:
        raise InvalidSignature("the JWS is not base64url", reason="signature.malformed") from None
    verifier = resolve(header)
    _check(header, verifier, f"{protected}.{encoded_payload}".encode("ascii"), raw)
    return Verified(header, payload, verifier)


__all__ = [
    "ES256",
    "Resolver",
    "Verified",
    "add_signature",
    "sign_compact",
    "sign_general",
    "verify_compact",
    "verify_general_signature",
]
