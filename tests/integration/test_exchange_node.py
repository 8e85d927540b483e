"""Nodes exchanging signed envelopes in one process: requests, receiving, the inbox, the log.

Every node has its own database (SQLite files; the inbox also on PostgreSQL) and real keys
from a union made in memory; a loopback transport carries envelopes between them and
answers refusals with the statuses and problem documents of the web layer.
"""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from eaeu.exchange import log
from eaeu.exchange.envelope import ENVELOPE_TYP, Envelope, make_receipt, seal, sha256_hex
from eaeu.exchange.errors import MessageRefused, PeerUnavailable
from eaeu.exchange.guard import Personal
from eaeu.exchange.messages import EXCHANGE_SERVICE, PING, TRUST_LIST_PUBLISHED
from eaeu.exchange.node import ExchangeNode
from eaeu.exchange.orm import InboxMessage
from eaeu.exchange.transport import TransportReply
from eaeu.exchange.trust_store import TrustStore
from eaeu.kernel.ids import uuid7
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.testing import FrozenClock, LoopbackTransport
from eaeu.trust import jwe
from eaeu.trust import trustlist as tl
from eaeu.trust.encoding import b64url, b64url_decode, canonical_json
from eaeu.trust.errors import TrustError
from eaeu.trust.keys import EcSigner, generate_ec_key
from eaeu.trust.proposals import Join

UNION_START = FrozenClock().now()
START = UNION_START + timedelta(days=1)
VERIFY = "travel.certificate.verify"
NAME = "Айгуль Нурланова"


@pytest.fixture
def am(make_node):
    return make_node("AM")


@pytest.fixture
def by(make_node):
    return make_node("BY")


@pytest.fixture
def by_on_each_engine(make_node, database_url):
    return make_node("BY", url=database_url)


def records(node):
    with node.uow() as uow:
        return list(reversed(log.iter_records(uow.session, limit=1000)))


def events(node):
    return [(r.direction, r.event, r.reason) for r in records(node)]


def inbox(node):
    with node.uow() as uow:
        rows = list(uow.session.scalars(select(InboxMessage)))
        uow.session.expunge_all()
        return rows


def body_of(token):
    return json.loads(b64url_decode(token.split(".")[1]))


def envelope(sender="AM", receiver="BY", **overrides):
    fields = {
        "id": str(uuid7()),
        "sender": f"EAEU/{sender}/GOV/NODE",
        "receiver": f"EAEU/{receiver}/GOV/NODE",
        "service": "travel",
        "type": VERIFY,
        "created_at": START,
        "payload": {"certificate": "HC1:6BFOXN"},
    }
    return Envelope(**(fields | overrides))


def sealed(union, sent, *, signer="AM", sent_at=START):
    return seal(sent, union.node_signer(signer), sent_at=sent_at)


def refused(node, token, *, match, reason):
    with pytest.raises(MessageRefused, match=match) as raised:
        node.receive(token)
    assert raised.value.reason == reason
    return raised.value


def bound_response(union, token, *, signer="BY", **overrides):
    """A response envelope to the request ``token``, bound to it unless told otherwise."""
    request = body_of(token)
    fields = {
        "id": str(uuid7()),
        "sender": f"EAEU/{signer}/GOV/NODE",
        "receiver": request["sender"],
        "service": request["service"],
        "type": f"{request['type']}.response",
        "created_at": START,
        "payload": {"valid": True},
        "correlation_id": request["id"],
        "request_hash": sha256_hex(token.encode()),
    }
    return seal(Envelope(**(fields | overrides)), union.node_signer(signer), sent_at=START)


def answer_with(transport, state, make_body):
    """Make the peer at ``state`` answer 200 with ``make_body(token, genuine_body)``."""

    def rewrite(token, reply):
        return TransportReply(200, make_body(token, reply.body))

    transport.rewrite[f"http://{state.lower()}.test"] = rewrite


