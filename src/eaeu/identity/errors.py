"""Errors of identity: sign-in, sessions, one-time codes and registrations.

Exception tree::

    PlatformError
     ├── IdentityError                       identity.*
     │    ├── SignInFailed                   identity.signin_failed (wrong name or password)
     │    ├── SignInLocked                   identity.signin_locked (too many failures)
     │    ├── SessionInvalid                 identity.session_expired / identity.unauthenticated
     │    ├── CodeRefused                    identity.code_wrong / code_expired / code_used /
     │    │                                  code_attempts / code_resends / code_resend_wait
     │    └── RoleRefused                    identity.forbidden (signed in, wrong role)
     ├── ValidationError
     │    └── RegistrationRefused            identity.registration (bad person or organisation)
     └── NotFound
          └── AccountNotFound                identity.not_found

Messages are sentences a person can act on; they never say whether a username exists and
never contain personal data.
"""

from __future__ import annotations

from datetime import datetime

from eaeu.kernel.errors import NotFound, PlatformError, ValidationError


class IdentityError(PlatformError):
    """Base class of refusals by the identity capability."""

    reason = "identity.error"


class SignInFailed(IdentityError):
    """The username or password is wrong (which of the two is never said)."""

    reason = "identity.signin_failed"


class SignInLocked(IdentityError):
    """Too many failed sign-ins for this username or from this client.

    Args:
        message: what the person reads.
        until: when sign-in is possible again.
    """

    reason = "identity.signin_locked"

    def __init__(self, message: str, *, until: datetime) -> None:
        super().__init__(message)
        self.until = until


class SessionInvalid(IdentityError):
    """No session, or a session that expired or was ended."""

    reason = "identity.session_expired"


class CodeRefused(IdentityError):
    """A one-time code that is wrong, expired, used, out of attempts, or asked for too often."""

    reason = "identity.code_wrong"


class RoleRefused(IdentityError):
    """The signed-in person does not hold a role the page or action needs."""

    reason = "identity.forbidden"


class RegistrationRefused(ValidationError):
    """A person or organisation cannot be registered as given."""

    reason = "identity.registration"


class AccountNotFound(NotFound):
    """No person or organisation with this id is registered at this node."""

    reason = "identity.not_found"
