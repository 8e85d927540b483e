"""Portal pages of the jobs service's people part: CVs, applications, contracts.

For the jobseeker, on their home node:

* ``/jobs/cv`` — the CV (occupations, experience, education, languages, documents) and the
  "employers may find my CV" opt-in;
* ``/jobs/vacancies/{id}/apply`` — choose what to send, see exactly what goes to which
  organisation in which state and why (the consent preview), confirm;
* ``/jobs/applications`` and ``/jobs/applications/{id}`` — the applications, their history,
  withdraw, send again;
* ``/jobs/contracts/{id}`` — the contract offered: the employer's signature checked with a
  receipt, then signed under the consent the signing creates.

For the employer (role ``employer``, their organisation's only), on the employer's node:
``/jobs/employer/applications`` (and ``/{id}``: view, invite, reject, offer and sign the
contract), ``/jobs/contracts/{id}`` (the receipts and the migration acknowledgment) and
``/jobs/employer/cvs`` (the CVs of people of this node who opted in).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from eaeu.bootstrap import Platform
from eaeu.consent.model import PURPOSES, organisation_ref
from eaeu.consent.policy import CATEGORIES, Text
from eaeu.documents.errors import DocumentError
from eaeu.documents.keys import CertifiedKey, SignerAuthorisation
from eaeu.identity.errors import RoleRefused
from eaeu.kernel.errors import PlatformError
from eaeu.kernel.states import MEMBER_STATES
from eaeu.services.jobs import applications as apps
from eaeu.services.jobs import contracts as cons
from eaeu.services.jobs.people_errors import (
    ApplicationConflict,
    ApplicationInvalid,
    ContractRefused,
    CvInvalid,
)
from eaeu.services.jobs.service import JobsService
from eaeu.web.auth import SignedIn, accounts, check_csrf, require_user
from eaeu.web.documents_pages import EXPLAINED
from eaeu.web.templating import Templates

router = APIRouter(include_in_schema=False)


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; it is translated when rendered."""
    return message


