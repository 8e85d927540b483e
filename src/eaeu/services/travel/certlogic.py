"""CertLogic: the JsonLogic dialect of the EU DCC business rules, compiled to closures.

Implements the CertLogic specification 1.3.2 (``ehn-dcc-development/eu-dcc-business-rules``,
``certlogic/specification/README.md``): ``var``, ``if``, ``===``, ``and``, ``<``, ``>``,
``<=``, ``>=``, ``in``, ``+``, ``!``, the date-time comparisons ``after``, ``before``,
``not-after`` and ``not-before``, ``plusTime``, ``reduce``, ``extractFromUVCI`` and
``dccDateOfBirth``. Nothing else: JsonLogic operations outside the dialect (``==``, ``!==``,
``or``, ``map``, ``var`` with a default …) are invalid expressions.

An expression is validated in full (:func:`validate`) and then compiled once into nested
Python closures (:func:`compile_expression`); evaluating a compiled expression walks no
JSON. Evaluation either returns a JSON-like value (a date-time is a timezone-aware UTC
:class:`~datetime.datetime`) or raises :class:`EvaluationError` — a type mismatch the
specification calls an error, such as comparing a string with ``<``. The caller decides
what an error means; for a validation rule it means the rule is not satisfied.

Error tree::

    PlatformError
     └── TravelError
          └── CertLogicError            certlogic.error
               ├── InvalidExpression    certlogic.invalid_expression (carries the issues)
               └── EvaluationError      certlogic.evaluation
"""

from __future__ import annotations

import calendar
import functools
import operator as operator_module
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final, TypeAlias

from eaeu.services.travel.errors import TravelError

__all__ = [
    "SPEC_VERSION",
    "TIME_UNITS",
    "CertLogicError",
    "EvaluationError",
    "Evaluator",
    "ExpressionIssue",
    "InvalidExpression",
    "boolsiness",
    "compile_expression",
    "dcc_date_of_birth",
    "evaluate",
    "extract_from_uvci",
    "is_falsy",
    "is_truthy",
    "parse_date_time",
    "plus_time",
    "validate",
]

SPEC_VERSION: Final = "1.3.2"
"""The version of the CertLogic specification this module implements."""

TIME_UNITS: Final = ("year", "month", "day", "hour")
"""The time units ``plusTime`` accepts."""

Evaluator: TypeAlias = Callable[[Any], Any]
"""A compiled expression: takes the data context, returns the value."""


class CertLogicError(TravelError):
    """Base class of CertLogic errors."""

    reason = "certlogic.error"


class InvalidExpression(CertLogicError):
    """An expression that is not valid CertLogic; ``issues`` lists every problem found.

    Args:
        issues: the problems, in document order.
    """

    reason = "certlogic.invalid_expression"

    def __init__(self, issues: Sequence[ExpressionIssue]) -> None:
        self.issues = tuple(issues)
        first = self.issues[0]
        more = f" (and {len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        super().__init__(
            f"invalid CertLogic expression at {first.path or '/'}: {first.message}{more}"
        )


class EvaluationError(CertLogicError):
    """A valid expression met data it cannot work on (a type mismatch, a malformed date)."""

    reason = "certlogic.evaluation"


@dataclass(frozen=True, slots=True)
class ExpressionIssue:
    """One problem found by :func:`validate`.

    Attributes:
        path: where, as a JSON pointer into the expression (``/and/1/plusTime/2``).
        message: what is wrong, in English.
        expr: the offending (sub-)expression.
    """

    path: str
    message: str
    expr: Any = None


# --------------------------------------------------------------------------- values


def boolsiness(value: Any) -> bool | None:
    """Tell whether ``value`` is truthy (``True``), falsy (``False``) or neither (``None``).

    CertLogic's notion is narrower than Python's or JavaScript's: falsy are ``false``,
    ``null``, ``""``, ``0``, ``[]`` and ``{}``; truthy are ``true``, non-empty strings,
    non-zero numbers, non-empty arrays and non-empty objects; everything else — a
    date-time, for one — is neither, and using it as a condition is an error.
    """
    if value is True:
        return True
    if value is False or value is None:
        return False
    kind = type(value)
    if kind is str or kind is list or kind is dict:
        return len(value) > 0
    if kind is int or kind is float:
        return bool(value != 0)
    if isinstance(value, Mapping | list | tuple):
        return len(value) > 0
    return None


