"""The union trust list: who the members are, their keys, and the services they take part in.

A versioned JSON document in the spirit of ETSI TS 119 602 (lists of trusted entities).
For each member state it lists the root CA certificates, the governance key (the root CA's
key), the node's endpoint, exchange signing key and certificate and encryption key, the
document signer certificates, and the services the state takes part in with its roles::

    {"format": "eaeu-trust-list", "format_version": 1, "version": 2,
     "issued_at": "2026-11-28T00:00:00Z", "expires_at": "2027-11-28T00:00:00Z",
     "threshold": 3,
     "members": {"KZ": {"name": "Kazakhstan", "roots": ["<base64 DER>"],
                        "governance_key": {<JWK>, "kid": "<RFC 7638 thumbprint>"},
                        "node": {"endpoint": "http://127.0.0.1:8104",
                                 "signing_key": {<JWK>, "kid": "…"},
                                 "signing_certificate": "<base64 DER>",
                                 "encryption_key": {<JWK>, "kid": "…", "use": "enc"}},
                        "document_signers": [{"role": "health", "certificate": "…"}],
                        "services": {"jobs": ["consumer", "publisher"]}}}}

The payload is canonical JSON (:func:`~eaeu.trust.encoding.canonical_json`); its SHA-256 is
the list's digest. The signed form is a JWS in the general JSON serialization with one
signature per state, each protected header carrying ``alg``, ``kid``, ``typ``
(``eaeu-trust-list+jws``) and ``eaeu_state``.

Proposing a next version is in :mod:`eaeu.trust.proposals`.

Succession follows TUF's root rotation: version 1 is trusted when signed by its own
threshold of its own members (and, for a pinned verifier, when its digest matches the pin);
every later version must be signed by at least the threshold of the *current* version's
members with their current governance keys, carry a higher version number, and be unexpired.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any, TypeVar
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from eaeu.kernel.clock import utc
from eaeu.trust import jws
from eaeu.trust.encoding import b64url_decode, canonical_json
from eaeu.trust.errors import (
    CertificateInvalid,
    InvalidSignature,
    TrustError,
    TrustListRejected,
)
from eaeu.trust.keys import (
    ES256,
    PS256,
    PublicKey,
    PublicKeyVerifier,
    Signer,
    Verifier,
    jwk_public_key,
    public_jwk,
    thumbprint,
)
from eaeu.trust.pki import cert_from_b64der, cert_to_b64der

FORMAT = "eaeu-trust-list"
FORMAT_VERSION = 1
#: The ``typ`` of every signature over a trust list.
TYP = "eaeu-trust-list+jws"
DEFAULT_VALIDITY = timedelta(days=365)

_STATE = re.compile(r"[A-Z]{2}")
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_T = TypeVar("_T")
_KINDS: dict[type, str] = {int: "an integer", str: "a string", dict: "an object", list: "a list"}


# --- the model -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeEntry:
    """A state's national node: where it answers and the keys it signs and decrypts with."""

    endpoint: str
    signing_kid: str
    signing_jwk: Mapping[str, str]
    signing_certificate: x509.Certificate
    encryption_kid: str
    encryption_jwk: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class DocumentSigner:
    """A document signer certificate of a state's authority (``health``, ``migration``…)."""

    role: str
    certificate: x509.Certificate


@dataclass(frozen=True, slots=True)
class MemberEntry:
    """One member state's entry in the trust list."""

    state: str
    name: str
    roots: tuple[x509.Certificate, ...]
    governance_kid: str
    governance_jwk: Mapping[str, str]
    node: NodeEntry
    document_signers: tuple[DocumentSigner, ...]
    services: Mapping[str, frozenset[str]]

    def governance_verifier(self) -> Verifier:
        """Return the verifier of this state's signatures over trust lists."""
        return _verifier(self.governance_jwk, self.governance_kid)


