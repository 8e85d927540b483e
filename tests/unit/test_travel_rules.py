from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eaeu.services.travel.rules import (
    CertificateType,
    External,
    InvalidRule,
    Outcome,
    RuleBook,
    RulesNotSatisfied,
    RuleType,
    certificate_type_of,
    evaluate_rule,
    evaluate_rules,
    format_instant,
    load_entry_rules,
    load_rules,
    parse_entry_rules,
    parse_rule,
)
from eaeu.services.travel.value_sets import (
    InvalidValueSet,
    compress_value_sets,
    load_value_sets,
)

CLOCK = datetime(2021, 6, 1, 12, tzinfo=UTC)
VALUE_SETS = {
    "covid-19-lab-test-type": ["LP217198-3", "LP6464-4"],
    "covid-19-lab-test-manufacturer-and-name": ["1232", "1304"],
}


def rule_json(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "Identifier": "TR-RU-0002",
        "Type": "Acceptance",
        "Country": "RU",
        "Version": "1.0.0",
        "SchemaVersion": "1.3.0",
        "Engine": "CERTLOGIC",
        "EngineVersion": "1.3.2",
        "CertificateType": "Test",
        "Description": [
            {"lang": "en", "desc": "The test result must be 'not detected'."},
            {"lang": "ru", "desc": "Результат теста должен быть «не обнаружено»."},
        ],
        "ValidFrom": "2021-02-01T00:00:00Z",
        "ValidTo": "2030-01-01T00:00:00Z",
        "AffectedFields": ["t.0", "t.0.tr"],
        "Logic": {
            "if": [{"var": "payload.t.0"}, {"===": [{"var": "payload.t.0.tr"}, "260415000"]}, True]
        },
    }
    for key, value in changes.items():
        if value is None:
            del document[key]
        else:
            document[key] = value
    return document


def certificate(**changes: Any) -> dict[str, Any]:
    entry = {
        "tg": "840539006",
        "tt": "LP6464-4",
        "sc": "2021-05-30T12:00:00Z",
        "tr": "260415000",
        "tc": "Central lab",
        "co": "BY",
        "is": "Ministry of Health of the Republic of Belarus",
        "ci": "URN:UVCI:01:BY:5C1F0B2A9E#K",
    }
    entry.update(changes)
    return {"ver": "1.3.0", "nam": {"fnt": "IVANOV"}, "dob": "1990-01-01", "t": [entry]}


