"""«Living and working in X»: what a worker from another member state needs to know, with sources.

The facts are data, not code (``data/living/*.json``), because the law they describe changes
often: ``union.json`` holds the rules of the whole union (Treaty on the EAEU, Section XXVI;
the 2019 pension agreement), and ``<cc>.json`` the rules of one state. A state's guide is
its own facts first in each section, then the union's. Every fact is written in English and
Russian, carries at least one source (from the project's reference notes) and a confidence:

* ``S`` — stated by the cited source;
* ``K`` — background knowledge that has not been checked against a primary source;
* ``C`` — sources conflict.

``K`` and ``C`` facts are shown with «check with the authority»: the platform must not
present them as settled. The files are checked when first read; a broken file is a
:class:`~eaeu.kernel.errors.ConfigurationError` naming the file and the problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Final

from eaeu.kernel.errors import ConfigurationError, NotFound
from eaeu.kernel.states import STATE_CODES

#: The sections of every guide, in the order they are shown.
SECTIONS: Final = (
    "work",
    "registration",
    "medical",
    "taxes",
    "schooling",
    "pensions",
    "diplomas",
    "changing_jobs",
    "complaints",
)
#: Confidence codes whose facts need checking with the authority.
UNSETTLED: Final = frozenset({"K", "C"})
CONFIDENCES: Final = frozenset({"S", *UNSETTLED})
LANGUAGES: Final = ("en", "ru")


class GuideNotFound(NotFound):
    """There is no guide for this state (the code is not a member state's)."""

    reason = "jobs.living_not_found"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a fact comes from.

    Attributes:
        title: what the source is (publisher and subject).
        url: its address (``https://``).
    """

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Fact:
    """One statement of a guide, in both languages.

    Attributes:
        text: language code → the statement.
        confidence: ``S`` (stated by the source), ``K`` (unchecked) or ``C`` (conflicting).
        sources: where it comes from (at least one).
        union: whether it is a rule of the whole union rather than of the state.
    """

    text: dict[str, str]
    confidence: str
    sources: tuple[Source, ...]
    union: bool

    @property
    def check_with_authority(self) -> bool:
        """Whether the fact is unsettled: shown with «check with the authority»."""
        return self.confidence in UNSETTLED

    def in_language(self, language: str) -> str:
        """The statement in ``language`` (English when there is no such translation)."""
        return self.text.get(language) or self.text["en"]


@dataclass(frozen=True, slots=True)
class Guide:
    """«Living and working in X» for one state.

    Attributes:
        state: the state's code.
        intro: language code → the guide's opening paragraph.
        sections: section key → its facts, the state's first (in :data:`SECTIONS` order).
        reviewed: when the facts were last reviewed.
    """

    state: str
    intro: dict[str, str]
    sections: dict[str, tuple[Fact, ...]]
    reviewed: date

    @property
    def unsettled(self) -> int:
        """How many facts of the guide need checking with the authority."""
        return sum(fact.check_with_authority for facts in self.sections.values() for fact in facts)

    def sources(self) -> list[Source]:
        """Every source the guide cites, once each, in order of first citation."""
        seen: dict[str, Source] = {}
        for facts in self.sections.values():
            for fact in facts:
                for source in fact.sources:
                    seen.setdefault(source.url, source)
        return list(seen.values())


def _problem(name: str, what: str) -> ConfigurationError:
    return ConfigurationError(f"jobs living guide {name}: {what}", reason="config.jobs_living_data")


def _text(name: str, value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or any(
        not isinstance(value.get(lang), str) or not value[lang].strip() for lang in LANGUAGES
    ):
        raise _problem(name, f"{where} needs a text in each of {', '.join(LANGUAGES)}")
    return {lang: value[lang].strip() for lang in LANGUAGES}


def _fact(name: str, value: Any, where: str, *, union: bool) -> Fact:
    if not isinstance(value, dict):
        raise _problem(name, f"{where} is not an object")
    confidence = value.get("confidence")
    if confidence not in CONFIDENCES:
        raise _problem(name, f"{where} has no confidence S, K or C")
    raw_sources = value.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise _problem(name, f"{where} cites no source")
    sources = []
    for index, source in enumerate(raw_sources):
        title = source.get("title") if isinstance(source, dict) else None
        url = source.get("url") if isinstance(source, dict) else None
        if not isinstance(title, str) or not title.strip():
            raise _problem(name, f"{where} source {index} has no title")
        if not isinstance(url, str) or not url.startswith("https://") or " " in url:
            raise _problem(name, f"{where} source {index} is not an https address")
        sources.append(Source(title.strip(), url))
    return Fact(_text(name, value, where), confidence, tuple(sources), union)


def _sections(name: str, document: Any, *, union: bool) -> dict[str, tuple[Fact, ...]]:
    if not isinstance(document, dict) or document.get("version") != 1:
        raise _problem(name, "is not a version 1 guide")
    raw = document.get("sections")
    if not isinstance(raw, dict):
        raise _problem(name, "has no sections")
    unknown = set(raw) - set(SECTIONS)
    if unknown:
        raise _problem(name, f"has unknown sections {', '.join(sorted(unknown))}")
    sections: dict[str, tuple[Fact, ...]] = {}
    for key in SECTIONS:
        facts = raw.get(key, [])
        if not isinstance(facts, list):
            raise _problem(name, f"section {key} is not a list")
        sections[key] = tuple(
            _fact(name, fact, f"{key}[{index}]", union=union) for index, fact in enumerate(facts)
        )
    return sections


def _read(name: str) -> Any:
    path = resources.files("eaeu.services.jobs").joinpath("data", "living", name)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _problem(name, f"cannot be read ({type(exc).__name__})") from None


def parse_guide(state: str, document: Any, union: Any) -> Guide:
    """Build ``state``'s guide from its document and the union's.

    Raises:
        ConfigurationError: either document breaks the format (``config.jobs_living_data``).
    """
    name = f"{state.lower()}.json"
    own = _sections(name, document, union=False)
    common = _sections("union.json", union, union=True)
    if document.get("scope") != state:
        raise _problem(name, f"is not the guide of {state}")
    try:
        reviewed = date.fromisoformat(str(document.get("reviewed")))
    except ValueError:
        raise _problem(name, "has no review date") from None
    return Guide(
        state=state,
        intro=_text(name, document.get("intro"), "intro"),
        sections={key: own[key] + common[key] for key in SECTIONS},
        reviewed=reviewed,
    )


@cache
def guide(state: str) -> Guide:
    """The guide of ``state`` (read and checked once per process).

    Raises:
        GuideNotFound: ``state`` is not a member state's code.
        ConfigurationError: its data file is broken.
    """
    code = state.upper()
    if code not in STATE_CODES:
        raise GuideNotFound("There is no guide for this country.")
    return parse_guide(code, _read(f"{code.lower()}.json"), _read("union.json"))


def guides() -> list[Guide]:
    """The guides of every member state, in code order."""
    return [guide(code) for code in STATE_CODES]


__all__ = [
    "SECTIONS",
    "Fact",
    "Guide",
    "GuideNotFound",
    "Source",
    "guide",
    "guides",
    "parse_guide",
]
