"""Portal pages of identity: sign-in with password and code, sign-out, account, mailbox."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from eaeu.bootstrap import Platform
from eaeu.identity.errors import (
    AccountNotFound,
    CodeRefused,
    SessionInvalid,
    SignInFailed,
    SignInLocked,
)
from eaeu.identity.model import ROLES, mask
from eaeu.web.auth import (
    SignedIn,
    accounts,
    check_csrf,
    clear_session_cookie,
    current_user,
    require_user,
    safe_next,
    session_cookie,
    set_session_cookie,
    signin_service,
)
from eaeu.web.templating import Templates

router = APIRouter(include_in_schema=False)

_CODE = re.compile(r"\b[0-9]{6}\b")
#: The longest username or password read from a form; longer input is refused unread.
_MAX_FIELD = 256


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; it is translated when rendered."""
    return message


SIGNIN_FAILED = N_("The username or password is not right. Check them and try again.")
SIGNIN_MISSING = N_("Enter your username and password.")
SIGNIN_LOCKED = N_(
    "There have been too many failed attempts to sign in. You can try again after %(time)s UTC."
)
SIGNIN_EXPIRED = N_("Your sign-in has expired. Sign in again.")
CODE_TEXT = {
    "identity.code_wrong": N_("The code is not right. Check the latest message and try again."),
    "identity.code_expired": N_("This code has expired. Ask for a new code."),
    "identity.code_used": N_("This code has already been used. Sign in again to get a new one."),
    "identity.code_attempts": N_(
        "The code was entered wrongly too many times. Sign in again with your password."
    ),
    "identity.code_resends": N_(
        "You have asked for a new code too many times. Sign in again with your password."
    ),
    "identity.code_resend_wait": N_(
        "A new code was sent a moment ago. Wait a minute before asking for another."
    ),
}
#: Refusals after which the pending sign-in is over: the person starts with the password.
_SIGN_IN_ENDED = frozenset({"identity.code_attempts", "identity.code_resends"})
CODE_MISSING = N_("Enter the 6-digit code.")

#: Labels of roles on the account page.
ROLE_LABELS = {
    "citizen": N_("Citizen"),
    "lab": N_("Laboratory"),
    "employer": N_("Employer"),
    "insurer": N_("Insurer"),
    "landlord": N_("Landlord"),
    "border": N_("Border officer"),
    "operator": N_("Node operator"),
}


def _templates(request: Request) -> Templates:
    templates: Templates = request.app.state.templates
    return templates


