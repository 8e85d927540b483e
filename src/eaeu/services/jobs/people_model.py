"""The people part's values: CVs, applications as each node sees them, and their rules.

Only the standard library and ``eaeu.kernel`` (through the part's errors) here: these are
the values :mod:`.applications` and :mod:`.contracts` store, send and show.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from eaeu.services.jobs.people_errors import CvInvalid

#: The parts of an application a person can choose, and the data category of each.
PARTS: Final[Mapping[str, str]] = {
    "identity": "identity",
    "contact": "contact",
    "profile": "employment",
    "experience": "employment",
    "education": "employment",
    "languages": "employment",
    "documents": "documents",
}
#: The identity fields an application sends (never the national identifier).
IDENTITY_FIELDS: Final = (
    "family_name", "given_name", "family_name_latin", "given_name_latin", "birth_date",
    "nationality",
)  # fmt: skip

NOT_SENT, SENT, VIEWED, INVITED = "not_sent", "sent", "viewed", "invited"
OFFER, HIRED, REJECTED, WITHDRAWN = "offer", "hired", "rejected", "withdrawn"
#: The statuses after which nothing more happens to an application.
CLOSED: Final = frozenset({HIRED, REJECTED, WITHDRAWN})
#: The answers an employer sends with ``jobs.application.status``.
ANSWERS: Final = frozenset({VIEWED, INVITED, REJECTED})

_ISCO = re.compile(r"[0-9]{4}")
_LANGUAGE = re.compile(r"[a-z]{2}")
_LEVELS: Final = ("A1", "A2", "B1", "B2", "C1", "C2", "native")
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_YEAR = re.compile(r"(19|20)[0-9]{2}")
_MAX_CODES = 10
_MAX_TEXT = 4000
_MAX_LINE = 200
_MAX_ENTRIES = 20

# -- the CV ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Experience:
    """A job the person held: title, employer, ISCO unit group, months from and to."""

    title: str
    employer: str
    start: str
    end: str = ""
    isco: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Education:
    """A qualification: level, institution, field and the year it was completed."""

    level: str
    institution: str
    subject: str = ""
    year: str = ""


@dataclass(frozen=True, slots=True)
class Language:
    """A language (ISO 639-1) and the level (CEFR, or ``native``)."""

    code: str
    level: str


@dataclass(frozen=True, slots=True)
class CvDocument:
    """A document the person holds (diploma, certificate), by title, kind and number."""

    title: str
    kind: str = ""
    reference: str = ""


@dataclass(frozen=True, slots=True)
class Cv:
    """A person's CV, as kept on their home node.

    Attributes:
        person_id: the person.
        headline: one line: what the person does.
        summary: a few sentences about them.
        occupations: ISCO-08 unit groups (4 digits) of the work they seek.
        experience, education, languages, documents: the structured parts.
        locality: where they live now.
        searchable: whether employers of this node may find it.
        updated_at: when it was last saved.
    """

    person_id: str
    headline: str
    summary: str = ""
    occupations: tuple[str, ...] = ()
    experience: tuple[Experience, ...] = ()
    education: tuple[Education, ...] = ()
    languages: tuple[Language, ...] = ()
    documents: tuple[CvDocument, ...] = ()
    locality: str = ""
    searchable: bool = False
    updated_at: datetime | None = None

    def part(self, name: str) -> Any:
        """The JSON form of one CV part of :data:`PARTS` (``profile``, ``experience``…)."""
        if name == "profile":
            return {
                "headline": self.headline,
                "summary": self.summary,
                "occupations": list(self.occupations),
                "locality": self.locality,
            }
        items: Sequence[Any] = getattr(self, name)
        return [as_dict(item) for item in items]


def check_cv(cv: Cv) -> Cv:
    """Return ``cv`` with its text trimmed, or raise with every problem found.

    Raises:
        CvInvalid: by field, a sentence the person understands.
    """
    cv = replace(
        cv,
        headline=cv.headline.strip(),
        summary=cv.summary.strip(),
        locality=cv.locality.strip(),
        occupations=tuple(dict.fromkeys(code.strip() for code in cv.occupations if code.strip())),
    )
    problems: dict[str, str] = {}
    if not cv.headline or len(cv.headline) > _MAX_LINE:
        problems["headline"] = "Write in one line what you do (at most 200 characters)."
    if len(cv.summary) > _MAX_TEXT or len(cv.locality) > _MAX_LINE:
        problems["summary"] = "The text is too long."
    if not all(_ISCO.fullmatch(c) for c in cv.occupations) or len(cv.occupations) > _MAX_CODES:
        problems["occupations"] = "Occupations are ISCO-08 unit groups of 4 digits (at most 10)."
    checks: tuple[tuple[str, Sequence[Any], Callable[[Any], str | None]], ...] = (
        ("experience", cv.experience, _job_problem),
        ("education", cv.education, _education_problem),
        ("languages", cv.languages, _language_problem),
        ("documents", cv.documents, _document_problem),
    )
    for name, entries, check in checks:
        for index, entry in enumerate(entries):
            problem = check(entry)
            if problem:
                problems[f"{name}.{index}"] = problem
        if len(entries) > _MAX_ENTRIES:
            problems[name] = "At most 20 entries in each part."
        if any(len(str(v)) > _MAX_TEXT for e in entries for v in as_dict(e).values()):
            problems[name] = "The text is too long."
    if problems:
        raise CvInvalid(problems)
    return cv


def _job_problem(job: Experience) -> str | None:
    if not job.title.strip() or not job.employer.strip():
        return "Each job needs a title and an employer."
    if not _MONTH.fullmatch(job.start) or (job.end and not _MONTH.fullmatch(job.end)):
        return "Give months as YYYY-MM."
    if job.end and job.end < job.start:
        return "A job cannot end before it starts."
    if job.isco and not _ISCO.fullmatch(job.isco):
        return "The occupation is an ISCO-08 code of 4 digits."
    return None


def _education_problem(item: Education) -> str | None:
    if not item.level.strip() or not item.institution.strip():
        return "Each qualification needs a level and a school."
    if item.year and not _YEAR.fullmatch(item.year):
        return "Give the year with 4 digits."
    return None


def _language_problem(language: Language) -> str | None:
    if not _LANGUAGE.fullmatch(language.code) or language.level not in _LEVELS:
        return "Give each language by its two-letter code and a level from A1 to C2, or native."
    return None


def _document_problem(document: CvDocument) -> str | None:
    return None if document.title.strip() else "Each document needs a title."


# -- applications ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VacancyRef:
    """What an application needs of a vacancy (read from ``jobs_vacancies``)."""

    id: str
    origin: str
    title: str
    employer_ref: str
    employer_name: str
    locality: str
    isco: str | None
    listed: bool


@dataclass(frozen=True, slots=True)
class Event:
    """One step in the history of an application."""

    at: datetime
    status: str
    actor: str
    note: str | None


@dataclass(frozen=True, slots=True)
class Application:
    """An application, as this node knows it.

    Attributes:
        payload: the fields sent (exactly what the employer's node holds).
        categories: their data categories.
        local: both the worker and the employer are on this node's state.
        offer: the terms of the offer, once there is one.
        history: the steps so far, oldest first.
    """

    id: str
    vacancy_id: str
    destination: str
    employer_ref: str
    employer_name: str
    title: str
    locality: str
    worker_state: str
    worker_side: bool
    employer_side: bool
    person_id: str | None
    status: str
    payload: Mapping[str, Any]
    categories: tuple[str, ...]
    consent_id: str | None
    message: str | None
    offer: Mapping[str, Any] | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    updated_at: datetime
    history: tuple[Event, ...] = field(default=())

    @property
    def local(self) -> bool:
        """Whether the application never left this node."""
        return self.worker_side and self.employer_side

    @property
    def closed(self) -> bool:
        """Whether nothing more can happen to it."""
        return self.status in CLOSED


def as_dict(item: Any) -> dict[str, Any]:
    """The fields of a value object as a dict (its JSON form)."""
    return {name: getattr(item, name) for name in item.__slots__}
