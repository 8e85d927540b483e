"""Who is signed in, what they may do, and protection of every form against CSRF.

The session cookie holds a random 256-bit id; the node stores only its SHA-256 (see
:mod:`eaeu.identity.signin`). The cookie is ``HttpOnly`` and ``SameSite=Lax``; it is
``Secure`` and carries the ``__Host-`` prefix unless the node is a development node served
over plain HTTP. Its name includes the node's state, because browsers do not separate
cookies by port and a development federation runs every node on ``127.0.0.1``.

Every form carries a CSRF token (``csrf_field()`` in templates) that handlers check with
the :func:`check_csrf` dependency. The token is an HMAC, under the node's secret key, of the
session cookie; before sign-in, of a random nonce kept in its own cookie (a signed
double-submit cookie). A page from another site can neither read it nor compute it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError

from eaeu.bootstrap import Platform
from eaeu.identity.accounts import Accounts
from eaeu.identity.errors import IdentityError, RoleRefused, SessionInvalid
from eaeu.identity.model import CITIZEN
from eaeu.identity.passwords import Passwords
from eaeu.identity.signin import SignIn, digest

__all__ = [
    "CSRF_FIELD",
    "CsrfRefused",
    "SignInRequired",
    "SignedIn",
    "accounts",
    "attach_csrf_cookie",
    "check_csrf",
    "clear_session_cookie",
    "csrf_field",
    "csrf_token",
    "current_user",
    "require_user",
    "safe_next",
    "set_session_cookie",
    "signin_service",
    "start_foreign_session",
]

#: The name of the hidden form field that carries the CSRF token.
CSRF_FIELD = "csrf_token"
_NONCE_BYTES = 32
_UNSET = object()


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The person behind a request.

    Attributes:
        person_id: the local person's id, or a foreign visitor's persistent id.
        state: the person's home state.
        display_name: the name to greet them with (national script).
        roles: the roles they hold here.
        session_id: the stored id of the session (the SHA-256 of the cookie value, never
            the cookie value itself).
        second_factor: whether the one-time code was confirmed; pages that need a signed-in
            person should use :func:`require_user`, which insists on it.
        foreign: a visitor from another state's node, admitted by an identity assertion.
        persistent_id: the visitor's persistent id ``<HOME>/<DEST>/<opaque>``.
    """

    person_id: str
    state: str
    display_name: str
    roles: frozenset[str]
    session_id: str
    second_factor: bool
    foreign: bool = False
    persistent_id: str | None = None


class SignInRequired(SessionInvalid):
    """Nobody (fully) signed in; browsers are sent to the sign-in page.

    Args:
        message: what an API client reads.
        location: where a browser is redirected (``/signin?next=...``).
    """

    reason = "identity.unauthenticated"

    def __init__(self, message: str, *, location: str) -> None:
        super().__init__(message)
        self.location = location


class CsrfRefused(IdentityError):
    """A form arrived without the token of the page it came from."""

    reason = "identity.csrf"


# --- services of the node -------------------------------------------------------------


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def _passwords(request: Request) -> Passwords:
    state = request.app.state
    passwords: Passwords | None = getattr(state, "identity_passwords", None)
    if passwords is None:
        passwords = Passwords()
        state.identity_passwords = passwords
    return passwords


def accounts(request: Request) -> Accounts:
    """The node's people and organisations."""
    platform = _platform(request)
    return Accounts(platform.uow, platform.clock, _passwords(request))


def signin_service(request: Request) -> SignIn:
    """The node's sign-in service (one per application, so its policy can be set in tests)."""
    state = request.app.state
    service: SignIn | None = getattr(state, "identity_signin", None)
    if service is None:
        platform = _platform(request)
        service = SignIn(platform.uow, platform.clock, _passwords(request))
        state.identity_signin = service
    return service


# --- cookies ----------------------------------------------------------------------------


def _secure(request: Request) -> bool:
    settings = _platform(request).settings
    return settings.public_url.startswith("https://") or not settings.development


def _cookie_name(request: Request, purpose: str) -> str:
    platform = _platform(request)
    node = (platform.state.code if platform.state else "portal").lower()
    prefix = "__Host-" if _secure(request) else ""
    return f"{prefix}eaeu-{purpose}-{node}"


def session_cookie(request: Request) -> str:
    """The name of this node's session cookie."""
    return _cookie_name(request, "session")


def _set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name, value, path="/", secure=_secure(request), httponly=True, samesite="lax"
    )


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """Put the session ``token`` in the browser (a cookie that ends with the browser)."""
    _set_cookie(request, response, session_cookie(request), token)


def clear_session_cookie(request: Request, response: Response) -> None:
    """Remove the session cookie from the browser."""
    response.delete_cookie(
        session_cookie(request), path="/", secure=_secure(request), httponly=True, samesite="lax"
    )


#: How long a browser may take from leaving for its home node to arriving back here.
ARRIVAL_MAX_AGE_S = 600


def set_arrival_nonce(request: Request, response: Response, nonce: str) -> None:
    """Remember in this browser the nonce a sign-in from another state must echo.

    The cookie must come back on the cross-site form post from the home node, so on https
    it is ``SameSite=None`` (and ``Secure``); a development federation is one site anyway.
    """
    response.set_cookie(
        _cookie_name(request, "arrival"),
        nonce,
        max_age=ARRIVAL_MAX_AGE_S,
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="none" if _secure(request) else "lax",
    )


def arrival_nonce(request: Request) -> str | None:
    """The nonce this browser was given when it left for its home node, if any."""
    return request.cookies.get(_cookie_name(request, "arrival"))


