"""Asks every node of the federation for its node document, concurrently and briefly."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from eaeu.kernel.states import STATE_CODES


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """What the portal knows of one node right now."""

    state: str
    url: str | None
    online: bool
    document: dict[str, Any] | None
    problem: str | None = None


async def probe(nodes: dict[str, str], *, wait_s: float = 1.5) -> list[NodeStatus]:
    """Fetch ``/.well-known/eaeu-node`` from each node; a node that does not answer is offline.

    Args:
        nodes: state code to base URL, as in ``federation.json``.
        wait_s: seconds to wait for each node.
    """
    async with httpx.AsyncClient(timeout=wait_s, trust_env=False) as client:

        async def one(code: str) -> NodeStatus:
            url = nodes.get(code)
            if url is None:
                return NodeStatus(code, None, online=False, document=None, problem="not configured")
            try:
                reply = await client.get(f"{url.rstrip('/')}/.well-known/eaeu-node")
                reply.raise_for_status()
                document = reply.json()
            except (httpx.HTTPError, ValueError) as exc:
                return NodeStatus(
                    code, url, online=False, document=None, problem=type(exc).__name__
                )
            return NodeStatus(code, url, online=True, document=document)

        return list(await asyncio.gather(*(one(code) for code in STATE_CODES)))
