"""The exchange as one node runs it: send, receive, deliver, account for every message.

``ExchangeNode`` ties the envelope format to the node's keys, its trust list, its database
(outbox, inbox, message log) and a transport. Synchronous requests (queries at source) get a
signed response bound to the request's hash; asynchronous messages go through the outbox and
are delivered at least once by delivery workers and processed exactly once through the inbox.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from eaeu.exchange import log
from eaeu.exchange.envelope import (
    Envelope,
    Opened,
    Receipt,
    check_receipt,
    make_receipt,
    open_envelope,
    response_to,
    seal,
    sha256_hex,
)
from eaeu.exchange.errors import MessageRefused, PeerUnavailable
from eaeu.exchange.guard import Personal, Transfer, TransferGuard, no_guard, require_description
from eaeu.exchange.ids import node_id
from eaeu.exchange.orm import DEAD, DELIVERED, PENDING, InboxMessage, OutboxMessage
from eaeu.exchange.transport import Transport, TransportReply
from eaeu.exchange.trust_store import TrustStore
from eaeu.kernel.clock import Clock
from eaeu.kernel.ids import uuid7
from eaeu.kernel.log import get_logger
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.trust import jwe
from eaeu.trust.errors import TrustError
from eaeu.trust.keys import EcSigner, jwk_public_key
from eaeu.trust.trustlist import TrustList

logger = get_logger("eaeu.exchange")

_INBOX = InboxMessage.metadata.tables[InboxMessage.__tablename__]
_FIND_INBOX = select(_INBOX.c.content_hash, _INBOX.c.receipt, _INBOX.c.response).where(
    _INBOX.c.message_id == bindparam("id")
)
_INSERT_INBOX = insert(_INBOX)

#: The message type that carries a new union trust list (see ``messages.py``).
TRUST_LIST_TYPE = "trust.list.published"
UNREACHABLE = "exchange.unreachable"

_HTTP_OK = 200
_HTTP_CONFLICT = 409
_HTTP_CLIENT_ERRORS = range(400, 500)
_HTTP_SERVER_ERRORS = 500


@dataclass(frozen=True, slots=True)
class ExchangeConfig:
    """Timing of the exchange.

    Attributes:
        window: how old a received envelope's ``sent_at`` may be (replay protection).
        skew: how far ahead of the receiver's clock ``sent_at`` may be.
        retry_base_s, retry_cap_s: exponential backoff between delivery attempts.
        max_attempts: attempts before a message is dead-lettered.
        lease_s: how long a worker holds a claimed message before another may take it.
    """

    window: timedelta = timedelta(minutes=5)
    skew: timedelta = timedelta(seconds=30)
    retry_base_s: float = 1.0
    retry_cap_s: float = 300.0
    max_attempts: int = 10
    lease_s: float = 30.0


@dataclass(frozen=True, slots=True)
class Incoming:
    """What a message handler sees: the checked envelope, its plaintext, and the transaction."""

    envelope: Envelope
    sender_state: str
    payload: Any
    session: Session
    at: datetime


Handler = Callable[[Incoming], Any]


@dataclass(frozen=True, slots=True)
class Delivered:
    """The outcome of a synchronous request: the receipt and the checked response payload."""

    message_id: str
    receipt: Receipt
    response: Any


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message the outbox gave up on, and why."""

    id: str
    receiver_state: str
    message_type: str
    attempts: int
    last_reason: str | None
    last_error: str | None
    created_at: datetime


