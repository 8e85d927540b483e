"""The normalised vacancy: one model for every source, its rules, duplicates and JSON-LD.

A :class:`Vacancy` is what every adapter produces and what the store, the search, the
change feed and the pages read. :func:`check_vacancy` applies the rules that keep bad ads
out, each problem named by field with a sentence an employer can act on:

* pay is stated and plausible: 0 and nonsense are refused, a lone minimum is kept as an
  open-ended "from N" (``salary_max`` is ``None``), not copied into the maximum;
* the dates make sense (posted ≤ last confirmed ≤ today ≤ valid through, at most a year);
* **no fee is asked of the jobseeker** (:func:`fee_phrases`, Russian and English phrasing,
  ignoring "no fee" and "paid by the employer");
* a private agency shows its licence number.

A vacancy is **listed** (:func:`is_listed`) while it is active, not past its
``valid_through`` and confirmed by its employer in the last 90 days — the Belarusian
public employment portal's rule against ghost ads. Duplicates share a :func:`dedup_key`
(employer + normalised title + locality + pay), where the title is normalised by
:func:`normalise_title` (case, ``ё``, gender markers, and Cyrillic/Latin look-alike letters
such as Cyrillic «С++» for C++). :func:`to_jobposting` writes the schema.org ``JobPosting``
JSON-LD that is the canonical export.

The model is the centre of three helpers it re-exports, so that every reader keeps importing
from here: :mod:`.salary` (indicative rates, monthly equivalents, the pay rules),
:mod:`.vacancy_text` (title normalisation, look-alike letters, fee phrases) and
:mod:`.jobposting` (the JSON-LD export). :class:`VacancyDraft` is what an employer writes
before the store makes it a :class:`Vacancy`.
"""

# The docstrings quote Russian titles written with look-alike letters on purpose.
# ruff: noqa: RUF002

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from eaeu.kernel import identifiers
from eaeu.kernel.errors import InvalidIdentifier
from eaeu.services.jobs.errors import FeeCharged, VacancyInvalid
from eaeu.services.jobs.jobposting import (
    EDUCATION_TO_SCHEMA,
    EMPLOYMENT_TO_SCHEMA,
    EXTENSION,
    PERIOD_TO_SCHEMA,
    to_jobposting,
)
from eaeu.services.jobs.salary import (
    CURRENCY_UNKNOWN,
    MAX_MONTHLY_RUB,
    MAX_SALARY_SPREAD,
    MIN_MONTHLY_RUB,
    RATES_DATE,
    RATES_TO_RUB,
    SALARY_IMPLAUSIBLE,
    SALARY_MISSING,
    SALARY_ORDER,
    SALARY_PERIODS,
    SALARY_SPREAD,
    SALARY_ZERO,
    monthly,
    salary_problems,
    salary_ref,
)
from eaeu.services.jobs.vacancy_text import (
    fee_phrases,
    fix_homoglyphs,
    normalise_place,
    normalise_title,
)

#: Where a vacancy came from.
SOURCES: Final = ("portal", "trudvsem", "jobposting")
STATUSES: Final = ("active", "withdrawn", "blocked")
EMPLOYMENT_TYPES: Final = (
    "full_time", "part_time", "temporary", "seasonal", "internship", "contract",
)  # fmt: skip
SCHEDULES: Final = ("full_day", "shift", "flexible", "rotation", "remote")
#: Education a vacancy asks for (``None``: not required).
EDUCATION_LEVELS: Final = ("secondary", "vocational", "higher")
#: A vacancy is hidden when its employer has not confirmed it for this long.
RECONFIRM_DAYS: Final = 90
#: The longest a vacancy may be open from its posting (or from a reconfirmation).
MAX_VALIDITY_DAYS: Final = 366

_ISCO: Final = re.compile(r"[0-9]{4}")
_LANGUAGE: Final = re.compile(r"[a-z]{2}")
_EMPLOYER_REF: Final = re.compile(r"(AM|BY|KG|KZ|RU)-[A-Z]{2,16}-[0-9A-Z]{1,32}")

