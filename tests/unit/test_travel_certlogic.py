from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType

import pytest

from eaeu.kernel.errors import PlatformError
from eaeu.services.travel import certlogic
from eaeu.services.travel.certlogic import (
    EvaluationError,
    InvalidExpression,
    boolsiness,
    compile_expression,
    dcc_date_of_birth,
    evaluate,
    extract_from_uvci,
    parse_date_time,
    plus_time,
    validate,
)
from eaeu.services.travel.errors import TravelError


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class TestTruthiness:
    @pytest.mark.parametrize("value", [False, None, "", 0, 0.0, [], {}])
    def test_falsy_values(self, value):
        assert boolsiness(value) is False
        assert certlogic.is_falsy(value)
        assert not certlogic.is_truthy(value)

    @pytest.mark.parametrize("value", [True, "0", "x", 1, -1, 2.5, [0], {"a": None}, ("t",)])
    def test_truthy_values(self, value):
        assert boolsiness(value) is True
        assert certlogic.is_truthy(value)

    def test_a_date_time_is_neither(self):
        assert boolsiness(utc(2021, 1, 1)) is None
        assert not certlogic.is_truthy(utc(2021, 1, 1))
        assert not certlogic.is_falsy(utc(2021, 1, 1))

    def test_using_a_date_time_as_a_guard_is_an_error(self):
        expr = {"if": [{"plusTime": ["2021-01-01", 0, "day"]}, 1, 2]}
        with pytest.raises(EvaluationError, match="neither truthy nor falsy"):
            evaluate(expr, {})

    def test_negating_a_date_time_is_an_error(self):
        with pytest.raises(EvaluationError, match="operand of '!'"):
            evaluate({"!": [{"plusTime": ["2021-01-01", 0, "day"]}]}, {})

    def test_and_on_a_date_time_before_the_last_operand_is_an_error(self):
        expr = {"and": [{"plusTime": ["2021-01-01", 0, "day"]}, True]}
        with pytest.raises(EvaluationError, match="operand of 'and'"):
            evaluate(expr, {})

    def test_a_truthy_non_boolean_guard_selects_then(self):
        assert evaluate({"if": [{"var": "x"}, "T", "F"]}, {"x": "yes"}) == "T"
        assert evaluate({"if": [{"var": "x"}, "T", "F"]}, {"x": 0}) == "F"


class TestVar:
    def test_drills_through_objects_and_arrays(self):
        data = {"payload": {"t": [{"tt": "LP6464-4"}]}}
        assert evaluate({"var": "payload.t.0.tt"}, data) == "LP6464-4"

    def test_missing_values_are_null(self):
        assert evaluate({"var": "payload.t.1.tt"}, {"payload": {"t": [{}]}}) is None
        assert evaluate({"var": "a.b"}, {"a": "string"}) is None
        assert evaluate({"var": "a.b"}, {"a": 5}) is None

    def test_negative_and_non_numeric_indices_give_null(self):
        assert evaluate({"var": "a.-1"}, {"a": [1, 2]}) is None
        assert evaluate({"var": "a.x"}, {"a": [1, 2]}) is None

    def test_numeric_fragment_on_an_object_is_a_key(self):
        assert evaluate({"var": "a.0"}, {"a": {"0": "zero"}}) == "zero"

    def test_reads_tuples_and_other_mappings(self):
        data = MappingProxyType({"a": ({"b": 1},)})
        assert evaluate({"var": "a.0.b"}, data) == 1
        assert evaluate({"var": "a.3"}, data) is None
        assert evaluate({"var": "a.x"}, data) is None

    def test_empty_path_is_the_whole_context(self):
        assert evaluate({"var": ""}, [1]) == [1]


