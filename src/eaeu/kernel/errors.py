"""The root of every error the platform raises.

Exception tree::

    PlatformError                      reason code, safe message for people
     ├── ConfigurationError            settings that cannot work (bad URL, placeholder secret)
     ├── ValidationError               input that breaks a rule (form fields, identifiers)
     │    └── InvalidIdentifier        a national identifier fails its published rule
     ├── NotFound                      a thing that does not exist
     └── Conflict                      a state change that collides with another

Each class carries a stable, dotted ``reason`` code. The web layer chooses HTTP status codes
from these classes in one table (``eaeu.web.errors``), the CLI chooses exit codes, and
clients branch on ``reason`` — never on message text, which may be translated.
"""

from __future__ import annotations


class PlatformError(Exception):
    """Base class of every platform error.

    Args:
        message: a sentence a person can act on; it must not contain personal data or
            key material, because it may be shown and logged.
        reason: a stable dotted code (``identifier.checksum``); defaults to the class's.
    """

    reason: str = "platform.error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r}, message={self.message!r})"


class ConfigurationError(PlatformError):
    """Settings or environment that the platform cannot run with."""

    reason = "config.invalid"


class ValidationError(PlatformError):
    """Input that breaks a rule of the domain."""

    reason = "input.invalid"


class InvalidIdentifier(ValidationError):
    """A national identifier that fails its format, date or check-digit rule."""

    reason = "identifier.invalid"


class NotFound(PlatformError):
    """A requested thing does not exist (or is not visible to the caller)."""

    reason = "not_found"


class Conflict(PlatformError):
    """A change that collides with the current state (duplicate, busy, already done)."""

    reason = "conflict"
