"""Jinja2 templates for portal pages, with the request's language installed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from eaeu import __version__
from eaeu.kernel.states import MEMBER_STATES, STATE_CODES
from eaeu.web.auth import attach_csrf_cookie, template_globals
from eaeu.web.i18n import COOKIE, LANGUAGES, translations

TEMPLATES = Path(__file__).with_name("templates")


class Templates:
    """Renders templates in the language chosen for the request."""

    def __init__(self) -> None:
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            version=__version__,
            languages=LANGUAGES,
            member_states=MEMBER_STATES,
            state_codes=STATE_CODES,
        )
        self.env.globals.update(template_globals())

    def render(
        self, request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
    ) -> HTMLResponse:
        """Render ``name`` for ``request``; remember an explicit language choice in a cookie."""
        language: str = request.state.language
        catalog = translations(language)
        template = self.env.get_template(name)
        html = template.render(
            request=request,
            lang=language,
            _=catalog.gettext,
            gettext=catalog.gettext,
            ngettext=catalog.ngettext,
            node=request.app.state.node_info,
            **context,
        )
        response = HTMLResponse(html, status_code=status_code)
        attach_csrf_cookie(request, response)
        chosen = request.query_params.get("lang")
        if chosen in LANGUAGES:
            response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax")
        return response