class ExchangeNode:
    """One node's side of the exchange.

    Args:
        state: this node's member state.
        signer: the node's exchange signing key (its kid is in the trust list).
        encryption_key: the node's private encryption key (personal-data payloads).
        trust: the node's accepted trust lists.
        uow: the node's unit-of-work factory.
        clock: the node's clock.
        transport: carries envelopes to peers.
        handlers: message type to handler; a handler's return value is the response of a
            synchronous request.
        config: timing.
        rng: jitter source (injected in tests).
        guard: decides whether personal data may cross and records what did; without one
            the node refuses to send or receive personal data.
    """

    def __init__(
        self,
        *,
        state: str,
        signer: EcSigner,
        encryption_key: ec.EllipticCurvePrivateKey,
        trust: TrustStore,
        uow: UnitOfWorkFactory,
        clock: Clock,
        transport: Transport,
        handlers: dict[str, Handler] | None = None,
        config: ExchangeConfig | None = None,
        rng: Callable[[], float] = random.random,
        guard: TransferGuard | None = None,
    ) -> None:
        self.state = state
        self.me = str(node_id(state))
        self.signer = signer
        self._encryption_key = encryption_key
        self.trust = trust
        self.uow = uow
        self.clock = clock
        self.transport = transport
        self.handlers: dict[str, Handler] = dict(handlers or {})
        self.config = config or ExchangeConfig()
        self._rng = rng
        self.guard = guard

    def __repr__(self) -> str:
        return f"ExchangeNode(state={self.state!r})"

    # -- building envelopes -------------------------------------------------------------
    def _envelope(
        self,
        to_state: str,
        service: str,
        message_type: str,
        payload: Any,
        *,
        personal: bool,
        consent: str | None,
        correlation_id: str | None,
        purpose: str | None = None,
        categories: tuple[str, ...] = (),
        basis: str | None = None,
    ) -> Envelope:
        if to_state == self.state:
            raise MessageRefused(
                f"the {self.state} node does not send messages to itself",
                reason="exchange.to_self",
            )
        envelope = Envelope(
            id=str(uuid7()),
            sender=self.me,
            receiver=str(node_id(to_state)),
            service=service,
            type=message_type,
            created_at=self.clock.now(),
            payload=payload,
            correlation_id=correlation_id,
            consent=consent,
            purpose=purpose,
            categories=tuple(categories),
            basis=basis,
        )
        if not personal:
            return envelope
        require_description(purpose, envelope.categories)
        if self.guard is None:
            raise no_guard()
        return self._encrypted(envelope, to_state)

    def _transfer(self, envelope: Envelope, direction: str, peer: str) -> Transfer:
        """Describe a personal-data envelope to the guard."""
        out = direction == "out"
        return Transfer(
            direction="out" if out else "in",
            sender_state=self.state if out else peer,
            receiver_state=peer if out else self.state,
            service=envelope.service,
            message_type=envelope.type,
            message_id=envelope.id,
            consent=envelope.consent,
            purpose=envelope.purpose,
            categories=envelope.categories,
            basis=envelope.basis,
            at=self.clock.now(),
        )

    def _guarded(
        self, session: Session, envelope: Envelope, direction: str, peer: str
    ) -> TransferGuard:
        """Check a personal-data envelope with the guard (refused without a guard)."""
        if self.guard is None:
            raise no_guard()
        if direction == "in":
            require_description(envelope.purpose, envelope.categories)
        self.guard.check(session, self._transfer(envelope, direction, peer))
        return self.guard

    def _record(self, session: Session, envelope: Envelope, direction: str, peer: str) -> None:
        """Append a transfer that took place to the guard's ledger."""
        if self.guard is None:  # pragma: no cover - _guarded refused it before it was sent
            raise no_guard()
        self.guard.record(session, self._transfer(envelope, direction, peer))

    def _encrypted(self, envelope: Envelope, to_state: str) -> Envelope:
        member = self.trust.current().member(to_state)
        recipient = jwk_public_key(member.node.encryption_jwk)
        assert isinstance(recipient, ec.EllipticCurvePublicKey)  # noqa: S101 - trust list invariant
        token = jwe.encrypt(
            json.dumps(envelope.payload).encode("utf-8"),
            recipient,
            kid=member.node.encryption_kid,
            header={"cty": "json"},
        )
        return replace(envelope, payload=None, encrypted=token)

    # -- synchronous requests ------------------------------------------------------------
    def request(
        self,
        to_state: str,
        service: str,
        message_type: str,
        payload: Any = None,
        *,
        personal: bool = False,
        consent: str | None = None,
        purpose: str | None = None,
        categories: tuple[str, ...] = (),
        basis: str | None = None,
    ) -> Delivered:
        """Send a synchronous request and return the peer's checked, signed response.

        A personal-data request (``personal=True``) names its ``purpose`` and ``categories``
        and a ``consent`` token or legal ``basis``; the node's guard checks it before it
        leaves and records it once the peer has accepted it. A personal-data answer is
        checked and recorded the same way when it arrives.

        Raises:
            MessageRefused: the peer refused it (its reason) or its answer does not verify.
            PeerUnavailable: the peer did not answer.
        """
        envelope = self._envelope(
            to_state,
            service,
            message_type,
            payload,
            personal=personal,
            consent=consent,
            correlation_id=None,
            purpose=purpose,
            categories=categories,
            basis=basis,
        )
        if personal:
            with self.uow() as uow:
                self._guarded(uow.session, envelope, "out", to_state)
        trust = self._usable_trust()
        token = seal(envelope, self.signer, sent_at=self.clock.now())
        token_hash = sha256_hex(token.encode())
        try:
            reply = self.transport.post(trust.endpoint(to_state), token)
        except PeerUnavailable:
            self._log_out(
                envelope, "unreachable", token_hash=token_hash, reason="exchange.unreachable"
            )
            raise PeerUnavailable(f"{to_state} did not answer") from None
        if reply.status >= _HTTP_SERVER_ERRORS and not _is_refusal(reply):
            self._log_out(
                envelope, "unreachable", token_hash=token_hash, reason="exchange.unreachable"
            )
            detail = str(reply.body.get("detail") or "no detail")
            raise PeerUnavailable(f"{to_state} answered {reply.status}: {detail}")
        try:
            if reply.status != _HTTP_OK:
                raise _refusal(reply, to_state)
            receipt = check_receipt(
                reply.body.get("receipt"),
                trust,
                receiver_state=to_state,
                message_id=envelope.id,
                envelope_hash=token_hash,
            )
            response = self._check_response(
                reply.body.get("response"), envelope, token_hash, to_state
            )
        except MessageRefused as exc:
            self._log_out(envelope, "refused", token_hash=token_hash, reason=exc.reason)
            raise
        self._log_out(
            envelope,
            "sent",
            token_hash=token_hash,
            receipt_hash=receipt.token_hash,
            personal=personal,
            peer=to_state,
        )
        return Delivered(envelope.id, receipt, response)

    def _check_response(self, token: Any, request: Envelope, request_hash: str, peer: str) -> Any:
        if token is None:
            return None
        if not isinstance(token, str):
            raise MessageRefused(
                "the response is not a signed envelope", reason="exchange.bad_response"
            )
        opened = self._open(token)
        envelope = opened.envelope
        if (
            opened.sender_state != peer
            or envelope.request_hash != request_hash
            or envelope.correlation_id != request.id
        ):
            raise MessageRefused(
                "the response is not bound to this request", reason="exchange.bad_response"
            )
        if envelope.encrypted is None:
            return envelope.payload
        payload = self._plaintext(envelope)
        with self.uow() as uow:
            self._guarded(uow.session, envelope, "in", peer)
            self._record(uow.session, envelope, "in", peer)
            uow.commit()
        return payload

    # -- asynchronous messages -----------------------------------------------------------
    def enqueue(
        self,
        session: Session,
        to_state: str,
        service: str,
        message_type: str,
        payload: Any = None,
        *,
        personal: bool = False,
        consent: str | None = None,
        correlation_id: str | None = None,
        purpose: str | None = None,
        categories: tuple[str, ...] = (),
        basis: str | None = None,
    ) -> str:
        """Put a message in the outbox within the caller's transaction; return its id.

        The caller commits: the message is sent if and only if the caller's change commits.
        Personal data is checked by the guard now and recorded in the same transaction.
        """
        envelope = self._envelope(
            to_state,
            service,
            message_type,
            payload,
            personal=personal,
            consent=consent,
            correlation_id=correlation_id,
            purpose=purpose,
            categories=categories,
            basis=basis,
        )
        if personal:
            self._guarded(session, envelope, "out", to_state)
            self._record(session, envelope, "out", to_state)
        now = self.clock.now()
        session.add(
            OutboxMessage(
                id=envelope.id,
                receiver_state=to_state,
                service=service,
                message_type=message_type,
                envelope=json.dumps(envelope.to_json(), sort_keys=True),
                created_at=now,
                status=PENDING,
                attempts=0,
                next_attempt_at=now,
            )
        )
        log.append(
            session,
            at=now,
            direction="out",
            event="queued",
            message_id=envelope.id,
            sender=self.me,
            receiver=envelope.receiver,
            service=service,
            message_type=message_type,
            correlation_id=correlation_id,
        )
        return envelope.id

    def claim(self, owner: str, limit: int = 20) -> list[str]:
        """Lease up to ``limit`` due messages to ``owner``; other workers skip them.

        On PostgreSQL the rows are selected ``FOR UPDATE SKIP LOCKED``; on SQLite, which
        serialises only writes, two workers may select the same rows, so the lease is taken
        only on rows that are still free and each worker keeps what it leased. A lease that
        runs out (a worker that died mid-delivery) makes the message due again.
        """
        now = self.clock.now()
        with self.uow() as uow:
            due = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == PENDING,
                    OutboxMessage.next_attempt_at <= now,
                    (OutboxMessage.lease_until.is_(None)) | (OutboxMessage.lease_until < now),
                )
                .order_by(OutboxMessage.next_attempt_at)
                .limit(limit)
            )
            if uow.session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids = list(uow.session.scalars(due))
            if ids:
                leased = set(
                    uow.session.scalars(
                        update(OutboxMessage)
                        .where(
                            OutboxMessage.id.in_(ids),
                            (OutboxMessage.lease_until.is_(None))
                            | (OutboxMessage.lease_until < now),
                        )
                        .values(
                            lease_until=now + timedelta(seconds=self.config.lease_s),
                            lease_owner=owner,
                        )
                        .returning(OutboxMessage.id)
                    )
                )
                ids = [message_id for message_id in ids if message_id in leased]
            uow.commit()
        return ids

    def deliver_due(self, owner: str, limit: int = 20) -> int:
        """Claim due messages and try to deliver each; return how many were delivered."""
        return sum(self.deliver(message_id, owner) for message_id in self.claim(owner, limit))

    def deliver(self, message_id: str, owner: str) -> bool:
        """Make one delivery attempt of a message leased to ``owner``; return whether delivered."""
        with self.uow() as uow:
            row = uow.session.get(OutboxMessage, message_id)
            if row is None or row.status != PENDING or row.lease_owner != owner:
                return False
            envelope = Envelope.from_json(json.loads(row.envelope))
            now = self.clock.now()
            token = seal(envelope, self.signer, sent_at=now)
            token_hash = sha256_hex(token.encode())
            row.attempts += 1
            row.lease_until = None
            row.lease_owner = None
            try:
                # A node without a usable trust list keeps its outbox and tries again later.
                trust = self._usable_trust()
            except MessageRefused as exc:
                self._retry_later(uow.session, row, envelope, now, exc.reason, exc.message)
                uow.commit()
                return False
            try:
                reply = self.transport.post(trust.endpoint(row.receiver_state), token)
                receipt = self._delivery_receipt(reply, trust, row, token_hash)
            except PeerUnavailable as exc:
                self._retry_later(uow.session, row, envelope, now, exc.reason, exc.message)
                uow.commit()
                return False
            except (MessageRefused, TrustError) as exc:
                row.status = DEAD
                row.last_reason, row.last_error = exc.reason, exc.message[:300]
                self._append_out(
                    uow.session, envelope, "refused", token_hash=token_hash, reason=exc.reason
                )
                uow.commit()
                logger.warning("exchange.message.dead_letter", message_id=row.id, reason=exc.reason)
                return False
            row.status = DELIVERED
            row.delivered_at = now
            row.sent_token = token
            row.receipt = receipt.token
            row.last_reason = row.last_error = None
            self._append_out(
                uow.session,
                envelope,
                "delivered",
                token_hash=token_hash,
                receipt_hash=receipt.token_hash,
            )
            uow.commit()
        return True

    def _delivery_receipt(
        self, reply: TransportReply, trust: TrustList, row: OutboxMessage, token_hash: str
    ) -> Receipt:
        if reply.status == _HTTP_OK:
            return check_receipt(
                reply.body.get("receipt"),
                trust,
                receiver_state=row.receiver_state,
                message_id=row.id,
                envelope_hash=token_hash,
            )
        reason = str(reply.body.get("reason") or "exchange.refused_by_peer")
        if reply.status == _HTTP_CONFLICT and reason == "exchange.duplicate":
            # An earlier attempt arrived but its answer was lost: the receipt it got then is
            # returned with the refusal, and it is the proof of delivery.
            return check_receipt(
                reply.body.get("receipt"),
                trust,
                receiver_state=row.receiver_state,
                message_id=row.id,
                envelope_hash=None,
            )
        if reply.status in _HTTP_CLIENT_ERRORS:
            raise _refusal(reply, row.receiver_state)
        detail = str(reply.body.get("detail") or "no detail")
        raise PeerUnavailable(f"{row.receiver_state} answered {reply.status}: {detail}")

    def _retry_later(
        self,
        session: Session,
        row: OutboxMessage,
        envelope: Envelope,
        now: datetime,
        reason: str,
        error: str,
    ) -> None:
        row.last_reason, row.last_error = reason, error[:300]
        if row.attempts >= self.config.max_attempts:
            row.status = DEAD
            row.last_reason = "exchange.undeliverable"
            self._append_out(
                session, envelope, "dead_letter", token_hash=None, reason="exchange.undeliverable"
            )
            logger.warning("exchange.message.dead_letter", message_id=row.id, reason=reason)
            return
        delay = min(self.config.retry_cap_s, self.config.retry_base_s * 2 ** (row.attempts - 1))
        row.next_attempt_at = now + timedelta(seconds=delay * (0.5 + self._rng()))

    def requeue(self, message_id: str) -> None:
        """Give a dead-lettered message a fresh start (an operator's decision).

        Raises:
            MessageRefused: no dead letter has that id (``exchange.not_dead``).
        """
        with self.uow() as uow:
            row = uow.session.get(OutboxMessage, message_id)
            if row is None or row.status != DEAD:
                raise MessageRefused(
                    "there is no dead letter with that id", reason="exchange.not_dead"
                )
            row.status, row.attempts, row.next_attempt_at = PENDING, 0, self.clock.now()
            uow.commit()

    def _usable_trust(self) -> TrustList:
        """The trust list in force, refusing to exchange once it has expired."""
        trust = self.trust.current()
        try:
            trust.check_current(self.clock.now())
        except TrustError:
            raise MessageRefused(
                "this node's union trust list has expired; it exchanges nothing until a new "
                "version is accepted",
                reason="exchange.trust_list_expired",
            ) from None
        return trust

    # -- receiving ----------------------------------------------------------------------
    def _open(self, token: str) -> Opened:
        try:
            trust = self._usable_trust()
        except MessageRefused:
            # Even a node whose list expired must be able to receive the next version: its
            # content is verified on its own, by a threshold of the members' signatures.
            opened = self._open_with(token, self.trust.current())
            if opened.envelope.type != TRUST_LIST_TYPE:
                raise
            return opened
        return self._open_with(token, trust)

    def _open_with(self, token: str, trust: TrustList) -> Opened:
        return open_envelope(
            token,
            trust,
            receiver_state=self.state,
            now=self.clock.now(),
            window=self.config.window,
            skew=self.config.skew,
        )

    def _plaintext(self, envelope: Envelope) -> Any:
        if envelope.encrypted is None:
            return envelope.payload
        try:
            _, plaintext = jwe.decrypt(envelope.encrypted, self._encryption_key)
            return json.loads(plaintext)
        except (TrustError, ValueError, RecursionError):
            raise MessageRefused(
                "the encrypted payload cannot be opened by this node",
                reason="exchange.undecryptable",
            ) from None

    def receive(self, token: str) -> dict[str, Any]:
        """Accept an envelope from a peer; return the reply body (receipt, response).

        Raises:
            MessageRefused: the envelope is refused (logged here with its reason); a
                duplicate carries the first receipt and response.
        """
        try:
            return self._receive(token)
        except MessageRefused as exc:
            self._log_refusal(token, exc.reason)
            logger.info("exchange.message.refused", reason=exc.reason)
            raise

    def _receive(self, token: str) -> dict[str, Any]:
        opened = self._open(token)
        envelope = opened.envelope
        with self.uow() as uow:
            connection = uow.session.connection()
            existing = connection.execute(_FIND_INBOX, {"id": envelope.id}).one_or_none()
            if existing is not None:
                if existing.content_hash != envelope.content_hash:
                    raise MessageRefused(
                        "a different message with this id was received before",
                        reason="exchange.id_reuse",
                    )
                raise MessageRefused(
                    "this message was received and processed before",
                    reason="exchange.duplicate",
                    receipt=existing.receipt,
                    response=existing.response,
                )
            handler = self.handlers.get(envelope.type)
            if handler is None:
                raise MessageRefused(
                    f"this node has no handler for {envelope.type!r}",
                    reason="exchange.unknown_type",
                )
            now = self.clock.now()
            payload = self._plaintext(envelope)
            personal_in = envelope.encrypted is not None
            if personal_in:
                self._guarded(uow.session, envelope, "in", opened.sender_state)
            result = handler(Incoming(envelope, opened.sender_state, payload, uow.session, now))
            if personal_in:
                self._record(uow.session, envelope, "in", opened.sender_state)
            receipt = make_receipt(
                opened.token_hash, envelope.id, self.state, self.signer, at=now, status="accepted"
            )
            response = None
            if result is not None:
                response = self._answer(uow.session, opened, result, now)
            connection.execute(
                _INSERT_INBOX,
                {
                    "message_id": envelope.id,
                    "sender_state": opened.sender_state,
                    "service": envelope.service,
                    "message_type": envelope.type,
                    "content_hash": envelope.content_hash,
                    "token": token,
                    "received_at": now,
                    "receipt": receipt,
                    "response": response,
                },
            )
            log.append(
                uow.session,
                at=now,
                direction="in",
                event="received",
                message_id=envelope.id,
                sender=envelope.sender,
                receiver=envelope.receiver,
                service=envelope.service,
                message_type=envelope.type,
                envelope_hash=opened.token_hash,
                receipt_hash=sha256_hex(receipt.encode()),
                correlation_id=envelope.correlation_id,
            )
            uow.commit()
        body: dict[str, Any] = {"receipt": receipt}
        if response is not None:
            body["response"] = response
        return body

    def _answer(self, session: Session, opened: Opened, result: Any, now: datetime) -> str:
        """Seal a handler's answer; personal data is guarded, recorded and encrypted."""
        personal = isinstance(result, Personal)
        answer = response_to(
            opened,
            sender=self.me,
            created_at=now,
            message_id=str(uuid7()),
            payload=result.payload if isinstance(result, Personal) else result,
        )
        request = opened.envelope
        if isinstance(result, Personal):
            answer = replace(
                answer,
                consent=result.consent,
                purpose=result.purpose,
                categories=tuple(result.categories),
                basis=result.basis,
            )
        elif request.encrypted is not None:
            # An answer to personal data is personal data, under the request's terms.
            personal = True
            answer = replace(
                answer,
                consent=request.consent,
                purpose=request.purpose,
                categories=request.categories,
                basis=request.basis,
            )
        if personal:
            require_description(answer.purpose, answer.categories)
            self._guarded(session, answer, "out", opened.sender_state)
            self._record(session, answer, "out", opened.sender_state)
            answer = self._encrypted(answer, opened.sender_state)
        return seal(answer, self.signer, sent_at=now)

    # -- the message log ----------------------------------------------------------------
    def _log_refusal(self, token: Any, reason: str) -> None:
        claimed = _unverified_claims(token)
        with self.uow() as uow:
            log.append(
                uow.session,
                at=self.clock.now(),
                direction="in",
                event="refused",
                message_id=claimed.get("id", ""),
                sender=claimed.get("sender", "unknown"),
                receiver=self.me,
                service=claimed.get("service", "unknown"),
                message_type=claimed.get("type", "unknown"),
                envelope_hash=sha256_hex(token.encode()) if isinstance(token, str) else None,
                reason=reason,
            )
            uow.commit()

    def _log_out(
        self,
        envelope: Envelope,
        event: str,
        *,
        token_hash: str,
        receipt_hash: str | None = None,
        reason: str | None = None,
        personal: bool = False,
        peer: str | None = None,
    ) -> None:
        with self.uow() as uow:
            self._append_out(
                uow.session,
                envelope,
                event,
                token_hash=token_hash,
                receipt_hash=receipt_hash,
                reason=reason,
            )
            if personal and peer is not None:
                # Recorded with the log entry once the peer accepted the data.
                self._record(uow.session, envelope, "out", peer)
            uow.commit()

    def _append_out(
        self,
        session: Session,
        envelope: Envelope,
        event: str,
        *,
        token_hash: str | None,
        receipt_hash: str | None = None,
        reason: str | None = None,
    ) -> None:
        log.append(
            session,
            at=self.clock.now(),
            direction="out",
            event=event,
            message_id=envelope.id,
            sender=envelope.sender,
            receiver=envelope.receiver,
            service=envelope.service,
            message_type=envelope.type,
            envelope_hash=token_hash,
            receipt_hash=receipt_hash,
            reason=reason,
            correlation_id=envelope.correlation_id,
        )

    # -- operators ------------------------------------------------------------------------
    def outbox_summary(self) -> dict[str, int]:
        """Count outbox messages by status."""
        with self.uow() as uow:
            rows = uow.session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        counts = {PENDING: 0, DELIVERED: 0, DEAD: 0}
        counts.update({status: int(count) for status, count in rows})
        return counts

    def dead_letters(self, limit: int = 50) -> list[DeadLetter]:
        """The newest dead letters, with their reasons."""
        with self.uow() as uow:
            rows = uow.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == DEAD)
                .order_by(OutboxMessage.created_at.desc())
                .limit(limit)
            )
            return [
                DeadLetter(
                    id=row.id,
                    receiver_state=row.receiver_state,
                    message_type=row.message_type,
                    attempts=row.attempts,
                    last_reason=row.last_reason,
                    last_error=row.last_error,
                    created_at=row.created_at,
                )
                for row in rows
            ]


def _is_refusal(reply: TransportReply) -> bool:
    """Whether an error reply is the exchange refusing (with its reason), not a failure."""
    reason = reply.body.get("reason")
    return isinstance(reason, str) and reason.startswith("exchange.")


def _refusal(reply: TransportReply, peer: str) -> MessageRefused:
    """The refusal a peer answered, with the peer's reason code."""
    reason = str(reply.body.get("reason") or "exchange.refused_by_peer")
    detail = str(reply.body.get("detail") or "no detail")
    return MessageRefused(f"{peer} refused the message: {detail}", reason=reason)


def _unverified_claims(token: Any) -> dict[str, str]:
    """Best-effort routing fields of a refused envelope, for the log only (never trusted)."""
    from eaeu.trust.encoding import b64url_decode  # noqa: PLC0415

    try:
        body = json.loads(b64url_decode(token.split(".")[1]))
    except (AttributeError, IndexError, ValueError, RecursionError):
        # RecursionError: JSON nested deeper than the parser goes, sent to break the log.
        return {}
    if not isinstance(body, dict):
        return {}
    limits = {"id": 36, "sender": 255, "service": 255, "type": 64}
    return {k: v[:n] for k, n in limits.items() if isinstance(v := body.get(k), str)}
