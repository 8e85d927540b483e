"""Smaller checks of the jobs pages the journey walks through.

* Every label the journey finds a control or a message by is in the Russian catalogue, and so
  is every label the move's templates pass through a variable (``{% set button = "…" %}``,
  the rows of a consent preview), which message extraction cannot see: a missing one is an
  English word on a Russian page.
* The public pages of the service (search, a vacancy, the living-and-working pages) answer in
  both languages on a real node, with the page's language declared.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from jobs_steps import make_shot
from playwright.sync_api import Page, expect

from eaeu.services.jobs.vacancies import DEMO_DRAFT, demo_vacancy_id
from eaeu.testing import RunningFederation
from eaeu.web.i18n import translations

HERE = Path(__file__).parent
TEMPLATES = Path(__file__).parents[2] / "src" / "eaeu" / "web" / "templates"
#: The functions of ``jobs_steps`` whose first (or, for ``tick_and_submit``, last) argument
#: is an English message id.
MSGID_CALLS = {"tr": 0, "text_pattern": 0, "tick_and_submit": -1}
#: Message ids the templates pass through variables: ``{% set button = "…" %}`` and the
#: ``("Label", value)`` rows of the consent preview's ``extra``.
VARIABLE_MSGIDS = (
    re.compile(r'{%\s*set\s+button\s*=\s*"([^"]+)"\s*%}'),
    re.compile(r'\(\s*"([A-Z][^"]+)"\s*,'),
)

shot = make_shot("jobs_pages")


def journey_msgids() -> set[str]:
    """The message ids written as literals in the journey's steps and test."""
    found: set[str] = set()
    for name in ("jobs_steps.py", "test_jobs_journey.py"):
        tree = ast.parse((HERE / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            position = MSGID_CALLS.get(node.func.id)
            if position is None or not node.args:
                continue
            argument = node.args[position]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.add(argument.value)
    return found


def template_variable_msgids() -> dict[str, set[str]]:
    """The message ids the jobs templates pass through variables, by template."""
    found: dict[str, set[str]] = {}
    for template in sorted(TEMPLATES.glob("jobs_*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern in VARIABLE_MSGIDS:
            for match in pattern.finditer(text):
                found.setdefault(template.name, set()).add(match.group(1))
    return found


class TestRussianCatalogue:
    def test_the_journey_finds_its_controls_by_labels_that_have_a_translation(self) -> None:
        catalogue = translations("ru")
        msgids = journey_msgids()
        assert len(msgids) > 40  # the extraction itself works
        missing = sorted(m for m in msgids if catalogue.gettext(m) == m)
        assert missing == []

    def test_labels_passed_through_template_variables_are_marked_for_translation(self) -> None:
        # A label set as a bare string and translated where it is used is invisible to the
        # extraction (and so stayed English on Russian pages): labels are set through _().
        assert template_variable_msgids() == {}


@pytest.mark.slow
class TestPublicPagesInBothLanguages:
    @pytest.mark.parametrize("language", ["en", "ru"])
    @pytest.mark.parametrize(
        "path",
        [
            "/jobs?q=%D0%BC%D0%BE%D0%BD%D1%82%D0%B0%D0%B6%D0%BD%D0%B8%D0%BA",
            f"/jobs/vacancies/{demo_vacancy_id('RU')}",
            "/jobs/living",
            "/jobs/living/ru",
        ],
        ids=["search", "vacancy", "living", "living_ru"],
    )
    def test_page_answers_in_the_language_asked(
        self, page: Page, running_federation: RunningFederation, path: str, language: str
    ) -> None:
        node = running_federation.nodes["RU"]
        separator = "&" if "?" in path else "?"
        response = page.goto(f"{node}{path}{separator}lang={language}")
        assert response is not None
        assert response.status == 200
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        if "vacancies" in path:
            expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_DRAFT.title)
        name = re.sub(r"\W+", "_", path.split("?", maxsplit=1)[0]).strip("_")
        shot(page, f"{name}_{language}")