class TestParsingRules:
    def test_reads_every_field(self):
        rule = parse_rule(rule_json(Region="MOW"))
        assert rule.identifier == "TR-RU-0002"
        assert rule.type is RuleType.ACCEPTANCE
        assert rule.certificate_type is CertificateType.TEST
        assert rule.version_key == (1, 0, 0)
        assert rule.valid_from == datetime(2021, 2, 1, tzinfo=UTC)
        assert rule.description("ru") == "Результат теста должен быть «не обнаружено»."
        assert rule.description("hy") is None
        assert rule.affected_fields == ("t.0", "t.0.tr")
        assert rule.region == "MOW"

    def test_round_trips_through_json(self):
        for document in (rule_json(), rule_json(Region="MOW")):
            assert parse_rule(document).to_json() == document

    def test_normalises_offsets_to_utc(self):
        rule = parse_rule(rule_json(ValidFrom="2021-02-01T03:00:00+03:00"))
        assert rule.valid_from == datetime(2021, 2, 1, tzinfo=UTC)
        assert rule.to_json()["ValidFrom"] == "2021-02-01T00:00:00Z"

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"Logic": None}, "missing Logic"),
            ({"Color": "red"}, "unknown fields Color"),
            ({"Identifier": "TR-RU-1"}, "Identifier must look like"),
            ({"Identifier": 7}, "Identifier must look like"),
            ({"Type": "Advice"}, "unknown Type or CertificateType"),
            ({"CertificateType": "Booster"}, "unknown Type or CertificateType"),
            ({"Country": "BY"}, "Country must be the identifier's"),
            ({"Country": "ru"}, "Country must be the identifier's"),
            ({"Country": ""}, "Country must be a non-empty string"),
            ({"CertificateType": "Vaccination"}, "prefix does not match"),
            ({"Type": "Invalidation"}, "prefix does not match"),
            ({"Engine": "JSONLOGIC"}, "Engine must be CERTLOGIC"),
            ({"EngineVersion": "1.3"}, "EngineVersion must be"),
            ({"Version": "1.0"}, "versions must be semantic"),
            ({"SchemaVersion": "v1"}, "versions must be semantic"),
            ({"ValidFrom": "soon"}, "ValidFrom must be an ISO 8601"),
            ({"ValidTo": "2030-01-01T00:00:00"}, "ValidTo must carry a UTC offset"),
            ({"ValidTo": "2021-02-01T00:00:00Z"}, "ValidFrom must be before ValidTo"),
            ({"AffectedFields": "t.0"}, "AffectedFields must be"),
            ({"AffectedFields": [""]}, "AffectedFields must be"),
            ({"Region": 5}, "Region must be a string"),
            ({"Description": []}, "Description must be a non-empty array"),
            ({"Description": [{"lang": "en"}]}, "needs a lang and a desc"),
            ({"Description": [{"lang": "ru", "desc": "x"}]}, "English \\(en\\) Description"),
            ({"Logic": {"or": [True, False]}}, 'unrecognised operator: "or"'),
        ],
    )
    def test_refuses_rules_that_break_the_format(self, changes, message):
        with pytest.raises(InvalidRule, match=message) as caught:
            parse_rule(rule_json(**changes))
        assert caught.value.reason == "rules.invalid"

    def test_refuses_what_is_not_an_object(self):
        with pytest.raises(InvalidRule, match="must be a JSON object"):
            parse_rule(["TR-RU-0001"])  # type: ignore[arg-type]

    def test_accepts_invalidation_rules_of_any_certificate_type(self):
        rule = parse_rule(rule_json(Identifier="IR-RU-0001", Type="Invalidation"))
        assert rule.type is RuleType.INVALIDATION

    def test_general_rules_use_the_gr_prefix(self):
        rule = parse_rule(rule_json(Identifier="GR-RU-0001", CertificateType="General"))
        assert rule.certificate_type is CertificateType.GENERAL


def make_rules(*documents: dict[str, Any]) -> RuleBook:
    return RuleBook(parse_rule(d) for d in documents)


