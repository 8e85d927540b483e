r"""The EU DCC JSON schema 1.3, compiled by hand into a fast validator.

Pinned from ``ehn-dcc-development/eu-dcc-schema`` (``DCC.combined-schema.json``, release
1.3.2 semantics) instead of loading the schema at run time: verification must not fetch
anything, and a general JSON-schema engine costs more than the signature check it follows.
What the schema says and this module checks:

* top level: an object with ``ver`` (``^\d+.\d+.\d+$``), ``nam``, ``dob`` and exactly one
  of ``v``, ``t``, ``r`` (the schema's ``oneOf``), each an array of exactly one entry;
* ``nam``: ``fn``, ``gn``, ``fnt``, ``gnt`` strings of at most 80 characters, the
  transliterated ones matching ``^[A-Z<]*$``; at least one of ``fnt``, ``gnt`` (1.3.2);
* ``dob``: ``^((19|20)\d\d(-\d\d){0,2}){0,1}$`` (full date, year-month, year, or empty);
* entries: their ``required`` members with their types (value-set codes are strings, dose
  numbers positive integers), strings of at most 80 characters (``is``, ``ci``, ``nm``,
  ``tc``), ``co`` matching the schema's (unanchored) ``[A-Z]{1,10}``, and the ``date``
  (``dt``, ``fr``, ``df``, ``du``) and ``date-time`` (``sc``, RFC 3339) formats, which a
  verifier needs to read the dates it checks. JSON Schema 2020-12 treats ``format`` as an
  annotation, so this is stricter than a default validator; a date field holding a full
  RFC 3339 date-time is accepted, as issuers in the field write them.

Members the schema does not name (``dr`` of schema 1.0, national extensions) are allowed,
as in the schema. Value-set membership is left to the business rules, as in the DCC
architecture. Error messages name the field's path, never its value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Final

from eaeu.services.travel.errors import SchemaViolation

SCHEMA_VERSION: Final = "1.3.2"
MAX_STRING: Final = 80
#: The certificate groups of a DCC: vaccination, test, recovery.
GROUPS: Final = ("v", "t", "r")

_VER = re.compile(r"[0-9]+.[0-9]+.[0-9]+", re.ASCII)
_DOB = re.compile(r"(?:(?:19|20)[0-9][0-9](?:-[0-9][0-9]){0,2})?", re.ASCII)
_TRANSLITERATED = re.compile(r"[A-Z<]*", re.ASCII)
_COUNTRY = re.compile(r"[A-Z]{1,10}", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)

_DATE_LENGTH: Final = 10
#: A check returns ``None`` for a good value, else what is wrong. Paths are only built for
#: a failure: formatting one per field would cost more than the checks.
_Check = Callable[[Any], "str | None"]


def _fail(path: str, message: str) -> SchemaViolation:
    return SchemaViolation(message, path=path)


def _string(value: Any) -> str | None:
    return None if type(value) is str else "must be a string"


def _bounded(value: Any) -> str | None:
    if type(value) is not str:
        return "must be a string"
    return None if len(value) <= MAX_STRING else f"must be at most {MAX_STRING} characters"


def _country(value: Any) -> str | None:
    return None if type(value) is str and _COUNTRY.search(value) else "must be a country code"


def _positive(value: Any) -> str | None:
    return None if type(value) is int and value >= 1 else "must be a positive integer"


def _date_time(value: Any) -> str | None:
    if type(value) is not str or not _DATE_TIME.fullmatch(value):
        return "must be an RFC 3339 date-time"
    try:
        datetime.fromisoformat(value.upper())
    except ValueError:
        return "must be a calendar date-time"
    return None


def _date(value: Any) -> str | None:
    # Some issuers write a full RFC 3339 date-time where the schema asks for a date (EU DCC
    # test corpus SG/4); its date is unambiguous, so it is read, not refused.
    if type(value) is str and len(value) > _DATE_LENGTH:
        return _date_time(value)
    if type(value) is not str or not _DATE.fullmatch(value):
        return "must be a date (YYYY-MM-DD)"
    try:
        date.fromisoformat(value)
    except ValueError:
        return "must be a calendar date"
    return None


def _transliterated(value: Any) -> str | None:
    problem = _bounded(value)
    if problem is None and not _TRANSLITERATED.fullmatch(value):
        problem = "must hold only A-Z and '<'"
    return problem


# Each entry: member → check, for members that are required; optional members are checked
# when present. The tables are the schema's $defs, compiled.
_VACCINATION_REQUIRED: Final[dict[str, _Check]] = {
    "tg": _string,
    "vp": _string,
    "mp": _string,
    "ma": _string,
    "dn": _positive,
    "sd": _positive,
    "dt": _date,
    "co": _country,
    "is": _bounded,
    "ci": _bounded,
}
_TEST_REQUIRED: Final[dict[str, _Check]] = {
    "tg": _string,
    "tt": _string,
    "sc": _date_time,
    "tr": _string,
    "co": _country,
    "is": _bounded,
    "ci": _bounded,
}
_TEST_OPTIONAL: Final[dict[str, _Check]] = {"nm": _bounded, "ma": _string, "tc": _bounded}
_RECOVERY_REQUIRED: Final[dict[str, _Check]] = {
    "tg": _string,
    "fr": _date,
    "co": _country,
    "is": _bounded,
    "df": _date,
    "du": _date,
    "ci": _bounded,
}
_NAME: Final[dict[str, _Check]] = {
    "fn": _bounded,
    "gn": _bounded,
    "fnt": _transliterated,
    "gnt": _transliterated,
}
_ENTRIES: Final[dict[str, tuple[dict[str, _Check], dict[str, _Check]]]] = {
    "v": (_VACCINATION_REQUIRED, {}),
    "t": (_TEST_REQUIRED, _TEST_OPTIONAL),
    "r": (_RECOVERY_REQUIRED, {}),
}


def _check_members(
    members: dict[str, Any], path: str, required: dict[str, _Check], optional: dict[str, _Check]
) -> None:
    for key, check in required.items():
        if key not in members:
            raise _fail(f"{path}/{key}", "is required")
        problem = check(members[key])
        if problem is not None:
            raise _fail(f"{path}/{key}", problem)
    for key, check in optional.items():
        if key in members:
            problem = check(members[key])
            if problem is not None:
                raise _fail(f"{path}/{key}", problem)


def group_of(dcc: Mapping[str, Any]) -> str:
    """Return the one certificate group (``v``, ``t`` or ``r``) the DCC carries.

    Raises:
        SchemaViolation: the DCC carries none or several.
    """
    present = [group for group in GROUPS if group in dcc]
    if len(present) != 1:
        raise _fail("", "must hold exactly one of v, t, r")
    return present[0]


def validate(dcc: Any) -> str:
    """Check ``dcc`` (a decoded ``-260/1`` payload) against the DCC schema.

    Args:
        dcc: the payload as decoded from CBOR (tag-0 date-times already turned to text).

    Returns:
        The certificate group it carries: ``v``, ``t`` or ``r``.

    Raises:
        SchemaViolation: the first violation found; ``path`` names the field.
    """
    if type(dcc) is not dict:
        raise _fail("", "must be an object")
    for key in ("ver", "nam", "dob"):
        if key not in dcc:
            raise _fail(key, "is required")
    ver = dcc["ver"]
    if type(ver) is not str or not _VER.fullmatch(ver):
        raise _fail("ver", "must be a semantic version")
    nam = dcc["nam"]
    if type(nam) is not dict:
        raise _fail("nam", "must be an object")
    _check_members(nam, "nam", {}, _NAME)
    if "fnt" not in nam and "gnt" not in nam:
        raise _fail("nam", "needs fnt or gnt")
    dob = dcc["dob"]
    if type(dob) is not str or not _DOB.fullmatch(dob):
        raise _fail("dob", "must be a date of birth (YYYY-MM-DD, YYYY-MM, YYYY or empty)")
    group = group_of(dcc)
    entries = dcc[group]
    if type(entries) is not list or len(entries) != 1:
        raise _fail(group, "must be an array of exactly one entry")
    entry = entries[0]
    if type(entry) is not dict:
        raise _fail(f"{group}/0", "must be an object")
    _check_members(entry, f"{group}/0", *_ENTRIES[group])
    return group


__all__ = ["GROUPS", "MAX_STRING", "SCHEMA_VERSION", "group_of", "validate"]