class TestSynchronousRequests:
    @pytest.mark.usefixtures("by")
    def test_a_peer_that_fails_is_unavailable_not_a_refusal(self, am, transport):
        transport.rewrite["http://by.test"] = lambda _token, _reply: TransportReply(
            503, {"status": 503, "detail": "maintenance"}
        )
        with pytest.raises(PeerUnavailable, match="BY answered 503: maintenance") as raised:
            am.request("BY", "travel", VERIFY, {"certificate": "HC1:6BFOXN"})
        assert raised.value.reason == "exchange.unreachable"

    @pytest.mark.usefixtures("by")
    def test_returns_the_peers_signed_response_bound_to_the_request(self, am, transport, calls):
        delivered = am.request("BY", "travel", VERIFY, {"certificate": "HC1:6BFOXN"})
        [(endpoint, token)] = transport.posted
        assert endpoint == "http://by.test"
        assert delivered.message_id == body_of(token)["id"]
        assert delivered.response == {"valid": True, "seen": {"certificate": "HC1:6BFOXN"}}
        assert delivered.receipt.receiver_state == "BY"
        assert delivered.receipt.envelope_hash == sha256_hex(token.encode())
        assert delivered.receipt.status == "accepted"
        assert [(c.sender_state, c.envelope.type, c.at) for c in calls] == [("AM", VERIFY, START)]

    def test_answers_a_ping_with_the_peers_time_of_receipt(self, am, make_node, clock):
        make_node("RU")
        clock.advance(seconds=7)
        delivered = am.request("RU", EXCHANGE_SERVICE, PING, {"from": "AM"})
        assert delivered.response == {"pong": True, "received_at": "2026-01-02T00:00:07+00:00"}

    def test_returns_no_response_when_the_handler_has_none(self, am, make_node):
        make_node("BY", handlers={"travel.booking.cancel": lambda _incoming: None})
        delivered = am.request("BY", "travel", "travel.booking.cancel", {"booking": 7})
        assert delivered.response is None
        assert delivered.receipt.message_id == delivered.message_id

    def test_logs_the_request_as_sent_here_and_received_there(self, am, by, transport):
        delivered = am.request("BY", "travel", VERIFY, {})
        token_hash = sha256_hex(transport.posted[0][1].encode())
        [sent] = records(am)
        [received] = records(by)
        assert (sent.direction, sent.event, sent.message_id) == (
            "out",
            "sent",
            delivered.message_id,
        )
        assert sent.envelope_hash == received.envelope_hash == token_hash
        assert sent.receipt_hash == received.receipt_hash == delivered.receipt.token_hash
        assert (received.direction, received.event) == ("in", "received")
        assert (received.sender, received.receiver) == ("EAEU/AM/GOV/NODE", "EAEU/BY/GOV/NODE")
        assert (received.service, received.message_type) == ("travel", VERIFY)

    def test_raises_the_peers_refusal_with_its_reason_and_logs_it_on_both_sides(
        self, am, make_node
    ):
        kz = make_node("KZ")
        with pytest.raises(
            MessageRefused,
            match="KZ refused the message: KZ does not take part in the service 'travel'",
        ) as raised:
            am.request("KZ", "travel", VERIFY, {})
        assert raised.value.reason == "exchange.unauthorised"
        assert events(am) == [("out", "refused", "exchange.unauthorised")]
        assert events(kz) == [("in", "refused", "exchange.unauthorised")]
        assert inbox(kz) == []

    @pytest.mark.usefixtures("by")
    def test_names_a_refusal_that_gives_no_reason(self, am, transport):
        transport.rewrite["http://by.test"] = lambda _token, _reply: TransportReply(400, {})
        with pytest.raises(MessageRefused, match="BY refused the message: no detail") as raised:
            am.request("BY", "travel", VERIFY, {})
        assert raised.value.reason == "exchange.refused_by_peer"
        assert events(am) == [("out", "refused", "exchange.refused_by_peer")]

    def test_raises_when_the_peer_does_not_answer(self, am, by, transport):
        transport.down.add("http://by.test")
        with pytest.raises(PeerUnavailable, match="BY did not answer") as raised:
            am.request("BY", "travel", VERIFY, {})
        assert raised.value.reason == "exchange.unreachable"
        assert inbox(by) == []
        assert events(am) == [("out", "unreachable", "exchange.unreachable")]

    def test_refuses_to_send_a_message_to_itself(self, am, transport):
        with pytest.raises(MessageRefused, match="does not send messages to itself") as raised:
            am.request("AM", EXCHANGE_SERVICE, PING, {"from": "AM"})
        assert raised.value.reason == "exchange.to_self"
        assert transport.posted == []

    def test_refuses_to_send_to_a_state_outside_the_union(self, am):
        with pytest.raises(TrustError, match="'UZ' is not a member") as raised:
            am.request("UZ", "travel", VERIFY, {})
        assert raised.value.reason == "trust.unknown_member"


class TestReceiptsOfRequests:
    @pytest.mark.usefixtures("by")
    def test_refuses_an_answer_without_a_receipt(self, am, transport):
        answer_with(transport, "BY", lambda _token, body: {"response": body["response"]})
        with pytest.raises(MessageRefused, match="the reply carries no receipt") as raised:
            am.request("BY", "travel", VERIFY, {})
        assert raised.value.reason == "exchange.bad_receipt"
        assert events(am) == [("out", "refused", "exchange.bad_receipt")]

    @pytest.mark.usefixtures("by")
    def test_refuses_a_receipt_signed_by_another_node(self, am, union, transport):
        def other_signer(token, body):
            receipt = make_receipt(
                sha256_hex(token.encode()),
                body_of(token)["id"],
                "BY",
                union.node_signer("RU"),
                at=START,
                status="accepted",
            )
            return {**body, "receipt": receipt}

        answer_with(transport, "BY", other_signer)
        with pytest.raises(MessageRefused, match="not from its receiver") as raised:
            am.request("BY", "travel", VERIFY, {})
        assert raised.value.reason == "exchange.bad_receipt"

    @pytest.mark.usefixtures("by")
    def test_refuses_the_receipt_of_an_earlier_request(self, am, transport):
        first = am.request("BY", "travel", VERIFY, {})
        answer_with(transport, "BY", lambda _token, body: {**body, "receipt": first.receipt.token})
        with pytest.raises(MessageRefused, match="not for this envelope") as raised:
            am.request("BY", "travel", VERIFY, {})
        assert raised.value.reason == "exchange.bad_receipt"
        assert [e[1] for e in events(am)] == ["sent", "refused"]

    @pytest.mark.usefixtures("by")
    def test_refuses_a_receipt_over_other_bytes_than_were_sent(self, am, union, transport):
        def other_hash(token, body):
            receipt = make_receipt(
                "0" * 64, body_of(token)["id"], "BY", union.node_signer("BY"), at=START, status="x"
            )
            return {**body, "receipt": receipt}

        answer_with(transport, "BY", other_hash)
        with pytest.raises(MessageRefused, match="not for this envelope") as raised:
            am.request("BY", "travel", VERIFY, {})
        assert raised.value.reason == "exchange.bad_receipt"


