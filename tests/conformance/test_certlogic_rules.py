"""CertLogic and the EU DCC business rules against their published test data.

* ``tests/data/certlogic/testSuite``: the evaluator test suite of the CertLogic
  specification (``ehn-dcc-development/eu-dcc-business-rules``), every assertion.
* ``tests/data/certlogic/validation-testSuite``: its validator test suite.
* ``tests/data/eu-dcc/rules``: ``dgc-business-rules-testdata``, every rule and its tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eaeu.services.travel import certlogic
from eaeu.services.travel.rules import parse_rule
from eaeu.services.travel.value_sets import load_value_sets

DATA = Path(__file__).parent.parent / "data"
SUITE = DATA / "certlogic" / "testSuite"
VALIDATION_SUITE = DATA / "certlogic" / "validation-testSuite"
RULES = DATA / "eu-dcc" / "rules"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _evaluator_assertions(*, skipped_by_the_suite: bool = False) -> list[Any]:
    """The suite's assertions; those it marks ``"directive": "skip"`` apart.

    The suite skips these itself: they expect "in" with a null right-hand side to give
    false, but the specification calls a non-array operand an error, as certlogic-js does.
    We follow the specification, and test that we do.
    """
    params = []
    for path in sorted(SUITE.glob("*.json")):
        for case in _load(path)["cases"]:
            for index, assertion in enumerate(case["assertions"]):
                if (assertion.get("directive") == "skip") is not skipped_by_the_suite:
                    continue
                expression = assertion.get("certLogicExpression", case.get("certLogicExpression"))
                params.append(
                    pytest.param(
                        expression,
                        assertion["data"],
                        assertion["expected"],
                        id=f"{path.stem}:{case['name']}:{index}",
                    )
                )
    return params


def _validation_cases() -> list[Any]:
    return [
        pytest.param(case["certLogicExpression"], case["issues"], id=f"{path.stem}:{index}")
        for path in sorted(VALIDATION_SUITE.glob("*.json"))
        for index, case in enumerate(_load(path)["cases"])
    ]


def _rule_tests() -> list[Any]:
    return [
        pytest.param(rule_path, test_path, id=f"{rule_path.parent.name}/{test_path.stem}")
        for rule_path in sorted(RULES.glob("*/*/rule.json"))
        for test_path in sorted((rule_path.parent / "tests").glob("*.json"))
    ]


EVALUATOR_ASSERTIONS = _evaluator_assertions()
SKIPPED_BY_THE_SUITE = _evaluator_assertions(skipped_by_the_suite=True)
VALIDATION_CASES = _validation_cases()
RULE_TESTS = _rule_tests()


def _same(actual: Any, expected: Any) -> bool:
    # JSON equality that tells true from 1 and false from 0, as the suites intend.
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(_same(actual[k], expected[k]) for k in expected)
        )
    return type(actual) is type(expected) and actual == expected


class TestCertLogicEvaluatorSuite:
    def test_the_whole_suite_is_present(self):
        assert (len(EVALUATOR_ASSERTIONS), len(SKIPPED_BY_THE_SUITE)) == (202, 4)

    @pytest.mark.parametrize(("expression", "data", "expected"), EVALUATOR_ASSERTIONS)
    def test_evaluates_as_the_specification_expects(self, expression, data, expected):
        assert _same(certlogic.evaluate(expression, data), expected)

    @pytest.mark.parametrize(("expression", "data", "expected"), SKIPPED_BY_THE_SUITE)
    def test_in_on_null_is_an_error_where_the_suite_skips(self, expression, data, expected):
        with pytest.raises(certlogic.EvaluationError):
            certlogic.evaluate(expression, data)
        assert expected is False  # what the suite would have wanted instead


class TestCertLogicValidatorSuite:
    def test_the_whole_suite_is_present(self):
        assert len(VALIDATION_CASES) == 23

    @pytest.mark.parametrize(("expression", "issues"), VALIDATION_CASES)
    def test_reports_the_issues_the_specification_expects(self, expression, issues):
        found = certlogic.validate(expression)
        assert [(i.expr, i.message) for i in found] == [(i["expr"], i["message"]) for i in issues]


class TestBusinessRulesCorpus:
    def test_the_whole_corpus_is_present(self):
        assert len(list(RULES.glob("*/*/rule.json"))) == 99
        assert len(RULE_TESTS) == 669

    @pytest.mark.parametrize(("rule_path", "test_path"), RULE_TESTS)
    def test_rule_gives_the_expected_result(self, rule_path, test_path):
        rule = parse_rule(_load(rule_path))
        test = _load(test_path)
        result = rule.evaluator({"payload": test["payload"], "external": test["external"]})
        assert result is test["expected"]

    def test_every_test_clock_lies_in_its_rules_validity_window(self):
        # The corpus promises this; selection by validity depends on it.
        for rule_path, test_path in (p.values for p in RULE_TESTS):
            clock = _load(test_path)["external"].get("validationClock")
            if clock is not None:
                rule = parse_rule(_load(rule_path))
                assert rule.is_valid_at(certlogic.parse_date_time(clock)), test_path

    def test_the_corpus_value_sets_load_in_compressed_form(self):
        value_sets = load_value_sets((RULES / "valuesets" / "valueSets.json").read_bytes())
        assert value_sets["covid-19-lab-test-type"] == ["LP217198-3", "LP6464-4"]
        assert len(value_sets["country-2-codes"]) == 250
