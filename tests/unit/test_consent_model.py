"""Consent terms, the notice hash and consent tokens, without a database."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from eaeu.consent import tokens
from eaeu.consent.errors import ConsentInvalid, ConsentRefused
from eaeu.consent.model import (
    check_organisation,
    fields_of,
    normalise_categories,
    notice_hash,
    organisation_ref,
)
from eaeu.testing import memory_union
from eaeu.trust.encoding import b64url, b64url_decode

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NOTICE = {
    "requester_state": "RU",
    "requester_organisation": "ООО «Стройка»",
    "requester_service": "jobs",
    "purpose": "jobs.application",
    "categories": ("identity", "contact"),
    "valid_until": NOW + timedelta(days=30),
    "mode": "one-time",
    "data_life_days": 30,
    "duties": ("transfer.record_basis",),
    "language": "en",
}
CLAIMS = tokens.ConsentClaims(
    consent_id="0193a000-0000-7000-8000-0000000000c1",
    issuer_state="KG",
    subject_ref="opaque-reference",
    requester_state="RU",
    requester_organisation=None,
    requester_service="jobs",
    purpose="jobs.application",
    basis="consent",
    categories=("contact", "identity"),
    fields=("family_name", "email"),
    mode="one-time",
    valid_from=NOW,
    valid_until=NOW + timedelta(days=30),
    issued_at=NOW,
    data_life_days=30,
    explicit_request=True,
    preview_hash="c" * 64,
)


@pytest.fixture(scope="module")
def union():
    return memory_union(now=NOW - timedelta(days=1))


class TestFields:
    def test_identity_comes_first_and_nothing_repeats(self):
        assert fields_of(("contact", "identity"))[0] == "family_name"
        assert fields_of(("contact", "identity"))[-1] == "email"
        assert fields_of(("contact",)) == ("email",)
        assert fields_of(("health",)) == ()

    def test_categories_are_sorted_and_deduplicated(self):
        assert normalise_categories(["identity", " contact", "identity", ""]) == (
            "contact",
            "identity",
        )


class TestTheNoticeHash:
    def test_is_stable_and_ignores_category_order_and_microseconds(self):
        first = notice_hash(**NOTICE)
        again = notice_hash(
            **{
                **NOTICE,
                "categories": ("contact", "identity", "contact"),
                "valid_until": NOTICE["valid_until"] + timedelta(microseconds=5),
            }
        )
        assert first == again
        assert len(first) == 64

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("requester_state", "KZ"),
            ("requester_organisation", None),
            ("requester_service", "travel"),
            ("purpose", "housing.rental"),
            ("categories", ("identity",)),
            ("valid_until", NOW + timedelta(days=31)),
            ("mode", "periodic"),
            ("data_life_days", 31),
            ("duties", ()),
            ("language", "ru"),
        ],
    )
    def test_changes_with_everything_the_notice_says(self, field, value):
        assert notice_hash(**{**NOTICE, field: value}) != notice_hash(**NOTICE)


class TestConsentTokens:
    def test_round_trip_through_the_trust_list(self, union):
        token = tokens.sign(CLAIMS, union.node_signer("KG"))
        assert tokens.verify(token, union.trust) == CLAIMS
        assert tokens.peek(token) == CLAIMS

    def test_carries_a_version_and_algorithm_marker(self, union):
        token = tokens.sign(CLAIMS, union.node_signer("KG"))
        header = json.loads(b64url_decode(token.split(".")[0]))
        body = json.loads(b64url_decode(token.split(".")[1]))
        assert (header["typ"], header["alg"]) == ("eaeu-consent+jws", "ES256")
        assert body["ver"] == 1
        assert body["sub"] == "opaque-reference"

    def test_a_changed_claim_breaks_the_signature(self, union):
        token = tokens.sign(CLAIMS, union.node_signer("KG"))
        header, body, signature = token.split(".")
        claims = json.loads(b64url_decode(body))
        claims["aud"] = "KZ"
        forged = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
        with pytest.raises(ConsentRefused, match="cannot be verified") as raised:
            tokens.verify(forged, union.trust)
        assert raised.value.reason == "consent.signature"

    def test_a_key_of_another_state_is_not_the_issuers(self, union):
        token = tokens.sign(CLAIMS, union.node_signer("AM"))
        with pytest.raises(ConsentRefused, match="not signed by the node") as raised:
            tokens.verify(token, union.trust)
        assert raised.value.reason == "consent.issuer"

    @pytest.mark.parametrize(
        "change",
        [
            {"jti": 7},
            {"cat": "identity"},
            {"nbf": "2026-03-01"},
            {"life": True},
            {"org": ""},
            {"ver": 2},
        ],
    )
    def test_claims_of_the_wrong_shape_are_malformed(self, change):
        claims = {**CLAIMS.to_json(), **change}
        with pytest.raises(ConsentRefused, match="damaged") as raised:
            tokens.ConsentClaims.from_json(claims)
        assert raised.value.reason == "consent.malformed"

    def test_only_explicit_true_is_an_explicit_request(self):
        claims = tokens.ConsentClaims.from_json({**CLAIMS.to_json(), "xreq": "yes"})
        assert claims == replace(CLAIMS, explicit_request=False)


class TestTheRequestingOrganisation:
    def test_is_named_by_state_kind_and_registration_number(self):
        assert organisation_ref("RU", "ogrn", "1157746013237") == "RU-OGRN-1157746013237"

    def test_an_organisation_of_the_requesting_state_is_accepted(self):
        check_organisation("RU-OGRN-1157746013237", "RU")

    @pytest.mark.parametrize(
        "reference", [None, "", "ООО «Стройка»", "KZ-BIN-071140030713", "RU-1157746013237"]
    )
    def test_anything_else_is_refused(self, reference):
        with pytest.raises(ConsentInvalid, match="registration number") as raised:
            check_organisation(reference, "RU")
        assert raised.value.reason == "consent.organisation_invalid"

    def test_the_token_carries_its_name(self):
        claims = replace(CLAIMS, requester_organisation_name="ООО «СтройМонтаж»")
        assert tokens.ConsentClaims.from_json(claims.to_json()) == claims

    def test_the_name_the_person_saw_is_part_of_the_notice(self):
        named = notice_hash(**NOTICE, requester_organisation_name="ООО «СтройМонтаж»")
        assert named != notice_hash(**NOTICE)
        assert named != notice_hash(**NOTICE, requester_organisation_name="ООО «Другая»")
