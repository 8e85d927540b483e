"""Portal pages of the move: the checklist, insurance, housing and migration notices.

For a person on their home node (any signed-in local person):

* ``/jobs/checklist?to=RU&entry=2026-05-01`` — the paperwork for working in a state, from the
  rules in force, with each item's status and the action that completes it; manual items are
  ticked here. ``GET /api/v1/jobs/checklist?citizenship=KG&destination=RU&on=…`` gives the
  rules alone as JSON, for anyone.
* ``/jobs/insurance?to=RU`` — the products on sale there (asked from that state's node);
  ``/jobs/insurance/buy`` — the term, then the consent preview, then the signed policy at
  ``/jobs/insurance/policies/<id>`` (downloadable as ``policy.jws``).
* ``/jobs/housing?to=RU`` — places free for the dates; ``/jobs/housing/book`` — consent
  preview, then the signed booking with the address for registration at
  ``/jobs/housing/bookings/<id>`` (``booking.jws``).
* ``/jobs/migration`` — the contracts, the employer's notice acknowledgments and the
  pre-arrival notice (``/jobs/migration/notice``: consent preview, then the acknowledgment).

For organisations and the authority on the destination's node:

* ``/jobs/insurer`` — an insurer (role ``insurer``) publishes and withdraws products and sees
  the policies issued.
* ``/jobs/landlord`` — a landlord, or an employer with a dormitory, lists places and sees the
  stays booked.
* ``/jobs/migration/received`` — the node's operator (the migration authority) sees the
  notices received.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from eaeu.bootstrap import Platform, person_data
from eaeu.consent import handlers as consent
from eaeu.consent.errors import ConsentInvalid, ConsentRefused
from eaeu.consent.model import PURPOSES
from eaeu.consent.policy import TransferPolicy, load_policy
from eaeu.identity.errors import RoleRefused
from eaeu.identity.model import EMPLOYER, INSURER, LANDLORD, OPERATOR, Organisation
from eaeu.kernel.clock import utc
from eaeu.kernel.errors import PlatformError
from eaeu.kernel.states import MEMBER_STATES
from eaeu.services.jobs.checklist import Checklist
from eaeu.services.jobs.housing import DORMITORY, RENTAL, NewPlace, Place
from eaeu.services.jobs.insurance import NewProduct, Product
from eaeu.services.jobs.migration import KIND_PRE_ARRIVAL
from eaeu.services.jobs.move_errors import ChecklistRefused, MoveError
from eaeu.services.jobs.move_model import AUTHORITIES, MinimumData, Mover
from eaeu.services.jobs.service import JobsService
from eaeu.web.auth import SignedIn, accounts, check_csrf, require_user
from eaeu.web.consent_pages import FIELD_LABELS as CONSENT_FIELDS
from eaeu.web.consent_pages import INVALID_TEXT
from eaeu.web.errors import status_for
from eaeu.web.templating import Templates

router = APIRouter()
api = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])

NO_STORE: Final = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
JOSE: Final = "application/jose"


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; it is translated when rendered."""
    return message


