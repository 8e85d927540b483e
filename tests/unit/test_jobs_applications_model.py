"""The rules of CVs, offers and the contract document (no database, no network)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from eaeu.services.jobs import applications as apps
from eaeu.services.jobs import contracts as cons
from eaeu.services.jobs.people_errors import ApplicationConflict, ContractRefused, CvInvalid
from eaeu.services.jobs.people_orm import ApplicationRow

TODAY = date(2026, 11, 29)


def cv(**changes):
    values = {
        "person_id": "p-1",
        "headline": "  Bricklayer  ",
        "occupations": ("7112", " 7112", "7115"),
        "experience": (apps.Experience("Bricklayer", "Ala-Too", "2017-03", "2020-01", "7112"),),
        "education": (apps.Education("Vocational", "College", "Building", "2016"),),
        "languages": (apps.Language("ru", "C1"),),
        "documents": (apps.CvDocument("Certificate"),),
    }
    return apps.Cv(**{**values, **changes})


class TestACv:
    def test_is_trimmed_and_its_occupations_deduplicated(self):
        checked = apps.check_cv(cv())
        assert checked.headline == "Bricklayer"
        assert checked.occupations == ("7112", "7115")

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"headline": " "}, "headline"),
            ({"occupations": ("711",)}, "occupations"),
            ({"experience": (apps.Experience("", "Ala-Too", "2017-03"),)}, "experience.0"),
            ({"experience": (apps.Experience("B", "A", "2017-13"),)}, "experience.0"),
            ({"experience": (apps.Experience("B", "A", "2020-01", "2019-01"),)}, "experience.0"),
            ({"experience": (apps.Experience("B", "A", "2020-01", isco="71"),)}, "experience.0"),
            ({"education": (apps.Education("Vocational", "College", year="16"),)}, "education.0"),
            ({"languages": (apps.Language("russian", "C1"),)}, "languages.0"),
            ({"languages": (apps.Language("ru", "fluent"),)}, "languages.0"),
            ({"documents": (apps.CvDocument(" "),)}, "documents.0"),
            ({"languages": (apps.Language("ru", "C1"),) * 21}, "languages"),
        ],
    )
    def test_that_breaks_a_rule_is_refused_by_field(self, changes, field):
        with pytest.raises(CvInvalid, match=r".") as refused:
            apps.check_cv(cv(**changes))
        assert field in refused.value.problems
        assert refused.value.reason == "jobs.cv_invalid"

    def test_part_gives_what_an_application_sends(self):
        checked = apps.check_cv(cv())
        assert checked.part("profile")["occupations"] == ["7112", "7115"]
        assert checked.part("languages") == [{"code": "ru", "level": "C1"}]


TERMS = cons.OfferTerms(
    position=" Bricklayer ",
    workplace="Moscow",
    start_date=date(2027, 1, 10),
    salary=95_000,
    currency="rub",
    end_date=date(2027, 12, 31),
)


class TestAnOffer:
    def test_is_trimmed(self):
        checked = cons.check_terms(TERMS, TODAY)
        assert checked.position == "Bricklayer"
        assert checked.currency == "RUB"

    @pytest.mark.parametrize(
        ("changes", "words"),
        [
            ({"position": ""}, "Name the position"),
            ({"start_date": date(2026, 1, 1)}, "cannot be in the past"),
            ({"end_date": date(2027, 1, 1)}, "ends after it starts"),
            ({"salary": 0}, "positive amount"),
            ({"period": "week"}, "positive amount"),
            ({"hours_per_week": 60}, "at most 48"),
            ({"probation_months": 7}, "at most 6 months"),
        ],
    )
    def test_that_breaks_a_rule_is_refused(self, changes, words):
        values = {name: getattr(TERMS, name) for name in TERMS.__slots__}
        with pytest.raises(ContractRefused, match=words):
            cons.check_terms(cons.OfferTerms(**{**values, **changes}), TODAY)


def application(payload):
    return ApplicationRow(
        id="a-1", vacancy_id="RU-1", employer_ref="RU-OGRN-1157746013237",
        employer_name="ООО «СтройМонтаж»", worker_state="KG", payload=payload,
    )  # fmt: skip


IDENTITY = (
    '{"identity": {"family_name": "Асанова", "given_name": "Айгуль", '
    '"family_name_latin": "ASANOVA", "given_name_latin": "AIGUL", '
    '"birth_date": "1995-03-14", "nationality": "KG"}}'
)


class TestTheContractDocument:
    def test_names_both_parties_and_has_its_text_in_both_languages(self):
        document = cons.contract_document(
            contract_id="c-1",
            application=application(IDENTITY),
            terms=cons.check_terms(TERMS, TODAY),
            employer_state="RU",
            issued_at=datetime(2026, 11, 29, tzinfo=UTC),
        )
        assert document["type"] == cons.FORMAT
        assert document["v"] == 1
        assert document["worker"]["home_state"] == "KG"
        assert document["worker"]["family_name_latin"] == "ASANOVA"
        assert "national_id" not in document["worker"]
        assert "95,000 RUB a month" in document["text"]["en"]
        assert "citizen of Kyrgyzstan" in document["text"]["en"]
        assert "95\u00a0000 RUB в месяц" in document["text"]["ru"]
        assert "2027-12-31" in document["text"]["en"]

    def test_needs_the_applicants_identity(self):
        with pytest.raises(ApplicationConflict, match="did not send their identity"):
            cons.contract_document(
                contract_id="c-1",
                application=application("{}"),
                terms=TERMS,
                employer_state="RU",
                issued_at=datetime(2026, 11, 29, tzinfo=UTC),
            )
