"""What a vacancy search asks for, what it returns, and how a query is understood.

:class:`SearchQuery` is the one description of a search that the page, the API, saved
searches and the benchmark share; :meth:`SearchQuery.from_params` reads it from URL
parameters (refusing values out of range with :class:`~.search_errors.SearchInvalid`) and
:meth:`SearchQuery.to_params` writes it back, so a saved search is just its query string.

:func:`analyse` turns the text into stems (:mod:`.search_text`) and splits them into
*occupation words*, which some ISCO-08 label contains and which map the query to unit
groups (:mod:`.isco`), and *free words* (places, employers, skills), which only the text
can match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Final
from urllib.parse import urlencode

from eaeu.kernel.states import STATE_CODES
from eaeu.services.jobs.isco import catalogue
from eaeu.services.jobs.search_errors import SearchInvalid
from eaeu.services.jobs.search_text import stems

SORTS: Final = ("relevance", "newest", "salary")
EMPLOYMENT_TYPES: Final = (
    "full_time",
    "part_time",
    "temporary",
    "seasonal",
    "internship",
    "contract",
)
SCHEDULES: Final = ("full_day", "shift", "flexible", "rotation", "remote")
#: Results a search can page through (deeper pages: refine the search).
MAX_RESULTS: Final = 1000
PER_PAGE: Final = 20
MAX_PER_PAGE: Final = 100
MAX_TEXT: Final = 200
MAX_SALARY: Final = 5_000_000

_BOOLEAN: Final = {"1": True, "true": True, "on": True, "yes": True, "0": False, "false": False}


def _many(params: Mapping[str, str | list[str]], name: str) -> list[str]:
    value = params.get(name)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


def _one(params: Mapping[str, str | list[str]], name: str) -> str:
    value = params.get(name)
    if isinstance(value, list):
        value = value[-1] if value else None
    return (value or "").strip()


def _integer(params: Mapping[str, str | list[str]], name: str, low: int, high: int) -> int | None:
    text = _one(params, name).replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise SearchInvalid(name, f"{name} must be a whole number from {low} to {high}.")
    return int(text)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A vacancy search.

    Attributes:
        text: words in any language ("" lists everything that passes the filters).
        countries: origin states to keep (empty: all).
        place: words of a region or locality ("Москва", "Almaty").
        occupation: an ISCO-08 code of one to four digits (the group and all below it).
        salary_min: at least this much a month, in roubles at the indicative rates.
        employment_types: any of :data:`EMPLOYMENT_TYPES` (empty: all).
        schedules: any of :data:`SCHEDULES` (empty: all).
        housing: only vacancies with housing provided.
        eaeu_open: only vacancies open to citizens of other EAEU states.
        sort: ``relevance``, ``newest`` or ``salary`` (highest first).
        page: the page, from 1.
        per_page: results per page.
    """

    text: str = ""
    countries: tuple[str, ...] = ()
    place: str = ""
    occupation: str | None = None
    salary_min: int | None = None
    employment_types: tuple[str, ...] = ()
    schedules: tuple[str, ...] = ()
    housing: bool = False
    eaeu_open: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE

    def __post_init__(self) -> None:  # noqa: C901 - one check per field
        if len(self.text) > MAX_TEXT or len(self.place) > MAX_TEXT:
            raise SearchInvalid("q", f"A search is at most {MAX_TEXT} characters.")
        for code in self.countries:
            if code not in STATE_CODES:
                raise SearchInvalid("country", "Choose a member state from the list.")
        if self.occupation is not None and (
            not self.occupation.isdigit() or catalogue().get(self.occupation) is None
        ):
            raise SearchInvalid("occupation", "This is not an ISCO-08 occupation group.")
        if self.salary_min is not None and not 0 < self.salary_min <= MAX_SALARY:
            raise SearchInvalid("salary", f"Pay is a whole number from 1 to {MAX_SALARY}.")
        if any(item not in EMPLOYMENT_TYPES for item in self.employment_types):
            raise SearchInvalid("employment", "Choose an employment type from the list.")
        if any(item not in SCHEDULES for item in self.schedules):
            raise SearchInvalid("schedule", "Choose a schedule from the list.")
        if self.sort not in SORTS:
            raise SearchInvalid("sort", "Sort by relevance, newest or salary.")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise SearchInvalid("per_page", f"Results per page are 1 to {MAX_PER_PAGE}.")
        if self.page < 1 or (self.page - 1) * self.per_page >= MAX_RESULTS:
            raise SearchInvalid(
                "page", f"Only the first {MAX_RESULTS} results can be shown; refine the search."
            )

    @property
    def offset(self) -> int:
        """How many results come before this page."""
        return (self.page - 1) * self.per_page

    @classmethod
    def from_params(cls, params: Mapping[str, str | list[str]]) -> SearchQuery:
        """Read a search from URL parameters.

        The parameters are ``q``, ``country``, ``place``, ``occupation``, ``salary``,
        ``employment``, ``schedule``, ``housing``, ``eaeu``, ``sort``, ``page`` and
        ``per_page``; lists may repeat a parameter or separate values with commas.

        Raises:
            SearchInvalid: a value is out of range or not one of the listed values.
        """
        flags: dict[str, bool] = {}
        for name in ("housing", "eaeu"):
            raw = _one(params, name).lower()
            if raw and raw not in _BOOLEAN:
                raise SearchInvalid(name, f"{name} is 1 or 0.")
            flags[name] = _BOOLEAN.get(raw, False)
        return cls(
            text=_one(params, "q"),
            countries=tuple(dict.fromkeys(code.upper() for code in _many(params, "country"))),
            place=_one(params, "place"),
            occupation=_one(params, "occupation") or None,
            salary_min=_integer(params, "salary", 1, MAX_SALARY),
            employment_types=tuple(dict.fromkeys(_many(params, "employment"))),
            schedules=tuple(dict.fromkeys(_many(params, "schedule"))),
            housing=flags["housing"],
            eaeu_open=flags["eaeu"],
            sort=_one(params, "sort") or "relevance",
            page=_integer(params, "page", 1, MAX_RESULTS) or 1,
            per_page=_integer(params, "per_page", 1, MAX_PER_PAGE) or PER_PAGE,
        )

    def to_params(self, *, page: int | None = None) -> list[tuple[str, str]]:
        """The URL parameters of this search (defaults left out), for links and saving."""
        pairs: list[tuple[str, str]] = []
        if self.text:
            pairs.append(("q", self.text))
        pairs += [("country", code) for code in self.countries]
        if self.place:
            pairs.append(("place", self.place))
        if self.occupation:
            pairs.append(("occupation", self.occupation))
        if self.salary_min:
            pairs.append(("salary", str(self.salary_min)))
        pairs += [("employment", item) for item in self.employment_types]
        pairs += [("schedule", item) for item in self.schedules]
        if self.housing:
            pairs.append(("housing", "1"))
        if self.eaeu_open:
            pairs.append(("eaeu", "1"))
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        if self.per_page != PER_PAGE:
            pairs.append(("per_page", str(self.per_page)))
        chosen = self.page if page is None else page
        if chosen != 1:
            pairs.append(("page", str(chosen)))
        return pairs

    def query_string(self, *, page: int | None = None) -> str:
        """:meth:`to_params` encoded for a URL."""
        return urlencode(self.to_params(page=page))

    def first_page(self) -> SearchQuery:
        """The same search from its first page."""
        return replace(self, page=1)