class TestSelection:
    def select(self, book: RuleBook, at: datetime = CLOCK, **kwargs: Any) -> list[str]:
        options = {
            "arrival_country": "RU",
            "issuing_country": "BY",
            "certificate_type": CertificateType.TEST,
            "at": at,
        } | kwargs
        return [f"{r.identifier}@{r.version}" for r in book.select(**options)]

    def test_takes_the_highest_valid_version_of_each_identifier(self):
        book = make_rules(
            rule_json(Version="1.0.0"),
            rule_json(Version="1.10.0", ValidFrom="2021-05-01T00:00:00Z"),
            rule_json(Version="1.9.0"),
            rule_json(Version="2.0.0", ValidFrom="2021-07-01T00:00:00Z"),
        )
        assert self.select(book) == ["TR-RU-0002@1.10.0"]
        assert self.select(book, at=datetime(2021, 4, 1, tzinfo=UTC)) == ["TR-RU-0002@1.9.0"]
        assert self.select(book, at=datetime(2021, 7, 1, tzinfo=UTC)) == ["TR-RU-0002@2.0.0"]

    def test_respects_the_validity_window_at_both_ends(self):
        book = make_rules(
            rule_json(ValidFrom="2021-06-01T12:00:00Z", ValidTo="2021-06-02T00:00:00Z")
        )
        assert self.select(book, at=CLOCK - timedelta(microseconds=1)) == []
        assert self.select(book, at=CLOCK) == ["TR-RU-0002@1.0.0"]
        assert self.select(book, at=datetime(2021, 6, 2, tzinfo=UTC)) == []

    def test_applies_arrival_acceptance_and_issuer_invalidation_rules(self):
        book = make_rules(
            rule_json(),
            rule_json(Identifier="TR-BY-0002", Country="BY"),
            rule_json(Identifier="IR-BY-0001", Country="BY", Type="Invalidation"),
            rule_json(Identifier="IR-RU-0001", Country="RU", Type="Invalidation"),
        )
        assert self.select(book) == ["TR-RU-0002@1.0.0", "IR-BY-0001@1.0.0"]

    def test_applies_general_rules_and_rules_of_the_certificate_type_only(self):
        book = make_rules(
            rule_json(),
            rule_json(Identifier="GR-RU-0001", CertificateType="General"),
            rule_json(Identifier="VR-RU-0001", CertificateType="Vaccination"),
        )
        assert self.select(book) == ["GR-RU-0001@1.0.0", "TR-RU-0002@1.0.0"]
        vaccination = self.select(book, certificate_type=CertificateType.VACCINATION)
        assert vaccination == ["GR-RU-0001@1.0.0", "VR-RU-0001@1.0.0"]

    def test_regional_rules_apply_only_in_their_region(self):
        book = make_rules(rule_json(), rule_json(Identifier="TR-RU-0009", Region="MOW"))
        assert self.select(book) == ["TR-RU-0002@1.0.0"]
        assert self.select(book, region="MOW") == ["TR-RU-0002@1.0.0", "TR-RU-0009@1.0.0"]

    def test_selection_follows_the_clock_past_a_cached_window(self):
        book = make_rules(rule_json(), rule_json(Version="1.1.0", ValidFrom="2021-06-02T00:00:00Z"))
        assert self.select(book) == ["TR-RU-0002@1.0.0"]
        assert self.select(book) == ["TR-RU-0002@1.0.0"]
        assert self.select(book, at=datetime(2021, 6, 3, tzinfo=UTC)) == ["TR-RU-0002@1.1.0"]
        assert self.select(book, at=datetime(2040, 1, 1, tzinfo=UTC)) == []
        assert self.select(book, at=datetime(2000, 1, 1, tzinfo=UTC)) == []

    def test_refuses_a_version_given_twice(self):
        with pytest.raises(InvalidRule, match=r"version 1\.0\.0 given twice"):
            make_rules(rule_json(), rule_json())

    def test_a_book_lists_its_rules(self):
        book = make_rules(rule_json(), rule_json(Version="1.0.1"))
        assert len(book) == 2
        assert [r.version for r in book] == ["1.0.0", "1.0.1"]
        assert book.rules[0].version == "1.0.0"
        assert book.source(book.rules[0]) is None


class TestCertificateType:
    def test_reads_the_type_from_the_payload(self):
        assert certificate_type_of(certificate()) is CertificateType.TEST
        assert certificate_type_of({"v": [{}]}) is CertificateType.VACCINATION
        assert certificate_type_of({"r": [{}]}) is CertificateType.RECOVERY

    @pytest.mark.parametrize("payload", [{}, {"t": []}, {"t": [{}], "v": [{}]}])
    def test_refuses_payloads_of_no_single_type(self, payload):
        with pytest.raises(InvalidRule, match="exactly one of t, v and r"):
            certificate_type_of(payload)


