"""Exchange errors: every failure to send, accept or account for a message between nodes.

Exception tree::

    PlatformError
     └── ExchangeError          exchange.error
          ├── MessageRefused    a message (or its receipt) that must not be accepted:
          │                     exchange.malformed, .too_large, .bad_identifier,
          │                     .unknown_sender, .bad_signature, .sender_mismatch,
          │                     .wrong_receiver, .expired, .from_future, .unauthorised,
          │                     .duplicate, .id_reuse, .unknown_type, .undecryptable,
          │                     .bad_receipt, .bad_response, .trust_list_expired, .no_trust_list,
          │                     .to_self
          ├── PeerUnavailable   exchange.unreachable: the peer did not answer; retried later
          └── LogTampered       log.tampered, log.altered, log.broken_chain, log.head_mismatch

A refusal is final for that message (the sender dead-letters it); an unreachable peer is
retried. Peers and operators branch on the stable ``reason`` codes.

Each error carries a stable ``reason``; verification never returns a bool that could be
ignored — it returns nothing or raises.
"""

from __future__ import annotations

from eaeu.kernel.errors import PlatformError


class ExchangeError(PlatformError):
    """Something went wrong exchanging a message between nodes."""

    reason = "exchange.error"


class MessageRefused(ExchangeError):
    """A message that must not be accepted, with the reason.

    Args:
        message: why, in a sentence for an operator (no payload content).
        reason: the stable reason code.
        receipt: for ``exchange.duplicate``, the receipt the receiver gave the first time.
        response: for a duplicate synchronous request, the response given the first time.
    """

    reason = "exchange.refused"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        receipt: str | None = None,
        response: str | None = None,
    ) -> None:
        super().__init__(message, reason=reason)
        self.receipt = receipt
        self.response = response


class PeerUnavailable(ExchangeError):
    """The peer node could not be reached or failed; the message is retried later."""

    reason = "exchange.unreachable"


class LogTampered(ExchangeError):
    """The message log's hash chain is broken: a record was altered, removed or reordered.

    Args:
        message: which record is broken and how, without any record content.
        seq: the sequence number of the first record that fails verification.
        reason: ``log.altered``, ``log.broken_chain`` or ``log.head_mismatch``.
    """

    reason = "log.tampered"

    def __init__(self, message: str, *, seq: int, reason: str | None = None) -> None:
        super().__init__(message, reason=reason)
        self.seq = seq
