"""Signed attestations of the move: insurance policies, housing bookings, acknowledgments.

The node of the destination state signs what it issues with its exchange key (``kid`` in the
union trust list) as a compact JWS whose ``typ`` says what it is; the person's home node,
and anyone else holding the union trust list, verifies it without asking the issuer. Claims
always carry ``ver`` (the format version), ``iss`` (the issuing state), ``jti`` (the
document's id) and ``iat`` (Unix seconds); the rest depends on the kind.

A policy and a booking name the person (Latin names, date of birth, citizenship): they are
personal data and travel only inside consented, encrypted exchange answers. An
acknowledgment of a migration notice names no one: it carries the notice's kind, the
contract id and the SHA-256 of the notice, so it can be shown and fetched freely.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from eaeu.services.jobs.move_errors import AttestationRefused
from eaeu.trust import jws
from eaeu.trust.encoding import b64url_decode, canonical_json
from eaeu.trust.errors import InvalidSignature
from eaeu.trust.keys import Signer, Verifier
from eaeu.trust.trustlist import TrustList

VERSION: Final = 1
POLICY: Final = "eaeu-jobs-policy+jws"
BOOKING: Final = "eaeu-jobs-booking+jws"
ACKNOWLEDGMENT: Final = "eaeu-jobs-ack+jws"
KINDS: Final = (POLICY, BOOKING, ACKNOWLEDGMENT)
_PARTS: Final = 3


def sign(kind: str, claims: Mapping[str, Any], signer: Signer, *, issuer: str, at: datetime) -> str:
    """Sign ``claims`` as an attestation of ``kind`` issued by ``issuer``'s node at ``at``."""
    if kind not in KINDS:
        msg = f"unknown attestation kind {kind!r}"
        raise ValueError(msg)
    body = {**claims, "ver": VERSION, "iss": issuer, "iat": int(at.timestamp())}
    return jws.sign_compact(canonical_json(body), signer, header={"typ": kind})


def peek(token: str, kind: str) -> dict[str, Any]:
    """Read an attestation's claims without verifying it (to show what it claims).

    Raises:
        AttestationRefused: not an attestation of ``kind`` (``jobs.attestation_malformed``).
    """
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != _PARTS:
        raise _malformed()
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
    except (ValueError, RecursionError):
        raise _malformed() from None
    if not isinstance(header, dict) or header.get("typ") != kind:
        raise _malformed()
    if not isinstance(claims, dict) or claims.get("ver") != VERSION:
        raise _malformed()
    if not isinstance(claims.get("iss"), str) or not isinstance(claims.get("jti"), str):
        raise _malformed()
    return claims


def verify(token: str, kind: str, trust: TrustList, *, issuer: str | None = None) -> dict[str, Any]:
    """Verify an attestation through the trust list; return its claims.

    Args:
        token: the compact JWS.
        kind: the attestation kind expected (``POLICY``, ``BOOKING``, ``ACKNOWLEDGMENT``).
        trust: the union trust list in force.
        issuer: the state whose node must have signed it (the one it names by default).

    Raises:
        AttestationRefused: ``jobs.attestation_malformed`` (not this kind),
            ``jobs.attestation_signature`` (unknown key, altered content) or
            ``jobs.attestation_issuer`` (signed by another state's node than it names or
            than expected).
    """
    claims = peek(token, kind)
    found: dict[str, str] = {}

    def resolve(header: Mapping[str, Any]) -> Verifier:
        state, verifier = trust.node_verifier(str(header.get("kid")))
        found["state"] = state
        return verifier

    try:
        jws.verify_compact(token, resolve)
    except InvalidSignature:
        raise AttestationRefused(
            "The signature does not verify against the union trust list: the document was "
            "altered or not signed by a member state's node.",
            reason="jobs.attestation_signature",
        ) from None
    if found.get("state") != claims["iss"] or (issuer is not None and claims["iss"] != issuer):
        raise AttestationRefused(
            "The document was not signed by the node of the state that issued it.",
            reason="jobs.attestation_issuer",
        )
    return claims


def issued_at(claims: Mapping[str, Any]) -> datetime:
    """When an attestation was signed (its ``iat``)."""
    value = claims.get("iat")
    return datetime.fromtimestamp(value if isinstance(value, int) else 0, tz=UTC)


def content_hash(value: Any) -> str:
    """The SHA-256 (hex) of ``value``'s canonical JSON (what an acknowledgment binds)."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def _malformed() -> AttestationRefused:
    return AttestationRefused(
        "This is not a signed document of the kind expected.",
        reason="jobs.attestation_malformed",
    )


__all__ = [
    "ACKNOWLEDGMENT",
    "BOOKING",
    "POLICY",
    "VERSION",
    "content_hash",
    "issued_at",
    "peek",
    "sign",
    "verify",
]
