"""ISCO-08 occupation groups in English and Russian, and the occupations a query names.

ISCO-08 is the pivot between languages: a vacancy carries its unit group (four digits),
and a query in any language is mapped to the unit groups whose labels it names, so that
«водитель» finds an English "truck driver" advert and "welder" a Russian «сварщик».

The data ships in ``data/`` (see ``data/ISCO_SOURCES.md``):

* ``isco_groups.csv`` — all 619 ISCO-08 groups (10 major, 43 sub-major, 130 minor, 436
  unit groups) with the English label from ESCO and the Russian label written for the
  project in the wording of Russia's ОКЗ ОК 010-2014 (major, sub-major and unit groups;
  a minor group without one shows its English label);
* ``isco_synonyms.csv`` — search synonyms per unit group: the preferred and alternative
  labels of the ESCO occupations classified in it (English, up to three words), a list of
  everyday English job titles, and everyday Russian job titles («водитель такси»,
  «сварщик», «медсестра»).

:func:`catalogue` loads them once; :meth:`Catalogue.match` scores unit groups for the
words of a query by how much of a label the query covers. A generic word covers part of
the labels of its kinds, so «водитель» also finds bus and truck drivers; a few words are
broader than any one trade (:data:`BROAD_WORDS`: «монтажник» installs buildings, pipes,
alarms and air conditioners alike) and on their own name only the groups where they are a
whole label — «монтажник связи» still names telecom installers. Among codes of equal
score, those whose own ISCO label names a query word come first ("driver" → bus and
truck drivers before bulldozer drivers), then those with more labels at that score.
"""

# The Russian classification is named in its own script.
# ruff: noqa: RUF002

from __future__ import annotations

import csv
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from typing import Final

from eaeu.services.jobs.search_text import stems

#: The lengths of an ISCO-08 code at each level.
LEVELS: Final = {1: "major", 2: "sub-major", 3: "minor", 4: "unit"}
#: The most unit groups a query is mapped to.
MAX_CODES: Final = 8
# A code counts for a query when its best label scores at least this share of the best
# code's score ("водитель" → taxi 1.0, bus and truck drivers 0.5, all kept).
_RELATIVE_CUTOFF: Final = 0.5
_MIN_SCORE: Final = 0.2
#: Words that name several unrelated trades: without a qualifier they count only for the
#: groups where they are a whole label (everyday usage: a «монтажник» on a building site).
BROAD_WORDS: Final = ("монтажник", "монтажница", "installer", "builder")
_BROAD_STEMS: Final = frozenset(stem for word in BROAD_WORDS for stem in stems(word))


@dataclass(frozen=True, slots=True)
class Group:
    """One ISCO-08 group.

    Attributes:
        code: one to four digits.
        label_en: the English label (ESCO).
        label_ru: the Russian label (ОКЗ-style; the English one where the project has none).
    """

    code: str
    label_en: str
    label_ru: str

    @property
    def level(self) -> str:
        """``major``, ``sub-major``, ``minor`` or ``unit``."""
        return LEVELS[len(self.code)]

    def label(self, lang: str) -> str:
        """The label in ``lang`` (``ru`` or anything else for English)."""
        return self.label_ru if lang == "ru" else self.label_en


@dataclass(frozen=True, slots=True)
class _Label:
    code: str
    stems: frozenset[str]
    official: bool