class TestResponsesToRequests:
    @pytest.mark.usefixtures("by")
    def test_refuses_a_response_that_is_not_a_signed_envelope(self, am, transport):
        answer_with(transport, "BY", lambda _token, body: {**body, "response": {"valid": True}})
        with pytest.raises(MessageRefused, match="not a signed envelope") as raised:
            am.request("BY", "travel", VERIFY, {})
        assert raised.value.reason == "exchange.bad_response"
        assert events(am) == [("out", "refused", "exchange.bad_response")]

    @pytest.mark.usefixtures("by")
    def test_refuses_the_response_to_an_earlier_request(self, am, transport):
        earlier = {}

        def replay(token, body):
            earlier.setdefault("response", body["response"])
            return {**body, "response": earlier["response"]}

        answer_with(transport, "BY", replay)
        am.request("BY", "travel", VERIFY, {})
        with pytest.raises(MessageRefused, match="not bound to this request") as raised:
            am.request("BY", "travel", VERIFY, {})
        assert raised.value.reason == "exchange.bad_response"

    @pytest.mark.usefixtures("by")
    def test_refuses_a_response_bound_to_other_request_bytes(self, am, union, transport):
        answer_with(
            transport,
            "BY",
            lambda token, body: {
                **body,
                "response": bound_response(union, token, request_hash="0"),
            },
        )
        with pytest.raises(MessageRefused, match="not bound to this request") as raised:
            am.request("BY", "travel", VERIFY, {})
        assert raised.value.reason == "exchange.bad_response"

    @pytest.mark.usefixtures("by")
    def test_refuses_a_response_that_answers_another_message_id(self, am, union, transport):
        other = str(uuid7())
        answer_with(
            transport,
            "BY",
            lambda token, body: {
                **body,
                "response": bound_response(union, token, correlation_id=other),
            },
        )
        with pytest.raises(MessageRefused, match="not bound to this request") as raised:
            am.request("BY", "travel", VERIFY, {})
        assert raised.value.reason == "exchange.bad_response"

    @pytest.mark.usefixtures("by")
    def test_refuses_a_bound_response_from_a_node_that_was_not_asked(self, am, union, transport):
        answer_with(
            transport,
            "BY",
            lambda token, body: {**body, "response": bound_response(union, token, signer="RU")},
        )
        with pytest.raises(MessageRefused, match="not bound to this request") as raised:
            am.request("BY", "travel", VERIFY, {})
        assert raised.value.reason == "exchange.bad_response"

    @pytest.mark.usefixtures("by")
    def test_refuses_a_response_whose_signature_does_not_verify(self, am, transport):
        def tamper(token, body):
            header, _, signature = body["response"].split(".")
            changed = body_of(body["response"]) | {"payload": {"valid": False}}
            forged = f"{header}.{b64url(canonical_json(changed))}.{signature}"
            return {**body, "response": forged}

        answer_with(transport, "BY", tamper)
        with pytest.raises(MessageRefused, match="signature is not valid") as raised:
            am.request("BY", "travel", VERIFY, {})
        assert raised.value.reason == "exchange.bad_signature"
        assert events(am) == [("out", "refused", "exchange.bad_signature")]

    @pytest.mark.usefixtures("by")
    def test_refuses_an_encrypted_response_it_cannot_open(self, am, union, transport):
        to_ru = jwe.encrypt(b'{"valid": true}', union.trust.encryption_key("RU"))
        answer_with(
            transport,
            "BY",
            lambda token, body: {
                **body,
                "response": bound_response(union, token, payload=None, encrypted=to_ru),
            },
        )
        with pytest.raises(MessageRefused, match="cannot be opened by this node") as raised:
            am.request("BY", "travel", VERIFY, {})
        assert raised.value.reason == "exchange.undecryptable"

    @pytest.mark.usefixtures("by")
    def test_opens_an_encrypted_response_to_this_node(self, am, union, transport):
        member = union.trust.member("AM")
        to_am = jwe.encrypt(
            json.dumps({"name": NAME}).encode(),
            union.trust.encryption_key("AM"),
            kid=member.node.encryption_kid,
        )
        answer_with(
            transport,
            "BY",
            lambda token, body: {
                **body,
                "response": bound_response(union, token, payload=None, encrypted=to_am, **ABOUT),
            },
        )
        assert am.request("BY", "travel", VERIFY, {}).response == {"name": NAME}


