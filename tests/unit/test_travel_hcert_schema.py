"""The hand-compiled DCC schema 1.3 validator: what it accepts and what it refuses."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from eaeu.services.travel.errors import SchemaViolation
from eaeu.services.travel.schema import group_of, validate

TEST: dict[str, Any] = {
    "ver": "1.3.0",
    "nam": {"fn": "Петрова", "gn": "Анна", "fnt": "PETROVA", "gnt": "ANNA"},
    "dob": "1990-04-12",
    "t": [
        {
            "tg": "840539006",
            "tt": "LP217198-3",
            "ma": "1232",
            "sc": "2026-02-28T08:15:00Z",
            "tr": "260415000",
            "tc": "Almaty Central Laboratory",
            "co": "KZ",
            "is": "Ministry of Health of Kazakhstan",
            "ci": "URN:UVCI:01:KZ:LAB7202600042#5",
        }
    ],
}
VACCINATION: dict[str, Any] = {
    "ver": "1.3.0",
    "nam": {"fnt": "PETROVA"},
    "dob": "1990",
    "v": [
        {
            "tg": "840539006",
            "vp": "1119349007",
            "mp": "EU/1/20/1528",
            "ma": "ORG-100030215",
            "dn": 2,
            "sd": 2,
            "dt": "2021-06-01",
            "co": "AM",
            "is": "Ministry of Health",
            "ci": "URN:UVCI:01:AM:X#1",
        }
    ],
}
RECOVERY: dict[str, Any] = {
    "ver": "1.3.0",
    "nam": {"gnt": "ANNA"},
    "dob": "",
    "r": [
        {
            "tg": "840539006",
            "fr": "2021-06-01",
            "co": "BY",
            "is": "Ministry of Health",
            "df": "2021-06-12",
            "du": "2021-12-01T00:00:00.000Z",
            "ci": "URN:UVCI:01:BY:X#1",
        }
    ],
}


def changed(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(base)
    *parents, last = path.split("/")
    target: Any = document
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    key: Any = int(last) if last.isdigit() else last
    if value is ...:
        del target[key]
    else:
        target[key] = value
    return document


class TestSchema:
    @pytest.mark.parametrize("document", [TEST, VACCINATION, RECOVERY], ids=["t", "v", "r"])
    def test_accepts_each_certificate_type(self, document):
        validate(document)

    def test_names_the_group(self):
        assert [group_of(d) for d in (TEST, VACCINATION, RECOVERY)] == ["t", "v", "r"]

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            ("t/0/nm", "Roche cobas SARS-CoV-2"),
            ("t/0/dr", "2026-02-28T10:00:00Z"),
            ("t/0/sc", "2026-02-28T08:15:00.123456+05:00"),
            ("t/0/sc", "2026-02-28t08:15:00z"),
            ("t/0/co", "XK-KOSOVO"),
            ("dob", "1990-04"),
            ("nam/fn", "x" * 80),
            ("extension", {"anything": [1, 2]}),
        ],
    )
    def test_accepts_what_the_schema_allows(self, path, value):
        validate(changed(TEST, path, value))

    def test_accepts_a_test_entry_without_centre(self):
        validate(changed(TEST, "t/0/tc", ...))

    @pytest.mark.parametrize(
        ("path", "value", "message"),
        [
            ("ver", ..., "ver: is required"),
            ("ver", "1.3", "ver: must be a semantic version"),
            ("ver", 1.3, "ver: must be a semantic version"),
            ("nam", ..., "nam: is required"),
            ("nam", "PETROVA", "nam: must be an object"),
            ("nam/fnt", "Petrova", "nam/fnt: must hold only A-Z"),
            ("nam/gnt", "ANNA MARIA", "nam/gnt: must hold only A-Z"),
            ("nam/fnt", "A" * 81, "nam/fnt: must be at most 80"),
            ("nam/fn", 7, "nam/fn: must be a string"),
            ("dob", ..., "dob: is required"),
            ("dob", "12.04.1990", "dob: must be a date of birth"),
            ("dob", "1890-01-01", "dob: must be a date of birth"),
            ("dob", "1990-04-12\n", "dob: must be a date of birth"),
            ("t", [], "t: must be an array of exactly one"),
            ("t", {}, "t: must be an array of exactly one"),
            ("t/0", "entry", "t/0: must be an object"),
            ("t/0/tg", ..., "t/0/tg: is required"),
            ("t/0/tg", 840539006, "t/0/tg: must be a string"),
            ("t/0/sc", "2026-02-28", "t/0/sc: must be an RFC 3339 date-time"),
            ("t/0/sc", "2026-02-28T08:15:00", "t/0/sc: must be an RFC 3339 date-time"),
            ("t/0/sc", "2026-02-30T08:15:00Z", "t/0/sc: must be a calendar date-time"),
            ("t/0/co", "kz", "t/0/co: must be a country code"),
            ("t/0/is", "x" * 81, "t/0/is: must be at most 80"),
            ("t/0/ci", None, "t/0/ci: must be a string"),
            ("t/0/tc", "x" * 81, "t/0/tc: must be at most 80"),
            ("t/0/ma", 1232, "t/0/ma: must be a string"),
        ],
    )
    def test_refuses_a_test_certificate_that_breaks_it(self, path, value, message):
        with pytest.raises(SchemaViolation, match=message) as caught:
            validate(changed(TEST, path, value))
        assert caught.value.reason == "hcert.schema"
        assert caught.value.path == message.split(":")[0]

    @pytest.mark.parametrize(
        ("path", "value", "message"),
        [
            ("v/0/dn", 0, "v/0/dn: must be a positive integer"),
            ("v/0/dn", True, "v/0/dn: must be a positive integer"),
            ("v/0/sd", "2", "v/0/sd: must be a positive integer"),
            ("v/0/dt", "2021-13-01", "v/0/dt: must be a calendar date"),
            ("v/0/dt", "01.06.2021", "v/0/dt: must be a date"),
            ("nam", {"fn": "Петрова"}, "nam: needs fnt or gnt"),
        ],
    )
    def test_refuses_a_vaccination_certificate_that_breaks_it(self, path, value, message):
        with pytest.raises(SchemaViolation, match=message):
            validate(changed(VACCINATION, path, value))

    def test_refuses_a_recovery_date_that_is_no_date(self):
        with pytest.raises(SchemaViolation, match="r/0/du: must be an RFC 3339"):
            validate(changed(RECOVERY, "r/0/du", "soon, hopefully"))

    def test_refuses_none_or_several_groups(self):
        with pytest.raises(SchemaViolation, match="exactly one of v, t, r"):
            validate(changed(TEST, "t", ...))
        with pytest.raises(SchemaViolation, match="exactly one of v, t, r"):
            validate({**TEST, "v": VACCINATION["v"]})

    def test_refuses_a_payload_that_is_no_object(self):
        with pytest.raises(SchemaViolation, match=r"\(root\): must be an object"):
            validate(["ver"])

    def test_never_puts_the_value_in_the_message(self):
        with pytest.raises(SchemaViolation) as caught:
            validate(changed(TEST, "nam/fnt", "Petrova-Secret"))
        assert "Secret" not in str(caught.value)
