import copy
import json
import re
from datetime import date

import pytest

from eaeu.consent.policy import (
    BASES,
    CATEGORIES,
    PolicyInvalid,
    PolicyNotFound,
    TransferDecision,
    TransferPolicy,
    TransferRefused,
    TransferRequestInvalid,
    check_transfer,
    explain,
    load_policy,
    parse_policy,
)
from eaeu.kernel.errors import NotFound, ValidationError
from eaeu.kernel.states import STATE_CODES

DAY = date(2026, 1, 15)
PLACEHOLDER = re.compile(r"\{[^}]*\}")
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@pytest.fixture(scope="module")
def policy() -> TransferPolicy:
    return load_policy()


def _version(**changes):
    version = {
        "version": 1,
        "effective_from": "2020-01-01",
        "law": {"en": "Test law", "ru": "Тестовый закон"},
        "law_short": {"en": "Test law", "ru": "Тестовый закон"},
        "authority": {"en": "the Test Authority", "ru": "Тестовый орган"},
        "sources": ["https://example.org/law"],
        "localisation": {
            "primary_copy_home": False,
            "rule": "none",
            "subjects": "none",
            "categories": [],
        },
        "destinations": {
            "adequate": ["BY"],
            "adequate_list": {"en": "the test list", "ru": "тестовый перечень"},
            "bases_if_adequate": ["consent", "contract"],
            "bases_if_not_adequate": ["consent", "regulator_permission"],
        },
        "notification": None,
        "categories": {"may_leave": ["identity", "contact"], "never": ["health"]},
        "check_with_authority": [],
        "summary": {"en": "Test rules.", "ru": "Тестовые правила."},
    }
    version.update(changes)
    return version


def _document(*versions, state="AM"):
    return {
        "format": "eaeu.transfer-policy",
        "format_version": 1,
        "states": [{"state": state, "versions": list(versions) or [_version()]}],
    }


def _check(policy, **kwargs):
    args = {
        "from_state": "AM",
        "to_state": "BY",
        "categories": {"identity"},
        "basis": "consent",
        "at": DAY,
    }
    args.update(kwargs)
    return check_transfer(policy, **args)


def _codes(decision: TransferDecision) -> list[str]:
    return [reason.code for reason in decision.reasons]


def _assert_refused(decision: TransferDecision, code: str) -> None:
    assert not decision.allowed
    assert code in _codes(decision)
    assert decision.duties == ()
    with pytest.raises(TransferRefused, match="refused") as caught:
        decision.raise_for_refusal()
    assert caught.value.reason == decision.reasons[0].code
    assert caught.value.decision is decision


class TestPackagedPolicy:
    def test_covers_every_member_state(self, policy):
        assert sorted(policy.states) == list(STATE_CODES)

    @pytest.mark.parametrize("state", STATE_CODES)
    def test_every_version_is_dated_sourced_and_summarised(self, policy, state):
        for rules in policy.states[state]:
            assert rules.effective_from <= DAY
            assert rules.sources
            assert all(source.startswith("https://") for source in rules.sources)
            assert rules.law.en
            assert CYRILLIC.search(rules.law.ru)
            assert CYRILLIC.search(rules.summary.ru)
            assert not CYRILLIC.search(rules.summary.en)

    @pytest.mark.parametrize("state", STATE_CODES)
    def test_every_state_flags_what_our_reference_does_not_verify(self, policy, state):
        assert all(rules.check_with_authority for rules in policy.states[state])

    def test_every_category_may_leave_until_a_law_says_otherwise(self, policy):
        for versions in policy.states.values():
            for rules in versions:
                assert rules.may_leave == set(CATEGORIES)
                assert not rules.never_leaves

    def test_russia_keeps_its_versions_of_2015_2023_and_2025(self, policy):
        dates = [rules.effective_from for rules in policy.states["RU"]]
        assert dates == [date(2015, 9, 1), date(2023, 3, 1), date(2025, 7, 1)]

    def test_only_russia_and_kazakhstan_keep_the_primary_copy_at_home(self, policy):
        home = {
            code for code in STATE_CODES if policy.rules_for(code, DAY).localisation.rule != "none"
        }
        assert home == {"KZ", "RU"}

    def test_load_policy_reads_a_file_when_given_a_path(self, tmp_path):
        path = tmp_path / "policy.json"
        path.write_text(json.dumps(_document()), "utf-8")
        assert load_policy(path).rules_for("AM", DAY).version == 1

    def test_load_policy_refuses_a_file_that_is_not_json(self, tmp_path):
        path = tmp_path / "policy.json"
        path.write_text("{not json", "utf-8")
        with pytest.raises(PolicyInvalid, match="not JSON") as caught:
            load_policy(path)
        assert caught.value.reason == "policy.invalid"
        assert caught.value.field == "(document)"


