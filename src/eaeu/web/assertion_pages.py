"""Cross-border sign-in: leave for another state's service, arrive from another state's node.

* Home node, ``GET /identity/continue?to=RU&next=/path``: a person signed in with a second
  factor gets a page whose form posts a fresh identity assertion to the destination's
  ``/identity/arrive`` (submitted by script at once; a button without script).
* Destination node, ``POST /identity/arrive``: the assertion is verified through the trust
  list and used up; the visitor gets a ``foreign`` session and is sent to ``next``.
* Every node, ``POST /api/v1/identity/assertions/verify``: verify (and use up) an assertion
  meant for this node; the claims, or a problem document with the refusal's reason.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from eaeu.bootstrap import Platform
from eaeu.consent.guard import ConsentGuard
from eaeu.exchange.guard import no_guard
from eaeu.exchange.node import ExchangeNode
from eaeu.identity.assertion import (
    LOA_SUBSTANTIAL,
    MAX_TOKEN_BYTES,
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
from eaeu.web.auth import SignedIn, accounts, require_user, safe_next, start_foreign_session
from eaeu.web.operator import node_exchange
from eaeu.web.templating import Templates

router = APIRouter()
log = get_logger("eaeu.web")

ARRIVE_PATH = "/identity/arrive"
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
    "identity.trust_list_expired": N_(
        "This node cannot check sign-ins from other states at the moment. Try again later."
    ),
}
NOT_HOME = N_(
    "Only the node of your home state can vouch for you in another state. "
    "Continue from the portal of your home state."
)
UNKNOWN_DESTINATION = N_("Choose one of the other member states of the union.")


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


@router.get("/identity/continue", include_in_schema=False, response_class=HTMLResponse)
def continue_abroad(
    request: Request,
    user: Annotated[SignedIn, Depends(require_user())],
    to: str = "",
    next: str = "/",  # noqa: A002 - the parameter name is part of the URL
) -> Response:
    """Send the signed-in person to another state's node with an identity assertion."""
    platform = _platform(request)
    node = node_exchange(request)
    if user.foreign:
        raise RoleRefused(NOT_HOME)
    destination = to.strip().upper()
    trust = node.trust.current()
    if destination == node.state or destination not in trust.members:
        raise ValidationError(UNKNOWN_DESTINATION, reason="identity.assertion_destination")
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
    )
    _release(platform, node, user, destination, token)
    templates: Templates = request.app.state.templates
    response = templates.render(
        request,
        "identity_continue.html",
        {
            "action": trust.endpoint(destination).rstrip("/") + ARRIVE_PATH,
            "assertion": token,
            "next": safe_next(next, "/"),
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
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    start_foreign_session(
        request,
        response,
        persistent_id=verified.subject,
        state=verified.issuer_state,
        display_name=verified.display_name,
        roles=frozenset({CITIZEN}),
        second_factor=True,
    )
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
