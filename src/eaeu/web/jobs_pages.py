"""Vacancy search, vacancy pages, saved searches and alerts of the jobs service.

* ``/jobs`` — search every member state's vacancies (replicated here) by words in any
  language, with filters for country, place, occupation, pay, employment type, schedule,
  housing and "open to EAEU citizens"; sorting and paging; how fresh each country's data
  is; a signed-in person can save the search with alerts.
* ``/jobs/vacancies/<id>`` — one vacancy, with its schema.org ``JobPosting`` JSON-LD
  embedded, and the buttons to apply and to report it.
* ``/jobs/alerts`` — the person's saved searches and the vacancies that newly matched
  them (running them on the way in); save, delete, mark as seen.
* ``GET /api/v1/jobs/search`` — the same search as JSON; ``GET /api/v1/jobs/vacancies/<id>``
  — a vacancy as ``application/ld+json``.

Bad parameters give the page again with the reason (pages) or a 422 problem (API).
"""

# Russian plural forms and city words are data here.
# ruff: noqa: RUF001, RUF002, RUF003

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Final
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import Markup

from eaeu.bootstrap import Platform
from eaeu.kernel.errors import PlatformError
from eaeu.kernel.states import MEMBER_STATES, STATE_CODES
from eaeu.services.jobs.isco import catalogue, describe
from eaeu.services.jobs.model import Vacancy, is_listed, to_jobposting
from eaeu.services.jobs.search_errors import SavedSearchInvalid, SearchInvalid
from eaeu.services.jobs.search_query import (
    EMPLOYMENT_TYPES,
    SCHEDULES,
    SearchHit,
    SearchPage,
    SearchQuery,
)
from eaeu.services.jobs.service import JobsService
from eaeu.web.auth import SignedIn, check_csrf, current_user, require_user
from eaeu.web.jobs_people_pages import LANGUAGE_NAMES
from eaeu.web.templating import Templates

router = APIRouter()
api = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])