#: What a person reads for each refusal (the domain's messages are for logs and APIs).
REASON_TEXT: Final = {
    "jobs.peer_unavailable": N_(
        "The node of that state is not answering. Nothing was sent; try again later."
    ),
    "jobs.unavailable": N_("This node does not offer the jobs service."),
    "jobs.destination_invalid": N_("Choose another member state that takes part in the service."),
    "jobs.no_exchange": N_("This node is not connected to the other member states."),
    "jobs.product_invalid": N_("Some fields of the product need correcting."),
    "jobs.product_not_found": N_("This insurance product is not on sale."),
    "jobs.policy_term": N_("The product is not sold for this number of months."),
    "jobs.policy_start": N_("Cover can start from today up to a year ahead."),
    "jobs.place_invalid": N_("Some fields of the place need correcting."),
    "jobs.place_not_found": N_("This place is not listed for these dates."),
    "jobs.stay_dates": N_(
        "Choose a check-in from today and a check-out after it, at most a year later."
    ),
    "jobs.stay_unavailable": N_("The place is not available for all of these dates."),
    "jobs.housing_full": N_("Every bed of this place is taken for some of these nights."),
    "jobs.consent_receiver": N_("Your consent names another organisation as the receiver."),
    "jobs.notice_needs_contract": N_(
        "A pre-arrival notice needs an employment contract signed by you and the employer."
    ),
    "jobs.notice_needs_housing": N_(
        "A pre-arrival notice needs a place booked in the state of the contract."
    ),
    "jobs.notice_invalid": N_("The expected entry date is from today up to a year ahead."),
    "jobs.notice_not_found": N_("The authority has no acknowledgment with this number."),
    "jobs.attestation_signature": N_(
        "The signature does not verify: the document was altered or not signed by a member "
        "state's node."
    ),
    "jobs.attestation_issuer": N_(
        "The document was not signed by the node of the state that issued it."
    ),
    "jobs.attestation_malformed": N_("This is not a signed document of the kind expected."),
    "jobs.attestation_content": N_("The signed answer is not for what was asked."),
    "jobs.checklist_own_state": N_("A citizen needs no paperwork to work in their own state."),
    "jobs.checklist_state": N_("Choose member states of the union."),
    "jobs.checklist_rule": N_("There is no item with this id that you can mark."),
    "jobs.policy_not_found": N_("You hold no policy with this number."),
    "jobs.booking_not_found": N_("You hold no booking with this number."),
    "input.date": N_("Enter a real date, or choose it in the calendar."),
    "jobs.organisation": N_("Your account does not act for an organisation registered here."),
}
STATUS_LABELS: Final = {
    "done": N_("Done"),
    "todo": N_("To do"),
    "after_arrival": N_("After arrival"),
    "check": N_("Check with the authority"),
}
COMPLETED_BY_LINKS: Final = {
    "contract": ("/jobs/applications", N_("Your applications and contracts")),
    "insurance": ("/jobs/insurance?to={to}", N_("Buy health cover")),
    "housing": ("/jobs/housing?to={to}", N_("Book a place to live")),
    "pre_arrival": ("/jobs/migration", N_("Send the pre-arrival notice")),
    "employer_notice": ("/jobs/migration", N_("See the acknowledgment")),
}
STAGE_LABELS: Final = {
    "before_travel": N_("Before you travel"),
    "at_entry": N_("At the border"),
    "after_arrival": N_("After you arrive"),
    "on_termination": N_("When the contract ends"),
}
PARTY_LABELS: Final = {
    "worker": N_("You"),
    "employer": N_("The employer"),
    "host": N_("The host (landlord or dormitory)"),
}
#: The tag of an item that is another party's legal duty, not the worker's.
DUTY_LABELS: Final = {"employer": N_("Employer's duty"), "host": N_("Host's duty")}
#: The status of another party's duty before the journey that is not done yet.
WAITING_LABELS: Final = {
    "employer": N_("Waiting for the employer"),
    "host": N_("Waiting for the host"),
}
COVERS_LABELS: Final = {"worker": N_("The worker"), "family": N_("The worker and family")}
KIND_LABELS: Final = {
    RENTAL: N_("Rental"),
    DORMITORY: N_("Employer's dormitory"),
    "pre_arrival": N_("Pre-arrival notice"),
    "employment_contract": N_("Employer's contract notice"),
}
FIELD_TEXT: Final = {
    "name_en": N_("Name in English"),
    "name_ru": N_("Name in Russian"),
    "coverage_en": N_("Coverage in English"),
    "coverage_ru": N_("Coverage in Russian"),
    "covers": N_("Who is covered"),
    "price_month": N_("Price per month"),
    "currency": N_("Currency"),
    "min_months": N_("Shortest term, months"),
    "max_months": N_("Longest term, months"),
    "kind": N_("Kind"),
    "city": N_("City"),
    "address": N_("Address"),
    "capacity": N_("Beds"),
    "available_from": N_("Available from"),
    "available_until": N_("Available until"),
    "description": N_("Description"),
}


# --- plumbing --------------------------------------------------------------------------------


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def jobs_of(request: Request) -> JobsService:
    """The node's jobs service (a FastAPI dependency).

    Raises:
        MoveError: this node has no jobs service (``jobs.unavailable``, a 503 by class).
    """
    jobs = _platform(request).jobs
    if jobs is None:
        raise MoveError("This node does not offer the jobs service.", reason="jobs.unavailable")
    return jobs


Jobs = Annotated[JobsService, Depends(jobs_of)]
Person = Annotated[SignedIn, Depends(require_user())]


