"""Portal pages of the jobs service for employers and for the node's moderators.

* ``/jobs/employer`` — an employer (role ``employer``, acting for its organisation at its own
  state's node): the verification of the organisation, its vacancies with whether each is
  listed, and the actions that keep them fresh (reconfirm) or take them down (withdraw).
* ``/jobs/employer/vacancies/new`` — post a vacancy; a form with every problem by field
  (a fee asked of the jobseeker is one of them).
* ``/jobs/vacancies/<id>/report`` — anyone: report a vacancy (a fee, fraud…); the report
  waits in the node's moderation queue.
* ``/jobs/moderation`` — the node's operator (role ``operator``): the queue, where a vacancy
  is blocked (a tombstone every node learns of) or a report dismissed.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from eaeu.bootstrap import Platform
from eaeu.identity.errors import RoleRefused
from eaeu.identity.model import EMPLOYER, OPERATOR
from eaeu.kernel.states import MEMBER_STATES
from eaeu.services.jobs.errors import EmployerRefused, JobsError, VacancyInvalid
from eaeu.services.jobs.model import (
    EDUCATION_LEVELS,
    EMPLOYMENT_TYPES,
    RATES_TO_RUB,
    SALARY_PERIODS,
    SCHEDULES,
    Vacancy,
)
from eaeu.services.jobs.service import JobsService
from eaeu.services.jobs.vacancies import REPORT_REASONS, VacancyDraft
from eaeu.web.auth import SignedIn, accounts, check_csrf, require_user
from eaeu.web.templating import Templates

router = APIRouter()

NO_STORE: Final = {"Cache-Control": "no-store"}


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; it is translated when rendered."""
    return message


FIELD_LABELS: Final = {
    "title": N_("Job title"),
    "description": N_("Description"),
    "isco": N_("Occupation code (ISCO-08)"),
    "locality": N_("City or town"),
    "region": N_("Region"),
    "salary": N_("Pay"),
    "salary_min": N_("Pay from"),
    "salary_max": N_("Pay up to"),
    "currency": N_("Currency"),
    "salary_period": N_("Pay per"),
    "employment_type": N_("Employment"),
    "schedule": N_("Schedule"),
    "education": N_("Education required"),
    "experience_years": N_("Years of experience required"),
    "languages": N_("Languages of the job"),
    "positions": N_("Number of positions"),
    "valid_through": N_("Open until"),
    "posted": N_("Posted"),
    "last_confirmed": N_("Last confirmed"),
    "agency_licence": N_("Agency licence number"),
    "employer_ref": N_("Employer"),
}
CHOICE_LABELS: Final = {
    "full_time": N_("Full time"),
    "part_time": N_("Part time"),
    "temporary": N_("Temporary"),
    "seasonal": N_("Seasonal"),
    "internship": N_("Internship"),
    "contract": N_("Contract"),
    "full_day": N_("Full day"),
    "shift": N_("Shifts"),
    "flexible": N_("Flexible hours"),
    "rotation": N_("Rotation (fly-in fly-out)"),
    "remote": N_("Remote"),
    "month": N_("month"),
    "hour": N_("hour"),
    "day": N_("day"),
    "year": N_("year"),
    "secondary": N_("Secondary school"),
    "vocational": N_("Vocational"),
    "higher": N_("Higher education"),
}
REPORT_LABELS: Final = {
    "fee": N_("It asks jobseekers for money"),
    "fraud": N_("It looks like fraud or a fake employer"),
    "discrimination": N_("It discriminates"),
    "stale": N_("The job is no longer available"),
    "duplicate": N_("It is a duplicate"),
    "other": N_("Something else"),
}
#: What a person reads for each refusal of the employer side (domain messages are English).
REASON_TEXT: Final = {
    "jobs.unavailable": N_("This node does not offer the jobs service."),
    "jobs.employer_unknown": N_("Only organisations registered at this node may post vacancies."),
    "jobs.employer_foreign": N_("An organisation posts vacancies at the node of its own state."),
    "jobs.employer_not_employer": N_("This organisation is not registered as an employer."),
    "jobs.employer_legal_id": N_(
        "The organisation's registration number fails its state's rule, so it cannot be verified."
    ),
    "jobs.agency_licence": N_("A private employment agency must give its licence number."),
    "jobs.vacancy_not_found": N_("You have no vacancy with this id."),
    "jobs.vacancy_closed": N_("This vacancy was withdrawn or blocked; it cannot change."),
    "jobs.report_invalid": N_("Choose what is wrong with the vacancy."),
    "jobs.report_foreign": N_("Only the node of the vacancy's state can block it."),
    "jobs.report_not_found": N_("There is no open report with this id."),
}
OTHER_TEXT: Final = (
    N_("There is no open vacancy at this address."),
    N_("A comment has at most 1000 characters."),
    N_("Block the vacancy or dismiss the report."),
    N_("This field is required."),
    N_("Give a whole number."),
    N_("Give a date."),
)