NO_STORE: Final = {"Cache-Control": "no-store"}


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; it is translated when rendered."""
    return message


EMPLOYMENT_LABELS: Final = {
    "full_time": N_("Full time"),
    "part_time": N_("Part time"),
    "temporary": N_("Temporary"),
    "seasonal": N_("Seasonal"),
    "internship": N_("Internship"),
    "contract": N_("Contract"),
}
SCHEDULE_LABELS: Final = {
    "full_day": N_("Full day"),
    "shift": N_("Shifts"),
    "flexible": N_("Flexible hours"),
    "rotation": N_("Rotation (vakhta)"),
    "remote": N_("Remote"),
}
SORT_LABELS: Final = {
    "relevance": N_("Best match"),
    "newest": N_("Newest"),
    "salary": N_("Highest pay"),
}
PERIOD_LABELS: Final = {
    "month": N_("a month"),
    "hour": N_("an hour"),
    "day": N_("a day"),
    "year": N_("a year"),
}
#: Pay with one bound only ("from 90 000 KZT a month").
PAY_BOUND: Final = {
    "min": N_("from %(amount)s %(currency)s %(period)s"),
    "max": N_("up to %(amount)s %(currency)s %(period)s"),
}
PAY_NOT_STATED: Final = N_("Pay not stated")
NO_EXPERIENCE: Final = N_("Not required")
#: Years in the plural forms of each page language (Russian: one, few, many).
YEAR_FORMS: Final = {"en": ("year", "years"), "ru": ("год", "года", "лет")}
MATCH_LABELS: Final = {
    "title": N_("Title matches"),
    "occupation": N_("Same occupation"),
    "text": N_("Mentioned in the text"),
}
#: What a person reads for each refusal of a search parameter.
FIELD_TEXT: Final = {
    "q": N_("A search is at most 200 characters."),
    "country": N_("Choose a member state from the list."),
    "occupation": N_("This is not an ISCO-08 occupation group."),
    "salary": N_("Pay is a whole number of roubles, from 1 to 5 000 000."),
    "employment": N_("Choose an employment type from the list."),
    "schedule": N_("Choose a schedule from the list."),
    "sort": N_("Sort by best match, newest or highest pay."),
    "page": N_("Only the first 1000 results can be shown; refine the search."),
    "per_page": N_("Results per page are 1 to 100."),
    "housing": N_("Choose yes or no."),
    "eaeu": N_("Choose yes or no."),
}
SAVE_TEXT: Final = {
    "name": N_("Give the search a name of 1 to 200 characters."),
    "limit": N_("You can keep 20 saved searches; delete one first."),
}


# --- plumbing --------------------------------------------------------------------------


def jobs_of(request: Request) -> JobsService:
    """The node's jobs service (a FastAPI dependency).

    Raises:
        PlatformError: this node has no jobs service (``jobs.unavailable``, 503).
    """
    platform: Platform = request.app.state.platform
    if platform.jobs is None:
        raise PlatformError("This node does not offer the jobs service.", reason="jobs.unavailable")
    return platform.jobs


Jobs = Annotated[JobsService, Depends(jobs_of)]
Person = Annotated[SignedIn, Depends(require_user())]


def _params(request: Request) -> dict[str, str | list[str]]:
    params: dict[str, str | list[str]] = {}
    for name in request.query_params:
        values = request.query_params.getlist(name)
        params[name] = values if len(values) > 1 else values[0]
    return params


def pay(item: SearchHit | Vacancy, gettext: Callable[[str], str]) -> str:
    """Pay as a card shows it: ``90 000 to 120 000 RUB a month``, ``from 90 000 KZT a month``."""

    def amount(value: int) -> str:
        return f"{value:,}".replace(",", "\u00a0")

    period = gettext(PERIOD_LABELS[item.salary_period])
    low, high = item.salary_min, item.salary_max
    if low is not None and high is not None:
        return f"{amount(low)}\u2013{amount(high)} {item.currency} {period}"
    if low is None and high is None:
        return gettext(PAY_NOT_STATED)
    bound, value = ("min", low) if low is not None else ("max", high)
    assert value is not None  # noqa: S101 - one of the two is set (checked above)
    return gettext(PAY_BOUND[bound]) % {
        "amount": amount(value),
        "currency": item.currency,
        "period": period,
    }


def plural_form(count: int, language: str) -> int:
    """The index of the plural form of ``count`` in :data:`YEAR_FORMS` for ``language``.

    Russian has three forms (1, 21 год; 2–4, 22 года; 0, 5–20, 25 лет), English two.
    """
    if language != "ru":
        return 0 if count == 1 else 1
    if count % 10 == 1 and count % 100 != 11:  # noqa: PLR2004
        return 0
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:  # noqa: PLR2004
        return 1
    return 2


def years(count: int, language: str, gettext: Callable[[str], str]) -> str:
    """Experience as a vacancy states it: «1 год», «3 года», "5 years"; none required."""
    if count <= 0:
        return gettext(NO_EXPERIENCE)
    forms = YEAR_FORMS.get(language, YEAR_FORMS["en"])
    return f"{count} {forms[plural_form(count, language)]}"


def language_names(codes: tuple[str, ...] | list[str], language: str) -> str:
    """ISO 639-1 codes as language names in the page language: «русский, английский»."""
    names = [LANGUAGE_NAMES.get(code) for code in codes]
    index = 1 if language == "ru" else 0
    return ", ".join(
        (name[index] if name else code) for code, name in zip(codes, names, strict=True)
    )


# «г. Москва», "Almaty city", «Бишкек шаары»: the same place as the city itself.
_CITY_WORDS: Final = re.compile(
    r"^(?:г\.?|гор\.|город|city of)\s*|\s+(?:city|қаласы|шаары|қ\.)$",
    re.IGNORECASE,
)


def where(locality: str, region: str | None) -> str:
    """The locality, and the region unless it only names the same city again."""
    if not region:
        return locality

    def core(name: str) -> str:
        return _CITY_WORDS.sub("", name.strip()).casefold().replace("ё", "е")

    return locality if core(region) == core(locality) else f"{locality}, {region}"


def _freshness(jobs: JobsService) -> dict[str, datetime | None]:
    # The change feed (slice B) says when each state's vacancies were last pulled.
    freshness = getattr(jobs.feed, "freshness", None)
    if freshness is None:
        return {}
    try:
        result: dict[str, datetime | None] = freshness()
    except PlatformError:
        return {}
    return result


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Render a search page with the helpers its templates use."""
    templates: Templates = request.app.state.templates
    language: str = request.state.language
    response = templates.render(
        request,
        name,
        {
            "state_name": lambda code: MEMBER_STATES[code].name(language),
            "state_codes": STATE_CODES,
            "occupation": lambda code: describe(code, language),
            "employment_labels": EMPLOYMENT_LABELS,
            "schedule_labels": SCHEDULE_LABELS,
            "sort_labels": SORT_LABELS,
            "match_labels": MATCH_LABELS,
            "pay": pay,
            "years": lambda count, gettext: years(count, language, gettext),
            "language_names": lambda codes: language_names(codes, language),
            "where": where,
            **context,
        },
        status_code=status_code,
    )
    response.headers.update(NO_STORE)
    return response


