"""How envelopes travel: HTTP POST of the signed envelope to the peer's exchange endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from eaeu.exchange.errors import PeerUnavailable

#: Path of the exchange endpoint on every node.
MESSAGES_PATH = "/exchange/v1/messages"
MEDIA_TYPE = "application/jose"


@dataclass(frozen=True, slots=True)
class TransportReply:
    """What the peer answered: an HTTP status and its JSON body."""

    status: int
    body: dict[str, Any]


class Transport(Protocol):
    """Carries a signed envelope to a peer node and brings back its reply."""

    def post(self, endpoint: str, token: str) -> TransportReply:
        """Deliver ``token`` to the node at ``endpoint``.

        Raises:
            PeerUnavailable: no answer, or an answer that is not the exchange protocol.
        """
        ...


class HttpTransport:
    """The real transport: one pooled, keep-alive HTTP client per process.

    Args:
        timeout: seconds for connecting and for reading the reply.
    """

    def __init__(self, timeout: float = 10.0) -> None:
        self._client = httpx.Client(timeout=timeout, trust_env=False)

    def post(self, endpoint: str, token: str) -> TransportReply:
        """POST the envelope; see :meth:`Transport.post`."""
        try:
            reply = self._client.post(
                f"{endpoint.rstrip('/')}{MESSAGES_PATH}",
                content=token.encode("ascii"),
                headers={"content-type": MEDIA_TYPE, "accept": "application/json"},
            )
            body = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise PeerUnavailable(f"{endpoint} did not answer: {type(exc).__name__}") from None
        if not isinstance(body, dict):
            raise PeerUnavailable(f"{endpoint} answered with something other than JSON")
        return TransportReply(reply.status_code, body)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
