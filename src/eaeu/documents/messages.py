"""Exchange messages of documents: ask a signer's home node to validate (``documents.validate``).

The request carries the document's hash and, for each signature of the receiving state's
signers, the evidence: the digest that was signed, the signature value and the certificate
chain — never the document itself, so a signed contract does not cross the border to be
checked. The home node validates with its own, always current, revocation data and
answers with its signed validation receipt.
"""

from __future__ import annotations

from typing import Any

from eaeu.documents.errors import DocumentError, HomeUnavailable
from eaeu.documents.validation import HomeValidation, ValidationService
from eaeu.exchange.errors import MessageRefused, PeerUnavailable
from eaeu.exchange.messages import EXCHANGE_SERVICE
from eaeu.exchange.node import ExchangeNode, Handler, Incoming

#: The service the message travels in: every member of the union takes part in it, so
#: every node can be asked to vouch for its own signers.
SERVICE = EXCHANGE_SERVICE
VALIDATE = "documents.validate"


def validate_handler(service: ValidationService) -> Handler:
    """Answer ``documents.validate`` with this node's validation receipt."""

    def handle(incoming: Incoming) -> dict[str, Any]:
        try:
            return {"receipt": service.answer_request(incoming.payload)}
        except DocumentError as exc:
            raise MessageRefused(exc.message, reason=exc.reason) from None

    return handle


def handlers(service: ValidationService) -> dict[str, Handler]:
    """The message handlers of documents, by message type."""
    return {VALIDATE: validate_handler(service)}


def home_validation(node: ExchangeNode) -> HomeValidation:
    """Return a :class:`HomeValidation` that asks over ``node``'s exchange."""

    def ask(state: str, request: dict[str, Any]) -> str:
        try:
            delivered = node.request(state, SERVICE, VALIDATE, request)
        except (MessageRefused, PeerUnavailable) as exc:
            raise HomeUnavailable(
                f"The {state} node could not confirm the signature ({exc.reason}).",
            ) from None
        receipt = (
            delivered.response.get("receipt") if isinstance(delivered.response, dict) else None
        )
        if not isinstance(receipt, str):
            raise HomeUnavailable(f"The {state} node answered without a receipt.")
        return receipt

    return ask
