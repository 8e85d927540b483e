"""«Living and working in X»: one page per member state, for people thinking of moving there.

* ``/jobs/living`` — the five states, with how many points of each guide are unsettled.
* ``/jobs/living/<cc>`` — one state's guide: registration, medical care, taxes at resident
  rates, schooling, pensions under the 2019 agreement, recognition of diplomas, changing
  jobs and where to complain; each fact with its sources, and «check with the authority»
  on the points that are unchecked or disputed.
* ``GET /api/v1/jobs/living/<cc>`` — the same guide as JSON.

The facts are data (:mod:`eaeu.services.jobs.living`) written in English and Russian, so a
page shows them in the visitor's language and never runs them through the catalogue; only
the headings and labels here are translated. The router also carries the change feed's
pages (:mod:`eaeu.web.jobs_feed_pages`), which ``app.py`` includes through this one.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from eaeu.kernel.states import MEMBER_STATES
from eaeu.services.jobs.living import SECTIONS, Fact, Guide, guide, guides
from eaeu.web import jobs_feed_pages
from eaeu.web.templating import Templates

router = APIRouter()
router.include_router(jobs_feed_pages.router)
router.include_router(jobs_feed_pages.api)
api = APIRouter(prefix="/api/v1/jobs/living", tags=["jobs"])


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; it is translated when rendered."""
    return message


#: Each section's heading and the question it answers.
SECTION_TITLES: Final = {
    "work": (N_("The right to work"), N_("Do I need a work permit?")),
    "registration": (N_("Registration"), N_("What do I do after I arrive, and by when?")),
    "medical": (N_("Medical care"), N_("Who pays when I or my family need a doctor?")),
    "taxes": (N_("Taxes"), N_("At what rate is my pay taxed?")),
    "schooling": (N_("Schooling"), N_("Can my children go to school there?")),
    "pensions": (N_("Pensions"), N_("Does my work there count towards a pension?")),
    "diplomas": (N_("Recognition of diplomas"), N_("Is my diploma valid there?")),
    "changing_jobs": (N_("Changing jobs"), N_("What if my job ends early?")),
    "complaints": (N_("Where to complain"), N_("Who helps when something goes wrong?")),
}
CONFIDENCE_LABELS: Final = {
    "S": N_("Stated by the source"),
    "K": N_("Not yet checked against the law: check with the authority"),
    "C": N_("Sources disagree: check with the authority"),
}


def _render(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    templates: Templates = request.app.state.templates
    language: str = request.state.language

    def state(code: str) -> str:
        return MEMBER_STATES[code].name(language)

    return templates.render(
        request,
        name,
        {
            "state": state,
            "section_titles": SECTION_TITLES,
            "confidence_labels": CONFIDENCE_LABELS,
            "sections": SECTIONS,
            **context,
        },
    )


@router.get("/jobs/living", response_class=HTMLResponse, include_in_schema=False)
def living_index(request: Request) -> HTMLResponse:
    """The five guides, one card per state."""
    return _render(request, "jobs_living.html", {"guides": guides()})


@router.get("/jobs/living/{code}", response_class=HTMLResponse, include_in_schema=False)
def living_state(request: Request, code: str) -> HTMLResponse:
    """One state's guide, in the visitor's language, with the sources of every fact."""
    chosen = guide(code)
    return _render(
        request,
        "jobs_living_state.html",
        {"guide": chosen, "others": [g.state for g in guides() if g.state != chosen.state]},
    )


def _fact_json(fact: Fact) -> dict[str, Any]:
    return {
        "text": fact.text,
        "confidence": fact.confidence,
        "check_with_authority": fact.check_with_authority,
        "scope": "union" if fact.union else "state",
        "sources": [{"title": s.title, "url": s.url} for s in fact.sources],
    }


def guide_json(chosen: Guide) -> dict[str, Any]:
    """A guide as the API returns it."""
    return {
        "state": chosen.state,
        "reviewed": chosen.reviewed.isoformat(),
        "intro": chosen.intro,
        "sections": {key: [_fact_json(fact) for fact in chosen.sections[key]] for key in SECTIONS},
    }


@api.get("/{code}")
def living_api(code: str) -> dict[str, Any]:
    """«Living and working in X» for one state, both languages, with sources."""
    return guide_json(guide(code))


router.include_router(api)
