"""Envelopes and receipts: the format, sealing, and every check a receiver makes."""

import hashlib
import json
from datetime import timedelta

import pytest

from eaeu.exchange.envelope import (
    ENVELOPE_TYP,
    MAX_ENVELOPE_BYTES,
    RECEIPT_TYP,
    Envelope,
    check_receipt,
    make_receipt,
    open_envelope,
    response_to,
    seal,
    sha256_hex,
)
from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.ids import ExchangeId
from eaeu.testing import FrozenClock, memory_union
from eaeu.trust.encoding import b64url, b64url_decode, canonical_json
from eaeu.trust.jws import sign_compact
from eaeu.trust.keys import EcSigner, generate_ec_key

NOW = FrozenClock().now()
WINDOW = timedelta(minutes=5)
SKEW = timedelta(seconds=30)
MESSAGE_ID = "01936d1f-7c2a-7000-8000-0000000000aa"


@pytest.fixture(scope="module")
def union():
    return memory_union(now=NOW)


def envelope(**overrides):
    fields = {
        "id": MESSAGE_ID,
        "sender": "EAEU/AM/GOV/NODE",
        "receiver": "EAEU/BY/GOV/NODE",
        "service": "travel",
        "type": "travel.certificate.verify",
        "created_at": NOW - timedelta(hours=1),
        "payload": {"certificate": "HC1:NCF…"},
    }
    return Envelope(**(fields | overrides))


def envelope_json(**overrides):
    return envelope().to_json() | overrides


def opened(token, union, *, receiver_state="BY", now=NOW):
    return open_envelope(
        token, union.trust, receiver_state=receiver_state, now=now, window=WINDOW, skew=SKEW
    )


def refused_open(token, union, *, match, reason, **kwargs):
    with pytest.raises(MessageRefused, match=match) as raised:
        opened(token, union, **kwargs)
    assert raised.value.reason == reason


def signed_body(body, signer, typ=ENVELOPE_TYP):
    raw = body if isinstance(body, bytes) else canonical_json(body)
    return sign_compact(raw, signer, {"typ": typ})


def change_payload(token, change):
    header, payload, signature = token.split(".")
    body = json.loads(b64url_decode(payload))
    change(body)
    return f"{header}.{b64url(canonical_json(body))}.{signature}"


class TestTheFormat:
    def test_writes_every_field_with_times_in_utc_z(self):
        assert envelope(correlation_id="c", consent="k", request_hash="h").to_json() == {
            "v": 1,
            "id": MESSAGE_ID,
            "sender": "EAEU/AM/GOV/NODE",
            "receiver": "EAEU/BY/GOV/NODE",
            "service": "travel",
            "type": "travel.certificate.verify",
            "created_at": "2025-12-31T23:00:00Z",
            "correlation_id": "c",
            "consent": "k",
            "request_hash": "h",
            "purpose": None,
            "categories": [],
            "basis": None,
            "payload": {"certificate": "HC1:NCF…"},
            "encrypted": None,
        }

    def test_reads_back_what_it_wrote(self):
        original = envelope(encrypted="a..b.c.d", payload=None, correlation_id="c", consent="k")
        assert Envelope.from_json(original.to_json()) == original

    def test_parses_sender_and_receiver_identifiers(self):
        assert envelope().sender_id == ExchangeId("AM", "GOV", "NODE")
        assert envelope().receiver_id == ExchangeId("BY", "GOV", "NODE")

    def test_hashes_the_content_the_same_whatever_the_object(self):
        first, second = envelope(), Envelope.from_json(envelope().to_json())
        assert first.content_hash == second.content_hash
        assert first.content_hash == sha256_hex(canonical_json(first.to_json()))
        assert envelope(payload={"certificate": "other"}).content_hash != first.content_hash

    def test_hashes_bytes_as_hex_sha256(self):
        assert sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest()


