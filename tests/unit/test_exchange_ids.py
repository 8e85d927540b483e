"""Member, subsystem and service identifiers in the X-Road style."""

import pytest

from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.ids import ExchangeId, node_id, node_service, parse_id


class TestParsing:
    def test_reads_four_parts_as_a_member(self):
        parsed = parse_id("EAEU/KZ/GOV/MINZDRAV")
        assert parsed == ExchangeId("KZ", "GOV", "MINZDRAV")
        assert not parsed.is_service

    def test_reads_five_parts_as_a_subsystem(self):
        parsed = parse_id("EAEU/BY/COM/190000001/lab-registry")
        assert parsed == ExchangeId("BY", "COM", "190000001", "lab-registry")
        assert not parsed.is_service

    def test_reads_six_parts_as_a_service_of_a_subsystem(self):
        parsed = parse_id("EAEU/RU/ORG/1027700132195/travel/verify_v1.2")
        assert parsed == ExchangeId("RU", "ORG", "1027700132195", "travel", "verify_v1.2")
        assert parsed.is_service

    @pytest.mark.parametrize(
        "text",
        [
            "EAEU/KZ/GOV/NODE",
            "EAEU/AM/COM/A1/sub",
            "EAEU/KG/ORG/x.y_z-1/sub/svc",
        ],
    )
    def test_writes_back_exactly_what_it_read(self, text):
        assert str(parse_id(text)) == text

    def test_names_the_member_a_service_belongs_to(self):
        service = parse_id("EAEU/AM/GOV/NODE/travel/verify")
        assert service.member == ExchangeId("AM", "GOV", "NODE")
        assert str(service.member) == "EAEU/AM/GOV/NODE"

    def test_accepts_a_code_of_64_characters(self):
        assert parse_id(f"EAEU/KZ/GOV/{'a' * 64}").code == "a" * 64


class TestRefusing:
    @pytest.mark.parametrize(
        "text",
        [
            "EAEU/KZ/GOV",  # three parts
            "EAEU/KZ/GOV/NODE/sub/svc/extra",  # seven parts
            "XROAD/KZ/GOV/NODE",  # another instance
            "",
            "eaeu/KZ/GOV/NODE",  # the instance is upper case
        ],
    )
    def test_refuses_a_shape_that_is_not_an_identifier(self, text):
        with pytest.raises(MessageRefused, match="is not an identifier EAEU/") as raised:
            parse_id(text)
        assert raised.value.reason == "exchange.bad_identifier"

    @pytest.mark.parametrize("value", [None, 42, b"EAEU/KZ/GOV/NODE", ["EAEU", "KZ", "GOV", "X"]])
    def test_refuses_what_is_not_text(self, value):
        with pytest.raises(MessageRefused, match="is not an identifier") as raised:
            parse_id(value)
        assert raised.value.reason == "exchange.bad_identifier"

    @pytest.mark.parametrize("state", ["UZ", "kz", "KAZ", ""])
    def test_refuses_a_state_that_is_not_a_member(self, state):
        with pytest.raises(MessageRefused, match="is not a member state") as raised:
            parse_id(f"EAEU/{state}/GOV/NODE")
        assert raised.value.reason == "exchange.bad_identifier"

    @pytest.mark.parametrize("member_class", ["gov", "NGO", ""])
    def test_refuses_an_unknown_member_class(self, member_class):
        with pytest.raises(MessageRefused, match=r"is not a member class \(GOV, COM, ORG\)") as r:
            parse_id(f"EAEU/KZ/{member_class}/NODE")
        assert r.value.reason == "exchange.bad_identifier"

    @pytest.mark.parametrize(
        "text",
        [
            "EAEU/KZ/GOV/",  # empty code
            "EAEU/KZ/GOV/NODE/",  # empty subsystem
            "EAEU/KZ/GOV/NODE/sub/",  # empty service
            "EAEU/KZ/GOV/-NODE",  # must start with a letter or digit
            "EAEU/KZ/GOV/NO DE",
            "EAEU/KZ/GOV/NODE/sub/svc:1",
            "EAEU/KZ/GOV/НОД",  # Cyrillic letters
            f"EAEU/KZ/GOV/{'a' * 65}",
        ],
    )
    def test_refuses_a_code_with_characters_outside_the_alphabet(self, text):
        with pytest.raises(MessageRefused, match="codes are 1-64 letters, digits") as raised:
            parse_id(text)
        assert raised.value.reason == "exchange.bad_identifier"

    @pytest.mark.parametrize(
        "text", ["EAEU/KZ/GOV/NODE\n", "EAEU/KZ/GOV/NODE/sub\n", "EAEU/KZ/GOV/NODE/sub/svc\n"]
    )
    def test_refuses_a_trailing_line_break(self, text):
        # A line break would reach the message log and operators' screens as part of a name.
        with pytest.raises(MessageRefused, match="codes are 1-64 letters, digits") as raised:
            parse_id(text)
        assert raised.value.reason == "exchange.bad_identifier"


class TestNodeIdentifiers:
    def test_names_a_state_node_as_a_government_member(self):
        assert str(node_id("BY")) == "EAEU/BY/GOV/NODE"
        assert node_id("BY") == parse_id("EAEU/BY/GOV/NODE")

    def test_names_a_service_of_a_state_node(self):
        service = node_service("AM", "travel", "verify")
        assert str(service) == "EAEU/AM/GOV/NODE/travel/verify"
        assert service.is_service
        assert service.member == node_id("AM")

    def test_orders_identifiers_by_state_first(self):
        assert sorted([node_id("RU"), node_id("AM"), node_id("KZ")]) == [
            node_id("AM"),
            node_id("KZ"),
            node_id("RU"),
        ]