@cache
def _transfer_policy() -> TransferPolicy:
    return load_policy()


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Render a page of the move with its helpers."""
    templates: Templates = request.app.state.templates
    language: str = request.state.language

    def state(code: str) -> str:
        member = MEMBER_STATES.get(code)
        return member.name(language) if member else code

    def money(amount: int, currency: str) -> str:
        return f"{amount:,} {currency}".replace(",", "\u00a0")

    helpers = {
        "state": state,
        "money": money,
        "text": lambda value: value.in_language(language),
        "reason_text": REASON_TEXT,
        "status_labels": STATUS_LABELS,
        "stage_labels": STAGE_LABELS,
        "party_labels": PARTY_LABELS,
        "duty_labels": DUTY_LABELS,
        "waiting_labels": WAITING_LABELS,
        "covers_labels": COVERS_LABELS,
        "kind_labels": KIND_LABELS,
        "field_text": FIELD_TEXT,
        "field_labels": CONSENT_FIELDS,
        "completed_by_links": COMPLETED_BY_LINKS,
        "purpose_text": PURPOSES.__getitem__,
    }
    return templates.render(request, name, {**helpers, **context}, status_code=status_code)


def explained(exc: PlatformError, language: str = "en") -> str:
    """What a person reads for a refusal (a message id to translate, or localised text)."""
    if isinstance(exc, ConsentRefused):
        return exc.text.in_language(language)
    if isinstance(exc, ConsentInvalid):
        return INVALID_TEXT.get(exc.reason, exc.message)
    return REASON_TEXT.get(exc.reason, exc.message)


def _local(user: SignedIn) -> None:
    if user.foreign:
        raise RoleRefused(
            "Prepare your move on the portal of your own state, where your data is kept."
        )


def mover_of(request: Request, user: SignedIn) -> Mover:
    """The signed-in person as a mover (their minimum data from identity)."""
    _local(user)
    person = accounts(request).person(user.person_id)
    return Mover(
        person.id,
        person.state,
        MinimumData(
            person.family_name_latin, person.given_name_latin, person.birth_date, person.nationality
        ),
    )


def organisation_of(request: Request, user: SignedIn) -> Organisation:
    """The organisation the signed-in person acts for.

    Raises:
        RoleRefused: they act for none.
    """
    person = accounts(request).person(user.person_id) if not user.foreign else None
    if person is None or person.organisation_id is None:
        raise RoleRefused("Your account does not act for an organisation registered here.")
    return accounts(request).organisation(person.organisation_id)


def _day(value: str, default: date | None = None) -> date | None:
    value = value.strip()
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _destination(jobs: JobsService, to: str) -> str | None:
    code = to.strip().upper()[:2]
    return code if code in jobs.ctx.peers() else None


def _preview(
    request: Request, user: SignedIn, ask: consent.ConsentRequest
) -> consent.Preview | None:
    exchange = jobs_of(request).ctx.exchange
    if exchange is None:
        return None
    person = dict(person_data(_platform(request).uow, _platform(request).clock)(user.person_id))
    return consent.preview(
        exchange, _transfer_policy(), ask, person=person, language=request.state.language
    )


def _confirm(
    request: Request, user: SignedIn, ask: consent.ConsentRequest, preview_hash: str, explicit: str
) -> str:
    """Give the consent the person saw; return its token.

    Raises:
        ConsentInvalid: the preview changed, the rules refuse, or no explicit request.
    """
    exchange = jobs_of(request).ctx.exchange
    if exchange is None:
        raise MoveError(
            "This node is not connected to the other member states.", reason="jobs.no_exchange"
        )
    person = dict(person_data(_platform(request).uow, _platform(request).clock)(user.person_id))
    given = consent.confirm(
        exchange,
        _transfer_policy(),
        ask,
        person=person,
        subject_id=user.person_id,
        language=request.state.language,
        preview_hash=preview_hash,
        explicit_request=explicit == "yes",
    )
    return given.token


def _valid_until(value: str, request: Request) -> datetime:
    try:
        return utc(datetime.fromisoformat(value))
    except ValueError:
        return _platform(request).clock.now()


# --- the checklist ---------------------------------------------------------------------------


@router.get("/jobs/checklist", response_class=HTMLResponse, include_in_schema=False)
def checklist_page(
    request: Request, jobs: Jobs, user: Person, to: str = "", entry: str = ""
) -> HTMLResponse:
    """The signed-in person's paperwork for working in ``to`` (their contract's state first)."""
    mover = mover_of(request, user)
    contracted = jobs.checklists.destinations(mover.person_id)
    destination = _destination(jobs, to) or (contracted[0] if contracted else None)
    entry_day = _day(entry)
    error = REASON_TEXT["input.date"] if entry and entry_day is None else None
    checklist: Checklist | None = None
    status_code = 200
    if destination is not None:
        try:
            checklist = jobs.checklists.for_person(
                mover.person_id, mover.nationality, destination, entry=entry_day
            )
        except ChecklistRefused as exc:
            error, status_code = explained(exc, request.state.language), 422
    return render(
        request,
        "jobs_checklist.html",
        {
            "checklist": checklist,
            "destination": destination,
            "destinations": [s for s in jobs.ctx.peers() if s != mover.nationality],
            "contracted": contracted,
            "entry": entry if entry_day is not None else "",
            "error": error,
        },
        status_code=status_code,
    )


@router.post("/jobs/checklist/marks", include_in_schema=False, dependencies=[Depends(check_csrf)])
def mark_item(
    request: Request,
    jobs: Jobs,
    user: Person,
    rule: Annotated[str, Form(max_length=64)],
    to: Annotated[str, Form(max_length=2)],
    done: Annotated[str, Form(max_length=3)] = "yes",
) -> Response:
    """Tick (or untick) an item the person completes themself."""
    mover = mover_of(request, user)
    jobs.checklists.mark(mover.person_id, rule, done=done == "yes")
    return RedirectResponse(f"/jobs/checklist?to={to.upper()}#item-{rule}", status_code=303)


class ChecklistItemOut(BaseModel):
    """One item of a checklist made from the rules alone."""

    id: str
    version: int
    stage: str
    party: str
    title_en: str
    title_ru: str
    status: str
    required: bool
    check_with_authority: bool
    completed_by: str
    deadline: str | None
    source: str | None
    effective_from: date
    effective_until: date | None


@api.get("/checklist")
def api_checklist(
    jobs: Jobs,
    citizenship: Annotated[str, Query(min_length=2, max_length=2)],
    destination: Annotated[str, Query(min_length=2, max_length=2)],
    on: date | None = None,
) -> list[ChecklistItemOut]:
    """The checklist of the rules in force on ``on`` (today) for a pair of states.

    A refusal (the same state twice, not a member state) is a 422 problem document.
    """
    made = jobs.checklists.for_rules(citizenship.upper(), destination.upper(), on)
    return [
        ChecklistItemOut(
            id=i.rule.id,
            version=i.rule.version,
            stage=i.rule.stage,
            party=i.rule.party,
            title_en=i.rule.title.en,
            title_ru=i.rule.title.ru,
            status=i.status,
            required=i.required,
            check_with_authority=i.rule.check_with_authority,
            completed_by=i.rule.completed_by,
            deadline=_deadline_text(i),
            source=i.rule.source.url if i.rule.source else None,
            effective_from=i.rule.effective_from,
            effective_until=i.rule.effective_until,
        )
        for i in made.items
    ]


def _deadline_text(item: Any) -> str | None:
    deadline = item.rule.deadline
    if deadline is None:
        return None
    return f"{deadline.days} {deadline.unit} days from {deadline.anchor}"


# --- insurance (the worker) -------------------------------------------------------------------


@router.get("/jobs/insurance", response_class=HTMLResponse, include_in_schema=False)
def insurance_page(request: Request, jobs: Jobs, user: Person, to: str = "") -> HTMLResponse:
    """The products on sale in ``to``, and the person's policies."""
    mover = mover_of(request, user)
    destination = _destination(jobs, to)
    products: list[Product] = []
    error = None
    if destination is not None:
        try:
            products = jobs.insurance.products(destination)
        except PlatformError as exc:
            error = _peer_error(exc, request)
    return render(
        request,
        "jobs_insurance.html",
        {
            "destination": destination,
            "destinations": jobs.ctx.peers(),
            "products": products,
            "policies": jobs.insurance.held(mover.person_id),
            "error": error,
        },
        status_code=502 if error else 200,
    )