class TestReceiving:
    def test_refuses_an_envelope_signed_by_a_key_not_in_the_trust_list(self, by):
        sent = envelope()
        token = seal(sent, EcSigner(generate_ec_key()), sent_at=START)
        refused(by, token, match="not a node signing key", reason="exchange.unknown_sender")
        [record] = records(by)
        assert (record.direction, record.event, record.reason) == (
            "in",
            "refused",
            "exchange.unknown_sender",
        )
        # What the envelope claims is logged for the operator, never trusted.
        assert (record.message_id, record.sender, record.receiver) == (
            sent.id,
            "EAEU/AM/GOV/NODE",
            "EAEU/BY/GOV/NODE",
        )
        assert (record.service, record.message_type) == ("travel", VERIFY)
        assert record.envelope_hash == sha256_hex(token.encode())
        assert inbox(by) == []

    def test_refuses_an_envelope_a_node_signed_for_another_state(self, by, union, transport):
        token = sealed(union, envelope(sender="RU"), signer="AM")
        reply = transport.post("http://by.test", token)
        assert reply.status == 401
        assert reply.body["reason"] == "exchange.sender_mismatch"
        assert reply.body["detail"] == (
            "the envelope claims to come from RU but is signed by the AM node"
        )
        assert events(by) == [("in", "refused", "exchange.sender_mismatch")]

    @pytest.mark.usefixtures("by")
    def test_refuses_an_envelope_for_another_state_with_misdirected_request(self, union, transport):
        token = sealed(union, envelope(receiver="RU"))
        reply = transport.post("http://by.test", token)
        assert (reply.status, reply.body["reason"]) == (421, "exchange.wrong_receiver")

    def test_refuses_a_service_the_receiver_does_not_take_part_in_as_forbidden(
        self, make_node, union, transport
    ):
        make_node("KZ")
        reply = transport.post("http://kz.test", sealed(union, envelope(receiver="KZ")))
        assert (reply.status, reply.body["reason"]) == (403, "exchange.unauthorised")

    def test_refuses_a_captured_envelope_replayed_after_the_window(self, by, union, clock):
        token = sealed(union, envelope())
        by.receive(token)
        clock.advance(minutes=5, seconds=1)
        refused(by, token, match="sent too long ago", reason="exchange.expired")

    def test_refuses_an_envelope_from_a_clock_too_far_ahead(self, by, union):
        token = sealed(union, envelope(), sent_at=START + timedelta(seconds=31))
        refused(by, token, match="sent in the future", reason="exchange.from_future")

    def test_refuses_a_message_type_it_has_no_handler_for(self, by, union):
        token = sealed(union, envelope(type="travel.result.publish"))
        refused(
            by,
            token,
            match="no handler for 'travel.result.publish'",
            reason="exchange.unknown_type",
        )
        assert inbox(by) == []
        assert events(by) == [("in", "refused", "exchange.unknown_type")]

    def test_refuses_everything_while_its_trust_list_has_expired(self, by, union, clock):
        clock.advance(days=365)
        token = sealed(union, envelope(), sent_at=clock.now())
        refused(
            by,
            token,
            match="union trust list has expired",
            reason="exchange.trust_list_expired",
        )
        assert events(by) == [("in", "refused", "exchange.trust_list_expired")]

    @pytest.mark.usefixtures("by")
    def test_answers_an_expired_trust_list_as_unavailable(self, am, clock, transport):
        clock.advance(days=365)
        reply = transport.post("http://by.test", sealed_now(am, clock))
        assert (reply.status, reply.body["reason"]) == (503, "exchange.trust_list_expired")

    def test_refuses_everything_before_it_accepted_a_trust_list(self, union, clock, tmp_path):
        engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
        migrate.upgrade(engine)
        uow = UnitOfWorkFactory(engine)
        node = ExchangeNode(
            state="BY",
            signer=union.node_signer("BY"),
            encryption_key=union.node_encryption_key("BY"),
            trust=TrustStore(uow, clock),
            uow=uow,
            clock=clock,
            transport=LoopbackTransport(),
        )
        assert repr(node) == "ExchangeNode(state='BY')"
        token = sealed(union, envelope())
        refused(
            node,
            token,
            match="not accepted a union trust list yet",
            reason="exchange.no_trust_list",
        )
        # Input that is not even text is logged too, without an envelope hash.
        refused(
            node, None, match="not accepted a union trust list", reason="exchange.no_trust_list"
        )
        assert [(r.event, r.message_id, r.envelope_hash) for r in records(node)] == [
            ("refused", body_of(token)["id"], sha256_hex(token.encode())),
            ("refused", "", None),
        ]
        engine.dispose()


def sealed_now(node, clock):
    sent = envelope(sender=node.state)
    return seal(sent, node.signer, sent_at=clock.now())


def unsigned_token(header, payload):
    """A token whose signature cannot verify, with raw header and payload bytes."""
    return f"{b64url(header)}.{b64url(payload)}.{b64url(bytes(64))}"


NOBODY = canonical_json({"alg": "ES256", "kid": "nobody", "typ": ENVELOPE_TYP})


