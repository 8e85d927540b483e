"""Adapters from national sources to the normalised :class:`~eaeu.services.jobs.model.Vacancy`.

Two shapes are read:

* **«Работа России»** (trudvsem.ru) open data, as ``GET /api/v1/vacancies[/region/{code}]``
  answers: ``{"status": "200", "meta": {"total": N}, "results": {"vacancies": [{"vacancy":
  {…}}]}}``. The envelope is checked as a whole before any record is read: the status, the
  list, a total that covers the list, and — because the source silently ignores a filter it
  does not understand and answers with the whole country — that every record lies in the
  region asked for. A response that fails is refused with its reason and nothing is taken.
  Records map field by field: ``salary`` "от 40000" with ``salary_min == salary_max`` is an
  open-ended minimum, ``company.hr-agency`` marks an agency, ``workPlaceType.workPlaceForeign``
  a workplace open to foreign (EAEU) citizens; ``code_profession`` is an ОКПДТР code, not
  ISCO, so the ISCO group comes from the title (:func:`classify_title`).
* **schema.org JobPosting** JSON-LD: one posting, a list, an ``ItemList`` of postings (or of
  ``ListItem`` s holding them) or an ``@graph``; our own export (:func:`~eaeu.services.jobs.
  model.to_jobposting`) reads back unchanged.

An adapter maps; it does not judge. A record it cannot map becomes a :class:`Rejection` with
the problems by field; the store applies the publication rules (pay, dates, fees, agency
licence) to the rest.
"""

# Russian source values are data of this module.
# ruff: noqa: RUF001

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any, Final

from eaeu.services.jobs.errors import FeedOutOfRegion, FeedUnreadable, VacancyInvalid
from eaeu.services.jobs.model import (
    PERIOD_TO_SCHEMA,
    REQUIRED,
    Vacancy,
    employer_ref,
    normalise_title,
)

