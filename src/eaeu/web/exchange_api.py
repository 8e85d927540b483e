"""HTTP edges of the exchange: the peer endpoint, and the operator API.

``POST /exchange/v1/messages`` is where peers deliver signed envelopes; refusals are problem
documents with the refusal's reason (a duplicate carries the first receipt). The operator
API pings peers, shows the outbox and dead letters, verifies the message log and publishes
a new union trust list through this node.
"""

from __future__ import annotations

import json
import time
from functools import cache
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from eaeu.exchange import log
from eaeu.exchange.envelope import MAX_ENVELOPE_BYTES
from eaeu.exchange.errors import MessageRefused, PeerUnavailable
from eaeu.exchange.messages import EXCHANGE_SERVICE, PING, TRUST_LIST_PUBLISHED
from eaeu.exchange.node import ExchangeNode
from eaeu.web.operator import exchange_of, require_operator

router = APIRouter()
operator = APIRouter(
    prefix="/api/v1/exchange",
    tags=["exchange (operator)"],
    dependencies=[Depends(require_operator)],
)

Exchange = Annotated[ExchangeNode, Depends(exchange_of)]


@router.post(
    "/exchange/v1/messages",
    tags=["exchange (peers)"],
    summary="Deliver a signed envelope to this node",
    openapi_extra={
        "requestBody": {"content": {"application/jose": {"schema": {"type": "string"}}}}
    },
)
async def receive_message(request: Request, node: Exchange) -> JSONResponse:
    """Verify, log and process an envelope; answer with a signed receipt (and response)."""
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > MAX_ENVELOPE_BYTES:
        raise MessageRefused("the envelope is too large", reason="exchange.too_large")
    body = await request.body()
    if len(body) > MAX_ENVELOPE_BYTES:
        raise MessageRefused("the envelope is too large", reason="exchange.too_large")
    try:
        token = body.decode("ascii")
    except UnicodeDecodeError:
        raise MessageRefused(
            "an envelope is ASCII (a compact JWS)", reason="exchange.malformed"
        ) from None
    from starlette.concurrency import run_in_threadpool  # noqa: PLC0415

    result: dict[str, Any] = await run_in_threadpool(node.receive, token.strip())
    # A plain JSONResponse: the body is two JWS strings, and FastAPI's response validation
    # of a dict would cost more than the receipt's signature.
    return JSONResponse(result)


class PingRequest(BaseModel):
    """Which node to ping, and whether through the exchange or as a plain HTTP call."""

    to: str = Field(min_length=2, max_length=2, examples=["RU"])
    plain: bool = Field(
        default=False,
        description="Send the same payload as a plain, unsigned HTTP call to the peer's echo "
        "endpoint instead: the baseline that shows what the exchange adds.",
    )


#: The largest body the echo endpoint reflects.
ECHO_MAX_BYTES = 65_536


@cache
def _plain_client() -> httpx.Client:
    """One pooled client per process for plain calls (made on first use, not at import)."""
    return httpx.Client(timeout=10, trust_env=False)


@router.post(
    "/exchange/v1/echo",
    tags=["exchange (peers)"],
    summary="Reflect a small JSON body (the plain-call baseline of `ping`)",
)
async def echo(request: Request) -> Any:
    """Return the JSON body as received; no signature, no log, no database."""
    body = await request.body()
    if len(body) > ECHO_MAX_BYTES:
        raise MessageRefused("the echo body is too large", reason="exchange.too_large")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise MessageRefused("the echo body is not JSON", reason="exchange.malformed") from None


