"""Travel verifier: the API, the verifier page on every portal, and the revocation page.

API (``/api/v1/travel``):

* ``POST /verify`` ``{"qr": "HC1:…", "at"?: ISO 8601, "arrival"?: "RU"}`` → the verdict as
  ``eaeu travel verify --json`` prints it; any text gets a verdict, never a 500; nothing is
  stored or logged.
* ``GET /bundle`` → the signed offline bundle (:mod:`eaeu.services.travel.bundle`).
* ``GET /signers`` → the trusted signers; ``POST /signers`` (operator) imports external
  ones (PEM, DER or a DCC Gateway JSON trust list as the body).
* ``GET /revocations`` → the revocation changes this node knows (hashes only);
  ``POST /revocations`` (operator) ``{"uvci": …, "revoked": true|false}`` revokes or
  un-revokes a certificate this node's state issued.

Pages: ``/travel/verify`` (anyone: airline staff, border officers) scans a QR code with the
camera (the vendored jsQR reader, no network), reads an uploaded photo (zxing-cpp on the
server) or takes pasted text, and shows a green or red verdict, the reason in plain words
and only the holder's name and date of birth; it stores nothing and is never cached.
``/travel/revocations`` lets the node's operator revoke and un-revoke certificates.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from eaeu.bootstrap import Platform
from eaeu.kernel.clock import utc
from eaeu.kernel.errors import ValidationError
from eaeu.kernel.states import STATE_CODES
from eaeu.services.travel.bundle import DEFAULT_MAX_AGE, build_bundle
from eaeu.services.travel.errors import QrError, RevocationRefused, TravelError
from eaeu.services.travel.qr import MAX_IMAGE_BYTES, read_hc1
from eaeu.services.travel.revocation import Revocations
from eaeu.services.travel.service import NodeVerifier, result_json
from eaeu.services.travel.trust import SERVICE, VERIFIER, external_signer, read_certificates
from eaeu.services.travel.verifier import STAGES, VerificationResult
from eaeu.web.auth import SignedIn, check_csrf, require_user
from eaeu.web.operator import node_exchange, require_operator
from eaeu.web.templating import Templates

router = APIRouter()
api = APIRouter(prefix="/api/v1/travel", tags=["travel"])

#: The longest QR text accepted (a version 40 QR code holds 4296 alphanumeric characters).
MAX_QR_TEXT = 8192
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_MIN_AGE_S = 60
_MAX_AGE_S = 7 * 24 * 3600


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; it is translated when rendered."""
    return message


#: What each reason means for a border officer or an airline agent.
REASONS: dict[str | None, str] = {
    None: N_("The certificate is genuine, valid now and meets the entry rules."),
    "prefix": N_("This is not a health certificate QR code (it does not start with HC1:)."),
    "base45": N_("The QR code is damaged: its text cannot be decoded."),
    "zlib": N_("The QR code is damaged: its content cannot be unpacked."),
    "cose_structure": N_("The QR code does not hold a signed certificate."),
    "alg_not_allowed": N_("The certificate is signed with a method that is not accepted."),
    "kid": N_("The certificate does not name the key it was signed with."),
    "unknown_kid": N_(
        "The certificate was signed by an issuer we do not trust: not a member state "
        "in the travel service and not an imported foreign issuer."
    ),
    "issuer_not_participating": N_(
        "The certificate was issued by a member state that does not take part in the "
        "travel service, so it is not accepted."
    ),
    "alg_key_mismatch": N_(
        "The signature does not fit the issuer's key: the certificate is forged."
    ),
    "signature": N_("The signature is not valid: the certificate was changed or forged."),
    "cbor": N_("The certificate's content cannot be read."),
    "schema": N_("The certificate's content does not follow the EU DCC format."),
    "not_yet_valid": N_("The certificate is dated in the future. Check this device's clock."),
    "expired": N_("The certificate has expired."),
    "dsc_not_yet_valid": N_("The issuer's signing certificate was not yet valid when it signed."),
    "dsc_expired": N_("The issuer's signing certificate has expired."),
    "key_usage": N_("The issuer may not sign this kind of certificate."),
    "test_positive": N_("The test result is POSITIVE. The holder may not travel."),
    "sample_in_future": N_(
        "The sample time lies in the future: the certificate is not believable."
    ),
    "revocation": N_(
        "The revocation list could not be checked. Do not accept the certificate now."
    ),
    "revoked": N_("The issuing authority has REVOKED this certificate."),
    "rules": N_("The certificate does not meet the entry rules of the country of arrival."),
    "bundle_stale": N_(
        "The offline verification data is out of date. Update it before checking certificates."
    ),
    "bundle_not_yet_valid": N_(
        "The offline verification data is from the future. Check the clock."
    ),
    "qr.unreadable": N_("No QR code could be read in the picture. Try a sharper, closer photo."),
    "qr.ambiguous": N_("The picture shows more than one QR code. Photograph only one."),
    "qr.too_large": N_("The picture is too large (at most 20 MB)."),
    "qr.mode": N_("The QR code is not written the way health certificates are."),
    "empty": N_("Scan, upload or paste a certificate first."),
}