class TestLoggingRefusals:
    @pytest.mark.parametrize(
        "token",
        ["not-a-jws", "a.!!!.c", unsigned_token(NOBODY, b"[1, 2]"), unsigned_token(NOBODY, b"{")],
        ids=["no-dots", "not-base64", "not-an-object", "not-json"],
    )
    def test_logs_input_it_cannot_read_with_unknown_routing(self, by, token):
        with pytest.raises(MessageRefused) as raised:
            by.receive(token)
        [record] = records(by)
        assert (record.event, record.reason) == ("refused", raised.value.reason)
        assert (record.message_id, record.sender, record.receiver) == (
            "",
            "unknown",
            "EAEU/BY/GOV/NODE",
        )
        assert (record.service, record.message_type) == ("unknown", "unknown")
        assert record.envelope_hash == sha256_hex(token.encode())

    def test_logs_only_claimed_fields_that_are_text_and_cuts_them_to_size(self, by):
        claims = {"id": 7, "sender": "S" * 300, "service": None, "type": "t" * 100}
        token = unsigned_token(NOBODY, canonical_json(claims))
        refused(by, token, match="not a node signing key", reason="exchange.unknown_sender")
        [record] = records(by)
        assert (record.message_id, record.sender) == ("", "S" * 255)
        assert (record.service, record.message_type) == ("unknown", "t" * 64)

    def test_refuses_and_logs_a_body_nested_too_deeply_to_read(self, by):
        token = unsigned_token(NOBODY, b"[" * 100_000)
        refused(by, token, match="not a node signing key", reason="exchange.unknown_sender")
        assert events(by) == [("in", "refused", "exchange.unknown_sender")]

    def test_refuses_and_logs_a_header_nested_too_deeply_to_read(self, by):
        token = unsigned_token(b"[" * 100_000, b"{}")
        refused(by, token, match="not base64url JSON", reason="exchange.bad_signature")
        assert events(by) == [("in", "refused", "exchange.bad_signature")]


class TestExactlyOnce:
    @pytest.mark.usefixtures("am")
    def test_processes_a_message_once_and_answers_a_duplicate_with_the_first_receipt(
        self, by_on_each_engine, union, transport, calls
    ):
        sent = envelope()
        first = by_on_each_engine.receive(sealed(union, sent))
        retry = sealed(union, sent, sent_at=START + timedelta(seconds=2))
        error = refused(
            by_on_each_engine,
            retry,
            match="received and processed before",
            reason="exchange.duplicate",
        )
        assert (error.receipt, error.response) == (first["receipt"], first["response"])
        assert len(calls) == 1
        reply = transport.post("http://by.test", retry)
        assert reply.status == 409
        assert reply.body["reason"] == "exchange.duplicate"
        assert (reply.body["receipt"], reply.body["response"]) == (
            first["receipt"],
            first["response"],
        )
        assert [e[1:] for e in events(by_on_each_engine)] == [
            ("received", None),
            ("refused", "exchange.duplicate"),
            ("refused", "exchange.duplicate"),
        ]

    def test_answers_a_duplicate_without_a_response_with_the_receipt_only(
        self, make_node, union, transport
    ):
        make_node("BY", handlers={"travel.booking.cancel": lambda _incoming: None})
        token = sealed(union, envelope(type="travel.booking.cancel"))
        first = transport.post("http://by.test", token)
        assert first.body.keys() == {"receipt"}
        again = transport.post("http://by.test", token)
        assert (again.status, again.body["receipt"]) == (409, first.body["receipt"])
        assert "response" not in again.body

    def test_refuses_another_message_under_an_id_it_has_seen(
        self, by_on_each_engine, union, transport, calls
    ):
        sent = envelope()
        by_on_each_engine.receive(sealed(union, sent))
        other = Envelope(**{**sent.to_json(), "created_at": START, "payload": {"x": 1}})
        error = refused(
            by_on_each_engine,
            sealed(union, other),
            match="a different message with this id was received before",
            reason="exchange.id_reuse",
        )
        assert error.receipt is None
        assert len(calls) == 1
        reply = transport.post("http://by.test", sealed(union, other))
        assert (reply.status, reply.body["reason"]) == (409, "exchange.id_reuse")
        assert "receipt" not in reply.body

    def test_keeps_the_envelope_as_received_with_its_receipt_and_response(
        self, by_on_each_engine, union
    ):
        sent = envelope()
        token = sealed(union, sent)
        answer = by_on_each_engine.receive(token)
        [kept] = inbox(by_on_each_engine)
        assert (kept.message_id, kept.sender_state, kept.service, kept.message_type) == (
            sent.id,
            "AM",
            "travel",
            VERIFY,
        )
        assert kept.token == token
        assert kept.content_hash == sent.content_hash
        assert (kept.receipt, kept.response) == (answer["receipt"], answer["response"])
        assert body_of(answer["response"])["request_hash"] == sha256_hex(token.encode())