class TestOperators:
    def test_strict_equality_does_not_coerce(self):
        assert evaluate({"===": [1, 1]}, {}) is True
        assert evaluate({"===": [1, 1.0]}, {}) is True
        assert evaluate({"===": [1, True]}, {}) is False
        assert evaluate({"===": [True, True]}, {}) is True
        assert evaluate({"===": [{"var": "x"}, "1"]}, {"x": 1}) is False
        assert evaluate({"===": ["a", {"var": "x"}]}, {"x": "a"}) is True
        assert evaluate({"===": [{"var": "x"}, {"var": "y"}]}, {"x": None, "y": None}) is True

    def test_arrays_and_date_times_are_never_strictly_equal(self):
        assert evaluate({"===": [[1], [1]]}, {}) is False
        same_list = [1]
        assert evaluate({"===": [{"var": "a"}, {"var": "a"}]}, {"a": same_list}) is True
        date = {"plusTime": ["2021-01-01", 0, "day"]}
        assert evaluate({"===": [date, date]}, {}) is False

    def test_in_is_strict(self):
        assert evaluate({"in": [{"var": "x"}, [1, 2]]}, {"x": True}) is False
        assert evaluate({"in": [{"var": "x"}, [True, 2]]}, {"x": 1}) is False
        assert evaluate({"in": [{"var": "x"}, {"var": "y"}]}, {"x": 2, "y": [1, 2.0]}) is True
        assert evaluate({"in": [{"var": "x"}, ["a", "b"]]}, {"x": 1}) is False
        assert evaluate({"in": ["b", {"var": "y"}]}, {"y": ["a", "b"]}) is True

    def test_in_needs_an_array(self):
        with pytest.raises(EvaluationError, match="right-hand side of 'in'"):
            evaluate({"in": ["a", {"var": "y"}]}, {"y": "abc"})

    def test_plus_adds_integers_only(self):
        assert evaluate({"+": [{"var": "a"}, 2]}, {"a": 40}) == 42
        with pytest.raises(EvaluationError, match="operands of '\\+'"):
            evaluate({"+": [{"var": "a"}, 2]}, {"a": "40"})

    def test_comparisons_take_two_or_three_integers(self):
        assert evaluate({"<": [1, 2]}, {}) is True
        assert evaluate({">=": [2, 2, 1]}, {}) is True
        assert evaluate({">": [3, 2, 2]}, {}) is False
        assert evaluate({"<": [1.0, 2]}, {}) is True
        with pytest.raises(EvaluationError, match="must be integers"):
            evaluate({"<": [{"var": "a"}, 2]}, {"a": "1"})
        with pytest.raises(EvaluationError, match="must be integers"):
            evaluate({"<": [1, 2, True]}, {})

    def test_date_comparisons_take_date_times_only(self):
        early = {"plusTime": ["2021-01-01", 0, "day"]}
        late = {"plusTime": ["2021-01-02", 0, "day"]}
        assert evaluate({"before": [early, late]}, {}) is True
        assert evaluate({"after": [early, late]}, {}) is False
        assert evaluate({"not-after": [early, early, late]}, {}) is True
        assert evaluate({"not-before": [late, early, late]}, {}) is False
        with pytest.raises(EvaluationError, match="must be date-times"):
            evaluate({"before": [early, 1]}, {})
        with pytest.raises(EvaluationError, match="must be date-times"):
            evaluate({"before": [early, late, "2021-01-03"]}, {})

    def test_and_is_lazy(self):
        # The second operand would raise: it is never evaluated.
        expr = {"and": [{"var": "x"}, {"<": ["a", 1]}]}
        assert evaluate(expr, {"x": False}) is False
        assert evaluate({"and": [1, 2, "last"]}, {}) == "last"

    def test_if_evaluates_only_the_chosen_branch(self):
        assert evaluate({"if": [True, "ok", {"<": ["a", 1]}]}, {}) == "ok"

    def test_reduce_folds_left_and_treats_null_as_empty(self):
        expr = {"reduce": [{"var": "xs"}, {"+": [{"var": "accumulator"}, 1]}, 0]}
        assert evaluate(expr, {"xs": ["a", "b", "c"]}) == 3
        assert evaluate(expr, {}) == 0
        with pytest.raises(EvaluationError, match="operand of 'reduce'"):
            evaluate(expr, {"xs": "abc"})

    def test_array_literals_evaluate_their_items(self):
        assert evaluate([{"var": "a"}, 2, "b"], {"a": 1}) == [1, 2, "b"]

    def test_extract_from_uvci_needs_a_string_or_null(self):
        expr = {"extractFromUVCI": [{"var": "ci"}, 1]}
        assert evaluate(expr, {"ci": "URN:UVCI:01:RU:ABC#7"}) == "RU"
        assert evaluate(expr, {}) is None
        with pytest.raises(EvaluationError, match="extractFromUVCI"):
            evaluate(expr, {"ci": 5})

    def test_dcc_date_of_birth_needs_a_string(self):
        expr = {"dccDateOfBirth": [{"var": "dob"}]}
        assert evaluate(expr, {"dob": "1990-07"}) == utc(1990, 7, 31)
        with pytest.raises(EvaluationError, match="dccDateOfBirth"):
            evaluate(expr, {"dob": None})

    def test_plus_time_needs_a_string(self):
        with pytest.raises(EvaluationError, match="must be a string"):
            evaluate({"plusTime": [{"var": "sc"}, 1, "day"]}, {"sc": 1622548800})