STAGE_NAMES = {
    "prefix": N_("Health certificate QR code"),
    "base45": N_("Text decoding"),
    "zlib": N_("Unpacking"),
    "cose": N_("Signed envelope"),
    "signature": N_("Issuer's signature"),
    "cbor": N_("Content"),
    "schema": N_("Format"),
    "expiry": N_("Validity dates"),
    "key_usage": N_("Issuer's permission"),
    "invariants": N_("Negative result, believable times"),
    "revocation": N_("Not revoked"),
    "rules": N_("Entry rules"),
}
OUTCOME_NAMES = {"pass": N_("passed"), "fail": N_("failed"), "skipped": N_("not checked")}


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def verifier_of(request: Request) -> NodeVerifier:
    """The node's travel verifier (a FastAPI dependency).

    Raises:
        TravelError: the node has none (``travel.unavailable``, a 503).
    """
    verifier = _platform(request).travel_verifier
    if verifier is None:
        raise TravelError(
            "This node does not verify travel certificates.", reason="travel.unavailable"
        )
    return verifier


def revocations_of(request: Request) -> Revocations:
    """The node's revocation list (a FastAPI dependency).

    Raises:
        TravelError: the node has no exchange keys (``travel.unavailable``, a 503).
    """
    revocations = verifier_of(request).revocations
    if revocations is None:
        raise TravelError(
            "This node cannot revoke certificates: it has no exchange keys.",
            reason="travel.unavailable",
        )
    return revocations


Verifier = Annotated[NodeVerifier, Depends(verifier_of)]
RevocationList = Annotated[Revocations, Depends(revocations_of)]


# --- API ---------------------------------------------------------------------------------


class VerifyRequest(BaseModel):
    """A certificate to verify."""

    qr: str = Field(max_length=MAX_QR_TEXT, description="The QR code's text (HC1:…).")
    at: datetime | None = Field(
        default=None, description="The validation time (ISO 8601 with a zone); now by default."
    )
    arrival: str | None = Field(
        default=None,
        pattern="^[A-Za-z]{2}$",
        description="The country of arrival whose entry rules apply; this node's by default.",
    )


def _moment(at: datetime | None, verifier: NodeVerifier) -> datetime:
    if at is None:
        return verifier.clock.now()
    if at.tzinfo is None:
        raise ValidationError(
            "give the time with its zone, e.g. 2026-03-01T12:00:00Z", reason="travel.verify.at"
        )
    try:
        moment = utc(at)
        moment.timestamp()
    except (OverflowError, ValueError):
        raise ValidationError("the time is out of range", reason="travel.verify.at") from None
    return moment


@api.post("/verify", summary="Verify an HC1 health certificate (nothing is stored)")
def verify(body: VerifyRequest, verifier: Verifier) -> JSONResponse:
    """Verify a certificate: every stage, the reason, and only the holder's names and birth date."""
    at = _moment(body.at, verifier)
    arrival = body.arrival.upper() if body.arrival else verifier.state
    result = verifier.verify_certificate(body.qr, at=at, arrival=arrival)
    return JSONResponse(result_json(result, at=at, arrival=arrival), headers=NO_STORE)