class TestVersionByDate:
    def test_chooses_the_version_in_force_on_the_day(self, policy):
        assert policy.rules_for("RU", date(2023, 2, 28)).version == 1
        assert policy.rules_for("RU", date(2023, 3, 1)).version == 2
        assert policy.rules_for("ru", date(2025, 6, 30)).version == 2
        assert policy.rules_for("RU", date(2025, 7, 1)).version == 3

    def test_a_russian_transfer_on_30_june_2025_keeps_the_primary_copy_home(self, policy):
        decision = _check(
            policy,
            from_state="RU",
            to_state="KZ",
            at=date(2025, 6, 30),
            notified_destinations=frozenset({"KZ"}),
        )
        assert decision.allowed
        assert decision.policy_version == 2
        assert "localisation.keep_primary_copy_home" in [d.code for d in decision.duties]
        assert "https://zakonrf.info/doc-37386332" in decision.sources

    def test_a_russian_transfer_on_1_july_2025_meets_the_foreign_database_ban(self, policy):
        decision = _check(
            policy,
            from_state="RU",
            to_state="KZ",
            at=date(2025, 7, 1),
            notified_destinations=frozenset({"KZ"}),
        )
        assert decision.allowed
        assert decision.policy_version == 3
        codes = [d.code for d in decision.duties]
        assert codes == [
            "localisation.no_foreign_database",
            "notification.record",
            "transfer.record_basis",
        ]
        assert (
            "https://comply.ru/tpost/xsisovz031-complypulse-pod-zapretom-teper-ne-tolko"
            in decision.sources
        )

    def test_russia_needed_no_notification_before_1_march_2023(self, policy):
        decision = _check(policy, from_state="RU", to_state="KZ", at=date(2023, 2, 28))
        assert decision.allowed
        assert decision.policy_version == 1

    def test_refuses_a_date_before_the_first_version(self, policy):
        with pytest.raises(
            PolicyNotFound, match="no transfer rules for RU in force on 2015-08-31"
        ) as caught:
            policy.rules_for("RU", date(2015, 8, 31))
        assert caught.value.reason == "policy.not_found"

    def test_refuses_a_state_without_rules(self):
        with pytest.raises(PolicyNotFound, match="no transfer rules for KZ") as caught:
            parse_policy(_document()).rules_for("KZ", DAY)
        assert caught.value.reason == "policy.not_found"

    def test_refuses_a_state_outside_the_union(self, policy):
        with pytest.raises(NotFound, match="not a member state") as caught:
            policy.rules_for("DE", DAY)
        assert caught.value.reason == "state.unknown"


