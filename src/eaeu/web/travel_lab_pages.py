"""Portal pages of the travel service for laboratories and the health authority.

* ``/travel/lab`` — lab staff (role ``lab``, acting for the lab's organisation): the day's
  bookings, finding a booking by its code, and recording results (a negative result is
  signed as a certificate at once).
* ``/travel/labs/manage`` — the health authority (role ``operator`` at its own state's
  node): accredit a lab, lapse, reinstate or withdraw an accreditation, and exchange
  registries with states that have just joined travel.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from eaeu.identity.errors import RoleRefused
from eaeu.identity.model import LAB, OPERATOR
from eaeu.kernel.states import MEMBER_STATES
from eaeu.services.travel.commands import AccreditLab, RecordResult
from eaeu.services.travel.errors import LabInvalid
from eaeu.services.travel.handlers import TravelService
from eaeu.services.travel.issuance import Outcome
from eaeu.services.travel.model import (
    BookingStatus,
    Lab,
    OfferedTest,
    TestKind,
    normalise_code,
    parse_hours,
)
from eaeu.web.auth import SignedIn, accounts, check_csrf, require_user
from eaeu.web.travel_pages import N_, NO_STORE, Travel, noon, render

router = APIRouter()

LabStaff = Annotated[SignedIn, Depends(require_user(LAB))]
HealthAuthority = Annotated[SignedIn, Depends(require_user(OPERATOR))]
FIELD_LABELS: Final = {
    "name": N_("Name in the national script"),
    "name_latin": N_("Name in Latin letters"),
    "legal_id": N_("Registration number"),
    "licence": N_("Accreditation number"),
    "address": N_("Address"),
    "city_en": N_("City in English"),
    "city_ru": N_("City in Russian"),
    "coordinates": N_("Coordinates"),
    "tests": N_("Tests"),
    "tests.pcr": N_("PCR test"),
    "tests.rat": N_("Rapid antigen test"),
    "hours": N_("Opening hours"),
    "slot_minutes": N_("Appointment length"),
    "seats": N_("People per appointment"),
    "accredited_from": N_("Accredited from"),
    "accredited_until": N_("Accredited until"),
    "organisation": N_("Registration number of the organisation that runs it"),
}
#: The registry's problems with a lab's data, marked for translation (the model's words).
LAB_PROBLEMS: Final = (
    N_("Enter this field."),
    N_("This is too long."),
    N_("Give the price of at least one test."),
    N_("Offer each kind of test once."),
    N_("A rapid antigen test needs its device id from the EU common list (digits)."),
    N_("A PCR test has no device id."),
    N_("The price is a positive amount with at most two decimals."),
    N_("The currency is not one that the union's labs charge in."),
    N_("The time to the result is 1 to 168 hours."),
    N_("A laboratory is open at least once a week."),
    N_("A weekday is 0 (Monday) to 6 (Sunday)."),
    N_("A laboratory closes after it opens, on the same day."),
    N_("Not a member state of the union."),
    N_("Use Latin letters, digits and punctuation only."),
    N_("The latitude is -90 to 90 and the longitude -180 to 180."),
    N_("An appointment lasts 10, 15, 20, 30 or 60 minutes."),
    N_("An appointment takes 1 to 20 people."),
    N_("The accreditation ends after it starts."),
    N_("Versions start at 1."),
    N_("The device is not on the EU common list."),
    N_("A Kyrgyz organisation's TIN has 14 digits and starts with 0."),
    N_("This is not a registration number of an organisation of this state."),
    N_("The check digit does not match: the number has a typing error or was never issued."),
)
#: The form field an error summary entry links to, where the problem's name is not one.
ANCHORS: Final = {
    "tests": "pcr_price",
    "tests.pcr": "pcr_price",
    "tests.rat": "rat_price",
    "coordinates": "latitude",
    "state": "name",
    "version": "name",
}


# --- the lab ---------------------------------------------------------------------------------


def _staff_labs(request: Request, travel: TravelService, user: SignedIn) -> tuple[str, list[Lab]]:
    if user.foreign:
        raise RoleRefused(N_("Laboratory staff sign in at the portal of their own state."))
    person = accounts(request).person(user.person_id)
    if person.organisation_id is None:
        return "", []
    return person.organisation_id, travel.registry.of_organisation(person.organisation_id)


@router.get("/travel/lab", response_class=HTMLResponse, include_in_schema=False)
def lab_desk(
    request: Request,
    travel: Travel,
    user: LabStaff,
    lab: str = "",
    day: str = "",
    code: str = "",
    recorded: str = "",
    error: str = "",
) -> HTMLResponse:
    """Lab staff: the day's bookings, finding one by code, and recording results."""
    _, labs = _staff_labs(request, travel, user)
    current = next((item for item in labs if item.id == lab), labs[0] if labs else None)
    now = travel.clock.now()
    bookings: list[Any] = []
    chosen = None
    found: Outcome | None = None
    missing = False
    if current is not None:
        try:
            chosen = date.fromisoformat(day) if day else current.local_date(now)
        except ValueError:
            chosen = current.local_date(now)
        if code:
            normalised = normalise_code(code)
            hit = travel.bookings.by_code(current, normalised) if normalised else None
            if hit is None:
                missing = True
            else:
                found = travel.results.outcome(hit.id)
                # The day of the booking found, so that its neighbours show too.
                chosen = current.local_date(hit.slot_start)
        bookings = [
            travel.results.outcome(booking.id)
            for booking in travel.bookings.of_lab(current, noon(current, chosen))
            if booking.status is not BookingStatus.CANCELLED
            and (found is None or booking.id != found.booking.id)
        ]
    response = render(
        request,
        "travel_desk.html",
        {
            "labs": labs,
            "lab": current,
            "chosen": chosen,
            "outcomes": bookings,
            "now_local": now.astimezone(current.time_zone) if current else now,
            "code": code,
            "found": found,
            "missing": missing,
            "recorded": recorded,
            "input_error": error,
            "accredited": current is not None and travel.registry.listed(current),
        },
    )
    response.headers.update(NO_STORE)
    return response