@dataclass(frozen=True, slots=True)
class TrustList:
    """One version of the union trust list.

    Attributes:
        version: the version number; 1 is the first.
        issued_at, expires_at: the validity; an expired list must not be used.
        threshold: how many current members must sign the next version.
        members: the member entries by state code.
        document: the payload as JSON data (unknown fields kept for later versions).
        digest: hex SHA-256 of the canonical payload.
        signed_by: the states whose signatures were verified when the list was accepted;
            empty for a list that was only parsed.
    """

    version: int
    issued_at: datetime
    expires_at: datetime
    threshold: int
    members: Mapping[str, MemberEntry] = field(repr=False)
    document: dict[str, Any] = field(repr=False, compare=False)
    digest: str
    signed_by: tuple[str, ...] = ()

    def member(self, state: str) -> MemberEntry:
        """Return the entry of ``state``.

        Raises:
            TrustError: ``state`` is not a member (``trust.unknown_member``).
        """
        try:
            return self.members[state]
        except KeyError:
            raise TrustError(
                f"{state!r} is not a member of the trust list", reason="trust.unknown_member"
            ) from None

    def node_verifier(self, kid: str) -> tuple[str, Verifier]:
        """Find the node signing key with key id ``kid``.

        Returns:
            The state whose node holds the key, and a verifier for it.

        Raises:
            InvalidSignature: no member's node signs with ``kid`` (``signature.kid``).
        """
        for state, member in self.members.items():
            if member.node.signing_kid == kid:
                return state, _verifier(member.node.signing_jwk, kid)
        raise InvalidSignature(
            "the key id is not a node signing key in the trust list", reason="signature.kid"
        )

    def encryption_key(self, state: str) -> PublicKey:
        """Return the public key that messages to ``state``'s node are encrypted to.

        Raises:
            TrustError: ``state`` is not a member (``trust.unknown_member``).
        """
        return jwk_public_key(self.member(state).node.encryption_jwk)

    def endpoint(self, state: str) -> str:
        """Return the base URL of ``state``'s node.

        Raises:
            TrustError: ``state`` is not a member (``trust.unknown_member``).
        """
        return self.member(state).node.endpoint

    def participates(self, state: str, service: str, role: str | None = None) -> bool:
        """Return whether ``state`` takes part in ``service`` (in ``role``, if given)."""
        member = self.members.get(state)
        roles = member.services.get(service) if member else None
        return roles is not None and (role is None or role in roles)

    def participants(self, service: str, role: str | None = None) -> list[str]:
        """Return the states that take part in ``service`` (in ``role``, if given), sorted."""
        return [state for state in sorted(self.members) if self.participates(state, service, role)]

    def document_signers(self, state: str, role: str) -> list[x509.Certificate]:
        """Return ``state``'s document signer certificates for ``role``.

        Raises:
            TrustError: ``state`` is not a member (``trust.unknown_member``).
        """
        return [s.certificate for s in self.member(state).document_signers if s.role == role]

    def check_current(self, at: datetime) -> None:
        """Return if the list may be used at ``at``.

        Raises:
            TrustListRejected: the list has expired (``trustlist.expired``).
        """
        if utc(at) >= self.expires_at:
            raise TrustListRejected(
                f"trust list version {self.version} expired at {format_time(self.expires_at)}",
                reason="trustlist.expired",
            )


def _verifier(jwk: Mapping[str, str], kid: str) -> Verifier:
    return _cached_verifier(kid, tuple(sorted(jwk.items())))


@lru_cache(maxsize=256)
def _cached_verifier(kid: str, jwk_items: tuple[tuple[str, str], ...]) -> Verifier:
    # Building a public key from a JWK costs more than verifying one signature with it;
    # every envelope, receipt and response is checked against a handful of node keys.
    jwk = dict(jwk_items)
    key = jwk_public_key(jwk)
    alg = jwk.get("alg") or (ES256 if isinstance(key, ec.EllipticCurvePublicKey) else PS256)
    return PublicKeyVerifier(key, alg, kid)


def key_jwk(key: PublicKey, **extra: str) -> dict[str, str]:
    """Return the public JWK of ``key`` with its thumbprint as ``kid`` and ``extra`` members."""
    return {**public_jwk(key), **extra, "kid": thumbprint(key)}