class TestRussia:
    def test_refuses_a_transfer_before_roskomnadzor_is_notified(self, policy):
        decision = _check(policy, from_state="RU", to_state="KZ")
        _assert_refused(decision, "policy.notification_missing")
        assert decision.reasons[0].text.en == (
            "Russian law (152-FZ) requires the operator to notify Roskomnadzor before personal "
            "data is first sent to Kazakhstan; this has not been recorded."
        )
        assert "уведомить Роскомнадзор" in decision.reasons[0].text.ru
        assert "Казахстан" in decision.reasons[0].text.ru

    def test_a_notification_counts_only_for_its_destination(self, policy):
        decision = _check(
            policy, from_state="RU", to_state="BY", notified_destinations=frozenset({"KZ"})
        )
        _assert_refused(decision, "policy.notification_missing")

    def test_refuses_the_processing_purpose_as_a_basis(self, policy):
        decision = _check(
            policy,
            from_state="RU",
            to_state="AM",
            basis="purpose",
            notified_destinations=frozenset({"AM"}),
        )
        _assert_refused(decision, "policy.basis_not_allowed")
        assert _codes(decision) == ["policy.basis_not_allowed"]

    def test_reports_every_reason_at_once(self, policy):
        decision = _check(policy, from_state="RU", to_state="AM", basis="purpose")
        assert _codes(decision) == ["policy.basis_not_allowed", "policy.notification_missing"]

    def test_allows_a_notified_transfer_with_consent(self, policy):
        decision = _check(
            policy,
            from_state="RU",
            to_state="KZ",
            categories={"identity", "health"},
            notified_destinations=frozenset({"KZ"}),
        )
        assert decision.allowed
        assert decision.reasons == ()
        decision.raise_for_refusal()


class TestKazakhstan:
    def test_refuses_a_contract_for_a_destination_not_recorded_as_adequate(self, policy):
        decision = _check(policy, from_state="KZ", to_state="RU", basis="contract")
        _assert_refused(decision, "policy.destination_not_adequate_needs_consent")
        assert (
            "Russia is not recorded as a state with adequate protection"
            in decision.reasons[0].text.en
        )

    def test_refuses_a_regulator_permission_it_does_not_know(self, policy):
        decision = _check(policy, from_state="KZ", to_state="RU", basis="regulator_permission")
        _assert_refused(decision, "policy.basis_not_allowed")

    def test_allows_consent_and_keeps_the_primary_copy_in_kazakhstan(self, policy):
        decision = _check(policy, from_state="KZ", to_state="KG")
        assert decision.allowed
        assert [d.code for d in decision.duties] == [
            "localisation.keep_primary_copy_home",
            "transfer.record_basis",
        ]
        assert "in a database in Kazakhstan" in decision.duties[0].text.en
        assert "citizens" not in decision.duties[0].text.en


class TestBelarus:
    def test_refuses_plain_consent_without_the_risks_explained(self, policy):
        decision = _check(policy, from_state="BY", to_state="RU", basis="consent")
        _assert_refused(decision, "policy.destination_not_adequate_needs_consent")
        assert "after the risks were explained" in decision.reasons[0].text.en
        assert "National Personal Data Protection Centre" in decision.reasons[0].text.en

    def test_refuses_a_requirement_of_law_for_a_destination_not_recorded_as_adequate(self, policy):
        decision = _check(policy, from_state="BY", to_state="KZ", basis="law")
        _assert_refused(decision, "policy.destination_not_adequate_needs_consent")

    def test_refuses_the_processing_purpose_as_a_basis(self, policy):
        decision = _check(policy, from_state="BY", to_state="KZ", basis="purpose")
        _assert_refused(decision, "policy.basis_not_allowed")

    @pytest.mark.parametrize("basis", ["informed_consent", "contract", "regulator_permission"])
    def test_allows_the_exceptions_of_article_9(self, policy, basis):
        decision = _check(policy, from_state="BY", to_state="KZ", basis=basis)
        assert decision.allowed
        assert [d.code for d in decision.duties] == ["transfer.record_basis"]


class TestArmenia:
    def test_refuses_consent_alone_for_a_destination_not_recorded_as_adequate(self, policy):
        decision = _check(policy, from_state="AM", to_state="RU", basis="consent")
        _assert_refused(decision, "policy.destination_not_adequate_needs_consent")
        assert "permission of the Personal Data Protection Agency" in decision.reasons[0].text.en
        assert "one of" not in decision.reasons[0].text.en

    def test_refuses_a_contract_as_a_basis(self, policy):
        decision = _check(policy, from_state="AM", to_state="RU", basis="contract")
        _assert_refused(decision, "policy.basis_not_allowed")

    def test_allows_a_transfer_with_the_agencys_permission(self, policy):
        decision = _check(policy, from_state="AM", to_state="RU", basis="regulator_permission")
        assert decision.allowed
        assert "permission of the Personal Data Protection Agency" in decision.duties[-1].text.en


