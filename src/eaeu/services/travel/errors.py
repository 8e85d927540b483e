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
          ├── QrError                qr.unreadable, qr.too_large
          ├── RevocationRefused      travel.revocation.*: a revocation this node may not
          │                          make or accept (not the issuer, malformed list)
          ├── DscRefused             travel.dsc.*: an external signer certificate that
          │                          cannot be imported
          ├── BundleRejected         travel.bundle.*: an offline bundle that is not signed
          │                          by a trusted node or cannot be read
          ├── LabInvalid             travel.lab_invalid: a lab record breaks a registry
          │                          rule (also a ValidationError; ``problems`` by field)
          ├── LabNotFound            travel.lab_not_found (also a NotFound)
          ├── NotParticipating       travel.not_participating: the state has not joined
          │                          travel (in the role needed) in the trust list
          ├── LabNotAccredited       travel.lab_not_accredited: lapsed, withdrawn or out of
          │                          its accreditation days
          ├── BookingError           travel.booking_*, travel.slot_*: a booking that cannot
          │    │                     be made or changed
          │    └── BookingNotFound   travel.booking_not_found (also a NotFound)
          ├── ResultRefused          travel.result_*: a result that cannot be recorded
          └── IssuingUnavailable     travel.signer_unavailable: no health document signer

Messages never contain personal data or key material; the detail goes to the log.
"""

from __future__ import annotations

from eaeu.kernel.errors import NotFound, PlatformError, ValidationError


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


class RevocationRefused(TravelError):
    """A revocation this node may not make or accept (only a certificate's issuer revokes it)."""

    reason = "travel.revocation.refused"


class DscRefused(TravelError):
    """An external document signer certificate that cannot be imported."""

    reason = "travel.dsc.invalid"


class BundleRejected(TravelError):
    """An offline verification bundle that is not signed by a trusted node or is unreadable."""

    reason = "travel.bundle.invalid"


# --- the lab registry, bookings and results ------------------------------------------------


class LabInvalid(TravelError, ValidationError):
    """A lab's data breaks a rule of the registry.

    Args:
        problems: field name → a sentence a health-authority operator understands.
    """

    reason = "travel.lab_invalid"

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {text}" for name, text in problems.items()))
        self.problems = dict(problems)


class LabNotFound(TravelError, NotFound):
    """No accredited lab has this id here (or it is hidden: lapsed, not participating)."""

    reason = "travel.lab_not_found"


class NotParticipating(TravelError):
    """A state that has not joined travel (in the role needed) in the union trust list."""

    reason = "travel.not_participating"


class LabNotAccredited(TravelError):
    """A lab whose accreditation has lapsed, was withdrawn or is outside its days."""

    reason = "travel.lab_not_accredited"


class BookingError(TravelError):
    """A booking that cannot be made or changed (``travel.booking_*``, ``travel.slot_*``)."""

    reason = "travel.booking_refused"


class BookingNotFound(BookingError, NotFound):
    """No booking with this id belongs to the person asking."""

    reason = "travel.booking_not_found"


class ResultRefused(TravelError):
    """A test result that cannot be recorded (``travel.result_*``)."""

    reason = "travel.result_refused"


class IssuingUnavailable(TravelError):
    """This node has no health document signer to sign certificates with."""

    reason = "travel.signer_unavailable"
