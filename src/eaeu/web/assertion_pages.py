"""Cross-border sign-in: leave for another state's service, arrive from another state's node.

* Home node, ``GET /identity/continue?to=RU&next=/path``: a person signed in with a second
  factor is first sent to the destination's ``/identity/start``, which gives the browser a
  random nonce (a cookie) and sends it back here with the nonce; then the person is asked
  whether to continue, and what will be sent. Only their ``POST /identity/continue``, with
  the page's CSRF token, issues an identity assertion carrying the nonce, puts the release
  on their ledger and answers with a form that posts the assertion to the destination's
  ``/identity/arrive`` (submitted by script at once; a button without script). A GET issues
  nothing: any site can make a browser follow a link, and ``SameSite=Lax`` sends the
  session cookie along with a top-level GET.
* Destination node, ``POST /identity/arrive``: the assertion is verified through the trust
  list and used up, and its nonce must be the one this browser holds — so nobody can push
  their own assertion into someone else's browser (login CSRF); the visitor gets a
  ``foreign`` session and is sent to ``next``.
* Every node, ``POST /api/v1/identity/assertions/verify``: verify (and use up) an assertion
  meant for this node; the claims, or a problem document with the refusal's reason.
"""

from __future__ import annotations

import hmac
import json
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from eaeu.bootstrap import Platform
from eaeu.consent.guard import ConsentGuard
from eaeu.exchange.guard import no_guard
from eaeu.exchange.node import ExchangeNode
from eaeu.identity.assertion import (
    LOA_SUBSTANTIAL,
    MAX_TOKEN_BYTES,
    NONCE,
    PERSON,
    Assertion,
    AssertionRefused,
    SqlReplayStore,
    issue_person_assertion,
    pseudonym_key,
    verify_assertion,
)
from eaeu.identity.errors import RoleRefused
from eaeu.identity.model import CITIZEN
from eaeu.kernel.errors import ValidationError
from eaeu.kernel.log import get_logger
from eaeu.kernel.states import MEMBER_STATES
from eaeu.trust.encoding import b64url_decode
from eaeu.web.auth import (
    SignedIn,
    accounts,
    arrival_nonce,
    check_csrf,
    clear_arrival_nonce,
    require_user,
    safe_next,
    set_arrival_nonce,
    start_foreign_session,
)
from eaeu.web.operator import node_exchange
from eaeu.web.templating import Templates

router = APIRouter()
log = get_logger("eaeu.web")