PART_LABELS: Final = {
    "identity": N_("Your name, date of birth and citizenship"),
    "contact": N_("Your email address"),
    "profile": N_("Your CV: headline, summary, occupations, where you live"),
    "experience": N_("Your work experience"),
    "education": N_("Your education"),
    "languages": N_("Your languages"),
    "documents": N_("Your documents (titles and numbers)"),
}
#: The same parts as the employer reads them: the applicant's, not "yours".
APPLICANT_PART_LABELS: Final = {
    "identity": N_("The applicant's name, date of birth and citizenship"),
    "contact": N_("The applicant's email address"),
    "profile": N_("The applicant's CV: headline, summary, occupations, where they live"),
    "experience": N_("The applicant's work experience"),
    "education": N_("The applicant's education"),
    "languages": N_("The applicant's languages"),
    "documents": N_("The applicant's documents (titles and numbers)"),
}
STATUS_LABELS: Final = {
    "not_sent": N_("Not sent"),
    "sent": N_("Sent"),
    "viewed": N_("Viewed"),
    "invited": N_("Invited"),
    "offer": N_("Offer"),
    "hired": N_("Contract signed"),
    "rejected": N_("Not successful"),
    "withdrawn": N_("Withdrawn"),
    "signed": N_("Signed by you"),
}
#: The statuses as the employer reads them: an application just sent is new to them.
EMPLOYER_STATUS_LABELS: Final = {
    **STATUS_LABELS,
    "sent": N_("New application"),
    "signed": N_("Signed by the worker"),
}
#: An application's history as the employer reads it.
EMPLOYER_HISTORY_LABELS: Final = {**EMPLOYER_STATUS_LABELS, "sent": N_("Received")}
CONTRACT_LABELS: Final = {
    "offered": N_("Waiting for the worker's signature"),
    "signed": N_("Signed by the worker, not yet delivered"),
    "completed": N_("Signed by both"),
    "declined": N_("Declined"),
}
FIELD_LABELS: Final = {
    "family_name": N_("Family name"),
    "given_name": N_("Given name"),
    "family_name_latin": N_("Family name in Latin letters"),
    "given_name_latin": N_("Given name in Latin letters"),
    "birth_date": N_("Date of birth"),
    "nationality": N_("Nationality"),
    "email": N_("Email address"),
    "headline": N_("Headline"),
    "summary": N_("Summary"),
    "occupations": N_("Occupations (ISCO-08)"),
    "locality": N_("Where you live"),
    "letter": N_("Covering letter"),
}
#: The employer's reading of the worker's fields (the worker reads "Where you live").
APPLICANT_FIELD_LABELS: Final = {**FIELD_LABELS, "locality": N_("Lives in")}
#: The pay as a sentence, by period.
PAY_TEXT: Final = {
    "month": N_("%(amount)s %(currency)s a month"),
    "hour": N_("%(amount)s %(currency)s an hour"),
    "day": N_("%(amount)s %(currency)s a day"),
    "year": N_("%(amount)s %(currency)s a year"),
}
#: Languages a CV may name, by ISO 639-1 code, with their English and Russian names.
LANGUAGE_NAMES: Final = {
    "ru": ("Russian", "русский"),
    "hy": ("Armenian", "армянский"),
    "be": ("Belarusian", "белорусский"),
    "kk": ("Kazakh", "казахский"),
    "ky": ("Kyrgyz", "киргизский"),
    "en": ("English", "английский"),
    "az": ("Azerbaijani", "азербайджанский"),
    "ar": ("Arabic", "арабский"),
    "zh": ("Chinese", "китайский"),
    "fr": ("French", "французский"),
    "ka": ("Georgian", "грузинский"),
    "de": ("German", "немецкий"),
    "it": ("Italian", "итальянский"),
    "ja": ("Japanese", "японский"),
    "ko": ("Korean", "корейский"),
    "ro": ("Romanian", "румынский"),
    "es": ("Spanish", "испанский"),
    "tg": ("Tajik", "таджикский"),
    "tr": ("Turkish", "турецкий"),
    "tk": ("Turkmen", "туркменский"),
    "uk": ("Ukrainian", "украинский"),
    "uz": ("Uzbek", "узбекский"),
}
#: What a person reads for each refusal.
REASON_TEXT: Final = {
    "exchange.unreachable": N_(
        "The employer's node is not answering. Your application is kept as not sent: try "
        "again later."
    ),
    "jobs.vacancy_closed": N_("This vacancy is no longer open."),
    "jobs.vacancy_not_found": N_("There is no vacancy with this id."),
    "jobs.application_exists": N_("You have already applied for this vacancy."),
    "jobs.application_parts": N_("Choose what to send."),
    "jobs.application_preview": N_("The details changed since you saw them. Check them again."),
    "jobs.application_closed": N_("This application is closed."),
    "jobs.application_state": N_("This application cannot take this step now."),
    "jobs.cv_missing": N_("Write your CV before you send parts of it."),
    "jobs.consent_withdrawn": N_(
        "The applicant withdrew their consent, so the application is closed and their data deleted."
    ),
    "jobs.identity_missing": N_(
        "The applicant did not send their identity, so a contract cannot name them. Invite "
        "them instead and ask them to apply with it."
    ),
    "jobs.message_missing": N_(
        "Write the invitation: when and where, or how the interview will be held."
    ),
    "jobs.offer_invalid": N_("Check the terms of the offer."),
    "jobs.not_participating": N_("The vacancy's state does not take part in the jobs service now."),
    "jobs.contract_signature": N_(
        "The contract's signatures do not hold, or are not the employer's and the worker's. "
        "It cannot be signed."
    ),
    "jobs.contract_mismatch": N_("The signed contract is not the one offered."),
    "jobs.contract_preview": N_("The details changed since you saw them. Check them again."),
    "jobs.contract_receipt": N_("The employer's node answered without a valid receipt."),
    "jobs.contract_state": N_("This contract cannot take this step now."),
    "consent.no_explicit_request": N_("Tick the box to confirm that you ask for this."),
    "consent.policy_refused": N_("The transfer rules of your state do not allow this transfer."),
    "documents.second_factor": N_("Confirm your sign-in with the one-time code before you sign."),
    "documents.not_authorised": N_("You may not sign on behalf of this organisation."),
    "documents.signing_unavailable": N_("This node does not offer signing."),
}
#: Sentences the service raises, shown as they are and marked here for translation.
OTHER_TEXT: Final = (
    N_("Name the position and the workplace."),
    N_("The first working day cannot be in the past."),
    N_("A fixed-term contract ends after it starts."),
    N_("Give the pay as a positive amount, a currency and a period."),
    N_("Normal working hours are at most 48 a week."),
    N_("A probation period is at most 6 months."),
    N_("The text is too long."),
    N_("Write in one line what you do (at most 200 characters)."),
    N_("Occupations are ISCO-08 unit groups of 4 digits (at most 10)."),
    N_("At most 20 entries in each part."),
    N_("Each job needs a title and an employer."),
    N_("Give months as YYYY-MM."),
    N_("A job cannot end before it starts."),
    N_("The occupation is an ISCO-08 code of 4 digits."),
    N_("Each qualification needs a level and a school."),
    N_("Give the year with 4 digits."),
    N_("Give each language by its two-letter code and a level from A1 to C2, or native."),
    N_("Each document needs a title."),
    N_("This is not an answer to an application."),
    N_("There is no vacancy with this id."),
    N_("The employer's node refused the application."),
    N_("The employer's node refused the contract."),
)
LEVELS: Final = ("A1", "A2", "B1", "B2", "C1", "C2", "native")
_BLANK_ROWS = 1
_SLOTS = {"experience": 6, "education": 3, "languages": 3, "documents": 3}