# --- search ----------------------------------------------------------------------------


@router.get("/jobs", response_class=HTMLResponse, include_in_schema=False)
def search_page(request: Request, jobs: Jobs) -> HTMLResponse:
    """The search form and a page of results."""
    error: tuple[str, str] | None = None
    page: SearchPage | None = None
    try:
        query = SearchQuery.from_params(_params(request))
    except SearchInvalid as exc:
        query = SearchQuery()
        error = (exc.field, FIELD_TEXT.get(exc.field, exc.message))
    else:
        page = jobs.search.search(query)
    language: str = request.state.language
    return render(
        request,
        "jobs_search.html",
        {
            "query": query,
            "page": page,
            "error": error,
            "freshness": _freshness(jobs),
            "now": jobs.ctx.clock.now(),
            "majors": [(group.code, group.label(language)) for group in catalogue().majors()],
            "employment_types": EMPLOYMENT_TYPES,
            "schedules": SCHEDULES,
            "user": current_user(request),
        },
        status_code=422 if error else 200,
    )


@api.get("/search")
def search_api(request: Request, jobs: Jobs) -> JSONResponse:
    """The search as JSON (parameters as on ``/jobs``)."""
    query = SearchQuery.from_params(_params(request))
    page = jobs.search.search(query)
    return JSONResponse(
        {
            "total": page.total,
            "capped": page.capped,
            "page": query.page,
            "pages": page.pages,
            "occupations": list(page.codes),
            "hits": [
                {
                    "id": hit.vacancy_id,
                    "url": f"/jobs/vacancies/{hit.vacancy_id}",
                    "title": hit.title,
                    "employer": hit.employer_name,
                    "agency": hit.is_agency,
                    "country": hit.origin,
                    "region": hit.region,
                    "locality": hit.locality,
                    "isco": hit.isco,
                    "salary": {
                        "min": hit.salary_min,
                        "max": hit.salary_max,
                        "currency": hit.currency,
                        "period": hit.salary_period,
                    },
                    "employment_type": hit.employment_type,
                    "schedule": hit.schedule,
                    "housing": hit.housing,
                    "eaeu_open": hit.eaeu_open,
                    "posted": hit.posted.isoformat(),
                    "last_confirmed": hit.last_confirmed.isoformat(),
                    "matched": list(hit.matched),
                }
                for hit in page.hits
            ],
        },
        headers=NO_STORE,
    )


# --- one vacancy -----------------------------------------------------------------------


def _jsonld(vacancy: Vacancy, request: Request) -> dict[str, Any]:
    return to_jobposting(vacancy, base_url=str(request.base_url).rstrip("/"))