@dataclass(frozen=True, slots=True)
class Analysis:
    """How the text of a query was understood.

    Attributes:
        stems: the stems of its meaningful words.
        free: the stems no occupation label contains (places, employers, skills).
        codes: ISCO-08 unit groups named by the occupation words → score in (0, 1].
    """

    stems: tuple[str, ...] = ()
    free: tuple[str, ...] = ()
    codes: dict[str, float] = field(default_factory=dict)


def analyse(text: str) -> Analysis:
    """Understand the text of a query (stems, free words, occupations it names)."""
    query_stems = stems(text)
    isco = catalogue()
    codes = isco.match(query_stems)
    free = tuple(item for item in query_stems if not codes or not isco.knows(item))
    return Analysis(tuple(query_stems), free, codes)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One vacancy in a result page (what a card shows).

    Attributes:
        vacancy_id: its id (``/jobs/vacancies/<id>``).
        title: the title as written.
        employer_name: the employer.
        is_agency: posted by a licensed private employment agency.
        origin: its state.
        region: its region.
        locality: its city, town or village.
        isco: its ISCO-08 unit group, if known.
        salary_min: lowest pay, if stated.
        salary_max: highest pay, if stated.
        currency: ISO 4217.
        salary_period: ``month``, ``hour``, ``day`` or ``year``.
        employment_type: see :data:`EMPLOYMENT_TYPES`.
        schedule: see :data:`SCHEDULES`.
        housing: housing provided.
        eaeu_open: open to citizens of other EAEU states.
        posted: when it was published.
        last_confirmed: when it was last confirmed.
        matched: why it matched: any of ``title``, ``occupation``, ``text``.
    """

    vacancy_id: str
    title: str
    employer_name: str
    is_agency: bool
    origin: str
    region: str
    locality: str
    isco: str | None
    salary_min: int | None
    salary_max: int | None
    currency: str
    salary_period: str
    employment_type: str
    schedule: str
    housing: bool
    eaeu_open: bool
    posted: date
    last_confirmed: date
    matched: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of results.

    Attributes:
        query: the search.
        hits: the vacancies on this page.
        total: how many vacancies match, counted up to :data:`MAX_RESULTS` + 1.
        capped: ``total`` was capped (show "1,000+").
        codes: the ISCO-08 unit groups the text was understood to name, best first.
        engine: ``sqlite`` or ``postgresql``.
    """

    query: SearchQuery
    hits: tuple[SearchHit, ...]
    total: int
    capped: bool
    codes: tuple[str, ...] = ()
    engine: str = ""

    @property
    def pages(self) -> int:
        """How many pages can be shown."""
        shown = min(self.total, MAX_RESULTS)
        return max(1, -(-shown // self.query.per_page))

    @property
    def has_next(self) -> bool:
        """Whether there is a next page."""
        return self.query.page < self.pages
