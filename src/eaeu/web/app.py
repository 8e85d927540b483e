"""The application factory: one FastAPI app per node (or for the union portal)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from eaeu import __version__
from eaeu.bootstrap import Platform, build
from eaeu.kernel.log import configure_logging, get_logger
from eaeu.kernel.settings import Settings, load_settings
from eaeu.web import (
    api,
    assertion_pages,
    consent_pages,
    documents_pages,
    errors,
    exchange_api,
    identity_pages,
    jobs_employer_pages,
    jobs_living_pages,
    jobs_move_pages,
    jobs_pages,
    jobs_people_pages,
    operator_pages,
    pages,
    travel_lab_pages,
    travel_pages,
    travel_verify_pages,
)
from eaeu.web.i18n import LanguageMiddleware
from eaeu.web.templating import Templates

STATIC = Path(__file__).with_name("static")
log = get_logger("eaeu.web")


def create_app(
    settings: Settings, *, platform: Platform | None = None, demo_data: bool = True
) -> FastAPI:
    """Build the web application for a node, or the union portal when no state is set.

    Args:
        settings: the node's settings.
        platform: an already wired platform (tests); built from ``settings`` otherwise.
        demo_data: seed a development node's demonstration data when building it.
    """
    wired = platform or build(settings, demo_data=demo_data)
    state = wired.state
    title = f"EAEU node {state.code}" if state else "EAEU Digital Platform"

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info("node.started", state=state.code if state else "portal", version=__version__)
        yield
        log.info("node.stopped", state=state.code if state else "portal")
        if platform is None:
            wired.close()

    app = FastAPI(
        title=title,
        version=__version__,
        summary="Common digital platform of the Eurasian Economic Union",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.platform = wired
    app.state.templates = Templates()
    app.state.node_info = {
        "state": state,
        "title": title,
        "is_portal": state is None,
    }
    app.state.render_error = _error_page_renderer(app)
    errors.install(app)

    app.add_middleware(LanguageMiddleware, default=settings.default_language)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title=f"{title} — API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
            # Nothing may be fetched from outside: no online validator badge.
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.include_router(api.router)
    app.include_router(exchange_api.router)
    app.include_router(exchange_api.operator)
    app.include_router(pages.router)
    app.include_router(operator_pages.router)
    app.include_router(identity_pages.router)
    app.include_router(assertion_pages.router)
    app.include_router(consent_pages.router)
    app.include_router(documents_pages.router)
    app.include_router(travel_verify_pages.router)
    # The lab desk and /travel/labs/manage first: /travel/labs/{lab_id} would take them.
    app.include_router(travel_lab_pages.router)
    app.include_router(travel_pages.router)
    app.include_router(jobs_employer_pages.router)
    app.include_router(jobs_people_pages.router)
    app.include_router(jobs_move_pages.router)
    app.include_router(jobs_living_pages.router)
    app.include_router(jobs_pages.router)
    # Who keeps what a visitor brings when they arrive from another state's node.
    app.state.arrival_listeners = [travel_pages.remember_visitor]
    return app


def _error_page_renderer(app: FastAPI) -> Callable[[Request, dict[str, Any]], Response]:
    def render(request: Request, body: dict[str, Any]) -> Response:
        if not hasattr(request.state, "language"):
            request.state.language = "en"
        templates: Templates = app.state.templates
        return templates.render(
            request, "error.html", {"problem": body}, status_code=body["status"]
        )

    return render


def create_app_from_env() -> FastAPI:
    """Build the app from ``EAEU_*`` environment variables (the uvicorn factory).

    ``eaeu node serve`` has migrated the database and seeded a development node's
    demonstration data before it starts the web workers, so they do not seed again.
    """
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings, demo_data=False)
