"""Envelopes and receipts: what nodes sign, send, verify and keep.

An envelope is a JSON object signed by the sending node's exchange key as a compact JWS
(``typ: eaeu-envelope+jws``). Its ``id`` (UUIDv7) names the message for its whole life;
``sent_at`` is renewed on every delivery attempt and is what the replay window checks, so a
message that waited in an outbox for an hour is still accepted while a captured copy
replayed later is not. Personal data travels in ``encrypted`` (JWE to the receiving node's
key), never in ``payload``. The receiver answers with a signed receipt over the hash of the
exact bytes it received; both sides keep envelope and receipt.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.ids import ExchangeId, parse_id
from eaeu.trust.encoding import canonical_json
from eaeu.trust.errors import InvalidSignature, TrustError
from eaeu.trust.jws import Verified, sign_compact, verify_compact
from eaeu.trust.keys import Signer, Verifier
from eaeu.trust.trustlist import TrustList

ENVELOPE_TYP = "eaeu-envelope+jws"
RECEIPT_TYP = "eaeu-receipt+jws"
FORMAT_VERSION = 1
#: The largest signed envelope a node accepts.
MAX_ENVELOPE_BYTES = 1_048_576
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_NAME_MAX = 64
_ID_MAX = 36
_CATEGORIES_MAX = 32


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _parse_time(value: Any, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise MessageRefused(
            f"{name} is not an ISO 8601 time", reason="exchange.malformed"
        ) from None
    if parsed.tzinfo is None:
        raise MessageRefused(f"{name} has no time zone", reason="exchange.malformed")
    return parsed


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message between nodes, before signing."""

    id: str
    sender: str
    receiver: str
    service: str
    type: str
    created_at: datetime
    payload: Any = None
    encrypted: str | None = None
    correlation_id: str | None = None
    consent: str | None = None
    request_hash: str | None = None
    purpose: str | None = None
    categories: tuple[str, ...] = ()
    basis: str | None = None
    v: int = FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        """The envelope as a JSON object (``sent_at`` is added when sealing)."""
        return {
            "v": self.v,
            "id": self.id,
            "sender": self.sender,
            "receiver": self.receiver,
            "service": self.service,
            "type": self.type,
            "created_at": _iso(self.created_at),
            "correlation_id": self.correlation_id,
            "consent": self.consent,
            "request_hash": self.request_hash,
            "purpose": self.purpose,
            "categories": list(self.categories),
            "basis": self.basis,
            "payload": self.payload,
            "encrypted": self.encrypted,
        }

    @property
    def content_hash(self) -> str:
        """Hash of the content without ``sent_at``: equal for every attempt of one message."""
        return sha256_hex(canonical_json(self.to_json()))

    @property
    def sender_id(self) -> ExchangeId:
        """The parsed sender identifier."""
        return parse_id(self.sender)

    @property
    def receiver_id(self) -> ExchangeId:
        """The parsed receiver identifier."""
        return parse_id(self.receiver)

    @classmethod
    def from_json(cls, data: Any) -> Envelope:
        """Parse an envelope object.

        Raises:
            MessageRefused: with reason ``exchange.malformed`` naming the first bad field.
        """
        if not isinstance(data, dict):
            raise MessageRefused("the envelope is not a JSON object", reason="exchange.malformed")
        if data.get("v") != FORMAT_VERSION:
            raise MessageRefused(
                f"envelope format version {data.get('v')!r} is not supported",
                reason="exchange.malformed",
            )
        for name in ("id", "sender", "receiver", "service", "type", "created_at"):
            if not isinstance(data.get(name), str) or not data[name]:
                raise MessageRefused(f"the envelope has no {name}", reason="exchange.malformed")
        _check_fields(data)
        envelope = cls(
            id=data["id"],
            sender=data["sender"],
            receiver=data["receiver"],
            service=data["service"],
            type=data["type"],
            created_at=_parse_time(data["created_at"], "created_at"),
            payload=data.get("payload"),
            encrypted=data.get("encrypted"),
            correlation_id=data.get("correlation_id"),
            consent=data.get("consent"),
            request_hash=data.get("request_hash"),
            purpose=data.get("purpose"),
            categories=tuple(data.get("categories") or ()),
            basis=data.get("basis"),
        )
        envelope.sender_id  # noqa: B018 - parse both identifiers now, refusing bad ones
        envelope.receiver_id  # noqa: B018
        return envelope