def public_key_of(cert: x509.Certificate) -> PublicKey:
    """Return the public key of ``cert``.

    Raises:
        CertificateInvalid: the key is neither EC nor RSA (``certificate.malformed``).
    """
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise CertificateInvalid(
            "only EC P-256 and RSA keys are supported", reason="certificate.malformed"
        )
    return key


def member_entry(
    *,
    state: str,
    name: str,
    roots: Sequence[x509.Certificate],
    endpoint: str,
    node_certificate: x509.Certificate,
    encryption_key: ec.EllipticCurvePublicKey,
    document_signers: Iterable[DocumentSigner] = (),
    services: Mapping[str, Iterable[str]] | None = None,
) -> MemberEntry:
    """Build a member entry from certificates and keys; the first root's key governs.

    Raises:
        CertificateInvalid: a certificate's key is neither EC P-256 nor RSA
            (``certificate.malformed``).
    """
    governance = key_jwk(public_key_of(roots[0]))
    signing = key_jwk(public_key_of(node_certificate))
    encryption = key_jwk(encryption_key, use="enc")
    return MemberEntry(
        state=state,
        name=name,
        roots=tuple(roots),
        governance_kid=governance.pop("kid"),
        governance_jwk=MappingProxyType(governance),
        node=NodeEntry(
            endpoint=endpoint,
            signing_kid=signing.pop("kid"),
            signing_jwk=MappingProxyType(signing),
            signing_certificate=node_certificate,
            encryption_kid=encryption.pop("kid"),
            encryption_jwk=MappingProxyType(encryption),
        ),
        document_signers=tuple(document_signers),
        services=MappingProxyType({s: frozenset(r) for s, r in (services or {}).items()}),
    )


# --- JSON in and out -------------------------------------------------------------------------


def format_time(value: datetime) -> str:
    """Return ``value`` as the trust list writes times: ``2026-01-01T00:00:00Z``."""
    return utc(value).strftime(_TIME_FORMAT)


def member_json(member: MemberEntry) -> dict[str, Any]:
    """Return the JSON form of a member entry, as it appears under ``members``."""
    node = member.node
    return {
        "name": member.name,
        "roots": [cert_to_b64der(root) for root in member.roots],
        "governance_key": {**member.governance_jwk, "kid": member.governance_kid},
        "node": {
            "endpoint": node.endpoint,
            "signing_key": {**node.signing_jwk, "kid": node.signing_kid},
            "signing_certificate": cert_to_b64der(node.signing_certificate),
            "encryption_key": {**node.encryption_jwk, "kid": node.encryption_kid},
        },
        "document_signers": [
            {"role": s.role, "certificate": cert_to_b64der(s.certificate)}
            for s in member.document_signers
        ],
        "services": {service: sorted(roles) for service, roles in sorted(member.services.items())},
    }


def build_document(
    *,
    version: int,
    issued_at: datetime,
    expires_at: datetime,
    threshold: int,
    members: Iterable[MemberEntry],
) -> dict[str, Any]:
    """Build a trust list payload.

    Args:
        version: the version number (1 for a new union).
        issued_at: when the version is issued.
        expires_at: when it stops being usable.
        threshold: how many of its members must sign the next version.
        members: the member entries.

    Returns:
        The payload as JSON data, ready for :func:`sign`.

    Raises:
        TrustListRejected: the result is not a valid trust list (``trustlist.malformed``).
    """
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "version": version,
        "issued_at": format_time(issued_at),
        "expires_at": format_time(expires_at),
        "threshold": threshold,
        "members": {m.state: member_json(m) for m in sorted(members, key=lambda m: m.state)},
    }
    parse_document(document)
    return document


def _malformed(path: str, problem: str) -> TrustListRejected:
    return TrustListRejected(f"{path} {problem}", reason="trustlist.malformed")


def _get(obj: Mapping[str, Any], key: str, kind: type[_T], path: str) -> _T:
    value = obj.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _malformed(f"{path}{key}", f"must be {_KINDS[kind]}")
    return value


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise _malformed(where, "must be a lower-case name")
    return value