class TestKyrgyzstan:
    def test_refuses_a_requirement_of_law_for_a_destination_not_recorded_as_adequate(self, policy):
        decision = _check(policy, from_state="KG", to_state="KZ", basis="law")
        _assert_refused(decision, "policy.destination_not_adequate_needs_consent")

    def test_refuses_a_regulator_permission_as_a_basis(self, policy):
        decision = _check(policy, from_state="KG", to_state="KZ", basis="regulator_permission")
        _assert_refused(decision, "policy.basis_not_allowed")

    def test_allows_consent(self, policy):
        assert _check(policy, from_state="KG", to_state="KZ").allowed


class TestCheckTransfer:
    def test_a_transfer_within_one_state_is_always_allowed(self, policy):
        decision = _check(
            policy, from_state="RU", to_state="ru", basis="purpose", at=date(1990, 1, 1)
        )
        assert decision == TransferDecision(
            allowed=True, reasons=(), duties=(), policy_version=None, sources=()
        )

    def test_allows_a_transfer_to_an_adequate_state_on_an_adequate_only_basis(self):
        decision = _check(parse_policy(_document()), basis="contract")
        assert decision.allowed

    def test_refuses_a_category_that_never_leaves(self):
        decision = _check(parse_policy(_document()), categories={"identity", "health"})
        _assert_refused(decision, "policy.category_never_leaves")
        assert "health data (test results)" in decision.reasons[0].text.en

    def test_refuses_a_category_the_rules_do_not_list(self):
        decision = _check(parse_policy(_document()), categories={"location"})
        _assert_refused(decision, "policy.category_not_permitted")

    def test_one_notification_can_cover_every_destination(self):
        notification = {"per_destination": False, "before_first_transfer": True}
        policy = parse_policy(_document(_version(notification=notification)))
        _assert_refused(_check(policy), "policy.notification_missing")
        assert _check(policy, notified_destinations=frozenset({"*"})).allowed

    def test_a_notification_after_the_first_transfer_does_not_hold_it_up(self):
        notification = {"per_destination": True, "before_first_transfer": False}
        policy = parse_policy(_document(_version(notification=notification)))
        decision = _check(policy)
        assert decision.allowed
        assert "notification.record" in [d.code for d in decision.duties]

    def test_refuses_a_request_without_categories(self, policy):
        with pytest.raises(TransferRequestInvalid, match="at least one data category") as caught:
            _check(policy, categories=set())
        assert caught.value.reason == "policy.no_categories"

    def test_refuses_an_unknown_category(self, policy):
        with pytest.raises(
            TransferRequestInvalid, match="unknown data category 'finance'"
        ) as caught:
            _check(policy, categories={"identity", "finance"})
        assert caught.value.reason == "policy.unknown_category"

    def test_refuses_an_unknown_basis(self, policy):
        with pytest.raises(TransferRequestInvalid, match="unknown legal basis 'whim'") as caught:
            _check(policy, basis="whim")
        assert caught.value.reason == "policy.unknown_basis"
        assert isinstance(caught.value, ValidationError)

    def test_refuses_a_destination_outside_the_union(self, policy):
        with pytest.raises(NotFound, match="not a member state") as caught:
            _check(policy, to_state="DE")
        assert caught.value.reason == "state.unknown"


def _every_decision(policy):
    for source in STATE_CODES:
        for destination in STATE_CODES:
            for basis in BASES:
                for notified in (frozenset(), frozenset({destination})):
                    yield check_transfer(
                        policy,
                        from_state=source,
                        to_state=destination,
                        categories=set(CATEGORIES),
                        basis=basis,
                        at=DAY,
                        notified_destinations=notified,
                    )


