"""How the parts of the move talk to the destination's node over the exchange.

Catalogues (insurance products, housing places) are asked for synchronously and publicly;
buying, booking and the pre-arrival notice are consented personal requests whose answers are
signed attestations. A node that does not answer is named to the person ("the Russia node is
not answering"); a refusal keeps the peer's reason code, so pages explain it in their words.
"""

from __future__ import annotations

from typing import Any

from eaeu.consent import tokens
from eaeu.consent.errors import ConsentRefused
from eaeu.exchange.errors import MessageRefused, PeerUnavailable
from eaeu.exchange.node import Delivered, ExchangeNode, Incoming
from eaeu.kernel.errors import PlatformError
from eaeu.kernel.log import get_logger
from eaeu.kernel.states import MEMBER_STATES
from eaeu.services.jobs.context import SERVICE, JobsContext
from eaeu.services.jobs.move_errors import MoveError, PeerNotAnswering
from eaeu.services.jobs.move_model import CATEGORIES

log = get_logger("eaeu.jobs")


def exchange_of(ctx: JobsContext) -> ExchangeNode:
    """The node's exchange.

    Raises:
        MoveError: this node exchanges nothing (``jobs.no_exchange``).
    """
    if ctx.exchange is None:
        raise MoveError(
            "This node is not connected to the other member states.", reason="jobs.no_exchange"
        )
    return ctx.exchange


def ask(
    ctx: JobsContext,
    destination: str,
    message_type: str,
    payload: dict[str, Any],
    *,
    consent: str | None = None,
    purpose: str | None = None,
) -> Delivered:
    """Send a request to ``destination``'s node and return its checked answer.

    A request with a ``purpose`` carries personal data (the minimum data) under ``consent``;
    the exchange's guard checks the consent before anything leaves.

    Raises:
        MoveError: ``jobs.destination_invalid`` — not another state taking part in jobs.
        PeerNotAnswering: the node did not answer.
        MessageRefused: the node (or this node's guard) refused, with the reason.
    """
    exchange = exchange_of(ctx)
    if destination == ctx.state or destination not in ctx.peers():
        raise MoveError(
            "Choose another member state that takes part in the service.",
            reason="jobs.destination_invalid",
        )
    personal = purpose is not None
    try:
        return exchange.request(
            destination,
            SERVICE,
            message_type,
            payload,
            personal=personal,
            consent=consent,
            purpose=purpose,
            categories=CATEGORIES if personal else (),
        )
    except PeerUnavailable:
        name = MEMBER_STATES[destination].name()
        log.info("jobs.peer.unavailable", peer=destination, message_type=message_type)
        raise PeerNotAnswering(
            f"The {name} node is not answering. Nothing was sent; try again later."
        ) from None


def refused(exc: PlatformError) -> MessageRefused:
    """The refusal a handler answers with for a domain error (its reason kept)."""
    return MessageRefused(exc.message, reason=exc.reason)


def payload_of(incoming: Incoming) -> dict[str, Any]:
    """The request's payload as an object.

    Raises:
        MessageRefused: not an object (``exchange.malformed``).
    """
    if not isinstance(incoming.payload, dict):
        raise MessageRefused("the request is not a JSON object", reason="exchange.malformed")
    return incoming.payload


def consent_of(incoming: Incoming) -> tuple[str | None, str | None]:
    """The consent id and the organisation it names, of a personal request.

    The exchange's guard has verified the token before the handler runs; this only reads
    whom the person allowed to receive their data.

    Raises:
        MessageRefused: the request carries no readable consent (``consent.missing``).
    """
    token = incoming.envelope.consent
    if token is None:
        raise MessageRefused("no consent was given for this request", reason="consent.missing")
    try:
        claims = tokens.peek(token)
    except ConsentRefused as exc:
        raise MessageRefused(exc.message, reason=exc.reason) from None
    return claims.consent_id, claims.requester_organisation


def require_receiver(incoming: Incoming, organisation: str) -> str | None:
    """Refuse a personal request whose consent names another organisation than the receiver.

    Returns:
        The consent id.

    Raises:
        MessageRefused: ``jobs.consent_receiver`` — the person consented to another
            organisation receiving their data.
    """
    consent_id, named = consent_of(incoming)
    if named != organisation:
        raise MessageRefused(
            "the person's consent names another organisation as the receiver of their data",
            reason="jobs.consent_receiver",
        )
    return consent_id


def reason_of(exc: Exception) -> str:
    """The reason code of an error, for logs."""
    return exc.reason if isinstance(exc, PlatformError) else type(exc).__name__


__all__ = [
    "ask",
    "consent_of",
    "exchange_of",
    "payload_of",
    "reason_of",
    "refused",
    "require_receiver",
]