def _time(obj: Mapping[str, Any], key: str) -> datetime:
    value = _get(obj, key, str, "")
    try:
        parsed = datetime.strptime(value, _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        parsed = None
    # strptime also takes "2026-1-1T…"; only the one spelling of a time is accepted.
    if parsed is None or format_time(parsed) != value:
        raise _malformed(key, "must be a UTC time like 2026-01-01T00:00:00Z")
    return parsed


def _certificate(value: Any, path: str) -> x509.Certificate:
    try:
        return cert_from_b64der(value)
    except CertificateInvalid:
        raise _malformed(path, "is not a base64 DER certificate") from None


def _key(obj: Mapping[str, Any], name: str, path: str) -> tuple[str, dict[str, str], PublicKey]:
    value = _get(obj, name, dict, path)
    where = f"{path}{name}"
    if not all(isinstance(v, str) for v in value.values()):
        raise _malformed(where, "must be a JWK with string members")
    jwk = {k: v for k, v in value.items() if k != "kid"}
    try:
        key = jwk_public_key(jwk)
        _verifier(jwk, value.get("kid", ""))
    except InvalidSignature:
        raise _malformed(where, "is not a usable public key") from None
    kid = _get(value, "kid", str, f"{where}.")
    if kid != thumbprint(key):
        raise _malformed(f"{where}.kid", "is not the key's RFC 7638 thumbprint")
    return kid, jwk, key


def _node(obj: Mapping[str, Any], path: str) -> NodeEntry:
    endpoint = _get(obj, "endpoint", str, path)
    url = urlsplit(endpoint)
    if url.scheme not in {"http", "https"} or not url.hostname:
        raise _malformed(f"{path}endpoint", "must be an http or https URL")
    signing_kid, signing_jwk, signing_key = _key(obj, "signing_key", path)
    certificate = _certificate(obj.get("signing_certificate"), f"{path}signing_certificate")
    if certificate.public_key() != signing_key:
        raise _malformed(f"{path}signing_certificate", "does not hold the node signing key")
    encryption_kid, encryption_jwk, encryption_key = _key(obj, "encryption_key", path)
    if not isinstance(encryption_key, ec.EllipticCurvePublicKey) or encryption_jwk.get("use") != (
        "enc"
    ):
        raise _malformed(f"{path}encryption_key", 'must be an EC key with "use": "enc"')
    return NodeEntry(
        endpoint=endpoint,
        signing_kid=signing_kid,
        signing_jwk=MappingProxyType(signing_jwk),
        signing_certificate=certificate,
        encryption_kid=encryption_kid,
        encryption_jwk=MappingProxyType(encryption_jwk),
    )


def _member(state: str, obj: Any) -> MemberEntry:
    path = f"members.{state}."
    if not _STATE.fullmatch(state) or not isinstance(obj, dict):
        raise _malformed(f"members.{state}", "must be an object under a two-letter state code")
    name = _get(obj, "name", str, path)
    roots = tuple(
        _certificate(value, f"{path}roots[{i}]")
        for i, value in enumerate(_get(obj, "roots", list, path))
    )
    if not roots:
        raise _malformed(f"{path}roots", "must not be empty")
    governance_kid, governance_jwk, governance_key = _key(obj, "governance_key", path)
    if not any(root.public_key() == governance_key for root in roots):
        raise _malformed(f"{path}governance_key", "is not the key of one of its roots")
    node = _node(_get(obj, "node", dict, path), f"{path}node.")
    signers = []
    for i, value in enumerate(_get(obj, "document_signers", list, path)):
        where = f"{path}document_signers[{i}]"
        if not isinstance(value, dict):
            raise _malformed(where, "must be an object")
        certificate = _certificate(value.get("certificate"), f"{where}.certificate")
        signers.append(DocumentSigner(_name(value.get("role"), f"{where}.role"), certificate))
    services: dict[str, frozenset[str]] = {}
    for service, roles in _get(obj, "services", dict, path).items():
        where = f"{path}services.{_name(service, f'{path}services.{service}')}"
        if not isinstance(roles, list) or not roles:
            raise _malformed(where, "must be a non-empty list of roles")
        services[service] = frozenset(_name(role, f"{where}[{role!r}]") for role in roles)
    return MemberEntry(
        state=state,
        name=name,
        roots=roots,
        governance_kid=governance_kid,
        governance_jwk=MappingProxyType(governance_jwk),
        node=node,
        document_signers=tuple(signers),
        services=MappingProxyType(services),
    )


def parse_document(document: Any) -> TrustList:
    """Read a trust list payload, checking its structure but no signature.

    Raises:
        TrustListRejected: any structural problem (``trustlist.malformed``); the message
            names the field.
    """
    if not isinstance(document, dict):
        raise _malformed("the payload", "must be a JSON object")
    if document.get("format") != FORMAT:
        raise _malformed("format", f"must be {FORMAT!r}")
    if document.get("format_version") != FORMAT_VERSION:
        raise _malformed("format_version", f"must be {FORMAT_VERSION}")
    version = _get(document, "version", int, "")
    if version < 1:
        raise _malformed("version", "must be 1 or more")
    issued_at, expires_at = _time(document, "issued_at"), _time(document, "expires_at")
    if expires_at <= issued_at:
        raise _malformed("expires_at", "must be after issued_at")
    entries = _get(document, "members", dict, "")
    members = {state: _member(state, obj) for state, obj in sorted(entries.items())}
    threshold = _get(document, "threshold", int, "")
    if not 1 <= threshold <= len(members):
        raise _malformed("threshold", f"must be between 1 and the {len(members)} members")
    kids = [m.node.signing_kid for m in members.values()]
    if len(set(kids)) != len(kids):
        raise _malformed("members", "share a node signing key")
    return TrustList(
        version=version,
        issued_at=issued_at,
        expires_at=expires_at,
        threshold=threshold,
        members=MappingProxyType(members),
        document=document,
        digest=hashlib.sha256(canonical_json(document)).hexdigest(),
    )


# --- the signed form -------------------------------------------------------------------------


def _envelope(signed: Any) -> tuple[str, list[dict[str, Any]]]:
    if not isinstance(signed, dict):
        raise _malformed("the signed trust list", "must be a JSON object")
    payload = _get(signed, "payload", str, "")
    entries = _get(signed, "signatures", list, "")
    if not all(isinstance(entry, dict) for entry in entries):
        raise _malformed("signatures", "must be a list of objects")
    return payload, entries


def _payload_bytes(payload: str) -> bytes:
    try:
        return b64url_decode(payload)
    except ValueError:
        raise _malformed("payload", "is not base64url") from None


def _parse_payload(raw: bytes) -> TrustList:
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        raise _malformed("payload", "is not UTF-8 JSON") from None
    # Only canonical bytes have one digest: two encodings of one document must not differ.
    if canonical_json(document) != raw:
        raise _malformed("payload", "is not canonical JSON")
    return parse_document(document)


def parse(signed: Any) -> TrustList:
    """Read a signed trust list, checking its structure but no signature.

    Args:
        signed: the JWS general JSON serialization (``{"payload": …, "signatures": […]}``).

    Raises:
        TrustListRejected: any structural problem (``trustlist.malformed``); the message
            names the field.
    """
    payload, _ = _envelope(signed)
    return _parse_payload(_payload_bytes(payload))


def _protected(state: str) -> dict[str, str]:
    return {"typ": TYP, "eaeu_state": state}


def sign(document: Mapping[str, Any], signers: Mapping[str, Signer]) -> dict[str, Any]:
    """Sign a trust list payload by the governance keys of several states.

    Args:
        document: the payload (from :func:`build_document` or :func:`propose`).
        signers: each signing state's governance signer, by state code; may be empty, for
            a proposal that states sign one by one with :func:`add_state_signature`.

    Returns:
        The signed trust list in the JWS general JSON serialization.

    Raises:
        TrustListRejected: the document is not a trust list (``trustlist.malformed``).
    """
    parse_document(document)
    return jws.sign_general(
        canonical_json(document),
        [(signer, _protected(state)) for state, signer in sorted(signers.items())],
    )


def signing_states(signed: Any) -> list[str]:
    """Return the states that claim a signature on ``signed``, in order, without verifying.

    Raises:
        TrustListRejected: a signature header cannot be read (``trustlist.malformed``).
    """
    _, entries = _envelope(signed)
    states = []
    for entry in entries:
        try:
            protected = entry.get("protected")
            header = json.loads(b64url_decode(protected if isinstance(protected, str) else ""))
            states.append(str(header["eaeu_state"]))
        except (ValueError, TypeError, KeyError):
            raise _malformed("signatures", "has a header without eaeu_state") from None
    return states


def add_state_signature(signed: Any, state: str, signer: Signer) -> dict[str, Any]:
    """Add one state's governance signature to a signed trust list.

    Args:
        signed: the signed trust list (often a proposal with fewer signatures than needed).
        state: the signing state.
        signer: that state's governance signer (its root CA key).

    Returns:
        A new signed trust list with the signature appended.

    Raises:
        TrustListRejected: the state has signed already (``trustlist.duplicate_signer``),
            or the list is malformed (``trustlist.malformed``).
    """
    payload, entries = _envelope(signed)
    _parse_payload(_payload_bytes(payload))
    if state in signing_states(signed):
        raise TrustListRejected(
            f"{state} has already signed this trust list", reason="trustlist.duplicate_signer"
        )
    entry = jws.add_signature(payload, signer, _protected(state))
    return {"payload": payload, "signatures": [*entries, entry]}


def _resolver(members: Mapping[str, MemberEntry], seen: set[str]) -> jws.Resolver:
    def resolve(header: Mapping[str, Any]) -> Verifier:
        if header.get("typ") != TYP:
            raise _malformed("a signature header", f'must have "typ": "{TYP}"')
        state = header.get("eaeu_state")
        member = members.get(state) if isinstance(state, str) else None
        if member is None:
            raise TrustListRejected(
                f"a signature is by {state!r}, not a member of the trust list in force",
                reason="trustlist.non_member",
            )
        if header.get("kid") != member.governance_kid:
            raise TrustListRejected(
                f"the signature of {state} is not by its current governance key",
                reason="trustlist.non_member",
            )
        if state in seen:
            raise TrustListRejected(
                f"{state} signed the trust list twice", reason="trustlist.duplicate_signer"
            )
        return member.governance_verifier()

    return resolve


def _verify_signatures(
    payload: str, entries: Sequence[Mapping[str, Any]], members: Mapping[str, MemberEntry]
) -> tuple[str, ...]:
    seen: set[str] = set()
    resolve = _resolver(members, seen)
    for entry in entries:
        try:
            verified = jws.verify_general_signature(payload, entry, resolve)
        except InvalidSignature as exc:
            # A signature that does not verify means the payload is not what was signed.
            reason = "trustlist.tampered" if exc.reason == "signature.invalid" else None
            raise TrustListRejected(
                f"a signature cannot be verified: {exc.message}",
                reason=reason or "trustlist.malformed",
            ) from None
        seen.add(verified.header["eaeu_state"])
    return tuple(sorted(seen))


def _require_threshold(signed_by: Sequence[str], threshold: int, whose: str) -> None:
    if len(signed_by) < threshold:
        raise TrustListRejected(
            f"signed by {len(signed_by)} of the {threshold} states {whose} threshold requires",
            reason="trustlist.threshold",
        )


def _accept_first(signed: Any, at: datetime | None, pinned_digest: str | None) -> TrustList:
    payload, entries = _envelope(signed)
    raw = _payload_bytes(payload)
    if pinned_digest is not None and hashlib.sha256(raw).hexdigest() != pinned_digest.lower():
        raise TrustListRejected(
            "the trust list is not the pinned first version", reason="trustlist.pinned"
        )
    candidate = _parse_payload(raw)
    if candidate.version != 1:
        raise TrustListRejected(
            f"version {candidate.version} cannot be trusted on its own; "
            "verify it from version 1 through its predecessors",
            reason="trustlist.not_first",
        )
    signed_by = _verify_signatures(payload, entries, candidate.members)
    _require_threshold(signed_by, candidate.threshold, "its own")
    if at is not None:
        candidate.check_current(at)
    return replace(candidate, signed_by=signed_by)


def _accept_successor(current: TrustList, signed: Any, at: datetime | None) -> TrustList:
    payload, entries = _envelope(signed)
    signed_by = _verify_signatures(payload, entries, current.members)
    _require_threshold(signed_by, current.threshold, f"of version {current.version}'s")
    candidate = _parse_payload(_payload_bytes(payload))
    if candidate.version <= current.version:
        raise TrustListRejected(
            f"version {candidate.version} does not follow version {current.version}",
            reason="trustlist.rollback",
        )
    if at is not None:
        candidate.check_current(at)
    return replace(candidate, signed_by=signed_by)


def accept_first(signed: Any, *, at: datetime, pinned_digest: str | None = None) -> TrustList:
    """Accept the first version of the trust list, the root of every chain.

    Args:
        signed: the signed version 1.
        at: the time it must be valid at.
        pinned_digest: the digest (hex SHA-256 of the payload) obtained out of band; when
            given, the list must be exactly that one.

    Returns:
        The accepted list, with ``signed_by`` set.

    Raises:
        TrustListRejected: ``trustlist.pinned`` (not the pinned list), ``trustlist.not_first``
            (not version 1), ``trustlist.threshold`` (fewer than its own threshold of its
            own members signed), ``trustlist.non_member``, ``trustlist.duplicate_signer``,
            ``trustlist.tampered``, ``trustlist.expired``, ``trustlist.malformed``.
    """
    return _accept_first(signed, utc(at), pinned_digest)


def accept_successor(current: TrustList, signed: Any, *, at: datetime) -> TrustList:
    """Accept the version after ``current`` if a threshold of current members signed it.

    Args:
        current: the list in force.
        signed: the candidate next version.
        at: the time the candidate must be valid at.

    Returns:
        The accepted list, with ``signed_by`` set.

    Raises:
        TrustListRejected: ``trustlist.non_member`` (a signature by a state that is not a
            current member, or not with its current governance key),
            ``trustlist.duplicate_signer`` (a state signed twice), ``trustlist.tampered``
            (a signature does not verify), ``trustlist.threshold`` (fewer than
            ``current.threshold`` states signed), ``trustlist.rollback`` (not a higher
            version), ``trustlist.expired``, ``trustlist.malformed`` (including a threshold
            below 1 or above the number of members).
    """
    return _accept_successor(current, signed, utc(at))


def verify_chain(
    versions: Sequence[Any], *, at: datetime, pinned_digest: str | None = None
) -> TrustList:
    """Follow the chain of versions from version 1, as an offline verifier does.

    Earlier versions may have expired since; only the last must be valid at ``at``.

    Args:
        versions: the signed versions, oldest (version 1) first.
        at: the time the last version must be valid at.
        pinned_digest: the pinned digest of version 1, if any.

    Returns:
        The last version, accepted.

    Raises:
        TrustListRejected: as :func:`accept_first` and :func:`accept_successor`;
            ``trustlist.malformed`` for an empty chain.
    """
    return follow_chain(versions, pinned_digest=pinned_digest, at=utc(at))


def follow_chain(
    versions: Sequence[Any], *, pinned_digest: str | None = None, at: datetime | None = None
) -> TrustList:
    """Follow the chain like :func:`verify_chain`; with no ``at``, expiry is not checked.

    Raises:
        TrustListRejected: as :func:`verify_chain`.
    """
    if not versions:
        raise _malformed("the chain", "has no versions")
    current = _accept_first(versions[0], None, pinned_digest)
    for signed in versions[1:]:
        current = _accept_successor(current, signed, None)
    if at is not None:
        current.check_current(at)
    return current
