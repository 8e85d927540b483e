"""Portal pages and API of consent: give a consent, My data, and consents received.

On the person's home node: ``/consents/new`` shows a preview of exactly which data would go
where and why, with the duties the home state's law puts on the transfer, and the person
confirms it; ``/my-data`` lists every transfer of the person's data and their consents, with
buttons to withdraw them. On the requesting node: ``/consents/received`` lists the consents
granted to it, with a button that asks the home node for the data, and
``POST /api/v1/consent/requests`` does the same for programs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from eaeu.bootstrap import Platform, person_data
from eaeu.consent import handlers as consent
from eaeu.consent import records
from eaeu.consent.errors import (
    ConsentInvalid,
    ConsentNotActive,
    ConsentNotFound,
    ConsentRefused,
)
from eaeu.consent.model import (
    ACTIVE,
    MAX_DATA_LIFE_DAYS,
    ONE_TIME,
    PURPOSES,
    organisation_ref,
)
from eaeu.consent.policy import BASES, CATEGORIES, Text, TransferPolicy, load_policy
from eaeu.exchange.errors import MessageRefused, PeerUnavailable
from eaeu.exchange.node import ExchangeNode
from eaeu.identity.errors import RoleRefused
from eaeu.identity.model import Organisation
from eaeu.kernel.clock import utc
from eaeu.kernel.errors import PlatformError
from eaeu.kernel.states import MEMBER_STATES
from eaeu.web.auth import SignedIn, accounts, check_csrf, require_user
from eaeu.web.errors import status_for
from eaeu.web.operator import node_exchange, require_operator
from eaeu.web.templating import Templates

router = APIRouter()
pages = APIRouter(include_in_schema=False)

#: Roles that may see the consents granted to this node and ask for the data.
RECEIVER_ROLES = ("operator", "employer", "insurer", "landlord", "lab")
_MAX_DAYS = 365


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; it is translated when rendered."""
    return message


#: What a person reads for each refusal (the API gives the detailed message).
REASON_TEXT = {
    "consent.missing": N_("No consent was given for this transfer."),
    "consent.unknown": N_("The person's home node holds no such consent."),
    "consent.malformed": N_("The consent reference is damaged and cannot be read."),
    "consent.signature": N_("The consent's signature could not be verified."),
    "consent.issuer": N_("The consent was not issued by the node that holds the data."),
    "consent.revoked": N_("The person withdrew this consent, so their data may no longer be sent."),
    "consent.expired": N_("The consent has ended."),
    "consent.not_yet_valid": N_("The consent does not apply yet."),
    "consent.receiver": N_("The consent does not allow the data to go to this state."),
    "consent.purpose": N_("The consent was given for a different purpose."),
    "consent.categories": N_("The consent does not cover all the data asked for."),
    "consent.used": N_("The consent was for one transfer only, and that transfer has taken place."),
    "consent.subject_unknown": N_(
        "The person no longer has an account on their home node, so there is nothing to send."
    ),
    "exchange.unreachable": N_("The person's home node did not answer. Try again later."),
}

#: Labels of the fields a consent releases.
FIELD_LABELS = {
    "family_name": N_("Family name"),
    "given_name": N_("Given name"),
    "family_name_latin": N_("Family name in Latin letters"),
    "given_name_latin": N_("Given name in Latin letters"),
    "birth_date": N_("Date of birth"),
    "nationality": N_("Nationality"),
    "national_id_kind": N_("Kind of national identifier"),
    "national_id": N_("National identifier"),
    "email": N_("Email address"),
}