class TestEvaluation:
    def external(self, **changes: Any) -> External:
        return External(
            **(
                {"validation_clock": CLOCK, "value_sets": VALUE_SETS, "country_code": "RU"}
                | changes
            )
        )

    def test_external_parameters_are_rendered_once_as_json(self):
        moment = datetime(2021, 5, 30, 15, 0, 0, 250_000, tzinfo=UTC)
        external = self.external(exp=moment, iat=CLOCK)
        assert external.as_json() == {
            "valueSets": VALUE_SETS,
            "validationClock": "2021-06-01T12:00:00Z",
            "countryCode": "RU",
            "exp": "2021-05-30T15:00:00.250Z",
            "iat": "2021-06-01T12:00:00Z",
        }
        assert "exp" not in self.external().as_json()

    def test_a_true_rule_passes_and_a_false_rule_fails(self):
        rule = parse_rule(rule_json())
        passed = evaluate_rules([rule], certificate(), self.external())
        assert passed.passed
        assert passed.results[0].outcome is Outcome.PASSED
        failed = evaluate_rules([rule], certificate(tr="260373001"), self.external())
        assert not failed.passed
        assert failed.results[0].outcome is Outcome.FAILED
        assert failed.results[0].description_en == "The test result must be 'not detected'."
        assert failed.results[0].description_ru == "Результат теста должен быть «не обнаружено»."

    def test_truthy_and_falsy_values_count_as_true_and_false(self):
        truthy = parse_rule(rule_json(Logic={"var": "payload.t.0.tr"}))
        falsy = parse_rule(rule_json(Identifier="TR-RU-0003", Logic={"var": "payload.t.0.nm"}))
        verdict = evaluate_rules([truthy, falsy], certificate(), self.external())
        assert [r.outcome for r in verdict.results] == [Outcome.PASSED, Outcome.FAILED]

    def test_an_evaluation_error_leaves_the_rule_open(self):
        rule = parse_rule(rule_json(Logic={"plusTime": [{"var": "payload.t.0.sc"}, 0, "day"]}))
        result = evaluate_rules([rule], certificate(sc="yesterday"), self.external()).results[0]
        assert result.outcome is Outcome.OPEN
        assert result.error == "not an allowed date or date-time format"
        assert not result.passed

    def test_a_value_neither_truthy_nor_falsy_leaves_the_rule_open(self):
        rule = parse_rule(rule_json(Logic={"plusTime": [{"var": "payload.t.0.sc"}, 0, "day"]}))
        result = evaluate_rules([rule], certificate(), self.external()).results[0]
        assert result.outcome is Outcome.OPEN
        assert result.error == "rule logic gave neither true nor false"

    @pytest.mark.parametrize("ver", ["2.0.0", "1.2.9", None, "1.3"])
    def test_a_rule_for_another_schema_version_stays_open(self, ver):
        payload = certificate()
        if ver is None:
            del payload["ver"]
        else:
            payload["ver"] = ver
        verdict = evaluate_rules([parse_rule(rule_json())], payload, self.external())
        assert verdict.results[0].outcome is Outcome.OPEN
        assert "schema version" in (verdict.results[0].error or "")

    def test_a_newer_minor_schema_is_covered(self):
        rule = parse_rule(rule_json())
        data = {"payload": certificate(), "external": self.external().as_json()}
        assert evaluate_rule(rule, data, (1, 3, 2)).outcome is Outcome.PASSED
        assert evaluate_rule(rule, data).outcome is Outcome.PASSED

    def test_check_raises_naming_the_rules_that_did_not_pass(self):
        book = make_rules(rule_json(), rule_json(Identifier="TR-RU-0003", Logic=False))
        verdict = book.verify(certificate(), self.external(), issuing_country="BY")
        with pytest.raises(RulesNotSatisfied, match="TR-RU-0003") as caught:
            verdict.check()
        assert caught.value.identifiers == ("TR-RU-0003",)
        assert caught.value.reason == "rules.failed"

    def test_an_empty_verdict_passes(self):
        verdict = make_rules().verify(certificate(), self.external(), issuing_country="BY")
        assert verdict.results == ()
        verdict.check()

    def test_format_instant_is_utc_with_z(self):
        assert format_instant(datetime(2021, 6, 1, 15, tzinfo=UTC) + timedelta(hours=0)) == (
            "2021-06-01T15:00:00Z"
        )


