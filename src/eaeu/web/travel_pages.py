"""Portal pages and API of the travel service: labs, bookings, results, certificates.

* ``/travel`` — what the service is, and where to go.
* ``/travel/labs?country=BY&city=Минск`` — search the accredited labs of every state that
  issues travel certificates (the registry is replicated to every node), by city in English
  or Russian. ``/travel/labs/<id>`` — a lab; ``/travel/labs/<id>/book`` — book a slot (labs of
  this node's state; a lab of another state is booked on that state's portal, reached with
  ``/identity/continue?to=<STATE>&next=/travel/labs/<id>/book``).
* ``/travel/bookings`` — the traveller's bookings, with cancellation.
* ``/travel/lab`` — lab staff (role ``lab``): the day's bookings, and recording results.
* ``/travel/certificates/<booking>`` (``.png``, ``.svg``, ``.pdf``) — the result: green with
  the QR code and a printable PDF when nothing was detected, red when something was.
* ``/travel/labs/manage`` — the health authority (role ``operator``): accredit, lapse,
  reinstate and withdraw labs.
* ``GET /api/v1/travel/labs`` and ``/api/v1/travel/labs/<id>`` — the public registry as JSON.
"""

# Russian month names are data of this module.

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from eaeu.bootstrap import Platform
from eaeu.identity.assertion import Assertion
from eaeu.kernel.errors import PlatformError
from eaeu.kernel.states import MEMBER_STATES
from eaeu.services.travel import hcert, qr
from eaeu.services.travel.certificate_pdf import certificate_pdf
from eaeu.services.travel.commands import BookSlot
from eaeu.services.travel.errors import BookingNotFound, TravelError
from eaeu.services.travel.handlers import TravelService
from eaeu.services.travel.issuance import Outcome
from eaeu.services.travel.model import (
    BOOKING_HORIZON_DAYS,
    ISSUER,
    SERVICE,
    BookingStatus,
    Lab,
    LabStatus,
    OfferedTest,
    TestKind,
    Traveller,
    bookable_days,
    format_hours,
)
from eaeu.web.auth import SignedIn, accounts, check_csrf, current_user, require_user
from eaeu.web.templating import Templates

router = APIRouter()
api = APIRouter(prefix="/api/v1/travel/labs", tags=["travel"])