# -- the problems, in the words an employer reads (the pages translate them) -------------
REQUIRED: Final = "Enter this field."
TOO_LONG: Final = "This is too long."
NOT_A_CHOICE: Final = "Choose one of the listed values."
ISCO_FORMAT: Final = "An ISCO-08 unit group has four digits."
EMPLOYER_FORMAT: Final = "The employer is not named by a registered legal identifier."
AGENCY_LICENCE: Final = "A private employment agency must give its licence number."
LEGAL_ID_INVALID: Final = (
    "This is not a valid registration number of an organisation of this state."
)
EXPERIENCE_RANGE: Final = "Experience is 0 to 50 years."
LANGUAGES_FORMAT: Final = "Languages are two-letter ISO 639-1 codes, such as ru, en, ky."
POSITIONS_RANGE: Final = "The number of positions is 1 to 10000."
POSTED_FUTURE: Final = "A vacancy cannot be posted in the future."
VALID_PAST: Final = "The vacancy has already expired."
VALID_BEFORE_POSTED: Final = "A vacancy ends after it is posted."
VALID_TOO_LONG: Final = "A vacancy can be open for at most a year; confirm it again later."
CONFIRMED_RANGE: Final = "The last confirmation is between the posting and today."
URL_FORMAT: Final = "A link starts with https:// or http://."
FEE: Final = (
    "The text asks the jobseeker to pay. Employers and agencies may never charge jobseekers "
    "for a job; remove it."
)
PROBLEMS: Final = (
    REQUIRED, TOO_LONG, NOT_A_CHOICE, ISCO_FORMAT, EMPLOYER_FORMAT, AGENCY_LICENCE,
    SALARY_MISSING, SALARY_ZERO, SALARY_ORDER, SALARY_SPREAD, SALARY_IMPLAUSIBLE,
    CURRENCY_UNKNOWN, EXPERIENCE_RANGE, LANGUAGES_FORMAT, POSITIONS_RANGE, POSTED_FUTURE,
    VALID_PAST, VALID_BEFORE_POSTED, VALID_TOO_LONG, CONFIRMED_RANGE, URL_FORMAT, FEE,
)  # fmt: skip

_LIMITS: Final = {
    "title": 200,
    "description": 20_000,
    "employer_name": 300,
    "agency_licence": 64,
    "region": 200,
    "locality": 200,
    "source_id": 200,
    "url": 500,
}