Employer = Annotated[SignedIn, Depends(require_user(EMPLOYER))]
Operator = Annotated[SignedIn, Depends(require_user(OPERATOR))]


# --- plumbing --------------------------------------------------------------------------------


def jobs_of(request: Request) -> JobsService:
    """The node's jobs service (a FastAPI dependency).

    Raises:
        JobsError: this node has no jobs service (``jobs.unavailable``).
    """
    platform: Platform = request.app.state.platform
    if platform.jobs is None:
        raise JobsError("This node does not offer the jobs service.", reason="jobs.unavailable")
    return platform.jobs


Jobs = Annotated[JobsService, Depends(jobs_of)]


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Render a jobs page with the helpers its templates use."""
    templates: Templates = request.app.state.templates
    language: str = request.state.language
    response = templates.render(
        request,
        name,
        {
            "field_labels": FIELD_LABELS,
            "choice_labels": CHOICE_LABELS,
            "report_labels": REPORT_LABELS,
            "reason_text": REASON_TEXT,
            "state_name": lambda code: MEMBER_STATES[code].name(language),
            "pay": pay,
            **context,
        },
        status_code=status_code,
    )
    response.headers.update(NO_STORE)
    return response


def pay(vacancy: Vacancy) -> str:
    """A vacancy's pay as written on a card: ``90 000-120 000 RUB``, ``from 90 000 RUB``."""

    def amount(value: int) -> str:
        return f"{value:,}".replace(",", "\u00a0")

    if vacancy.salary_min is not None and vacancy.salary_max is not None:
        if vacancy.salary_min == vacancy.salary_max:
            return f"{amount(vacancy.salary_min)} {vacancy.currency}"
        return f"{amount(vacancy.salary_min)}\u2013{amount(vacancy.salary_max)} {vacancy.currency}"
    if vacancy.salary_min is not None:
        return f"\u2265\u00a0{amount(vacancy.salary_min)} {vacancy.currency}"
    return f"\u2264\u00a0{amount(vacancy.salary_max or 0)} {vacancy.currency}"


def _organisation_id(request: Request, user: SignedIn) -> str | None:
    if user.foreign:
        raise RoleRefused(N_("Employers work at the portal of their own state."))
    return accounts(request).person(user.person_id).organisation_id


# --- the employer ----------------------------------------------------------------------------


@router.get("/jobs/employer", response_class=HTMLResponse, include_in_schema=False)
def dashboard(request: Request, jobs: Jobs, user: Employer) -> HTMLResponse:
    """An employer's vacancies, with whether each is listed, and the actions on them."""
    organisation_id = _organisation_id(request, user)
    store = jobs.vacancies
    employer = None
    refusal = None
    if organisation_id is None:
        refusal = "jobs.employer_unknown"
    else:
        employer = store.employer(organisation_id)
        if employer is None:
            try:
                employer = store.verify_employer(organisation_id)
            except EmployerRefused as exc:
                refusal = exc.reason
    today = store.today()
    vacancies = store.of_employer(organisation_id) if organisation_id else []
    return render(
        request,
        "jobs_employer.html",
        {
            "employer": employer,
            "refusal": refusal,
            "vacancies": vacancies,
            "today": today,
            "counts": {
                "listed": sum(v.listed(today) for v in vacancies),
                "attention": sum(
                    v.status == "active" and (not v.listed(today) or v.needs_reconfirmation(today))
                    for v in vacancies
                ),
            },
        },
    )