NO_STORE: Final = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
_MONTHS_RU: Final = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; it is translated when rendered."""
    return message


#: What a person reads for each refusal (the domain's messages are for logs and APIs).
REASON_TEXT: Final = {
    "travel.unavailable": N_("This node does not offer the travel service."),
    "travel.lab_not_found": N_("There is no accredited laboratory at this address."),
    "travel.not_participating": N_(
        "This state does not issue travel test certificates yet: it has not joined the travel "
        "service of the union."
    ),
    "travel.lab_not_accredited": N_(
        "This laboratory's accreditation is not in force, so it cannot take bookings or issue "
        "certificates."
    ),
    "travel.booking_elsewhere": N_("Book this laboratory on the portal of the state it is in."),
    "travel.test_not_offered": N_("This laboratory does not offer this test."),
    "travel.slot_invalid": N_(
        "This time is not one of the laboratory's appointments. Choose a time from the list."
    ),
    "travel.slot_full": N_("This time has just been fully booked. Choose another time."),
    "travel.booking_limit": N_(
        "You already hold as many appointments as one person may. Cancel one before you book "
        "another."
    ),
    "travel.booking_closed": N_("This booking can no longer be cancelled."),
    "travel.booking_not_found": N_("You have no booking at this address."),
    "travel.visitor_unknown": N_(
        "Your visit has expired. Continue to this service from the portal of your home state again."
    ),
    "travel.result_not_your_lab": N_(
        "Only the staff of the laboratory that took the booking record its result."
    ),
    "travel.result_recorded": N_("This booking was cancelled or already has a result."),
    "travel.result_sample_time": N_("The sample time must be in the past week, not in the future."),
    "travel.signer_unavailable": N_(
        "This node cannot sign test certificates at the moment. Nothing was recorded; try "
        "again later."
    ),
}
#: Other refusals the error page shows in the domain's words, marked for translation.
OTHER_TEXT: Final = (
    N_("There is no booking at this address."),
    N_("There is no certificate for this booking."),
    N_("There is no laboratory of this state with this id."),
    N_("This laboratory was removed from the registry."),
)
TEST_LABELS: Final = {
    TestKind.PCR: N_("PCR test (NAAT)"),
    TestKind.RAT: N_("Rapid antigen test"),
}
STATUS_LABELS: Final = {
    BookingStatus.BOOKED: N_("Booked"),
    BookingStatus.CANCELLED: N_("Cancelled"),
    BookingStatus.RESULTED: N_("Result ready"),
    LabStatus.ACTIVE: N_("Accredited"),
    LabStatus.LAPSED: N_("Lapsed"),
    LabStatus.WITHDRAWN: N_("Withdrawn"),
}
DAY_NAMES: Final = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


# --- plumbing --------------------------------------------------------------------------------


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def travel_of(request: Request) -> TravelService:
    """The node's travel service (a FastAPI dependency).

    Raises:
        TravelError: this node has no travel service (``travel.unavailable``, a 503).
    """
    travel = _platform(request).travel
    if travel is None:
        raise TravelError(
            "This node does not offer the travel service.",
            reason="travel.unavailable",
        )
    return travel


Travel = Annotated[TravelService, Depends(travel_of)]
SignedInPerson = Annotated[SignedIn, Depends(require_user())]


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    templates: Templates = request.app.state.templates
    language: str = request.state.language
    return templates.render(
        request, name, {**helpers(language), **context}, status_code=status_code
    )


def helpers(language: str) -> dict[str, Any]:
    def when(value: datetime, lab: Lab | None = None, *, with_date: bool = True) -> str:
        local = value.astimezone(lab.time_zone) if lab is not None else value.astimezone(UTC)
        clock = local.strftime("%H:%M")
        if not with_date:
            return clock
        suffix = "" if lab is not None else " UTC"
        return f"{day(local.date())}, {clock}{suffix}"

    def day(value: date) -> str:
        if language == "ru":
            return f"{value.day} {_MONTHS_RU[value.month - 1]} {value.year}"
        return value.strftime("%-d %b %Y")

    def state(code: str) -> str:
        return MEMBER_STATES[code].name(language)

    def price(offer: OfferedTest) -> str:
        amount = offer.price.quantize(Decimal("0.01")) if offer.price % 1 else offer.price
        return f"{amount:,} {offer.currency}".replace(",", "\u00a0")

    return {
        "when": when,
        "day": day,
        "opening": opening,
        "state": state,
        "price": price,
        "test_labels": TEST_LABELS,
        "status_labels": STATUS_LABELS,
        "day_names": DAY_NAMES,
        "format_hours": format_hours,
        "reason_text": REASON_TEXT,
    }


def opening(lab: Lab) -> list[tuple[int, int, str]]:
    """A lab's opening hours, consecutive days of equal hours joined (Mon-Fri 08:00-18:00).

    Returns:
        ``(first weekday, last weekday, times)`` per run of days; ``times`` joins opening and
        closing with an en dash, and several periods of a day with commas.
    """
    by_day: dict[int, str] = {}
    for period in sorted(lab.hours, key=lambda p: (p.weekday, p.opens)):
        times = f"{period.opens:%H:%M}\u2013{period.closes:%H:%M}"
        by_day[period.weekday] = (
            f"{by_day[period.weekday]}, {times}" if period.weekday in by_day else times
        )
    runs: list[tuple[int, int, str]] = []
    for weekday in sorted(by_day):
        if runs and runs[-1][1] == weekday - 1 and runs[-1][2] == by_day[weekday]:
            runs[-1] = (runs[-1][0], weekday, by_day[weekday])
        else:
            runs.append((weekday, weekday, by_day[weekday]))
    return runs


def explained(exc: PlatformError) -> str:
    return REASON_TEXT.get(exc.reason, exc.message)


def _traveller(request: Request, travel: TravelService, user: SignedIn) -> Traveller:
    """The signed-in person as a traveller: a local person, or a visitor's asserted data."""
    if user.foreign:
        return travel.bookings.visitor(user.person_id)
    person = accounts(request).person(user.person_id)
    return Traveller(
        ref=person.id,
        home_state=person.state,
        family_name=person.family_name,
        given_name=person.given_name,
        family_name_latin=person.family_name_latin,
        given_name_latin=person.given_name_latin,
        birth_date=person.birth_date.isoformat(),
    )