@api.get(
    "/bundle",
    summary="The signed offline verification bundle",
    responses={200: {"content": {"application/jose+json": {}}}},
)
def bundle(request: Request, verifier: Verifier, max_age_s: int | None = None) -> JSONResponse:
    """Signers, entry rules, value sets and revocations, signed by this node, with a maximum age."""
    exchange = node_exchange(request)
    if max_age_s is not None and not _MIN_AGE_S <= max_age_s <= _MAX_AGE_S:
        raise ValidationError(
            f"max_age_s must be between {_MIN_AGE_S} and {_MAX_AGE_S}",
            reason="travel.bundle.max_age",
        )
    revocations = verifier.revocations
    document = build_bundle(
        state=exchange.state,
        signer=exchange.signer,
        trust=verifier.trust(),
        material=verifier.material(),
        revoked=revocations.revoked_prefixes() if revocations is not None else [],
        rules=verifier.rules,
        value_sets=verifier.value_sets,
        now=verifier.clock.now(),
        max_age=timedelta(seconds=max_age_s) if max_age_s else DEFAULT_MAX_AGE,
    )
    return JSONResponse(
        document, media_type="application/jose+json", headers={"Cache-Control": "no-cache"}
    )


@api.get("/signers", summary="The document signers this node trusts")
def signers(verifier: Verifier) -> dict[str, Any]:
    """The key id, country, source and certificate types of every trusted signer."""
    found = verifier.material()
    return {
        "signers": [
            {k: v for k, v in signer.to_json().items() if k != "certificate"}
            for signer in found.signers
        ],
        "countries": found.countries(),
    }


@api.post(
    "/signers",
    summary="Import signers of countries outside the union (operator)",
    dependencies=[Depends(require_operator)],
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-pem-file": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array"}},
            }
        }
    },
)
async def import_signers(request: Request, verifier: Verifier) -> dict[str, Any]:
    """Import DCC document signers (PEM, DER, base64 or a DCC Gateway JSON trust list)."""
    if verifier.external is None:
        raise TravelError("This node keeps no imported signers.", reason="travel.unavailable")
    data = await request.body()
    found = [external_signer(cert, country) for cert, country in read_certificates(data)]
    added = verifier.external.import_signers(found, source="api", now=verifier.clock.now())
    return {
        "imported": [{"kid": s.to_json()["kid"], "country": s.country} for s in added],
        "already": len(found) - len(added),
    }


class RevocationRequest(BaseModel):
    """A certificate to revoke or un-revoke."""

    uvci: str = Field(max_length=80, description="The certificate's UVCI with its check character.")
    revoked: bool = Field(default=True, description="False withdraws an earlier revocation.")


@api.get("/revocations", summary="Revocation changes this node knows (UVCI hashes)")
def revocations(revocations: RevocationList, issuer: str | None = None) -> dict[str, Any]:
    """The latest changes, newest first: SHA-256 of the UVCI, issuer, state and sequence."""
    entries = revocations.entries(issuer=issuer.upper() if issuer else None)
    return {
        "hash_type": "UCI",
        "entries": [{"issuer": entry.issuer, **entry.to_json()} for entry in entries],
    }


@api.post(
    "/revocations",
    summary="Revoke or un-revoke a certificate this state issued (operator)",
    dependencies=[Depends(require_operator)],
)
def revoke(body: RevocationRequest, revocations: RevocationList) -> dict[str, Any]:
    """Record the change and send it to every node of the travel service."""
    entry = revocations.set_revoked(body.uvci, revoked=body.revoked)
    return {"issuer": entry.issuer, **entry.to_json()}


router.include_router(api)


# --- pages -------------------------------------------------------------------------------


def _templates(request: Request) -> Templates:
    templates: Templates = request.app.state.templates
    return templates


def _rule_descriptions(verifier: NodeVerifier, result: VerificationResult, lang: str) -> list[str]:
    failed = set(result.failed_rules)
    texts = []
    for rule in verifier.rules.rules:
        if rule.identifier in failed:
            failed.discard(rule.identifier)
            texts.append(rule.description(lang) or rule.descriptions.get("en", rule.identifier))
    return texts + sorted(failed)


