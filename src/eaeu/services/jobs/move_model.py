"""Value objects of the move: the person moving, their minimum data, dates and authorities.

What crosses a border for insurance, housing and the pre-arrival notice is the same minimum
set (:class:`MinimumData`): names in Latin letters as in the passport, date of birth and
citizenship — never the national identifier, the address at home or the e-mail.
"""

# Names of authorities in Russian are data of this module.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from eaeu.kernel.states import MEMBER_STATES

#: Categories of the consent that covers the minimum data (see ``eaeu.consent.model``).
CATEGORIES: Final = ("identity",)
#: The longest stay or policy term the platform books at once.
MAX_MONTHS: Final = 24
_LATIN_NAME: Final = re.compile(r"[A-Z][A-Z' -]{0,79}")
_WEEKEND: Final = (5, 6)


@dataclass(frozen=True, slots=True)
class Authority:
    """A state's migration authority, as consents and notices name it.

    Attributes:
        ref: the reference a consent names it by (``RU-AUTHORITY-MIGRATION``); the platform
            gives every migration authority this form, as it is no registered company.
        name_en, name_ru: its name.
    """

    ref: str
    name_en: str
    name_ru: str

    def name(self, language: str) -> str:
        """Its name in ``language`` (Russian or English)."""
        return self.name_ru if language == "ru" else self.name_en


#: The migration authority of each state (the receiver of pre-arrival and contract notices).
AUTHORITIES: Final = {
    "AM": Authority(
        "AM-AUTHORITY-MIGRATION",
        "Migration and Citizenship Service of Armenia",
        "Служба миграции и гражданства Армении",
    ),
    "BY": Authority(
        "BY-AUTHORITY-MIGRATION",
        "Department of Citizenship and Migration of Belarus",
        "Департамент по гражданству и миграции МВД Беларуси",
    ),
    "KG": Authority(
        "KG-AUTHORITY-MIGRATION",
        "Migration Service of Kyrgyzstan",
        "Служба миграции Кыргызской Республики",
    ),
    "KZ": Authority(
        "KZ-AUTHORITY-MIGRATION",
        "Migration Service of Kazakhstan",
        "Миграционная служба МВД Казахстана",
    ),
    "RU": Authority(
        "RU-AUTHORITY-MIGRATION",
        "Main Directorate for Migration of the MVD of Russia",
        "Главное управление по вопросам миграции МВД России",
    ),
}


@dataclass(frozen=True, slots=True)
class MinimumData:
    """What the destination receives about the person: nothing more than this.

    Attributes:
        family_name_latin, given_name_latin: as in the passport (ICAO 9303 letters).
        birth_date: date of birth.
        nationality: citizenship (member state code).
    """

    family_name_latin: str
    given_name_latin: str
    birth_date: date
    nationality: str

    def to_json(self) -> dict[str, str]:
        """The data as sent."""
        return {
            "family_name_latin": self.family_name_latin,
            "given_name_latin": self.given_name_latin,
            "birth_date": self.birth_date.isoformat(),
            "nationality": self.nationality,
        }

    @classmethod
    def from_json(cls, data: Any) -> MinimumData:
        """Read the data a peer sent.

        Raises:
            ValueError: a field is missing or malformed.
        """
        if not isinstance(data, dict):
            msg = "the person's data is not an object"
            raise ValueError(msg)  # noqa: TRY004 - one error type for every malformed field
        family, given = data.get("family_name_latin"), data.get("given_name_latin")
        nationality, born = data.get("nationality"), data.get("birth_date")
        if not isinstance(family, str) or not _LATIN_NAME.fullmatch(family):
            msg = "family name"
            raise ValueError(msg)
        if not isinstance(given, str) or not _LATIN_NAME.fullmatch(given):
            msg = "given name"
            raise ValueError(msg)
        if nationality not in MEMBER_STATES:
            msg = "nationality"
            raise ValueError(msg)
        birth = parse_date(born)
        return cls(family, given, birth, str(nationality))


@dataclass(frozen=True, slots=True)
class Mover:
    """A person of this node preparing to work in another state.

    Attributes:
        person_id: their id on this (home) node; it never leaves it.
        home: this node's state.
        data: the minimum data sent when they consent.
    """

    person_id: str
    home: str
    data: MinimumData

    @property
    def nationality(self) -> str:
        """The person's citizenship."""
        return self.data.nationality


def parse_date(value: Any) -> date:
    """Read an ISO date (``2026-05-01``).

    Raises:
        ValueError: not a date in that form.
    """
    if not isinstance(value, str):
        msg = "a date is an ISO string"
        raise ValueError(msg)  # noqa: TRY004 - one error type for every malformed field
    return date.fromisoformat(value)


def add_days(start: date, days: int, unit: str) -> date:
    """``start`` moved by ``days`` calendar or working days (Monday to Friday).

    Working days count from the day after ``start`` (a notice due "within 3 working days of
    signing" on a Friday is due the next Wednesday); public holidays are not known here.
    """
    if unit != "working":
        return start + timedelta(days=days)
    step = 1 if days >= 0 else -1
    moved, left = start, abs(days)
    while left:
        moved += timedelta(days=step)
        if moved.weekday() not in _WEEKEND:
            left -= 1
    return moved


def months_later(start: date, months: int) -> date:
    """The last day of a term of ``months`` months starting on ``start``.

    The term ends the day before the same date ``months`` later, or on the last day of that
    month when it has no such date (31 January + 1 month ends on 28 February).
    """
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    try:
        return date(year, month, start.day) - timedelta(days=1)
    except ValueError:
        following = date(year + month // 12, month % 12 + 1, 1)
        return following - timedelta(days=1)


def aware(value: datetime) -> datetime:
    """A stored time as timezone-aware UTC (SQLite returns the stored UTC time naive)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def fold(text: str) -> str:
    """A search key: case and accents folded, ё as е (``Новосибирск`` → ``новосибирск``)."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold().replace("ё", "е"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


__all__ = [
    "AUTHORITIES",
    "CATEGORIES",
    "MAX_MONTHS",
    "Authority",
    "MinimumData",
    "Mover",
    "add_days",
    "aware",
    "fold",
    "months_later",
    "parse_date",
]
