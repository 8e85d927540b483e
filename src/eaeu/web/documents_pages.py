"""Portal pages and API of documents: check a signed document, sign one, the node's CRL.

``/documents/check`` lets anyone upload a signed JSON (JAdES), a signed PDF (PAdES) or a
CMS signature (``.p7s``) with its file, and shows in plain words whether the signatures
hold, who signed, and the node's signed validation receipt to download; a receipt from
another member's node can be checked there too, and this node issues its own.
``/documents/sign`` signs a JSON document or a PDF with the signed-in person's node-held
key (or their organisation's), after sign-in with a second factor.

``POST /api/v1/documents/validate`` (multipart ``file`` [+ ``data``], or the document as the
body), ``POST /api/v1/documents/receipts/verify`` and ``GET /api/v1/documents/crl`` are the
same for programs.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from eaeu.bootstrap import Platform
from eaeu.documents.errors import DocumentError, DocumentUnreadable
from eaeu.documents.handlers import Documents, sign_document
from eaeu.documents.jades import COMMITMENTS
from eaeu.documents.keys import CertifiedKey, SignerAuthorisation
from eaeu.documents.model import Indication, SubIndication
from eaeu.documents.validation import MAX_DOCUMENT_BYTES, Checked
from eaeu.identity.model import ORGANISATION_ROLES
from eaeu.web.auth import SignedIn, accounts, check_csrf, require_user
from eaeu.web.templating import Templates

router = APIRouter()
api = APIRouter(prefix="/api/v1/documents", tags=["documents"])

CRL_MEDIA_TYPE = "application/pkix-crl"
#: Media types a document may be posted with as the whole body.
_BODY_TYPES = (
    "application/json",
    "application/jose+json",
    "application/jose",
    "application/pdf",
    "application/pkcs7-signature",
    "application/pkcs7-mime",
    "application/octet-stream",
)


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; it is translated when rendered."""
    return message


#: What each sub-indication means, for a person.
EXPLAINED = {
    None: N_("The signature is valid and the signer's certificate is trusted."),
    SubIndication.FORMAT_FAILURE: N_("The signature is damaged or not in a format we accept."),
    SubIndication.HASH_FAILURE: N_("The document was changed after it was signed."),
    SubIndication.SIG_CRYPTO_FAILURE: N_(
        "The signature does not match the document: it was changed or signed by someone else."
    ),
    SubIndication.REVOKED: N_("The signer's certificate had been revoked when they signed."),
    SubIndication.EXPIRED: N_("The signer's certificate had expired when they signed."),
    SubIndication.NOT_YET_VALID: N_("The signer's certificate was not yet valid when they signed."),
    SubIndication.SIG_CONSTRAINTS_FAILURE: N_(
        "The signing time is not believable (it lies in the future)."
    ),
    SubIndication.CHAIN_CONSTRAINTS_FAILURE: N_(
        "The signer's certificate may not be used to sign documents."
    ),
    SubIndication.NO_SIGNING_CERTIFICATE_FOUND: N_(
        "The signature does not carry the certificate of whoever made it."
    ),
    SubIndication.NO_CERTIFICATE_CHAIN_FOUND: N_(
        "The signer's certificate was not issued by any member state of the union."
    ),
    SubIndication.OUT_OF_BOUNDS_NO_POE: N_(
        "The signer's certificate has expired, and nothing proves the document was signed "
        "before that."
    ),
    SubIndication.REVOKED_NO_POE: N_(
        "The signer's certificate has been revoked, and nothing proves the document was "
        "signed before that."
    ),
    SubIndication.TRY_LATER: N_(
        "The signer's state cannot tell us now whether the certificate was revoked. Try again "
        "later."
    ),
}

#: The headline of each main indication, and its colour.
VERDICTS = {
    Indication.TOTAL_PASSED: (N_("The document's signatures are valid"), "success"),
    Indication.TOTAL_FAILED: (N_("The document's signatures are not valid"), "failed"),
    Indication.INDETERMINATE: (N_("The signatures could not be confirmed"), "undecided"),
}

