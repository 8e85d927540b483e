"""Query analysis: folding, homoglyphs, stemming in Russian and English, and query parsing."""

# ruff: noqa: RUF003

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from eaeu.services.jobs.search import _filters, _plan
from eaeu.services.jobs.search_errors import SearchInvalid
from eaeu.services.jobs.search_query import MAX_RESULTS, SearchQuery, analyse
from eaeu.services.jobs.search_text import fix_homoglyphs, fold, stem, stems, tokens


class TestFolding:
    def test_case_yo_and_accents(self):
        assert fold("ЁЛКА Naïve") == "елка naive"
        assert fold("Йошкар-Ола") == "йошкар-ола"

    def test_homoglyphs_go_to_the_dominant_script(self):
        assert fix_homoglyphs("вoдитель") == "водитель"  # a Latin "o"
        assert fix_homoglyphs("wеlder") == "welder"  # a Cyrillic "е"
        assert fix_homoglyphs("c++") == "c++"

    def test_tokens_split_on_punctuation(self):
        assert tokens("Водитель-экспедитор (C/CE), 1С") == [
            "водитель",
            "экспедитор",
            "c",
            "ce",
            "1с",
        ]


class TestStemming:
    @pytest.mark.parametrize(
        ("words", "expected"),
        [
            (("водитель", "водителя", "водители", "водителей"), "водител"),
            (("сварщик", "сварщика", "сварщики"), "сварщик"),
            (("медсестра", "медсестры"), "медсестр"),
            (("driver", "drivers"), "driver"),
            (("nurse", "nurses", "nursing"), "nurs"),
            (("cook", "cooks", "cooking"), "cook"),
        ],
    )
    def test_inflections_share_a_stem(self, words, expected):
        assert {stem(word) for word in words} == {expected}

    def test_snowball_steps(self):
        assert stem("красивейший") == "красив"
        assert stem("бегавшая") == "бега"
        assert stem("babies") == "baby"
        assert stem("bus") == "bus"

    def test_stopwords_and_repeats_are_dropped(self):
        assert stems("Работа водителем в Москве и в Москве") == ["водител", "москв"]


class TestQuery:
    def test_reads_and_writes_url_parameters(self):
        query = SearchQuery.from_params(
            {"q": "сварщик", "country": ["RU", "kz"], "salary": "80 000", "housing": "1",
             "employment": "full_time,seasonal", "sort": "salary", "page": "2"}
        )  # fmt: skip
        assert query.countries == ("RU", "KZ")
        assert query.salary_min == 80000
        assert query.employment_types == ("full_time", "seasonal")
        assert query.offset == 20
        assert SearchQuery.from_params(parse_qs(query.query_string(page=2))) == query

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"country": "XX"}, "country"),
            ({"salary": "-5"}, "salary"),
            ({"salary": "99999999"}, "salary"),
            ({"occupation": "9999"}, "occupation"),
            ({"employment": "forever"}, "employment"),
            ({"schedule": "nights"}, "schedule"),
            ({"sort": "random"}, "sort"),
            ({"housing": "maybe"}, "housing"),
            ({"per_page": "500"}, "per_page"),
            ({"q": "x" * 201}, "q"),
        ],
    )
    def test_refuses_bad_parameters_naming_the_field(self, params, field):
        with pytest.raises(SearchInvalid) as raised:
            SearchQuery.from_params(params)
        assert raised.value.field == field

    def test_deep_pages_are_refused(self):
        with pytest.raises(SearchInvalid, match=f"first {MAX_RESULTS} results"):
            SearchQuery(page=MAX_RESULTS // 20 + 1)


class TestPlan:
    def test_occupation_words_and_free_words(self):
        analysis = analyse("водитель Москва")
        assert analysis.free == ("москв",)
        assert next(iter(analysis.codes)) == "8322"

    def test_filters_become_indexed_words(self):
        expr = _filters(
            SearchQuery(countries=("RU",), housing=True, salary_min=95000, schedules=("rotation",))
        )
        assert (
            expr.fts5()
            == '(tags : "xcru" AND tags : "xh1" AND tags : "xwrotation" AND tags : "xs80")'
        )
        assert expr.tsquery() == "('xcru' & 'xh1' & 'xwrotation' & 'xs80')"

    def test_tiers_put_title_and_occupation_first(self):
        plan = _plan(SearchQuery(text="сварщик"))
        assert [name for name, _ in plan.tiers] == [
            "title+occupation",
            "occupation",
            "title",
            "text",
        ]
        assert plan.tiers[0][1].tsquery() == "('сварщик':*A & 'xo7212')"

    def test_words_are_quoted_so_no_query_syntax_gets_through(self):
        plan = _plan(SearchQuery(text="\"x\" OR y* NEAR(z) & !w 'q':*"))
        assert plan.tiers[-1][1].fts5() == ('("x" AND "y" AND "near"* AND "z" AND "w" AND "q")')
        assert plan.tiers[-1][1].tsquery() == "('x' & 'y' & 'near':* & 'z' & 'w' & 'q')"