def _check_fields(data: dict[str, Any]) -> None:
    for name in ("encrypted", "correlation_id", "consent", "request_hash", "purpose", "basis"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise MessageRefused(f"{name} must be a string", reason="exchange.malformed")
    categories = data.get("categories")
    if categories is not None and (
        not isinstance(categories, list)
        or len(categories) > _CATEGORIES_MAX
        or not all(isinstance(item, str) and 0 < len(item) <= _NAME_MAX for item in categories)
    ):
        raise MessageRefused(
            "categories must be a short list of category names", reason="exchange.malformed"
        )
    if not _UUID.fullmatch(data["id"]):
        raise MessageRefused("id must be a UUID", reason="exchange.malformed")
    if len(data.get("correlation_id") or "") > _ID_MAX:
        raise MessageRefused("correlation_id is too long", reason="exchange.malformed")
    for name in ("service", "type"):
        if len(data[name]) > _NAME_MAX:
            raise MessageRefused(f"{name} is too long", reason="exchange.malformed")


@dataclass(frozen=True, slots=True)
class Opened:
    """A received envelope whose signature, sender, receiver and time were checked."""

    envelope: Envelope
    sender_state: str
    sent_at: datetime
    token_hash: str
    verifier: Verifier = field(repr=False)


def seal(envelope: Envelope, signer: Signer, *, sent_at: datetime) -> str:
    """Sign ``envelope`` for one delivery attempt; return the compact JWS."""
    body = {**envelope.to_json(), "sent_at": _iso(sent_at)}
    return sign_compact(canonical_json(body), signer, {"typ": ENVELOPE_TYP})


def _resolver(trust: TrustList) -> Any:
    def resolve(header: Any) -> Verifier:
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidSignature("the signature names no key", reason="signature.kid")
        _, verifier = trust.node_verifier(kid)
        return verifier

    return resolve


def open_envelope(
    token: str,
    trust: TrustList,
    *,
    receiver_state: str,
    now: datetime,
    window: timedelta,
    skew: timedelta,
) -> Opened:
    """Verify a received envelope: signature by a member node, sender, receiver, time, rights.

    Args:
        token: the compact JWS as received.
        trust: the union trust list in force at the receiver.
        receiver_state: the receiving node's state.
        now: the receiver's clock.
        window: how old ``sent_at`` may be (replay protection).
        skew: how far in the future ``sent_at`` may be.

    Raises:
        MessageRefused: with the reason (``exchange.too_large``, ``exchange.unknown_sender``,
            ``exchange.bad_signature``, ``exchange.malformed``, ``exchange.sender_mismatch``,
            ``exchange.wrong_receiver``, ``exchange.expired``, ``exchange.from_future``,
            ``exchange.unauthorised``).
    """
    verified, envelope, sent_at = _verify(token, trust)
    signer_state, _ = trust.node_verifier(verified.verifier.kid)
    _check_routing(envelope, signer_state, receiver_state, trust)
    if sent_at < now - window:
        raise MessageRefused(
            "the envelope was sent too long ago (a replay or a stuck clock)",
            reason="exchange.expired",
        )
    if sent_at > now + skew:
        raise MessageRefused("the envelope was sent in the future", reason="exchange.from_future")
    return Opened(envelope, signer_state, sent_at, sha256_hex(token.encode()), verified.verifier)


def _verify(token: str, trust: TrustList) -> tuple[Verified, Envelope, datetime]:
    if len(token) > MAX_ENVELOPE_BYTES:
        raise MessageRefused("the envelope is too large", reason="exchange.too_large")
    try:
        verified = verify_compact(token, _resolver(trust))
    except InvalidSignature as exc:
        reason = (
            "exchange.unknown_sender" if exc.reason == "signature.kid" else "exchange.bad_signature"
        )
        raise MessageRefused(
            f"the envelope signature is not valid: {exc.message}", reason=reason
        ) from None
    if verified.header.get("typ") != ENVELOPE_TYP:
        raise MessageRefused("this JWS is not an envelope", reason="exchange.malformed")
    try:
        body = json.loads(verified.payload)
    except (ValueError, RecursionError):
        # RecursionError: JSON nested deeper than the parser goes.
        raise MessageRefused("the envelope is not JSON", reason="exchange.malformed") from None
    if not isinstance(body, dict):
        raise MessageRefused("the envelope is not a JSON object", reason="exchange.malformed")
    sent_at = _parse_time(body.pop("sent_at", None), "sent_at")
    return verified, Envelope.from_json(body), sent_at


def _check_routing(
    envelope: Envelope, signer_state: str, receiver_state: str, trust: TrustList
) -> None:
    if envelope.sender_id.state != signer_state:
        raise MessageRefused(
            f"the envelope claims to come from {envelope.sender_id.state} "
            f"but is signed by the {signer_state} node",
            reason="exchange.sender_mismatch",
        )
    if envelope.receiver_id.state != receiver_state:
        raise MessageRefused(
            f"the envelope is addressed to {envelope.receiver_id.state}, not {receiver_state}",
            reason="exchange.wrong_receiver",
        )
    for state in (signer_state, receiver_state):
        if not trust.participates(state, envelope.service):
            raise MessageRefused(
                f"{state} does not take part in the service {envelope.service!r}",
                reason="exchange.unauthorised",
            )


@dataclass(frozen=True, slots=True)
class Receipt:
    """A checked receipt: who received which exact bytes, when, and with what outcome."""

    message_id: str
    envelope_hash: str
    receiver_state: str
    received_at: datetime
    status: str
    token: str
    token_hash: str


def make_receipt(
    opened_hash: str,
    message_id: str,
    receiver_state: str,
    signer: Signer,
    *,
    at: datetime,
    status: str,
) -> str:
    """Sign a receipt over the hash of a received envelope."""
    body = {
        "v": FORMAT_VERSION,
        "message_id": message_id,
        "envelope_hash": opened_hash,
        "receiver": receiver_state,
        "received_at": _iso(at),
        "status": status,
    }
    return sign_compact(canonical_json(body), signer, {"typ": RECEIPT_TYP})


def check_receipt(
    token: Any,
    trust: TrustList,
    *,
    receiver_state: str,
    message_id: str,
    envelope_hash: str | None,
) -> Receipt:
    """Verify a receipt from ``receiver_state`` for ``message_id``.

    Args:
        token: the receipt JWS from the reply.
        trust: the trust list in force.
        receiver_state: who must have signed it.
        message_id: the message it must acknowledge.
        envelope_hash: the exact envelope bytes it must cover; ``None`` for the receipt of an
            earlier delivery attempt returned with a duplicate refusal.

    Raises:
        MessageRefused: with reason ``exchange.bad_receipt``.
    """
    if not isinstance(token, str):
        raise MessageRefused("the reply carries no receipt", reason="exchange.bad_receipt")
    try:
        verified = verify_compact(token, _resolver(trust))
        body = json.loads(verified.payload)
        signer_state, _ = trust.node_verifier(verified.verifier.kid)
    except (TrustError, ValueError, RecursionError) as exc:
        raise MessageRefused(
            f"the receipt is not valid: {exc}", reason="exchange.bad_receipt"
        ) from None
    if (
        verified.header.get("typ") != RECEIPT_TYP
        or not isinstance(body, dict)
        or signer_state != receiver_state
        or body.get("receiver") != receiver_state
        or body.get("message_id") != message_id
        or (envelope_hash is not None and body.get("envelope_hash") != envelope_hash)
    ):
        raise MessageRefused(
            "the receipt is not for this envelope or not from its receiver",
            reason="exchange.bad_receipt",
        )
    try:
        received_at = _parse_time(body.get("received_at"), "received_at")
    except MessageRefused as exc:
        raise MessageRefused(
            f"the receipt is not valid: {exc.message}", reason="exchange.bad_receipt"
        ) from None
    return Receipt(
        message_id=message_id,
        envelope_hash=str(body.get("envelope_hash")),
        receiver_state=receiver_state,
        received_at=received_at,
        status=str(body.get("status")),
        token=token,
        token_hash=sha256_hex(token.encode()),
    )


def response_to(
    request: Opened, *, sender: str, created_at: datetime, message_id: str, payload: Any
) -> Envelope:
    """The synchronous answer to ``request``, bound to it by the request's hash."""
    return Envelope(
        id=message_id,
        sender=sender,
        receiver=request.envelope.sender,
        service=request.envelope.service,
        type=f"{request.envelope.type}.response",
        created_at=created_at,
        payload=payload,
        correlation_id=request.envelope.id,
        request_hash=request.token_hash,
    )


__all__ = [
    "ENVELOPE_TYP",
    "RECEIPT_TYP",
    "Envelope",
    "Opened",
    "Receipt",
    "check_receipt",
    "make_receipt",
    "open_envelope",
    "response_to",
    "seal",
    "sha256_hex",
]