class TestReadingUntrustedJson:
    @pytest.mark.parametrize("data", [None, [], "envelope", 1])
    def test_refuses_what_is_not_an_object(self, data):
        with pytest.raises(MessageRefused, match="is not a JSON object") as raised:
            Envelope.from_json(data)
        assert raised.value.reason == "exchange.malformed"

    @pytest.mark.parametrize("version", [None, 0, 2, "1", 1.5])
    def test_refuses_a_format_version_it_does_not_know(self, version):
        with pytest.raises(MessageRefused, match=r"format version .* is not supported") as raised:
            Envelope.from_json(envelope_json(v=version))
        assert raised.value.reason == "exchange.malformed"

    @pytest.mark.parametrize("name", ["id", "sender", "receiver", "service", "type", "created_at"])
    @pytest.mark.parametrize("value", [None, "", 7, ["x"]], ids=["null", "empty", "int", "list"])
    def test_refuses_a_missing_or_empty_required_field(self, name, value):
        with pytest.raises(MessageRefused, match=f"the envelope has no {name}") as raised:
            Envelope.from_json(envelope_json(**{name: value}))
        assert raised.value.reason == "exchange.malformed"

    @pytest.mark.parametrize("name", ["id", "sender", "receiver", "service", "type", "created_at"])
    def test_refuses_an_absent_required_field(self, name):
        data = envelope_json()
        del data[name]
        with pytest.raises(MessageRefused, match=f"the envelope has no {name}") as raised:
            Envelope.from_json(data)
        assert raised.value.reason == "exchange.malformed"

    @pytest.mark.parametrize(
        "name", ["encrypted", "correlation_id", "consent", "request_hash", "purpose", "basis"]
    )
    @pytest.mark.parametrize("value", [1, ["x"], {"a": "b"}, True])
    def test_refuses_an_optional_field_that_is_not_a_string(self, name, value):
        with pytest.raises(MessageRefused, match=f"{name} must be a string") as raised:
            Envelope.from_json(envelope_json(**{name: value}))
        assert raised.value.reason == "exchange.malformed"

    @pytest.mark.parametrize(
        "value", ["identity", [1], [""], ["x" * 65], ["identity"] * 33, [["identity"]]]
    )
    def test_refuses_categories_that_are_not_a_short_list_of_names(self, value):
        with pytest.raises(MessageRefused, match="categories must be a short list") as raised:
            Envelope.from_json(envelope_json(categories=value))
        assert raised.value.reason == "exchange.malformed"

    def test_reads_back_the_description_of_personal_data(self):
        data = envelope_json(purpose="jobs.application", categories=["identity"], basis="consent")
        parsed = Envelope.from_json(data)
        assert (parsed.purpose, parsed.categories, parsed.basis) == (
            "jobs.application",
            ("identity",),
            "consent",
        )

    @pytest.mark.parametrize("value", ["7", "01936d1f-7c2a-7000-8000-0000000000aA", "x" * 300])
    def test_refuses_an_id_that_is_not_a_uuid(self, value):
        with pytest.raises(MessageRefused, match="id must be a UUID") as raised:
            Envelope.from_json(envelope_json(id=value))
        assert raised.value.reason == "exchange.malformed"

    def test_refuses_a_correlation_id_longer_than_a_uuid(self):
        with pytest.raises(MessageRefused, match="correlation_id is too long") as raised:
            Envelope.from_json(envelope_json(correlation_id="c" * 37))
        assert raised.value.reason == "exchange.malformed"

    @pytest.mark.parametrize("name", ["service", "type"])
    def test_refuses_a_service_or_type_name_longer_than_64(self, name):
        with pytest.raises(MessageRefused, match=f"{name} is too long") as raised:
            Envelope.from_json(envelope_json(**{name: "s" * 65}))
        assert raised.value.reason == "exchange.malformed"

    @pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "1735689600"])
    def test_refuses_a_creation_time_that_is_not_iso_8601(self, value):
        with pytest.raises(MessageRefused, match="created_at is not an ISO 8601 time") as raised:
            Envelope.from_json(envelope_json(created_at=value))
        assert raised.value.reason == "exchange.malformed"

    def test_refuses_a_creation_time_without_a_time_zone(self):
        with pytest.raises(MessageRefused, match="created_at has no time zone") as raised:
            Envelope.from_json(envelope_json(created_at="2026-01-01T00:00:00"))
        assert raised.value.reason == "exchange.malformed"

    @pytest.mark.parametrize("name", ["sender", "receiver"])
    def test_refuses_a_party_that_is_not_an_identifier(self, name):
        with pytest.raises(MessageRefused, match="is not a member state") as raised:
            Envelope.from_json(envelope_json(**{name: "EAEU/UZ/GOV/NODE"}))
        assert raised.value.reason == "exchange.bad_identifier"

    def test_keeps_any_json_payload(self):
        data = envelope_json(payload=[1, "два", {"three": None}])
        assert Envelope.from_json(data).payload == [1, "два", {"three": None}]


