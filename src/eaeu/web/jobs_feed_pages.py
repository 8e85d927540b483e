"""The change feed of vacancies, as the node's operator and API clients see it.

* ``/jobs/feed`` — the node's operator (role ``operator``, signed in at home): for every
  other member state, whether its vacancies are pulled, how far, when the last pull
  worked, when and why one last failed; «Sync now» for one state or all.
* ``GET /api/v1/jobs/feed/freshness`` — public: when each country's vacancies were last
  brought up to date on this node (the search results show the same).
* ``GET /api/v1/jobs/feed/status`` and ``POST /api/v1/jobs/feed/sync`` — the same for the
  operator API (``EAEU_OPERATOR_TOKEN``, or loopback calls to a development node).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Body, Depends, Form, Request
from fastapi.responses import HTMLResponse

from eaeu.bootstrap import Platform
from eaeu.identity.errors import RoleRefused
from eaeu.identity.model import OPERATOR
from eaeu.kernel.states import MEMBER_STATES
from eaeu.services.jobs.errors import JobsError
from eaeu.services.jobs.feed import Feed, FeedRefused, PullResult
from eaeu.web.auth import SignedIn, check_csrf, require_user
from eaeu.web.operator import require_operator
from eaeu.web.templating import Templates

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/jobs/feed", tags=["jobs"])

NodeOperator = Annotated[SignedIn, Depends(require_user(OPERATOR))]


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; it is translated when rendered."""
    return message


#: What an operator reads for the reason a pull failed or was refused.
REASON_TEXT: Final = {
    "exchange.unreachable": N_("The node did not answer."),
    "exchange.unauthorised": N_("The exchange refused: the state does not take part in jobs."),
    "jobs.not_participating": N_(
        "Both states must take part in the jobs service: this one receiving vacancies, the "
        "other publishing them."
    ),
    "jobs.feed_unavailable": N_("This node has no exchange, so it cannot pull vacancies."),
    "jobs.feed_invalid": N_("The node answered with something that is not a feed page."),
    "jobs.feed_malformed": N_("The node did not understand the request for its feed."),
    "jobs.feed_rewound": N_(
        "The node's feed went back in time (its database was restored); the next pull starts "
        "again from the beginning."
    ),
    "jobs.feed_conflict": N_("Another pull of the same node was running; the next pull goes on."),
}


def feed_of(request: Request) -> Feed:
    """The node's change feed (a FastAPI dependency).

    Raises:
        JobsError: this node has no jobs service (``jobs.unavailable``, a 503).
    """
    platform: Platform = request.app.state.platform
    if platform.jobs is None:
        raise JobsError("This node does not offer the jobs service.", reason="jobs.unavailable")
    return platform.jobs.feed


FeedDep = Annotated[Feed, Depends(feed_of)]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _render(
    request: Request,
    feed: Feed,
    *,
    results: dict[str, PullResult] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    templates: Templates = request.app.state.templates
    language: str = request.state.language
    now = feed.ctx.clock.now()

    def state(code: str) -> str:
        return MEMBER_STATES[code].name(language)

    def age(value: datetime | None) -> str:
        if value is None:
            return "—"
        seconds = max(int((now - value).total_seconds()), 0)
        if seconds < 60:  # noqa: PLR2004 - a minute
            return f"{seconds} s"
        if seconds < 3600:  # noqa: PLR2004 - an hour
            return f"{seconds // 60} min"
        if seconds < 172800:  # noqa: PLR2004 - two days
            return f"{seconds // 3600} h"
        return f"{seconds // 86400} d"

    def when(value: datetime | None) -> str:
        return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "—"

    return templates.render(
        request,
        "jobs_feed.html",
        {
            "statuses": feed.status(),
            "freshness": feed.freshness(),
            "publishes": feed.publishes(),
            "consumes": feed.consumes(),
            "results": results,
            "error": error,
            "reason_text": REASON_TEXT,
            "state": state,
            "age": age,
            "when": when,
        },
        status_code=status_code,
    )


def _home_operator(user: SignedIn) -> None:
    if user.foreign:
        raise RoleRefused(N_("The node's operator signs in at the portal of their own state."))


@router.get("/jobs/feed", response_class=HTMLResponse)
def feed_page(request: Request, feed: FeedDep, user: NodeOperator) -> HTMLResponse:
    """The operator: every peer's feed status, with «Sync now»."""
    _home_operator(user)
    return _render(request, feed)


@router.post("/jobs/feed/sync", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def feed_sync(
    request: Request,
    feed: FeedDep,
    user: NodeOperator,
    peer: Annotated[str, Form(max_length=2)] = "",
) -> HTMLResponse:
    """Pull one peer (``peer``) or every peer now, and show what happened."""
    _home_operator(user)
    try:
        results = {peer.upper(): feed.pull(peer)} if peer else feed.sync_all()
    except FeedRefused as exc:
        return _render(
            request, feed, error=REASON_TEXT.get(exc.reason, exc.message), status_code=422
        )
    return _render(request, feed, results=results)


@api.get("/freshness")
def freshness_api(feed: FeedDep) -> dict[str, Any]:
    """When each country's vacancies were last brought up to date here (``null``: never)."""
    return {
        "state": feed.ctx.state,
        "at": feed.ctx.clock.now().isoformat(),
        "freshness": {state: _iso(at) for state, at in feed.freshness().items()},
    }


def _status_json(feed: Feed) -> dict[str, Any]:
    peers = []
    for status in feed.status():
        item = asdict(status)
        for key, value in item.items():
            if isinstance(value, datetime):
                item[key] = value.isoformat()
        item["behind"] = status.behind
        peers.append(item)
    return {"state": feed.ctx.state, "peers": peers}


@api.get("/status", dependencies=[Depends(require_operator)])
def status_api(feed: FeedDep) -> dict[str, Any]:
    """The operator API: every peer's feed status."""
    return _status_json(feed)


@api.post("/sync", dependencies=[Depends(require_operator)])
def sync_api(
    feed: FeedDep,
    peer: Annotated[str | None, Body(embed=True, max_length=2)] = None,
) -> dict[str, Any]:
    """The operator API: pull one peer (``{"peer": "RU"}``) or every peer now.

    A refused pull (a state that does not take part) is a 4xx problem with the reason; a
    peer that does not answer is a result with ``ok: false`` and its reason.
    """
    results = {peer.upper(): feed.pull(peer)} if peer else feed.sync_all()
    return {"results": {state: asdict(result) for state, result in results.items()}}
