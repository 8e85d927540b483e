"""Travel errors: decoding, issuing and verifying EU Digital COVID Certificates.

Exception tree::

    PlatformError
     └── TravelError                 travel.*
          ├── HcertError             hcert.<code>: an HC1 string, its COSE or its payload
          │    │                     cannot be decoded or trusted (``code`` is the stage
          │    │                     reason of :mod:`eaeu.services.travel.verifier`)
          │    ├── Base45Error       hcert.base45
          │    ├── SchemaViolation   hcert.schema (``path`` names the offending field)
          │    └── CertificateRejected
          │                          hcert.<reason>: a verification result that is not valid
          ├── InvalidUvci            uvci.format, uvci.check
          └── QrError                qr.unreadable, qr.too_large

Messages never contain personal data or key material; the detail goes to the log.
"""

from __future__ import annotations

from eaeu.kernel.errors import PlatformError


class TravelError(PlatformError):
    """Base class of the travel service's errors."""

    reason = "travel.error"


class HcertError(TravelError):
    """An HC1 string, its COSE structure or its payload cannot be decoded or trusted.

    Args:
        message: a sentence without personal data.
        code: the verification stage reason (``base45``, ``zlib``, ``cose_structure``…);
            the dotted ``reason`` is ``hcert.<code>``.
    """

    reason = "hcert.invalid"
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        code = code or type(self).code
        super().__init__(message, reason=f"hcert.{code}")
        self.code = code


class Base45Error(HcertError):
    """Text that is not valid Base45 (RFC 9285)."""

    reason = "hcert.base45"
    code = "base45"


class SchemaViolation(HcertError):
    """A DCC payload that breaks the DCC JSON schema.

    Args:
        message: what is wrong, without the offending value.
        path: the JSON path of the offending field (``t/0/tr``).
    """

    reason = "hcert.schema"
    code = "schema"

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(f"{path or '(root)'}: {message}")
        self.path = path


class CertificateRejected(HcertError):
    """A certificate that failed verification; ``code`` is the result's reason."""

    reason = "hcert.rejected"
    code = "rejected"


class InvalidUvci(TravelError):
    """A unique vaccination certificate identifier with a bad format or check character."""

    reason = "uvci.format"


class QrError(TravelError):
    """A QR code that cannot be rendered or read."""

    reason = "qr.unreadable"
