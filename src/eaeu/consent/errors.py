"""Consent errors: consents that cannot be given, found or used, and a broken ledger.

Exception tree::

    PlatformError
     ├── ValidationError
     │    └── ConsentInvalid          the terms of a new consent break a rule
     │                                (consent.invalid, .unknown_purpose, .categories_invalid,
     │                                .validity_invalid, .mode_invalid, .requester_invalid,
     │                                .organisation_invalid, .no_explicit_request,
     │                                .no_preview)
     ├── NotFound
     │    └── ConsentNotFound         no such consent for this person (consent.not_found)
     ├── Conflict
     │    ├── ConsentNotActive        revoking a consent that is not active (consent.not_active)
     │    └── LedgerTampered          the transfer ledger's hash chain is broken
     │                                (ledger.altered, .broken_chain, .head_mismatch)
     └── ExchangeError
          └── MessageRefused
               └── ConsentRefused     personal data that must not cross: consent.missing,
                                      .unknown, .malformed, .signature, .issuer, .revoked,
                                      .expired, .not_yet_valid, .receiver, .purpose,
                                      .categories, .used, .subject_unknown, policy.refused,
                                      policy.not_found, policy.request_invalid

Every ``ConsentRefused`` carries its message in English (``message``, which travels to the
requesting node) and in Russian (``text.ru``); both are sentences the person the data is
about understands, and neither contains personal data.
"""

from __future__ import annotations

from eaeu.consent.policy import Text
from eaeu.exchange.errors import MessageRefused
from eaeu.kernel.errors import Conflict, NotFound, ValidationError


class ConsentInvalid(ValidationError):
    """The terms of a new consent break a rule (unknown purpose, bad validity…)."""

    reason = "consent.invalid"


class ConsentNotFound(NotFound):
    """No consent with that id exists for the person (or on this node)."""

    reason = "consent.not_found"


class ConsentNotActive(Conflict):
    """The consent was already revoked or has expired."""

    reason = "consent.not_active"


class LedgerTampered(Conflict):
    """The transfer ledger's hash chain is broken.

    Args:
        message: which entry is broken and how, without any entry content.
        seq: the first entry that fails verification.
        reason: ``ledger.altered``, ``ledger.broken_chain`` or ``ledger.head_mismatch``.
    """

    reason = "ledger.tampered"

    def __init__(self, message: str, *, seq: int, reason: str | None = None) -> None:
        super().__init__(message, reason=reason)
        self.seq = seq


class ConsentRefused(MessageRefused):
    """Personal data that must not cross, with the reason in English and Russian.

    Args:
        text: why, for the person the data is about (``text.en`` is the message).
        reason: the stable reason code.
    """

    reason = "consent.refused"

    def __init__(self, text: Text, *, reason: str) -> None:
        super().__init__(text.en, reason=reason)
        self.text = text
