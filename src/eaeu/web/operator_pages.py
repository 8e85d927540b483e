"""The operator's pages: trust list in force, peers, outbox and dead letters, message log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from eaeu.exchange import log
from eaeu.exchange.errors import LogTampered
from eaeu.web.exchange_api import peer_status, trust_summary
from eaeu.web.operator import node_exchange, require_operator
from eaeu.web.templating import Templates

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_operator)])


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; it is translated when rendered."""
    return message


#: People's names of the trust list's service and role identifiers.
SERVICE_LABELS = {
    "exchange": N_("Exchange between nodes"),
    "travel": N_("Traveling without COVID-19"),
    "jobs": N_("Work in the EAEU"),
}
EVENT_LABELS = {
    "queued": N_("queued"),
    "sent": N_("sent"),
    "delivered": N_("delivered"),
    "received": N_("received"),
    "refused": N_("refused"),
    "unreachable": N_("unreachable"),
    "dead_letter": N_("dead letter"),
}
ROLE_LABELS = {
    "member": N_("member"),
    "issuer": N_("issuer"),
    "verifier": N_("verifier"),
    "publisher": N_("publisher"),
    "consumer": N_("consumer"),
}


@router.get("/operator", response_class=HTMLResponse)
def operator_page(request: Request) -> HTMLResponse:
    """One page with the state of this node's exchange."""
    node = node_exchange(request)
    verification: dict[str, Any]
    with node.uow() as uow:
        try:
            summary = log.verify(uow.session)
            verification = {"intact": True, "records": summary.count, "head": summary.head_hash}
        except LogTampered as exc:
            verification = {"intact": False, "seq": exc.seq, "reason": exc.reason}
        records = list(log.iter_records(uow.session, limit=50))
    templates: Templates = request.app.state.templates
    return templates.render(
        request,
        "operator.html",
        {
            "trust": trust_summary(node),
            "peers": peer_status(node),
            "outbox": node.outbox_summary(),
            "dead_letters": node.dead_letters(),
            "records": records,
            "verification": verification,
            "service_labels": SERVICE_LABELS,
            "role_labels": ROLE_LABELS,
            "event_labels": EVENT_LABELS,
        },
    )
