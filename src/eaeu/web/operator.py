"""Who may use operator endpoints and pages.

With ``EAEU_OPERATOR_TOKEN`` set, a request must carry ``Authorization: Bearer <token>``.
Without one, only a development node answers, and only to the loopback interface — enough
for ``eaeu up`` on one machine, never for a deployment. (Sign-in with roles, including the
node operator role, replaces this with the identity capability.)
"""

from __future__ import annotations

import hmac

from fastapi import Request

from eaeu.bootstrap import Platform
from eaeu.exchange.errors import ExchangeError
from eaeu.exchange.node import ExchangeNode
from eaeu.kernel.errors import PlatformError

_LOOPBACK = frozenset({"127.0.0.1", "::1", "testclient"})


class OperatorRefused(PlatformError):
    """The caller is not the node's operator."""

    reason = "operator.forbidden"


async def require_operator(request: Request) -> None:
    """FastAPI dependency: refuse callers who are not the node's operator.

    Raises:
        OperatorRefused: ``operator.unauthenticated`` (no or wrong token) or
            ``operator.forbidden`` (no token configured and not a local development call).
    """
    platform: Platform = request.app.state.platform
    token = platform.settings.operator_token
    if token is not None:
        given = request.headers.get("authorization", "")
        expected = f"Bearer {token.get_secret_value()}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise OperatorRefused(
                "operator calls need the node's operator token", reason="operator.unauthenticated"
            )
        return
    host = request.client.host if request.client else ""
    if not (platform.settings.development and host in _LOOPBACK):
        raise OperatorRefused(
            "operator calls are refused: set EAEU_OPERATOR_TOKEN on this node",
            reason="operator.forbidden",
        )


async def exchange_of(request: Request) -> ExchangeNode:
    """FastAPI dependency: the node's exchange (async, so it costs no thread hop)."""
    return node_exchange(request)


def node_exchange(request: Request) -> ExchangeNode:
    """The node's exchange, or a 503 problem when this node has no keys or trust list."""
    platform: Platform = request.app.state.platform
    if platform.exchange is None:
        raise ExchangeError(
            "this node has no exchange keys; run `eaeu trust init` (or `eaeu up`) first",
            reason="exchange.not_configured",
        )
    return platform.exchange