INVALID_TEXT = {
    "consent.unknown_purpose": N_("The request names a purpose a consent cannot be given for."),
    "consent.categories_invalid": N_("The request does not name the data it needs."),
    "consent.requester_invalid": N_("The request must come from another member state."),
    "consent.organisation_invalid": N_(
        "The request does not name the organisation that would receive your data by its "
        "registration number."
    ),
    "consent.validity_invalid": N_("The consent would last too long or has already ended."),
    "consent.mode_invalid": N_("The request must be for one transfer or for repeated transfers."),
    "consent.data_life_invalid": N_("The request asks to keep the data for too long."),
    "consent.no_explicit_request": N_("Confirm that you ask for your data to be sent."),
    "consent.preview_changed": N_(
        "The details of the request changed since you saw them. Check them again."
    ),
    "consent.policy_refused": N_("The transfer rules of your state do not allow this transfer."),
}


@cache
def _policy() -> TransferPolicy:
    """The packaged transfer policy, read on first use."""
    return load_policy()


def _templates(request: Request) -> Templates:
    templates: Templates = request.app.state.templates
    return templates


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def _helpers(language: str) -> dict[str, Callable[..., str]]:
    def text(value: Text) -> str:
        return value.in_language(language)

    def category(code: str) -> str:
        names = CATEGORIES.get(code)
        return (names[1] if language == "ru" else names[0]) if names else code

    def categories(codes: tuple[str, ...]) -> str:
        order = list(CATEGORIES)
        ranked = sorted(codes, key=lambda c: order.index(c) if c in order else len(order))
        return "; ".join(category(code) for code in ranked)

    def purpose(code: str) -> str:
        found = PURPOSES.get(code)
        return found.in_language(language) if found else code

    def basis(code: str | None) -> str:
        names = BASES.get(code or "")
        return (names[1] if language == "ru" else names[0]) if names else (code or "")

    def state(code: str) -> str:
        member = MEMBER_STATES.get(code)
        return member.name(language) if member else code

    def when(value: datetime | None) -> str:
        return utc(value).strftime("%d.%m.%Y %H:%M UTC") if value else ""

    return {
        "text": text,
        "category": category,
        "categories": categories,
        "purpose": purpose,
        "basis": basis,
        "state": state,
        "when": when,
    }


def _render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    context = {
        **_helpers(request.state.language),
        "field_labels": FIELD_LABELS,
        **context,
    }
    return _templates(request).render(request, name, context, status_code=status_code)


def _local(user: SignedIn) -> None:
    if user.foreign:
        raise ConsentInvalid(
            "consents are given on the node of your own state, where your data is kept",
            reason="consent.foreign_session",
        )


# -- giving a consent (home node) -------------------------------------------------------


def _categories(raw: list[str]) -> tuple[str, ...]:
    return tuple(part.strip() for item in raw for part in item.split(",") if part.strip())


def _person(request: Request, user: SignedIn) -> dict[str, Any]:
    platform = _platform(request)
    return dict(person_data(platform.uow, platform.clock)(user.person_id))


