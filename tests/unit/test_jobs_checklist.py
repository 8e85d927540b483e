"""The paperwork checklist: rules as dated, versioned, sourced data, and the items they make.

Pure tests: the packaged rules file and hand-made rule books, no database.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from importlib import resources

import pytest

from eaeu.services.jobs.checklist import (
    AFTER_ARRIVAL,
    CHECK,
    DONE,
    TO_DO,
    Progress,
    generate,
    load_rules,
    packaged_rules,
)
from eaeu.services.jobs.context import ContractFacts
from eaeu.services.jobs.move_errors import ChecklistRefused, RulesInvalid
from eaeu.services.jobs.move_model import add_days, months_later

ON = date(2026, 3, 2)
ENTRY = date(2026, 4, 1)  # a Wednesday


def raw():
    text = resources.files("eaeu.services.jobs").joinpath("data/checklist_rules.json")
    return json.loads(text.read_text(encoding="utf-8"))


def ids(checklist):
    return [item.rule.id for item in checklist.items]


def item(checklist, rule_id):
    return next(i for i in checklist.items if i.rule.id == rule_id)


def contract(**changes):
    values = {
        "contract_id": "c1", "application_id": "a1", "vacancy_id": "v1", "destination": "RU",
        "worker_home": "KG", "worker_person_id": "p1", "employer_ref": "RU-OGRN-1157746013237",
        "employer_name": "StroiMontazh LLC", "worker_family_name_latin": "ASANOVA",
        "worker_given_name_latin": "AIGUL", "worker_birth_date": date(1990, 4, 15),
        "worker_nationality": "KG", "position": "Bricklayer", "locality": "Moscow",
        "start_date": date(2026, 4, 6), "end_date": None,
        "signed_at": datetime(2026, 2, 27, 12, tzinfo=UTC),  # a Friday
    }  # fmt: skip
    values.update(changes)
    return ContractFacts(**values)


def russia(citizenship="KG", on=ON, progress=None):
    return generate(
        packaged_rules(),
        citizenship=citizenship,
        destination="RU",
        on=on,
        progress=progress or Progress(entry=ENTRY),
    )


class TestTheRulesFile:
    def test_every_rule_has_a_source_or_says_it_is_a_platform_service(self):
        for rule in packaged_rules().rules:
            assert rule.source is not None or rule.id == "eaeu.pre_arrival"
            assert rule.title.en
            assert rule.title.ru
            assert rule.description.ru

    def test_refuses_a_file_of_another_format(self):
        with pytest.raises(RulesInvalid, match="format"):
            load_rules({**raw(), "format_version": 2})

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("stage", "someday"),
            ("completed_by", "magic"),
            ("citizenship", ["XX"]),
            ("effective_from", "1 March"),
            ("deadline", {"anchor": "entry", "days": 3, "unit": "fortnights"}),
            ("source", {"url": "http://insecure.example", "title": "x"}),
            ("title", {"en": "only English"}),
            ("check_with_authority", "maybe"),
            ("occupations", ["nurse"]),
        ],
    )
    def test_refuses_a_rule_that_breaks_the_schema(self, field, value):
        data = raw()
        data["rules"][0][field] = value
        with pytest.raises(RulesInvalid) as raised:
            load_rules(data)
        assert raised.value.field.startswith("rules[0]")

    def test_refuses_two_versions_of_a_rule_in_force_together(self):
        data = raw()
        twin = copy.deepcopy(data["rules"][0])
        twin["version"] = 2
        data["rules"].append(twin)
        with pytest.raises(RulesInvalid, match="in force together"):
            load_rules(data)


class TestRussia:
    def test_a_kyrgyz_citizen_gets_the_russian_set(self):
        checklist = russia()
        assert set(ids(checklist)) >= {
            "ru.entry.ruid", "eaeu.contract", "ru.employer.notice_signing", "ru.health.cover",
            "eaeu.housing", "ru.entry.migration_card", "ru.registration", "ru.medical_exam",
            "ru.health.oms", "ru.employer.notice_termination", "eaeu.education.recognition",
        }  # fmt: skip
        assert not any(i.startswith(("kz.", "by.")) for i in ids(checklist))

    def test_belarusians_are_exempt_from_the_exam_and_ruid(self):
        checklist = russia("BY")
        assert "ru.medical_exam" not in ids(checklist)
        assert "ru.entry.ruid" not in ids(checklist)
        assert "ru.registration" in ids(checklist)

    def test_a_russian_needs_no_checklist_for_russia(self):
        with pytest.raises(ChecklistRefused) as raised:
            russia("RU")
        assert raised.value.reason == "jobs.checklist_own_state"

    def test_the_ruid_application_is_only_in_force_during_the_experiment(self):
        assert "ru.entry.ruid" in ids(russia(on=date(2026, 6, 30)))
        assert "ru.entry.ruid" not in ids(russia(on=date(2026, 7, 1)))
        assert "ru.entry.ruid" not in ids(russia(on=date(2025, 6, 29)))

    def test_the_medical_exam_rule_starts_with_its_law(self):
        assert "ru.medical_exam" not in ids(russia(on=date(2021, 12, 28)))
        assert "ru.medical_exam" in ids(russia(on=date(2021, 12, 29)))

    def test_education_recognition_follows_the_version_in_force(self):
        teacher = Progress(entry=ENTRY, occupation="2341")
        nurse = Progress(entry=ENTRY, occupation="2221")
        old, new = date(2024, 2, 11), date(2024, 2, 12)
        assert (
            item(russia(on=old, progress=teacher), "eaeu.education.recognition").rule.version == 1
        )
        assert "eaeu.education.recognition" not in ids(russia(on=new, progress=teacher))
        recognised = item(russia(on=new, progress=nurse), "eaeu.education.recognition")
        assert (recognised.rule.version, recognised.required) == (2, True)
        unknown = item(russia(on=new), "eaeu.education.recognition")
        assert (unknown.conditional, unknown.required) == (True, False)

    def test_disputed_points_are_shown_as_check_with_the_authority(self):
        checklist = russia()
        assert item(checklist, "ru.entry.ruid").status == CHECK
        assert item(checklist, "ru.health.oms").status == CHECK
        # A disputed point the person ticks is theirs to settle: it counts until ticked.
        assert item(checklist, "ru.entry.ruid").required
        assert item(checklist, "eaeu.travel_document").required
        # One the platform completes, or one after arrival, does not.
        assert not item(checklist, "ru.health.oms").required

    def test_the_employers_duty_is_never_the_workers(self):
        checklist = russia(progress=Progress(entry=ENTRY, contract=contract()))
        notice = item(checklist, "ru.employer.notice_signing")
        assert (notice.rule.party, notice.required, notice.status) == ("employer", False, TO_DO)
        notified = russia(
            progress=Progress(entry=ENTRY, contract=contract(), employer_notified=True)
        )
        assert item(notified, "ru.employer.notice_signing").status == DONE

    def test_deadlines_count_calendar_and_working_days_from_their_anchor(self):
        checklist = russia(progress=Progress(entry=ENTRY, contract=contract()))
        assert item(checklist, "ru.registration").due == date(2026, 5, 1)
        assert item(checklist, "ru.medical_exam").due == date(2026, 5, 1)
        assert item(checklist, "ru.entry.ruid").due == date(2026, 3, 29)
        # Signed on a Friday: three working days later is the next Wednesday.
        assert item(checklist, "ru.employer.notice_signing").due == date(2026, 3, 4)
        assert item(checklist, "ru.employer.notice_termination").due is None

    def test_statuses_follow_what_the_person_has_done(self):
        nothing = russia()
        assert item(nothing, "eaeu.contract").status == TO_DO
        assert item(nothing, "ru.registration").status == AFTER_ARRIVAL
        assert not nothing.complete_before_moving
        assert {i.rule.id for i in nothing.to_do} == {
            "eaeu.contract", "ru.health.cover", "eaeu.housing", "eaeu.travel_document",
            "ru.entry.ruid",
        }  # fmt: skip
        platform_done = Progress(
            entry=ENTRY, contract=contract(), policy_until=date(2026, 7, 1), booking_from=ENTRY,
        )  # fmt: skip
        not_yet = russia(progress=platform_done)
        assert item(not_yet, "ru.health.cover").status == DONE
        assert item(not_yet, "ru.health.cover").action == "insurance"
        # Everything the platform can do is done, but the travel document is not ticked.
        assert not not_yet.complete_before_moving
        assert {i.rule.id for i in not_yet.to_do} == {"eaeu.travel_document", "ru.entry.ruid"}
        assert item(not_yet, "eaeu.travel_document").status == CHECK
        ticked = frozenset({"eaeu.travel_document", "ru.entry.ruid"})
        ready = russia(progress=replace(platform_done, marks=ticked))
        assert item(ready, "eaeu.travel_document").status == DONE
        assert ready.complete_before_moving
        assert item(ready, "eaeu.pre_arrival").status == TO_DO  # recommended, not required

    def test_cover_that_ends_before_entry_does_not_count(self):
        short = Progress(entry=ENTRY, policy_until=date(2026, 3, 31))
        assert item(russia(progress=short), "ru.health.cover").status == TO_DO

    def test_the_entry_date_defaults_to_the_notice_then_the_booking_then_the_start(self):
        base = Progress(contract=contract(), booking_from=date(2026, 4, 3))
        assert base.expected_entry() == date(2026, 4, 3)
        assert replace(base, pre_arrival_entry=ENTRY).expected_entry() == ENTRY
        assert replace(base, booking_from=None).expected_entry() == date(2026, 4, 6)
        assert Progress().expected_entry() is None
        assert item(russia(progress=Progress()), "ru.registration").due is None

    def test_a_manual_item_is_done_once_ticked(self):
        marked = Progress(entry=ENTRY, marks=frozenset({"ru.registration"}))
        assert item(russia(progress=marked), "ru.registration").status == DONE


class TestOtherDestinations:
    @pytest.mark.parametrize("destination", ["KZ", "BY", "AM", "KG"])
    def test_every_destination_has_a_contract_housing_and_registration(self, destination):
        citizenship = "RU" if destination != "RU" else "KG"
        checklist = generate(
            packaged_rules(), citizenship=citizenship, destination=destination, on=ON,
            progress=Progress(entry=ENTRY),
        )  # fmt: skip
        found = ids(checklist)
        assert "eaeu.contract" in found
        assert "eaeu.housing" in found
        assert any(".registration" in rule for rule in found)
        assert all(not i.rule.id.startswith("ru.") for i in checklist.items)

    def test_kazakhstan_asks_for_registration_a_residence_permit_and_osms(self):
        checklist = generate(
            packaged_rules(), citizenship="KG", destination="KZ", on=ON,
            progress=Progress(entry=ENTRY),
        )  # fmt: skip
        assert {"kz.registration", "kz.residence_permit", "kz.health.osms"} <= set(ids(checklist))
        assert item(checklist, "kz.residence_permit").status == CHECK
        assert item(checklist, "kz.registration").due == date(2026, 5, 1)
        assert not item(checklist, "eaeu.health.cover").required

    def test_unconfirmed_national_registration_is_check_with_the_authority(self):
        checklist = generate(
            packaged_rules(), citizenship="KZ", destination="AM", on=ON,
            progress=Progress(entry=ENTRY),
        )  # fmt: skip
        assert item(checklist, "eaeu.registration").status == CHECK


class TestDates:
    def test_working_days_skip_weekends_both_ways(self):
        friday = date(2026, 2, 27)
        assert add_days(friday, 3, "working") == date(2026, 3, 4)
        assert add_days(friday, -1, "working") == date(2026, 2, 26)
        assert add_days(date(2026, 3, 2), -1, "working") == date(2026, 2, 27)
        assert add_days(friday, 3, "calendar") == date(2026, 3, 2)

    def test_a_term_of_months_ends_the_day_before_the_same_date(self):
        assert months_later(date(2026, 3, 22), 3) == date(2026, 6, 21)
        assert months_later(date(2026, 1, 31), 1) == date(2026, 2, 28)
        assert months_later(date(2026, 11, 30), 3) == date(2027, 2, 28)
        assert months_later(date(2026, 11, 15), 2) == date(2027, 1, 14)
