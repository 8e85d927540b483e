"""Trust errors: every failure to trust a key, certificate, signature or trust list.

Exception tree::

    PlatformError
     └── TrustError             trust.*
          ├── InvalidSignature  signature.invalid, .alg, .kid, .malformed, .header_key, .crit
          ├── CertificateInvalid
          │                     certificate.expired, .not_yet_valid, .untrusted, .usage, .malformed
          ├── TrustListRejected trustlist.rollback, .threshold, .non_member, .expired,
          │                     .tampered, .malformed, .pinned, .duplicate_signer, .not_first
          └── KeyStoreError     keys.missing, .passphrase, .development_passphrase, .type

Each error carries a stable ``reason``; verification never returns a bool that could be
ignored — it returns nothing or raises.
"""

from __future__ import annotations

from eaeu.kernel.errors import PlatformError


class TrustError(PlatformError):
    """Something could not be trusted."""

    reason = "trust.error"


class InvalidSignature(TrustError):
    """A signature does not verify, uses a refused algorithm or names an unknown key."""

    reason = "signature.invalid"


class CertificateInvalid(TrustError):
    """A certificate is expired, not yet valid, untrusted or used for the wrong purpose."""

    reason = "certificate.untrusted"


class TrustListRejected(TrustError):
    """A union trust list version that must not be accepted."""

    reason = "trustlist.rejected"


class KeyStoreError(TrustError):
    """A private key cannot be stored or loaded."""

    reason = "keys.error"