class TestHandlers:
    def test_commits_what_the_handler_writes_with_the_receipt(self, make_node, union):
        def reply_later(incoming):
            by.enqueue(incoming.session, "AM", "travel", "travel.result.publish", {"n": 1})

        by = make_node("BY", handlers={"travel.booking.create": reply_later})
        by.receive(sealed(union, envelope(type="travel.booking.create")))
        assert by.outbox_summary()["pending"] == 1
        assert [e[1] for e in events(by)] == ["queued", "received"]

    def test_rolls_back_what_a_refusing_handler_wrote(self, make_node, union):
        def refuse(incoming):
            by.enqueue(incoming.session, "AM", "travel", "travel.result.publish", {"n": 1})
            raise MessageRefused("no such booking", reason="travel.booking_unknown")

        by = make_node("BY", handlers={"travel.booking.create": refuse})
        refused(
            by,
            sealed(union, envelope(type="travel.booking.create")),
            match="no such booking",
            reason="travel.booking_unknown",
        )
        assert by.outbox_summary()["pending"] == 0
        assert inbox(by) == []
        assert events(by) == [("in", "refused", "travel.booking_unknown")]

    def test_leaves_no_trace_of_a_handler_that_failed(self, make_node, union, transport):
        def crash(incoming):
            by.enqueue(incoming.session, "AM", "travel", "travel.result.publish", {"n": 1})
            raise RuntimeError("bug")

        by = make_node("BY", handlers={"travel.booking.create": crash})
        token = sealed(union, envelope(type="travel.booking.create"))
        with pytest.raises(RuntimeError, match="bug"):
            by.receive(token)
        assert (by.outbox_summary()["pending"], inbox(by), records(by)) == (0, [], [])
        reply = transport.post("http://by.test", token)
        assert (reply.status, reply.body["reason"]) == (500, "internal")


ABOUT = {"purpose": "travel.verification", "categories": ("identity",)}


class TestPersonalData:
    def test_encrypts_a_personal_request_to_the_receiving_node_only(
        self, am, by, union, transport, calls
    ):
        am.request(
            "BY", "travel", VERIFY, {"name": NAME}, personal=True, consent="consent-1", **ABOUT
        )
        [(_, token)] = transport.posted
        wire = b64url_decode(token.split(".")[1])
        assert NAME.encode() not in wire
        assert NAME not in json.dumps(body_of(token), ensure_ascii=False)
        body = body_of(token)
        assert body["payload"] is None
        assert body["consent"] == "consent-1"
        header, _ = jwe.decrypt(body["encrypted"], union.node_encryption_key("BY"))
        assert header["kid"] == union.trust.member("BY").node.encryption_kid
        assert header["cty"] == "json"
        [incoming] = calls
        assert incoming.payload == {"name": NAME}
        assert incoming.envelope.payload is None
        [kept] = inbox(by)
        assert NAME.encode() not in b64url_decode(kept.token.split(".")[1])

    def test_refuses_a_payload_encrypted_to_another_node(self, by, union, calls):
        to_ru = jwe.encrypt(b'{"name": "x"}', union.trust.encryption_key("RU"))
        token = sealed(union, envelope(payload=None, encrypted=to_ru, **ABOUT))
        refused(by, token, match="cannot be opened by this node", reason="exchange.undecryptable")
        assert calls == []
        assert events(by) == [("in", "refused", "exchange.undecryptable")]

    def test_refuses_an_encrypted_payload_that_is_not_json(self, by, union):
        member = union.trust.member("BY")
        garbled = jwe.encrypt(
            b"\xff\xfe", union.trust.encryption_key("BY"), kid=member.node.encryption_kid
        )
        token = sealed(union, envelope(payload=None, encrypted=garbled))
        refused(by, token, match="cannot be opened by this node", reason="exchange.undecryptable")

    def test_encrypts_the_response_to_a_personal_request_to_the_asking_node(self, am, by, union):
        delivered = am.request("BY", "travel", VERIFY, {"name": NAME}, personal=True, **ABOUT)
        assert delivered.response == {"valid": True, "seen": {"name": NAME}}
        [kept] = inbox(by)
        response = body_of(kept.response)
        assert response["payload"] is None
        assert NAME not in json.dumps(response, ensure_ascii=False)
        _, plaintext = jwe.decrypt(response["encrypted"], union.node_encryption_key("AM"))
        assert json.loads(plaintext) == {"valid": True, "seen": {"name": NAME}}

    def test_refuses_to_encrypt_to_a_state_outside_the_union(self, am):
        with pytest.raises(TrustError, match="'UZ' is not a member") as raised:
            am.request("UZ", "travel", VERIFY, {"name": NAME}, personal=True, **ABOUT)
        assert raised.value.reason == "trust.unknown_member"