#: What a person reads for each refusal reason.
REASON_TEXT = {
    "documents.unrecognised": N_(
        "The file is not a signed document. Upload a signed JSON document, a signed PDF or a "
        "CMS signature (.p7s)."
    ),
    "documents.unsigned": N_("The file carries no signature."),
    "documents.detached_missing": N_(
        "This signature is kept apart from the file it signs: add the signed file too."
    ),
    "documents.too_large": N_("The file is too large (at most 10 MB)."),
    "documents.receipt_invalid": N_(
        "The receipt is not a validation receipt, or it was changed after it was issued."
    ),
    "documents.receipt_signer": N_(
        "The receipt was not issued by the node of a member state of the union."
    ),
    "documents.receipt_mismatch": N_("The receipt is about another document."),
    "documents.receipt_own": N_("This receipt was issued by this node; it needs no check."),
    "documents.second_factor": N_("Confirm your sign-in with the one-time code before you sign."),
    "documents.not_authorised": N_("You may not sign on behalf of this organisation."),
    "documents.signing_unavailable": N_("This node does not offer signing."),
    "documents.trust_list_expired": N_(
        "This node cannot check signatures now: its list of trusted member states has expired."
    ),
}

COMMITMENT_LABELS = {
    "proof-of-approval": N_("I approve this document"),
    "proof-of-origin": N_("I am the author of this document"),
    "proof-of-receipt": N_("I have received this document"),
}


def _templates(request: Request) -> Templates:
    templates: Templates = request.app.state.templates
    return templates


def documents_of(request: Request) -> Documents:
    """The node's documents service (a FastAPI dependency).

    Raises:
        DocumentError: this node has no documents service (``documents.unavailable``).
    """
    platform: Platform = request.app.state.platform
    if platform.documents is None:
        raise DocumentError(
            "This node does not check or sign documents: it has no exchange keys.",
            reason="documents.unavailable",
        )
    return platform.documents


Service = Annotated[Documents, Depends(documents_of)]


async def _read(upload: StarletteUpload | None) -> bytes | None:
    if upload is None or (not upload.filename and not upload.size):
        return None
    data = await upload.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentUnreadable(
            "The file is too large to check (at most 10 MB).", reason="documents.too_large"
        )
    return data or None


async def _body(request: Request) -> bytes:
    """The request body, read as it streams in and refused once past the size cap.

    A chunked body declares no length, so the cap is enforced on what arrives rather than on
    the ``Content-Length`` header: a client cannot make the node buffer more than 10 MB.

    Raises:
        DocumentUnreadable: the body is larger than the cap (``documents.too_large``, 413).
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_DOCUMENT_BYTES:
            raise DocumentUnreadable(
                "The file is too large to check (at most 10 MB).", reason="documents.too_large"
            )
        chunks.append(chunk)
    return b"".join(chunks)


# --- API ---------------------------------------------------------------------------------


@api.post(
    "/validate",
    summary="Validate a signed document and get the node's signed receipt",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "data": {"type": "string", "format": "binary"},
                        },
                        "required": ["file"],
                    }
                },
                "application/jose+json": {"schema": {"type": "object"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
async def validate(request: Request, documents: Service, ask_home: bool = False) -> JSONResponse:
    """Validate every signature: the ETSI TS 119 102-2 report and an RFC 3029-style receipt.

    Post the document as a multipart ``file`` (with ``data``, the signed file, for a
    detached CMS signature), or as the whole body. ``ask_home=true`` also asks each foreign
    signer's home node to confirm over the exchange.
    """
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > 2 * MAX_DOCUMENT_BYTES + 65_536:
        raise DocumentUnreadable(
            "The file is too large to check (at most 10 MB).", reason="documents.too_large"
        )
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    detached = None
    if media == "multipart/form-data":
        async with request.form() as form:  # closes the uploaded files' spools
            file, data = form.get("file"), form.get("data")
            document = await _read(file) if isinstance(file, StarletteUpload) else None
            detached = await _read(data) if isinstance(data, StarletteUpload) else None
        if document is None:
            raise DocumentUnreadable("Send the signed document as the form field 'file'.")
    elif media in _BODY_TYPES:
        document = await _body(request)
    else:
        raise DocumentUnreadable(
            "Send the document as multipart/form-data or with its media type "
            "(application/json, application/pdf, application/pkcs7-signature)."
        )
    checked: Checked = await run_in_threadpool(
        documents.validation.check, document, detached=detached, ask_home=ask_home
    )
    return JSONResponse(checked.to_json())


class ReceiptCheck(BaseModel):
    """A validation receipt from another member's node, and optionally its document."""

    receipt: str = Field(max_length=262_144, description="The receipt (a compact JWS).")
    document: str | None = Field(
        default=None,
        max_length=2 * MAX_DOCUMENT_BYTES,
        description="The document it is about, base64; its SHA-256 must match the receipt.",
    )