class TestMessages:
    def test_every_message_exists_in_english_and_russian_without_placeholders(self, policy):
        seen = set()
        for decision in _every_decision(policy):
            for item in (*decision.reasons, *decision.duties):
                seen.add(item.code)
                assert item.text.en
                assert item.text.ru
                assert not PLACEHOLDER.search(item.text.en + item.text.ru)
                assert not CYRILLIC.search(item.text.en)
                assert CYRILLIC.search(item.text.ru)
        assert seen >= {
            "policy.basis_not_allowed",
            "policy.destination_not_adequate_needs_consent",
            "policy.notification_missing",
            "localisation.keep_primary_copy_home",
            "notification.record",
            "transfer.record_basis",
        }

    def test_explains_a_refusal_in_the_persons_language(self, policy):
        decision = _check(policy, from_state="RU", to_state="KZ")
        english = explain(decision, "en")
        russian = explain(decision, "ru")
        assert english.startswith("The transfer is refused.\nRussian law (152-FZ) requires")
        assert russian.startswith("Передача запрещена.\n")
        assert "Роскомнадзор" in russian

    def test_explains_an_allowed_transfer_with_its_duties(self, policy):
        decision = _check(policy, from_state="KZ", to_state="RU")
        assert explain(decision, "ru").startswith("Передача разрешена.\nОсновная копия")
        assert explain(decision, "en").count("\n") == len(decision.duties)

    def test_falls_back_to_english_for_other_languages(self, policy):
        decision = _check(policy, from_state="RU", to_state="KZ")
        assert explain(decision, "kk") == explain(decision, "en")