class TestDates:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2021-06-01", utc(2021, 6, 1)),
            ("2021-06-01T10:20:30", utc(2021, 6, 1, 10, 20, 30)),
            ("2021-06-01T10:20:30Z", utc(2021, 6, 1, 10, 20, 30)),
            ("2021-06-01T10:20:30+2", utc(2021, 6, 1, 8, 20, 30)),
            ("2021-06-01T10:20:30+02", utc(2021, 6, 1, 8, 20, 30)),
            ("2021-06-01T10:20:30+130", utc(2021, 6, 1, 8, 50, 30)),
            ("2021-06-01T10:20:30-0530", utc(2021, 6, 1, 15, 50, 30)),
            ("2021-06-01T10:20:30+5:30", utc(2021, 6, 1, 4, 50, 30)),
            ("2021-06-01T10:20:30+03:00", utc(2021, 6, 1, 7, 20, 30)),
            ("2021-06-01T10:20:30.1Z", utc(2021, 6, 1, 10, 20, 30, 100_000)),
            ("2021-06-01T10:20:30.123987654+00:00", utc(2021, 6, 1, 10, 20, 30, 123_000)),
            ("2021", utc(2021, 12, 31)),
            ("2020-02", utc(2020, 2, 29)),
        ],
    )
    def test_parses_every_allowed_format(self, text, expected):
        parsed = parse_date_time(text)
        assert parsed == expected
        assert parsed.tzinfo is UTC

    @pytest.mark.parametrize(
        "text",
        ["", "01-06-2021", "2021-6-1", "2021-02-30", "2021-13", "2021-06-01T25:00:00Z",
         "2021-06-01 10:20:30Z", "2021-06-01T10:20Z", "2021-06-01T10:20:30+99",
         "2021-06-01T10:20:30Z\n", "٢٠٢١-06-01"],
    )  # fmt: skip
    def test_refuses_other_formats(self, text):
        with pytest.raises(EvaluationError, match="not an allowed date"):
            parse_date_time(text)

    def test_month_arithmetic_lets_the_day_overflow_like_javascript(self):
        assert plus_time("2021-01-31", 1, "month") == utc(2021, 3, 3)
        assert plus_time("2021-03-31", -1, "month") == utc(2021, 3, 3)
        assert plus_time("2021-11-15T12:00:00Z", 3, "month") == utc(2022, 2, 15, 12)
        assert plus_time("2021-01-15", -13, "month") == utc(2019, 12, 15)

    def test_leap_days_follow_the_specification_table(self):
        assert plus_time("2020-02-29", 1, "day") == utc(2020, 3, 1)
        assert plus_time("2020-02-29", 1, "month") == utc(2020, 3, 29)
        assert plus_time("2020-02-29", 1, "year") == utc(2021, 3, 1)
        assert plus_time("2020-02-29", 4, "year") == utc(2024, 2, 29)

    def test_arithmetic_is_on_utc_fields(self):
        # 23:30 at -02:00 is already 1 February in UTC.
        assert plus_time("2021-01-31T23:30:00-02:00", 1, "month") == utc(2021, 3, 1, 1, 30)
        assert plus_time("2021-03-27T12:00:00+01:00", 24, "hour") == utc(2021, 3, 28, 11)
        assert plus_time("2021-03-27T12:00:00+01:00", 1, "day") == utc(2021, 3, 28, 11)
        assert plus_time("2021-06-01T00:00:00Z", -72, "hour") == utc(2021, 5, 29)

    def test_results_compare_across_offsets(self):
        moscow = timezone(timedelta(hours=3))
        assert plus_time("2021-06-01T03:00:00+03:00", 0, "hour") == datetime(
            2021, 6, 1, 3, tzinfo=moscow
        )

    def test_out_of_range_results_are_errors(self):
        with pytest.raises(EvaluationError, match="out of range"):
            plus_time("9999-12-31", 1, "year")

    def test_unknown_units_are_errors(self):
        with pytest.raises(EvaluationError, match="unknown time unit"):
            plus_time("2021-01-01", 0, "week")

    def test_date_of_birth_is_the_last_consistent_date(self):
        assert dcc_date_of_birth("2004") == utc(2004, 12, 31)
        assert dcc_date_of_birth("2004-02") == utc(2004, 2, 29)
        assert dcc_date_of_birth("2004-02-03") == utc(2004, 2, 3)

    @pytest.mark.parametrize("text", ["", "04", "2004-13", "2004-02-30", "2004-02-03T00:00:00Z"])
    def test_date_of_birth_refuses_anything_else(self, text):
        with pytest.raises(EvaluationError, match="not a DCC date of birth"):
            dcc_date_of_birth(text)


