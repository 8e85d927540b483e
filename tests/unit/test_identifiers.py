"""National identifiers: published vectors, every error reason and check-digit properties.

The property tests build numbers with the small reference implementations below, written
straight from the rules in the identity reference notes (section 4) and independent of the
module under test. Where a published scheme does not detect every single-digit change, the
property asserts the weaker statement that is true of the scheme and a named test shows
the blind spot.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from eaeu.kernel.errors import InvalidIdentifier
from eaeu.kernel.identifiers import (
    CHECKSUM,
    DATE,
    FORMAT,
    NEVER_ISSUED,
    UNKNOWN_KIND,
    IdentifierCheck,
    kinds,
    validate,
)

# Hypothesis must not write its example database into the tree: unit tests touch no disk.
properties = settings(database=None, max_examples=200)


# --- Independent reference implementations ----------------------------------------------


def kz_check(body: str) -> int | None:
    for weights in (range(1, 12), (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)):
        s = sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
        if s != 10:
            return s
    return None


def kz_first_pass(body: str) -> int:
    return sum(int(d) * w for d, w in zip(body, range(1, 12), strict=True)) % 11


def mod11(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11


INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def with_inn12_checks(body: str) -> str:
    first = body + str(mod11(body, INN11) % 10)
    return first + str(mod11(first, INN12) % 10)


def snils_sum(body: str) -> int:
    return sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))


def snils_control(total: int) -> int:
    if total < 100:
        return total
    if total in {100, 101}:
        return 0
    rest = total % 101
    return 0 if rest == 100 else rest


def unp_remainder(body: str) -> int:
    first = int(body[0]) if body[0].isdigit() else ord(body[0]) - ord("A") + 10
    second = int(body[1]) if body[1].isdigit() else "ABCEHKMOPT".index(body[1])
    values = [first, second, *(int(d) for d in body[2:])]
    return sum(v * w for v, w in zip(values, (29, 23, 19, 17, 13, 7, 5, 3), strict=True)) % 11


def by_personal_check(body: str) -> int:
    values = [int(c) if c.isdigit() else ord(c) - ord("A") + 10 for c in body]
    return sum(v * (7, 3, 1)[i % 3] for i, v in enumerate(values)) % 10


def century_digit(year: int, sex: int) -> str:
    return str((year // 100 - 18) * 2 + 1 + sex)


def mutate(number: str, position: int, shift: int) -> str:
    digit = (int(number[position]) + shift) % 10
    return number[:position] + str(digit) + number[position + 1 :]


def is_rejected(state: str, kind: str, value: str) -> bool:
    try:
        validate(state, kind, value)
    except InvalidIdentifier:
        return True
    return False


def refuses(state: str, kind: str, value: str, *, reason: str, match: str) -> None:
    with pytest.raises(InvalidIdentifier, match=match) as caught:
        validate(state, kind, value)
    assert caught.value.reason == reason


# --- Strategies -------------------------------------------------------------------------


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


birth_dates = st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2099, 12, 31))
shifts = st.integers(min_value=1, max_value=9)


@st.composite
def kz_iins(draw: st.DrawFn) -> str:
    born = draw(birth_dates)
    body = (
        f"{born.year % 100:02d}{born.month:02d}{born.day:02d}"
        + century_digit(born.year, draw(st.integers(0, 1)))
        + draw(digits(4))
    )
    check = kz_check(body)
    assume(check is not None)
    return body + str(check)


@st.composite
def kz_bins(draw: st.DrawFn) -> str:
    body = (
        draw(digits(2))
        + f"{draw(st.integers(1, 12)):02d}"
        + draw(st.sampled_from("456"))
        + draw(st.sampled_from("0123"))
        + draw(digits(5))
    )
    check = kz_check(body)
    assume(check is not None)
    return body + str(check)


@st.composite
def unps(draw: st.DrawFn) -> str:
    prefix = draw(
        st.one_of(
            st.tuples(st.sampled_from("1234567"), digits(1)).map("".join),
            st.tuples(st.sampled_from("ABCEHKM"), st.sampled_from("ABCEHKMOPT")).map("".join),
        )
    )
    body = prefix + draw(digits(6))
    remainder = unp_remainder(body)
    assume(remainder < 10)
    return body + str(remainder)


@st.composite
def by_personal_numbers(draw: st.DrawFn) -> str:
    born = draw(birth_dates)
    body = (
        century_digit(born.year, draw(st.integers(0, 1)))
        + f"{born.day:02d}{born.month:02d}{born.year % 100:02d}"
        + draw(st.sampled_from("ABCHKEM"))
        + draw(digits(3))
        + draw(st.sampled_from(["PB", "BA", "BI"]))
    )
    return body + str(by_personal_check(body))


# --- Kazakhstan -------------------------------------------------------------------------


class TestKazakhIIN:
    @pytest.mark.parametrize(
        "iin",
        [
            "900101300017",  # identity reference notes
            "900101300811",  # identity reference notes: resolved by the second pass
            "901123300258",  # identique/idnumbers tests/nationalid/test_KAZ.py
        ],
    )
    def test_accepts_published_vector(self, iin):
        check = validate("KZ", "iin", iin)
        assert check == IdentifierCheck(
            state="KZ",
            kind="iin",
            value=iin,
            checksum_verified=True,
            rule="KZ IIN: 12 digits, birth date, mod-11 check digit (two passes)",
            official=True,
        )

    def test_published_second_pass_vector_needs_the_second_pass(self):
        assert kz_first_pass("90010130081") == 10

    def test_rejects_published_invalid_vector(self):
        refuses("KZ", "iin", "901123300255", reason=CHECKSUM, match="check digit of this IIN")

    @pytest.mark.parametrize("last", "0123456789")
    def test_refuses_every_number_of_the_never_issued_prefix(self, last):
        refuses("KZ", "iin", "90010130080" + last, reason=NEVER_ISSUED, match="never issued")

    @pytest.mark.parametrize("iin", ["90010130001", "9001013000170", "90010130001X", ""])
    def test_rejects_wrong_length_or_characters(self, iin):
        refuses("KZ", "iin", iin, reason=FORMAT, match="IIN must be 12 digits")

    @pytest.mark.parametrize("century", "0789")
    def test_rejects_century_digit_outside_one_to_six(self, century):
        refuses("KZ", "iin", f"900101{century}00017", reason=FORMAT, match="century digit")

    @pytest.mark.parametrize(
        "body",
        [
            "90023030001",  # 30 February
            "90130130001",  # month 13
            "90010030001",  # day 0
            "00022930001",  # 29 February 1900: not a leap year
        ],
    )
    def test_rejects_impossible_birth_date(self, body):
        refuses("KZ", "iin", body + "0", reason=DATE, match="real date")

    def test_accepts_29_february_2000(self):
        body = "00022950001"
        assert validate("KZ", "iin", body + str(kz_check(body))).checksum_verified

    def test_ignores_spaces_and_hyphens(self):
        assert validate("KZ", "iin", " 900101-300017 ").value == "900101300017"

    def test_does_not_detect_a_change_in_the_eleventh_digit(self):
        # Weight 11 is 0 modulo 11: the published first pass cannot see this digit.
        assert validate("KZ", "iin", "900101300027").value == "900101300027"

    @properties
    @given(kz_iins())
    def test_accepts_any_number_built_by_the_rule(self, iin):
        assert validate("KZ", "iin", iin).value == iin

    @properties
    @given(kz_iins(), shifts)
    def test_rejects_a_changed_check_digit(self, iin, shift):
        assert is_rejected("KZ", "iin", mutate(iin, 11, shift))

    @properties
    @given(kz_iins(), st.integers(0, 9), shifts)
    def test_rejects_a_digit_change_when_both_resolve_in_the_first_pass(self, iin, position, shift):
        changed = mutate(iin, position, shift)
        assume(kz_first_pass(iin[:11]) != 10)
        assume(kz_first_pass(changed[:11]) != 10)
        assert is_rejected("KZ", "iin", changed)

    @properties
    @given(kz_iins(), shifts)
    def test_cannot_see_the_eleventh_digit_in_the_first_pass(self, iin, shift):
        changed = mutate(iin, 10, shift)
        assume(kz_first_pass(iin[:11]) != 10)
        assert validate("KZ", "iin", changed).value == changed


class TestKazakhBIN:
    def test_accepts_published_vector(self):
        # identique/idnumbers tests/nationalid/test_KAZ.py
        check = validate("KZ", "bin", "990940003030")
        assert (check.value, check.checksum_verified, check.official) == (
            "990940003030",
            True,
            True,
        )

    def test_rejects_published_invalid_vector(self):
        refuses("KZ", "bin", "990940003031", reason=CHECKSUM, match="check digit of this BIN")

    def test_refuses_a_never_issued_number(self):
        assert kz_check("99094000076") is None
        refuses("KZ", "bin", "990940000760", reason=NEVER_ISSUED, match="never issued")

    @pytest.mark.parametrize("month", ["00", "13"])
    def test_rejects_registration_month_outside_the_year(self, month):
        refuses("KZ", "bin", f"99{month}40003030", reason=DATE, match="BIN does not contain")

    @pytest.mark.parametrize("bin_", ["990930003030", "990970003030", "990944003030"])
    def test_rejects_unknown_entity_type_or_attribute(self, bin_):
        refuses("KZ", "bin", bin_, reason=FORMAT, match="entity type")

    def test_rejects_wrong_length(self):
        refuses("KZ", "bin", "99094000303", reason=FORMAT, match="BIN must be 12 digits")

    @properties
    @given(kz_bins())
    def test_accepts_any_number_built_by_the_rule(self, bin_):
        assert validate("KZ", "bin", bin_).value == bin_

    @properties
    @given(kz_bins(), shifts)
    def test_rejects_a_changed_check_digit(self, bin_, shift):
        assert is_rejected("KZ", "bin", mutate(bin_, 11, shift))

    @properties
    @given(kz_bins(), st.integers(0, 9), shifts)
    def test_rejects_a_digit_change_when_both_resolve_in_the_first_pass(
        self, bin_, position, shift
    ):
        changed = mutate(bin_, position, shift)
        assume(kz_first_pass(bin_[:11]) != 10)
        assume(kz_first_pass(changed[:11]) != 10)
        assert is_rejected("KZ", "bin", changed)


# --- Russia -----------------------------------------------------------------------------


class TestRussianINN:
    @pytest.mark.parametrize("inn", ["7707083893", "500100732259"])
    def test_accepts_published_vector(self, inn):
        check = validate("RU", "inn", inn)
        assert (check.value, check.checksum_verified, check.official) == (inn, True, True)

    @pytest.mark.parametrize("inn", ["7707083894", "500100732258", "500100732269"])
    def test_rejects_a_wrong_check_digit(self, inn):
        refuses("RU", "inn", inn, reason=CHECKSUM, match="check digit of this INN")

    @pytest.mark.parametrize("inn", ["770708389", "77070838931", "5001007322591", "77070838 3X"])
    def test_rejects_lengths_other_than_10_or_12_digits(self, inn):
        refuses("RU", "inn", inn, reason=FORMAT, match="INN must be 10 digits")

    @properties
    @given(digits(9))
    def test_accepts_any_organisation_number_built_by_the_rule(self, body):
        inn = body + str(mod11(body, INN10) % 10)
        assert validate("RU", "inn", inn).value == inn

    @properties
    @given(digits(9), st.integers(0, 9), shifts)
    def test_rejects_an_organisation_digit_change_unless_it_swaps_remainders_0_and_10(
        self, body, position, shift
    ):
        # mod 11 then mod 10 folds remainder 10 onto 0, so that one swap goes unseen.
        inn = body + str(mod11(body, INN10) % 10)
        changed = mutate(inn, position, shift)
        swapped = {mod11(inn[:9], INN10), mod11(changed[:9], INN10)} == {0, 10}
        assert is_rejected("RU", "inn", changed) or swapped

    @properties
    @given(digits(10))
    def test_accepts_any_personal_number_built_by_the_rule(self, body):
        inn = with_inn12_checks(body)
        assert validate("RU", "inn", inn).value == inn

    @properties
    @given(digits(10), st.integers(0, 11), shifts)
    def test_rejects_any_single_digit_change_of_a_personal_number(self, body, position, shift):
        # Holds strictly: a change missed by one check digit needs w11 = +-w12 (mod 11)
        # at that position, which no position has.
        inn = with_inn12_checks(body)
        assert is_rejected("RU", "inn", mutate(inn, position, shift))


class TestRussianOGRN:
    def test_accepts_published_vector(self):
        assert validate("RU", "ogrn", "1027700132195").checksum_verified

    def test_rejects_a_wrong_check_digit(self):
        refuses("RU", "ogrn", "1027700132194", reason=CHECKSUM, match="check digit of this OGRN")

    @pytest.mark.parametrize("ogrn", ["0027700132195", "102770013219", "10277001321950"])
    def test_rejects_leading_zero_or_wrong_length(self, ogrn):
        refuses("RU", "ogrn", ogrn, reason=FORMAT, match="OGRN must be 13 digits")

    @properties
    @given(st.sampled_from("123456789"), digits(11))
    def test_accepts_any_number_built_by_the_rule(self, first, rest):
        ogrn = first + rest + str(int(first + rest) % 11 % 10)
        assert validate("RU", "ogrn", ogrn).value == ogrn

    @properties
    @given(st.sampled_from("123456789"), digits(11), st.integers(0, 12), shifts)
    def test_rejects_a_digit_change_unless_it_swaps_remainders_0_and_10(
        self, first, rest, position, shift
    ):
        ogrn = first + rest + str(int(first + rest) % 11 % 10)
        changed = mutate(ogrn, position, shift)
        swapped = {int(ogrn[:12]) % 11, int(changed[:12]) % 11} == {0, 10}
        assert is_rejected("RU", "ogrn", changed) or swapped


class TestRussianOGRNIP:
    def test_accepts_published_vector(self):
        assert validate("RU", "ogrnip", "304500116000157").checksum_verified

    @pytest.mark.parametrize(
        ("ogrnip", "remainder"),
        [("304500116000180", 10), ("304500116000191", 11), ("304500116000202", 12)],
    )
    def test_accepts_numbers_whose_remainder_has_two_digits(self, ogrnip, remainder):
        # python-stdnum compares str(x % 13) with the last digit and rejects all of these.
        assert int(ogrnip[:14]) % 13 == remainder
        assert validate("RU", "ogrnip", ogrnip).value == ogrnip

    @pytest.mark.parametrize("ogrnip", ["304500116000181", "304500116000158"])
    def test_rejects_a_wrong_check_digit(self, ogrnip):
        refuses("RU", "ogrnip", ogrnip, reason=CHECKSUM, match="check digit of this OGRNIP")

    @pytest.mark.parametrize("ogrnip", ["104500116000157", "504500116000157", "30450011600015"])
    def test_rejects_wrong_first_digit_or_length(self, ogrnip):
        refuses("RU", "ogrnip", ogrnip, reason=FORMAT, match="starting with 3 or 4")

    @properties
    @given(st.sampled_from("34"), digits(13))
    def test_accepts_any_number_built_by_the_rule(self, first, rest):
        ogrnip = first + rest + str(int(first + rest) % 13 % 10)
        assert validate("RU", "ogrnip", ogrnip).value == ogrnip

    @properties
    @given(st.sampled_from("34"), digits(13), st.integers(0, 14), shifts)
    def test_rejects_a_digit_change_unless_remainders_share_their_last_digit(
        self, first, rest, position, shift
    ):
        ogrnip = first + rest + str(int(first + rest) % 13 % 10)
        changed = mutate(ogrnip, position, shift)
        folded = int(ogrnip[:14]) % 13 % 10 == int(changed[:14]) % 13 % 10 and position < 14
        assert is_rejected("RU", "ogrnip", changed) or folded


class TestRussianSNILS:
    @pytest.mark.parametrize("snils", ["112-233-445 95", "11223344595"])
    def test_accepts_published_vector_with_or_without_formatting(self, snils):
        check = validate("RU", "snils", snils)
        assert (check.value, check.checksum_verified) == ("11223344595", True)

    def test_rejects_published_invalid_vector(self):
        refuses("RU", "snils", "112-233-445 96", reason=CHECKSUM, match="check digit of this SNILS")

    @pytest.mark.parametrize(
        ("snils", "total"),
        [
            ("00150881500", 100),
            ("00143754400", 101),
            ("00699668200", 201),
            ("00687789700", 202),
            ("00256996149", 150),
        ],
    )
    def test_folds_large_sums_into_two_digits(self, snils, total):
        assert snils_sum(snils[:9]) == total
        assert validate("RU", "snils", snils).checksum_verified

    @pytest.mark.parametrize("snils", ["001-001-998 00", "001-001-998 99", "000-000-001 42"])
    def test_does_not_check_numbers_up_to_001_001_998(self, snils):
        assert validate("RU", "snils", snils).checksum_verified is False

    def test_checks_numbers_from_001_001_999(self):
        assert validate("RU", "snils", "001-001-999 65").checksum_verified
        refuses("RU", "snils", "001-001-999 66", reason=CHECKSUM, match="SNILS does not match")

    @pytest.mark.parametrize("snils", ["112-233-445 9", "112-233-445 955", "112.233.445 95"])
    def test_rejects_wrong_length_or_separators(self, snils):
        refuses("RU", "snils", snils, reason=FORMAT, match="SNILS must be 11 digits")

    @properties
    @given(st.integers(1_001_999, 999_999_999))
    def test_accepts_any_number_built_by_the_rule(self, number):
        body = f"{number:09d}"
        snils = f"{body}{snils_control(snils_sum(body)):02d}"
        assert validate("RU", "snils", snils).checksum_verified

    @properties
    @given(st.integers(1_001_999, 999_999_999), st.integers(0, 10), shifts)
    def test_rejects_a_digit_change_unless_both_sums_fold_to_00_or_it_leaves_the_checked_range(
        self, number, position, shift
    ):
        body = f"{number:09d}"
        snils = f"{body}{snils_control(snils_sum(body)):02d}"
        changed = mutate(snils, position, shift)
        both_fold = position < 9 and {
            snils_control(snils_sum(body)),
            snils_control(snils_sum(changed[:9])),
        } == {0}
        unchecked = int(changed[:9]) <= 1_001_998
        assert is_rejected("RU", "snils", changed) or both_fold or unchecked


# --- Belarus ----------------------------------------------------------------------------


class TestBelarusianUNP:
    @pytest.mark.parametrize("unp", ["200988541", "MA1953684"])
    def test_accepts_published_vector(self, unp):
        check = validate("BY", "unp", unp)
        assert (check.value, check.checksum_verified, check.official) == (unp, True, True)

    def test_rejects_published_invalid_vector(self):
        refuses("BY", "unp", "200988542", reason=CHECKSUM, match="check digit of this UNP")

    def test_reads_cyrillic_look_alikes_and_lower_case_as_latin(self):
        assert validate("BY", "unp", "\u041c\u0410 1953684").value == "MA1953684"
        assert validate("BY", "unp", "ma1953684").value == "MA1953684"

    def test_rejects_a_body_whose_remainder_is_10(self):
        assert unp_remainder("20098857") == 10
        refuses("BY", "unp", "200988570", reason=CHECKSUM, match="UNP does not match")

    @pytest.mark.parametrize(
        "unp",
        [
            "800988541",  # region digit outside 1-7
            "000988541",
            "M01953684",  # one letter and a digit
            "MZ1953684",  # second letter outside ABCEHKMOPT
            "PA1953684",  # first letter outside ABCEHKM
            "20098854",
        ],
    )
    def test_rejects_wrong_layout(self, unp):
        refuses("BY", "unp", unp, reason=FORMAT, match="UNP must be 9 digits")

    @properties
    @given(unps())
    def test_accepts_any_number_built_by_the_rule(self, unp):
        assert validate("BY", "unp", unp).value == unp

    @properties
    @given(unps(), st.integers(0, 8), shifts)
    def test_rejects_any_single_digit_change(self, unp, position, shift):
        # Every weight is non-zero modulo 11, so a digit change always moves the remainder.
        assume(unp[position].isdigit())
        assert is_rejected("BY", "unp", mutate(unp, position, shift))


class TestBelarusianPersonalNumber:
    @pytest.mark.parametrize("number", ["3270287A012PB2", "3041088A042PB2"])
    def test_accepts_community_vector_and_marks_it_unofficial(self, number):
        # kirit0s/belarus-passport-personal-number-validator tests/index.test.ts
        check = validate("BY", "personal_number", number)
        assert (check.value, check.checksum_verified, check.official) == (number, True, False)
        assert "community-derived" in check.rule

    def test_rejects_community_invalid_vector(self):
        refuses(
            "BY",
            "personal_number",
            "3270287A012PB3",
            reason=CHECKSUM,
            match="check digit of this personal number",
        )

    def test_reads_cyrillic_look_alikes_as_latin(self):
        cyrillic = "3270287\u0410012\u0420\u04122"
        assert validate("BY", "personal_number", cyrillic).value == "3270287A012PB2"

    @pytest.mark.parametrize(
        "number",
        [
            "7270287A012PB2",  # sex and century digit outside 1-6
            "3270287Z012PB2",  # unknown region letter
            "3270287A012PC2",  # unknown citizenship code
            "3270287A012PBX",  # letter as check digit
            "3270287A012PB",
        ],
    )
    def test_rejects_wrong_layout(self, number):
        refuses("BY", "personal_number", number, reason=FORMAT, match="14 characters")

    @pytest.mark.parametrize("number", ["3300287A012PB2", "3271387A012PB2", "3290200A012PB2"])
    def test_rejects_impossible_birth_date(self, number):
        refuses("BY", "personal_number", number, reason=DATE, match="real date")

    @properties
    @given(by_personal_numbers())
    def test_accepts_any_number_built_by_the_rule(self, number):
        assert validate("BY", "personal_number", number).value == number

    @properties
    @given(by_personal_numbers(), st.integers(0, 13), shifts)
    def test_rejects_any_single_digit_change(self, number, position, shift):
        # Weights 7, 3 and 1 are prime to 10, so a digit change always moves the sum mod 10.
        assume(number[position].isdigit())
        assert is_rejected("BY", "personal_number", mutate(number, position, shift))


# --- Kyrgyzstan and Armenia -------------------------------------------------------------


class TestKyrgyzPIN:
    def test_accepts_structure_only_and_marks_it_unofficial(self):
        check = validate("KG", "pin", "1 15031990 12345")
        assert (check.value, check.checksum_verified, check.official) == (
            "11503199012345",
            False,
            False,
        )

    @pytest.mark.parametrize("pin", ["3150319901234", "31503199012345", "0150319901234X"])
    def test_rejects_wrong_layout(self, pin):
        refuses("KG", "pin", pin, reason=FORMAT, match="PIN must be 14 digits")

    @pytest.mark.parametrize("pin", ["13104199012345", "22902200112345", "10013199012345"])
    def test_rejects_impossible_birth_date(self, pin):
        refuses("KG", "pin", pin, reason=DATE, match="real date")

    @properties
    @given(st.sampled_from("12"), birth_dates, digits(5))
    def test_accepts_any_real_birth_date(self, sex, born, serial):
        pin = f"{sex}{born.day:02d}{born.month:02d}{born.year:04d}{serial}"
        assert validate("KG", "pin", pin).value == pin


class TestArmenianPublicServiceNumber:
    def test_accepts_structure_only_and_marks_it_unofficial(self):
        check = validate("AM", "psn", "1234567890")
        assert (check.checksum_verified, check.official) == (False, False)

    @pytest.mark.parametrize("psn", ["0123456789", "123456789", "12345678901", "12345678a0"])
    def test_rejects_wrong_layout(self, psn):
        refuses("AM", "psn", psn, reason=FORMAT, match="10 digits not starting with 0")


class TestArmenianTIN:
    def test_accepts_eight_digits_including_a_leading_zero(self):
        check = validate("AM", "tin", "02500132")
        assert (check.value, check.checksum_verified, check.official) == (
            "02500132",
            False,
            True,
        )

    @pytest.mark.parametrize("tin", ["0250013", "025001320", "0250013A"])
    def test_rejects_wrong_layout(self, tin):
        refuses("AM", "tin", tin, reason=FORMAT, match="TIN must be 8 digits")


# --- The API ----------------------------------------------------------------------------


class TestValidate:
    @pytest.mark.parametrize(
        ("state", "kind"), [("KZ", "passport"), ("XX", "iin"), ("RU", "iin"), ("", "")]
    )
    def test_refuses_an_unknown_state_or_kind(self, state, kind):
        refuses(state, kind, "900101300017", reason=UNKNOWN_KIND, match="not supported")

    def test_accepts_state_and_kind_in_any_case(self):
        check = validate(" kz ", "IIN", "900101300017")
        assert (check.state, check.kind) == ("KZ", "iin")

    def test_refuses_overlong_input_before_parsing(self):
        refuses("RU", "inn", " " * 60 + "7707083893", reason=FORMAT, match="too long")

    def test_rejects_non_ascii_digits(self):
        arabic_indic = "".join(chr(0x0660 + int(c)) for c in "900101300017")
        refuses("KZ", "iin", arabic_indic, reason=FORMAT, match="12 digits")

    def test_returns_an_immutable_result(self):
        check = validate("RU", "inn", "7707083893")
        with pytest.raises(dataclasses.FrozenInstanceError):
            check.value = "0000000000"  # type: ignore[misc]

    @pytest.mark.parametrize(
        ("state", "kind", "value"),
        [
            ("KZ", "iin", "901123300255"),
            ("KZ", "iin", "900101300800"),
            ("KZ", "iin", "900230300010"),
            ("RU", "inn", "500100732258"),
            ("RU", "snils", "11223344596"),
            ("BY", "unp", "MA1953685"),
            ("BY", "personal_number", "3270287A012PB3"),
            ("KG", "pin", "13104199012345"),
        ],
    )
    def test_never_echoes_the_value_in_its_message(self, state, kind, value):
        with pytest.raises(InvalidIdentifier, match=r"^The|^This") as caught:
            validate(state, kind, value)
        assert value not in str(caught.value)
        assert value not in repr(caught.value)


class TestKinds:
    def test_lists_every_supported_pair_sorted(self):
        assert kinds() == [
            ("AM", "psn"),
            ("AM", "tin"),
            ("BY", "personal_number"),
            ("BY", "unp"),
            ("KG", "pin"),
            ("KZ", "bin"),
            ("KZ", "iin"),
            ("RU", "inn"),
            ("RU", "ogrn"),
            ("RU", "ogrnip"),
            ("RU", "snils"),
        ]

    def test_filters_by_state_in_any_case(self):
        assert kinds("kz") == [("KZ", "bin"), ("KZ", "iin")]

    def test_lists_nothing_for_an_unknown_state(self):
        assert kinds("XX") == []

    @pytest.mark.parametrize(("state", "kind"), kinds())
    def test_every_listed_kind_has_a_validator(self, state, kind):
        refuses(state, kind, "?", reason=FORMAT, match="must be")