@operator.post("/ping", summary="A signed round trip to a peer node")
def ping(body: PingRequest, node: Exchange) -> dict[str, Any]:
    """Send ``exchange.ping`` to a peer and report the round trip."""
    payload = {"from": node.state}
    if body.plain:
        endpoint = node.trust.current().endpoint(body.to.upper())
        started = time.perf_counter()
        try:
            answer = _plain_client().post(f"{endpoint}/exchange/v1/echo", json=payload).json()
        except (httpx.HTTPError, ValueError):
            raise PeerUnavailable(f"{body.to.upper()} did not answer the plain call") from None
        elapsed = (time.perf_counter() - started) * 1000
        return {
            "from": node.state,
            "to": body.to.upper(),
            "plain": True,
            "round_trip_ms": round(elapsed, 3),
            "response": answer,
        }
    started = time.perf_counter()
    delivered = node.request(body.to.upper(), EXCHANGE_SERVICE, PING, payload)
    elapsed = (time.perf_counter() - started) * 1000
    return {
        "from": node.state,
        "to": body.to.upper(),
        "message_id": delivered.message_id,
        "plain": False,
        "round_trip_ms": round(elapsed, 3),
        "receipt": {
            "status": delivered.receipt.status,
            "received_at": delivered.receipt.received_at.isoformat(),
            "envelope_hash": delivered.receipt.envelope_hash,
        },
        "response": delivered.response,
    }


def peer_status(node: ExchangeNode, timeout: float = 1.5) -> list[dict[str, Any]]:
    """Ask every other member's node for ``/healthz`` now."""
    trust = node.trust.current()
    peers = []
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        for state in sorted(trust.members):
            if state == node.state:
                continue
            endpoint = trust.endpoint(state)
            started = time.perf_counter()
            try:
                healthy = client.get(f"{endpoint}/healthz").status_code == 200  # noqa: PLR2004
                reachable = True
            except httpx.HTTPError:
                healthy = reachable = False
            peers.append(
                {
                    "state": state,
                    "endpoint": endpoint,
                    "reachable": reachable,
                    "healthy": healthy,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 1),
                }
            )
    return peers


def trust_summary(node: ExchangeNode) -> dict[str, Any]:
    """The trust list in force, for people."""
    trust = node.trust.current()
    return {
        "version": trust.version,
        "issued_at": trust.issued_at.isoformat(),
        "expires_at": trust.expires_at.isoformat(),
        "threshold": trust.threshold,
        "digest": trust.digest,
        "signers": sorted(trust.signed_by),
        "members": sorted(trust.members),
        "participation": {
            state: {service: sorted(roles) for service, roles in member.services.items()}
            for state, member in sorted(trust.members.items())
        },
        "expired": trust.expires_at <= node.clock.now(),
    }


@operator.get("/status", summary="Outbox depth, dead letters and peers' reachability")
def status(node: Exchange) -> dict[str, Any]:
    """The exchange as its operator sees it."""
    return {
        "state": node.state,
        "trust_list": trust_summary(node),
        "outbox": node.outbox_summary(),
        "dead_letters": [
            {
                "id": row.id,
                "to": row.receiver_state,
                "type": row.message_type,
                "attempts": row.attempts,
                "reason": row.last_reason,
                "error": row.last_error,
                "created_at": row.created_at.isoformat(),
            }
            for row in node.dead_letters()
        ],
        "peers": peer_status(node),
    }


@operator.get("/log/verify", summary="Verify the hash chain of the message log")
def verify_log(node: Exchange) -> dict[str, Any]:
    """200 when the log is intact, 409 naming the first broken record otherwise."""
    with node.uow() as uow:
        summary = log.verify(uow.session)
    return {"intact": True, "records": summary.count, "head": summary.head_hash}


@operator.post("/dead-letters/{message_id}/requeue", summary="Retry a dead letter")
def requeue(message_id: str, node: Exchange) -> dict[str, str]:
    """Put a dead-lettered message back in the outbox."""
    node.requeue(message_id)
    return {"id": message_id, "status": "pending"}


@operator.post("/trust-list", summary="Publish a new union trust list through this node")
def publish_trust_list(
    signed: Annotated[dict[str, Any], Body(description="The signed trust list (JWS JSON)")],
    node: Exchange,
) -> dict[str, Any]:
    """Accept the new version here, then send it to every other member's node."""
    accepted = node.trust.accept(signed)
    queued = []
    with node.uow() as uow:
        for state in sorted(accepted.members):
            if state != node.state:
                node.enqueue(
                    uow.session, state, EXCHANGE_SERVICE, TRUST_LIST_PUBLISHED, {"signed": signed}
                )
                queued.append(state)
        uow.commit()
    return {"version": accepted.version, "digest": accepted.digest, "queued_to": queued}


__all__ = ["operator", "router"]