class TestTheTransferGuard:
    @pytest.mark.usefixtures("by")
    def test_checks_and_records_a_personal_request_on_both_sides(self, am, guards):
        am.request("BY", "travel", VERIFY, {"name": NAME}, personal=True, consent="c-1", **ABOUT)
        sent, received = guards["AM"], guards["BY"]
        assert [(t.direction, t.sender_state, t.receiver_state) for t in sent.checked] == [
            ("out", "AM", "BY"),
            # The answer to personal data is personal data, checked when it comes back.
            ("in", "BY", "AM"),
        ]
        recorded = {t.direction: t for t in sent.recorded}
        outgoing, answer = recorded["out"], recorded["in"]
        assert (outgoing.consent, outgoing.purpose, outgoing.categories) == (
            "c-1",
            "travel.verification",
            ("identity",),
        )
        assert answer.message_type == f"{VERIFY}.response"
        assert [(t.direction, t.consent) for t in received.checked] == [
            ("in", "c-1"),
            ("out", "c-1"),
        ]
        assert [t.message_id for t in received.recorded] == [
            outgoing.message_id,
            answer.message_id,
        ]
        assert NAME not in repr(sent.recorded + received.recorded)

    def test_a_refusal_by_the_sending_guard_sends_nothing(self, am, guards, transport):
        guards["AM"].refusal = MessageRefused("the consent was revoked", reason="consent.revoked")
        with pytest.raises(MessageRefused, match="revoked") as raised:
            am.request("BY", "travel", VERIFY, {"name": NAME}, personal=True, **ABOUT)
        assert raised.value.reason == "consent.revoked"
        assert transport.posted == []
        assert guards["AM"].recorded == []

    def test_a_refusal_by_the_receiving_guard_reaches_the_sender_with_its_reason(
        self, am, by, guards, calls
    ):
        guards["BY"].refusal = MessageRefused("not for this purpose", reason="consent.purpose")
        with pytest.raises(MessageRefused, match="not for this purpose") as raised:
            am.request("BY", "travel", VERIFY, {"name": NAME}, personal=True, **ABOUT)
        assert raised.value.reason == "consent.purpose"
        assert calls == []
        assert guards["AM"].recorded == []
        assert guards["BY"].recorded == []
        assert events(by) == [("in", "refused", "consent.purpose")]

    def test_a_node_without_a_guard_sends_no_personal_data(self, make_node, transport):
        bare = make_node("AM", guard=None)
        with pytest.raises(MessageRefused, match="no transfer guard") as raised:
            bare.request("BY", "travel", VERIFY, {"name": NAME}, personal=True, **ABOUT)
        assert raised.value.reason == "exchange.no_transfer_guard"
        with pytest.raises(MessageRefused, match="no transfer guard"), bare.uow() as uow:
            bare.enqueue(uow.session, "BY", "travel", VERIFY, {"n": 1}, personal=True, **ABOUT)
        assert transport.posted == []

    def test_a_node_without_a_guard_receives_no_personal_data(self, make_node, union, calls):
        bare = make_node("BY", guard=None)
        sealed_for_by = jwe.encrypt(
            b'{"name": "x"}',
            union.trust.encryption_key("BY"),
            kid=union.trust.member("BY").node.encryption_kid,
        )
        token = sealed(union, envelope(payload=None, encrypted=sealed_for_by, **ABOUT))
        refused(bare, token, match="no transfer guard", reason="exchange.no_transfer_guard")
        assert calls == []

    @pytest.mark.parametrize("about", [{}, {"purpose": "travel"}, {"categories": ("identity",)}])
    def test_personal_data_must_name_its_purpose_and_categories(self, am, transport, about):
        with pytest.raises(MessageRefused, match="purpose and data categories") as raised:
            am.request("BY", "travel", VERIFY, {"name": NAME}, personal=True, **about)
        assert raised.value.reason == "exchange.undescribed_personal_data"
        assert transport.posted == []

    def test_refuses_an_undescribed_personal_envelope_from_a_peer(self, by, union, calls):
        for_by = jwe.encrypt(
            b'{"name": "x"}',
            union.trust.encryption_key("BY"),
            kid=union.trust.member("BY").node.encryption_kid,
        )
        token = sealed(union, envelope(payload=None, encrypted=for_by))
        refused(
            by,
            token,
            match="purpose and data categories",
            reason="exchange.undescribed_personal_data",
        )
        assert calls == []

    def test_a_personal_answer_to_a_plain_request_is_guarded_and_encrypted(self, make_node, guards):
        def lookup(incoming):
            return Personal(
                {"name": NAME}, purpose="jobs.application", categories=("identity",), consent="c-9"
            )

        am = make_node("AM")
        by = make_node("BY", handlers={"consent.data.request": lookup})
        delivered = am.request("BY", "travel", "consent.data.request", {"consent": "c-9"})
        assert delivered.response == {"name": NAME}
        [kept] = inbox(by)
        response = body_of(kept.response)
        assert NAME not in json.dumps(response, ensure_ascii=False)
        assert (response["consent"], response["purpose"], response["categories"]) == (
            "c-9",
            "jobs.application",
            ["identity"],
        )
        assert [(t.direction, t.consent) for t in guards["BY"].recorded] == [("out", "c-9")]
        assert [(t.direction, t.consent) for t in guards["AM"].recorded] == [("in", "c-9")]

    def test_a_refused_personal_answer_is_not_sent(self, make_node, guards):
        def lookup(incoming):
            return Personal({"name": NAME}, purpose="jobs.application", categories=("identity",))

        am = make_node("AM")
        by = make_node("BY", handlers={"consent.data.request": lookup})
        guards["BY"].refusal = MessageRefused("the consent was revoked", reason="consent.revoked")
        with pytest.raises(MessageRefused, match="revoked") as raised:
            am.request("BY", "travel", "consent.data.request", {"consent": "c-9"})
        assert raised.value.reason == "consent.revoked"
        assert inbox(by) == []
        assert guards["AM"].recorded == []

    @pytest.mark.usefixtures("by")
    def test_queued_personal_data_is_checked_and_recorded_in_the_callers_transaction(
        self, am, guards
    ):
        with am.uow() as uow:
            am.enqueue(uow.session, "BY", "travel", VERIFY, {"name": NAME}, personal=True, **ABOUT)
            uow.rollback()
        assert [t.direction for t in guards["AM"].recorded] == ["out"]
        assert am.outbox_summary()["pending"] == 0