def _development(request: Request) -> bool:
    platform: Platform = request.app.state.platform
    return platform.settings.development


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _signin_page(
    request: Request,
    *,
    next_url: str,
    username: str = "",
    error: tuple[str, dict[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "next": next_url,
        "username": username,
        "error": error,
        "development": _development(request),
        "signed_out": request.query_params.get("signed_out") == "1",
    }
    return _templates(request).render(request, "signin.html", context, status_code=status_code)


@router.get("/signin", response_class=HTMLResponse)
async def signin_form(request: Request, next: str = "") -> Response:  # noqa: A002 - the query name
    """The sign-in form: username and password."""
    user = current_user(request)
    if user is not None and user.second_factor:
        return _redirect(safe_next(next))
    return _signin_page(request, next_url=safe_next(next))


@router.post("/signin", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def signin(
    request: Request,
    username: Annotated[str, Form(max_length=_MAX_FIELD)] = "",
    password: Annotated[str, Form(max_length=_MAX_FIELD)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",  # noqa: A002 - the form field name
) -> Response:
    """Check the password; on success send a one-time code and ask for it."""
    target = safe_next(next)
    if not username.strip() or not password:
        return _signin_page(
            request, next_url=target, username=username, error=(SIGNIN_MISSING, {}),
            status_code=422,
        )  # fmt: skip
    service = signin_service(request)
    client = request.client.host if request.client else "unknown"
    try:
        pending = service.password(username, password, client=client)
    except SignInLocked as exc:
        return _signin_page(
            request,
            next_url=target,
            username=username,
            error=(SIGNIN_LOCKED, {"time": f"{exc.until:%H:%M}"}),
            status_code=429,
        )
    except SignInFailed:
        return _signin_page(
            request, next_url=target, username=username, error=(SIGNIN_FAILED, {}),
            status_code=401,
        )  # fmt: skip
    # Whatever session this browser had before is ended: a new sign-in gets a new id.
    old = request.cookies.get(session_cookie(request))
    if old:
        service.end(old)
    response = _redirect(f"/signin/code?next={quote(target, safe='/')}")
    set_session_cookie(request, response, pending.token)
    return response


def _code_page(
    request: Request,
    user: SignedIn,
    *,
    next_url: str,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        email = accounts(request).person(user.person_id).email
    except AccountNotFound:
        email = ""
    local, _, domain = email.partition("@")
    context: dict[str, Any] = {
        "next": next_url,
        "error": error,
        "sent_to": f"{local[:1]}•••@{domain}" if domain else "",
        "development": _development(request),
        "resent": request.query_params.get("sent") == "1",
    }
    return _templates(request).render(request, "signin_code.html", context, status_code=status_code)


@router.get("/signin/code", response_class=HTMLResponse)
async def code_form(request: Request, next: str = "") -> Response:  # noqa: A002
    """Ask for the one-time code sent after the password."""
    target = safe_next(next)
    user = current_user(request)
    if user is None:
        return _redirect(f"/signin?next={quote(target, safe='/')}")
    if user.second_factor:
        return _redirect(target)
    return _code_page(request, user, next_url=target)


@router.post("/signin/code", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def code(
    request: Request,
    code: Annotated[str, Form(max_length=32)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",  # noqa: A002
) -> Response:
    """Complete the sign-in with the one-time code."""
    target = safe_next(next)
    user = current_user(request)
    token = request.cookies.get(session_cookie(request), "")
    if user is None or not token:
        return _signin_page(request, next_url=target, error=(SIGNIN_EXPIRED, {}), status_code=401)
    if not code.strip():
        return _code_page(request, user, next_url=target, error=CODE_MISSING, status_code=422)
    try:
        fresh = signin_service(request).confirm_code(token, code)
    except SessionInvalid:
        return _signin_page(request, next_url=target, error=(SIGNIN_EXPIRED, {}), status_code=401)
    except (SignInLocked, CodeRefused) as exc:
        return _code_refused(request, target, exc, status_code=401)
    response = _redirect(target)
    set_session_cookie(request, response, fresh)
    return response


@router.post("/signin/code/resend", dependencies=[Depends(check_csrf)])
async def resend_code(
    request: Request,
    next: Annotated[str, Form(max_length=2000)] = "",  # noqa: A002
) -> Response:
    """Send a new one-time code (the previous one stops working)."""
    target = safe_next(next)
    token = request.cookies.get(session_cookie(request), "")
    try:
        signin_service(request).resend_code(token)
    except SessionInvalid:
        return _signin_page(request, next_url=target, error=(SIGNIN_EXPIRED, {}), status_code=401)
    except CodeRefused as exc:
        return _code_refused(request, target, exc, status_code=429)
    return _redirect(f"/signin/code?next={quote(target, safe='/')}&sent=1")


def _code_refused(
    request: Request, target: str, exc: SignInLocked | CodeRefused, *, status_code: int
) -> HTMLResponse:
    """The code page with the refusal (``status_code``); or the sign-in form, if it ended."""
    user = current_user(request)
    if isinstance(exc, SignInLocked):
        error, status_code = (SIGNIN_LOCKED, {"time": f"{exc.until:%H:%M}"}), 429
    elif exc.reason in _SIGN_IN_ENDED or user is None:
        error, status_code = (CODE_TEXT[exc.reason], {}), 401
    else:
        return _code_page(
            request, user, next_url=target, error=CODE_TEXT[exc.reason], status_code=status_code
        )
    page = _signin_page(request, next_url=target, error=error, status_code=status_code)
    clear_session_cookie(request, page)
    return page


@router.post("/signout", dependencies=[Depends(check_csrf)])
async def signout(request: Request) -> Response:
    """End the session and forget its cookie."""
    token = request.cookies.get(session_cookie(request))
    if token:
        signin_service(request).end(token)
    response = _redirect("/signin?signed_out=1")
    clear_session_cookie(request, response)
    return response


@router.get("/account", response_class=HTMLResponse)
async def account(
    request: Request, user: Annotated[SignedIn, Depends(require_user())]
) -> HTMLResponse:
    """Who is signed in: names, national identifier (masked), roles and organisation."""
    person = organisation = None
    if not user.foreign:
        book = accounts(request)
        person = book.person(user.person_id)
        if person.organisation_id:
            organisation = book.organisation(person.organisation_id)
    context: dict[str, Any] = {
        "user": user,
        "person": person,
        "organisation": organisation,
        "masked_id": mask(person.national_id) if person else None,
        "roles": [r for r in ROLES if r in user.roles],
        "role_labels": ROLE_LABELS,
    }
    return _templates(request).render(request, "account.html", context)


@router.get("/dev/mailbox", response_class=HTMLResponse)
async def mailbox(request: Request) -> HTMLResponse:
    """The messages the node would have e-mailed (development nodes only)."""
    if not _development(request):
        raise StarletteHTTPException(status_code=404)
    messages = [
        (item, match.group(0) if (match := _CODE.search(item.body)) else None)
        for item in signin_service(request).mailbox()
    ]
    return _templates(request).render(request, "mailbox.html", {"messages": messages})