def _peer_error(exc: PlatformError, request: Request) -> str:
    return explained(exc, request.state.language)


def _buy_page(
    request: Request,
    jobs: JobsService,
    user: SignedIn,
    *,
    product: Product,
    starts: str,
    months: int,
    valid_until: datetime | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ask = jobs.insurance.consent_request(product)
    if valid_until is not None:
        ask = consent.ConsentRequest(**{**_fields(ask), "valid_until": valid_until})
    return render(
        request,
        "jobs_insurance_buy.html",
        {
            "product": product,
            "starts": starts,
            "months": months,
            "preview": _preview(request, user, ask),
            "person": mover_of(request, user).data,
            "error": error,
        },
        status_code=status_code,
    )


def _fields(ask: consent.ConsentRequest) -> dict[str, Any]:
    return {name: getattr(ask, name) for name in ask.__dataclass_fields__}


@router.get("/jobs/insurance/buy", response_class=HTMLResponse, include_in_schema=False)
def buy_page(
    request: Request,
    jobs: Jobs,
    user: Person,
    to: str = "",
    product: str = "",
    starts: str = "",
    months: int = 0,
) -> HTMLResponse:
    """The term of cover, and the preview of what would be sent to the insurer."""
    mover_of(request, user)
    destination = _destination(jobs, to)
    if destination is None:
        return RedirectResponse("/jobs/insurance", status_code=303)  # type: ignore[return-value]
    chosen = jobs.insurance.product(destination, product[:64])
    start = starts or (jobs.ctx.clock.now().date() + timedelta(days=14)).isoformat()
    return _buy_page(
        request, jobs, user, product=chosen, starts=start, months=months or chosen.min_months
    )


@router.post(
    "/jobs/insurance/buy",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def buy(
    request: Request,
    jobs: Jobs,
    user: Person,
    to: Annotated[str, Form(max_length=2)],
    product: Annotated[str, Form(max_length=64)],
    starts: Annotated[str, Form(max_length=10)],
    months: Annotated[int, Form(ge=0, le=120)],
    valid_until: Annotated[str, Form(max_length=64)],
    preview_hash: Annotated[str, Form(max_length=64)],
    explicit: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Give the consent the person saw, buy the policy and show it."""
    mover = mover_of(request, user)
    destination = _destination(jobs, to)
    if destination is None:
        return RedirectResponse("/jobs/insurance", status_code=303)
    chosen = jobs.insurance.product(destination, product)
    until = _valid_until(valid_until, request)
    start = _day(starts)
    if start is None:
        return _buy_page(
            request, jobs, user, product=chosen, starts=starts, months=months,
            error=REASON_TEXT["input.date"], status_code=422,
        )  # fmt: skip
    ask = consent.ConsentRequest(
        **{**_fields(jobs.insurance.consent_request(chosen)), "valid_until": until}
    )
    try:
        token = _confirm(request, user, ask, preview_hash, explicit)
        held = jobs.insurance.buy(mover, chosen, starts=start, months=months, consent=token)
    except PlatformError as exc:
        return _buy_page(
            request, jobs, user, product=chosen, starts=starts, months=months,
            valid_until=until if isinstance(exc, ConsentInvalid) else None,
            error=explained(exc, request.state.language), status_code=status_for(exc),
        )  # fmt: skip
    return RedirectResponse(f"/jobs/insurance/policies/{held.id}", status_code=303)


@router.get(
    "/jobs/insurance/policies/{policy_id}", response_class=HTMLResponse, include_in_schema=False
)
def policy_page(request: Request, jobs: Jobs, user: Person, policy_id: str) -> HTMLResponse:
    """A policy the person holds, with its signature checked now."""
    mover = mover_of(request, user)
    held = jobs.insurance.held_policy(mover.person_id, policy_id)
    verified, problem = _verify(jobs.insurance.verify, held.document)
    return render(
        request,
        "jobs_insurance_policy.html",
        {"policy": held, "claims": verified, "problem": problem},
    )


@router.get("/jobs/insurance/policies/{policy_id}/policy.jws", include_in_schema=False)
def policy_download(request: Request, jobs: Jobs, user: Person, policy_id: str) -> Response:
    """The signed policy as issued (a compact JWS)."""
    mover = mover_of(request, user)
    held = jobs.insurance.held_policy(mover.person_id, policy_id)
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="policy-{held.id}.jws"'}
    return Response(held.document, media_type=JOSE, headers=headers)


def _verify(check: Any, document: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return check(document), None
    except PlatformError as exc:
        return None, REASON_TEXT.get(exc.reason, exc.message)


# --- insurance (the insurer) ------------------------------------------------------------------


def _insurer_page(
    request: Request,
    jobs: JobsService,
    insurer: Organisation,
    *,
    form: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    from eaeu.services.jobs.insurance import reference_of  # noqa: PLC0415

    return render(
        request,
        "jobs_insurer.html",
        {
            "insurer": insurer,
            "products": jobs.insurance.products_of(insurer.id),
            "policies": jobs.insurance.issued_by(reference_of(insurer)),
            "currency": MEMBER_STATES[jobs.ctx.state].currency,
            "form": form or {},
            "problems": problems or {},
        },
        status_code=status_code,
    )


@router.get("/jobs/insurer", response_class=HTMLResponse, include_in_schema=False)
def insurer_page(
    request: Request, jobs: Jobs, user: Annotated[SignedIn, Depends(require_user(INSURER))]
) -> HTMLResponse:
    """An insurer's products and the policies it issued."""
    return _insurer_page(request, jobs, organisation_of(request, user))


@router.post(
    "/jobs/insurer/products",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
async def publish_product(
    request: Request, jobs: Jobs, user: Annotated[SignedIn, Depends(require_user(INSURER))]
) -> Response:
    """Put a product on sale; the form comes back with every problem by field."""
    insurer = organisation_of(request, user)
    form = {k: str(v).strip()[:2000] for k, v in (await request.form()).items()}
    numbers: dict[str, int] = {}
    problems: dict[str, str] = {}
    for name in ("price_month", "min_months", "max_months"):
        try:
            numbers[name] = int(form.get(name, ""))
        except ValueError:
            problems[name] = N_("Enter a whole number.")
    if problems:
        return _insurer_page(request, jobs, insurer, form=form, problems=problems, status_code=422)
    new = NewProduct(
        name_en=form.get("name_en", ""),
        name_ru=form.get("name_ru", ""),
        coverage_en=form.get("coverage_en", ""),
        coverage_ru=form.get("coverage_ru", ""),
        covers=form.get("covers", ""),
        currency=form.get("currency", MEMBER_STATES[jobs.ctx.state].currency),
        **numbers,
    )
    try:
        jobs.insurance.publish(insurer, new)
    except MoveError as exc:
        found = getattr(exc, "problems", {"name_en": exc.message})
        return _insurer_page(request, jobs, insurer, form=form, problems=found, status_code=422)
    return RedirectResponse("/jobs/insurer", status_code=303)


@router.post(
    "/jobs/insurer/products/{product_id}/withdraw",
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def withdraw_product(
    request: Request,
    jobs: Jobs,
    user: Annotated[SignedIn, Depends(require_user(INSURER))],
    product_id: str,
) -> Response:
    """Take a product off sale."""
    jobs.insurance.withdraw(product_id, insurer_org_id=organisation_of(request, user).id)
    return RedirectResponse("/jobs/insurer", status_code=303)


# --- housing (the worker) ---------------------------------------------------------------------


def _stay_dates(
    jobs: JobsService, check_in: str, check_out: str
) -> tuple[date | None, date | None]:
    today = jobs.ctx.clock.now().date()
    start = _day(check_in, today + timedelta(days=14))
    end = _day(check_out, (start or today) + timedelta(days=30))
    return start, end


@router.get("/jobs/housing", response_class=HTMLResponse, include_in_schema=False)
def housing_page(
    request: Request,
    jobs: Jobs,
    user: Person,
    to: str = "",
    city: str = "",
    check_in: str = "",
    check_out: str = "",
) -> HTMLResponse:
    """Places free in ``to`` for the dates, and the person's bookings."""
    mover = mover_of(request, user)
    destination = _destination(jobs, to)
    start, end = _stay_dates(jobs, check_in, check_out)
    places: list[Place] = []
    error = None
    if start is None or end is None:
        error = REASON_TEXT["input.date"]
    elif destination is not None:
        try:
            places = jobs.housing.places(
                destination, city=city.strip()[:100] or None, check_in=start, check_out=end
            )
        except PlatformError as exc:
            error = _peer_error(exc, request)
    return render(
        request,
        "jobs_housing.html",
        {
            "destination": destination,
            "destinations": jobs.ctx.peers(),
            "city": city[:100],
            "check_in": start.isoformat() if start else check_in[:10],
            "check_out": end.isoformat() if end else check_out[:10],
            "places": places,
            "bookings": jobs.housing.held(mover.person_id),
            "error": error,
        },
        status_code=422 if error and start is None else (502 if error else 200),
    )


def _book_page(
    request: Request,
    jobs: JobsService,
    user: SignedIn,
    *,
    place: Place,
    check_in: date,
    check_out: date,
    valid_until: datetime | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ask = jobs.housing.consent_request(place)
    if valid_until is not None:
        ask = consent.ConsentRequest(**{**_fields(ask), "valid_until": valid_until})
    return render(
        request,
        "jobs_housing_book.html",
        {
            "place": place,
            "check_in": check_in,
            "check_out": check_out,
            "preview": _preview(request, user, ask),
            "person": mover_of(request, user).data,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/jobs/housing/book", response_class=HTMLResponse, include_in_schema=False)
def book_page(
    request: Request,
    jobs: Jobs,
    user: Person,
    to: str = "",
    place: str = "",
    check_in: str = "",
    check_out: str = "",
) -> Response:
    """The preview of what would be sent to the place's owner to book it."""
    mover_of(request, user)
    destination = _destination(jobs, to)
    start, end = _stay_dates(jobs, check_in, check_out)
    if destination is None or start is None or end is None:
        return RedirectResponse(f"/jobs/housing?to={to[:2]}", status_code=303)
    chosen = jobs.housing.place(destination, place[:64], check_in=start, check_out=end)
    return _book_page(request, jobs, user, place=chosen, check_in=start, check_out=end)


@router.post(
    "/jobs/housing/book",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def book(
    request: Request,
    jobs: Jobs,
    user: Person,
    to: Annotated[str, Form(max_length=2)],
    place: Annotated[str, Form(max_length=64)],
    check_in: Annotated[str, Form(max_length=10)],
    check_out: Annotated[str, Form(max_length=10)],
    valid_until: Annotated[str, Form(max_length=64)],
    preview_hash: Annotated[str, Form(max_length=64)],
    explicit: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Give the consent the person saw, book the stay and show the booking."""
    mover = mover_of(request, user)
    destination = _destination(jobs, to)
    start, end = _day(check_in), _day(check_out)
    if destination is None or start is None or end is None:
        return RedirectResponse(f"/jobs/housing?to={to[:2]}", status_code=303)
    chosen = jobs.housing.place(destination, place, check_in=start, check_out=end)
    until = _valid_until(valid_until, request)
    ask = consent.ConsentRequest(
        **{**_fields(jobs.housing.consent_request(chosen)), "valid_until": until}
    )
    try:
        token = _confirm(request, user, ask, preview_hash, explicit)
        held = jobs.housing.book(mover, chosen, check_in=start, check_out=end, consent=token)
    except PlatformError as exc:
        return _book_page(
            request, jobs, user, place=chosen, check_in=start, check_out=end,
            valid_until=until if isinstance(exc, ConsentInvalid) else None,
            error=explained(exc, request.state.language), status_code=status_for(exc),
        )  # fmt: skip
    return RedirectResponse(f"/jobs/housing/bookings/{held.id}", status_code=303)


@router.get(
    "/jobs/housing/bookings/{booking_id}", response_class=HTMLResponse, include_in_schema=False
)
def booking_page(request: Request, jobs: Jobs, user: Person, booking_id: str) -> HTMLResponse:
    """A booking the person holds, with the address for registration and its signature."""
    mover = mover_of(request, user)
    held = jobs.housing.held_booking(mover.person_id, booking_id)
    verified, problem = _verify(jobs.housing.verify, held.document)
    return render(
        request,
        "jobs_housing_booking.html",
        {"booking": held, "claims": verified, "problem": problem},
    )


@router.get("/jobs/housing/bookings/{booking_id}/booking.jws", include_in_schema=False)
def booking_download(request: Request, jobs: Jobs, user: Person, booking_id: str) -> Response:
    """The signed booking confirmation (a compact JWS)."""
    mover = mover_of(request, user)
    held = jobs.housing.held_booking(mover.person_id, booking_id)
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="booking-{held.id}.jws"'}
    return Response(held.document, media_type=JOSE, headers=headers)


# --- housing (the owner) ----------------------------------------------------------------------


def _landlord_page(
    request: Request,
    jobs: JobsService,
    owner: Organisation,
    *,
    form: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = jobs.ctx.clock.now().date()
    return render(
        request,
        "jobs_landlord.html",
        {
            "owner": owner,
            "kind": DORMITORY if EMPLOYER in owner.kinds else RENTAL,
            "places": jobs.housing.places_of(owner.id),
            "stays": jobs.housing.stays_of(owner.id),
            "currency": MEMBER_STATES[jobs.ctx.state].currency,
            "form": form
            or {
                "available_from": today.isoformat(),
                "available_until": (today + timedelta(days=365)).isoformat(),
            },
            "problems": problems or {},
        },
        status_code=status_code,
    )


OWNER_ROLES: Final = (LANDLORD, EMPLOYER)


@router.get("/jobs/landlord", response_class=HTMLResponse, include_in_schema=False)
def landlord_page(
    request: Request, jobs: Jobs, user: Annotated[SignedIn, Depends(require_user(*OWNER_ROLES))]
) -> HTMLResponse:
    """An owner's places and the stays booked at them."""
    return _landlord_page(request, jobs, organisation_of(request, user))


@router.post(
    "/jobs/landlord/places",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
async def list_place(
    request: Request, jobs: Jobs, user: Annotated[SignedIn, Depends(require_user(*OWNER_ROLES))]
) -> Response:
    """List a place; the form comes back with every problem by field."""
    owner = organisation_of(request, user)
    form = {k: str(v).strip()[:2000] for k, v in (await request.form()).items()}
    problems: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for name in ("capacity", "price_month"):
        try:
            numbers[name] = int(form.get(name, ""))
        except ValueError:
            problems[name] = N_("Enter a whole number.")
    days: dict[str, date] = {}
    for name in ("available_from", "available_until"):
        found = _day(form.get(name, ""))
        if found is None:
            problems[name] = REASON_TEXT["input.date"]
        else:
            days[name] = found
    if problems:
        return _landlord_page(request, jobs, owner, form=form, problems=problems, status_code=422)
    new = NewPlace(
        city=form.get("city", ""),
        address=form.get("address", ""),
        capacity=numbers["capacity"],
        price_month=numbers["price_month"],
        currency=form.get("currency", MEMBER_STATES[jobs.ctx.state].currency),
        available_from=days["available_from"],
        available_until=days["available_until"],
        description=form.get("description", ""),
    )
    kind = DORMITORY if EMPLOYER in owner.kinds else RENTAL
    try:
        jobs.housing.list_place(owner, kind, new)
    except MoveError as exc:
        found_problems = getattr(exc, "problems", {"address": exc.message})
        return _landlord_page(
            request, jobs, owner, form=form, problems=found_problems, status_code=422
        )
    return RedirectResponse("/jobs/landlord", status_code=303)


@router.post(
    "/jobs/landlord/places/{place_id}/withdraw",
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def withdraw_place(
    request: Request,
    jobs: Jobs,
    user: Annotated[SignedIn, Depends(require_user(*OWNER_ROLES))],
    place_id: str,
) -> Response:
    """Stop taking bookings for a place."""
    jobs.housing.withdraw(place_id, owner_org_id=organisation_of(request, user).id)
    return RedirectResponse("/jobs/landlord", status_code=303)


# --- migration --------------------------------------------------------------------------------


@router.get("/jobs/migration", response_class=HTMLResponse, include_in_schema=False)
def migration_page(request: Request, jobs: Jobs, user: Person, sent: str = "") -> HTMLResponse:
    """The person's contracts, the acknowledgments they hold and what a notice needs.

    After a notice was sent (``?sent=1``) the page says so; a contract whose pre-arrival
    notice was acknowledged shows that acknowledgment instead of the button to send it (a
    notice sent again replaces it, so that stays as a secondary action).
    """
    mover = mover_of(request, user)
    contracts = jobs.migration.signed_contracts(mover.person_id)
    problems: list[str] = []
    for facts in contracts:
        try:
            jobs.migration.fetch_employer_ack(mover.person_id, facts)
        except PlatformError as exc:
            problems.append(explained(exc, request.state.language))
    bookings = jobs.housing.held(mover.person_id)
    acks = jobs.migration.held(mover.person_id)
    today = jobs.ctx.clock.now().date()
    rows = [
        {
            "contract": facts,
            "housing": [
                b for b in bookings if b.destination == facts.destination and b.check_out > today
            ],
            "pre_arrival": next(
                (
                    a
                    for a in acks
                    if a.kind == KIND_PRE_ARRIVAL and a.contract_id == facts.contract_id
                ),
                None,
            ),
        }
        for facts in contracts
    ]
    latest = next((a for a in acks if a.kind == KIND_PRE_ARRIVAL), None)
    return render(
        request,
        "jobs_migration.html",
        {
            "rows": rows,
            "acks": acks,
            "problems": problems,
            "sent": latest if sent == "1" else None,
        },
    )


def _notice_page(
    request: Request,
    jobs: JobsService,
    user: SignedIn,
    *,
    contract_id: str,
    entry: str,
    valid_until: datetime | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    mover = mover_of(request, user)
    facts, address, preview = None, None, None
    try:
        facts, address = jobs.migration.ready(mover.person_id, contract_id)
    except MoveError as exc:
        error, status_code = error or explained(exc, request.state.language), 409
    if facts is not None:
        ask = jobs.migration.consent_request(facts.destination, language=request.state.language)
        if valid_until is not None:
            ask = consent.ConsentRequest(**{**_fields(ask), "valid_until": valid_until})
        preview = _preview(request, user, ask)
    return render(
        request,
        "jobs_migration_notice.html",
        {
            "contract": facts,
            "contract_id": contract_id,
            "address": address,
            "entry": entry,
            "person": mover.data,
            "authority": AUTHORITIES[facts.destination] if facts else None,
            "preview": preview,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/jobs/migration/notice", response_class=HTMLResponse, include_in_schema=False)
def notice_page(
    request: Request, jobs: Jobs, user: Person, contract: str = "", entry: str = ""
) -> HTMLResponse:
    """Exactly what the pre-arrival notice would carry, and the consent it needs."""
    default = (jobs.ctx.clock.now().date() + timedelta(days=14)).isoformat()
    return _notice_page(request, jobs, user, contract_id=contract[:64], entry=entry[:10] or default)


@router.post(
    "/jobs/migration/notice",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def send_notice(
    request: Request,
    jobs: Jobs,
    user: Person,
    contract: Annotated[str, Form(max_length=64)],
    entry: Annotated[str, Form(max_length=10)],
    valid_until: Annotated[str, Form(max_length=64)],
    preview_hash: Annotated[str, Form(max_length=64)],
    explicit: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Give the consent the person saw and send the notice; show the acknowledgment."""
    mover = mover_of(request, user)
    until = _valid_until(valid_until, request)
    day = _day(entry)
    if day is None:
        return _notice_page(
            request, jobs, user, contract_id=contract, entry=entry,
            error=REASON_TEXT["input.date"], status_code=422,
        )  # fmt: skip
    try:
        facts, _ = jobs.migration.ready(mover.person_id, contract)
        asked = jobs.migration.consent_request(facts.destination, language=request.state.language)
        ask = consent.ConsentRequest(**{**_fields(asked), "valid_until": until})
        token = _confirm(request, user, ask, preview_hash, explicit)
        jobs.migration.send_pre_arrival(mover, contract, expected_entry=day, consent=token)
    except PlatformError as exc:
        return _notice_page(
            request, jobs, user, contract_id=contract, entry=entry,
            valid_until=until if isinstance(exc, ConsentInvalid) else None,
            error=explained(exc, request.state.language), status_code=status_for(exc),
        )  # fmt: skip
    return RedirectResponse("/jobs/migration?sent=1", status_code=303)


@router.get("/jobs/migration/received", response_class=HTMLResponse, include_in_schema=False)
def received_page(
    request: Request, jobs: Jobs, user: Annotated[SignedIn, Depends(require_user(OPERATOR))]
) -> HTMLResponse:
    """The notices this state's migration authority received (the node's operator)."""
    if user.foreign:
        raise RoleRefused("The notices received are shown to this node's own operator.")
    return render(
        request,
        "jobs_migration_received.html",
        {"notices": jobs.migration.received(), "authority": AUTHORITIES[jobs.ctx.state]},
    )


router.include_router(api)