# -- plumbing ---------------------------------------------------------------------------------


def jobs_of(request: Request) -> JobsService:
    """The node's jobs service.

    Raises:
        ApplicationConflict: this node has none (``jobs.unavailable``).
    """
    platform: Platform = request.app.state.platform
    if platform.jobs is None:
        raise ApplicationConflict(
            "This node does not offer the jobs service.", reason="jobs.unavailable"
        )
    return platform.jobs


Jobs = Annotated[JobsService, Depends(jobs_of)]
Person = Annotated[SignedIn, Depends(require_user())]
Employer = Annotated[SignedIn, Depends(require_user("employer"))]


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Render a page of this module with its helpers."""
    templates: Templates = request.app.state.templates
    return templates.render(
        request, name, {**helpers(request.state.language), **context}, status_code=status_code
    )


def helpers(language: str) -> dict[str, Any]:
    """What the templates of this module use to show states, purposes, dates and labels."""

    def state(code: str) -> str:
        member = MEMBER_STATES.get(code)
        return member.name(language) if member else code

    def purpose(code: str) -> str:
        found = PURPOSES.get(code)
        return found.in_language(language) if found else code

    def category(code: str) -> str:
        names = CATEGORIES.get(code)
        return (names[1] if language == "ru" else names[0]) if names else code

    def text(value: Text) -> str:
        return value.in_language(language)

    def when(value: datetime | None) -> str:
        return value.astimezone(UTC).strftime("%d.%m.%Y %H:%M UTC") if value else ""

    def language_name(code: str) -> str:
        names = LANGUAGE_NAMES.get(code)
        return (names[1] if language == "ru" else names[0]) if names else code

    def number(value: int | str) -> str:
        return group_digits(value, language)

    options = sorted(LANGUAGE_NAMES, key=language_name)

    return {
        "state": state,
        "purpose": purpose,
        "category": category,
        "text": text,
        "when": when,
        "language_name": language_name,
        "language_options": options,
        "number": number,
        "explained": EXPLAINED,
        "pay_text": PAY_TEXT,
        "part_labels": PART_LABELS,
        "applicant_part_labels": APPLICANT_PART_LABELS,
        "status_labels": STATUS_LABELS,
        "employer_status_labels": EMPLOYER_STATUS_LABELS,
        "employer_history_labels": EMPLOYER_HISTORY_LABELS,
        "applicant_field_labels": APPLICANT_FIELD_LABELS,
        "contract_labels": CONTRACT_LABELS,
        "field_labels": FIELD_LABELS,
        "reason_text": REASON_TEXT,
        "levels": LEVELS,
    }


def group_digits(value: int | str, language: str) -> str:
    """Write a whole number with its thousands grouped as ``language`` does.

    English groups with commas (``110,000``), Russian with a no-break space
    (``110 000``), so the number never breaks across lines. Anything that is not a
    whole number comes back unchanged.
    """
    text = str(value)
    digits = text.lstrip("-")
    if not digits.isdigit():
        return text
    grouped = f"{int(digits):,}".replace(",", "\u00a0" if language == "ru" else ",")
    return f"-{grouped}" if text.startswith("-") else grouped


def _local(user: SignedIn) -> None:
    if user.foreign:
        raise RoleRefused(
            "Use the portal of your home state: your CV and applications are kept there."
        )


def _organisation(request: Request, user: SignedIn) -> tuple[str, Any]:
    """The signed-in employer's organisation reference and record.

    Raises:
        RoleRefused: the person acts for no organisation.
    """
    _local(user)
    person = accounts(request).person(user.person_id)
    if person.organisation_id is None:
        raise RoleRefused("Your account does not act for an organisation.")
    organisation = accounts(request).organisation(person.organisation_id)
    reference = organisation_ref(
        organisation.state, organisation.legal_id_kind, organisation.legal_id
    )
    return reference, organisation


def _error(exc: PlatformError) -> str:
    return REASON_TEXT.get(exc.reason, exc.message)


def _person_key(request: Request, jobs: JobsService, user: SignedIn) -> CertifiedKey:
    documents = jobs.ctx.documents
    if documents is None:
        raise DocumentError(
            "This node does not offer signing.", reason="documents.signing_unavailable"
        )
    person = accounts(request).person(user.person_id)
    authorised = SignerAuthorisation(
        person_id=user.person_id, session_id=user.session_id, second_factor=user.second_factor
    )
    return documents.signing_keys().person_key(
        authorised, name=f"{person.given_name} {person.family_name}"
    )


def _organisation_key(request: Request, jobs: JobsService, user: SignedIn) -> CertifiedKey:
    documents = jobs.ctx.documents
    if documents is None:
        raise DocumentError(
            "This node does not offer signing.", reason="documents.signing_unavailable"
        )
    _, organisation = _organisation(request, user)
    authorised = SignerAuthorisation(
        person_id=user.person_id,
        session_id=user.session_id,
        second_factor=user.second_factor,
        organisations=frozenset({organisation.id}),
    )
    return documents.signing_keys().organisation_key(
        authorised,
        organisation.id,
        name=organisation.name,
        identifier=f"NTR{organisation.state}-{organisation.legal_id}",
    )


# -- the CV ------------------------------------------------------------------------------------


def _cv_rows(cv: apps.Cv | None) -> dict[str, list[Any]]:
    rows: dict[str, list[Any]] = {}
    blank: dict[str, Any] = {
        "experience": apps.Experience("", "", ""),
        "education": apps.Education("", ""),
        "languages": apps.Language("", ""),
        "documents": apps.CvDocument(""),
    }
    for part, slots in _SLOTS.items():
        items = list(getattr(cv, part)) if cv else []
        rows[part] = [*items, *[blank[part]] * max(_BLANK_ROWS, 0)][: max(slots, len(items))]
    return rows


@router.get("/jobs/cv", response_class=HTMLResponse)
def cv_page(request: Request, user: Person, jobs: Jobs, saved: str = "") -> HTMLResponse:
    """The person's CV, to write or change."""
    _local(user)
    cv = jobs.applications.cv(user.person_id)
    return render(
        request,
        "jobs_cv.html",
        {"cv": cv, "rows": _cv_rows(cv), "problems": {}, "saved": saved == "1"},
    )