def is_truthy(value: Any) -> bool:
    """Tell whether ``value`` is truthy in CertLogic's sense (see :func:`boolsiness`)."""
    return boolsiness(value) is True


def is_falsy(value: Any) -> bool:
    """Tell whether ``value`` is falsy in CertLogic's sense (see :func:`boolsiness`)."""
    return boolsiness(value) is False


def _is_int(value: Any) -> bool:
    # JSON has one number type; an integral float (2.0) is an integer, as in JavaScript.
    kind = type(value)
    return kind is int or (kind is float and value.is_integer())


def _strict_equals(left: Any, right: Any) -> bool:
    """JavaScript's ``===`` on JSON values: no coercion, objects equal only to themselves."""
    left_kind, right_kind = type(left), type(right)
    if left_kind is str or right_kind is str:
        return left_kind is right_kind and bool(left == right)
    if left is None or right is None or left_kind is bool or right_kind is bool:
        return left is right
    if left_kind in (int, float) and right_kind in (int, float):
        return bool(left == right)
    # Arrays and objects compare by identity in JavaScript; date-times are fresh objects
    # from every plusTime, so two of them are never ===.
    return left_kind is not datetime and left is right


# ---------------------------------------------------------------- dates and UVCIs

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_PARTIAL_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?")
_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?"
    r"(Z|([+-])([0-9]{1,2}):?([0-9]{2})?)?"
)


def _midnight(year: str, month: str, day: str) -> datetime:
    return datetime(int(year), int(month), int(day), tzinfo=UTC)


def _last_day(year: int, month: int) -> datetime:
    if not 1 <= month <= 12:  # noqa: PLR2004 - the months of the year
        raise ValueError(month)
    return datetime(year, month, calendar.monthrange(year, month)[1], tzinfo=UTC)


@functools.lru_cache(maxsize=4096)
def parse_date_time(text: str) -> datetime:
    """Parse a CertLogic date or date-time string into an aware UTC datetime.

    Accepts ``YYYY``, ``YYYY-MM`` (read as :func:`dcc_date_of_birth` reads them),
    ``YYYY-MM-DD`` and ``YYYY-MM-DDThh:mm:ss[.S…][Z|±h|±hh|±hmm|±hhmm|±h:mm|±hh:mm]``.
    A missing offset means UTC; fractions are truncated to milliseconds.

    Args:
        text: the string.

    Returns:
        The instant, in UTC.

    Raises:
        EvaluationError: the string is in none of the formats or names no real date.
    """
    try:
        match = _DATE_TIME.fullmatch(text)
        if match is not None:
            year, month, day, hour, minute, second, fraction, zone, sign, off_h, off_m = (
                match.groups()
            )
            if fraction is None and (zone is None or zone == "Z"):
                # The common shape (…T12:00:00Z): the C parser, on a string the pattern
                # has already confined to what the specification allows.
                parsed = datetime.fromisoformat(text)
                return parsed if zone else parsed.replace(tzinfo=UTC)
            millis = int((fraction or "0")[:3].ljust(3, "0"))
            offset = UTC
            if zone is not None and zone != "Z":
                delta = timedelta(hours=int(off_h), minutes=int(off_m or "0"))
                offset = timezone(-delta if sign == "-" else delta)
            local = datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second),
                millis * 1000, tzinfo=offset,
            )  # fmt: skip
            return local.astimezone(UTC)
        match = _DATE.fullmatch(text)
        if match is not None:
            return _midnight(*match.groups())
        match = _PARTIAL_DATE.fullmatch(text)
        if match is not None:
            # Partial dates read as dccDateOfBirth reads them (specification 1.3.2).
            year, month = match.groups()
            return _last_day(int(year), int(month) if month is not None else 12)
    except (ValueError, OverflowError) as exc:
        raise EvaluationError("not an allowed date or date-time format") from exc
    raise EvaluationError("not an allowed date or date-time format")