@router.post(
    "/travel/lab/bookings/{booking_id}/result",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def record_result(
    request: Request,
    travel: Travel,
    user: LabStaff,
    booking_id: str,
    sampled: Annotated[str, Form(max_length=32)] = "",
    result: Annotated[str, Form(max_length=16)] = "",
    test: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Record the result of a booking; a negative one is signed as a certificate."""
    organisation, _ = _staff_labs(request, travel, user)
    outcome = travel.results.outcome(booking_id)
    lab = outcome.lab
    day = lab.local_date(outcome.booking.slot_start).isoformat()
    back = f"/travel/lab?{urlencode({'lab': lab.id, 'day': day})}"
    try:
        sample = datetime.fromisoformat(sampled)
        kind = TestKind(test or outcome.booking.test_kind.value)
    except ValueError:
        sample = None
    if sample is None or result not in ("negative", "positive"):
        return RedirectResponse(f"{back}&error={booking_id}#booking-{booking_id}", status_code=303)
    if sample.tzinfo is None:
        sample = sample.replace(tzinfo=lab.time_zone)
    travel.results.record(
        RecordResult(
            booking_id=booking_id,
            organisation_id=organisation,
            staff_id=user.person_id,
            sample_collected_at=sample,
            detected=result == "positive",
            test_kind=kind,
        )
    )
    return RedirectResponse(f"{back}&recorded={booking_id}#booking-{booking_id}", status_code=303)


@router.get("/travel/labs/manage", response_class=HTMLResponse, include_in_schema=False)
def manage_page(request: Request, travel: Travel, user: HealthAuthority) -> HTMLResponse:
    """The health authority's registry: this state's labs, and the form to accredit one."""
    _home_operator(user)
    return _manage(request, travel, {})


# --- the health authority ------------------------------------------------------------------


def _home_operator(user: SignedIn) -> None:
    if user.foreign:
        raise RoleRefused(N_("The health authority works at the portal of its own state."))


def _manage(
    request: Request,
    travel: TravelService,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "travel_manage.html",
        {
            "labs": travel.registry.own(),
            "issuing": travel.registry.issues(travel.state),
            "now": travel.clock.now(),
            "today": travel.clock.now().date(),
            "until": travel.clock.now().date() + timedelta(days=365),
            "form": {},
            "problems": {},
            "field_labels": FIELD_LABELS,
            "anchors": ANCHORS,
            "currency": MEMBER_STATES[travel.state].currency,
            **context,
        },
        status_code=status_code,
    )


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value.replace(",", ".").replace(" ", "")) if value.strip() else None
    except InvalidOperation:
        return None


def _number(value: str, kind: type[int | float]) -> Any:
    try:
        return kind(value.replace(",", ".").strip())
    except ValueError:
        return None


def _accredit_command(
    form: dict[str, str], currency: str, organisation_id: str | None
) -> AccreditLab:
    """Read the accreditation form; every unreadable field is one problem."""
    problems: dict[str, str] = {
        name: N_("This field is required.") for name in _REQUIRED if not form.get(name, "").strip()
    }
    tests: list[OfferedTest] = []
    for kind in TestKind:
        price = form.get(f"{kind.value}_price", "")
        if not price.strip():
            continue
        amount = _decimal(price)
        hours = _number(form.get(f"{kind.value}_hours", ""), int)
        if amount is None or hours is None:
            problems[f"tests.{kind.value}"] = N_("Give the price and the turnaround in hours.")
            continue
        device = form.get("rat_device", "").strip() or None if kind is TestKind.RAT else None
        tests.append(OfferedTest(kind, amount, currency, hours, device))
    latitude, longitude = (
        _number(form.get("latitude", ""), float),
        _number(form.get("longitude", ""), float),
    )
    if latitude is None or longitude is None:
        problems["coordinates"] = N_("Give the latitude and longitude as numbers.")
    dates = {}
    for name in ("accredited_from", "accredited_until"):
        try:
            dates[name] = date.fromisoformat(form.get(name, ""))
        except ValueError:
            problems[name] = N_("Give a date.")
    try:
        hours_parsed = parse_hours(form.get("hours", ""))
    except LabInvalid:
        problems["hours"] = N_("Write opening hours as 'Mon-Fri 08:00-18:00; Sat 09:00-13:00'.")
        hours_parsed = ()
    if not tests and "tests.pcr" not in problems and "tests.rat" not in problems:
        problems["tests"] = N_("Give the price of at least one test.")
    if problems:
        raise LabInvalid(problems)
    return AccreditLab(
        name=form.get("name", ""),
        name_latin=form.get("name_latin", ""),
        legal_id=form.get("legal_id", ""),
        licence=form.get("licence", ""),
        address=form.get("address", ""),
        city_en=form.get("city_en", ""),
        city_ru=form.get("city_ru", ""),
        latitude=float(latitude),
        longitude=float(longitude),
        tests=tuple(tests),
        hours=hours_parsed,
        accredited_from=dates["accredited_from"],
        accredited_until=dates["accredited_until"],
        slot_minutes=_number(form.get("slot_minutes", "15"), int) or 15,
        seats=_number(form.get("seats", "2"), int) or 2,
        organisation_id=organisation_id,
    )


_REQUIRED: Final = ("name", "name_latin", "legal_id", "licence", "address", "city_en", "city_ru")
_FORM_FIELDS: Final = (
    "name", "name_latin", "legal_id", "licence", "address", "city_en", "city_ru", "latitude",
    "longitude", "pcr_price", "pcr_hours", "rat_price", "rat_hours", "rat_device", "hours",
    "slot_minutes", "seats", "accredited_from", "accredited_until", "organisation",
)  # fmt: skip


@router.post(
    "/travel/labs/manage",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
async def accredit(request: Request, travel: Travel, user: HealthAuthority) -> Response:
    """Accredit a lab of this state (replicated to every node that takes part in travel)."""
    _home_operator(user)
    raw = await request.form()
    form = {name: str(raw.get(name, ""))[:400] for name in _FORM_FIELDS}
    organisation_id = None
    if form["organisation"].strip():
        found = accounts(request).organisation_by_legal_id(form["organisation"].strip())
        if found is None:
            return _manage(
                request,
                travel,
                {
                    "form": form,
                    "problems": {"organisation": N_("No organisation here has this number.")},
                },
                status_code=422,
            )
        organisation_id = found.id
    try:
        command = _accredit_command(form, MEMBER_STATES[travel.state].currency, organisation_id)
        lab = travel.registry.accredit(command)
    except LabInvalid as exc:
        return _manage(request, travel, {"form": form, "problems": exc.problems}, status_code=422)
    return RedirectResponse(f"/travel/labs/manage?accredited={lab.id}", status_code=303)


@router.post(
    "/travel/labs/manage/{lab_id}/status",
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def change_status(
    travel: Travel,
    user: HealthAuthority,
    lab_id: str,
    action: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Lapse, reinstate or withdraw a lab's accreditation."""
    _home_operator(user)
    registry = travel.registry
    actions = {
        "lapse": registry.lapse,
        "reinstate": registry.reinstate,
        "withdraw": registry.withdraw,
    }
    if action not in actions:
        return RedirectResponse("/travel/labs/manage", status_code=303)
    actions[action](lab_id)
    return RedirectResponse(f"/travel/labs/manage?changed={lab_id}#lab-{lab_id}", status_code=303)


@router.post(
    "/travel/labs/manage/reconcile",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def reconcile(request: Request, travel: Travel, user: HealthAuthority) -> HTMLResponse:
    """Exchange registries now with travel states not exchanged with yet."""
    _home_operator(user)
    return _manage(request, travel, {"reconciled": travel.registry.reconcile()})


__all__ = ["router"]