class TestEntryRules:
    def verify(self, arrival: str, at: datetime = CLOCK, **changes: Any) -> dict[str, Outcome]:
        external = External(validation_clock=at, value_sets=VALUE_SETS, country_code=arrival)
        verdict = load_entry_rules().verify(certificate(**changes), external, issuing_country="BY")
        return {r.rule.identifier: r.outcome for r in verdict.results}

    def test_ship_valid_rules_for_every_union_state(self):
        book = load_entry_rules()
        assert {r.country for r in book} == {"AM", "BY", "KG", "KZ", "RU"}
        for rule in book:
            assert rule.type is RuleType.ACCEPTANCE
            assert rule.certificate_type is CertificateType.TEST
            assert rule.description("en")
            assert rule.description("ru")
            assert book.source(rule)

    def test_russia_accepts_a_negative_pcr_test_taken_72_hours_before(self):
        outcomes = self.verify("RU", sc="2021-05-29T12:00:00Z")
        assert set(outcomes) == {f"TR-RU-000{n}" for n in range(1, 6)}
        assert set(outcomes.values()) == {Outcome.PASSED}

    def test_russia_refuses_a_pcr_test_older_than_72_hours(self):
        outcomes = self.verify("RU", sc="2021-05-29T11:59:59Z")
        assert outcomes["TR-RU-0003"] is Outcome.FAILED

    def test_a_sample_taken_after_the_check_is_refused(self):
        outcomes = self.verify("RU", sc="2021-06-01T12:00:01Z")
        assert outcomes["TR-RU-0003"] is Outcome.FAILED

    def test_offsets_in_the_sample_time_are_honoured(self):
        # 15:00 in Moscow (+03:00) three days earlier is exactly 72 hours before 12:00 UTC.
        assert self.verify("RU", sc="2021-05-29T15:00:00+03:00")["TR-RU-0003"] is Outcome.PASSED
        assert self.verify("RU", sc="2021-05-29T14:59:59+03:00")["TR-RU-0003"] is Outcome.FAILED

    def test_russia_refuses_rapid_antigen_tests(self):
        outcomes = self.verify("RU", tt="LP217198-3", ma="1232", sc="2021-06-01T00:00:00Z")
        assert outcomes["TR-RU-0004"] is Outcome.FAILED

    def test_belarus_accepts_a_rapid_antigen_test_within_48_hours(self):
        outcomes = self.verify("BY", tt="LP217198-3", ma="1232", sc="2021-05-30T12:00:00Z")
        assert set(outcomes.values()) == {Outcome.PASSED}
        late = self.verify("BY", tt="LP217198-3", ma="1232", sc="2021-05-30T11:59:59Z")
        assert late["TR-BY-0004"] is Outcome.FAILED

    def test_a_rapid_antigen_device_must_be_in_the_value_set(self):
        outcomes = self.verify("AM", tt="LP217198-3", ma="9999", sc="2021-06-01T00:00:00Z")
        assert outcomes["TR-AM-0006"] is Outcome.FAILED

    def test_a_positive_test_never_passes(self):
        for state in ("AM", "BY", "RU"):
            assert self.verify(state, tr="260373001")[f"TR-{state}-0002"] is Outcome.FAILED

    def test_an_unknown_test_type_fails(self):
        assert self.verify("RU", tt="LP0000-0")["TR-RU-0001"] is Outcome.FAILED

    def test_a_test_for_another_disease_fails(self):
        assert self.verify("KG", tg="12345")["TR-KG-0005"] is Outcome.FAILED

    def test_no_rules_apply_before_the_app_was_launched(self):
        assert self.verify("RU", at=datetime(2021, 1, 31, tzinfo=UTC)) == {}


def entry_document(**changes: Any) -> dict[str, Any]:
    document = {
        "format": "eaeu.travel.entry-rules",
        "formatVersion": 1,
        "rules": [{"source": "test", "rule": rule_json()}],
    }
    return document | changes