def _preview_page(
    request: Request,
    user: SignedIn,
    ask: consent.ConsentRequest,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The preview of ``ask``, or only the error when the request itself is invalid."""
    preview = None
    try:
        preview = consent.preview(
            node_exchange(request),
            _policy(),
            ask,
            person=_person(request, user),
            language=request.state.language,
        )
    except ConsentInvalid as exc:
        error, status_code = error or INVALID_TEXT.get(exc.reason, exc.message), 422
    return _render(
        request,
        "consent_new.html",
        {"preview": preview, "error": error, "user": user},
        status_code=status_code,
    )


@pages.get("/consents/new", response_class=HTMLResponse)
def new_consent(
    request: Request,
    user: Annotated[SignedIn, Depends(require_user())],
    requester: Annotated[str, Query(max_length=8)] = "",
    purpose: Annotated[str, Query(max_length=64)] = "",
    categories: Annotated[list[str] | None, Query()] = None,
    organisation: Annotated[str, Query(max_length=64)] = "",
    organisation_name: Annotated[str, Query(max_length=255)] = "",
    service: Annotated[str, Query(max_length=64)] = "",
    days: Annotated[int, Query(ge=1, le=_MAX_DAYS)] = 30,
    mode: Annotated[str, Query(max_length=16)] = ONE_TIME,
    life: Annotated[int, Query(ge=1, le=MAX_DATA_LIFE_DAYS)] = 30,
) -> HTMLResponse:
    """The preview of a consent a requester asks for: which data, to whom, why, how long.

    ``organisation`` is the receiving organisation's legal identifier
    (``RU-OGRN-1157746013237``); only that organisation's people on the requesting node
    can use the consent. ``organisation_name`` is shown with it.
    """
    _local(user)
    now = _platform(request).clock.now().replace(microsecond=0)
    ask = consent.ConsentRequest(
        requester_state=requester.upper(),
        requester_organisation=organisation.strip().upper() or None,
        requester_organisation_name=organisation_name.strip() or None,
        requester_service=service or None,
        purpose=purpose,
        categories=_categories(categories or []),
        valid_until=now + timedelta(days=days),
        mode=mode,
        data_life_days=life,
    )
    return _preview_page(request, user, ask)


@pages.post("/consents", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def give_consent(
    request: Request,
    user: Annotated[SignedIn, Depends(require_user())],
    requester: Annotated[str, Form(max_length=8)],
    purpose: Annotated[str, Form(max_length=64)],
    categories: Annotated[str, Form(max_length=255)],
    valid_until: Annotated[str, Form(max_length=64)],
    preview_hash: Annotated[str, Form(max_length=64)],
    organisation: Annotated[str, Form(max_length=64)] = "",
    organisation_name: Annotated[str, Form(max_length=255)] = "",
    service: Annotated[str, Form(max_length=64)] = "",
    mode: Annotated[str, Form(max_length=16)] = ONE_TIME,
    life: Annotated[int, Form(ge=1, le=MAX_DATA_LIFE_DAYS)] = 30,
    explicit: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Give the consent the person saw in the preview, and tell the requesting node."""
    _local(user)
    exchange = node_exchange(request)
    try:
        until = utc(datetime.fromisoformat(valid_until))
    except ValueError:
        until = exchange.clock.now()
    ask = consent.ConsentRequest(
        requester_state=requester.upper(),
        requester_organisation=organisation.strip().upper() or None,
        requester_organisation_name=organisation_name.strip() or None,
        requester_service=service or None,
        purpose=purpose,
        categories=_categories([categories]),
        valid_until=until,
        mode=mode,
        data_life_days=life,
    )
    try:
        given = consent.confirm(
            exchange,
            _policy(),
            ask,
            person=_person(request, user),
            subject_id=user.person_id,
            language=request.state.language,
            preview_hash=preview_hash,
            explicit_request=explicit == "yes",
        )
    except ConsentInvalid as exc:
        error = INVALID_TEXT.get(exc.reason, exc.message)
        return _preview_page(request, user, ask, error=error, status_code=422)
    return RedirectResponse(f"/my-data?given={given.id}", status_code=303)


# -- My data (home node) -----------------------------------------------------------------


@pages.get("/my-data", response_class=HTMLResponse)
def my_data(
    request: Request,
    user: Annotated[SignedIn, Depends(require_user())],
    given: str = "",
    revoked: str = "",
) -> HTMLResponse:
    """Every transfer of the signed-in person's data, and their consents."""
    _local(user)
    exchange = node_exchange(request)
    mine = consent.my_data(exchange, user.person_id)
    now = exchange.clock.now()
    active = [c for c in mine.consents if c.status_at(now) == ACTIVE]
    others = [c for c in mine.consents if c not in active]
    return _render(
        request,
        "my_data.html",
        {
            "user": user,
            "active": active,
            "others": others,
            "transfers": mine.transfers,
            "now": now,
            "given": given,
            "revoked": revoked,
        },
    )


@pages.post("/my-data/consents/{consent_id}/revoke", dependencies=[Depends(check_csrf)])
def revoke_consent(
    request: Request,
    consent_id: str,
    user: Annotated[SignedIn, Depends(require_user())],
) -> Response:
    """Withdraw a consent; the requesting node is told to delete the data."""
    _local(user)
    exchange = node_exchange(request)
    # Already withdrawn or ended: the page shows the consent as it is.
    with contextlib.suppress(ConsentNotActive):
        consent.withdraw(exchange, consent_id, subject_id=user.person_id)
    return RedirectResponse(f"/my-data?revoked={consent_id}", status_code=303)


# -- consents received (requesting node) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Receiver:
    """Who is looking at the consents received: an organisation's person, or the operator.

    Attributes:
        organisation: the legal identifier of the person's organisation, which consents
            must name for the person to see them or ask for the data; ``None`` if the
            person acts for none.
        name: the organisation's registered name.
        operator: the person is this node's operator, who sees every consent but asks for
            the data only through the operator API.
    """

    organisation: str | None
    name: str | None
    operator: bool

    @property
    def sees(self) -> str | None:
        """The organisation whose consents are listed (``None``: every one, for operators)."""
        return None if self.operator and self.organisation is None else self.organisation


def receiver(request: Request, user: SignedIn) -> Receiver:
    """The signed-in person as a receiver of consents (their organisation, if any).

    Raises:
        RoleRefused: the person acts for no organisation and is not the operator.
    """
    organisation: Organisation | None = None
    if not user.foreign:
        person = accounts(request).person(user.person_id)
        if person.organisation_id is not None:
            organisation = accounts(request).organisation(person.organisation_id)
    operator = "operator" in user.roles and not user.foreign
    if organisation is None and not operator:
        raise RoleRefused("Consents received are shown to the organisation they were given to.")
    if organisation is None:
        return Receiver(None, None, operator)
    reference = organisation_ref(
        organisation.state, organisation.legal_id_kind, organisation.legal_id
    )
    return Receiver(reference, organisation.name, operator)


def _received_page(
    request: Request,
    exchange: ExchangeNode,
    who: Receiver,
    *,
    outcome: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return _render(
        request,
        "consents_received.html",
        {
            "received": consent.received_consents(exchange, organisation=who.sees),
            "receiver": who,
            "now": exchange.clock.now(),
            "outcome": outcome,
            "reason_text": REASON_TEXT,
        },
        status_code=status_code,
    )


@pages.get("/consents/received", response_class=HTMLResponse)
def consents_received(
    request: Request, user: Annotated[SignedIn, Depends(require_user(*RECEIVER_ROLES))]
) -> HTMLResponse:
    """The consents given to the signed-in person's organisation (all of them for operators)."""
    return _received_page(request, node_exchange(request), receiver(request, user))


@pages.post(
    "/consents/received/{consent_id}/request",
    response_class=HTMLResponse,
    dependencies=[Depends(check_csrf)],
)
def request_consented_data(
    request: Request,
    consent_id: str,
    user: Annotated[SignedIn, Depends(require_user(*RECEIVER_ROLES))],
) -> HTMLResponse:
    """Ask the person's home node for the data; show it, or the refusal in plain words.

    Only a person of the organisation the consent names may ask: for anyone else the
    consent does not exist (404). An operator acting for no organisation is refused (403):
    the node's operator asks for personal data only through the operator API.
    """
    exchange = node_exchange(request)
    who = receiver(request, user)
    if who.organisation is None:
        raise RoleRefused(
            "Only the organisation the consent was given to can ask for the data here."
        )
    try:
        fetched = consent.request_data(exchange, consent_id, organisation=who.organisation)
    except (MessageRefused, PeerUnavailable, ConsentNotFound) as exc:
        localised = isinstance(exc, ConsentRefused)
        refusal = {
            "consent_id": consent_id,
            "reason": exc.reason,
            "detail": exc.text.in_language(request.state.language)
            if isinstance(exc, ConsentRefused)
            else _detail(exc),
            "localised": localised,
        }
        return _received_page(request, exchange, who, outcome=refusal, status_code=status_for(exc))
    order = list(FIELD_LABELS)
    rows = sorted(
        fetched.data.payload.items(),
        key=lambda item: order.index(item[0]) if item[0] in order else len(order),
    )
    outcome: dict[str, Any] = {"consent_id": consent_id, "data": fetched.data, "rows": rows}
    return _received_page(request, exchange, who, outcome=outcome)


def _detail(exc: PlatformError) -> str:
    """The refusal's own words, without the exchange's ``XX refused the message:`` prefix."""
    _, sep, rest = exc.message.partition(" refused the message: ")
    return rest if sep else exc.message


class DataRequest(BaseModel):
    """Ask the home node for the data under a consent granted to this node."""

    consent_id: str = Field(min_length=1, max_length=36)


class DataAnswer(BaseModel):
    """The data received, as kept on this node until ``delete_after``."""

    consent_id: str
    issuer_state: str
    message_id: str
    categories: list[str]
    data: dict[str, Any]
    received_at: datetime
    delete_after: datetime


@router.post(
    "/api/v1/consent/requests",
    dependencies=[Depends(require_operator)],
    tags=["consent"],
    responses={403: {"description": "The home node refused: consent or transfer rules"}},
)
def api_request_data(body: DataRequest, request: Request) -> DataAnswer:
    """Ask the person's home node for the data a consent covers (operator).

    A refusal is a problem document whose ``reason`` says why (``consent.revoked``,
    ``consent.used``, ``policy.refused``…) and whose ``detail`` explains it.
    """
    fetched = consent.request_data(node_exchange(request), body.consent_id, organisation=None)
    return DataAnswer(
        consent_id=fetched.consent.id,
        issuer_state=fetched.consent.issuer_state,
        message_id=fetched.data.message_id,
        categories=list(fetched.data.categories),
        data=dict(fetched.data.payload),
        received_at=fetched.data.received_at,
        delete_after=fetched.data.delete_after,
    )


class NotificationIn(BaseModel):
    """The authority was notified of transfers to ``destination`` under ``reference``."""

    destination: str = Field(
        min_length=1, max_length=8, description="A member state's code, or * for every one."
    )
    reference: str = Field(
        min_length=1, max_length=255, description="The authority's reference (RKN-…)."
    )


class NotificationOut(BaseModel):
    """A notification recorded on this node."""

    destination: str
    reference: str
    notified_at: datetime


def _notification(item: records.Notification) -> NotificationOut:
    return NotificationOut(
        destination=item.destination, reference=item.reference, notified_at=item.notified_at
    )


@router.post(
    "/api/v1/consent/notifications",
    dependencies=[Depends(require_operator)],
    tags=["consent"],
    status_code=201,
)
def api_record_notification(body: NotificationIn, request: Request) -> NotificationOut:
    """Record that this state's authority was notified of transfers to a destination (operator).

    A state whose law requires it (Russia, 152-FZ Art. 12) refuses every transfer to a
    destination until its notification is recorded (``policy.refused``).
    """
    platform = _platform(request)
    home = platform.state.code if platform.state else None
    with platform.uow() as uow:
        recorded = records.record_notification(
            uow.session,
            body.destination,
            reference=body.reference,
            at=platform.clock.now(),
            home=home,
        )
        uow.commit()
    return _notification(recorded)


@router.get(
    "/api/v1/consent/notifications", dependencies=[Depends(require_operator)], tags=["consent"]
)
def api_notifications(request: Request) -> list[NotificationOut]:
    """The authority notifications recorded on this node (operator)."""
    with _platform(request).uow() as uow:
        return [_notification(item) for item in records.notifications(uow.session)]


router.include_router(pages)