@dataclass(frozen=True, slots=True)
class Vacancy:
    """A vacancy, normalised from any source.

    Attributes:
        id: ``<ORIGIN>-<hex>``: a UUIDv7 for a portal post, a UUIDv5 of origin, source and
            source id for an ingested one (so that ingesting again finds it).
        origin: the state whose node owns it (only that node changes it).
        source: ``portal``, ``trudvsem`` or ``jobposting``.
        source_id: its id at the source (the vacancy id itself for a portal post).
        title: the job title as written.
        description: plain text.
        isco: ISCO-08 unit group (four digits), if known.
        employer_ref: the employer's legal identifier (``RU-OGRN-1157746013237``).
        employer_name: the employer's name.
        is_agency: posted by a private employment agency (shown as such).
        agency_licence: the agency's licence number.
        region: the region (as the source names it).
        locality: the city, town or village.
        salary_min: the lowest pay, or ``None``.
        salary_max: the highest pay, or ``None``; a minimum alone is "from N".
        currency: ISO 4217.
        salary_period: ``month``, ``hour``, ``day`` or ``year``.
        employment_type: see :data:`EMPLOYMENT_TYPES`.
        schedule: see :data:`SCHEDULES`.
        education: see :data:`EDUCATION_LEVELS` (``None``: not required).
        experience_years: years of experience asked for (``None``: not said).
        languages: ISO 639-1 codes of the languages of the job.
        housing: the employer provides housing.
        eaeu_open: the employer recruits citizens of other EAEU states (trudvsem
            ``workPlaceForeign``; the EURES "blue flag").
        positions: how many people are hired.
        posted: when it was first published.
        valid_through: the last day it is open.
        last_confirmed: when the employer (or the source) last confirmed it.
        status: ``active``, ``withdrawn`` or ``blocked`` (the last two are tombstones).
        url: the source page, if any.
        seq: its position in the origin's change feed (``None`` before it is stored).
        updated_at: when the origin last changed it.
    """

    id: str
    origin: str
    source: str
    source_id: str
    title: str
    description: str
    employer_ref: str
    employer_name: str
    locality: str
    currency: str
    posted: date
    valid_through: date
    last_confirmed: date
    region: str = ""
    isco: str | None = None
    is_agency: bool = False
    agency_licence: str | None = None
    salary_min: int | None = None
    salary_max: int | None = None
    salary_period: str = "month"
    employment_type: str = "full_time"
    schedule: str = "full_day"
    education: str | None = None
    experience_years: int | None = None
    languages: tuple[str, ...] = ("ru",)
    housing: bool = False
    eaeu_open: bool = False
    positions: int = 1
    status: str = "active"
    url: str | None = None
    seq: int | None = None
    updated_at: datetime | None = field(default=None, compare=False)

    @property
    def title_norm(self) -> str:
        """The title normalised for duplicates (see :func:`normalise_title`)."""
        return normalise_title(self.title)

    @property
    def dedup_key(self) -> str:
        """What duplicates share (see :func:`dedup_key`)."""
        return dedup_key(self)

    @property
    def salary_ref(self) -> int | None:
        """The monthly minimum in roubles at indicative rates (see :func:`salary_ref`)."""
        return salary_ref(self.salary_min, self.currency, self.salary_period)

    @property
    def open_ended(self) -> bool:
        """Pay is stated as "from N" (a minimum only)."""
        return self.salary_min is not None and self.salary_max is None

    def listed(self, today: date) -> bool:
        """Whether it is shown in search and can be applied to on ``today``."""
        return is_listed(self.status, self.valid_through, self.last_confirmed, today)

    def needs_reconfirmation(self, today: date, *, warn_days: int = 14) -> bool:
        """Whether it is hidden for want of a confirmation within ``warn_days``."""
        return self.last_confirmed + timedelta(days=RECONFIRM_DAYS - warn_days) <= today

    def hidden_from(self) -> date:
        """The first day it is no longer listed (expiry or missed reconfirmation)."""
        return min(
            self.valid_through + timedelta(days=1),
            self.last_confirmed + timedelta(days=RECONFIRM_DAYS + 1),
        )

    def to_json(self) -> dict[str, Any]:
        """The public record, as the change feed carries it (format version 1)."""
        return {
            "v": 1,
            "id": self.id,
            "origin": self.origin,
            "source": self.source,
            "source_id": self.source_id,
            "title": self.title,
            "description": self.description,
            "isco": self.isco,
            "employer_ref": self.employer_ref,
            "employer_name": self.employer_name,
            "is_agency": self.is_agency,
            "agency_licence": self.agency_licence,
            "region": self.region,
            "locality": self.locality,
            "salary_min": self.salary_min,
            "salary_max": self.salary_max,
            "currency": self.currency,
            "salary_period": self.salary_period,
            "employment_type": self.employment_type,
            "schedule": self.schedule,
            "education": self.education,
            "experience_years": self.experience_years,
            "languages": list(self.languages),
            "housing": self.housing,
            "eaeu_open": self.eaeu_open,
            "positions": self.positions,
            "posted": self.posted.isoformat(),
            "valid_through": self.valid_through.isoformat(),
            "last_confirmed": self.last_confirmed.isoformat(),
            "status": self.status,
            "url": self.url,
            "seq": self.seq,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }

    @classmethod
    def from_json(cls, data: Any) -> Vacancy:  # noqa: C901 - one reader per field type
        """Read a record written by :meth:`to_json` (types and choices are checked).

        Raises:
            VacancyInvalid: not an object, a field missing, of the wrong type or not one
                of its choices (``problems`` by field).
        """
        if not isinstance(data, dict):
            raise VacancyInvalid({"record": "A vacancy record is a JSON object."})
        problems: dict[str, str] = {}

        def text(name: str, *, optional: bool = False) -> Any:
            value = data.get(name)
            if value is None and optional:
                return None
            if not isinstance(value, str):
                problems[name] = REQUIRED
                return ""
            return value

        def number(name: str) -> Any:
            value = data.get(name)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int):
                problems[name] = "This is a whole number."
                return None
            return value

        def flag(name: str) -> bool:
            value = data.get(name, False)
            if not isinstance(value, bool):
                problems[name] = "This is true or false."
                return False
            return value

        def day(name: str) -> date:
            try:
                return date.fromisoformat(str(data.get(name)))
            except ValueError:
                problems[name] = "This is a date (YYYY-MM-DD)."
                return date.min

        languages = data.get("languages", [])
        if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
            problems["languages"] = LANGUAGES_FORMAT
            languages = []
        updated = data.get("updated_at")
        try:
            updated_at = datetime.fromisoformat(updated) if isinstance(updated, str) else None
        except ValueError:
            problems["updated_at"] = "This is a date and time."
            updated_at = None
        vacancy = cls(
            id=text("id"),
            origin=text("origin"),
            source=text("source"),
            source_id=text("source_id"),
            title=text("title"),
            description=text("description"),
            isco=text("isco", optional=True),
            employer_ref=text("employer_ref"),
            employer_name=text("employer_name"),
            is_agency=flag("is_agency"),
            agency_licence=text("agency_licence", optional=True),
            region=text("region", optional=True) or "",
            locality=text("locality"),
            salary_min=number("salary_min"),
            salary_max=number("salary_max"),
            currency=text("currency"),
            salary_period=text("salary_period"),
            employment_type=text("employment_type"),
            schedule=text("schedule"),
            education=text("education", optional=True),
            experience_years=number("experience_years"),
            languages=tuple(languages),
            housing=flag("housing"),
            eaeu_open=flag("eaeu_open"),
            positions=number("positions") or 0,
            posted=day("posted"),
            valid_through=day("valid_through"),
            last_confirmed=day("last_confirmed"),
            status=text("status"),
            url=text("url", optional=True),
            seq=number("seq"),
            updated_at=updated_at,
        )
        problems.update(_structure_problems(vacancy))
        if problems:
            raise VacancyInvalid(problems)
        return vacancy


