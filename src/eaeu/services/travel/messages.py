"""Exchange messages of the lab registry (service ``travel``; public data only).

``travel.labs.published`` (home → each travel peer, through the outbox) carries one version
of one lab: a new accreditation, a change, a lapse or a withdrawal. ``travel.labs.sync``
(a synchronous request between two travel nodes) carries the sender's whole registry and is
answered with the receiver's, so that two nodes that have not exchanged yet — a state that
has just joined — catch up in one round trip.

A node keeps a record only if it comes from the node of the lab's own state, that state
issues travel certificates, and its version is newer than the one held. The exchange has
already refused a message from or to a state that does not take part in travel at all.
Bookings, results and certificates never travel: they stay on the node of the lab's state.
"""

from __future__ import annotations

import threading
from typing import Any

from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.node import Handler, Incoming
from eaeu.kernel.errors import PlatformError
from eaeu.kernel.log import get_logger
from eaeu.services.travel import repository
from eaeu.services.travel.errors import LabInvalid, NotParticipating
from eaeu.services.travel.labs import PUBLISHED, SYNC, LabRegistry
from eaeu.services.travel.model import SERVICE

log = get_logger("eaeu.travel")


def handlers(registry: LabRegistry) -> dict[str, Handler]:
    """The travel message handlers a node registers."""
    return {PUBLISHED: lab_published(registry), SYNC: labs_sync(registry)}


def lab_published(registry: LabRegistry) -> Handler:
    """Keep a lab record a peer published, if it is newer than ours."""

    def handle(incoming: Incoming) -> dict[str, Any]:
        payload = incoming.payload if isinstance(incoming.payload, dict) else {}
        try:
            kept = registry.apply(
                incoming.session, incoming.sender_state, payload.get("lab"), at=incoming.at
            )
        except (LabInvalid, NotParticipating) as exc:
            raise MessageRefused(exc.message, reason=exc.reason) from None
        return {"kept": kept}

    return handle


def labs_sync(registry: LabRegistry) -> Handler:
    """Keep a peer's whole registry (what is newer) and answer with this node's."""

    def handle(incoming: Incoming) -> dict[str, Any]:
        sender = incoming.sender_state
        if not registry.trust().participates(registry.state, SERVICE):
            raise MessageRefused(
                "this node does not take part in travel", reason="travel.not_participating"
            )
        # Read this node's registry before writing: the answer never reflects the request.
        answer = registry.snapshot()
        payload = incoming.payload if isinstance(incoming.payload, dict) else {}
        records = payload.get("labs")
        if not isinstance(records, list):
            raise MessageRefused("the message carries no lab registry", reason="exchange.malformed")
        kept = 0
        for record in records:
            try:
                kept += registry.apply(incoming.session, sender, record, at=incoming.at)
            except PlatformError as exc:
                log.warning("travel.labs.sync_record_refused", peer=sender, reason=exc.reason)
        repository.mark_synced(incoming.session, sender, registry.trust().version, incoming.at)
        log.info("travel.labs.synced", peer=sender, kept=kept)
        return {"labs": answer}

    return handle


def reconcile_after(inner: Handler, registry: LabRegistry, *, background: bool = False) -> Handler:
    """Wrap the trust-list handler: once a new list is in force, catch up with new peers.

    A failure to catch up never refuses the trust list: the peers are tried again at the
    next change, or when the operator asks.

    Args:
        inner: the handler that accepts the trust list.
        registry: the lab registry that catches up.
        background: catch up in a thread of its own (what a node process does), so that
            the sender of the list is answered at once: catching up asks every travel peer,
            and one that does not answer would hold the answer for the transport's timeout
            and make this node look unreachable to the sender. Catch-ups run one at a time.
    """
    one_at_a_time = threading.Lock()

    def catch_up() -> None:
        with one_at_a_time:
            try:
                registry.reconcile()
            except PlatformError as exc:
                log.warning("travel.labs.reconcile_failed", reason=exc.reason)

    def catch_up_in_background() -> None:
        try:
            catch_up()
        # Nobody waits for this thread: what it did not expect is logged, not lost.
        except Exception:
            log.exception("travel.labs.reconcile_crashed")

    def handle(incoming: Incoming) -> Any:
        result = inner(incoming)
        if background:
            threading.Thread(
                target=catch_up_in_background, name="travel-reconcile", daemon=True
            ).start()
        else:
            catch_up()
        return result

    return handle


__all__ = ["handlers", "lab_published", "labs_sync", "reconcile_after"]
