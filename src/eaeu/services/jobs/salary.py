"""Pay: indicative rates, monthly equivalents and the rules a stated salary must meet.

Vacancies state pay as written by their source — a minimum, a maximum or both, in any
currency, per month, hour, day or year. To filter and sort ads of five states together, each
vacancy also carries ``salary_ref``: its minimum as a monthly amount in roubles at the dated
indicative rates :data:`RATES_TO_RUB` (hours and days converted with a typical month). That
figure is for comparison only and is never shown as what anyone is paid.

:func:`salary_problems` is the pay part of :func:`~eaeu.services.jobs.model.check_vacancy`:
pay must be stated, positive, a range that means something, in a known currency and, once
converted, plausible for a month's work.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

SALARY_PERIODS: Final = ("month", "hour", "day", "year")

#: Indicative exchange rates to the Russian rouble, for filtering and sorting by pay only
#: (never shown as an amount anyone is paid). Central bank rates of the date below, rounded.
RATES_DATE: Final = date(2025, 11, 3)
RATES_TO_RUB: Final = {
    "RUB": Decimal(1),
    "KZT": Decimal("0.155"),
    "BYN": Decimal("23.8"),
    "AMD": Decimal("0.21"),
    "KGS": Decimal("0.93"),
    "USD": Decimal("81.0"),
    "EUR": Decimal("94.0"),
    "CNY": Decimal("11.4"),
}
#: Working hours and days in a month, for comparing hourly and daily pay with monthly.
_HOURS_PER_MONTH: Final = 165
_DAYS_PER_MONTH: Final = 21
#: Monthly pay outside this range (in roubles) is nonsense: a typing error or a bait ad.
MIN_MONTHLY_RUB: Final = 3_000
MAX_MONTHLY_RUB: Final = 5_000_000
#: A range whose top is more than this many times its bottom says nothing.
MAX_SALARY_SPREAD: Final = 5

# -- the problems, in the words an employer reads (the pages translate them) -------------
SALARY_MISSING: Final = "State the pay: at least the minimum or the maximum."
SALARY_ZERO: Final = "Pay must be more than zero."
SALARY_ORDER: Final = "The minimum pay is higher than the maximum."
SALARY_SPREAD: Final = "The pay range is too wide to mean anything; give a narrower one."
SALARY_IMPLAUSIBLE: Final = "This pay is not plausible for the period; check the amount."
CURRENCY_UNKNOWN: Final = "Pay is stated in a currency this platform does not know."


def monthly(amount: int, period: str) -> Decimal:
    """``amount`` per ``period`` as an amount per month (for comparison only)."""
    factor = {
        "month": Decimal(1),
        "hour": Decimal(_HOURS_PER_MONTH),
        "day": Decimal(_DAYS_PER_MONTH),
        "year": Decimal(1) / Decimal(12),
    }[period]
    return Decimal(amount) * factor


def salary_ref(amount: int | None, currency: str, period: str) -> int | None:
    """The monthly equivalent of ``amount`` in roubles at :data:`RATES_TO_RUB`, if known."""
    rate = RATES_TO_RUB.get(currency)
    if amount is None or rate is None or period not in SALARY_PERIODS:
        return None
    return int(monthly(amount, period) * rate)


def salary_problems(  # noqa: C901, PLR0911 - one rule each
    low: int | None, high: int | None, currency: str, period: str
) -> dict[str, str]:
    """The first problem of a stated pay, by field (empty if there is none).

    An unknown ``period`` is not a pay problem: the vacancy's checks of its fields' choices
    report it.
    """
    if low is None and high is None:
        return {"salary": SALARY_MISSING}
    if (low is not None and low <= 0) or (high is not None and high <= 0):
        return {"salary": SALARY_ZERO}
    if low is not None and high is not None:
        if low > high:
            return {"salary": SALARY_ORDER}
        if high > low * MAX_SALARY_SPREAD:
            return {"salary": SALARY_SPREAD}
    if currency not in RATES_TO_RUB:
        return {"currency": CURRENCY_UNKNOWN}
    if period not in SALARY_PERIODS:
        return {}
    for amount in (low, high):
        if amount is None:
            continue
        roubles = monthly(amount, period) * RATES_TO_RUB[currency]
        if not MIN_MONTHLY_RUB <= roubles <= MAX_MONTHLY_RUB:
            return {"salary": SALARY_IMPLAUSIBLE}
    return {}


__all__ = [
    "CURRENCY_UNKNOWN",
    "MAX_MONTHLY_RUB",
    "MAX_SALARY_SPREAD",
    "MIN_MONTHLY_RUB",
    "RATES_DATE",
    "RATES_TO_RUB",
    "SALARY_IMPLAUSIBLE",
    "SALARY_MISSING",
    "SALARY_ORDER",
    "SALARY_PERIODS",
    "SALARY_SPREAD",
    "SALARY_ZERO",
    "monthly",
    "salary_problems",
    "salary_ref",
]
