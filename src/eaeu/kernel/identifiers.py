"""National identifiers of the EAEU member states: format, date and check-digit rules.

One validator per (state, kind). :func:`validate` returns an :class:`IdentifierCheck` or
raises :class:`~eaeu.kernel.errors.InvalidIdentifier` with one of the stable reason codes
below; it never returns a bool that can be ignored.

Sources, as collected in the identity reference notes (section 4):

* KZ IIN and BIN -- the control-digit rule of adilet P070000406, as implemented by
  ``valery1707/kaz-person-id`` (``PersonIdUtils.java``) and ``identique/idnumbers``
  (``nationalid/kaz/util.py``, citing the OECD Kazakhstan TIN sheet); IIN structure per
  adilet P030000565 (``ZhymabekRoman/kz-iin-validator``).
* RU INN and OGRN -- ``python-stdnum`` 2.2 (``stdnum/ru/inn.py``, ``stdnum/ru/ogrn.py``).
  The OGRNIP check digit is the last digit of ``int(first 14) % 13``; python-stdnum compares
  the full remainder instead, so it wrongly rejects every OGRNIP whose remainder is 10-12.
  This module implements the published rule.
* RU SNILS -- the control-number rule cited from consultant.ru in
  ``vasiunov/SNILS_CheckAndCount`` (``pkg/snils/readme.md``); the control number is only
  defined for numbers above 001-001-998.
* BY UNP -- ``python-stdnum`` (``stdnum/by/unp.py``): weights 29, 23, 19, 17, 13, 7, 5, 3,
  individuals' second letter counted by its place in ``ABCEHKMOPT``, Cyrillic look-alikes
  read as Latin letters.
* BY personal (identification) number -- the pattern used by many public validators; the
  7-3-1 check digit (ICAO 9303 style) is community-derived: no official publication was
  found, so results are marked ``official=False``.
* KG PIN -- grs.gov.kg PIN page, Government Decree No. 619 of 28 September 2017; the
  sex digit + ``DDMMYYYY`` + serial layout is commonly described but unverified.
* AM public service number -- Law "On public service number" (via iravaban.net); the
  correcting-digit formula is not published (tools.gera.services checks structure only).
* AM TIN -- petekamutner.am (State Revenue Committee): 8 digits, no published check digit.

Structure-only rules (``checksum_verified=False``): KG ``pin`` (length and birth date),
AM ``psn`` (10 digits, no leading zero) and AM ``tin`` (8 digits). RU ``snils`` is also
returned with ``checksum_verified=False`` for numbers up to 001-001-998, which carry no
control number. Rules marked ``official=False``: BY ``personal_number`` (community-derived
check digit), KG ``pin`` (unverified layout) and AM ``psn`` (the leading-zero rule comes
from a community tool). Some SNILS validators also refuse a digit repeated three times in
a row; that rule is unverified and not applied here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from eaeu.kernel.errors import InvalidIdentifier

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "CHECKSUM",
    "DATE",
    "FORMAT",
    "NEVER_ISSUED",
    "UNKNOWN_KIND",
    "IdentifierCheck",
    "kinds",
    "validate",
]

UNKNOWN_KIND: Final = "identifier.unknown_kind"
FORMAT: Final = "identifier.format"
DATE: Final = "identifier.date"
CHECKSUM: Final = "identifier.checksum"
NEVER_ISSUED: Final = "identifier.never_issued"


@dataclass(frozen=True, slots=True)
class IdentifierCheck:
    """The outcome of a successful validation.

    Attributes:
        state: ISO 3166-1 alpha-2 code of the issuing state, e.g. ``"KZ"``.
        kind: the identifier kind within that state, e.g. ``"iin"``.
        value: the normalised identifier (separators removed, upper case, Cyrillic
            look-alike letters mapped to Latin).
        checksum_verified: whether a check digit was verified; ``False`` for
            structure-only rules.
        rule: a one-line description of the rule that was applied.
        official: ``False`` where the rule is community-derived or unverified rather
            than taken from an official publication.
    """

    state: str
    kind: str
    value: str
    checksum_verified: bool
    rule: str
    official: bool


# Inputs longer than this are refused before any other work: no formatted identifier
# comes close, and the limit keeps untrusted input cheap to reject.
_MAX_INPUT_LENGTH: Final = 64
_SEPARATORS: Final = re.compile(r"[\s\-]+")
# Cyrillic capitals that look like Latin ones (A, VE, IE, KA, EM, EN, O, ER, ES, TE, HA and
# the Belarusian I), written as escapes so that the source shows no ambiguous characters.
_LOOK_ALIKES: Final = str.maketrans(
    "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0406",
    "ABEKMHOPCTXI",
)
_ALPHANUMERIC: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _format_error(label: str, expected: str) -> InvalidIdentifier:
    return InvalidIdentifier(f"This {label} must be {expected}.", reason=FORMAT)


def _date_error(label: str) -> InvalidIdentifier:
    return InvalidIdentifier(f"This {label} does not contain a real date.", reason=DATE)


def _checksum_error(label: str) -> InvalidIdentifier:
    return InvalidIdentifier(f"The check digit of this {label} does not match.", reason=CHECKSUM)


def _is_real_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _weighted_sum(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True))


# --- Kazakhstan -------------------------------------------------------------------------

_KZ_DIGITS: Final = re.compile(r"[0-9]{12}")
_KZ_FIRST_PASS: Final = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_KZ_SECOND_PASS: Final = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_KZ_NO_DIGIT: Final = 10
# The 7th IIN digit gives century and sex: 1-2 -> 1800s, 3-4 -> 1900s, 5-6 -> 2000s.
_KZ_CENTURY: Final = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}


def _kz_check_digit(body: str) -> int | None:
    """Return the check digit for 11 digits, or None when both passes give 10."""
    for weights in (_KZ_FIRST_PASS, _KZ_SECOND_PASS):
        remainder = _weighted_sum(body, weights) % 11
        if remainder != _KZ_NO_DIGIT:
            return remainder
    return None


def _kz_verify(value: str, label: str) -> None:
    check = _kz_check_digit(value[:11])
    if check is None:
        raise InvalidIdentifier(
            f"This {label} falls in a range that is never issued.", reason=NEVER_ISSUED
        )
    if check != int(value[11]):
        raise _checksum_error(label)


def _kz_iin(value: str) -> bool:
    if not _KZ_DIGITS.fullmatch(value):
        raise _format_error("IIN", "12 digits")
    century = _KZ_CENTURY.get(value[6])
    if century is None:
        raise _format_error("IIN", "12 digits with a century digit from 1 to 6")
    year = century + int(value[0:2])
    if not _is_real_date(year, int(value[2:4]), int(value[4:6])):
        raise _date_error("IIN")
    _kz_verify(value, "IIN")
    return True


_BIN_MONTHS: Final = range(1, 13)


def _kz_bin(value: str) -> bool:
    if not _KZ_DIGITS.fullmatch(value):
        raise _format_error("BIN", "12 digits")
    if int(value[2:4]) not in _BIN_MONTHS:
        raise _date_error("BIN")
    if value[4] not in "456" or value[5] not in "0123":
        raise _format_error("BIN", "12 digits with a valid entity type and attribute")
    _kz_verify(value, "BIN")
    return True


# --- Russia -----------------------------------------------------------------------------

_INN: Final = re.compile(r"[0-9]{10}|[0-9]{12}")
_INN_ORG_LENGTH: Final = 10
_INN_10: Final = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_11: Final = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_12: Final = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_OGRN: Final = re.compile(r"[1-9][0-9]{12}")
_OGRNIP: Final = re.compile(r"[34][0-9]{14}")
_SNILS: Final = re.compile(r"[0-9]{11}")
_SNILS_WEIGHTS: Final = (9, 8, 7, 6, 5, 4, 3, 2, 1)
_SNILS_LAST_UNCHECKED: Final = 1_001_998
_SNILS_LIMIT: Final = 100
_SNILS_MODULUS: Final = 101


def _inn_digit(digits: str, weights: tuple[int, ...]) -> str:
    return str(_weighted_sum(digits, weights) % 11 % 10)


def _ru_inn(value: str) -> bool:
    if not _INN.fullmatch(value):
        raise _format_error("INN", "10 digits (organisation) or 12 digits (person)")
    if len(value) == _INN_ORG_LENGTH:
        expected = _inn_digit(value[:9], _INN_10)
    else:
        expected = _inn_digit(value[:10], _INN_11)
        expected += _inn_digit(value[:11], _INN_12)
    if value[-len(expected) :] != expected:
        raise _checksum_error("INN")
    return True


def _ru_ogrn(value: str) -> bool:
    if not _OGRN.fullmatch(value):
        raise _format_error("OGRN", "13 digits not starting with 0")
    if int(value[:12]) % 11 % 10 != int(value[12]):
        raise _checksum_error("OGRN")
    return True


def _ru_ogrnip(value: str) -> bool:
    if not _OGRNIP.fullmatch(value):
        raise _format_error("OGRNIP", "15 digits starting with 3 or 4")
    # The check digit is the last digit of the remainder (10-12 give 0-2); python-stdnum
    # omits the final "% 10" and so rejects about 23 % of genuine numbers.
    if int(value[:14]) % 13 % 10 != int(value[14]):
        raise _checksum_error("OGRNIP")
    return True


def _snils_control(body: str) -> int:
    total = _weighted_sum(body, _SNILS_WEIGHTS)
    if total < _SNILS_LIMIT:
        return total
    return total % _SNILS_MODULUS % _SNILS_LIMIT


def _ru_snils(value: str) -> bool:
    if not _SNILS.fullmatch(value):
        raise _format_error("SNILS", "11 digits")
    if int(value[:9]) <= _SNILS_LAST_UNCHECKED:
        return False
    if _snils_control(value[:9]) != int(value[9:]):
        raise _checksum_error("SNILS")
    return True


# --- Belarus ----------------------------------------------------------------------------

_UNP: Final = re.compile(r"(?:[1-7][0-9]|[ABCEHKM][ABCEHKMOPT])[0-9]{7}")
_UNP_WEIGHTS: Final = (29, 23, 19, 17, 13, 7, 5, 3)
_UNP_SECOND_LETTERS: Final = "ABCEHKMOPT"
_BY_PERSONAL: Final = re.compile(r"[1-6][0-9]{6}[ABCHKEM][0-9]{3}(?:PB|BA|BI)[0-9]")
_BY_PERSONAL_WEIGHTS: Final = (7, 3, 1)


def _by_unp(value: str) -> bool:
    if not _UNP.fullmatch(value):
        raise _format_error("UNP", "9 digits, or 2 region letters and 7 digits")
    # A letter in the first place counts as A=10 ... Z=35, in the second by its place in
    # ABCEHKMOPT; a remainder of 10 has no check digit, so no such number can be valid.
    values = [_ALPHANUMERIC.index(value[0]), _ALPHANUMERIC.index(value[1])]
    if value[1] in _UNP_SECOND_LETTERS:
        values[1] = _UNP_SECOND_LETTERS.index(value[1])
    values += [int(d) for d in value[2:8]]
    total = sum(v * w for v, w in zip(values, _UNP_WEIGHTS, strict=True)) % 11
    if total != int(value[8]):
        raise _checksum_error("UNP")
    return True


def _by_personal_number(value: str) -> bool:
    label = "personal number"
    if not _BY_PERSONAL.fullmatch(value):
        raise _format_error(label, "14 characters in the Belarusian personal number layout")
    year = _KZ_CENTURY[value[0]] + int(value[5:7])
    if not _is_real_date(year, int(value[3:5]), int(value[1:3])):
        raise _date_error(label)
    total = sum(
        _ALPHANUMERIC.index(c) * _BY_PERSONAL_WEIGHTS[i % 3] for i, c in enumerate(value[:13])
    )
    if total % 10 != int(value[13]):
        raise _checksum_error(label)
    return True


# --- Kyrgyzstan and Armenia -------------------------------------------------------------

_KG_PIN: Final = re.compile(r"[12][0-9]{13}")
_AM_PSN: Final = re.compile(r"[1-9][0-9]{9}")
_AM_TIN: Final = re.compile(r"[0-9]{8}")


def _kg_pin(value: str) -> bool:
    if not _KG_PIN.fullmatch(value):
        raise _format_error("PIN", "14 digits starting with 1 or 2")
    if not _is_real_date(int(value[5:9]), int(value[3:5]), int(value[1:3])):
        raise _date_error("PIN")
    return False


def _am_psn(value: str) -> bool:
    if not _AM_PSN.fullmatch(value):
        raise _format_error("public service number", "10 digits not starting with 0")
    return False


def _am_tin(value: str) -> bool:
    if not _AM_TIN.fullmatch(value):
        raise _format_error("TIN", "8 digits")
    return False


# --- Registry ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    """A validator that raises on failure and returns whether it verified a checksum."""

    check: Callable[[str], bool]
    description: str
    official: bool


_RULES: Final[dict[tuple[str, str], _Rule]] = {
    ("AM", "psn"): _Rule(
        _am_psn,
        "AM public service number: 10 digits, no leading 0 (structure only)",
        official=False,
    ),
    ("AM", "tin"): _Rule(_am_tin, "AM TIN: 8 digits (structure only)", official=True),
    ("BY", "personal_number"): _Rule(
        _by_personal_number,
        "BY personal number: 14 characters, birth date, 7-3-1 check digit (community-derived)",
        official=False,
    ),
    ("BY", "unp"): _Rule(
        _by_unp,
        "BY UNP: 9 characters, region digit or letters, weighted mod-11 check digit",
        official=True,
    ),
    ("KG", "pin"): _Rule(
        _kg_pin,
        "KG PIN: 14 digits, sex digit and birth date (structure only, unverified layout)",
        official=False,
    ),
    ("KZ", "bin"): _Rule(
        _kz_bin,
        "KZ BIN: 12 digits, registration month, entity type, mod-11 check digit (two passes)",
        official=True,
    ),
    ("KZ", "iin"): _Rule(
        _kz_iin,
        "KZ IIN: 12 digits, birth date, mod-11 check digit (two passes)",
        official=True,
    ),
    ("RU", "inn"): _Rule(
        _ru_inn,
        "RU INN: 10 or 12 digits, weighted mod-11 mod-10 check digits",
        official=True,
    ),
    ("RU", "ogrn"): _Rule(
        _ru_ogrn,
        "RU OGRN: 13 digits, check digit = first 12 digits mod 11 mod 10",
        official=True,
    ),
    ("RU", "ogrnip"): _Rule(
        _ru_ogrnip,
        "RU OGRNIP: 15 digits, check digit = first 14 digits mod 13 mod 10",
        official=True,
    ),
    ("RU", "snils"): _Rule(
        _ru_snils,
        "RU SNILS: 11 digits, mod-101 control number above 001-001-998",
        official=True,
    ),
}


def _normalise(value: str) -> str:
    if len(value) > _MAX_INPUT_LENGTH:
        raise InvalidIdentifier("This identifier is too long.", reason=FORMAT)
    return _SEPARATORS.sub("", value).upper().translate(_LOOK_ALIKES)


def validate(state: str, kind: str, value: str) -> IdentifierCheck:
    """Check a national identifier against the published rule of its state and kind.

    Spaces and hyphens are ignored, letters are compared in upper case and Cyrillic
    letters that look like Latin ones are read as Latin.

    Args:
        state: ISO 3166-1 alpha-2 code of the issuing state (``"KZ"``), any case.
        kind: the identifier kind (``"iin"``), any case; see :func:`kinds`.
        value: the identifier as entered, e.g. ``"112-233-445 95"``.

    Returns:
        The normalised identifier with a description of the rule that was applied.

    Raises:
        InvalidIdentifier: with reason ``identifier.unknown_kind`` for an unsupported
            (state, kind), ``identifier.format`` for a wrong length or layout,
            ``identifier.date`` for an impossible embedded date, ``identifier.checksum``
            for a wrong check digit and ``identifier.never_issued`` for a KZ number from
            a range that is never issued. Messages never contain the value.
    """
    key = (state.strip().upper(), kind.strip().lower())
    rule = _RULES.get(key)
    if rule is None:
        raise InvalidIdentifier(
            "This kind of identifier is not supported for this state.", reason=UNKNOWN_KIND
        )
    normalised = _normalise(value)
    verified = rule.check(normalised)
    return IdentifierCheck(
        state=key[0],
        kind=key[1],
        value=normalised,
        checksum_verified=verified,
        rule=rule.description,
        official=rule.official,
    )


def kinds(state: str | None = None) -> list[tuple[str, str]]:
    """List the supported (state, kind) pairs.

    Args:
        state: only list this state's kinds (any case); all states when ``None``.

    Returns:
        The (state, kind) pairs, sorted.
    """
    wanted = None if state is None else state.strip().upper()
    return sorted(key for key in _RULES if wanted in (None, key[0]))


def describe(state: str, kind: str) -> str:
    """Return the one-line description of the rule for (state, kind).

    Raises:
        InvalidIdentifier: with reason ``identifier.unknown_kind`` for an unsupported pair.
    """
    rule = _RULES.get((state.strip().upper(), kind.strip().lower()))
    if rule is None:
        raise InvalidIdentifier(
            "This kind of identifier is not supported for this state.", reason=UNKNOWN_KIND
        )
    return rule.description