def _add_months(moment: datetime, months: int) -> datetime:
    # JavaScript's setUTCMonth/setUTCFullYear keep the day of the month and let it
    # overflow into the next month (2021-01-31 + 1 month = 2021-03-03), which the
    # specification adopts: 2020-02-29 + 1 year = 2021-03-01.
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    first = moment.replace(year=year, month=month + 1, day=1)
    return first + timedelta(days=moment.day - 1)


@functools.lru_cache(maxsize=8192)
def plus_time(text: str, amount: int, unit: str) -> datetime:
    """Parse a date(-time) string and add ``amount`` of ``unit`` in UTC (``plusTime``).

    Day and hour arithmetic is exact (no daylight saving, no leap seconds); month and year
    arithmetic keeps the day of the month and lets it overflow, as JavaScript's ``Date``
    does: ``2020-02-29`` + 1 month is ``2020-03-29``, + 1 year is ``2021-03-01``.

    Args:
        text: a date or date-time in a format :func:`parse_date_time` accepts.
        amount: how many units to add; may be negative.
        unit: one of :data:`TIME_UNITS`.

    Returns:
        The resulting instant, in UTC.

    Raises:
        EvaluationError: the string cannot be parsed, or the result leaves years 1 to 9999.
    """
    if unit not in TIME_UNITS:
        raise EvaluationError(f"unknown time unit {unit!r}")
    moment = parse_date_time(text)
    try:
        if amount == 0:
            return moment
        if unit == "hour":
            return moment + timedelta(hours=amount)
        if unit == "day":
            return moment + timedelta(days=amount)
        if unit == "month":
            return _add_months(moment, amount)
        return _add_months(moment, 12 * amount)
    except (ValueError, OverflowError) as exc:
        raise EvaluationError("date-time out of range") from exc


def dcc_date_of_birth(text: str) -> datetime:
    """Read a DCC date of birth as the last instant-midnight consistent with it.

    ``YYYY`` becomes ``YYYY-12-31``, ``YYYY-MM`` the last day of that month, and
    ``YYYY-MM-DD`` that day — all at ``00:00:00.000Z``.

    Args:
        text: the ``dob`` field.

    Returns:
        Midnight UTC of the date.

    Raises:
        EvaluationError: the string is not one of the three forms or names no real date.
    """
    try:
        match = _PARTIAL_DATE.fullmatch(text)
        if match is not None:
            year, month = match.groups()
            return _last_day(int(year), int(month) if month is not None else 12)
        match = _DATE.fullmatch(text)
        if match is not None:
            return _midnight(*match.groups())
    except (ValueError, OverflowError) as exc:
        raise EvaluationError("not a DCC date of birth") from exc
    raise EvaluationError("not a DCC date of birth")


_UVCI_PREFIX: Final = "URN:UVCI:"
_UVCI_SEPARATORS = re.compile(r"[/#:]")


def extract_from_uvci(uvci: str | None, index: int) -> str | None:
    """Return fragment ``index`` of a UVCI split on ``/``, ``#`` and ``:`` (``extractFromUVCI``).

    The optional ``URN:UVCI:`` prefix is dropped first; the UVCI is not checked against
    the UVCI format, by design of the specification.

    Args:
        uvci: the identifier, or ``None``.
        index: 0-based fragment number.

    Returns:
        The fragment, or ``None`` if ``uvci`` is ``None`` or has no such fragment.
    """
    if uvci is None or index < 0:
        return None
    fragments = _UVCI_SEPARATORS.split(uvci.removeprefix(_UVCI_PREFIX))
    return fragments[index] if index < len(fragments) else None


# ---------------------------------------------------------------------- validation

_DATE_COMPARISONS: Final = frozenset({"after", "before", "not-after", "not-before"})
_VAR_PATH = re.compile(r"[^.]+(?:\.[^.]+)*")
_ARITY: Final[dict[str, tuple[int, int | None]]] = {
    "if": (3, 3),
    "reduce": (3, 3),
    "plusTime": (3, 3),
    "===": (2, 2),
    "in": (2, 2),
    "+": (2, 2),
    "extractFromUVCI": (2, 2),
    "!": (1, 1),
    "dccDateOfBirth": (1, 1),
    "and": (2, None),
    **dict.fromkeys(("<", ">", "<=", ">=", "after", "before", "not-after", "not-before"), (2, 3)),
}


