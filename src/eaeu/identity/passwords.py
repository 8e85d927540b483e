"""Password hashing with argon2id (RFC 9106), through argon2-cffi."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: The shortest password accepted at registration (NIST SP 800-63B: at least 8).
MIN_LENGTH = 8


class Passwords:
    """Hashes and verifies passwords; every hash carries its own salt and parameters.

    Args:
        hasher: an argon2 hasher; argon2-cffi's defaults (RFC 9106 "low memory" profile:
            t=3, m=64 MiB, p=4) unless given.
    """

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        """Return the argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored`` (``None``: an unknown user, always no)."""
        if self._dummy is None:
            # Verified when a username is unknown, so that a failure costs the same time
            # whether or not the account exists.
            self._dummy = self._hasher.hash("not-a-password-of-anyone")
        try:
            self._hasher.verify(stored or self._dummy, password)
        except (VerificationError, InvalidHashError):
            return False
        return stored is not None

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made with weaker parameters than the current ones."""
        return self._hasher.check_needs_rehash(stored)
