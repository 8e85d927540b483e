"""Identity assertions: issued by the home node, verified through the trust list, used once."""

import json
from datetime import date, timedelta

import pytest

from eaeu.identity.assertion import (
    LOA_HIGH,
    LOA_SUBSTANTIAL,
    MAX_TTL,
    TYP,
    AssertionRefused,
    MemoryReplayStore,
    issue_organisation_assertion,
    issue_person_assertion,
    persistent_id,
    pseudonym_key,
    verify_assertion,
)
from eaeu.kernel.errors import ValidationError
from eaeu.testing import FrozenClock, memory_union
from eaeu.trust.encoding import b64url, b64url_decode
from eaeu.trust.jws import sign_compact
from eaeu.trust.keys import EcSigner, generate_ec_key

START = FrozenClock().now()
NOW = START + timedelta(days=1)
KEY = pseudonym_key("kg-node-secret")
PERSON_ID = "019b0000-0000-7000-8000-000000000001"


@pytest.fixture(scope="module")
def union():
    return memory_union(now=START)


@pytest.fixture
def replay():
    return MemoryReplayStore()


def person_token(union, *, to="RU", now=NOW, person_id=PERSON_ID, **overrides):
    values = {
        "home_state": "KG",
        "audience_state": to,
        "person_id": person_id,
        "family_name": "Асанова",
        "given_name": "Айгуль",
        "birth_date": date(1994, 3, 12),
        "nationality": "KG",
        "id_key": KEY,
        "now": now,
        **overrides,
    }
    return issue_person_assertion(union.node_signer(values["home_state"]), **values)


def verify(union, token, replay, *, at="RU", now=NOW, **kwargs):
    return verify_assertion(
        token, trust=union.trust, audience_state=at, now=now, replay=replay, **kwargs
    )


def claims_of(token):
    return json.loads(b64url_decode(token.split(".")[1]))


def signed(claims, signer, header=None):
    return sign_compact(
        json.dumps(claims).encode(), signer, header if header is not None else {"typ": TYP}
    )


def refused(reason, call):
    with pytest.raises(AssertionRefused) as caught:
        call()
    assert caught.value.reason == reason
    return caught.value


class TestPersonAssertion:
    def test_carries_the_minimum_data_set(self, union):
        token = person_token(union)
        header = json.loads(b64url_decode(token.split(".")[0]))
        assert header == {"alg": "ES256", "kid": union.node_signer("KG").kid, "typ": TYP}
        claims = claims_of(token)
        assert claims["iss"] == "EAEU/KG/GOV/NODE"
        assert claims["aud"] == "EAEU/RU/GOV/NODE"
        assert claims["loa"] == "http://eidas.europa.eu/LoA/substantial"
        assert claims["family_name"] == {"original": "Асанова", "latin": "ASANOVA"}
        assert claims["given_name"] == {"original": "Айгуль", "latin": "AIGUL"}
        assert claims["birth_date"] == "1994-03-12"
        assert claims["nationality"] == "KG"
        assert claims["v"] == 1
        assert claims["kind"] == "person"
        assert claims["exp"] - claims["iat"] == 300
        assert claims["nbf"] == claims["iat"] == int(NOW.timestamp())

    def test_verifies_at_the_destination(self, union, replay):
        assertion = verify(union, person_token(union), replay)
        assert assertion.kind == "person"
        assert assertion.issuer_state == "KG"
        assert assertion.audience_state == "RU"
        assert assertion.subject.startswith("KG/RU/")
        assert assertion.family_name.latin == "ASANOVA"
        assert assertion.given_name.original == "Айгуль"
        assert assertion.birth_date == date(1994, 3, 12)
        assert assertion.nationality == "KG"
        assert assertion.loa == LOA_SUBSTANTIAL
        assert assertion.expires_at - assertion.issued_at == timedelta(minutes=5)
        assert assertion.display_name == "Айгуль Асанова"

    def test_latin_names_on_record_are_kept(self, union):
        token = person_token(union, family_name_latin="Asanova", given_name_latin="AIGUL")
        assert claims_of(token)["family_name"]["latin"] == "ASANOVA"

    def test_repr_shows_no_personal_data(self, union, replay):
        text = repr(verify(union, person_token(union), replay))
        assert "Асанова" not in text
        assert "1994" not in text

    def test_the_level_and_lifetime_can_be_chosen(self, union, replay):
        token = person_token(union, loa=LOA_HIGH, ttl=MAX_TTL)
        assertion = verify(union, token, replay)
        assert assertion.loa == LOA_HIGH
        assert assertion.expires_at - assertion.issued_at == MAX_TTL