_FORM_FIELDS: Final = (
    "title", "description", "isco", "locality", "region", "salary_min", "salary_max",
    "currency", "salary_period", "employment_type", "schedule", "education",
    "experience_years", "languages", "positions", "valid_through", "housing", "eaeu_open",
    "agency", "agency_licence",
)  # fmt: skip


def _post_page(
    request: Request,
    jobs: JobsService,
    organisation_id: str | None,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    store = jobs.vacancies
    employer = store.employer(organisation_id) if organisation_id else None
    today = store.today()
    currency = MEMBER_STATES[store.state].currency
    defaults = {
        "currency": currency,
        "salary_period": "month",
        "employment_type": "full_time",
        "schedule": "full_day",
        "positions": "1",
        "languages": "ru",
        "valid_through": (today + timedelta(days=60)).isoformat(),
        "agency": "on" if employer and employer.is_agency else "",
        "agency_licence": (employer.agency_licence or "") if employer else "",
    }
    form = {**defaults, **context.pop("form", {})}
    return render(
        request,
        "jobs_employer_post.html",
        {
            "form": form,
            "problems": {},
            "currencies": list(RATES_TO_RUB),
            "periods": SALARY_PERIODS,
            "employment_types": EMPLOYMENT_TYPES,
            "schedules": SCHEDULES,
            "education_levels": EDUCATION_LEVELS,
            "today": today,
            **context,
        },
        status_code=status_code,
    )


@router.get("/jobs/employer/vacancies/new", response_class=HTMLResponse, include_in_schema=False)
def post_form(request: Request, jobs: Jobs, user: Employer) -> HTMLResponse:
    """The form to post a vacancy."""
    return _post_page(request, jobs, _organisation_id(request, user), {})


def _whole(value: str, name: str, problems: dict[str, str]) -> int | None:
    text = value.replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        problems[name] = N_("Give a whole number.")
        return None


def read_draft(form: dict[str, str]) -> VacancyDraft:
    """The posting form as a draft; every unreadable field is one problem.

    Raises:
        VacancyInvalid: a required field is empty or a number or date cannot be read.
    """
    problems: dict[str, str] = {
        name: N_("This field is required.")
        for name in ("title", "description", "locality")
        if not form.get(name, "").strip()
    }
    low = _whole(form.get("salary_min", ""), "salary_min", problems)
    high = _whole(form.get("salary_max", ""), "salary_max", problems)
    experience = _whole(form.get("experience_years", ""), "experience_years", problems)
    positions = _whole(form.get("positions", ""), "positions", problems)
    try:
        until = date.fromisoformat(form.get("valid_through", ""))
    except ValueError:
        problems["valid_through"] = N_("Give a date.")
        until = date.min
    if problems:
        raise VacancyInvalid(problems)
    languages = tuple(
        code.strip().lower() for code in form.get("languages", "").split(",") if code.strip()
    )
    return VacancyDraft(
        title=form["title"],
        description=form["description"],
        locality=form["locality"],
        region=form.get("region", ""),
        isco=form.get("isco", "").strip() or None,
        salary_min=low,
        salary_max=high,
        currency=form.get("currency", "").strip().upper(),
        salary_period=form.get("salary_period", "month"),
        employment_type=form.get("employment_type", "full_time"),
        schedule=form.get("schedule", "full_day"),
        education=form.get("education") or None,
        experience_years=experience,
        languages=languages or ("ru",),
        housing=form.get("housing") == "on",
        eaeu_open=form.get("eaeu_open") == "on",
        positions=positions if positions is not None else 1,
        valid_through=until,
    )


@router.post(
    "/jobs/employer/vacancies/new",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
async def post_vacancy(request: Request, jobs: Jobs, user: Employer) -> Response:
    """Publish a vacancy; the form comes back with every problem by field."""
    organisation_id = _organisation_id(request, user)
    raw = await request.form()
    form = {name: str(raw.get(name, ""))[:20_000] for name in _FORM_FIELDS}
    agency = form["agency"] == "on"
    try:
        draft = read_draft(form)
        vacancy = jobs.vacancies.post(
            organisation_id or "",
            draft,
            agency=agency,
            licence=form["agency_licence"] if agency else None,
        )
    except VacancyInvalid as exc:
        problems = {
            ("salary_min" if name == "salary" else name): text
            for name, text in exc.problems.items()
        }
        context = {"form": form, "problems": problems, "fee": exc.reason == "jobs.fee_charged"}
        return _post_page(request, jobs, organisation_id, context, status_code=422)
    except EmployerRefused as exc:
        if exc.reason == "jobs.agency_licence":
            context = {"form": form, "problems": {"agency_licence": exc.message}}
        else:
            context = {"form": form, "problems": {}, "refusal": exc.reason}
        return _post_page(request, jobs, organisation_id, context, status_code=422)
    return RedirectResponse(f"/jobs/employer?posted={vacancy.id}#vacancy-{vacancy.id}", 303)


@router.post(
    "/jobs/employer/vacancies/{vacancy_id}/{action}",
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def change_vacancy(
    request: Request, jobs: Jobs, user: Employer, vacancy_id: str, action: str
) -> Response:
    """Reconfirm (still open: listed for 90 more days) or withdraw a vacancy."""
    organisation_id = _organisation_id(request, user) or ""
    if action == "reconfirm":
        jobs.vacancies.reconfirm(organisation_id, vacancy_id)
        done = "reconfirmed"
    elif action == "withdraw":
        jobs.vacancies.withdraw(organisation_id, vacancy_id)
        done = "withdrawn"
    else:
        return RedirectResponse("/jobs/employer", status_code=303)
    return RedirectResponse(f"/jobs/employer?{done}={vacancy_id}#vacancy-{vacancy_id}", 303)


# --- reports and moderation ------------------------------------------------------------------


@router.get(
    "/jobs/vacancies/{vacancy_id}/report", response_class=HTMLResponse, include_in_schema=False
)
def report_form(request: Request, jobs: Jobs, vacancy_id: str) -> HTMLResponse:
    """The report form of a vacancy (anyone may report)."""
    vacancy = jobs.vacancies.listed(vacancy_id)
    return render(
        request,
        "jobs_moderation_report.html",
        {"vacancy": vacancy, "reasons": REPORT_REASONS, "form": {}, "problem": None},
    )


@router.post(
    "/jobs/vacancies/{vacancy_id}/report",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def report_vacancy(
    request: Request,
    jobs: Jobs,
    vacancy_id: str,
    reason: Annotated[str, Form(max_length=32)] = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Put a report about a vacancy in this node's moderation queue."""
    vacancy = jobs.vacancies.listed(vacancy_id)
    if reason not in REPORT_REASONS or len(comment) > 1000:  # noqa: PLR2004 - MAX_COMMENT
        problem = (
            N_("Choose what is wrong with the vacancy.")
            if reason not in REPORT_REASONS
            else N_("A comment has at most 1000 characters.")
        )
        return render(
            request,
            "jobs_moderation_report.html",
            {
                "vacancy": vacancy,
                "reasons": REPORT_REASONS,
                "form": {"reason": reason, "comment": comment},
                "problem": problem,
            },
            status_code=422,
        )
    jobs.vacancies.report(vacancy_id, reason, comment)
    return RedirectResponse(f"/jobs/vacancies/{vacancy_id}?reported=1", status_code=303)


def _home_operator(user: SignedIn) -> None:
    if user.foreign:
        raise RoleRefused(N_("The moderators work at the portal of their own state."))


@router.get("/jobs/moderation", response_class=HTMLResponse, include_in_schema=False)
def moderation(request: Request, jobs: Jobs, user: Operator) -> HTMLResponse:
    """The node's moderation queue: open reports with their vacancies."""
    _home_operator(user)
    queue = jobs.vacancies.open_reports()
    grouped: dict[str, tuple[Vacancy, list[Any]]] = {}
    for report, vacancy in queue:
        grouped.setdefault(vacancy.id, (vacancy, []))[1].append(report)
    return render(
        request,
        "jobs_moderation.html",
        {"groups": list(grouped.values()), "state": jobs.vacancies.state},
    )


@router.post(
    "/jobs/moderation/{report_id}",
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def decide(
    jobs: Jobs,
    user: Operator,
    report_id: str,
    action: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Block the reported vacancy (a tombstone) or dismiss the report."""
    _home_operator(user)
    vacancy = jobs.vacancies.decide(report_id, action, user.person_id)
    return RedirectResponse(f"/jobs/moderation?{action}ed={vacancy.id}", status_code=303)


__all__ = ["jobs_of", "pay", "read_draft", "router"]