def _form_cv(person_id: str, form: Any) -> apps.Cv:
    def value(name: str) -> str:
        raw = form.get(name, "")
        return raw.strip()[:4000] if isinstance(raw, str) else ""

    def rows(prefix: str, names: tuple[str, ...]) -> list[dict[str, str]]:
        found = []
        for index in range(_SLOTS[prefix] + 1):
            item = {name: value(f"{prefix}-{index}-{name}") for name in names}
            if any(item.values()):
                found.append(item)
        return found

    return apps.Cv(
        person_id=person_id,
        headline=value("headline"),
        summary=value("summary"),
        occupations=tuple(
            c for c in value("occupations").replace(";", ",").replace(" ", ",").split(",") if c
        ),
        experience=tuple(
            apps.Experience(**row)
            for row in rows(
                "experience", ("title", "employer", "start", "end", "isco", "description")
            )
        ),
        education=tuple(
            apps.Education(**row)
            for row in rows("education", ("level", "institution", "subject", "year"))
        ),
        languages=tuple(
            apps.Language(code=row["code"].lower(), level=row["level"])
            for row in rows("languages", ("code", "level"))
        ),
        documents=tuple(
            apps.CvDocument(**row) for row in rows("documents", ("title", "kind", "reference"))
        ),
        locality=value("locality"),
        searchable=value("searchable") == "yes",
    )


