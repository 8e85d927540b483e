"""The exchange's gate for personal data: no payload about a person crosses without a basis.

Every personal-data payload (``personal=True`` on send, an encrypted envelope on receipt, or a
handler's :class:`Personal` answer) is described to the node's :class:`TransferGuard` as a
:class:`Transfer` before it leaves or is handed to a handler, and recorded by the guard once it
has crossed. The exchange itself knows nothing of consent records or national transfer
rules: ``eaeu.consent`` implements the guard, and a node without one carries no personal
data at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from sqlalchemy.orm import Session

from eaeu.exchange.errors import MessageRefused

#: The reason a node without a guard gives for refusing personal data.
NO_GUARD = "exchange.no_transfer_guard"


@dataclass(frozen=True, slots=True)
class Transfer:
    """Personal data crossing a border, as the guard sees it (never the data itself).

    Attributes:
        direction: ``out`` when this node sends it, ``in`` when it receives it.
        sender_state, receiver_state: the two member states.
        service, message_type: what carries it.
        message_id: the envelope's id (the ledger's reference).
        consent: the consent reference the sender gave (a signed consent token), if any.
        purpose: the purpose code the data is sent for.
        categories: the data categories in the payload.
        basis: the legal basis claimed when there is no consent (``law``, ``treaty``…).
        at: when.
    """

    direction: Literal["out", "in"]
    sender_state: str
    receiver_state: str
    service: str
    message_type: str
    message_id: str
    consent: str | None
    purpose: str | None
    categories: tuple[str, ...]
    basis: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Personal:
    """A handler's answer that is personal data: encrypted to the asker and guarded.

    Attributes:
        payload: the answer.
        purpose, categories, consent, basis: as in :class:`Transfer`.
    """

    payload: Any
    purpose: str
    categories: tuple[str, ...]
    consent: str | None = None
    basis: str | None = None


class TransferGuard(Protocol):
    """Decides whether personal data may cross, and keeps the ledger of what did."""

    def check(self, session: Session, transfer: Transfer) -> None:
        """Allow the transfer or raise :class:`~eaeu.exchange.errors.MessageRefused`.

        The reason code and message of the refusal go back to the requester; the message
        must be understandable by the person the data is about.
        """

    def record(self, session: Session, transfer: Transfer) -> None:
        """Append the transfer that took place to the ledger (in the caller's transaction)."""


def require_description(purpose: str | None, categories: tuple[str, ...]) -> None:
    """Refuse personal data sent without a purpose or categories.

    Raises:
        MessageRefused: ``exchange.undescribed_personal_data``.
    """
    if not purpose or not categories:
        raise MessageRefused(
            "personal data must name its purpose and data categories",
            reason="exchange.undescribed_personal_data",
        )


def no_guard() -> MessageRefused:
    """The refusal of a node that has no transfer guard."""
    return MessageRefused(
        "this node is not set up to exchange personal data (it has no transfer guard)",
        reason=NO_GUARD,
    )


__all__ = ["NO_GUARD", "Personal", "Transfer", "TransferGuard", "no_guard", "require_description"]