# -- employers -------------------------------------------------------------------------------

#: The registration number that names an organisation in each state (RU also takes an INN).
LEGAL_ID_KINDS: Final = {"AM": "tin", "BY": "unp", "KG": "tin", "KZ": "bin", "RU": "ogrn"}
_KG_TIN: Final = re.compile(r"0[0-9]{13}")


def employer_ref(state: str, value: str, kind: str | None = None) -> str:
    """The reference of an organisation of ``state`` by its validated legal identifier.

    ``RU-OGRN-1157746013237``: the state, the kind and the normalised number, as
    :func:`eaeu.consent.model.organisation_ref` writes it.

    Args:
        state: the state of registration.
        value: the number as written (spaces and dashes are ignored).
        kind: the kind (``ogrn``, ``inn``…); the state's usual one by default.

    Raises:
        VacancyInvalid: the number breaks its state's published rule (field
            ``employer_ref``).
    """
    kind = (kind or LEGAL_ID_KINDS.get(state, "")).lower()
    if state == "KG" and kind == "tin":
        # The kernel has no rule for a Kyrgyz organisation's TIN; identity checks the
        # structure (14 digits, 0 for a legal entity), and so does this.
        number = re.sub(r"[\s-]", "", value)
        if not _KG_TIN.fullmatch(number):
            raise VacancyInvalid({"employer_ref": LEGAL_ID_INVALID})
    else:
        try:
            number = identifiers.validate(state, kind, value).value
        except InvalidIdentifier:
            raise VacancyInvalid({"employer_ref": LEGAL_ID_INVALID}) from None
    return f"{state}-{kind.upper()}-{number}"


# -- listing ---------------------------------------------------------------------------------


def is_listed(status: str, valid_through: date, last_confirmed: date, today: date) -> bool:
    """The listing rule: active, not expired, confirmed in the last 90 days."""
    return (
        status == "active"
        and valid_through >= today
        and last_confirmed >= today - timedelta(days=RECONFIRM_DAYS)
    )


def reconfirmation_cutoff(today: date) -> date:
    """The oldest ``last_confirmed`` a listed vacancy may have on ``today``."""
    return today - timedelta(days=RECONFIRM_DAYS)