class TestOpening:
    def test_accepts_an_envelope_signed_by_the_sender_node(self, union):
        token = seal(envelope(), union.node_signer("AM"), sent_at=NOW)
        result = opened(token, union)
        assert result.envelope == envelope()
        assert result.sender_state == "AM"
        assert result.sent_at == NOW
        assert result.token_hash == sha256_hex(token.encode())
        assert result.verifier.kid == union.node_signer("AM").kid

    def test_marks_the_jws_as_an_envelope_signed_with_the_node_key(self, union):
        token = seal(envelope(), union.node_signer("AM"), sent_at=NOW)
        header = json.loads(b64url_decode(token.split(".")[0]))
        assert header == {"alg": "ES256", "kid": union.node_signer("AM").kid, "typ": ENVELOPE_TYP}
        body = json.loads(b64url_decode(token.split(".")[1]))
        assert body["sent_at"] == "2026-01-01T00:00:00Z"

    def test_refuses_an_envelope_signed_by_a_key_not_in_the_trust_list(self, union):
        token = seal(envelope(), EcSigner(generate_ec_key()), sent_at=NOW)
        refused_open(
            token,
            union,
            match="key id is not a node signing key in the trust list",
            reason="exchange.unknown_sender",
        )

    def test_refuses_a_document_signer_key_used_as_a_node_key(self, union):
        token = seal(envelope(), union.governance["AM"], sent_at=NOW)
        refused_open(token, union, match="not a node signing key", reason="exchange.unknown_sender")

    def test_refuses_a_signature_that_names_no_key(self, union):
        nameless = EcSigner(generate_ec_key())
        nameless.kid = None
        token = seal(envelope(), nameless, sent_at=NOW)
        refused_open(token, union, match="names no key", reason="exchange.unknown_sender")

    def test_refuses_one_changed_byte_in_the_payload(self, union):
        token = seal(envelope(), union.node_signer("AM"), sent_at=NOW)
        tampered = change_payload(token, lambda body: body.update(service="jobs"))
        refused_open(
            tampered, union, match="signature is not valid", reason="exchange.bad_signature"
        )

    def test_refuses_one_changed_byte_in_the_signature(self, union):
        token = seal(envelope(), union.node_signer("AM"), sent_at=NOW)
        header, payload, signature = token.split(".")
        raw = bytearray(b64url_decode(signature))
        raw[10] ^= 0x80
        tampered = f"{header}.{payload}.{b64url(bytes(raw))}"
        refused_open(
            tampered, union, match="signature is not valid", reason="exchange.bad_signature"
        )

    def test_refuses_the_signature_of_another_node_over_the_same_envelope(self, union):
        genuine = seal(envelope(), union.node_signer("AM"), sent_at=NOW)
        other = seal(envelope(), union.node_signer("RU"), sent_at=NOW)
        spliced = ".".join([*genuine.split(".")[:2], other.split(".")[2]])
        refused_open(
            spliced, union, match="signature is not valid", reason="exchange.bad_signature"
        )

    @pytest.mark.parametrize("token", ["", "not-a-jws", "a.b", "a.b.c.d"])
    def test_refuses_what_is_not_a_compact_jws(self, union, token):
        refused_open(token, union, match="not a compact JWS", reason="exchange.bad_signature")

    def test_refuses_an_unsigned_envelope(self, union):
        header = b64url(canonical_json({"alg": "none", "kid": union.node_signer("AM").kid}))
        body = b64url(canonical_json({**envelope().to_json(), "sent_at": "2026-01-01T00:00:00Z"}))
        refused_open(
            f"{header}.{body}.",
            union,
            match="'none' is not accepted",
            reason="exchange.bad_signature",
        )

    def test_refuses_an_envelope_that_is_too_large(self, union):
        big = envelope(payload="x" * MAX_ENVELOPE_BYTES)
        token = seal(big, union.node_signer("AM"), sent_at=NOW)
        refused_open(token, union, match="too large", reason="exchange.too_large")

    def test_refuses_a_receipt_presented_as_an_envelope(self, union):
        token = signed_body(envelope().to_json(), union.node_signer("AM"), typ=RECEIPT_TYP)
        refused_open(token, union, match="this JWS is not an envelope", reason="exchange.malformed")

    def test_refuses_a_jws_without_a_type(self, union):
        token = sign_compact(canonical_json(envelope().to_json()), union.node_signer("AM"))
        refused_open(token, union, match="this JWS is not an envelope", reason="exchange.malformed")

    def test_refuses_a_signed_payload_that_is_not_json(self, union):
        token = signed_body(b"\xff not json", union.node_signer("AM"))
        refused_open(token, union, match="the envelope is not JSON", reason="exchange.malformed")

    @pytest.mark.parametrize("body", [[], "text", 3, None])
    def test_refuses_a_signed_payload_that_is_not_an_object(self, union, body):
        token = signed_body(body, union.node_signer("AM"))
        refused_open(token, union, match="is not a JSON object", reason="exchange.malformed")

    def test_refuses_an_envelope_without_a_sending_time(self, union):
        token = signed_body(envelope().to_json(), union.node_signer("AM"))
        refused_open(
            token, union, match="sent_at is not an ISO 8601 time", reason="exchange.malformed"
        )

    def test_refuses_a_sending_time_without_a_time_zone(self, union):
        body = {**envelope().to_json(), "sent_at": "2026-01-01T00:00:00"}
        token = signed_body(body, union.node_signer("AM"))
        refused_open(token, union, match="sent_at has no time zone", reason="exchange.malformed")

    def test_refuses_a_signed_envelope_with_a_bad_field(self, union):
        body = {**envelope().to_json(), "sent_at": "2026-01-01T00:00:00Z", "v": 2}
        token = signed_body(body, union.node_signer("AM"))
        refused_open(token, union, match="version 2 is not supported", reason="exchange.malformed")

    def test_refuses_an_envelope_claiming_to_come_from_another_state(self, union):
        token = seal(envelope(sender="EAEU/RU/GOV/NODE"), union.node_signer("AM"), sent_at=NOW)
        refused_open(
            token,
            union,
            match="claims to come from RU but is signed by the AM node",
            reason="exchange.sender_mismatch",
        )

    def test_accepts_any_member_of_the_sender_state(self, union):
        sent = envelope(sender="EAEU/AM/COM/02500012/lab")
        assert opened(seal(sent, union.node_signer("AM"), sent_at=NOW), union).sender_state == "AM"

    def test_refuses_an_envelope_addressed_to_another_state(self, union):
        token = seal(envelope(), union.node_signer("AM"), sent_at=NOW)
        refused_open(
            token,
            union,
            receiver_state="RU",
            match="addressed to BY, not RU",
            reason="exchange.wrong_receiver",
        )

    def test_refuses_a_service_the_receiver_does_not_take_part_in(self, union):
        # Kazakhstan is not (yet) part of travel in the default union.
        token = seal(envelope(receiver="EAEU/KZ/GOV/NODE"), union.node_signer("AM"), sent_at=NOW)
        refused_open(
            token,
            union,
            receiver_state="KZ",
            match="KZ does not take part in the service 'travel'",
            reason="exchange.unauthorised",
        )

    def test_refuses_a_service_the_sender_does_not_take_part_in(self, union):
        token = seal(envelope(sender="EAEU/KZ/GOV/NODE"), union.node_signer("KZ"), sent_at=NOW)
        refused_open(
            token,
            union,
            match="KZ does not take part in the service 'travel'",
            reason="exchange.unauthorised",
        )

    def test_refuses_a_service_nobody_takes_part_in(self, union):
        token = seal(envelope(service="weather"), union.node_signer("AM"), sent_at=NOW)
        refused_open(
            token,
            union,
            match="AM does not take part in the service 'weather'",
            reason="exchange.unauthorised",
        )

    def test_accepts_an_envelope_sent_at_the_edge_of_the_window(self, union):
        token = seal(envelope(), union.node_signer("AM"), sent_at=NOW - WINDOW)
        assert opened(token, union).sent_at == NOW - WINDOW

    def test_refuses_an_envelope_sent_longer_ago_than_the_window(self, union):
        token = seal(envelope(), union.node_signer("AM"), sent_at=NOW - WINDOW)
        refused_open(
            token,
            union,
            now=NOW + timedelta(microseconds=1),
            match="sent too long ago",
            reason="exchange.expired",
        )

    def test_accepts_a_sender_clock_ahead_by_the_allowed_skew(self, union):
        token = seal(envelope(), union.node_signer("AM"), sent_at=NOW + SKEW)
        assert opened(token, union).sent_at == NOW + SKEW

    def test_refuses_an_envelope_from_further_in_the_future(self, union):
        token = seal(envelope(), union.node_signer("AM"), sent_at=NOW + SKEW + timedelta(seconds=1))
        refused_open(token, union, match="sent in the future", reason="exchange.from_future")

    def test_judges_the_replay_window_by_sending_time_not_creation_time(self, union):
        # A message that waited in an outbox for a day is fresh when its attempt is.
        old = envelope(created_at=NOW - timedelta(days=1))
        assert opened(seal(old, union.node_signer("AM"), sent_at=NOW), union).envelope == old