TRUDVSEM: Final = "trudvsem"
JOBPOSTING: Final = "jobposting"
FORMATS: Final = (TRUDVSEM, JOBPOSTING)
#: A trudvsem ad carries no end date: it is open this long after its last change, unless
#: the source changes (and we ingest) it again.
TRUDVSEM_VALIDITY_DAYS: Final = 30
#: A JobPosting without ``validThrough`` is open this long after it was posted.
DEFAULT_VALIDITY_DAYS: Final = 60
#: The namespace of ingested vacancy ids (uuid5 of origin, source and source id).
VACANCY_NAMESPACE: Final = uuid.UUID("0b7f3a52-2a8e-4c1e-9e0f-7d0c5a1f6b11")
#: The largest file an adapter reads (a trudvsem page is at most 100 records).
MAX_BYTES: Final = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Rejection:
    """A source record that was not taken, and why.

    Attributes:
        source_id: its id at the source (``#<n>`` when it has none).
        reason: a stable code (``jobs.vacancy_invalid``, ``jobs.fee_charged``…).
        problems: field → the rule it breaks.
    """

    source_id: str
    reason: str
    problems: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The rejection as JSON values."""
        return {"source_id": self.source_id, "reason": self.reason, "problems": dict(self.problems)}


@dataclass(frozen=True, slots=True)
class Parsed:
    """What an adapter read from one file or response.

    Attributes:
        source: ``trudvsem`` or ``jobposting``.
        vacancies: the records it could map.
        rejected: the records it could not.
        total: how many records the source says it has (trudvsem ``meta.total``).
    """

    source: str
    vacancies: tuple[Vacancy, ...]
    rejected: tuple[Rejection, ...] = ()
    total: int | None = None


def vacancy_id(origin: str, source: str, source_id: str) -> str:
    """The id of an ingested vacancy: ``<ORIGIN>-`` and the UUIDv5 of its source record."""
    return f"{origin}-{uuid.uuid5(VACANCY_NAMESPACE, f'{origin}/{source}/{source_id}').hex}"


def decode(data: bytes | str) -> Any:
    """Parse a source file's JSON.

    Raises:
        FeedUnreadable: too large, not UTF-8, or not JSON.
    """
    if len(data) > MAX_BYTES:
        raise FeedUnreadable("The file is larger than a source file can be.")
    try:
        return json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise FeedUnreadable("The file is not JSON.") from None


def read(
    kind: str,
    data: Any,
    *,
    state: str,
    expected_region: str | None = None,
) -> Parsed:
    """Read decoded ``data`` with the adapter for ``kind`` (``trudvsem`` or ``jobposting``).

    Raises:
        FeedUnreadable: the kind is unknown or the data is not in its shape.
        FeedOutOfRegion: trudvsem records outside ``expected_region``.
    """
    if kind == TRUDVSEM:
        return read_trudvsem(data, state=state, expected_region=expected_region)
    if kind == JOBPOSTING:
        return read_jobposting(data, state=state)
    raise FeedUnreadable(f"There is no adapter for the format {kind!r}.")


# -- shared --------------------------------------------------------------------------------------


@cache
def _title_stems() -> tuple[tuple[str, str], ...]:
    raw = resources.files("eaeu.services.jobs").joinpath("data/title_isco.json").read_text("utf-8")
    return tuple((normalise_title(stem), code) for stem, code in json.loads(raw)["stems"])


def classify_title(title: str) -> str | None:
    """The ISCO-08 unit group a job title names, from a table of title stems; ``None``."""
    text = f" {normalise_title(title)}"
    for stem, code in _title_stems():
        if f" {stem}" in text:
            return code
    return None


_BREAKS: Final = re.compile(r"<\s*(?:br|/p|/li|/div|/h[1-6]|/tr)\s*/?\s*>", re.IGNORECASE)
_TAGS: Final = re.compile(r"<[^>]*>")


def plain_text(value: Any) -> str:
    """HTML (or plain) text as plain text: tags removed, entities decoded, spaces folded."""
    if not isinstance(value, str):
        return ""
    text = html.unescape(_TAGS.sub(" ", _BREAKS.sub("\n", value)))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:  # noqa: PLR2004 - YYYY-MM-DD
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        digits = value.replace(" ", "").replace("\u00a0", "")
        if re.fullmatch(r"-?[0-9]+(?:[.,]0+)?", digits):
            return int(re.split(r"[.,]", digits)[0])
    return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# -- trudvsem -----------------------------------------------------------------------------------

EMPLOYMENT_RU: Final = {
    "полная занятость": "full_time",
    "частичная занятость": "part_time",
    "временная": "temporary",
    "временная занятость": "temporary",
    "сезонная": "seasonal",
    "сезонная занятость": "seasonal",
    "стажировка": "internship",
    "удаленная": "full_time",
    "проектная работа": "contract",
}
SCHEDULE_RU: Final = {
    "полный рабочий день": "full_day",
    "полный день": "full_day",
    "сменный график": "shift",
    "гибкий график": "flexible",
    "неполный рабочий день": "flexible",
    "ненормированный рабочий день": "flexible",
    "вахтовый метод": "rotation",
    "удаленная работа": "remote",
}
EDUCATION_RU: Final = {
    "высшее": "higher",
    "незаконченное высшее": "vocational",
    "среднее профессиональное": "vocational",
    "среднее специальное": "vocational",
    "среднее": "secondary",
    "среднее общее": "secondary",
}
_HOUSING: Final = re.compile(
    r"(?:жиль[её]|общежити\w*|проживани\w*|служебн\w+ (?:квартир|жиль)\w*)"
    r"[^.;]{0,40}(?:предоставля|бесплатн|за сч[её]т)|(?:предоставля\w*|предоставим|бесплатн\w*)"
    r"[^.;]{0,30}(?:жиль|общежити|проживани|служебн)|housing (?:is )?provided|accommodation"
    r"(?: is)? provided|free accommodation",
    re.IGNORECASE,
)
_NO_HOUSING: Final = re.compile(
    r"(?:жиль\w*|общежити\w*|проживани\w*)\s+не\s+предоставля|без\s+(?:предоставления\s+)?"
    r"(?:жиль|общежити|проживани)|no (?:housing|accommodation)",
    re.IGNORECASE,
)


def provides_housing(*texts: str) -> bool:
    """Whether the texts say the employer provides housing (and do not say it does not)."""
    joined = " ".join(texts)
    return bool(_HOUSING.search(joined)) and not _NO_HOUSING.search(joined)


def _region_prefix(code: str) -> str:
    """The subject code of a trudvsem region code: ``77`` of ``7700000000000`` or ``77``."""
    digits = re.sub(r"\D", "", code)
    return digits[:2]


def _items(envelope: Any) -> tuple[list[Any], int | None]:
    if not isinstance(envelope, dict):
        raise FeedUnreadable("The response is not a trudvsem envelope (a JSON object).")
    status = envelope.get("status")
    if str(status) != "200":
        raise FeedUnreadable(f"The source answered with status {str(status)[:16]!r}, not 200.")
    meta = envelope.get("meta")
    total = _int(meta.get("total")) if isinstance(meta, dict) else None
    results = envelope.get("results")
    if results is None or (isinstance(results, dict) and "vacancies" not in results):
        if total:
            raise FeedUnreadable(f"The source reports {total} vacancies but sent none.")
        return [], total
    items = results.get("vacancies") if isinstance(results, dict) else None
    if not isinstance(items, list):
        raise FeedUnreadable("The response has no list at results.vacancies.")
    if total is not None and total < len(items):
        raise FeedUnreadable(
            f"The source sent {len(items)} vacancies but reports a total of {total}."
        )
    return items, total


def read_trudvsem(
    envelope: Any, *, state: str = "RU", expected_region: str | None = None
) -> Parsed:
    """Read a «Работа России» open-data response (or a file of one).

    Args:
        envelope: the decoded JSON.
        state: the state the source belongs to (``RU``).
        expected_region: the region code asked for (``7700000000000`` or ``77``); every
            record must lie in it. ``None``: a nationwide response, not checked.

    Raises:
        FeedUnreadable: the envelope is not the source's shape, reports a non-200 status, or
            a total smaller than the list.
        FeedOutOfRegion: records outside ``expected_region`` (the source ignored the filter).
    """
    items, total = _items(envelope)
    records: list[tuple[int, Any]] = [
        (n, item.get("vacancy") if isinstance(item, dict) else None) for n, item in enumerate(items)
    ]
    if expected_region is not None:
        wanted = _region_prefix(expected_region)
        outside = 0
        for _, record in records:
            region = record.get("region") if isinstance(record, dict) else None
            code = region.get("region_code") if isinstance(region, dict) else None
            if not isinstance(code, str | int) or _region_prefix(str(code)) != wanted:
                outside += 1
        if outside:
            raise FeedOutOfRegion(
                f"{outside} of {len(records)} records are outside region {wanted}: the source "
                "ignored the region asked for, so nothing was taken from this response."
            )
    vacancies: list[Vacancy] = []
    rejected: list[Rejection] = []
    for n, record in records:
        try:
            vacancies.append(_trudvsem_vacancy(record, state))
        except VacancyInvalid as exc:
            source_id = record.get("id") if isinstance(record, dict) else None
            rejected.append(
                Rejection(
                    source_id if isinstance(source_id, str) and source_id else f"#{n}",
                    exc.reason,
                    exc.problems,
                )
            )
    return Parsed(TRUDVSEM, tuple(vacancies), tuple(rejected), total)


def _trudvsem_salary(record: Mapping[str, Any]) -> tuple[int | None, int | None, str]:
    low, high = _int(record.get("salary_min")), _int(record.get("salary_max"))
    words = _text(record.get("salary")).lower()
    stated = [int(n) for n in re.findall(r"\d+", words.replace(" ", "").replace("\u00a0", ""))]
    if low is None and high is None and stated:
        low = stated[0]
        high = stated[1] if len(stated) > 1 else stated[0]
    if words.startswith("от") and (high is None or high == low):
        high = None
    elif words.startswith("до") and (low is None or low == high):
        low = None
    currency_text = _text(record.get("currency")).lower()
    currency = "RUB" if not currency_text or "руб" in currency_text else currency_text.upper()
    return low, high, currency


def _locality(record: Mapping[str, Any], region_name: str) -> str:
    addresses = record.get("addresses")
    address = addresses.get("address") if isinstance(addresses, dict) else None
    first = address[0] if isinstance(address, list) and address else None
    location = _text(first.get("location")) if isinstance(first, dict) else ""
    match = re.search(r"(?:^|,\s*)(?:г\.|город|пгт\.?|с\.|пос\.|п\.)\s*([^,]+)", location)
    if match:
        return match.group(1).strip()
    return re.sub(r"^(?:г\.|город)\s*", "", region_name).strip()


def _trudvsem_vacancy(record: Any, state: str) -> Vacancy:  # noqa: C901 - field by field
    if not isinstance(record, dict):
        raise VacancyInvalid({"vacancy": "A trudvsem item holds a vacancy object."})
    problems: dict[str, str] = {}
    source_id = _text(record.get("id"))
    title = _text(record.get("job-name"))
    for name, value in (("id", source_id), ("job-name", title)):
        if not value:
            problems[name] = REQUIRED
    company: dict[str, Any] = record["company"] if isinstance(record.get("company"), dict) else {}
    ref = ""
    try:
        if _text(company.get("ogrn")):
            ref = employer_ref(state, _text(company.get("ogrn")), "ogrn")
        elif _text(company.get("inn")):
            ref = employer_ref(state, _text(company.get("inn")), "inn")
        else:
            problems["employer_ref"] = "The employer has no OGRN or INN."
    except VacancyInvalid as exc:
        problems.update(exc.problems)
    region: dict[str, Any] = record["region"] if isinstance(record.get("region"), dict) else {}
    region_name = _text(region.get("name"))
    requirement = record.get("requirement")
    requirement = requirement if isinstance(requirement, dict) else {}
    duty = plain_text(record.get("duty"))
    conditions = plain_text(record.get("conditions"))
    qualification = plain_text(requirement.get("qualification"))
    description = "\n\n".join(part for part in (duty, qualification, conditions) if part)
    employment = EMPLOYMENT_RU.get(_text(record.get("employment")).lower())
    schedule = SCHEDULE_RU.get(_text(record.get("schedule")).lower())
    if employment is None:
        problems["employment"] = "This kind of employment is not one the platform knows."
    if schedule is None:
        problems["schedule"] = "This schedule is not one the platform knows."
    created = _day(record.get("creation-date"))
    modified = _day(record.get("date_modify")) or created
    if created is None or modified is None:
        problems["creation-date"] = "The vacancy has no creation date."
    low, high, currency = _trudvsem_salary(record)
    place_type = record.get("workPlaceType")
    foreign = place_type.get("workPlaceForeign") is True if isinstance(place_type, dict) else False
    if problems or created is None or modified is None or employment is None or schedule is None:
        raise VacancyInvalid(problems)
    experience = _int(requirement.get("experience"))
    return Vacancy(
        id=vacancy_id(state, TRUDVSEM, source_id),
        origin=state,
        source=TRUDVSEM,
        source_id=source_id,
        title=title,
        description=description or title,
        isco=classify_title(title) or classify_title(_text(record.get("typicalPosition"))),
        employer_ref=ref,
        employer_name=_text(company.get("name")),
        is_agency=company.get("hr-agency") is True,
        agency_licence=_text(company.get("licence") or company.get("license")) or None,
        region=region_name,
        locality=_locality(record, region_name),
        salary_min=low,
        salary_max=high,
        currency=currency,
        salary_period="month",
        employment_type=employment,
        schedule=schedule,
        education=EDUCATION_RU.get(_text(requirement.get("education")).lower()),
        experience_years=experience if experience is not None and experience > 0 else None,
        languages=("ru",),
        housing=provides_housing(conditions, duty, _text(record.get("social_protected"))),
        eaeu_open=foreign,
        positions=max(_int(record.get("work_places")) or 1, 1),
        posted=created,
        valid_through=max(modified, created) + timedelta(days=TRUDVSEM_VALIDITY_DAYS),
        last_confirmed=max(modified, created),
        url=_text(record.get("vac_url")) or None,
    )


# -- schema.org JobPosting ----------------------------------------------------------------------

_SCHEMA_TO_EMPLOYMENT: Final = {
    "FULL_TIME": "full_time",
    "PART_TIME": "part_time",
    "TEMPORARY": "temporary",
    "SEASONAL": "seasonal",
    "INTERN": "internship",
    "CONTRACTOR": "contract",
    "PER_DIEM": "temporary",
    "OTHER": "contract",
}
_SCHEMA_TO_PERIOD: Final = {v: k for k, v in PERIOD_TO_SCHEMA.items()} | {"WEEK": "week"}
_SCHEMA_TO_EDUCATION: Final = {
    "high school": "secondary",
    "professional certificate": "vocational",
    "associate degree": "vocational",
    "bachelor degree": "higher",
    "postgraduate degree": "higher",
}
_EAEU_WORDS: Final = re.compile(r"\bEAEU\b|\bЕАЭС\b|Eurasian Economic Union", re.IGNORECASE)
_PREFIXES: Final = ("eaeu:", "https://eaeu.dev/ns/jobs#")


def _postings(data: Any) -> Iterator[Any]:
    """Every JobPosting object in a document, list, ``ItemList`` or ``@graph``."""
    if isinstance(data, list):
        for item in data:
            yield from _postings(item)
        return
    if not isinstance(data, dict):
        yield data
        return
    kind = data.get("@type")
    if kind == "ItemList":
        yield from _postings(data.get("itemListElement", []))
    elif kind == "ListItem":
        yield data.get("item")
    elif "@graph" in data:
        yield from _postings(data["@graph"])
    else:
        yield data


def _extension(posting: Mapping[str, Any], name: str) -> Any:
    for prefix in _PREFIXES:
        if f"{prefix}{name}" in posting:
            return posting[f"{prefix}{name}"]
    return None


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def read_jobposting(data: Any, *, state: str) -> Parsed:
    """Read schema.org ``JobPosting`` JSON-LD published by employers or a national system.

    Args:
        data: the decoded JSON (a posting, a list, an ``ItemList`` or an ``@graph``).
        state: the state of the feed: postings located elsewhere are rejected.

    Raises:
        FeedUnreadable: no JobPosting in it at all.
    """
    vacancies: list[Vacancy] = []
    rejected: list[Rejection] = []
    postings = list(_postings(data))
    if not postings or not any(
        isinstance(p, dict) and p.get("@type") == "JobPosting" for p in postings
    ):
        raise FeedUnreadable("The file holds no schema.org JobPosting.")
    for n, posting in enumerate(postings):
        try:
            vacancies.append(_posting_vacancy(posting, state))
        except VacancyInvalid as exc:
            ident = _identifier(posting) if isinstance(posting, dict) else ""
            rejected.append(Rejection(ident or f"#{n}", exc.reason, exc.problems))
    return Parsed(JOBPOSTING, tuple(vacancies), tuple(rejected), len(postings))


def _identifier(posting: Mapping[str, Any]) -> str:
    ident = _first(posting.get("identifier"))
    if isinstance(ident, dict):
        ident = ident.get("value")
    if isinstance(ident, str | int) and str(ident).strip():
        return str(ident).strip()
    return _text(posting.get("url"))


def _organisation_ref(organisation: Any, state: str) -> str:
    if not isinstance(organisation, dict):
        raise VacancyInvalid({"hiringOrganization": REQUIRED})
    ident = _first(organisation.get("identifier"))
    kind = None
    if isinstance(ident, dict):
        kind = _text(ident.get("propertyID")).lower() or None
        ident = ident.get("value")
    text = _text(str(ident)) if isinstance(ident, str | int) else ""
    if not text:
        text = _text(organisation.get("taxID"))
    match = re.fullmatch(r"([A-Z]{2})-([A-Z]{2,16})-([0-9A-Z]{1,32})", text.upper())
    if match:
        if match.group(1) != state:
            raise VacancyInvalid(
                {"hiringOrganization": "The employer is not registered in this feed's state."}
            )
        return employer_ref(state, match.group(3), match.group(2))
    if not text:
        raise VacancyInvalid({"hiringOrganization": "The employer has no legal identifier."})
    return employer_ref(state, text, kind)


def _location(posting: Mapping[str, Any]) -> tuple[str, str, str]:
    place = _first(posting.get("jobLocation"))
    address = place.get("address") if isinstance(place, dict) else None
    address = _first(address)
    if not isinstance(address, dict):
        return "", "", ""
    country = address.get("addressCountry")
    if isinstance(country, dict):
        country = country.get("name")
    return (
        _text(address.get("addressLocality")),
        _text(address.get("addressRegion")),
        _text(country).upper(),
    )


def _salary(posting: Mapping[str, Any]) -> tuple[int | None, int | None, str, str]:
    amount = posting.get("baseSalary")
    currency = _text(posting.get("salaryCurrency"))
    if not isinstance(amount, dict):
        return None, None, currency, "month"
    currency = _text(amount.get("currency")) or currency
    value = amount.get("value")
    if isinstance(value, dict):
        unit = _SCHEMA_TO_PERIOD.get(_text(value.get("unitText")).upper(), "month")
        low, high = _int(value.get("minValue")), _int(value.get("maxValue"))
        exact = _int(value.get("value"))
        if exact is not None and low is None and high is None:
            low = high = exact
        return low, high, currency, unit
    exact = _int(value)
    return exact, exact, currency, "month"


def _posting_vacancy(posting: Any, state: str) -> Vacancy:  # noqa: C901, PLR0915 - field by field
    if not isinstance(posting, dict) or posting.get("@type") != "JobPosting":
        raise VacancyInvalid({"@type": "This item is not a schema.org JobPosting."})
    problems: dict[str, str] = {}
    source_id = _identifier(posting)
    title = plain_text(posting.get("title"))
    description = plain_text(posting.get("description"))
    for name, value in (("identifier", source_id), ("title", title), ("description", description)):
        if not value:
            problems[name] = REQUIRED
    try:
        ref = _organisation_ref(posting.get("hiringOrganization"), state)
    except VacancyInvalid as exc:
        problems.update(exc.problems)
        ref = ""
    locality, region, country = _location(posting)
    if not locality:
        problems["jobLocation"] = "The posting has no locality (addressLocality)."
    elif country and country != state:
        problems["jobLocation"] = "The job is not in this feed's state."
    posted = _day(posting.get("datePosted"))
    if posted is None:
        problems["datePosted"] = "The posting has no date (YYYY-MM-DD)."
    valid = _day(posting.get("validThrough"))
    if posting.get("validThrough") is not None and valid is None:
        problems["validThrough"] = "This is not a date (YYYY-MM-DD)."
    low, high, currency, period = _salary(posting)
    if period == "week":
        problems["baseSalary"] = "Give pay per hour, day, month or year."
    kind = _text(_first(posting.get("employmentType"))).upper()
    employment = _SCHEMA_TO_EMPLOYMENT.get(kind or "FULL_TIME")
    if employment is None:
        problems["employmentType"] = "This employment type is not a schema.org value."
    if problems or posted is None or employment is None:
        raise VacancyInvalid(problems)
    confirmed = _day(_extension(posting, "lastConfirmed")) or posted
    category = _first(posting.get("occupationalCategory"))
    code = category.get("codeValue") if isinstance(category, dict) else category
    isco_match = re.match(r"\s*([0-9]{4})\b", str(code)) if code is not None else None
    education = posting.get("educationRequirements")
    education = _first(education)
    credential = education.get("credentialCategory") if isinstance(education, dict) else education
    experience = posting.get("experienceRequirements")
    months = _int(experience.get("monthsOfExperience")) if isinstance(experience, dict) else None
    schedule = _extension(posting, "schedule")
    if posting.get("jobLocationType") == "TELECOMMUTE":
        schedule = "remote"
    languages = _extension(posting, "languages")
    eligibility = _text(posting.get("eligibilityToWorkRequirement"))
    benefits = plain_text(posting.get("jobBenefits"))
    open_flag = _extension(posting, "eaeuOpen")
    housing_flag = _extension(posting, "housingProvided")
    agency_flag = _extension(posting, "isAgency")
    return Vacancy(
        id=vacancy_id(state, JOBPOSTING, source_id),
        origin=state,
        source=JOBPOSTING,
        source_id=source_id,
        title=title,
        description=description,
        isco=isco_match.group(1) if isco_match else classify_title(title),
        employer_ref=ref,
        employer_name=_text(posting["hiringOrganization"].get("name")),
        is_agency=agency_flag is True,
        agency_licence=_text(_extension(posting, "agencyLicence")) or None,
        region=region,
        locality=locality,
        salary_min=low,
        salary_max=high,
        currency=currency.upper(),
        salary_period=period,
        employment_type=employment,
        schedule=schedule if isinstance(schedule, str) else "full_day",
        education=_SCHEMA_TO_EDUCATION.get(_text(credential).lower()),
        experience_years=months // 12 if months else None,
        languages=tuple(languages) if isinstance(languages, list) else ("ru",),
        housing=housing_flag
        if isinstance(housing_flag, bool)
        else provides_housing(benefits, description),
        eaeu_open=open_flag
        if isinstance(open_flag, bool)
        else bool(_EAEU_WORDS.search(eligibility)),
        positions=max(_int(posting.get("totalJobOpenings")) or 1, 1),
        posted=posted,
        valid_through=valid or posted + timedelta(days=DEFAULT_VALIDITY_DAYS),
        last_confirmed=max(confirmed, posted),
        url=_text(posting.get("url")) or None,
    )


def parse_file(
    kind: str, data: bytes | str, *, state: str, expected_region: str | None = None
) -> Parsed:
    """Decode and read a source file in one step (see :func:`decode` and :func:`read`).

    Raises:
        FeedUnreadable: not JSON, or not in the shape of ``kind``.
        FeedOutOfRegion: trudvsem records outside ``expected_region``.
    """
    return read(kind, decode(data), state=state, expected_region=expected_region)


__all__ = [
    "FORMATS",
    "JOBPOSTING",
    "TRUDVSEM",
    "Parsed",
    "Rejection",
    "classify_title",
    "decode",
    "parse_file",
    "plain_text",
    "provides_housing",
    "read",
    "read_jobposting",
    "read_trudvsem",
    "vacancy_id",
]