def _pointer(path: str, token: str | int) -> str:
    return f"{path}/{str(token).replace('~', '~0').replace('/', '~1')}"


def validate(expr: Any) -> list[ExpressionIssue]:
    """List every reason why ``expr`` is not a valid CertLogic expression.

    Checks what can be checked without data: known operations only, the number of
    operands of each, literal-only operands (``plusTime`` amount and unit,
    ``extractFromUVCI`` index), ``var`` paths, and literals (no ``null``, no fractional
    numbers, no object literals).

    Args:
        expr: the parsed JSON of the expression.

    Returns:
        The problems, in document order; empty when the expression is valid.
    """
    issues: list[ExpressionIssue] = []
    _validate(expr, "", issues)
    return issues


def _validate(expr: Any, path: str, issues: list[ExpressionIssue]) -> None:  # noqa: C901, PLR0911, PLR0912 - one case per JSON kind and operator
    def issue(message: str) -> None:
        issues.append(ExpressionIssue(path, message, expr))

    if isinstance(expr, str) or _is_int(expr) or isinstance(expr, bool):
        return
    if isinstance(expr, int | float):
        issue(f"{expr!r} is a non-integer number")
        return
    if isinstance(expr, list):
        for index, item in enumerate(expr):
            _validate(item, _pointer(path, index), issues)
        return
    if not isinstance(expr, dict):
        issue("invalid CertLogic expression")
        return
    if len(expr) != 1:
        issue(f"expression object must have exactly one key, but it has {len(expr)}")
        return
    ((operator, operands),) = expr.items()
    here = _pointer(path, operator)
    if operator == "var":
        if not isinstance(operands, str):
            issue('not of the form { "var": "<path>" }')
        elif operands and _VAR_PATH.fullmatch(operands) is None:
            issue(f"data access path doesn't have a valid format: {operands}")
        return
    if not isinstance(operands, list):
        issue('operation not of the form { "<operator>": [ <values...> ] }')
        return
    count = len(operands)
    if operator not in _ARITY:
        issue(f'unrecognised operator: "{operator}"')
        return
    least, most = _ARITY[operator]
    if count < least or (most is not None and count > most):
        expected = (
            f"at least {least}"
            if most is None
            else f"{least}"
            if least == most
            else f"{least} or {most}"
        )
        issue(f"{operator!r} takes {expected} operand(s), not {count}")

    def operand(index: int) -> None:
        if index < count:
            _validate(operands[index], _pointer(here, index), issues)

    if operator == "plusTime":
        operand(0)
        if count > 1 and not _is_int(operands[1]):
            issue("the amount (operand 2) of 'plusTime' must be an integer literal")
        if count > 2 and operands[2] not in TIME_UNITS:  # noqa: PLR2004 - operand 3
            issue(f"the unit (operand 3) of 'plusTime' must be one of {', '.join(TIME_UNITS)}")
    elif operator == "extractFromUVCI":
        operand(0)
        if count > 1 and not _is_int(operands[1]):
            issue("the index (operand 2) of 'extractFromUVCI' must be an integer literal")
    else:
        for index in range(count):
            operand(index)


# ----------------------------------------------------------------------- compiling


def compile_expression(expr: Any) -> Evaluator:
    """Validate ``expr`` and compile it into a function of the data context.

    Compile each rule once and keep the result: the function walks no JSON.

    Args:
        expr: the parsed JSON of the expression.

    Returns:
        A function that takes the data context and returns the value of the expression;
        it raises :class:`EvaluationError` where the specification calls for an error.

    Raises:
        InvalidExpression: ``expr`` is not valid CertLogic.
    """
    issues = validate(expr)
    if issues:
        raise InvalidExpression(issues)
    return _compile(expr)


