"""Adapters: «Работа России» open-data envelopes and records, schema.org JobPosting feeds."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from eaeu.services.jobs import adapters
from eaeu.services.jobs.errors import FeedOutOfRegion, FeedUnreadable
from eaeu.services.jobs.model import Vacancy, to_jobposting

RECORD: dict[str, Any] = {
    "id": "6d3f7a2e-1111-4c2b-9a55-0c1f0e2d3a4b",
    "source": "Работа России",
    "creation-date": "2026-02-20",
    "date_modify": "2026-02-27T10:15:00",
    "job-name": "Электрогазосварщик",
    "vac_url": "https://trudvsem.ru/vacancy/card/1157746013237/6d3f7a2e",
    "region": {"region_code": "7700000000000", "name": "г. Москва"},
    "company": {
        "companycode": "1157746013237",
        "name": "ООО «СтройМонтаж»",
        "inn": "7725234513",
        "ogrn": "1157746013237",
        "hr-agency": False,
    },
    "salary": "от 90000",
    "salary_min": 90000,
    "salary_max": 90000,
    "currency": "«руб.»",
    "employment": "Полная занятость",
    "schedule": "Вахтовый метод",
    "duty": "<p>Сварка металлоконструкций.</p><ul><li>НАКС</li></ul>",
    "conditions": "<p>Проживание в общежитии предоставляется бесплатно.</p>",
    "requirement": {"education": "Среднее профессиональное", "experience": 2},
    "addresses": {"address": [{"location": "г. Москва, ул. Садовая, д. 5"}]},
    "work_places": 4,
    "workPlaceType": {"workPlaceForeign": True, "workPlaceOrdinary": False},
}


def envelope(*records: dict[str, Any], total: int | None = None) -> dict[str, Any]:
    return {
        "status": "200",
        "meta": {"total": len(records) if total is None else total},
        "results": {"vacancies": [{"vacancy": r} for r in records]},
    }


def record(**changes: Any) -> dict[str, Any]:
    made = copy.deepcopy(RECORD)
    made.update(changes)
    return made


class TestTrudvsemRecords:
    def test_maps_every_field_of_a_record(self) -> None:
        parsed = adapters.read_trudvsem(envelope(RECORD))
        assert parsed.rejected == ()
        (vacancy,) = parsed.vacancies
        assert vacancy.id == adapters.vacancy_id("RU", "trudvsem", RECORD["id"])
        assert vacancy.employer_ref == "RU-OGRN-1157746013237"
        assert (vacancy.salary_min, vacancy.salary_max, vacancy.currency) == (90000, None, "RUB")
        assert vacancy.open_ended
        assert vacancy.eaeu_open is True
        assert vacancy.housing is True
        assert vacancy.schedule == "rotation"
        assert vacancy.education == "vocational"
        assert vacancy.experience_years == 2
        assert vacancy.positions == 4
        assert vacancy.locality == "Москва"
        assert vacancy.isco == "7212"
        assert vacancy.description.startswith("Сварка металлоконструкций.\nНАКС")
        assert str(vacancy.last_confirmed) == "2026-02-27"
        assert str(vacancy.valid_through) == "2026-03-29"

    def test_reads_up_to_n_and_an_exact_salary(self) -> None:
        upto = adapters.read_trudvsem(
            envelope(record(salary="до 70000", salary_min=70000, salary_max=70000))
        )
        assert (upto.vacancies[0].salary_min, upto.vacancies[0].salary_max) == (None, 70000)
        exact = adapters.read_trudvsem(
            envelope(record(salary="70000", salary_min=70000, salary_max=70000))
        )
        assert (exact.vacancies[0].salary_min, exact.vacancies[0].salary_max) == (70000, 70000)

    def test_flags_an_hr_agency(self) -> None:
        company = RECORD["company"] | {"hr-agency": True}
        (vacancy,) = adapters.read_trudvsem(envelope(record(company=company))).vacancies
        assert vacancy.is_agency is True
        assert vacancy.agency_licence is None

    def test_rejects_a_record_with_an_invalid_ogrn_and_keeps_the_others(self) -> None:
        company = RECORD["company"] | {"ogrn": "1157746013238"}
        parsed = adapters.read_trudvsem(envelope(record(company=company, id="bad"), RECORD))
        assert len(parsed.vacancies) == 1
        (rejection,) = parsed.rejected
        assert rejection.source_id == "bad"
        assert rejection.reason == "jobs.vacancy_invalid"
        assert "employer_ref" in rejection.problems

    def test_rejects_an_unknown_schedule(self) -> None:
        parsed = adapters.read_trudvsem(envelope(record(schedule="Как получится")))
        assert "schedule" in parsed.rejected[0].problems

    def test_does_not_read_housing_into_a_refusal(self) -> None:
        conditions = "<p>Жильё не предоставляется.</p>"
        (vacancy,) = adapters.read_trudvsem(envelope(record(conditions=conditions))).vacancies
        assert vacancy.housing is False


class TestTrudvsemEnvelope:
    def test_refuses_a_status_other_than_200(self) -> None:
        with pytest.raises(FeedUnreadable, match="status"):
            adapters.read_trudvsem({"status": "500", "results": {}})

    @pytest.mark.parametrize("body", [[], "x", {"status": "200", "results": {"vacancies": {}}}])
    def test_refuses_what_is_not_an_envelope(self, body: Any) -> None:
        with pytest.raises(FeedUnreadable):
            adapters.read_trudvsem(body)

    def test_refuses_more_records_than_the_total(self) -> None:
        with pytest.raises(FeedUnreadable, match="total of 1"):
            adapters.read_trudvsem(envelope(RECORD, record(id="2"), total=1))

    def test_refuses_a_total_without_records(self) -> None:
        with pytest.raises(FeedUnreadable, match="sent none"):
            adapters.read_trudvsem({"status": "200", "meta": {"total": 5}, "results": {}})

    def test_accepts_an_empty_answer(self) -> None:
        parsed = adapters.read_trudvsem({"status": 200, "meta": {"total": 0}, "results": {}})
        assert parsed.vacancies == ()

    def test_accepts_records_of_the_region_asked_for(self) -> None:
        for code in ("7700000000000", "77"):
            assert adapters.read_trudvsem(envelope(RECORD), expected_region=code).vacancies

    def test_refuses_the_whole_response_when_records_lie_outside_the_region(self) -> None:
        novosibirsk = record(id="n", region={"region_code": "5400000000000", "name": "НСО"})
        with pytest.raises(FeedOutOfRegion, match="1 of 2 records are outside region 77"):
            adapters.read_trudvsem(envelope(RECORD, novosibirsk), expected_region="77")

    def test_reads_the_shipped_sample(self) -> None:
        data = resources.files("eaeu.services.jobs").joinpath("data/samples/trudvsem_ru.json")
        parsed = adapters.parse_file("trudvsem", data.read_bytes(), state="RU")
        assert len(parsed.vacancies) >= 30
        assert parsed.rejected == ()

    def test_refuses_a_file_that_is_not_json(self) -> None:
        with pytest.raises(FeedUnreadable, match="not JSON"):
            adapters.parse_file("trudvsem", b"\xff<html>", state="RU")
        with pytest.raises(FeedUnreadable, match="no adapter"):
            adapters.parse_file("csv", b"{}", state="RU")


POSTING: dict[str, Any] = {
    "@context": "https://schema.org/",
    "@type": "JobPosting",
    "identifier": {"@type": "PropertyValue", "value": "kz-77"},
    "title": "Truck driver (licence C, E)",
    "description": "<p>Long-distance haulage.</p>",
    "datePosted": "2026-02-25",
    "validThrough": "2026-04-25T23:59",
    "employmentType": ["FULL_TIME"],
    "hiringOrganization": {"@type": "Organization", "name": "Kazakh Kurylys LLP",
                           "identifier": {"propertyID": "BIN", "value": "071140030713"}},
    "jobLocation": {"@type": "Place", "address": {"addressLocality": "Almaty",
                    "addressRegion": "Almaty", "addressCountry": "KZ"}},
    "baseSalary": {"@type": "MonetaryAmount", "currency": "KZT",
                   "value": {"@type": "QuantitativeValue", "value": 450000, "unitText": "MONTH"}},
    "occupationalCategory": "8332 Heavy truck and lorry drivers",
    "eligibilityToWorkRequirement": "Citizens of EAEU member states welcome.",
    "jobBenefits": "Free accommodation provided.",
}  # fmt: skip


class TestJobPosting:
    def test_maps_a_single_posting(self) -> None:
        parsed = adapters.read_jobposting(POSTING, state="KZ")
        (vacancy,) = parsed.vacancies
        assert vacancy.employer_ref == "KZ-BIN-071140030713"
        assert (vacancy.salary_min, vacancy.salary_max, vacancy.currency) == (450000, 450000, "KZT")
        assert vacancy.isco == "8332"
        assert vacancy.eaeu_open is True
        assert vacancy.housing is True
        assert vacancy.description == "Long-distance haulage."
        assert str(vacancy.valid_through) == "2026-04-25"

    def test_reads_lists_item_lists_and_graphs(self) -> None:
        other = POSTING | {"identifier": "kz-78"}
        shapes = [
            [POSTING, other],
            {"@type": "ItemList", "itemListElement": [POSTING, other]},
            {"@type": "ItemList", "itemListElement": [
                {"@type": "ListItem", "position": 1, "item": POSTING},
                {"@type": "ListItem", "position": 2, "item": other}]},
            {"@context": "https://schema.org/", "@graph": [POSTING, other]},
        ]  # fmt: skip
        for shape in shapes:
            parsed = adapters.read_jobposting(shape, state="KZ")
            assert [v.source_id for v in parsed.vacancies] == ["kz-77", "kz-78"]

    def test_rejects_a_posting_of_another_country(self) -> None:
        parsed = adapters.read_jobposting(POSTING, state="RU")
        assert parsed.vacancies == ()
        assert {"employer_ref", "jobLocation"} <= set(parsed.rejected[0].problems)

    def test_rejects_a_posting_without_an_employer_identifier(self) -> None:
        posting = POSTING | {"hiringOrganization": {"@type": "Organization", "name": "X"}}
        (rejection,) = adapters.read_jobposting(posting, state="KZ").rejected
        assert rejection.source_id == "kz-77"
        assert "hiringOrganization" in rejection.problems

    def test_refuses_a_document_without_any_posting(self) -> None:
        with pytest.raises(FeedUnreadable, match=r"no schema\.org JobPosting"):
            adapters.read_jobposting({"@type": "Organization"}, state="KZ")

    def test_reads_back_its_own_export(self) -> None:
        (vacancy,) = adapters.read_jobposting(POSTING, state="KZ").vacancies
        exported = json.loads(json.dumps(to_jobposting(vacancy)))
        (again,) = adapters.read_jobposting(exported, state="KZ").vacancies
        assert Vacancy.from_json(again.to_json() | {"id": vacancy.id, "source_id": "kz-77"}) == (
            vacancy
        )

    @pytest.mark.parametrize("state", ["AM", "BY", "KG", "KZ", "RU"])
    def test_reads_the_shipped_samples(self, state: str) -> None:
        data = resources.files("eaeu.services.jobs").joinpath(
            f"data/samples/jobposting_{state.lower()}.json"
        )
        parsed = adapters.parse_file("jobposting", data.read_bytes(), state=state)
        assert parsed.rejected == ()
        assert len(parsed.vacancies) >= 14
        assert all(v.isco for v in parsed.vacancies)