@dataclass(slots=True)
class Catalogue:
    """The ISCO-08 groups and an index of their labels' stems.

    Attributes:
        groups: every group by code.
    """

    groups: dict[str, Group]
    _labels: list[_Label] = field(default_factory=list)
    _postings: dict[str, list[int]] = field(default_factory=dict)

    def add_label(self, code: str, text: str, *, official: bool = False) -> None:
        """Index one label or synonym of a unit group.

        Args:
            code: the unit group.
            text: the label or synonym.
            official: whether it is the group's own label (ESCO or ОКЗ), not a synonym.
        """
        label_stems = frozenset(stems(text))
        if not label_stems:
            return
        number = len(self._labels)
        self._labels.append(_Label(code, label_stems, official))
        for item in label_stems:
            self._postings.setdefault(item, []).append(number)

    def get(self, code: str) -> Group | None:
        """The group with ``code``, or ``None``."""
        return self.groups.get(code)

    def units(self) -> list[Group]:
        """Every unit group, in code order."""
        return [group for code, group in sorted(self.groups.items()) if len(code) == 4]  # noqa: PLR2004

    def majors(self) -> list[Group]:
        """The ten major groups, in code order."""
        return [group for code, group in sorted(self.groups.items()) if len(code) == 1]

    def knows(self, query_stem: str) -> bool:
        """Whether some label contains the stem (the word names an occupation)."""
        return query_stem in self._postings

    def match(self, query_stems: list[str]) -> dict[str, float]:
        """Score unit groups for the occupation words of a query.

        Only the stems some label contains take part (others — places, employers — are
        left to the text search). A label scores the share of its stems the query covers
        when it contains every occupation stem of the query; when no label contains them
        all, the labels with the most of them score that share, halved. A label covered
        only by :data:`BROAD_WORDS` counts only when it is covered whole.

        Args:
            query_stems: the query's stems (:func:`~.search_text.stems`).

        Returns:
            Up to :data:`MAX_CODES` unit-group codes with scores in (0, 1], best first
            (ties: named by the group's own label, more labels at that score, code).
        """
        wanted = [item for item in query_stems if item in self._postings]
        if not wanted:
            return {}
        hits: dict[int, int] = defaultdict(int)
        for item in wanted:
            for number in self._postings[item]:
                hits[number] += 1
        scores, support = self._best_labels(hits, frozenset(wanted))
        if not scores:
            return {}
        named = {self._labels[n].code for n in hits if self._labels[n].official}
        best = max(scores.values())
        floor = max(best * _RELATIVE_CUTOFF, _MIN_SCORE)
        ranked = sorted(
            ((code, score) for code, score in scores.items() if score >= floor),
            key=lambda pair: (-pair[1], pair[0] not in named, -support[pair[0]], pair[0]),
        )
        return dict(ranked[:MAX_CODES])

    def _best_labels(
        self, hits: dict[int, int], wanted: frozenset[str]
    ) -> tuple[dict[str, float], dict[str, int]]:
        """Each code's best label score, and how many of its labels reach it."""
        most = max(hits.values())
        penalty = 1.0 if most == len(wanted) else 0.5
        scores: dict[str, float] = {}
        support: dict[str, int] = defaultdict(int)
        for number, count in hits.items():
            label = self._labels[number]
            if count != most or (
                count < len(label.stems) and label.stems.intersection(wanted) <= _BROAD_STEMS
            ):
                continue
            score = penalty * count / len(label.stems)
            if score > scores.get(label.code, 0.0):
                scores[label.code] = score
                support[label.code] = 1
            elif score == scores[label.code]:
                support[label.code] += 1
        return scores, support


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("eaeu.services.jobs").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@functools.cache
def catalogue() -> Catalogue:
    """The ISCO-08 catalogue, loaded from the packaged data on first use."""
    groups = {
        row["code"]: Group(row["code"], row["label_en"], row["label_ru"] or row["label_en"])
        for row in _read("isco_groups.csv")
    }
    result = Catalogue(groups)
    for group in groups.values():
        if group.level == "unit":
            result.add_label(group.code, group.label_en, official=True)
            result.add_label(group.code, group.label_ru, official=True)
    for row in _read("isco_synonyms.csv"):
        if len(row["code"]) == 4:  # noqa: PLR2004 - synonyms of broader groups are too vague
            for label in row["labels"].split(";"):
                result.add_label(row["code"], label)
    return result


def describe(code: str | None, lang: str) -> str:
    """The label of ``code`` in ``lang`` ("" for no code or an unknown one)."""
    if not code:
        return ""
    group = catalogue().get(code)
    return group.label(lang) if group else ""
