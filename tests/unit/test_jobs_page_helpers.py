"""How the search and vacancy pages word pay, experience, languages and places."""

from __future__ import annotations

import pytest

from eaeu.web.jobs_pages import language_names, plural_form, where, years


@pytest.mark.parametrize(
    ("count", "ru", "en"),
    [
        (1, "1 год", "1 year"),
        (2, "2 года", "2 years"),
        (4, "4 года", "4 years"),
        (5, "5 лет", "5 years"),
        (11, "11 лет", "11 years"),
        (14, "14 лет", "14 years"),
        (21, "21 год", "21 years"),
        (22, "22 года", "22 years"),
    ],
)
def test_experience_takes_the_plural_of_its_language(count, ru, en):
    assert years(count, "ru", str) == ru
    assert years(count, "en", str) == en


def test_no_experience_is_said_in_words():
    assert years(0, "en", str) == "Not required"
    assert plural_form(0, "ru") == 2


def test_languages_are_named_in_the_page_language_and_unknown_codes_kept():
    assert language_names(["ru", "ky"], "ru") == "русский, киргизский"
    assert language_names(("ru", "en"), "en") == "Russian, English"
    assert language_names(["xx"], "en") == "xx"


@pytest.mark.parametrize(
    ("locality", "region", "shown"),
    [
        ("Москва", "г. Москва", "Москва"),
        ("Almaty", "Almaty city", "Almaty"),
        ("Бишкек", "Бишкек шаары", "Бишкек"),
        ("Химки", "Московская область", "Химки, Московская область"),
        ("Минск", None, "Минск"),
    ],
)
def test_a_region_that_only_repeats_the_city_is_not_repeated(locality, region, shown):
    assert where(locality, region) == shown