def remember_visitor(request: Request, assertion: Assertion, next_path: str) -> None:
    """An arrival listener: keep what a visitor to the travel pages needs to book.

    Called by ``/identity/arrive`` after the assertion verified. Only visitors bound for a
    travel page are kept, and only the names (original and Latin), the date of birth and
    the persistent id — for the visit's length (see :meth:`Bookings.remember_visitor`).
    """
    travel = _platform(request).travel
    if travel is None or not next_path.startswith("/travel/"):
        return
    family, given = assertion.family_name, assertion.given_name
    if family is None or given is None or assertion.birth_date is None:
        return
    travel.bookings.remember_visitor(
        Traveller(
            ref=assertion.subject,
            home_state=assertion.issuer_state,
            family_name=family.original,
            given_name=given.original,
            family_name_latin=family.latin or family.original,
            given_name_latin=given.latin or given.original,
            birth_date=assertion.birth_date.isoformat(),
            foreign=True,
        )
    )


# --- overview and search -------------------------------------------------------------------


@router.get("/travel", response_class=HTMLResponse, include_in_schema=False)
def overview(request: Request, travel: Travel) -> HTMLResponse:
    """What the travel service is, who takes part, and where to go."""
    trust = travel.trust()
    return render(
        request,
        "travel_overview.html",
        {
            "issuers": trust.participants(SERVICE, ISSUER),
            "joined": trust.participates(travel.state, SERVICE),
            "issuing": trust.participates(travel.state, SERVICE, ISSUER),
        },
    )


@router.get("/travel/labs", response_class=HTMLResponse, include_in_schema=False)
def search_page(
    request: Request, travel: Travel, country: str = "", city: str = ""
) -> HTMLResponse:
    """Search the accredited labs by country and city (English or Russian)."""
    country = country.strip().upper()[:2]
    city = city.strip()[:100]
    issuers = travel.trust().participants(SERVICE, ISSUER)
    searched = bool(country or city or "country" in request.query_params)
    labs = travel.registry.search(country=country or None, city=city or None) if searched else []
    return render(
        request,
        "travel_labs.html",
        {
            "issuers": issuers,
            "country": country,
            "city": city,
            "searched": searched,
            "labs": labs,
            "not_joined": bool(country) and country in MEMBER_STATES and country not in issuers,
        },
    )


def _lab_links(request: Request, travel: TravelService, lab: Lab) -> dict[str, Any]:
    """Where a person books ``lab``: here, or on its state's portal."""
    if lab.state == travel.state:
        return {"book_here": True}
    user = current_user(request)
    book_path = f"/travel/labs/{lab.id}/book"
    continue_url = f"/identity/continue?{urlencode({'to': lab.state, 'next': book_path})}"
    try:
        endpoint = travel.trust().endpoint(lab.state).rstrip("/")
    except PlatformError:
        endpoint = None
    return {
        "book_here": False,
        "continue_url": continue_url,
        "foreign_url": None if endpoint is None else f"{endpoint}{book_path}",
        "signed_in_home": user is not None and user.second_factor and not user.foreign,
    }


@router.get("/travel/labs/{lab_id}", response_class=HTMLResponse, include_in_schema=False)
def lab_page(request: Request, travel: Travel, lab_id: str) -> HTMLResponse:
    """A lab: its tests, prices, hours and accreditation, and where to book it."""
    lab = travel.registry.lab(lab_id)
    return render(request, "travel_lab.html", {"lab": lab, **_lab_links(request, travel, lab)})


# --- booking ---------------------------------------------------------------------------------


