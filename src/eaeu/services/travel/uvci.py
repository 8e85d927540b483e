"""Unique vaccination certificate identifiers (UVCI) and their Luhn mod N check character.

A UVCI (eHealth Network, *Guidelines on verifiable vaccination certificates*, Annex 2) is::

    URN:UVCI:01:<CC>:<opaque>#<check>          e.g. URN:UVCI:01:AM:8F2K…Q#R

``01`` is the UVCI version, ``<CC>`` the ISO 3166-1 alpha-2 code of the issuing state,
``<opaque>`` upper-case letters and digits (optionally structured with ``/``) unique
within the state, and ``<check>`` an optional check character.

The check character is the Luhn mod N algorithm over the *whole* identifier before ``#``,
``URN:UVCI:`` prefix included, with the code points ``A`` to ``Z`` (0 to 25), ``0`` to
``9`` (26 to 35), ``/`` (36) and ``:`` (37), so N = 38 — the alphabet of the eHealth Network
reference implementation (``eu-dcc-schema/examples/Luhn-Mod-N``). A variant with N = 36
over ``[0-9A-Z]`` appears in some write-ups, but it cannot cover the ``:`` and ``/``
separators and it does not reproduce the published check characters: the N = 38
algorithm reproduces all 35 UVCIs of the EU DCC conformance corpus whose issuers compute
the check (AT, DK, GR, HU, IS, LT, SI, SM), the N = 36 one only a handful by chance.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from eaeu.services.travel.errors import InvalidUvci

PREFIX = "URN:UVCI:"
VERSION = "01"
CODE_POINTS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:"
_N = len(CODE_POINTS)
_VALUE = {char: i for i, char in enumerate(CODE_POINTS)}
_OPAQUE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: The schema's limit for ``ci`` (DCC schema 1.3, ``certificate_id``).
MAX_LENGTH = 80
_UVCI = re.compile(r"URN:UVCI:01:[A-Z]{2}:[A-Z0-9]+(?:/[A-Z0-9]+)*(?:#[A-Z0-9/:])?", re.ASCII)
_COUNTRY = re.compile(r"[A-Z]{2}", re.ASCII)
_OPAQUE = re.compile(r"[A-Z0-9]+(?:/[A-Z0-9]+)*", re.ASCII)


def _luhn_sum(text: str, factor: int) -> int:
    total = 0
    for char in reversed(text):
        value = _VALUE.get(char)
        if value is None:
            raise InvalidUvci(
                "a UVCI may only hold A-Z, 0-9, '/' and ':' before its check character",
                reason="uvci.format",
            )
        addend = factor * value
        total += addend // _N + addend % _N
        factor = 3 - factor
    return total % _N


def check_character(text: str) -> str:
    """Return the Luhn mod 38 check character of ``text`` (a UVCI without ``#…``).

    Raises:
        InvalidUvci: ``text`` holds a character outside the code points (``uvci.format``).
    """
    return CODE_POINTS[(_N - _luhn_sum(text, 2)) % _N]


def make_uvci(country: str, opaque: str) -> str:
    """Return ``URN:UVCI:01:<country>:<opaque>#<check>``.

    Args:
        country: the ISO 3166-1 alpha-2 code of the issuing state.
        opaque: the state's unique part: ``A`` to ``Z``, ``0`` to ``9``, parts joined by ``/``.

    Raises:
        InvalidUvci: a bad country code or opaque part, or a result longer than 80
            characters (``uvci.format``).
    """
    if not _COUNTRY.fullmatch(country) or not _OPAQUE.fullmatch(opaque):
        raise InvalidUvci("a UVCI needs a country code and an upper-case opaque part")
    body = f"{PREFIX}{VERSION}:{country}:{opaque}"
    uvci = f"{body}#{check_character(body)}"
    if len(uvci) > MAX_LENGTH:
        raise InvalidUvci(f"a UVCI is at most {MAX_LENGTH} characters")
    return uvci


def random_opaque(
    length: int = 26, token_bytes: Callable[[int], bytes] = secrets.token_bytes
) -> str:
    """Return a random opaque part of ``length`` characters from ``[0-9A-Z]``.

    26 characters carry 134 bits, enough that two issuers never collide.

    Args:
        length: the number of characters.
        token_bytes: the randomness source (injected in tests).
    """
    value = int.from_bytes(token_bytes(length), "big")
    chars = []
    for _ in range(length):
        value, digit = divmod(value, len(_OPAQUE_ALPHABET))
        chars.append(_OPAQUE_ALPHABET[digit])
    return "".join(chars)


def validate_uvci(uvci: str, *, require_check: bool = True) -> None:
    """Return if ``uvci`` is a well-formed version 01 UVCI with a right check character.

    Args:
        uvci: the identifier.
        require_check: refuse an identifier without ``#<check>``.

    Raises:
        InvalidUvci: a malformed identifier (``uvci.format``) or a wrong or missing check
            character (``uvci.check``).
    """
    if len(uvci) > MAX_LENGTH or not _UVCI.fullmatch(uvci):
        raise InvalidUvci("not a version 01 UVCI", reason="uvci.format")
    body, hash_sign, check = uvci.partition("#")
    if not hash_sign:
        if require_check:
            raise InvalidUvci("the UVCI has no check character", reason="uvci.check")
        return
    if _luhn_sum(body + check, 1) != 0:
        raise InvalidUvci("the UVCI check character is wrong", reason="uvci.check")


__all__ = [
    "CODE_POINTS",
    "MAX_LENGTH",
    "PREFIX",
    "check_character",
    "make_uvci",
    "random_opaque",
    "validate_uvci",
]
