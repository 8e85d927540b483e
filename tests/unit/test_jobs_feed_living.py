"""«Living and working in X» as data: every guide complete, bilingual and sourced.

The guides are checked against the project's reference notes (``labour.md``): every source a
guide cites comes from there, and a fact the notes mark as background knowledge [K] or as
conflicting [C] is shown with «check with the authority».
"""

from __future__ import annotations

import copy
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from eaeu.kernel.errors import ConfigurationError
from eaeu.kernel.states import STATE_CODES
from eaeu.services.jobs import living
from eaeu.services.jobs.living import SECTIONS, GuideNotFound, guide, guides, parse_guide

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference" / "labour.md"
#: What the brief asks each guide to cover.
REQUIRED = ("registration", "medical", "taxes", "schooling", "pensions", "diplomas",
            "changing_jobs", "complaints")  # fmt: skip


def _text(state: str) -> str:
    chosen = guide(state)
    return " ".join(f.text["en"] for facts in chosen.sections.values() for f in facts)


class TestEveryGuide:
    @pytest.mark.parametrize("state", STATE_CODES)
    def test_covers_every_section_in_both_languages(self, state):
        chosen = guide(state)
        assert chosen.state == state
        for key in REQUIRED:
            assert chosen.sections[key], f"{state} has nothing on {key}"
        for facts in chosen.sections.values():
            for fact in facts:
                assert fact.text["en"]
                assert fact.text["ru"]
                assert fact.text["en"] != fact.text["ru"]
                assert any("а" <= ch <= "я" for ch in fact.text["ru"].lower())
                assert fact.sources

    @pytest.mark.parametrize("state", STATE_CODES)
    def test_states_resident_tax_rates_and_the_2019_pension_agreement(self, state):
        text = _text(state)
        assert "resident" in text
        assert "Art. 73" in text
        assert "20 December 2019" in text

    def test_unsettled_points_are_marked_to_check_with_the_authority(self):
        ru = guide("RU")
        ruid = next(f for f in ru.sections["registration"] if "ruID" in f.text["en"])
        assert ruid.confidence == "C"
        assert ruid.check_with_authority
        schooling = next(f for f in ru.sections["schooling"] if f.union)
        assert schooling.check_with_authority  # [K] in the notes: Art. 98 schooling
        exam = next(f for f in ru.sections["registration"] if "fingerprinting" in f.text["en"])
        assert not exam.check_with_authority
        assert all(g.unsettled > 0 for g in guides())

    def test_state_facts_come_before_the_unions(self):
        sections = guide("KZ").sections["registration"]
        scopes = [fact.union for fact in sections]
        assert scopes == sorted(scopes)
        assert scopes[0] is False
        assert scopes[-1] is True

    def test_lists_each_source_once(self):
        sources = guide("RU").sources()
        assert len({s.url for s in sources}) == len(sources)
        assert all(s.url.startswith("https://") for s in sources)

    def test_cites_only_sources_named_in_the_reference_notes(self):
        notes = REFERENCE.read_text(encoding="utf-8")
        for chosen in guides():
            for source in chosen.sources():
                parts = urlsplit(source.url)
                host = parts.netloc.removeprefix("www.")
                assert host in notes, source.url
                path = parts.path.strip("/")
                first = path.split("/")[0] if path else ""
                if first and host != "ru.wikisource.org":
                    assert f"{host}/{first}" in notes, source.url


class TestReading:
    def test_accepts_a_lowercase_code(self):
        assert guide("kg").state == "KG"

    def test_refuses_a_code_that_is_not_a_member_state(self):
        with pytest.raises(GuideNotFound, match="no guide"):
            guide("UZ")

    def _documents(self):
        return copy.deepcopy(living._read("ru.json")), copy.deepcopy(living._read("union.json"))

    def test_refuses_a_fact_without_a_source(self):
        document, union = self._documents()
        document["sections"]["taxes"][0]["sources"] = []
        with pytest.raises(ConfigurationError, match=r"ru\.json: taxes\[0\] cites no source"):
            parse_guide("RU", document, union)

    def test_refuses_a_fact_missing_its_russian_text(self):
        document, union = self._documents()
        del union["sections"]["pensions"][0]["ru"]
        with pytest.raises(ConfigurationError, match=r"union\.json: pensions\[0\] needs a text"):
            parse_guide("RU", document, union)

    def test_refuses_an_unknown_confidence(self):
        document, union = self._documents()
        document["sections"]["medical"][0]["confidence"] = "maybe"
        with pytest.raises(ConfigurationError, match="no confidence S, K or C"):
            parse_guide("RU", document, union)

    def test_refuses_a_source_that_is_not_https(self):
        document, union = self._documents()
        document["sections"]["medical"][0]["sources"][0]["url"] = "http://example.org/"
        with pytest.raises(ConfigurationError, match="not an https address"):
            parse_guide("RU", document, union)

    def test_refuses_an_unknown_section(self):
        document, union = self._documents()
        document["sections"]["weather"] = []
        with pytest.raises(ConfigurationError, match="unknown sections weather"):
            parse_guide("RU", document, union)

    def test_refuses_another_states_guide(self):
        document, union = self._documents()
        with pytest.raises(ConfigurationError, match="not the guide of KZ"):
            parse_guide("KZ", document, union)

    def test_keeps_the_section_order(self):
        assert tuple(guide("AM").sections) == SECTIONS