class TestPersistentIdentifier:
    def test_is_stable_for_one_destination(self, union):
        first = claims_of(person_token(union))["sub"]
        again = claims_of(person_token(union, now=NOW + timedelta(days=30)))["sub"]
        assert first == again

    def test_differs_per_destination(self, union):
        to_ru = claims_of(person_token(union, to="RU"))["sub"]
        to_by = claims_of(person_token(union, to="BY"))["sub"]
        assert to_ru.split("/")[2] != to_by.split("/")[2]
        assert to_by.startswith("KG/BY/")

    def test_differs_per_person_and_hides_the_person_id(self, union):
        one = persistent_id(KEY, home_state="KG", audience_state="RU", person_id="a")
        other = persistent_id(KEY, home_state="KG", audience_state="RU", person_id="b")
        assert one != other
        assert PERSON_ID not in claims_of(person_token(union))["sub"]

    def test_depends_on_the_node_secret(self):
        mine = persistent_id(KEY, home_state="KG", audience_state="RU", person_id="a")
        theirs = persistent_id(
            pseudonym_key(b"another secret"), home_state="KG", audience_state="RU", person_id="a"
        )
        assert mine != theirs


class TestTime:
    def test_is_refused_once_expired(self, union, replay):
        token = person_token(union)
        error = refused(
            "identity.assertion_expired",
            lambda: verify(union, token, replay, now=NOW + timedelta(minutes=5, seconds=30)),
        )
        assert "expired" in error.message

    def test_is_accepted_within_the_skew_after_expiry(self, union, replay):
        token = person_token(union)
        verify(union, token, replay, now=NOW + timedelta(minutes=5, seconds=29))

    def test_is_refused_before_it_is_valid(self, union, replay):
        token = person_token(union, now=NOW + timedelta(minutes=2))
        refused("identity.assertion_not_yet_valid", lambda: verify(union, token, replay))

    def test_a_clock_slightly_behind_is_tolerated(self, union, replay):
        token = person_token(union, now=NOW + timedelta(seconds=20))
        verify(union, token, replay)

    def test_a_lifetime_beyond_ten_minutes_is_not_issued(self, union):
        with pytest.raises(ValidationError, match="at most 10 minutes"):
            person_token(union, ttl=MAX_TTL + timedelta(seconds=1))
        with pytest.raises(ValidationError, match="at most 10 minutes"):
            person_token(union, ttl=timedelta(0))

    def test_a_lifetime_beyond_ten_minutes_is_refused(self, union, replay):
        claims = claims_of(person_token(union))
        claims["exp"] = claims["iat"] + 601
        token = signed(claims, union.node_signer("KG"))
        refused("identity.assertion_malformed", lambda: verify(union, token, replay))

    def test_not_before_earlier_than_issued_at_is_refused(self, union, replay):
        claims = claims_of(person_token(union))
        claims["nbf"] = claims["iat"] - 1
        token = signed(claims, union.node_signer("KG"))
        refused("identity.assertion_malformed", lambda: verify(union, token, replay))

    def test_an_expired_trust_list_judges_nothing(self, union, replay):
        later = START + timedelta(days=366)
        token = person_token(union, now=later)
        refused("identity.trust_list_expired", lambda: verify(union, token, replay, now=later))


class TestReplay:
    def test_a_second_use_is_refused(self, union, replay):
        token = person_token(union)
        verify(union, token, replay)
        error = refused("identity.assertion_replayed", lambda: verify(union, token, replay))
        assert "already been used" in error.message

    def test_a_refused_presentation_does_not_use_it_up(self, union, replay):
        token = person_token(union)
        refused("identity.assertion_audience", lambda: verify(union, token, replay, at="BY"))
        verify(union, token, replay)

    def test_the_memory_store_forgets_expired_ids(self, replay):
        replay.claim("a", issuer_state="KG", until=NOW, now=NOW - timedelta(minutes=1))
        later = NOW + timedelta(seconds=1)
        replay.claim("b", issuer_state="KG", until=NOW + timedelta(hours=1), now=later)
        assert "a" not in replay._used
        with pytest.raises(AssertionRefused):
            replay.claim("b", issuer_state="KG", until=NOW, now=NOW)