class TestEntryRulesDocument:
    def test_parses_rules_with_their_sources(self):
        book = parse_entry_rules(json.dumps(entry_document()))
        (rule,) = book.rules
        assert book.source(rule) == "test"

    @pytest.mark.parametrize(
        ("document", "message"),
        [
            ("{", "not JSON"),
            (json.dumps([]), "not an eaeu.travel.entry-rules document"),
            (json.dumps(entry_document(formatVersion=2)), "format version 1"),
            (json.dumps(entry_document(rules=[rule_json()])), "exactly a source and a rule"),
            (
                json.dumps(entry_document(rules=[{"source": " ", "rule": rule_json()}])),
                "a source note is required",
            ),
            (
                json.dumps(
                    entry_document(
                        rules=[
                            {
                                "source": "x",
                                "rule": rule_json(Identifier="TR-DE-0002", Country="DE"),
                            }
                        ]
                    )
                ),
                "only acceptance rules of union states",
            ),
            (
                json.dumps(
                    entry_document(
                        rules=[
                            {
                                "source": "x",
                                "rule": rule_json(Description=[{"lang": "en", "desc": "x"}]),
                            }
                        ]
                    )
                ),
                "Russian \\(ru\\) Description",
            ),
        ],
    )
    def test_refuses_invalid_documents(self, document, message):
        with pytest.raises(InvalidRule, match=message):
            parse_entry_rules(document)

    def test_the_shipped_document_is_loaded_once(self):
        assert load_entry_rules() is load_entry_rules()


class TestLoadRules:
    def test_loads_a_gateway_rule_list(self):
        book = load_rules(json.dumps([rule_json(), rule_json(Version="1.0.1")]))
        assert len(book) == 2

    def test_refuses_anything_but_an_array(self):
        with pytest.raises(InvalidRule, match="JSON array of rules"):
            load_rules(json.dumps(rule_json()))

    def test_refuses_a_broken_rule_in_the_list(self):
        broken = copy.deepcopy(rule_json())
        broken["Logic"] = {"var": 1}
        with pytest.raises(InvalidRule, match="TR-RU-0002: invalid CertLogic"):
            load_rules(json.dumps([broken]))


def value_set(identifier: str, **codes: bool) -> dict[str, Any]:
    return {
        "valueSetId": identifier,
        "valueSetDate": "2021-04-27",
        "valueSetValues": {
            code: {"display": code, "lang": "en", "active": active, "version": "1", "system": "s"}
            for code, active in codes.items()
        },
    }


class TestValueSets:
    def test_compresses_value_set_documents(self):
        documents = [value_set("a", x=True, y=False), value_set("b", z=True)]
        assert compress_value_sets(documents) == {"a": ["x", "y"], "b": ["z"]}
        assert compress_value_sets(documents, active_only=True) == {"a": ["x"], "b": ["z"]}

    def test_loads_each_of_the_three_forms(self):
        assert load_value_sets(json.dumps(value_set("a", x=True))) == {"a": ["x"]}
        assert load_value_sets(json.dumps([value_set("a", x=True)])) == {"a": ["x"]}
        assert load_value_sets(b'{"a": ["x", "y"]}') == {"a": ["x", "y"]}

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("[", "must be JSON"),
            ("3", "JSON object or array"),
            ('{"a": [1]}', "not a value set"),
            ('{"valueSetId": "", "valueSetValues": {}}', "needs a valueSetId"),
            ('{"valueSetId": "a", "valueSetValues": {"x": 1}}', "entry x is not an object"),
        ],
    )
    def test_refuses_malformed_value_sets(self, text, message):
        with pytest.raises(InvalidValueSet, match=message):
            load_value_sets(text)

    def test_refuses_a_value_set_given_twice(self):
        with pytest.raises(InvalidValueSet, match="given twice"):
            compress_value_sets([value_set("a", x=True), value_set("a", y=True)])
