"""The ISCO-08 catalogue: every group labelled in English and Russian, and query matching."""

from __future__ import annotations

from importlib import resources

import pytest

from eaeu.services.jobs.isco import MAX_CODES, catalogue, describe
from eaeu.services.jobs.search_text import stems


class TestGroups:
    def test_has_every_group_of_isco_08(self):
        levels = [group.level for group in catalogue().groups.values()]
        assert (levels.count("major"), levels.count("sub-major")) == (10, 43)
        assert (levels.count("minor"), levels.count("unit")) == (130, 436)

    def test_every_unit_and_major_group_has_a_russian_label(self):
        groups = catalogue().units() + catalogue().majors()
        missing = [group.code for group in groups if group.label_ru == group.label_en]
        assert missing == []
        assert all(any("а" <= ch <= "я" for ch in g.label_ru.lower()) for g in groups)

    def test_labels_in_each_language(self):
        assert describe("8332", "en") == "Heavy truck and lorry drivers"
        assert describe("8332", "ru") == "Водители грузовых автомобилей"
        assert describe(None, "ru") == describe("9999", "en") == ""

    def test_ships_the_esco_attribution(self):
        notice = resources.files("eaeu.services.jobs").joinpath("data", "ISCO_SOURCES.md")
        text = notice.read_text("utf-8")
        assert "ESCO" in text
        assert "2011/833/EU" in text


class TestMatch:
    @pytest.mark.parametrize(
        ("query", "code"),
        [
            ("водитель грузовика", "8332"),
            ("truck driver", "8332"),
            ("сварщики", "7212"),
            ("welders", "7212"),
            ("медсестра", "3221"),
            ("грузчик", "9333"),
            ("warehouse loader", "9333"),
            ("программист", "2512"),
            ("машиниста крана", "8343"),
        ],
    )
    def test_names_the_occupation_in_either_language(self, query, code):
        assert next(iter(catalogue().match(stems(query)))) == code

    def test_scores_best_first_and_keeps_at_most_a_few_codes(self):
        codes = catalogue().match(stems("водитель"))
        assert next(iter(codes)) == "8322"
        assert codes["8322"] == 1.0
        assert {"8331", "8332"} <= set(codes)
        assert len(codes) <= MAX_CODES
        assert list(codes.values()) == sorted(codes.values(), reverse=True)

    def test_words_that_name_no_occupation_are_left_to_the_text(self):
        assert catalogue().match(stems("москва")) == {}
        assert catalogue().knows("москв") is False
        assert catalogue().match(stems("водитель москва"))["8322"] == 1.0


class TestEverydayWords:
    """Common job words name the trade people mean, first, and not its unrelated kinds."""

    @pytest.mark.parametrize(
        ("query", "first", "also", "never"),
        [
            ("монтажник", "7119", set(), {"7126", "7127", "3522", "7422"}),
            ("монтажники", "7119", set(), {"7126", "7127", "3522", "7422"}),
            ("монтажник строительных конструкций", "7119", set(), {"7126", "7422"}),
            ("construction installer", "7119", set(), {"7126", "7127", "7422", "7215"}),
            ("installer", "7119", set(), {"7126", "7127", "7422"}),
            ("монтажник связи", "3522", set(), {"7119", "7126"}),
            ("монтажник кондиционеров", "7127", set(), {"7119", "7126"}),
            ("водитель", "8322", {"8331", "8332"}, {"3421", "7214"}),
            ("driver", "8322", {"8331", "8332"}, {"3421", "7214", "7543"}),
            ("повар", "5120", {"3434"}, set()),
            ("cook", "5120", {"3434"}, set()),
            ("сварщик", "7212", set(), set()),
            ("welder", "7212", set(), {"3432"}),
            ("продавец", "5223", set(), set()),
            ("программист", "2512", {"2514"}, set()),
            ("медсестра", "3221", set(), set()),
            ("nurse", "2221", {"3221"}, set()),
            ("бухгалтер", "2411", set(), set()),
            ("электрик", "7411", set(), set()),
            ("грузчик", "9333", set(), set()),
            ("уборщица", "9112", set(), set()),
            ("cleaner", "9112", set(), {"5153"}),
            ("строитель", "7111", set(), set()),
            ("builder", "7111", set(), {"8211", "7312"}),
            ("официант", "5131", set(), set()),
            ("plumber", "7126", set(), {"7212"}),
            ("сантехник", "7126", set(), set()),
        ],
    )
    def test_maps_to_the_usual_trade(self, query, first, also, never):
        codes = catalogue().match(stems(query))
        assert next(iter(codes)) == first
        assert also <= set(codes)
        assert not never & set(codes)

    def test_names_from_the_groups_own_label_come_before_stray_synonyms(self):
        codes = list(catalogue().match(stems("driver")))
        assert codes[:3] == ["8322", "8331", "8332"]
