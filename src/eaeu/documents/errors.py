"""Document errors: every failure to sign, read or vouch for a signed document.

Exception tree::

    PlatformError
     └── DocumentError              documents.error
          ├── DocumentUnreadable    documents.unrecognised, .unsigned, .too_large,
          │                         .detached_missing
          ├── SignerLocked          documents.second_factor, .not_authorised, .revoked
          ├── ReceiptRefused        documents.receipt_invalid, .receipt_signer,
          │                         .receipt_mismatch, .receipt_own
          └── HomeUnavailable       documents.home_unavailable

A document whose signatures fail is *not* an error: validation returns a report with the
ETSI indication. Errors are for input that is not a signed document at all, for a signing
key that may not be used, and for a validation receipt that cannot be trusted. Each error
carries a stable ``reason``; messages are sentences a person can act on and never contain
a name, an identifier or key material.
"""

from __future__ import annotations

from eaeu.kernel.errors import PlatformError


class DocumentError(PlatformError):
    """Something went wrong with a signed document."""

    reason = "documents.error"


class DocumentUnreadable(DocumentError):
    """The input is not a signed document this service can read."""

    reason = "documents.unrecognised"


class SignerLocked(DocumentError):
    """A node-held signing key may not be unlocked for this caller."""

    reason = "documents.not_authorised"


class ReceiptRefused(DocumentError):
    """A validation receipt that must not be relied on."""

    reason = "documents.receipt_invalid"


class HomeUnavailable(DocumentError):
    """The signer's home node could not confirm a signature (unreachable or refused)."""

    reason = "documents.home_unavailable"