def receipt_for(union, *, signer="BY", receiver="BY", message_id=MESSAGE_ID, envelope_hash="h"):
    return make_receipt(
        envelope_hash,
        message_id,
        receiver,
        union.node_signer(signer),
        at=NOW,
        status="accepted",
    )


def checked(token, union, *, envelope_hash="h", message_id=MESSAGE_ID):
    return check_receipt(
        token, union.trust, receiver_state="BY", message_id=message_id, envelope_hash=envelope_hash
    )


def refused_receipt(token, union, *, match, envelope_hash="h", message_id=MESSAGE_ID):
    with pytest.raises(MessageRefused, match=match) as raised:
        checked(token, union, envelope_hash=envelope_hash, message_id=message_id)
    assert raised.value.reason == "exchange.bad_receipt"


class TestReceipts:
    def test_accepts_a_receipt_by_the_receiver_over_the_exact_envelope(self, union):
        token = receipt_for(union)
        receipt = checked(token, union)
        assert receipt.message_id == MESSAGE_ID
        assert receipt.envelope_hash == "h"
        assert receipt.receiver_state == "BY"
        assert receipt.received_at == NOW
        assert receipt.status == "accepted"
        assert receipt.token == token
        assert receipt.token_hash == sha256_hex(token.encode())

    def test_signs_the_receipt_as_a_receipt(self, union):
        header = json.loads(b64url_decode(receipt_for(union).split(".")[0]))
        assert header["typ"] == RECEIPT_TYP

    def test_accepts_the_receipt_of_an_earlier_attempt_when_no_hash_is_required(self, union):
        receipt = checked(receipt_for(union, envelope_hash="first"), union, envelope_hash=None)
        assert receipt.envelope_hash == "first"

    @pytest.mark.parametrize("token", [None, 42, {"receipt": "x"}])
    def test_refuses_a_reply_without_a_receipt(self, union, token):
        refused_receipt(token, union, match="the reply carries no receipt")

    def test_refuses_a_receipt_signed_by_a_key_not_in_the_trust_list(self, union):
        token = make_receipt("h", MESSAGE_ID, "BY", EcSigner(generate_ec_key()), at=NOW, status="x")
        refused_receipt(token, union, match="the receipt is not valid")

    def test_refuses_a_receipt_with_a_broken_signature(self, union):
        header, payload, _ = receipt_for(union).split(".")
        refused_receipt(f"{header}.{payload}.{b64url(b'0' * 64)}", union, match="is not valid")

    def test_refuses_a_receipt_that_is_not_json(self, union):
        token = signed_body(b"accepted", union.node_signer("BY"), typ=RECEIPT_TYP)
        refused_receipt(token, union, match="the receipt is not valid")

    def test_refuses_a_receipt_that_is_not_an_object(self, union):
        token = signed_body(["accepted"], union.node_signer("BY"), typ=RECEIPT_TYP)
        refused_receipt(token, union, match="not for this envelope or not from its receiver")

    def test_refuses_an_envelope_presented_as_a_receipt(self, union):
        body = json.loads(b64url_decode(receipt_for(union).split(".")[1]))
        token = signed_body(body, union.node_signer("BY"), typ=ENVELOPE_TYP)
        refused_receipt(token, union, match="not for this envelope or not from its receiver")

    def test_refuses_a_receipt_signed_by_another_node(self, union):
        token = receipt_for(union, signer="RU", receiver="BY")
        refused_receipt(token, union, match="not for this envelope or not from its receiver")

    def test_refuses_a_receipt_naming_another_receiver(self, union):
        token = receipt_for(union, signer="BY", receiver="RU")
        refused_receipt(token, union, match="not for this envelope or not from its receiver")

    def test_refuses_a_receipt_for_another_message(self, union):
        token = receipt_for(union, message_id="01936d1f-7c2a-7000-8000-0000000000bb")
        refused_receipt(token, union, match="not for this envelope or not from its receiver")

    def test_refuses_a_receipt_over_other_envelope_bytes(self, union):
        token = receipt_for(union, envelope_hash="other")
        refused_receipt(token, union, match="not for this envelope or not from its receiver")

    @pytest.mark.parametrize("received_at", [None, "soon", "2026-01-01T00:00:00"])
    def test_refuses_a_receipt_whose_time_is_not_a_time(self, union, received_at):
        body = json.loads(b64url_decode(receipt_for(union).split(".")[1]))
        body["received_at"] = received_at
        token = signed_body(body, union.node_signer("BY"), typ=RECEIPT_TYP)
        refused_receipt(token, union, match="the receipt is not valid: received_at")


class TestResponses:
    def test_binds_the_response_to_the_request_by_its_hash(self, union):
        token = seal(envelope(), union.node_signer("AM"), sent_at=NOW)
        request = opened(token, union)
        answer = response_to(
            request,
            sender="EAEU/BY/GOV/NODE",
            created_at=NOW,
            message_id="01936d1f-7c2a-7000-8000-0000000000cc",
            payload={"valid": True},
        )
        assert answer == Envelope(
            id="01936d1f-7c2a-7000-8000-0000000000cc",
            sender="EAEU/BY/GOV/NODE",
            receiver="EAEU/AM/GOV/NODE",
            service="travel",
            type="travel.certificate.verify.response",
            created_at=NOW,
            payload={"valid": True},
            correlation_id=MESSAGE_ID,
            request_hash=sha256_hex(token.encode()),
        )
        back = opened(
            seal(answer, union.node_signer("BY"), sent_at=NOW), union, receiver_state="AM"
        )
        assert back.envelope.request_hash == request.token_hash
