"""RFC 9457 problem details for every error, with the one table that picks status codes.

Domain code raises ``PlatformError`` subclasses; this module alone decides what HTTP
status each becomes. Browsers asking for HTML get the same facts as a portal page;
API clients get ``application/problem+json``. Unexpected exceptions are logged with their
traceback and answered with a 500 problem that shows none of it.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from eaeu.exchange.errors import ExchangeError, MessageRefused, PeerUnavailable
from eaeu.kernel.errors import (
    ConfigurationError,
    Conflict,
    NotFound,
    PlatformError,
    ValidationError,
)
from eaeu.kernel.log import get_logger
from eaeu.trust.errors import KeyStoreError, TrustError

PROBLEM_JSON = "application/problem+json"

#: Reasons whose status differs from their class's row below.
STATUS_BY_REASON: dict[str, int] = {
    "jobs.unavailable": 503,
    "jobs.not_participating": 403,
    "jobs.feed_unavailable": 503,
    "jobs.employer_unknown": 403,
    "jobs.employer_foreign": 403,
    "jobs.employer_not_employer": 403,
    "jobs.employer_legal_id": 403,
    "jobs.report_foreign": 403,
    "jobs.replica_own": 403,
    "jobs.replica_origin": 403,
    "jobs.replica_seq": 409,
    "jobs.no_exchange": 503,
    "jobs.consent_receiver": 403,
    "jobs.housing_full": 409,
    "jobs.policy_term": 422,
    "jobs.policy_start": 422,
    "jobs.stay_dates": 422,
    "jobs.stay_unavailable": 422,
    "jobs.notice_invalid": 422,
    "jobs.product_not_found": 404,
    "jobs.place_not_found": 404,
    "jobs.notice_not_found": 404,
    "exchange.duplicate": 409,
    "exchange.id_reuse": 409,
    "exchange.unknown_sender": 401,
    "exchange.bad_signature": 401,
    "exchange.sender_mismatch": 401,
    "exchange.unauthorised": 403,
    "exchange.wrong_receiver": 421,
    "exchange.too_large": 413,
    "exchange.trust_list_expired": 503,
    "exchange.no_trust_list": 503,
    "exchange.not_configured": 503,
    "operator.unauthenticated": 401,
    "identity.unauthenticated": 401,
    "identity.session_expired": 401,
    "identity.signin_failed": 401,
    "identity.signin_locked": 429,
    "identity.code_wrong": 401,
    "identity.code_expired": 401,
    "identity.code_used": 401,
    "identity.code_attempts": 401,
    "identity.code_resends": 401,
    "identity.code_resend_wait": 429,
    "identity.forbidden": 403,
    "identity.csrf": 403,
    "identity.assertion_malformed": 422,
    "identity.assertion_signature": 401,
    "identity.assertion_signer": 401,
    "identity.assertion_audience": 403,
    "identity.assertion_not_yet_valid": 401,
    "identity.assertion_expired": 401,
    "identity.assertion_replayed": 401,
    "identity.assertion_destination": 422,
    "identity.assertion_browser": 403,
    "identity.trust_list_expired": 503,
    "operator.forbidden": 403,
    # A transfer of personal data the consent guard refuses (eaeu.consent.guard).
    "consent.missing": 403,
    "consent.unknown": 403,
    "consent.malformed": 403,
    "consent.signature": 403,
    "consent.issuer": 403,
    "consent.revoked": 403,
    "consent.expired": 403,
    "consent.not_yet_valid": 403,
    "consent.receiver": 403,
    "consent.purpose": 403,
    "consent.categories": 403,
    "consent.used": 403,
    "consent.subject_unknown": 403,
    "policy.refused": 403,
    "log.altered": 409,
    "log.broken_chain": 409,
    "log.head_mismatch": 409,
    "documents.unrecognised": 422,
    "documents.unsigned": 422,
    "documents.detached_missing": 422,
    "documents.no_file": 422,
    "documents.malformed_request": 422,
    "documents.too_large": 413,
    "documents.second_factor": 403,
    "documents.not_authorised": 403,
    "documents.receipt_invalid": 422,
    "documents.receipt_signer": 422,
    "documents.receipt_mismatch": 422,
    "documents.receipt_own": 409,
    "documents.home_unavailable": 502,
    "documents.trust_list_expired": 503,
    "documents.signing_unavailable": 503,
    "documents.unavailable": 503,
    "documents.no_crl": 404,
    # The travel verifier (eaeu.services.travel: revocation, signers, bundle).
    "travel.unavailable": 503,
    "travel.verify.at": 422,
    "travel.revocation.uvci": 422,
    "travel.revocation.not_issuer": 403,
    "travel.revocation.not_participating": 403,
    "travel.revocation.not_revoked": 409,
    "travel.revocation.malformed": 422,
    "travel.dsc.invalid": 422,
    "travel.dsc.kid": 422,
    "travel.dsc.country": 422,
    "travel.dsc.member_state": 422,
    "travel.dsc.key": 422,
    "travel.bundle.invalid": 422,
    "travel.bundle.signature": 422,
    "travel.bundle.signer": 422,
    "travel.bundle.max_age": 422,
    # The travel service (eaeu.services.travel: labs, bookings, results).
    "travel.lab_invalid": 422,
    "travel.lab_foreign": 403,
    "travel.not_participating": 403,
    "travel.lab_not_accredited": 409,
    "travel.booking_elsewhere": 409,
    "travel.test_not_offered": 422,
    "travel.slot_invalid": 422,
    "travel.slot_full": 409,
    "travel.booking_limit": 409,
    "travel.booking_closed": 409,
    "travel.visitor_unknown": 401,
    "travel.result_not_your_lab": 403,
    "travel.result_recorded": 409,
    "travel.result_sample_time": 422,
    "travel.signer_unavailable": 503,
}

#: The one table: most specific class first.
STATUS_BY_ERROR: tuple[tuple[type[PlatformError], int], ...] = (
    (PeerUnavailable, 502),
    (KeyStoreError, 503),
    (MessageRefused, 400),
    (ExchangeError, 400),
    (TrustError, 422),
    (ValidationError, 422),
    (NotFound, 404),
    (Conflict, 409),
    (ConfigurationError, 503),
    (PlatformError, 400),
)


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; error pages translate it when rendered."""
    return message