class TestAudienceAndSigner:
    def test_another_destination_refuses_it(self, union, replay):
        token = person_token(union, to="RU")
        error = refused(
            "identity.assertion_audience", lambda: verify(union, token, replay, at="BY")
        )
        assert "another state" in error.message

    def test_a_key_outside_the_trust_list_is_refused(self, union, replay):
        outsider = EcSigner(generate_ec_key())
        token = signed(claims_of(person_token(union)), outsider)
        refused("identity.assertion_signer", lambda: verify(union, token, replay))

    def test_a_member_key_speaking_for_another_state_is_refused(self, union, replay):
        token = signed(claims_of(person_token(union)), union.node_signer("KZ"))
        error = refused("identity.assertion_signer", lambda: verify(union, token, replay))
        assert "signed by the KZ node" in error.message

    def test_a_governance_key_is_not_a_node_key(self, union, replay):
        token = signed(claims_of(person_token(union)), union.governance["KG"])
        refused("identity.assertion_signer", lambda: verify(union, token, replay))

    def test_an_assertion_to_the_issuer_itself_is_refused(self, union, replay):
        claims = claims_of(person_token(union))
        claims["aud"] = "EAEU/KG/GOV/NODE"
        claims["sub"] = claims["sub"].replace("KG/RU/", "KG/KG/")
        token = signed(claims, union.node_signer("KG"))
        refused("identity.assertion_signer", lambda: verify(union, token, replay, at="KG"))


class TestTampering:
    def test_changed_claims_break_the_signature(self, union, replay):
        header, payload, signature = person_token(union).split(".")
        claims = json.loads(b64url_decode(payload))
        claims["birth_date"] = "1980-01-01"
        forged = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
        refused("identity.assertion_signature", lambda: verify(union, forged, replay))

    def test_alg_none_is_refused(self, union, replay):
        claims = claims_of(person_token(union))
        header = {"alg": "none", "typ": TYP, "kid": union.node_signer("KG").kid}
        token = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}."
        refused("identity.assertion_signature", lambda: verify(union, token, replay))

    def test_a_key_carried_in_the_header_is_refused(self, union, replay):
        header = {"typ": TYP, "jwk": {"kty": "EC"}}
        token = signed(claims_of(person_token(union)), union.node_signer("KG"), header)
        refused("identity.assertion_signature", lambda: verify(union, token, replay))

    def test_a_header_without_a_key_id_is_refused(self, union, replay):
        _, payload, signature = person_token(union).split(".")
        header = b64url(json.dumps({"alg": "ES256", "typ": TYP}).encode())
        token = f"{header}.{payload}.{signature}"
        refused("identity.assertion_signer", lambda: verify(union, token, replay))

    def test_a_truncated_signature_is_refused(self, union, replay):
        token = person_token(union)[:-8]
        refused("identity.assertion_malformed", lambda: verify(union, token, replay))

    def test_another_typ_is_refused(self, union, replay):
        token = signed(
            claims_of(person_token(union)), union.node_signer("KG"), {"typ": "eaeu-envelope+jws"}
        )
        refused("identity.assertion_malformed", lambda: verify(union, token, replay))


class TestMalformed:
    @pytest.mark.parametrize("token", [None, 42, "", "a.b", "a.b.c.d", "x" * 20_000])
    def test_non_tokens_are_refused(self, union, replay, token):
        refused("identity.assertion_malformed", lambda: verify(union, token, replay))

    @pytest.mark.parametrize(
        ("change", "value"),
        [
            ("v", 2),
            ("iss", "EAEU/KG/GOV/OTHER"),
            ("iat", "yesterday"),
            ("exp", True),
            ("exp", 10**20),
            ("jti", "not-a-uuid"),
            ("loa", "http://eidas.europa.eu/LoA/medium"),
            ("kind", "robot"),
            ("sub", "KG/BY/" + "0" * 64),  # another destination than the audience
            ("sub", "KZ/RU/" + "0" * 64),  # another home than the issuer
            ("sub", "KG/RU/not-hex"),
            ("nationality", "Kyrgyz"),
            ("birth_date", "12.03.1994"),
            ("family_name", {"original": "Асанова", "latin": "Asanova"}),
            ("given_name", {"original": "", "latin": "AIGUL"}),
            ("given_name", "Айгуль"),
        ],
    )
    def test_a_bad_claim_is_refused(self, union, replay, change, value):
        claims = claims_of(person_token(union))
        claims[change] = value
        token = signed(claims, union.node_signer("KG"))
        refused("identity.assertion_malformed", lambda: verify(union, token, replay))

    def test_claims_that_are_not_an_object_are_refused(self, union, replay):
        refused(
            "identity.assertion_malformed",
            lambda: verify(union, signed([1, 2], union.node_signer("KG")), replay),
        )

    def test_claims_that_are_not_json_are_refused(self, union, replay):
        token = sign_compact(b"\xff not json", union.node_signer("KG"), {"typ": TYP})
        refused("identity.assertion_malformed", lambda: verify(union, token, replay))


