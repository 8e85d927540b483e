"""Base45 (RFC 9285): the QR-friendly text encoding of the EU DCC.

Every two bytes ``a, b`` become the number ``n = a * 256 + b``, written as three base-45
digits ``c + d * 45 + e * 45**2`` in the order ``c d e``; an odd last byte becomes two
digits. The alphabet is QR alphanumeric mode's 45 characters, so a Base45 string fills a
QR code in its densest text mode.

Decoding is strict — a character outside the alphabet, a length of ``3k + 1`` or a triple
above 65535 (or a pair above 255) raises :class:`~eaeu.services.travel.errors.Base45Error`
— and fast: it runs on every scan, so instead of a Python loop per triple it works on
whole strings with C-level operations (``bytes.translate``, slice assignment and big-integer
arithmetic, see :func:`b45decode`).
"""

from __future__ import annotations

from array import array
from sys import byteorder

from eaeu.services.travel.errors import Base45Error

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INVALID = 0xFF
#: Byte value → digit value (0..44), or 0xFF for a byte outside the alphabet.
_DIGITS = bytes(ALPHABET.index(chr(i)) if chr(i) in ALPHABET else _INVALID for i in range(256))
#: The two leading characters ``c d`` for each remainder ``n % 2025``.
_PAIRS = tuple(ALPHABET[r % 45] + ALPHABET[r // 45] for r in range(45 * 45))
_MAX_PAIR = 0xFF
_PAIR = 2  # a final group of two characters encodes one byte


def b45encode(data: bytes) -> str:
    """Return the Base45 text of ``data``.

    Args:
        data: any bytes.

    Returns:
        The Base45 string (``3 * (len(data) // 2)`` characters, plus 2 for an odd byte).
    """
    even = len(data) & ~1
    words = array("H", data[:even])
    if byteorder == "little":
        # Base45 reads each pair big-endian; ``array`` reads machine order.
        words.byteswap()
    pairs = _PAIRS
    alphabet = ALPHABET
    text = "".join([pairs[n % 2025] + alphabet[n // 2025] for n in words])
    if even != len(data):
        text += pairs[data[-1]]
    return text


def b45decode(text: str | bytes) -> bytes:
    """Return the bytes encoded by Base45 ``text``.

    The digits are decoded in three interleaved columns: the columns ``c``, ``d`` and ``e``
    are spread into three-byte lanes of three big integers, and ``C + 45·D + 2025·E`` then
    computes every triple at once (no lane exceeds 91124 < 2**24, so none carries into the
    next). A lane whose top byte is not zero is a triple above 65535.

    Args:
        text: Base45 characters (a ``str``, or ASCII ``bytes``).

    Returns:
        The decoded bytes.

    Raises:
        Base45Error: a character outside the alphabet, a length of ``3k + 1``, or a group
            whose value does not fit its bytes.
    """
    if isinstance(text, str):
        try:
            raw = text.encode("ascii")
        except UnicodeEncodeError:
            raise Base45Error("Base45 text contains a non-ASCII character") from None
    else:
        raw = bytes(text)
    digits = raw.translate(_DIGITS)
    if _INVALID in digits:
        raise Base45Error("Base45 text contains a character outside the alphabet")
    size = len(digits)
    triples, rest = divmod(size, 3)
    if rest == 1:
        raise Base45Error("Base45 text has an impossible length")
    out = bytearray(2 * triples + (rest == _PAIR))
    if triples:
        full = 3 * triples
        lanes = bytearray(full)
        lanes[2::3] = digits[0:full:3]
        low = int.from_bytes(lanes, "big")
        lanes[2::3] = digits[1:full:3]
        middle = int.from_bytes(lanes, "big")
        lanes[2::3] = digits[2:full:3]
        high = int.from_bytes(lanes, "big")
        values = (low + 45 * middle + 2025 * high).to_bytes(full, "big")
        if values[0::3].count(0) != triples:
            raise Base45Error("Base45 group exceeds 65535")
        out[0 : 2 * triples : 2] = values[1::3]
        out[1 : 2 * triples : 2] = values[2::3]
    if rest == _PAIR:
        value = digits[-2] + 45 * digits[-1]
        if value > _MAX_PAIR:
            raise Base45Error("Base45 final pair exceeds 255")
        out[-1] = value
    return bytes(out)


__all__ = ["ALPHABET", "b45decode", "b45encode"]