def evaluate(expr: Any, data: Any) -> Any:
    """Validate, compile and evaluate ``expr`` on ``data`` in one go.

    A convenience for one-off evaluations; for repeated use, keep the function from
    :func:`compile_expression`.

    Args:
        expr: the parsed JSON of the expression.
        data: the data context.

    Returns:
        The value of the expression.

    Raises:
        InvalidExpression: ``expr`` is not valid CertLogic.
        EvaluationError: the data does not fit the operations.
    """
    return compile_expression(expr)(data)


def _constant(value: Any) -> Evaluator:
    return lambda _data: value


def _compile(expr: Any) -> Evaluator:  # noqa: C901, PLR0911, PLR0912 - one case per operator
    if isinstance(expr, list):
        items = [_compile(item) for item in expr]
        return lambda data: [item(data) for item in items]
    if not isinstance(expr, dict):
        return _constant(expr)
    ((operator, operands),) = expr.items()
    if operator == "var":
        return _compile_var(operands)
    if operator == "plusTime":
        return _compile_plus_time(_compile(operands[0]), int(operands[1]), operands[2])
    if operator == "extractFromUVCI":
        return _compile_extract(_compile(operands[0]), int(operands[1]))
    compiled = [_compile(operand) for operand in operands]
    if operator == "if":
        return _compile_if(*compiled)
    if operator == "and":
        return _compile_and(compiled)
    if operator == "!":
        return _compile_not(compiled[0])
    if operator == "===":
        return _compile_equals(compiled, operands)
    if operator == "in":
        return _compile_in(compiled[0], compiled[1], operands[1])
    if operator == "+":
        return _compile_plus(*compiled)
    if operator == "reduce":
        return _compile_reduce(*compiled)
    if operator == "dccDateOfBirth":
        return _compile_dob(compiled[0])
    return _compile_comparison(operator, compiled)


def _compile_var(path: str) -> Evaluator:  # noqa: C901 - one flat loop: the hottest path
    if path == "":
        return lambda data: data
    steps = tuple(
        (fragment, int(fragment) if fragment.isascii() and fragment.isdigit() else None)
        for fragment in path.split(".")
    )

    def access(data: Any) -> Any:
        value = data
        for key, index in steps:
            kind = type(value)
            if kind is dict:
                value = value.get(key)
            elif kind is list:
                if index is None or index >= len(value):
                    return None
                value = value[index]
            elif isinstance(value, Mapping):
                value = value.get(key)
            elif isinstance(value, tuple):
                if index is None or index >= len(value):
                    return None
                value = value[index]
            else:
                # null, and drilling into a string, number or date-time, give null.
                return None
        return value

    if len(steps) == 1 and steps[0][1] is None:
        key = steps[0][0]

        def access_one(data: Any) -> Any:
            if type(data) is dict:
                return data.get(key)
            return access(data)

        return access_one
    return access


def _compile_if(guard: Evaluator, then: Evaluator, otherwise: Evaluator) -> Evaluator:
    def if_(data: Any) -> Any:
        value = guard(data)
        # Booleans and null first: they are what guards almost always give.
        if value is True:
            return then(data)
        if value is False or value is None:
            return otherwise(data)
        condition = boolsiness(value)
        if condition is None:
            raise EvaluationError("the guard of 'if' is neither truthy nor falsy")
        return then(data) if condition else otherwise(data)

    return if_


def _compile_and(operands: list[Evaluator]) -> Evaluator:
    *leading, last = operands

    def and_(data: Any) -> Any:
        # Lazy, in order: the first falsy operand is the value, else the last operand.
        for operand in leading:
            value = operand(data)
            truth = boolsiness(value)
            if truth is None:
                raise EvaluationError("an operand of 'and' is neither truthy nor falsy")
            if not truth:
                return value
        return last(data)

    return and_


def _compile_not(operand: Evaluator) -> Evaluator:
    def not_(data: Any) -> bool:
        truth = boolsiness(operand(data))
        if truth is None:
            raise EvaluationError("the operand of '!' is neither truthy nor falsy")
        return not truth

    return not_