class TestMalformedPolicy:
    @pytest.mark.parametrize(
        ("mutate", "field"),
        [
            (lambda d: d.update(format="other"), "format"),
            (lambda d: d.update(format_version=2), "format_version"),
            (lambda d: d.update(states={}), "states"),
            (lambda d: d["states"].append("AM"), "states[1]"),
            (lambda d: d["states"][0].update(state=""), "states[0].state"),
            (lambda d: d["states"][0].update(state="DE"), "states[0].state"),
            (lambda d: d["states"].append(copy.deepcopy(d["states"][0])), "states[1].state"),
            (lambda d: d["states"][0].update(versions=[]), "states[0].versions"),
            (
                lambda d: d["states"][0]["versions"][0].update(version=0),
                "states[0].versions[0].version",
            ),
            (
                lambda d: d["states"][0]["versions"][0].update(version=True),
                "states[0].versions[0].version",
            ),
            (
                lambda d: d["states"][0]["versions"][0].update(sources=[]),
                "states[0].versions[0].sources",
            ),
            (
                lambda d: d["states"][0]["versions"][0].update(sources=["http://x"]),
                "states[0].versions[0].sources",
            ),
            (
                lambda d: d["states"][0]["versions"][0].update(sources=[3]),
                "states[0].versions[0].sources[0]",
            ),
            (
                lambda d: d["states"][0]["versions"][0].update(effective_from="1 Jan 2020"),
                "states[0].versions[0].effective_from",
            ),
            (lambda d: d["states"][0]["versions"][0].pop("law"), "states[0].versions[0].law"),
            (
                lambda d: d["states"][0]["versions"][0]["summary"].pop("ru"),
                "states[0].versions[0].summary.ru",
            ),
            (
                lambda d: d["states"][0]["versions"][0]["localisation"].update(
                    primary_copy_home="yes"
                ),
                "states[0].versions[0].localisation.primary_copy_home",
            ),
            (
                lambda d: d["states"][0]["versions"][0]["localisation"].update(rule="maybe"),
                "states[0].versions[0].localisation.rule",
            ),
            (
                lambda d: d["states"][0]["versions"][0]["localisation"].update(subjects="aliens"),
                "states[0].versions[0].localisation.subjects",
            ),
            (
                lambda d: d["states"][0]["versions"][0]["localisation"].update(
                    primary_copy_home=True
                ),
                "states[0].versions[0].localisation",
            ),
            (
                lambda d: d["states"][0]["versions"][0]["localisation"].update(categories=["dna"]),
                "states[0].versions[0].localisation.categories",
            ),
            (
                lambda d: d["states"][0]["versions"][0]["destinations"].update(adequate=["DE"]),
                "states[0].versions[0].destinations.adequate",
            ),
            (
                lambda d: d["states"][0]["versions"][0]["destinations"].update(
                    bases_if_adequate=["whim"]
                ),
                "states[0].versions[0].destinations.bases_if_adequate",
            ),
            (
                lambda d: d["states"][0]["versions"][0].update(authority=None),
                "states[0].versions[0].destinations.bases_if_not_adequate",
            ),
            (
                lambda d: d["states"][0]["versions"][0].update(
                    notification={"per_destination": True, "before_first_transfer": True},
                    authority=None,
                    destinations={
                        **d["states"][0]["versions"][0]["destinations"],
                        "bases_if_not_adequate": ["consent"],
                    },
                ),
                "states[0].versions[0].notification",
            ),
            (
                lambda d: d["states"][0]["versions"][0].update(
                    notification={"per_destination": "yes"}
                ),
                "states[0].versions[0].notification.per_destination",
            ),
            (
                lambda d: d["states"][0]["versions"][0]["categories"].update(never=["identity"]),
                "states[0].versions[0].categories",
            ),
            (
                lambda d: d["states"][0]["versions"][0].update(check_with_authority="see a lawyer"),
                "states[0].versions[0].check_with_authority",
            ),
        ],
    )
    def test_refuses_the_document_naming_the_bad_field(self, mutate, field):
        document = _document()
        mutate(document)
        with pytest.raises(
            PolicyInvalid, match=re.escape(f"transfer policy field {field}:")
        ) as caught:
            parse_policy(document)
        assert caught.value.reason == "policy.invalid"
        assert caught.value.field == field

    def test_refuses_a_document_that_is_not_an_object(self):
        with pytest.raises(PolicyInvalid, match="must be an object") as caught:
            parse_policy("[]")
        assert caught.value.field == "(document)"

    @pytest.mark.parametrize(
        "second",
        [
            pytest.param(_version(version=1, effective_from="2021-01-01"), id="same-number"),
            pytest.param(_version(version=2, effective_from="2020-01-01"), id="same-date"),
        ],
    )
    def test_refuses_versions_out_of_order(self, second):
        with pytest.raises(PolicyInvalid, match="must increase in number and date") as caught:
            parse_policy(_document(_version(), second))
        assert caught.value.field == "states[0].versions[1]"

    def test_accepts_ordered_versions(self):
        policy = parse_policy(
            _document(_version(), _version(version=2, effective_from="2021-01-01"))
        )
        assert policy.rules_for("AM", date(2020, 12, 31)).version == 1
        assert policy.rules_for("AM", date(2021, 1, 1)).version == 2


class TestTheOwnRequestBasis:
    """A person's own request to send their data abroad (signing in there) is their consent."""

    @pytest.mark.parametrize(("source", "destination"), [("KG", "RU"), ("KZ", "AM"), ("AM", "BY")])
    def test_is_decided_exactly_as_consent(self, policy, source, destination):
        consent = _check(policy, from_state=source, to_state=destination, basis="consent")
        own = _check(policy, from_state=source, to_state=destination, basis="own_request")
        assert own.allowed == consent.allowed
        assert _codes(own) == _codes(consent)

    def test_allows_a_kyrgyz_sign_in_abroad_and_records_it_as_the_own_request(self, policy):
        decision = _check(policy, from_state="KG", to_state="RU", basis="own_request")
        assert decision.allowed
        [duty] = [d for d in decision.duties if d.code == "transfer.record_basis"]
        assert "your own request" in duty.text.en

    def test_is_not_informed_consent_where_the_law_needs_that(self, policy):
        decision = _check(policy, from_state="BY", to_state="KZ", basis="own_request")
        _assert_refused(decision, "policy.destination_not_adequate_needs_consent")