def dedup_key(vacancy: Vacancy) -> str:
    """What two ads for the same job share: employer, title, locality and pay.

    The SHA-256 (hex) of the employer's legal identifier, :func:`normalise_title`,
    :func:`normalise_place` of the locality, and the pay (minimum, maximum, currency,
    period). The same job posted once per street address, or under two card numbers, or by
    two sources, gets one key.
    """
    parts = (
        vacancy.employer_ref.upper(),
        normalise_title(vacancy.title),
        normalise_place(vacancy.locality),
        str(vacancy.salary_min or ""),
        str(vacancy.salary_max or ""),
        vacancy.currency,
        vacancy.salary_period,
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


# -- the rules --------------------------------------------------------------------------------


def _structure_problems(vacancy: Vacancy) -> dict[str, str]:  # noqa: C901, PLR0912 - one rule each
    """Problems of form and choice, which a replicated record must not have either."""
    problems: dict[str, str] = {}
    for name in ("id", "title", "description", "employer_name", "locality", "source_id"):
        if not str(getattr(vacancy, name)).strip():
            problems[name] = REQUIRED
    for name, limit in _LIMITS.items():
        value = getattr(vacancy, name)
        if isinstance(value, str) and len(value) > limit:
            problems[name] = TOO_LONG
    choices: dict[str, tuple[str, ...]] = {
        "source": SOURCES,
        "status": STATUSES,
        "employment_type": EMPLOYMENT_TYPES,
        "schedule": SCHEDULES,
        "salary_period": SALARY_PERIODS,
    }
    for name, allowed in choices.items():
        if getattr(vacancy, name) not in allowed:
            problems[name] = NOT_A_CHOICE
    if vacancy.education is not None and vacancy.education not in EDUCATION_LEVELS:
        problems["education"] = NOT_A_CHOICE
    if not re.fullmatch(r"[A-Z]{2}", vacancy.origin) or not vacancy.id.startswith(
        f"{vacancy.origin}-"
    ):
        problems["origin"] = "The origin is a member state code that starts the id."
    if vacancy.isco is not None and not _ISCO.fullmatch(vacancy.isco):
        problems["isco"] = ISCO_FORMAT
    if not _EMPLOYER_REF.fullmatch(vacancy.employer_ref):
        problems["employer_ref"] = EMPLOYER_FORMAT
    if vacancy.is_agency and not (vacancy.agency_licence or "").strip():
        problems["agency_licence"] = AGENCY_LICENCE
    if vacancy.experience_years is not None and not 0 <= vacancy.experience_years <= 50:  # noqa: PLR2004
        problems["experience_years"] = EXPERIENCE_RANGE
    if len(vacancy.languages) > 10 or not all(  # noqa: PLR2004
        _LANGUAGE.fullmatch(code) for code in vacancy.languages
    ):
        problems["languages"] = LANGUAGES_FORMAT
    if not 1 <= vacancy.positions <= 10_000:  # noqa: PLR2004
        problems["positions"] = POSITIONS_RANGE
    if vacancy.url is not None and urlsplit(vacancy.url).scheme not in ("http", "https"):
        problems["url"] = URL_FORMAT
    low, high = vacancy.salary_min, vacancy.salary_max
    if low is not None and high is not None and low > high:
        problems["salary"] = SALARY_ORDER
    return problems


def check_vacancy(vacancy: Vacancy, today: date) -> None:
    """Return if ``vacancy`` may be published on ``today``; raise with every problem.

    Raises:
        FeeCharged: its text asks the jobseeker to pay (with the other problems, if any).
        VacancyInvalid: any other rule is broken (``problems`` by field).
    """
    problems = _structure_problems(vacancy)
    problems.update(
        salary_problems(
            vacancy.salary_min, vacancy.salary_max, vacancy.currency, vacancy.salary_period
        )
    )
    if vacancy.posted > today:
        problems["posted"] = POSTED_FUTURE
    if vacancy.valid_through < vacancy.posted:
        problems["valid_through"] = VALID_BEFORE_POSTED
    elif vacancy.valid_through < today:
        problems["valid_through"] = VALID_PAST
    elif vacancy.valid_through > max(vacancy.posted, vacancy.last_confirmed) + timedelta(
        days=MAX_VALIDITY_DAYS
    ):
        problems["valid_through"] = VALID_TOO_LONG
    if not vacancy.posted <= vacancy.last_confirmed <= today:
        problems["last_confirmed"] = CONFIRMED_RANGE
    fees = fee_phrases(vacancy.title, vacancy.description)
    if fees:
        problems["description"] = FEE
        raise FeeCharged(problems)
    if problems:
        raise VacancyInvalid(problems)


def merge(kept: Vacancy, duplicate: Vacancy) -> Vacancy:
    """``kept`` extended by a duplicate ad for the same job.

    The earlier posting, the later expiry and confirmation, and the larger number of
    positions win (the same job listed per address or per card is one job, not a sum);
    text, classification and flags stay ``kept``'s, filled from the duplicate where
    ``kept`` has none.
    """
    return replace(
        kept,
        posted=min(kept.posted, duplicate.posted),
        valid_through=max(kept.valid_through, duplicate.valid_through),
        last_confirmed=max(kept.last_confirmed, duplicate.last_confirmed),
        positions=max(kept.positions, duplicate.positions),
        isco=kept.isco or duplicate.isco,
        housing=kept.housing or duplicate.housing,
        eaeu_open=kept.eaeu_open or duplicate.eaeu_open,
        url=kept.url or duplicate.url,
    )


def same_content(one: Vacancy, other: Vacancy) -> bool:
    """Whether two versions of a vacancy say the same thing (ignoring feed position)."""
    return replace(one, seq=None, updated_at=None) == replace(other, seq=None, updated_at=None)


@dataclass(frozen=True, slots=True)
class VacancyDraft:
    """What an employer writes when posting a vacancy (see :class:`Vacancy`)."""

    title: str
    description: str
    locality: str
    salary_min: int | None
    salary_max: int | None
    currency: str
    valid_through: date
    region: str = ""
    isco: str | None = None
    salary_period: str = "month"
    employment_type: str = "full_time"
    schedule: str = "full_day"
    education: str | None = None
    experience_years: int | None = None
    languages: tuple[str, ...] = ("ru",)
    housing: bool = False
    eaeu_open: bool = False
    positions: int = 1


__all__ = [
    "AGENCY_LICENCE",
    "CONFIRMED_RANGE",
    "CURRENCY_UNKNOWN",
    "EDUCATION_LEVELS",
    "EDUCATION_TO_SCHEMA",
    "EMPLOYER_FORMAT",
    "EMPLOYMENT_TO_SCHEMA",
    "EMPLOYMENT_TYPES",
    "EXPERIENCE_RANGE",
    "EXTENSION",
    "FEE",
    "ISCO_FORMAT",
    "LANGUAGES_FORMAT",
    "LEGAL_ID_INVALID",
    "LEGAL_ID_KINDS",
    "MAX_MONTHLY_RUB",
    "MAX_SALARY_SPREAD",
    "MAX_VALIDITY_DAYS",
    "MIN_MONTHLY_RUB",
    "NOT_A_CHOICE",
    "PERIOD_TO_SCHEMA",
    "POSITIONS_RANGE",
    "POSTED_FUTURE",
    "PROBLEMS",
    "RATES_DATE",
    "RATES_TO_RUB",
    "RECONFIRM_DAYS",
    "REQUIRED",
    "SALARY_IMPLAUSIBLE",
    "SALARY_MISSING",
    "SALARY_ORDER",
    "SALARY_PERIODS",
    "SALARY_SPREAD",
    "SALARY_ZERO",
    "SCHEDULES",
    "SOURCES",
    "STATUSES",
    "TOO_LONG",
    "URL_FORMAT",
    "VALID_BEFORE_POSTED",
    "VALID_PAST",
    "VALID_TOO_LONG",
    "Vacancy",
    "VacancyDraft",
    "check_vacancy",
    "dedup_key",
    "employer_ref",
    "fee_phrases",
    "fix_homoglyphs",
    "is_listed",
    "merge",
    "monthly",
    "normalise_place",
    "normalise_title",
    "reconfirmation_cutoff",
    "salary_ref",
    "same_content",
    "to_jobposting",
]