def _compile_equals(compiled: list[Evaluator], operands: list[Any]) -> Evaluator:
    left, right = compiled
    for expression, literal in ((left, operands[1]), (right, operands[0])):
        if isinstance(literal, str):
            # Comparing with a string literal (a code): equal only to an equal string.
            def equals_string(data: Any, side: Evaluator = expression, text: str = literal) -> bool:
                value = side(data)
                return type(value) is str and value == text

            return equals_string
    return lambda data: _strict_equals(left(data), right(data))


def _compile_in(needle: Evaluator, haystack: Evaluator, source: Any) -> Evaluator:
    if isinstance(source, list) and source and all(isinstance(item, str) for item in source):
        # A literal list of strings (the common case: allowed codes) becomes a set.
        members = frozenset(source)

        def in_literal(data: Any) -> bool:
            value = needle(data)
            return type(value) is str and value in members

        return in_literal

    def in_(data: Any) -> bool:
        value = needle(data)
        items = haystack(data)
        if not isinstance(items, list | tuple):
            raise EvaluationError("the right-hand side of 'in' must be an array")
        if type(value) is str:
            # list.__contains__ uses ==, and a str equals only a str: exact.
            return value in items
        return any(_strict_equals(value, item) for item in items)

    return in_


def _compile_plus(left: Evaluator, right: Evaluator) -> Evaluator:
    def plus(data: Any) -> Any:
        a, b = left(data), right(data)
        if not (_is_int(a) and _is_int(b)):
            raise EvaluationError("the operands of '+' must be integers")
        return a + b

    return plus


_ORDER_TESTS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator_module.lt,
    ">": operator_module.gt,
    "<=": operator_module.le,
    ">=": operator_module.ge,
    "before": operator_module.lt,
    "after": operator_module.gt,
    "not-after": operator_module.le,
    "not-before": operator_module.ge,
}


def _compile_comparison(operator: str, operands: list[Evaluator]) -> Evaluator:
    test = _ORDER_TESTS[operator]
    kind: type
    if operator in _DATE_COMPARISONS:
        kind, message = datetime, f"the operands of {operator!r} must be date-times"

        def ok(value: Any) -> bool:
            return type(value) is datetime
    else:
        kind, message = int, f"the operands of {operator!r} must be integers"
        ok = _is_int

    if len(operands) == 2:  # noqa: PLR2004 - binary form
        left, right = operands

        def binary(data: Any) -> bool:
            a, b = left(data), right(data)
            if (type(a) is kind and type(b) is kind) or (ok(a) and ok(b)):
                return test(a, b)
            raise EvaluationError(message)

        return binary
    first, second, third = operands

    def between(data: Any) -> bool:
        a, b, c = first(data), second(data), third(data)
        if (type(a) is kind and type(b) is kind and type(c) is kind) or (ok(a) and ok(b) and ok(c)):
            return test(a, b) and test(b, c)
        raise EvaluationError(message)

    return between


def _compile_plus_time(operand: Evaluator, amount: int, unit: str) -> Evaluator:
    def plus_time_(data: Any) -> datetime:
        text = operand(data)
        if type(text) is not str:
            raise EvaluationError("the date-time operand of 'plusTime' must be a string")
        return plus_time(text, amount, unit)

    return plus_time_


def _compile_reduce(operand: Evaluator, step: Evaluator, initial: Evaluator) -> Evaluator:
    def reduce_(data: Any) -> Any:
        items = operand(data)
        if items is None:
            return initial(data)
        if not isinstance(items, list | tuple):
            raise EvaluationError("the operand of 'reduce' must be an array or null")
        accumulator = initial(data)
        for current in items:
            accumulator = step({"accumulator": accumulator, "current": current})
        return accumulator

    return reduce_


def _compile_extract(operand: Evaluator, index: int) -> Evaluator:
    def extract(data: Any) -> str | None:
        uvci = operand(data)
        if uvci is not None and type(uvci) is not str:
            raise EvaluationError("the operand of 'extractFromUVCI' must be a string or null")
        return extract_from_uvci(uvci, index)

    return extract


def _compile_dob(operand: Evaluator) -> Evaluator:
    def dob(data: Any) -> datetime:
        text = operand(data)
        if type(text) is not str:
            raise EvaluationError("the operand of 'dccDateOfBirth' must be a string")
        return dcc_date_of_birth(text)

    return dob