def _verify_page(
    request: Request,
    verifier: NodeVerifier,
    *,
    result: VerificationResult | None = None,
    error: str | None = None,
    arrival: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    platform = _platform(request)
    trust = verifier.trust()
    state = platform.state.code if platform.state else None
    context = {
        "result": result,
        "error": error,
        "reasons": REASONS,
        "stage_names": STAGE_NAMES,
        "outcome_names": OUTCOME_NAMES,
        "stages": STAGES,
        "arrival": arrival if arrival is not None else state,
        "arrival_states": STATE_CODES,
        "rule_texts": _rule_descriptions(verifier, result, request.state.language)
        if result
        else [],
        "takes_part": state is None
        or (trust is not None and trust.participates(state, SERVICE, VERIFIER)),
        "has_trust": trust is not None,
    }
    response = _templates(request).render(
        request, "travel_verify.html", context, status_code=status_code
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/travel/verify", response_class=HTMLResponse, include_in_schema=False)
def verify_page(request: Request, verifier: Verifier) -> HTMLResponse:
    """The verifier: scan with the camera, upload a photo or paste the text."""
    return _verify_page(request, verifier)


def _read_picture(picture: bytes) -> str:
    if len(picture) > MAX_IMAGE_BYTES:
        raise QrError("the image is too large", reason="qr.too_large")
    return read_hc1(picture)


def _arrival(value: str) -> str | None:
    code = value.strip().upper()
    return code if code in STATE_CODES else None


@router.post(
    "/travel/verify",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
async def verify_submitted(
    request: Request,
    verifier: Verifier,
    qr: Annotated[str, Form(max_length=MAX_QR_TEXT)] = "",
    image: Annotated[UploadFile | None, File()] = None,
    arrival: Annotated[str, Form(max_length=8)] = "",
) -> HTMLResponse:
    """Verify the pasted, scanned or photographed certificate and show the verdict."""
    country = _arrival(arrival)
    text = qr.strip()
    if image is not None and (image.filename or image.size):
        picture = await image.read(MAX_IMAGE_BYTES + 1)
        try:
            text = await run_in_threadpool(_read_picture, picture)
        except QrError as exc:
            error = REASONS.get(exc.reason, REASONS["qr.unreadable"])
            return _verify_page(request, verifier, error=error, arrival=arrival, status_code=422)
    if not text:
        return _verify_page(
            request, verifier, error=REASONS["empty"], arrival=arrival, status_code=422
        )
    # An empty choice means "no entry rules": signature and validity only.
    result = await run_in_threadpool(verifier.verify_certificate, text, arrival=country or "")
    return _verify_page(request, verifier, result=result, arrival=country or "")


# --- the operator's revocation page --------------------------------------------------------

Operator = Annotated[SignedIn, Depends(require_user("operator"))]

REVOCATION_ERRORS = {
    "travel.revocation.uvci": N_(
        "This is not a certificate identifier. Copy it exactly, with the character after #."
    ),
    "travel.revocation.not_issuer": N_("Only the state that issued a certificate may revoke it."),
    "travel.revocation.not_participating": N_("This state does not issue travel certificates."),
    "travel.revocation.not_revoked": N_("This certificate is not revoked."),
}


def _revocations_page(
    request: Request,
    revocations: Revocations,
    *,
    error: str | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    entries = revocations.entries()
    context = {
        "own": [e for e in entries if e.issuer == revocations.state],
        "received": [e for e in entries if e.issuer != revocations.state],
        "error": error,
        "done": done,
        "state": revocations.state,
    }
    response = _templates(request).render(
        request, "travel_verify_revocations.html", context, status_code=status_code
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/travel/revocations", response_class=HTMLResponse, include_in_schema=False)
def revocations_page(request: Request, _: Operator, revocations: RevocationList) -> HTMLResponse:
    """The operator's page: revoke or un-revoke a certificate, and what was revoked."""
    done = request.query_params.get("done")
    return _revocations_page(
        request, revocations, done=done if done in ("revoked", "unrevoked") else None
    )


@router.post("/travel/revocations", include_in_schema=False, dependencies=[Depends(check_csrf)])
def revoke_submitted(
    request: Request,
    _: Operator,
    revocations: RevocationList,
    uvci: Annotated[str, Form(max_length=200)] = "",
    action: Annotated[str, Form(max_length=16)] = "revoke",
) -> Response:
    """Revoke or un-revoke, then show the list again."""
    try:
        entry = revocations.set_revoked(uvci, revoked=action != "unrevoke")
    except RevocationRefused as exc:
        error = REVOCATION_ERRORS.get(exc.reason, REVOCATION_ERRORS["travel.revocation.uvci"])
        return _revocations_page(request, revocations, error=error, status_code=422)
    done = "revoked" if entry.revoked else "unrevoked"
    return RedirectResponse(f"/travel/revocations?done={done}", status_code=303)