def clear_arrival_nonce(request: Request, response: Response) -> None:
    """Forget the arrival nonce (it is used once)."""
    response.delete_cookie(
        _cookie_name(request, "arrival"),
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="none" if _secure(request) else "lax",
    )


# --- who is signed in -------------------------------------------------------------------


def current_user(request: Request) -> SignedIn | None:
    """Return the person signed in on this request, or ``None``.

    A session waiting for its one-time code is returned with ``second_factor=False``;
    use :func:`require_user` for pages that need a signed-in person.
    """
    cached = getattr(request.state, "signed_in", _UNSET)
    if cached is None or isinstance(cached, SignedIn):
        return cached
    token = request.cookies.get(session_cookie(request), "")
    view = signin_service(request).session(token) if token else None
    user = (
        None
        if view is None
        else SignedIn(
            person_id=view.person_id,
            state=view.state,
            display_name=view.display_name,
            roles=view.roles,
            session_id=digest(token),
            second_factor=view.second_factor,
            foreign=view.foreign,
            persistent_id=view.persistent_id,
        )
    )
    request.state.signed_in = user
    return user


def safe_next(target: str | None, default: str = "/account") -> str:
    """Return ``target`` if it is a path on this node, else ``default`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(c in target for c in "\\\r\n\t") or any(ord(c) < 0x20 for c in target):  # noqa: PLR2004
        return default
    return target


def _here(request: Request) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def require_user(*roles: str) -> Callable[[Request], Awaitable[SignedIn]]:
    """A FastAPI dependency: the signed-in person, who must hold one of ``roles`` (if any).

    Browsers without a complete sign-in are redirected to ``/signin?next=<path>``; API
    clients get a 401 problem. A person without any of the roles gets a 403.

    Usage::

        @router.get("/my-data")
        async def my_data(user: SignedIn = Depends(require_user("citizen"))): ...
    """
    wanted = frozenset(roles)

    async def dependency(request: Request) -> SignedIn:
        user = current_user(request)
        if user is None or not user.second_factor:
            raise SignInRequired(
                "Sign in to use this page.",
                location=f"/signin?next={quote(_here(request), safe='/')}",
            )
        if wanted and not wanted & user.roles:
            raise RoleRefused(
                "You are signed in, but your account does not have the role this page needs."
            )
        return user

    return dependency


def start_foreign_session(
    request: Request,
    response: Response,
    *,
    persistent_id: str,
    state: str,
    display_name: str,
    roles: frozenset[str] = frozenset({CITIZEN}),
    second_factor: bool = True,
) -> None:
    """Sign in a visitor admitted by another node's identity assertion (``foreign=True``)."""
    token = signin_service(request).start_foreign(
        persistent_id=persistent_id,
        state=state,
        display_name=display_name,
        roles=roles,
        second_factor=second_factor,
    )
    set_session_cookie(request, response, token)
    request.state.signed_in = _UNSET


# --- CSRF -------------------------------------------------------------------------------


def _secret(request: Request) -> bytes:
    secret = _platform(request).settings.secret_key.get_secret_value()
    return hashlib.sha256(b"eaeu.csrf\0" + secret.encode()).digest()


def _binding(request: Request, *, create: bool) -> str | None:
    session = request.cookies.get(session_cookie(request))
    if session:
        return f"session:{digest(session)}"
    nonce = getattr(request.state, "csrf_nonce", None) or request.cookies.get(
        _cookie_name(request, "csrf")
    )
    if not nonce and create:
        nonce = secrets.token_urlsafe(_NONCE_BYTES)
        request.state.csrf_new_nonce = nonce
    if not nonce:
        return None
    request.state.csrf_nonce = nonce
    return f"anonymous:{nonce}"


def csrf_token(request: Request) -> str:
    """The CSRF token of forms on this request's page."""
    binding = _binding(request, create=True)
    return hmac.new(_secret(request), str(binding).encode(), hashlib.sha256).hexdigest()


@pass_context
def csrf_field(context: Context) -> Markup:
    """Template global: render the hidden input that carries the CSRF token."""
    token = csrf_token(context["request"])
    return Markup(  # noqa: S704 - both parts are constants or escaped
        f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">'
    )


@pass_context
def signed_in(context: Context) -> SignedIn | None:
    """Template global: the person signed in (with a second factor), or ``None``."""
    try:
        user = current_user(context["request"])
    except SQLAlchemyError:
        return None  # an error page while the database is down still renders
    return user if user is not None and user.second_factor else None


def attach_csrf_cookie(request: Request, response: Response) -> None:
    """Set the anonymous CSRF cookie if a form on this page needed a new one."""
    nonce = getattr(request.state, "csrf_new_nonce", None)
    if nonce:
        _set_cookie(request, response, _cookie_name(request, "csrf"), nonce)


async def check_csrf(request: Request) -> None:
    """A FastAPI dependency for every POST form handler: refuse a missing or wrong token.

    Raises:
        CsrfRefused: ``identity.csrf`` (a 403).
    """
    form = await request.form()
    given = form.get(CSRF_FIELD)
    binding = _binding(request, create=False)
    if isinstance(given, str) and binding is not None:
        expected = hmac.new(_secret(request), binding.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(given.encode(), expected.encode()):
            return
    raise CsrfRefused(
        "This form has expired or did not come from this site. "
        "Go back, reload the page and try again."
    )


def template_globals() -> dict[str, Any]:
    """The globals that templates need from this module."""
    return {"csrf_field": csrf_field, "signed_in": signed_in}