NOT_FOUND_DETAIL = N_("There is nothing at this address. Check the link or go to the start page.")
METHOD_DETAIL = N_("This action is not allowed at this address.")
INTERNAL_DETAIL = N_(
    "Something went wrong on our side. It has been logged; please try again later."
)

TITLES = {
    400: N_("Bad request"),
    401: N_("Not authenticated"),
    421: N_("Misdirected request"),
    502: N_("Peer unavailable"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    413: N_("Request too large"),
    415: N_("Unsupported media type"),
    422: N_("Invalid input"),
    429: N_("Too many requests"),
    500: N_("Internal error"),
    503: N_("Service unavailable"),
}

log = get_logger("eaeu.web")


def status_for(error: PlatformError) -> int:
    """Return the HTTP status for a domain error."""
    if error.reason in STATUS_BY_REASON:
        return STATUS_BY_REASON[error.reason]
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 400  # pragma: no cover - PlatformError is the last row


def problem(
    request: Request,
    status: int,
    reason: str,
    detail: str,
    **extra: Any,
) -> Response:
    """Build a problem response; HTML for browsers on portal pages, JSON otherwise."""
    allow = extra.pop("allow", None)
    body: dict[str, Any] = {
        "type": f"https://eaeu.dev/problems/{reason}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "reason": reason,
        **extra,
    }
    if _wants_html(request):
        render = getattr(request.app.state, "render_error", None)
        if render is not None:
            page: Response = render(request, body)
            return page
    headers = {"Allow": allow} if allow else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/.well-known/", "/healthz")):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept


async def _platform_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PlatformError)  # noqa: S101 - registered for this class only
    status = status_for(exc)
    log.info("http.request.refused", path=request.url.path, status=status, reason=exc.reason)
    location = getattr(exc, "location", None)
    if isinstance(location, str) and _wants_html(request):
        # A browser that must first do something elsewhere (sign in) is sent there.
        return RedirectResponse(location, status_code=303)
    extra: dict[str, Any] = {}
    if isinstance(exc, MessageRefused) and exc.receipt is not None:
        extra["receipt"] = exc.receipt
        if exc.response is not None:
            extra["response"] = exc.response
    seq = getattr(exc, "seq", None)
    if seq is not None:
        extra["seq"] = seq
    return problem(request, status, exc.reason, exc.message, **extra)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    status = exc.status_code
    reasons: dict[int, str] = {
        HTTPStatus.NOT_FOUND: "route.not_found",
        HTTPStatus.METHOD_NOT_ALLOWED: "method.not_allowed",
    }
    fixed: dict[int, str] = {
        HTTPStatus.NOT_FOUND: NOT_FOUND_DETAIL,
        HTTPStatus.METHOD_NOT_ALLOWED: METHOD_DETAIL,
    }
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(status, "Error")
    if status in fixed and detail in {"Not Found", "Method Not Allowed"}:
        detail = fixed[status]
    extra: dict[str, Any] = {}
    if exc.headers and "allow" in {k.lower() for k in exc.headers}:
        extra["allow"] = next(v for k, v in exc.headers.items() if k.lower() == "allow")
    log.info("http.request.refused", path=request.url.path, status=status)
    return problem(request, status, reasons.get(status, f"http.{status}"), detail, **extra)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    errors = [
        {
            "location": ".".join(str(p) for p in err.get("loc", ())),
            "message": err.get("msg", "invalid"),
            "type": err.get("type", "invalid"),
        }
        for err in exc.errors()
    ]
    malformed = any(e["type"] == "json_invalid" for e in errors)
    reason = "request.malformed_json" if malformed else "request.invalid"
    detail = (
        "The request body is not valid JSON."
        if malformed
        else "Some fields of the request are missing or have the wrong type."
    )
    log.info("http.request.refused", path=request.url.path, status=422, reason=reason)
    return problem(request, 422, reason, detail, errors=errors)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("http.request.failed", path=request.url.path, error=type(exc).__name__, exc_info=exc)
    return problem(
        request,
        500,
        "internal",
        INTERNAL_DETAIL,
    )


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(PlatformError, _platform_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