def _book_page(
    request: Request,
    travel: TravelService,
    user: SignedIn,
    lab: Lab,
    day_text: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = travel.clock.now()
    days = bookable_days(lab, now, BOOKING_HORIZON_DAYS)
    try:
        chosen = date.fromisoformat(day_text) if day_text else None
    except ValueError:
        chosen = None
    if chosen not in days:
        chosen = next(
            (d for d in days if any(s.free for s in travel.bookings.slots(lab, noon(lab, d)))),
            days[0] if days else None,
        )
    slots = travel.bookings.slots(lab, noon(lab, chosen)) if chosen else []
    return render(
        request,
        "travel_book.html",
        {
            "lab": lab,
            "days": days,
            "chosen": chosen,
            "slots": slots,
            "foreign": user.foreign,
            "error": error,
            "home_state": user.state,
        },
        status_code=status_code,
    )


def noon(lab: Lab, day: date) -> datetime:
    return datetime.combine(day, time(12), lab.time_zone)


@router.get("/travel/labs/{lab_id}/book", response_class=HTMLResponse, include_in_schema=False)
def book_page(
    request: Request, travel: Travel, user: SignedInPerson, lab_id: str, day: str = ""
) -> HTMLResponse:
    """Choose a day, a time and a test at a lab of this state."""
    lab = travel.bookings.bookable(lab_id)
    if user.foreign:
        travel.bookings.visitor(user.person_id)  # a visit whose data has gone starts again
    return _book_page(request, travel, user, lab, day)


@router.post(
    "/travel/labs/{lab_id}/book",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def book(
    request: Request,
    travel: Travel,
    user: SignedInPerson,
    lab_id: str,
    slot: Annotated[str, Form(max_length=40)] = "",
    test: Annotated[str, Form(max_length=8)] = "",
    day: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Book the chosen slot; the booking code is shown on the bookings page."""
    lab = travel.bookings.bookable(lab_id)
    try:
        start = datetime.fromisoformat(slot)
        kind = TestKind(test)
    except ValueError:
        return _book_page(
            request, travel, user, lab, day,
            error=N_("Choose a time and a test."), status_code=422,
        )  # fmt: skip
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    try:
        traveller = _traveller(request, travel, user)
        booking = travel.bookings.book(BookSlot(lab.id, start, kind, traveller))
    except TravelError as exc:
        if exc.reason == "travel.visitor_unknown":
            raise
        return _book_page(request, travel, user, lab, day, error=explained(exc), status_code=409)
    return RedirectResponse(f"/travel/bookings?booked={booking.id}", status_code=303)


@router.get("/travel/bookings", response_class=HTMLResponse, include_in_schema=False)
def bookings_page(
    request: Request, travel: Travel, user: SignedInPerson, booked: str = "", cancelled: str = ""
) -> HTMLResponse:
    """The traveller's bookings, with codes, results and cancellation."""
    items = []
    for booking in travel.bookings.of_traveller(user.person_id):
        try:
            lab = travel.registry.lab(booking.lab_id, listed_only=False)
        except TravelError:
            continue
        items.append((booking, lab))
    now = travel.clock.now()
    response = render(
        request,
        "travel_bookings.html",
        {
            "items": items,
            "now": now,
            "booked": next((b for b, _ in items if b.id == booked), None),
            "cancelled": bool(cancelled),
        },
    )
    response.headers.update(NO_STORE)
    return response


@router.post(
    "/travel/bookings/{booking_id}/cancel",
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def cancel(travel: Travel, user: SignedInPerson, booking_id: str) -> Response:
    """Cancel one of the traveller's bookings."""
    travel.bookings.cancel(booking_id, traveller=user.person_id)
    return RedirectResponse("/travel/bookings?cancelled=1", status_code=303)


# --- certificates ----------------------------------------------------------------------------


def _outcome(travel: TravelService, user: SignedIn, booking_id: str) -> Outcome:
    return travel.results.outcome(booking_id, traveller=user.person_id)


def _certificate_text(travel: TravelService, user: SignedIn, booking_id: str) -> Outcome:
    outcome = _outcome(travel, user, booking_id)
    if outcome.certificate is None:
        raise BookingNotFound(
            "There is no certificate for this booking.", reason="travel.certificate_not_found"
        )
    return outcome


def _download(content: bytes | str, media_type: str, filename: str) -> Response:
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=media_type, headers=headers)


@router.get("/travel/certificates/{booking_id}.png", include_in_schema=False)
def certificate_png(
    travel: Travel, user: SignedInPerson, booking_id: str, download: bool = False
) -> Response:
    """The certificate's QR code as a PNG image (ECC level Q)."""
    certificate = _certificate_text(travel, user, booking_id).certificate
    assert certificate is not None  # noqa: S101 - checked by _certificate_text
    png = qr.render_png(certificate.text, scale=8)
    if download:
        return _download(png, "image/png", f"certificate-{booking_id[:8]}.png")
    return Response(png, media_type="image/png", headers=NO_STORE)


@router.get("/travel/certificates/{booking_id}.svg", include_in_schema=False)
def certificate_svg(travel: Travel, user: SignedInPerson, booking_id: str) -> Response:
    """The certificate's QR code as an SVG image (ECC level Q)."""
    certificate = _certificate_text(travel, user, booking_id).certificate
    assert certificate is not None  # noqa: S101 - checked by _certificate_text
    svg = qr.render_svg(certificate.text, scale=8)
    return _download(svg, "image/svg+xml", f"certificate-{booking_id[:8]}.svg")


@router.get("/travel/certificates/{booking_id}.pdf", include_in_schema=False)
def certificate_pdf_download(travel: Travel, user: SignedInPerson, booking_id: str) -> Response:
    """The printable certificate (A4 PDF with the QR code)."""
    outcome = _certificate_text(travel, user, booking_id)
    certificate = outcome.certificate
    assert certificate is not None  # noqa: S101 - checked by _certificate_text
    claims = hcert.decode_claims(hcert.decode(certificate.text).payload)
    pdf = certificate_pdf(
        text=certificate.text,
        payload=claims.dcc,
        issued_at=certificate.issued_at,
        expires_at=certificate.expires_at,
        state_name=MEMBER_STATES[outcome.lab.state].official_name("en"),
    )
    return _download(pdf, "application/pdf", f"certificate-{booking_id[:8]}.pdf")


@router.get(
    "/travel/certificates/{booking_id}", response_class=HTMLResponse, include_in_schema=False
)
def certificate_page(
    request: Request, travel: Travel, user: SignedInPerson, booking_id: str
) -> HTMLResponse:
    """The result: green with the QR code when negative, red when positive."""
    outcome = _outcome(travel, user, booking_id)
    payload = None
    if outcome.certificate is not None:
        payload = hcert.decode_claims(hcert.decode(outcome.certificate.text).payload).dcc
    response = render(request, "travel_certificate.html", {"outcome": outcome, "payload": payload})
    response.headers.update(NO_STORE)
    return response


# --- API -------------------------------------------------------------------------------------


def _lab_json(lab: Lab) -> dict[str, Any]:
    record = lab.to_json()
    record["listed"] = True
    return record


@api.get("", summary="Search the accredited labs of the states that issue travel certificates")
def api_search(travel: Travel, country: str | None = None, city: str | None = None) -> Any:
    """Labs whose accreditation is in force, by country (ISO 3166 alpha-2) and city.

    ``city`` matches the English or the Russian name from its start, ignoring case.
    """
    labs = travel.registry.search(
        country=(country or "").strip()[:2] or None, city=(city or "").strip()[:100] or None
    )
    return {"labs": [_lab_json(lab) for lab in labs], "count": len(labs)}


@api.get("/{lab_id}", summary="One accredited lab")
def api_lab(travel: Travel, lab_id: str) -> dict[str, Any]:
    """The lab, if its accreditation is in force and its state issues travel certificates."""
    return _lab_json(travel.registry.lab(lab_id))


router.include_router(api)

#: The booking page's address for a lab, as other nodes and the continue flow use it.
BOOK_PATH: Final = "/travel/labs/{lab_id}/book"

__all__ = ["BOOK_PATH", "REASON_TEXT", "api", "remember_visitor", "router", "travel_of"]
