"""Portal pages: the union landing page, each node's home, and the identifier check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from eaeu.bootstrap import Platform
from eaeu.kernel import identifiers
from eaeu.kernel.errors import InvalidIdentifier
from eaeu.web.federation import probe
from eaeu.web.services import NODE_SERVICES
from eaeu.web.templating import Templates

router = APIRouter(include_in_schema=False)


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; it is translated when rendered."""
    return message


#: What a person reads for each refusal reason (the API gives the detailed message).
REASON_TEXT = {
    "identifier.format": N_("The number does not have the format of this kind of identifier."),
    "identifier.date": N_("The number does not contain a real date."),
    "identifier.checksum": N_(
        "The check digit does not match: the number has a typing error or was never issued."
    ),
    "identifier.never_issued": N_("Numbers with these digits are never issued."),
    "identifier.unknown_kind": N_("This kind of identifier does not exist in the chosen state."),
}

#: Labels of identifier kinds in the form.
KIND_LABELS = {
    "iin": N_("IIN, individual identification number"),
    "bin": N_("BIN, business identification number"),
    "inn": N_("INN, taxpayer identification number"),
    "ogrn": N_("OGRN, main state registration number of a company"),
    "ogrnip": N_("OGRNIP, registration number of an individual entrepreneur"),
    "snils": N_("SNILS, individual insurance account number"),
    "unp": N_("UNP, payer account number"),
    "personal_number": N_("Personal (identification) number"),
    "pin": N_("PIN, personal identification number"),
    "psn": N_("Public service number"),
    "tin": N_("TIN, taxpayer identification number"),
}


def _templates(request: Request) -> Templates:
    templates: Templates = request.app.state.templates
    return templates


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    """The union landing page on the portal; the node's home page on a node."""
    platform: Platform = request.app.state.platform
    if platform.state is None:
        statuses = await probe(platform.federation.nodes)
        return _templates(request).render(request, "landing.html", {"nodes": statuses})
    return _templates(request).render(
        request,
        "node_home.html",
        {"services": NODE_SERVICES, "portal_url": platform.federation.portal},
    )


@router.get("/identifiers", response_class=HTMLResponse)
def identifier_check(
    request: Request, state: str = "", kind: str = "", value: str = ""
) -> HTMLResponse:
    """A form that checks a national identifier and explains the result."""
    platform: Platform = request.app.state.platform
    chosen_state = (state or (platform.state.code if platform.state else "KZ")).upper()
    context: dict[str, Any] = {
        "kinds": identifiers.kinds(),
        "chosen": {"state": chosen_state, "kind": kind, "value": value},
        "result": None,
        "error": None,
        "kind_labels": KIND_LABELS,
    }
    status = 200
    if kind or value:
        try:
            context["result"] = identifiers.validate(chosen_state, kind, value)
        except InvalidIdentifier as exc:
            context["error"] = REASON_TEXT.get(exc.reason, exc.message)
            status = 422
    return _templates(request).render(request, "identifiers.html", context, status_code=status)