@router.post("/jobs/cv", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def save_cv(request: Request, user: Person, jobs: Jobs) -> Response:
    """Save the CV; a CV that breaks a rule comes back with what to correct."""
    _local(user)
    async with request.form() as form:
        cv = _form_cv(user.person_id, form)
    try:
        await run_in_threadpool(jobs.applications.save_cv, cv)
    except CvInvalid as exc:
        return render(
            request,
            "jobs_cv.html",
            {"cv": cv, "rows": _cv_rows(cv), "problems": exc.problems, "saved": False},
            status_code=422,
        )
    return RedirectResponse("/jobs/cv?saved=1", status_code=303)


# -- applying ---------------------------------------------------------------------------------


def _apply_form(
    request: Request,
    jobs: JobsService,
    user: SignedIn,
    vacancy_id: str,
    *,
    chosen: tuple[str, ...] = ("identity", "contact", "profile", "experience", "languages"),
    letter: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    vacancy = jobs.applications.vacancy(vacancy_id)
    cv = jobs.applications.cv(user.person_id)
    return render(
        request,
        "jobs_apply.html",
        {
            "vacancy": vacancy,
            "cv": cv,
            "parts": apps.PARTS,
            "chosen": chosen,
            "letter": letter,
            "error": error,
            "local": vacancy.origin == jobs.ctx.state,
        },
        status_code=status_code,
    )


@router.get("/jobs/vacancies/{vacancy_id}/apply", response_class=HTMLResponse)
def apply_page(request: Request, vacancy_id: str, user: Person, jobs: Jobs) -> HTMLResponse:
    """Choose what to send with an application."""
    _local(user)
    return _apply_form(request, jobs, user, vacancy_id)


@router.post(
    "/jobs/vacancies/{vacancy_id}/apply",
    response_class=HTMLResponse,
    dependencies=[Depends(check_csrf)],
)
def apply(
    request: Request,
    vacancy_id: str,
    user: Person,
    jobs: Jobs,
    parts: Annotated[list[str] | None, Form()] = None,
    letter: Annotated[str, Form(max_length=4000)] = "",
    step: Annotated[str, Form(max_length=16)] = "preview",
    valid_until: Annotated[str, Form(max_length=64)] = "",
    preview_hash: Annotated[str, Form(max_length=64)] = "",
    explicit: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """``step=preview``: show exactly what would be sent; ``step=confirm``: send it."""
    _local(user)
    chosen = tuple(parts or ())
    language = request.state.language
    now = jobs.ctx.clock.now()
    until = apps.consent_until(now, valid_until) if step == "confirm" else None
    try:
        if step != "confirm":
            shown = jobs.applications.preview(
                user.person_id, vacancy_id, chosen, letter=letter, language=language
            )
            return render(
                request,
                "jobs_apply_preview.html",
                {"preview": shown, "letter": letter, "error": None},
            )
        sent = jobs.applications.apply(
            user.person_id,
            vacancy_id,
            chosen,
            letter=letter,
            language=language,
            valid_until=until,
            preview_hash=preview_hash,
            explicit_request=explicit == "yes",
        )
    except (ApplicationInvalid, ApplicationConflict) as exc:
        if step == "confirm" and exc.reason in {
            "consent.no_explicit_request",
            "consent.policy_refused",
        }:
            shown = jobs.applications.preview(
                user.person_id,
                vacancy_id,
                chosen,
                letter=letter,
                language=language,
                valid_until=until,
            )
            return render(
                request,
                "jobs_apply_preview.html",
                {"preview": shown, "letter": letter, "error": _error(exc)},
                status_code=422,
            )
        status = 409 if isinstance(exc, ApplicationConflict) else 422
        return _apply_form(
            request, jobs, user, vacancy_id, chosen=chosen, letter=letter, error=_error(exc),
            status_code=status,
        )  # fmt: skip
    outcome = "sent" if sent.delivered else (sent.reason or "not_sent")
    return RedirectResponse(
        f"/jobs/applications/{sent.application.id}?outcome={outcome}", status_code=303
    )


# -- the jobseeker's applications ---------------------------------------------------------------


@router.get("/jobs/applications", response_class=HTMLResponse)
def my_applications(request: Request, user: Person, jobs: Jobs) -> HTMLResponse:
    """The person's applications."""
    _local(user)
    return render(
        request, "jobs_applications.html", {"applications": jobs.applications.mine(user.person_id)}
    )


@router.get("/jobs/applications/{application_id}", response_class=HTMLResponse)
def my_application(
    request: Request,
    application_id: str,
    user: Person,
    jobs: Jobs,
    outcome: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    """One application: what was sent, its history, and what can be done."""
    _local(user)
    application = jobs.applications.application(application_id, person_id=user.person_id)
    return render(
        request,
        "jobs_application.html",
        {
            "application": application,
            "contract_id": jobs.contracts.for_application(application.id),
            "outcome": outcome,
        },
    )


@router.post("/jobs/applications/{application_id}/withdraw", dependencies=[Depends(check_csrf)])
def withdraw(application_id: str, user: Person, jobs: Jobs) -> Response:
    """Withdraw an application; the employer is told."""
    _local(user)
    jobs.applications.withdraw(application_id, user.person_id)
    return RedirectResponse(
        f"/jobs/applications/{application_id}?outcome=withdrawn", status_code=303
    )


@router.post("/jobs/applications/{application_id}/resend", dependencies=[Depends(check_csrf)])
def resend(application_id: str, user: Person, jobs: Jobs) -> Response:
    """Send again an application the employer's node has not received."""
    _local(user)
    sent = jobs.applications.resend(application_id, user.person_id)
    outcome = "sent" if sent.delivered else (sent.reason or "not_sent")
    return RedirectResponse(
        f"/jobs/applications/{application_id}?outcome={outcome}", status_code=303
    )


# -- the employer's side -----------------------------------------------------------------------


@router.get("/jobs/employer/applications", response_class=HTMLResponse)
def employer_applications(request: Request, user: Employer, jobs: Jobs) -> HTMLResponse:
    """The applications to the employer organisation's vacancies."""
    reference, organisation = _organisation(request, user)
    return render(
        request,
        "jobs_employer_applications.html",
        {"applications": jobs.applications.for_employer(reference), "organisation": organisation},
    )


def _employer_page(
    request: Request,
    jobs: JobsService,
    user: SignedIn,
    application_id: str,
    *,
    error: str | None = None,
    done: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    reference, organisation = _organisation(request, user)
    application = jobs.applications.open_for_employer(application_id, reference)
    return render(
        request,
        "jobs_employer_application.html",
        {
            "application": application,
            "organisation": organisation,
            "contract_id": jobs.contracts.for_application(application.id),
            "error": error,
            "done": done,
            "today": jobs.ctx.clock.now().date(),
        },
        status_code=status_code,
    )


@router.get("/jobs/employer/applications/{application_id}", response_class=HTMLResponse)
def employer_application(
    request: Request, application_id: str, user: Employer, jobs: Jobs, done: str = ""
) -> HTMLResponse:
    """One application as the employer sees it: only the fields the person sent."""
    return _employer_page(request, jobs, user, application_id, done=done)


@router.post(
    "/jobs/employer/applications/{application_id}/answer",
    response_class=HTMLResponse,
    dependencies=[Depends(check_csrf)],
)
def answer(
    request: Request,
    application_id: str,
    user: Employer,
    jobs: Jobs,
    status: Annotated[str, Form(max_length=16)],
    message: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Invite the applicant (with a message) or turn the application down."""
    reference, _ = _organisation(request, user)
    try:
        jobs.applications.answer(application_id, reference, status, message)
    except (ApplicationInvalid, ApplicationConflict) as exc:
        status_code = 409 if isinstance(exc, ApplicationConflict) else 422
        return _employer_page(
            request, jobs, user, application_id, error=_error(exc), status_code=status_code
        )
    return RedirectResponse(
        f"/jobs/employer/applications/{application_id}?done={status}", status_code=303
    )


def _terms(**form: str) -> cons.OfferTerms:
    """The offer's terms from the form's text fields.

    Raises:
        ContractRefused: a field is not a date or a number (``jobs.offer_invalid``).
    """
    start, end = _day(form["start_date"]), _day(form["end_date"])
    numbers = (form["salary"], form["hours"], form["probation"])
    if (
        start is None
        or not all(n.isdigit() for n in numbers)
        or (form["end_date"].strip() and end is None)
    ):
        raise ContractRefused("Check the terms of the offer.", reason="jobs.offer_invalid")
    return cons.OfferTerms(
        position=form["position"],
        workplace=form["workplace"],
        start_date=start,
        end_date=end,
        salary=int(form["salary"]),
        currency=form["currency"],
        period=form["period"],
        hours_per_week=int(form["hours"]),
        probation_months=int(form["probation"]),
        duties=form["duties"],
        conditions=form["conditions"],
    )


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


@router.post(
    "/jobs/employer/applications/{application_id}/offer",
    response_class=HTMLResponse,
    dependencies=[Depends(check_csrf)],
)
def offer(
    request: Request,
    application_id: str,
    user: Employer,
    jobs: Jobs,
    position: Annotated[str, Form(max_length=200)] = "",
    workplace: Annotated[str, Form(max_length=300)] = "",
    start_date: Annotated[str, Form(max_length=10)] = "",
    end_date: Annotated[str, Form(max_length=10)] = "",
    salary: Annotated[str, Form(max_length=12)] = "",
    currency: Annotated[str, Form(max_length=3)] = "RUB",
    period: Annotated[str, Form(max_length=8)] = "month",
    hours: Annotated[str, Form(max_length=3)] = "40",
    probation: Annotated[str, Form(max_length=2)] = "0",
    duties: Annotated[str, Form(max_length=2000)] = "",
    conditions: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Make the offer: the contract is made, signed for the organisation, and sent."""
    reference, _ = _organisation(request, user)
    try:
        terms = _terms(
            position=position, workplace=workplace, start_date=start_date, end_date=end_date,
            salary=salary, currency=currency, period=period, hours=hours, probation=probation,
            duties=duties, conditions=conditions,
        )  # fmt: skip
        cons.check_terms(terms, jobs.ctx.clock.now().date())
        key = _organisation_key(request, jobs, user)
        contract = jobs.contracts.offer(application_id, reference, terms, key)
    except (ContractRefused, ApplicationInvalid, ApplicationConflict, DocumentError) as exc:
        error = REASON_TEXT.get(exc.reason, exc.message)
        if exc.reason == "jobs.offer_invalid":
            error = exc.message
        status_code = 409 if isinstance(exc, ApplicationConflict) else 422
        if exc.reason in {"documents.second_factor", "documents.not_authorised"}:
            status_code = 403
        return _employer_page(
            request, jobs, user, application_id, error=error, status_code=status_code
        )
    return RedirectResponse(f"/jobs/contracts/{contract.id}", status_code=303)


@router.get("/jobs/employer/cvs", response_class=HTMLResponse)
def search_cvs(
    request: Request,
    user: Employer,
    jobs: Jobs,
    occupation: Annotated[str, Query(max_length=4, pattern=r"^[0-9]{0,4}$")] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    language: Annotated[str, Query(max_length=2, pattern=r"^[a-z]{0,2}$")] = "",
) -> HTMLResponse:
    """The CVs of people of this node who let employers find them."""
    _organisation(request, user)
    found = jobs.applications.search_cvs(occupation=occupation, text=q, language=language)
    return render(
        request,
        "jobs_cvs.html",
        {"cvs": found, "occupation": occupation, "q": q, "language": language},
    )


# -- contracts -------------------------------------------------------------------------------------


def _contract_page(
    request: Request,
    jobs: JobsService,
    user: SignedIn,
    contract_id: str,
    *,
    error: str | None = None,
    outcome: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    _local(user)
    person = accounts(request).person(user.person_id)
    reference = None
    if "employer" in user.roles and person.organisation_id is not None:
        reference, _ = _organisation(request, user)
    contract = None
    failed = None
    preview = None
    worker = False
    try:
        contract, failed = jobs.contracts.review(contract_id, user.person_id)
        worker = True
    except PlatformError:
        if reference is None:
            raise
    if contract is None:
        contract = jobs.contracts.contract(contract_id, employer_ref=reference)
    if worker and contract.status == cons.OFFERED_STATUS and failed is None:
        try:
            preview = jobs.contracts.sign_preview(
                contract_id, user.person_id, language=request.state.language
            )
        except ContractRefused as exc:
            error = error or _error(exc)
    return render(
        request,
        "jobs_contract.html",
        {
            "contract": contract,
            "worker": worker,
            "failed": failed,
            "preview": preview,
            "error": error,
            "outcome": outcome,
            "doc": contract.content,
        },
        status_code=status_code,
    )


@router.get("/jobs/contracts/{contract_id}", response_class=HTMLResponse)
def contract_page(
    request: Request,
    contract_id: str,
    user: Person,
    jobs: Jobs,
    outcome: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    """The contract: the worker reviews and signs it; both see the signatures' receipts."""
    return _contract_page(request, jobs, user, contract_id, outcome=outcome)


@router.post(
    "/jobs/contracts/{contract_id}/sign",
    response_class=HTMLResponse,
    dependencies=[Depends(check_csrf)],
)
def sign(
    request: Request,
    contract_id: str,
    user: Person,
    jobs: Jobs,
    valid_until: Annotated[str, Form(max_length=64)] = "",
    preview_hash: Annotated[str, Form(max_length=64)] = "",
    explicit: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Sign the contract (creating the consent shown) and send it to the employer's node."""
    _local(user)
    until = apps.consent_until(jobs.ctx.clock.now(), valid_until)
    try:
        key = _person_key(request, jobs, user)
        done = jobs.contracts.sign(
            contract_id,
            user.person_id,
            key,
            preview_hash=preview_hash,
            explicit_request=explicit == "yes",
            language=request.state.language,
            valid_until=until,
        )
    except (ContractRefused, DocumentError) as exc:
        status_code = 403 if exc.reason == "documents.second_factor" else 422
        return _contract_page(
            request, jobs, user, contract_id, error=_error(exc), status_code=status_code
        )
    outcome = "completed" if done.delivered else (done.reason or "not_sent")
    return RedirectResponse(f"/jobs/contracts/{contract_id}?outcome={outcome}", status_code=303)


@router.post("/jobs/contracts/{contract_id}/resend", dependencies=[Depends(check_csrf)])
def resend_contract(contract_id: str, user: Person, jobs: Jobs) -> Response:
    """Send again a signed contract the employer's node has not received."""
    _local(user)
    done = jobs.contracts.resend(contract_id, user.person_id)
    outcome = "completed" if done.delivered else (done.reason or "not_sent")
    return RedirectResponse(f"/jobs/contracts/{contract_id}?outcome={outcome}", status_code=303)
