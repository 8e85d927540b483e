"""An injectable clock: code that asks for the time takes a ``Clock``.

Expiry, signature and replay logic is then testable to the second with
``eaeu.testing.FrozenClock``. Every datetime is timezone-aware UTC.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Anything that can tell the current UTC time."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...

    def monotonic(self) -> float:
        """Return a monotonic reading in seconds, for durations only."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Return ``time.monotonic()``."""
        return time.monotonic()


def utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; refuse naive datetimes, which are a bug, not an input."""
    if value.tzinfo is None:
        msg = "naive datetime; every time in the platform is timezone-aware"
        raise ValueError(msg)
    return value.astimezone(UTC)