class TestIssuingRefusals:
    @pytest.mark.parametrize(
        ("overrides", "match"),
        [
            ({"to": "KG"}, "not the home node"),
            ({"to": "XX"}, "not a member state"),
            ({"nationality": "kg"}, "two-letter"),
            ({"birth_date": "1994-03-12"}, "must be a date"),
            ({"family_name": " "}, "1 to 200 characters"),
            ({"family_name_latin": "ASANOVA1"}, "upper-case letters"),
            ({"loa": "high"}, "level of assurance"),
        ],
    )
    def test_refuses_what_cannot_be_asserted(self, union, overrides, match):
        with pytest.raises(ValidationError, match=match):
            person_token(union, **overrides)


class TestOrganisationAssertion:
    def token(self, union, **overrides):
        values = {
            "home_state": "RU",
            "audience_state": "KG",
            "legal_id": "1027700132195",
            "legal_id_kind": "ogrn",
            "legal_name": "ПАО «Сбербанк»",
            "legal_name_latin": "PAO SBERBANK",
            "kinds": {"employer", "insurer"},
            "now": NOW,
            **overrides,
        }
        return issue_organisation_assertion(union.node_signer("RU"), **values)

    def test_carries_legal_name_and_identifier(self, union, replay):
        assertion = verify(union, self.token(union), replay, at="KG")
        assert assertion.kind == "organisation"
        assert assertion.subject == "RU/KG/1027700132195"
        assert assertion.claims["legal_person_identifier"] == "RU/KG/1027700132195"
        assert assertion.legal_name.original == "ПАО «Сбербанк»"
        assert assertion.legal_name.latin == "PAO SBERBANK"
        assert assertion.legal_id_kind == "ogrn"
        assert assertion.org_kinds == ("employer", "insurer")
        assert assertion.display_name == "ПАО «Сбербанк»"
        assert assertion.family_name is None

    def test_a_latin_name_is_transliterated_when_missing(self, union):
        token = self.token(union, legal_name="Ромашка", legal_name_latin=None)
        assert claims_of(token)["legal_name"]["latin"] == "ROMASHKA"

    def test_an_identifier_that_differs_from_the_subject_is_refused(self, union, replay):
        claims = claims_of(self.token(union))
        claims["legal_person_identifier"] = "RU/KG/1027700000000"
        token = signed(claims, union.node_signer("RU"))
        refused("identity.assertion_malformed", lambda: verify(union, token, replay, at="KG"))

    def test_bad_kinds_are_refused(self, union, replay):
        with pytest.raises(ValidationError, match="lower-case"):
            self.token(union, kinds={"Employer"})
        claims = claims_of(self.token(union))
        claims["org_kinds"] = ["Employer"]
        token = signed(claims, union.node_signer("RU"))
        refused("identity.assertion_malformed", lambda: verify(union, token, replay, at="KG"))

    @pytest.mark.parametrize(
        ("overrides", "match"),
        [
            ({"legal_name": "  "}, "1 to 200 characters"),
            ({"legal_name_latin": "«Sberbank»"}, "Latin letters, digits and punctuation"),
        ],
    )
    def test_a_name_that_cannot_be_asserted_is_refused(self, union, overrides, match):
        with pytest.raises(ValidationError, match=match):
            self.token(union, **overrides)

    def test_a_registered_latin_name_keeps_its_case(self, union, replay):
        token = self.token(union, legal_name_latin="Sberbank of Russia PJSC")
        assertion = verify(union, token, replay, at="KG")
        assert assertion.legal_name.latin == "Sberbank of Russia PJSC"

    def test_a_bad_registration_number_is_refused(self, union, replay):
        with pytest.raises(ValidationError, match="registration number"):
            self.token(union, legal_id="10277/00")
        claims = claims_of(self.token(union))
        claims["sub"] = claims["legal_person_identifier"] = "RU/KG/"
        token = signed(claims, union.node_signer("RU"))
        refused("identity.assertion_malformed", lambda: verify(union, token, replay, at="KG"))
