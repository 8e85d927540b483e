"""Message handlers every node has: ping, and the publication of a new trust list."""

from __future__ import annotations

from typing import Any

from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.node import TRUST_LIST_TYPE, Handler, Incoming
from eaeu.exchange.trust_store import TrustStore
from eaeu.trust import trustlist
from eaeu.trust.errors import TrustListRejected

#: The trust-list service every member takes part in.
EXCHANGE_SERVICE = "exchange"
PING = "exchange.ping"
TRUST_LIST_PUBLISHED = TRUST_LIST_TYPE


def ping(incoming: Incoming) -> dict[str, Any]:
    """Answer a ping with this node's time of receipt (a signed round trip)."""
    return {"pong": True, "received_at": incoming.at.isoformat()}


def trust_list_published(store: TrustStore) -> Handler:
    """Accept a new trust list version sent by a member's node, after verifying it here."""

    def handle(incoming: Incoming) -> dict[str, Any]:
        signed = incoming.payload.get("signed") if isinstance(incoming.payload, dict) else None
        if not isinstance(signed, dict):
            raise MessageRefused("the message carries no trust list", reason="exchange.malformed")
        try:
            candidate = trustlist.parse(signed)
        except TrustListRejected as exc:
            raise MessageRefused(
                f"the trust list was not accepted: {exc.message}", reason=exc.reason
            ) from None
        if store.digest(candidate.version) == candidate.digest:
            # Delivered again (or accepted from a file first): nothing to do, and not a fork.
            return {"version": candidate.version, "already": True}
        try:
            accepted = store.accept(signed)
        except TrustListRejected as exc:
            raise MessageRefused(
                f"the trust list was not accepted: {exc.message}", reason=exc.reason
            ) from None
        return {"version": accepted.version, "already": False}

    return handle


def builtin_handlers(store: TrustStore) -> dict[str, Handler]:
    """The handlers every node registers."""
    return {PING: ping, TRUST_LIST_PUBLISHED: trust_list_published(store)}
