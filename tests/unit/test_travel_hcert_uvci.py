"""UVCIs and their Luhn mod N check character (eHN UVCI guidelines, Annex 2)."""

from __future__ import annotations

import pytest

from eaeu.services.travel.errors import InvalidUvci
from eaeu.services.travel.uvci import (
    CODE_POINTS,
    check_character,
    make_uvci,
    random_opaque,
    validate_uvci,
)

# Check characters published by issuers in the EU DCC test corpus (AT, DK, GR, HU, IS, LT,
# SI, SM) and by the eHN reference implementation's example.
PUBLISHED = [
    "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B",
    "URN:UVCI:01:AT:858CC18CFCF5965EF82F60E493349AA5#K",
    "URN:UVCI:01:DK:1D6DAB71F99A5C87A657D6D904558001#R",
    "URN:UVCI:01:GR:KOTFPYPGVQOUE3QQ3XFOECLAS4#0",
    "URN:UVCI:01:HU:242100001023540659V1T20210614180542#S",
    "URN:UVCI:01:IS:VERA1234#F",
    "URN:UVCI:01:LT:199Q1MHH8XKRQSDXIFBM0#B",
    "URN:UVCI:01:SI:C5A831C188A043AEE053#8",
    "URN:UVCI:01:SM:112#N",
]


class TestCheckCharacter:
    @pytest.mark.parametrize("uvci", PUBLISHED)
    def test_reproduces_published_check_characters(self, uvci):
        body, check = uvci.split("#")
        assert check_character(body) == check
        validate_uvci(uvci)

    def test_uses_38_code_points_including_the_separators(self):
        assert len(CODE_POINTS) == 38
        # The eHN reference example: separators carry values 36 and 37, so moving one
        # changes the check character.
        assert check_character("URN:UVCI:01:NL:187/37512422923") == "Z"
        assert check_character("URN:UVCI:01:NL:18737512422923") == ":"
        validate_uvci("URN:UVCI:01:NL:187/37512422923#Z")

    def test_catches_every_single_character_change(self):
        body = "URN:UVCI:01:AM:TESTLAB2026000042"
        check = check_character(body)
        for i in range(len(body)):
            for char in CODE_POINTS:
                if char != body[i]:
                    changed = body[:i] + char + body[i + 1 :]
                    assert check_character(changed) != check

    def test_refuses_characters_outside_the_code_points(self):
        with pytest.raises(InvalidUvci, match="may only hold") as caught:
            check_character("urn:uvci:01:am:x")
        assert caught.value.reason == "uvci.format"


class TestUvci:
    def test_makes_a_version_01_identifier(self):
        uvci = make_uvci("AM", "TESTLAB2026000042")
        assert uvci == "URN:UVCI:01:AM:TESTLAB2026000042#J"
        validate_uvci(uvci)

    def test_allows_structured_opaque_parts(self):
        validate_uvci(make_uvci("KZ", "LAB7/2026/00042"))

    @pytest.mark.parametrize(
        ("country", "opaque"),
        [("am", "X"), ("ARM", "X"), ("AM", "x1"), ("AM", ""), ("AM", "A//B"), ("AM", "A" * 70)],
    )
    def test_refuses_bad_parts(self, country, opaque):
        with pytest.raises(InvalidUvci, match="UVCI"):
            make_uvci(country, opaque)

    def test_draws_opaque_parts_from_the_injected_randomness(self):
        assert random_opaque(token_bytes=bytes) == "0" * 26
        assert random_opaque(8, token_bytes=lambda n: b"\xff" * n).isalnum()
        assert len(random_opaque()) == 26
        assert random_opaque() != random_opaque()

    @pytest.mark.parametrize(
        ("uvci", "reason"),
        [
            ("URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#C", "uvci.check"),
            ("URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813", "uvci.check"),
            ("URN:UVCI:02:AT:1080#B", "uvci.format"),
            ("01:AT:10807843F94AEE0EE5093FBC254BD813#B", "uvci.format"),
            ("URN:UVCI:01:AT:" + "A" * 80, "uvci.format"),
        ],
    )
    def test_refuses_malformed_identifiers(self, uvci, reason):
        with pytest.raises(InvalidUvci) as caught:
            validate_uvci(uvci)
        assert caught.value.reason == reason

    def test_accepts_an_identifier_without_check_when_allowed(self):
        validate_uvci("URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813", require_check=False)
