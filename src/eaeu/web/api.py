"""The node's JSON API: health, the node document, member states and identifier checks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from eaeu import __version__
from eaeu.bootstrap import Platform
from eaeu.kernel import identifiers
from eaeu.kernel.errors import PlatformError
from eaeu.kernel.states import MEMBER_STATES, MemberState, get_state
from eaeu.web.errors import PROBLEM_JSON
from eaeu.web.federation import probe
from eaeu.web.services import NODE_SERVICES

router = APIRouter()


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def _state_json(state: MemberState) -> dict[str, Any]:
    return {
        "code": state.code,
        "alpha3": state.alpha3,
        "names": {lang: name.short for lang, name in state.names.items()},
        "official_names": {lang: name.official for lang, name in state.names.items()},
        "national_language": state.national_language,
        "languages": list(state.languages),
        "currency": state.currency,
        "time_zone": state.time_zone,
    }


#: How long a database check result is reused; a burst of probes costs one query.
HEALTH_CACHE_S = 1.0


def _database_ok(platform: Platform) -> bool:
    try:
        with platform.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


def _trust_check(platform: Platform) -> tuple[str, str | None]:
    """The trust list check of ``/healthz``: its state, and a problem sentence if any."""
    if platform.exchange is None:
        return "not configured", None
    try:
        trust = platform.exchange.trust.current()
    except PlatformError:
        return "none", "The node has not accepted a union trust list; it exchanges nothing."
    if trust.expires_at <= platform.clock.now():
        return "expired", (
            f"The union trust list (version {trust.version}) expired at "
            f"{trust.expires_at.isoformat()}; the node refuses to exchange until a new "
            "version is accepted."
        )
    return f"ok (version {trust.version})", None


@router.get("/healthz", tags=["node"], summary="Liveness and readiness of this node")
async def healthz(request: Request) -> JSONResponse:
    """Answer 200 when the node and its database work, 503 with the reason otherwise."""
    platform = _platform(request)
    state = request.app.state
    now = platform.clock.monotonic()
    cached: tuple[float, bool] | None = getattr(state, "health_cache", None)
    if cached is None or now - cached[0] >= HEALTH_CACHE_S:
        cached = (now, await run_in_threadpool(_database_ok, platform))
        state.health_cache = cached
    checks = {"database": "ok" if cached[1] else "unavailable"}
    problems = [] if cached[1] else ["The node cannot reach its database."]
    if platform.state is not None:
        checks["trust_list"], trust_problem = _trust_check(platform)
        if trust_problem:
            problems.append(trust_problem)
    healthy = not problems
    body: dict[str, Any] = {
        "status": "ok" if healthy else "unavailable",
        "state": platform.state.code if platform.state else None,
        "role": "node" if platform.state else "portal",
        "version": __version__,
        "checks": checks,
    }
    if healthy:
        return JSONResponse(body)
    body.update(
        type="https://eaeu.dev/problems/node.unhealthy",
        title="Service unavailable",
        status=503,
        detail=" ".join(problems),
        reason="node.unhealthy",
    )
    return JSONResponse(body, status_code=503, media_type=PROBLEM_JSON)


@router.get(
    "/.well-known/eaeu-node",
    tags=["node"],
    summary="The node document: state, version, public endpoints and services",
)
def node_document(request: Request) -> dict[str, Any]:
    """Describe this node for peers, portals and people."""
    platform = _platform(request)
    base = platform.settings.public_url.rstrip("/")
    return {
        "state": platform.state.code if platform.state else None,
        "role": "node" if platform.state else "portal",
        "names": (
            {lang: name.short for lang, name in platform.state.names.items()}
            if platform.state
            else {"en": "EAEU Digital Platform", "ru": "Цифровая платформа ЕАЭС"}
        ),
        "version": __version__,
        "api_version": "v1",
        "endpoints": {
            "portal": f"{base}/",
            "api": f"{base}/api/v1",
            "openapi": f"{base}/api/openapi.json",
            "docs": f"{base}/api/docs",
            "healthz": f"{base}/healthz",
        },
        "services": [
            {
                "id": service.id,
                "names": {"en": service.name_en, "ru": service.name_ru},
                "page": f"{base}{service.page}",
                "api": f"{base}{service.api}" if service.api else None,
            }
            for service in (NODE_SERVICES if platform.state else ())
        ],
    }


@router.get("/api/v1/states", tags=["reference"], summary="The member states of the union")
def list_states() -> list[dict[str, Any]]:
    """List the member states with names, languages, currency and time zone."""
    return [_state_json(state) for state in MEMBER_STATES.values()]


@router.get("/api/v1/states/{code}", tags=["reference"], summary="One member state")
def one_state(code: str) -> dict[str, Any]:
    """Return one member state by ISO 3166-1 alpha-2 code."""
    return _state_json(get_state(code))


class IdentifierQuery(BaseModel):
    """A national identifier to check."""

    state: str = Field(min_length=2, max_length=2, examples=["KZ"])
    kind: str = Field(min_length=2, max_length=32, examples=["iin"])
    value: str = Field(min_length=1, max_length=64, examples=["900101300017"])


@router.get("/api/v1/identifiers/kinds", tags=["identifiers"], summary="Supported identifiers")
def identifier_kinds(state: str | None = None) -> list[dict[str, str]]:
    """List the (state, kind) pairs the validators cover."""
    code = get_state(state).code if state else None
    return [{"state": s, "kind": k} for s, k in identifiers.kinds(code)]


@router.post(
    "/api/v1/identifiers/check",
    tags=["identifiers"],
    summary="Check a national identifier against its published rule",
)
def check_identifier(query: IdentifierQuery) -> dict[str, Any]:
    """Validate; 200 with the normalised value and the rule applied, or 422 with the reason."""
    result = identifiers.validate(query.state.upper(), query.kind, query.value)
    return {
        "valid": True,
        "state": result.state,
        "kind": result.kind,
        "value": result.value,
        "checksum_verified": result.checksum_verified,
        "official_rule": result.official,
        "rule": result.rule,
    }


@router.get("/api/v1/federation", tags=["federation"], summary="Live status of every node")
async def federation_status(
    request: Request,
    wait_s: Annotated[
        float, Query(alias="timeout", gt=0, le=10, description="Seconds to wait per node")
    ] = 1.5,
) -> dict[str, Any]:
    """Ask every node of the federation for its node document now."""
    platform = _platform(request)
    statuses = await probe(platform.federation.nodes, wait_s=wait_s)
    return {
        "portal": platform.federation.portal,
        "nodes": [
            {
                "state": status.state,
                "url": status.url,
                "online": status.online,
                "version": (status.document or {}).get("version"),
                "services": [s.get("id") for s in (status.document or {}).get("services", [])],
            }
            for status in statuses
        ],
    }