@api.post("/receipts/verify", summary="Rely on another member's receipt and get this node's")
def verify_receipt(body: ReceiptCheck, documents: Service) -> dict[str, Any]:
    """Verify a foreign receipt through the trust list; answer with this node's own receipt."""
    document = None
    if body.document is not None:
        try:
            document = base64.b64decode(body.document, validate=True)
        except (binascii.Error, ValueError):
            raise DocumentUnreadable(
                "The document must be base64.", reason="documents.malformed_request"
            ) from None
    checked = documents.validation.accept_receipt(body.receipt, document=document)
    foreign = checked.relied_on[0]
    return {
        "foreign": {
            "serial": foreign.serial,
            "validator_state": foreign.validator_state,
            "sha256": foreign.sha256,
            "report": foreign.report.to_json(),
        },
        **checked.to_json(),
    }


@api.get(
    "/crl",
    summary="This state's certificate revocation list (X.509 CRL, DER)",
    response_class=Response,
    responses={200: {"content": {CRL_MEDIA_TYPE: {}}}},
)
def crl(documents: Service) -> Response:
    """The CRL of document signing certificates, signed by this state's root CA."""
    return Response(
        documents.revocations.crl(),
        media_type=CRL_MEDIA_TYPE,
        headers={"Cache-Control": "public, max-age=300"},
    )


router.include_router(api)


# --- pages -------------------------------------------------------------------------------


def _result_context(checked: Checked) -> dict[str, Any]:
    report = checked.report
    headline, colour = VERDICTS[report.indication]
    return {
        "result": checked,
        "report": report,
        "headline": headline,
        "colour": colour,
        "explained": EXPLAINED,
        "receipt": checked.receipt,
        "receipt_href": "data:application/jose;charset=utf-8," + quote(checked.receipt),
        "relied_on": checked.relied_on,
    }