class TestExtractFromUvci:
    def test_splits_on_separators_after_the_optional_prefix(self):
        uvci = "URN:UVCI:01:AM:8F3C2A#Q"
        assert [extract_from_uvci(uvci, i) for i in range(5)] == ["01", "AM", "8F3C2A", "Q", None]
        assert extract_from_uvci("01:AM:8F3C2A", 1) == "AM"
        assert extract_from_uvci(uvci, -1) is None
        assert extract_from_uvci(None, 0) is None


class TestValidation:
    def test_a_valid_rule_has_no_issues(self):
        rule = {
            "if": [
                {"===": [{"var": "payload.t.0.tt"}, "LP6464-4"]},
                {"not-after": [
                    {"plusTime": [{"var": "external.validationClock"}, 0, "hour"]},
                    {"plusTime": [{"var": "payload.t.0.sc"}, 72, "hour"]},
                ]},
                True,
            ]
        }  # fmt: skip
        assert validate(rule) == []

    @pytest.mark.parametrize(
        ("expr", "path", "message"),
        [
            ({"or": [True, False]}, "", 'unrecognised operator: "or"'),
            ({"!==": [1, 2]}, "", 'unrecognised operator: "!=="'),
            ({"==": [1, 2]}, "", 'unrecognised operator: "=="'),
            ({"if": [True, 1]}, "", "'if' takes 3 operand(s), not 2"),
            ({"===": [1, 2, 3]}, "", "'===' takes 2 operand(s), not 3"),
            ({"and": [True]}, "", "'and' takes at least 2 operand(s), not 1"),
            ({"<": [1]}, "", "'<' takes 2 or 3 operand(s), not 1"),
            ({"!": [True, False]}, "", "'!' takes 1 operand(s), not 2"),
            ({"var": ["a", None]}, "", 'not of the form { "var": "<path>" }'),
            ({"var": "a..b"}, "", "data access path doesn't have a valid format: a..b"),
            ({"plusTime": ["2021", 1.5, "day"]}, "", "amount (operand 2) of 'plusTime'"),
            ({"plusTime": ["2021", {"var": "n"}, "day"]}, "", "amount (operand 2)"),
            ({"plusTime": ["2021", 1, "week"]}, "", "unit (operand 3) of 'plusTime'"),
            ({"extractFromUVCI": [{"var": "ci"}, "1"]}, "", "index (operand 2)"),
            ({"and": [True, {"in": ["a", None]}]}, "/and/1/in/1", "invalid CertLogic expression"),
            ([1, 2.5], "/1", "2.5 is a non-integer number"),
            ({"var": {"a/b": 1}}, "", 'not of the form { "var": "<path>" }'),
        ],
    )
    def test_reports_where_and_what(self, expr, path, message):
        issues = validate(expr)
        assert issues
        assert issues[0].path == path
        assert message in issues[0].message

    def test_pointers_name_the_operator_and_operand(self):
        (issue,) = validate({"a/b~": [1]})
        assert issue.path == ""
        (issue,) = validate({"!": [{"a/b": [1]}]})
        assert issue.path == "/!/0"
        (issue,) = validate({"and": [True, {"var": "a/b~c"}, [{"x": []}]]})
        assert issue.path == "/and/2/0"
        (issue,) = validate({"if": [True, {"!": [{"b": []}]}, 1]})
        assert issue.path == "/if/1/!/0"

    def test_collects_every_issue(self):
        issues = validate({"and": [{"foo": []}, {"if": [1]}, {"plusTime": ["x", "y", "z"]}]})
        assert [i.path for i in issues] == ["/and/0", "/and/1", "/and/2", "/and/2"]

    def test_compiling_an_invalid_expression_raises_with_the_issues(self):
        with pytest.raises(InvalidExpression, match=r"at /and/0: .*and 1 more") as caught:
            compile_expression({"and": [{"foo": []}, {"bar": []}]})
        assert len(caught.value.issues) == 2
        assert caught.value.reason == "certlogic.invalid_expression"

    def test_errors_belong_to_the_platform_tree(self):
        assert issubclass(InvalidExpression, TravelError)
        assert issubclass(EvaluationError, PlatformError)
        with pytest.raises(InvalidExpression, match="at /: invalid CertLogic expression"):
            compile_expression(None)


class TestCompiledExpressions:
    def test_are_reusable_across_data(self):
        compiled = compile_expression({"in": [{"var": "tt"}, ["LP6464-4", "LP217198-3"]]})
        assert compiled({"tt": "LP6464-4"}) is True
        assert compiled({"tt": "other"}) is False
        assert compiled({}) is False
