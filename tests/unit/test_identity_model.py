import re

import pytest

from eaeu.identity.accounts import NAME_LANGUAGES, ORGANISATION_ID_KINDS, PERSON_ID_KINDS
from eaeu.identity.model import ORGANISATION_ROLES, ROLES, mask
from eaeu.identity.passwords import Passwords
from eaeu.identity.seed import DEMO_PASSWORD, ORGANISATIONS, PEOPLE, username
from eaeu.identity.translit import transliterate
from eaeu.kernel import identifiers
from eaeu.kernel.states import STATE_CODES
from eaeu.web.auth import safe_next


class TestMask:
    def test_shows_only_the_last_four_characters(self):
        assert mask("11504199000123") == "••••••••••0123"

    def test_hides_a_short_identifier_entirely(self):
        assert mask("123") == "•••"


class TestPasswords:
    def test_hash_is_argon2id_and_salted(self):
        passwords = Passwords()
        first, second = passwords.hash("demo-password"), passwords.hash("demo-password")
        assert first.startswith("$argon2id$")
        assert first != second
        assert "demo-password" not in first

    def test_verifies_the_right_password_only(self):
        passwords = Passwords()
        stored = passwords.hash("correct horse")
        assert passwords.verify(stored, "correct horse")
        assert not passwords.verify(stored, "correct hors")

    def test_an_unknown_user_never_verifies(self):
        assert not Passwords().verify(None, "not-a-password-of-anyone")

    def test_a_damaged_hash_does_not_verify(self):
        assert not Passwords().verify("$argon2id$garbage", "x")


class TestSafeNext:
    @pytest.mark.parametrize("target", ["/account", "/my-data?x=1", "/a/b#c"])
    def test_local_paths_are_kept(self, target):
        assert safe_next(target) == target

    @pytest.mark.parametrize(
        "target",
        [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "/account\r\nSet-Cookie: x=1",
            "",
            None,
        ],
    )
    def test_anything_else_goes_to_the_default(self, target):
        assert safe_next(target) == "/account"


class TestDemoAccounts:
    @pytest.mark.parametrize("state", STATE_CODES)
    def test_every_state_has_every_role(self, state):
        assert {p.role for p in PEOPLE[state]} == set(ROLES)
        assert {o.kind for o in ORGANISATIONS[state]} == set(ORGANISATION_ROLES)

    @pytest.mark.parametrize("state", STATE_CODES)
    def test_national_identifiers_pass_their_published_rule(self, state):
        for person in PEOPLE[state]:
            check = identifiers.validate(state, PERSON_ID_KINDS[state], person.national_id)
            assert check.value == person.national_id
            if person.tax_id:
                identifiers.validate(state, "inn", person.tax_id)

    @pytest.mark.parametrize("state", sorted(set(STATE_CODES) - {"KG"}))
    def test_organisation_numbers_pass_their_published_rule(self, state):
        for org in ORGANISATIONS[state]:
            identifiers.validate(state, ORGANISATION_ID_KINDS[state], org.legal_id)
            if org.tax_id:
                identifiers.validate(state, "inn", org.tax_id)

    def test_kyrgyz_organisations_have_a_legal_entity_tin(self):
        for org in ORGANISATIONS["KG"]:
            assert re.fullmatch(r"0[0-9]{13}", org.legal_id)

    @pytest.mark.parametrize("state", STATE_CODES)
    def test_names_are_in_the_national_script_and_transliterate(self, state):
        for person in PEOPLE[state]:
            assert not re.search(r"[A-Za-z]", person.family_name + person.given_name)
            latin = transliterate(person.family_name, NAME_LANGUAGES[state])
            assert re.fullmatch(r"[A-Z -]+", latin)

    def test_the_kyrgyz_citizen_is_aigul_asanova(self):
        citizen = next(p for p in PEOPLE["KG"] if p.role == "citizen")
        assert (citizen.given_name, citizen.family_name) == ("Айгуль", "Асанова")
        assert transliterate("Айгуль Асанова", "ky") == "AIGUL ASANOVA"

    def test_the_russian_employer_is_stroimontazh(self):
        employer = next(o for o in ORGANISATIONS["RU"] if o.kind == "employer")
        assert employer.name == "ООО «СтройМонтаж»"
        identifiers.validate("RU", "ogrn", employer.legal_id)
        identifiers.validate("RU", "inn", employer.tax_id or "")

    def test_usernames_and_password(self):
        assert username("KG", "citizen") == "kg-citizen"
        assert DEMO_PASSWORD == "demo-password"
