"""Time-ordered UUIDv7 identifiers (RFC 9562 §5.7).

Version 7 UUIDs sort by creation time, which keeps database indexes compact and lets a
message log be read in order. Python 3.11's ``uuid`` has no ``uuid7``, so it is built here:
48 bits of Unix milliseconds, then 74 random bits, with a monotonic counter in
``rand_a`` so that ids made in the same millisecond by one process still sort.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable

_lock = threading.Lock()
_last_ms = 0
_counter = 0
_COUNTER_MAX = 0xFFF  # rand_a is 12 bits


def uuid7(
    *, now_ms: Callable[[], int] | None = None, randbytes: Callable[[int], bytes] = os.urandom
) -> uuid.UUID:
    """Return a new UUIDv7.

    Args:
        now_ms: a source of Unix milliseconds (injected in tests).
        randbytes: a source of random bytes (injected in tests).
    """
    global _last_ms, _counter  # noqa: PLW0603 - process-wide monotonicity is the point
    ms = now_ms() if now_ms is not None else time.time_ns() // 1_000_000
    with _lock:
        if ms <= _last_ms:
            # Same (or earlier, after a clock step back) millisecond: keep order with the
            # 12-bit counter; when it overflows, borrow the next millisecond.
            _counter += 1
            if _counter > _COUNTER_MAX:
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        else:
            _last_ms = ms
            _counter = int.from_bytes(randbytes(2), "big") & 0x3FF  # leave room to count up
        counter = _counter
    tail = int.from_bytes(randbytes(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= tail
    return uuid.UUID(int=value)


def uuid7_time_ms(value: uuid.UUID) -> int:
    """Return the Unix milliseconds encoded in a UUIDv7."""
    if value.version != 7:  # noqa: PLR2004 - the UUID version is the specification
        msg = "not a UUIDv7"
        raise ValueError(msg)
    return value.int >> 80