@router.get("/jobs/vacancies/{vacancy_id}", response_class=HTMLResponse, include_in_schema=False)
def vacancy_page(request: Request, jobs: Jobs, vacancy_id: str) -> HTMLResponse:
    """A vacancy, with its JSON-LD and the apply and report buttons."""
    vacancy = jobs.vacancies.get(vacancy_id)
    today = jobs.ctx.clock.now().date()
    listed = is_listed(vacancy.status, vacancy.valid_through, vacancy.last_confirmed, today)
    # "</" cannot end the script element early once JSON escapes it.
    jsonld = json.dumps(_jsonld(vacancy, request), ensure_ascii=False).replace("</", "<\\/")
    return render(
        request,
        "jobs_vacancy.html",
        {
            "vacancy": vacancy,
            "listed": listed,
            "jsonld": Markup(jsonld),  # noqa: S704 - JSON with "</" escaped, in a script element
            "reported": request.query_params.get("reported") == "1",
            "back": request.headers.get("referer", "")
            if "/jobs?" in request.headers.get("referer", "")
            else "/jobs",
        },
    )


@api.get("/vacancies/{vacancy_id}")
def vacancy_api(request: Request, jobs: Jobs, vacancy_id: str) -> Response:
    """A vacancy as schema.org ``JobPosting`` JSON-LD."""
    vacancy = jobs.vacancies.get(vacancy_id)
    body = json.dumps(_jsonld(vacancy, request), ensure_ascii=False)
    return Response(body, media_type="application/ld+json", headers=NO_STORE)


# --- saved searches and alerts ---------------------------------------------------------


def _alerts_page(
    request: Request, jobs: Jobs, person: SignedIn, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    new = jobs.alerts.refresh(person.person_id)
    return render(
        request,
        "jobs_alerts.html",
        {
            "searches": jobs.alerts.searches(person.person_id),
            "alerts": jobs.alerts.alerts(person.person_id),
            "new": new,
            "error": error,
        },
        status_code=status,
    )


@router.get("/jobs/alerts", response_class=HTMLResponse, include_in_schema=False)
def alerts_page(request: Request, jobs: Jobs, person: Person) -> HTMLResponse:
    """The person's saved searches and alerts (running the searches first)."""
    return _alerts_page(request, jobs, person)


@router.post(
    "/jobs/alerts",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def save_search(
    request: Request,
    jobs: Jobs,
    person: Person,
    name: Annotated[str, Form(max_length=1000)] = "",
    query: Annotated[str, Form(max_length=4000)] = "",
    alerts: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Save a search (its query string) with or without alerts."""
    try:
        params: dict[str, str | list[str]] = dict(parse_qs(query).items())
        parsed = SearchQuery.from_params(params)
        jobs.alerts.save(person.person_id, name, parsed, alerts=alerts == "1")
    except SearchInvalid as exc:
        return _alerts_page(
            request, jobs, person, error=FIELD_TEXT.get(exc.field, exc.message), status=422
        )
    except SavedSearchInvalid as exc:
        key = "limit" if "delete one" in exc.message else "name"
        return _alerts_page(request, jobs, person, error=SAVE_TEXT[key], status=422)
    return RedirectResponse("/jobs/alerts?saved=1", status_code=303)


@router.post(
    "/jobs/alerts/{search_id}/delete",
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def delete_search(jobs: Jobs, person: Person, search_id: str) -> RedirectResponse:
    """Delete a saved search and its alerts."""
    jobs.alerts.delete(person.person_id, search_id)
    return RedirectResponse("/jobs/alerts", status_code=303)


@router.post("/jobs/alerts/seen", include_in_schema=False, dependencies=[Depends(check_csrf)])
def mark_seen(jobs: Jobs, person: Person) -> RedirectResponse:
    """Mark every alert as seen."""
    jobs.alerts.mark_seen(person.person_id)
    return RedirectResponse("/jobs/alerts", status_code=303)


# ``app.py`` includes ``router`` only; the API routes ride along (after they are declared).
router.include_router(api)