def _check_page(
    request: Request, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    return _templates(request).render(
        request, "documents_check.html", {"result": None, "error": None, **context},
        status_code=status_code,
    )  # fmt: skip


@router.get("/documents/check", response_class=HTMLResponse, include_in_schema=False)
def check_page(request: Request) -> HTMLResponse:
    """The form: upload a signed document, or paste a receipt from another state."""
    return _check_page(request, {})


@router.post(
    "/documents/check",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
async def check_document(
    request: Request,
    documents: Service,
    file: Annotated[UploadFile | None, File()] = None,
    data: Annotated[UploadFile | None, File()] = None,
    ask_home: Annotated[str | None, Form()] = None,
) -> HTMLResponse:
    """Validate the uploaded document and show the result and the receipt."""
    try:
        document = await _read(file)
        if document is None:
            raise DocumentUnreadable("Choose a file to check.", reason="documents.no_file")
        checked = await run_in_threadpool(
            documents.validation.check,
            document,
            detached=await _read(data),
            ask_home=ask_home == "yes",
        )
    except DocumentError as exc:
        error = REASON_TEXT.get(exc.reason, N_("Choose a file to check."))
        return _check_page(request, {"error": error}, status_code=422)
    return _check_page(request, _result_context(checked))


@router.post(
    "/documents/check-receipt",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
def check_receipt(
    request: Request, documents: Service, receipt: Annotated[str, Form(max_length=262_144)] = ""
) -> HTMLResponse:
    """Check a receipt from another member's node and show this node's own receipt."""
    try:
        checked = documents.validation.accept_receipt(receipt.strip())
    except DocumentError as exc:
        error = REASON_TEXT.get(exc.reason, REASON_TEXT["documents.receipt_invalid"])
        return _check_page(request, {"receipt_error": error}, status_code=422)
    return _check_page(request, _result_context(checked))


def _may_sign_for(user: SignedIn, organisation_id: str | None) -> bool:
    return organisation_id is not None and bool(user.roles & ORGANISATION_ROLES)


def _sign_page(
    request: Request, user: SignedIn, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    organisation = None
    if not user.foreign:
        person = accounts(request).person(user.person_id)
        if _may_sign_for(user, person.organisation_id):
            organisation = accounts(request).organisation(str(person.organisation_id))
    return _templates(request).render(
        request,
        "documents_sign.html",
        {
            "organisation": organisation,
            "commitments": COMMITMENT_LABELS,
            "error": error,
            "foreign": user.foreign,
        },
        status_code=status_code,
    )


SignedInPerson = Annotated[SignedIn, Depends(require_user())]


@router.get("/documents/sign", response_class=HTMLResponse, include_in_schema=False)
def sign_page(request: Request, user: SignedInPerson) -> HTMLResponse:
    """The form: upload a JSON document or a PDF to sign."""
    return _sign_page(request, user)


def _key(request: Request, documents: Documents, user: SignedIn, signer: str) -> CertifiedKey:
    person = accounts(request).person(user.person_id)
    organisations = (
        frozenset({person.organisation_id})
        if person.organisation_id is not None and _may_sign_for(user, person.organisation_id)
        else frozenset()
    )
    authorised = SignerAuthorisation(
        person_id=user.person_id,
        session_id=user.session_id,
        second_factor=user.second_factor,
        organisations=organisations,
    )
    keys = documents.signing_keys()
    if signer == "organisation" and person.organisation_id is not None:
        organisation = accounts(request).organisation(person.organisation_id)
        return keys.organisation_key(
            authorised,
            organisation.id,
            name=organisation.name,
            identifier=f"NTR{organisation.state}-{organisation.legal_id}",
        )
    # No identifier: the node gives each key a random pseudonym of its own, so that
    # certificates do not carry one id that links the person's signatures everywhere.
    return keys.person_key(authorised, name=f"{person.given_name} {person.family_name}")


@router.post(
    "/documents/sign",
    include_in_schema=False,
    dependencies=[Depends(check_csrf)],
)
async def sign(
    request: Request,
    user: SignedInPerson,
    documents: Service,
    file: Annotated[UploadFile | None, File()] = None,
    signer: Annotated[str, Form()] = "person",
    commitment: Annotated[str, Form()] = "",
) -> Response:
    """Sign the uploaded document with the person's (or organisation's) key; download it."""
    if user.foreign:
        return _sign_page(
            request,
            user,
            error=N_("Sign documents at your home state's portal."),
            status_code=403,
        )
    try:
        document = await _read(file)
        if document is None:
            raise DocumentUnreadable("Choose a file to sign.", reason="documents.no_file")
        key = await run_in_threadpool(_key, request, documents, user, signer)
        signed = await run_in_threadpool(
            sign_document,
            document,
            key,
            signing_time=documents.clock.now(),
            commitment=commitment if commitment in COMMITMENTS else None,
        )
    except DocumentError as exc:
        error = REASON_TEXT.get(exc.reason, N_("Choose a JSON document or a PDF to sign."))
        return _sign_page(request, user, error=error, status_code=422)
    stem = (file.filename or "document").rsplit(".", 1)[0] if file is not None else "document"
    suffix = "pdf" if signed.kind == "pdf" else "json"
    name = f"{stem}.signed.{suffix}"
    return Response(
        signed.content,
        media_type=signed.media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
