"""The normalised vacancy: pay, dates, fees, look-alike letters, duplicates, JSON and JSON-LD."""

# Look-alike letters are what these tests are about.
# ruff: noqa: RUF003

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from eaeu.services.jobs.errors import FeeCharged, VacancyInvalid
from eaeu.services.jobs.model import (
    Vacancy,
    check_vacancy,
    dedup_key,
    employer_ref,
    fee_phrases,
    fix_homoglyphs,
    is_listed,
    merge,
    normalise_title,
    salary_ref,
    to_jobposting,
)

TODAY = date(2026, 3, 2)


def vacancy(**changes: object) -> Vacancy:
    base = Vacancy(
        id="RU-0001",
        origin="RU",
        source="portal",
        source_id="RU-0001",
        title="Монтажник",
        description="Монтаж конструкций. Общежитие предоставляется.",
        employer_ref="RU-OGRN-1157746013237",
        employer_name="ООО «СтройМонтаж»",
        locality="Москва",
        currency="RUB",
        posted=TODAY - timedelta(days=3),
        valid_through=TODAY + timedelta(days=30),
        last_confirmed=TODAY - timedelta(days=1),
        salary_min=80_000,
        salary_max=100_000,
        isco="7119",
    )
    return replace(base, **changes)


class TestPay:
    def test_accepts_a_plausible_range(self) -> None:
        check_vacancy(vacancy(), TODAY)

    def test_keeps_from_n_open_ended(self) -> None:
        ad = vacancy(salary_max=None)
        check_vacancy(ad, TODAY)
        assert ad.open_ended
        assert ad.salary_ref == 80_000

    @pytest.mark.parametrize(
        ("low", "high", "text"),
        [
            (0, None, "more than zero"),
            (None, 0, "more than zero"),
            (None, None, "State the pay"),
            (100_000, 80_000, "higher than the maximum"),
            (10_000, 900_000, "too wide"),
            (1, None, "not plausible"),
            (90_000_000, None, "not plausible"),
        ],
    )
    def test_refuses_zero_and_nonsense(self, low: int | None, high: int | None, text: str) -> None:
        with pytest.raises(VacancyInvalid, match=text) as caught:
            check_vacancy(vacancy(salary_min=low, salary_max=high), TODAY)
        assert "salary" in caught.value.problems

    def test_judges_hourly_pay_by_the_month(self) -> None:
        check_vacancy(vacancy(salary_min=600, salary_max=800, salary_period="hour"), TODAY)
        with pytest.raises(VacancyInvalid, match="not plausible"):
            check_vacancy(vacancy(salary_min=80_000, salary_max=None, salary_period="hour"), TODAY)

    def test_refuses_an_unknown_currency(self) -> None:
        with pytest.raises(VacancyInvalid, match="currency"):
            check_vacancy(vacancy(currency="XYZ"), TODAY)

    def test_converts_to_roubles_at_indicative_rates(self) -> None:
        assert salary_ref(400_000, "KZT", "month") == 62_000
        assert salary_ref(1_000, "RUB", "day") == 21_000
        assert salary_ref(1_000, "XYZ", "month") is None


class TestDates:
    def test_refuses_an_expired_vacancy(self) -> None:
        with pytest.raises(VacancyInvalid, match="already expired"):
            check_vacancy(vacancy(valid_through=TODAY - timedelta(days=1)), TODAY)

    def test_refuses_a_vacancy_open_for_more_than_a_year(self) -> None:
        with pytest.raises(VacancyInvalid, match="at most a year"):
            check_vacancy(vacancy(valid_through=TODAY + timedelta(days=400)), TODAY)

    def test_refuses_a_future_posting_and_a_confirmation_before_it(self) -> None:
        with pytest.raises(VacancyInvalid) as caught:
            check_vacancy(vacancy(posted=TODAY + timedelta(days=2)), TODAY)
        assert set(caught.value.problems) >= {"posted", "last_confirmed"}

    def test_lists_only_active_fresh_and_confirmed_vacancies(self) -> None:
        ad = vacancy()
        assert ad.listed(TODAY)
        assert not replace(ad, status="withdrawn").listed(TODAY)
        assert not ad.listed(ad.valid_through + timedelta(days=1))
        stale = replace(ad, last_confirmed=TODAY - timedelta(days=91))
        assert not stale.listed(TODAY)
        assert is_listed("active", TODAY, TODAY - timedelta(days=90), TODAY)

    def test_hides_on_the_first_day_past_expiry_or_reconfirmation(self) -> None:
        ad = vacancy(last_confirmed=TODAY - timedelta(days=80))
        assert ad.hidden_from() == TODAY + timedelta(days=11)
        assert not ad.listed(ad.hidden_from())
        assert ad.listed(ad.hidden_from() - timedelta(days=1))