ARRIVE_PATH = "/identity/arrive"
START_PATH = "/identity/start"
CONTINUE_PATH = "/identity/continue"
_NONCE_BYTES = 24
SIGN_IN_PURPOSE = "identity.sign_in"
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; it is translated when rendered."""
    return message


#: What a person arriving from another state reads for each refusal.
ARRIVE_TEXT = {
    "identity.assertion_expired": N_(
        "Your sign-in from your home country has expired. Go back to the portal of your "
        "home state and start again."
    ),
    "identity.assertion_not_yet_valid": N_(
        "Your sign-in from your home country is not valid yet. The clocks of the two "
        "nodes disagree; try again in a minute."
    ),
    "identity.assertion_replayed": N_(
        "This sign-in from your home country has already been used. Go back to the portal "
        "of your home state and start again."
    ),
    "identity.assertion_audience": N_(
        "This sign-in was meant for the service of another state. Go back to the portal "
        "of your home state and choose this state again."
    ),
    "identity.assertion_signer": N_(
        "This sign-in does not come from the node of a member state, so it cannot be trusted here."
    ),
    "identity.assertion_signature": N_(
        "This sign-in was changed on its way here, so it cannot be trusted."
    ),
    "identity.assertion_malformed": N_(
        "This sign-in from your home country cannot be read. Go back to the portal of "
        "your home state and start again."
    ),
    "identity.assertion_browser": N_(
        "This sign-in was started in another browser, or took too long. Start again from "
        "the service you want to use."
    ),
    "identity.trust_list_expired": N_(
        "This node cannot check sign-ins from other states at the moment. Try again later."
    ),
}
NOT_HOME = N_(
    "Only the node of your home state can vouch for you in another state. "
    "Continue from the portal of your home state."
)
UNKNOWN_DESTINATION = N_("Choose one of the other member states of the union.")
BAD_NONCE = N_("This link to another state's service is damaged. Start again from that service.")


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def _verify(request: Request, token: str) -> Assertion:
    """Verify an assertion meant for this node and use it up."""
    platform = _platform(request)
    node: ExchangeNode = node_exchange(request)
    return verify_assertion(
        token,
        trust=node.trust.current(),
        audience_state=node.state,
        now=platform.clock.now(),
        replay=SqlReplayStore(platform.uow),
    )


# --- the home node ---------------------------------------------------------------------


def _destination(request: Request, user: SignedIn, to: str) -> tuple[ExchangeNode, str]:
    """The node and the member state the person may be vouched for in.

    Raises:
        RoleRefused: the person is a visitor here (only their home node vouches).
        ValidationError: ``to`` is not another member state.
    """
    node = node_exchange(request)
    if user.foreign:
        raise RoleRefused(NOT_HOME)
    destination = to.strip().upper()
    if destination == node.state or destination not in node.trust.current().members:
        raise ValidationError(UNKNOWN_DESTINATION, reason="identity.assertion_destination")
    return node, destination


def _check_nonce(nonce: str) -> None:
    if not NONCE.fullmatch(nonce):
        raise ValidationError(BAD_NONCE, reason="identity.assertion_input")


@router.get(CONTINUE_PATH, include_in_schema=False, response_class=HTMLResponse)
def continue_abroad(
    request: Request,
    user: Annotated[SignedIn, Depends(require_user())],
    to: str = "",
    next: str = "/",  # noqa: A002 - the parameter name is part of the URL
    nonce: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Ask the signed-in person whether to be vouched for in another state (sends nothing)."""
    node, destination = _destination(request, user, to)
    target = safe_next(next, "/")
    if not nonce:
        # First get the destination to mark this browser (see the module docstring).
        start = node.trust.current().endpoint(destination).rstrip("/") + START_PATH
        query = urlencode({"from": node.state, "next": target})
        return RedirectResponse(f"{start}?{query}", status_code=303, headers=_NO_STORE)
    _check_nonce(nonce)
    templates: Templates = request.app.state.templates
    response = templates.render(
        request,
        "identity_continue_confirm.html",
        {
            "to": destination,
            "next": target,
            "nonce": nonce,
            "destination": MEMBER_STATES[destination],
        },
    )
    response.headers.update(_NO_STORE)
    return response