def publish(node, signed, to="BY"):
    return node.request(to, EXCHANGE_SERVICE, TRUST_LIST_PUBLISHED, {"signed": signed}).response


class TestTrustListPublished:
    def test_accepts_a_successor_signed_by_a_threshold_of_members(self, am, by, union):
        v2 = union.successor(union.trust, Join("KZ", "travel", ("verifier",)), now=START)
        assert publish(am, v2) == {"version": 2, "already": False}
        assert by.trust.versions() == [1, 2]
        assert by.trust.current().participates("KZ", "travel")

    def test_says_so_when_the_version_was_accepted_before(self, am, by, union):
        v2 = union.successor(union.trust, now=START)
        publish(am, v2)
        assert publish(am, v2) == {"version": 2, "already": True}
        assert by.trust.versions() == [1, 2]

    @pytest.mark.usefixtures("by")
    def test_says_so_when_an_older_version_was_accepted_before(self, am, union):
        v2 = union.successor(union.trust, now=START)
        publish(am, v2)
        publish(am, union.successor(tl.parse(v2), now=START))
        assert publish(am, v2) == {"version": 2, "already": True}

    def test_refuses_a_different_list_with_a_version_number_already_accepted(self, am, by, union):
        publish(am, union.successor(union.trust, now=START))
        fork = union.successor(union.trust, Join("KZ", "travel", ("verifier",)), now=START)
        with pytest.raises(MessageRefused, match="the trust list was not accepted") as raised:
            publish(am, fork)
        assert raised.value.reason == "trustlist.rollback"
        assert by.trust.versions() == [1, 2]

    def test_a_node_whose_list_expired_still_receives_the_next_version(self, by, union, clock):
        clock.advance(days=365)
        later = clock.now()
        v2 = union.successor(union.trust, now=later)
        message = envelope(
            service=EXCHANGE_SERVICE,
            type=TRUST_LIST_PUBLISHED,
            created_at=later,
            payload={"signed": v2},
        )
        by.receive(sealed(union, message, sent_at=later))
        assert by.trust.versions() == [1, 2]
        assert by.trust.current().expires_at > later

    def test_a_node_whose_list_expired_refuses_anything_else(self, by, union, clock):
        clock.advance(days=365)
        token = sealed(union, envelope(created_at=clock.now()), sent_at=clock.now())
        refused(by, token, match="trust list has expired", reason="exchange.trust_list_expired")

    @pytest.mark.usefixtures("by")
    def test_refuses_a_trust_list_that_does_not_parse(self, am):
        with pytest.raises(MessageRefused, match="the trust list was not accepted") as raised:
            publish(am, {"payload": "e30", "signatures": []})
        assert raised.value.reason == "trustlist.malformed"

    def test_refuses_an_older_version_it_never_accepted(self, am, by, union):
        v2 = union.successor(union.trust, now=START)
        publish(am, union.successor(tl.parse(v2), now=START))
        with pytest.raises(MessageRefused, match="version 2 does not follow version 3") as raised:
            publish(am, v2)
        assert raised.value.reason == "trustlist.rollback"
        assert by.trust.versions() == [1, 3]

    def test_refuses_a_successor_signed_by_too_few_members(self, am, by, union):
        v2 = union.successor(union.trust, now=START, signers=("AM", "BY"))
        with pytest.raises(MessageRefused, match="not accepted: signed by 2 of the 3") as raised:
            publish(am, v2)
        assert raised.value.reason == "trustlist.threshold"
        assert by.trust.versions() == [1]
        assert events(by)[-1] == ("in", "refused", "trustlist.threshold")

    @pytest.mark.parametrize(
        "payload", [None, [], "v2", {}, {"signed": "v2"}, {"signed": ["v2"]}, {"list": {}}]
    )
    @pytest.mark.usefixtures("by")
    def test_refuses_a_message_that_carries_no_trust_list(self, am, payload):
        with pytest.raises(MessageRefused, match="carries no trust list") as raised:
            am.request("BY", EXCHANGE_SERVICE, TRUST_LIST_PUBLISHED, payload)
        assert raised.value.reason == "exchange.malformed"

    def test_is_logged_as_any_other_message(self, am, by, union):
        publish(am, union.successor(union.trust, now=START))
        [received] = records(by)
        assert (received.event, received.service, received.message_type) == (
            "received",
            EXCHANGE_SERVICE,
            TRUST_LIST_PUBLISHED,
        )