class TestFees:
    @pytest.mark.parametrize(
        "text",
        [
            "Оплата за оформление документов — 5000 руб.",
            "Стоимость услуг по трудоустройству 10 000 рублей",
            "Необходимо внести залог за спецодежду",
            "Предоплата 3000 руб. перед выездом",
            "Регистрационный взнос 2000 руб.",
            "Кандидат оплачивает медкомиссию самостоятельно",
            "You must pay a placement fee of 200 USD before departure.",
            "A registration fee applies.",
            "Upfront payment for visa processing is required.",
            "Deposit required to reserve your place.",
        ],
    )
    def test_finds_a_fee_asked_of_the_jobseeker(self, text: str) -> None:
        assert fee_phrases(text)
        with pytest.raises(FeeCharged, match="asks the jobseeker to pay"):
            check_vacancy(vacancy(description=text), TODAY)

    @pytest.mark.parametrize(
        "text",
        [
            "Оформление за счёт работодателя.",
            "Медкомиссия бесплатно, оплата проезда.",
            "Оплата труда два раза в месяц.",
            "No registration fee: the employer pays all visa fees.",
            "We pay the medical fee and your travel.",
            "Никаких платежей с соискателя: оформление бесплатно.",
        ],
    )
    def test_ignores_what_says_the_jobseeker_pays_nothing(self, text: str) -> None:
        assert fee_phrases(text) == []

    def test_finds_a_fee_written_with_latin_look_alikes(self) -> None:
        assert fee_phrases("Оплaтa зa оформление")  # Latin a in both words


class TestTitles:
    def test_irons_out_cyrillic_c_in_cpp_and_gender_markers(self) -> None:
        assert normalise_title("Программист С++ (м/ж)") == normalise_title("программист c++")
        assert normalise_title("Программист С++") == "программист c++"

    def test_writes_a_mixed_word_in_its_own_script(self) -> None:
        assert fix_homoglyphs("тoкарь") == "токарь"  # Latin o
        assert fix_homoglyphs("dеveloper") == "developer"  # Cyrillic е
        assert fix_homoglyphs("1c") == "1с"

    def test_keeps_words_of_one_script_as_they_are(self) -> None:
        assert normalise_title("Сварщик НАКС") == "сварщик накс"
        assert normalise_title("Welder, TIG/MIG") == "welder tig mig"


class TestDuplicates:
    def test_the_same_job_at_another_address_or_card_shares_the_key(self) -> None:
        one = vacancy()
        other = vacancy(
            id="RU-0002", source_id="card-2", title="МОНТАЖНИК (м/ж)", locality="г. Москва"
        )
        assert dedup_key(one) == dedup_key(other)

    def test_another_employer_city_or_pay_is_another_job(self) -> None:
        one = vacancy()
        assert dedup_key(one) != dedup_key(vacancy(employer_ref="RU-OGRN-1027700013230"))
        assert dedup_key(one) != dedup_key(vacancy(locality="Казань"))
        assert dedup_key(one) != dedup_key(vacancy(salary_max=None))

    def test_merging_keeps_the_widest_dates_and_positions(self) -> None:
        kept = vacancy(positions=2)
        twin = vacancy(
            positions=5,
            posted=TODAY - timedelta(days=10),
            valid_through=TODAY + timedelta(days=60),
            housing=True,
        )
        merged = merge(kept, twin)
        assert merged.positions == 5
        assert merged.posted == twin.posted
        assert merged.valid_through == twin.valid_through
        assert merged.id == kept.id


class TestLegalIdentifiers:
    def test_refers_to_a_valid_ogrn(self) -> None:
        assert employer_ref("RU", "1157746013237") == "RU-OGRN-1157746013237"
        assert employer_ref("KG", "02204201510234") == "KG-TIN-02204201510234"

    @pytest.mark.parametrize(
        ("state", "value"), [("RU", "1157746013238"), ("KG", "12204201510234")]
    )
    def test_refuses_a_number_that_breaks_its_rule(self, state: str, value: str) -> None:
        with pytest.raises(VacancyInvalid, match="employer_ref"):
            employer_ref(state, value)


class TestSerialisation:
    def test_round_trips_through_json(self) -> None:
        ad = vacancy(seq=7, languages=("ru", "en"), housing=True)
        assert Vacancy.from_json(ad.to_json()) == ad

    def test_refuses_a_record_of_the_wrong_shape(self) -> None:
        record = vacancy().to_json() | {"status": "deleted", "positions": "many", "housing": 1}
        with pytest.raises(VacancyInvalid) as caught:
            Vacancy.from_json(record)
        assert {"status", "positions", "housing"} <= set(caught.value.problems)
        with pytest.raises(VacancyInvalid, match="JSON object"):
            Vacancy.from_json([])

    def test_exports_schema_org_jobposting(self) -> None:
        ad = vacancy(salary_max=None, eaeu_open=True, housing=True, positions=4)
        posting = to_jobposting(ad, base_url="https://ru.example/")
        assert posting["@type"] == "JobPosting"
        assert posting["baseSalary"]["value"] == {
            "@type": "QuantitativeValue",
            "unitText": "MONTH",
            "minValue": 80_000,
        }
        assert posting["occupationalCategory"]["codeValue"] == "7119"
        assert posting["totalJobOpenings"] == 4
        assert posting["hiringOrganization"]["identifier"] == "RU-OGRN-1157746013237"
        assert posting["jobLocation"]["address"]["addressCountry"] == "RU"
        assert "EAEU" in posting["eligibilityToWorkRequirement"]
        assert posting["url"] == f"https://ru.example/jobs/vacancies/{ad.id}"
        assert posting["validThrough"] == ad.valid_through.isoformat()