@router.post(
    CONTINUE_PATH,
    include_in_schema=False,
    response_class=HTMLResponse,
    dependencies=[Depends(check_csrf)],
)
def confirm_continue(
    request: Request,
    user: Annotated[SignedIn, Depends(require_user())],
    to: Annotated[str, Form(max_length=8)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",  # noqa: A002 - the form field's name
    nonce: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Vouch for the person who confirmed: issue the assertion, ledger it, post it on."""
    platform = _platform(request)
    node, destination = _destination(request, user, to)
    trust = node.trust.current()
    target = safe_next(next, "/")
    _check_nonce(nonce)
    person = accounts(request).person(user.person_id)
    secret = platform.settings.secret_key.get_secret_value()
    token = issue_person_assertion(
        node.signer,
        home_state=node.state,
        audience_state=destination,
        person_id=person.id,
        family_name=person.family_name,
        given_name=person.given_name,
        family_name_latin=person.family_name_latin or None,
        given_name_latin=person.given_name_latin or None,
        birth_date=person.birth_date,
        nationality=person.nationality,
        id_key=pseudonym_key(secret),
        now=platform.clock.now(),
        loa=LOA_SUBSTANTIAL,
        nonce=nonce,
    )
    _release(platform, node, user, destination, token)
    templates: Templates = request.app.state.templates
    response = templates.render(
        request,
        "identity_continue.html",
        {
            "action": trust.endpoint(destination).rstrip("/") + ARRIVE_PATH,
            "assertion": token,
            "next": target,
            "destination": MEMBER_STATES[destination],
        },
    )
    response.headers.update(_NO_STORE)
    return response


def _release(
    platform: Platform, node: ExchangeNode, user: SignedIn, destination: str, token: str
) -> None:
    """Check the home state's transfer rules and put the release on the person's ledger.

    Raises:
        ConsentRefused: the home state's rules do not let identity data go there.
    """
    guard = node.guard
    if not isinstance(guard, ConsentGuard):
        raise no_guard()
    with platform.uow() as uow:
        guard.release_on_request(
            uow.session,
            subject_id=user.person_id,
            to_state=destination,
            purpose=SIGN_IN_PURPOSE,
            categories=("identity",),
            reference=_jti(token),
            message_type="identity.assertion",
            at=platform.clock.now(),
        )
        uow.commit()


def _jti(token: str) -> str:
    """The id of an assertion this node has just issued."""
    jti: str = json.loads(b64url_decode(token.split(".")[1]))["jti"]
    return jti


# --- the destination node ----------------------------------------------------------------


@router.get(START_PATH, include_in_schema=False)
def start_arrival(
    request: Request,
    origin: Annotated[str, Query(alias="from", max_length=8)] = "",
    next: Annotated[str, Query(max_length=2048)] = "/",  # noqa: A002 - the URL's parameter
) -> Response:
    """Mark this browser with a nonce, then send it to its home node to be vouched for."""
    node = node_exchange(request)
    home = origin.strip().upper()
    trust = node.trust.current()
    if home == node.state or home not in trust.members:
        raise ValidationError(UNKNOWN_DESTINATION, reason="identity.assertion_destination")
    nonce = secrets.token_urlsafe(_NONCE_BYTES)
    back = trust.endpoint(home).rstrip("/") + CONTINUE_PATH
    query = urlencode({"to": node.state, "next": safe_next(next, "/"), "nonce": nonce})
    response = RedirectResponse(f"{back}?{query}", status_code=303, headers=_NO_STORE)
    set_arrival_nonce(request, response, nonce)
    return response


@router.post(ARRIVE_PATH, include_in_schema=False)
def arrive(
    request: Request,
    assertion: Annotated[str, Form(max_length=MAX_TOKEN_BYTES)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",  # noqa: A002 - the form field's name
) -> Response:
    """Admit a visitor whose home node vouches for them: a ``foreign`` session, then ``next``.

    No CSRF token: the form comes from another node. The assertion stands in for it: it
    is signed by a member node, addressed to this node, minutes old and used only once.
    """
    try:
        verified = _verify(request, assertion)
    except AssertionRefused as exc:
        raise AssertionRefused(
            ARRIVE_TEXT.get(exc.reason, ARRIVE_TEXT["identity.assertion_malformed"]),
            reason=exc.reason,
        ) from None
    if verified.kind != PERSON:
        raise AssertionRefused(
            ARRIVE_TEXT["identity.assertion_malformed"], reason="identity.assertion_malformed"
        )
    expected = arrival_nonce(request)
    if not (expected and verified.nonce and hmac.compare_digest(expected, verified.nonce)):
        raise AssertionRefused(
            ARRIVE_TEXT["identity.assertion_browser"], reason="identity.assertion_browser"
        )
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    clear_arrival_nonce(request, response)
    start_foreign_session(
        request,
        response,
        persistent_id=verified.subject,
        state=verified.issuer_state,
        display_name=verified.display_name,
        roles=frozenset({CITIZEN}),
        second_factor=True,
    )
    # A service the visitor came for may keep what it needs of the assertion for the visit
    # (travel keeps the names and date of birth a booking's certificate carries).
    for listener in getattr(request.app.state, "arrival_listeners", ()):
        listener(request, verified, safe_next(next, "/"))
    log.info("identity.visitor.arrived", jti=verified.jti, issuer=verified.issuer_state)
    return response


# --- the API -------------------------------------------------------------------------------


class VerifyRequest(BaseModel):
    """An identity assertion to verify."""

    token: str = Field(min_length=1, max_length=MAX_TOKEN_BYTES, description="the compact JWS")


@router.post(
    "/api/v1/identity/assertions/verify",
    tags=["identity"],
    summary="Verify an identity assertion meant for this node (it is used up)",
    responses={
        401: {"description": "expired, not yet valid, replayed, or not signed by a member"},
        403: {"description": "meant for another state's node"},
        422: {"description": "not an identity assertion"},
    },
)
def verify_api(request: Request, body: VerifyRequest, response: Response) -> dict[str, Any]:
    """Verify the assertion through the trust list and return its claims."""
    verified = _verify(request, body.token)
    response.headers.update(_NO_STORE)
    return {
        "valid": True,
        "kind": verified.kind,
        "issuer_state": verified.issuer_state,
        "audience_state": verified.audience_state,
        "subject": verified.subject,
        "jti": verified.jti,
        "loa": verified.loa,
        "expires_at": verified.expires_at.isoformat().replace("+00:00", "Z"),
        "claims": dict(verified.claims),
    }
