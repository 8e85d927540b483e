"""The outbox: queued with the caller's change, leased to workers, delivered at least once.

The sending node runs on each engine (SQLite and PostgreSQL); its peers run on SQLite. A
loopback transport carries envelopes and can take a peer down or lose its answers.
"""

import json
import threading
from datetime import UTC, timedelta

import pytest
from sqlalchemy import delete

from eaeu.exchange import log
from eaeu.exchange.envelope import Envelope, check_receipt, sha256_hex
from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.node import DeadLetter, ExchangeConfig, ExchangeNode
from eaeu.exchange.orm import (
    DEAD,
    DELIVERED,
    PENDING,
    AcceptedTrustList,
    InboxMessage,
    OutboxMessage,
)
from eaeu.exchange.transport import TransportReply
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.testing import FrozenClock
from eaeu.trust.encoding import b64url_decode
from eaeu.trust.proposals import RemoveMember

UNION_START = FrozenClock().now()
START = UNION_START + timedelta(days=1)
VERIFY = "travel.certificate.verify"
NAME = "Նարեկ Պետրոսյան"
BY = "http://by.test"


@pytest.fixture
def am(make_node, database_url):
    return make_node("AM", url=database_url)


@pytest.fixture
def by(make_node):
    return make_node("BY")


def queue(node, to="BY", payload=None, **kwargs):
    with node.uow() as uow:
        message_id = node.enqueue(uow.session, to, "travel", VERIFY, payload or {"n": 1}, **kwargs)
        uow.commit()
    return message_id


def utc(value):
    """A time read back from the database, in UTC (SQLite keeps no zone)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def wire_body(token):
    """The signed JSON of a token exactly as it travels (UTF-8, not escaped)."""
    return b64url_decode(token.split(".")[1]).decode("utf-8")


def row(node, message_id):
    with node.uow() as uow:
        found = uow.session.get(OutboxMessage, message_id)
        uow.session.expunge_all()
        return found


def records(node):
    with node.uow() as uow:
        return list(reversed(log.iter_records(uow.session, limit=1000)))


def events(node):
    return [(r.event, r.reason) for r in records(node)]


def attempt(node, message_id, owner="w1"):
    assert node.claim(owner) == [message_id]
    return node.deliver(message_id, owner)


def configured(make_node, database_url, **config):
    return make_node("AM", url=database_url, config=ExchangeConfig(**config), rng=lambda: 0.5)


class TestEnqueueing:
    @pytest.mark.usefixtures("clock")
    def test_queues_a_message_when_the_callers_change_commits(self, am):
        message_id = queue(am, correlation_id="c-1", consent="k-1")
        queued = row(am, message_id)
        assert (queued.status, queued.attempts, queued.receiver_state) == (PENDING, 0, "BY")
        assert (queued.service, queued.message_type) == ("travel", VERIFY)
        assert utc(queued.next_attempt_at) == START
        envelope = Envelope.from_json(json.loads(queued.envelope))
        assert (envelope.id, envelope.sender, envelope.receiver) == (
            message_id,
            "EAEU/AM/GOV/NODE",
            "EAEU/BY/GOV/NODE",
        )
        assert (envelope.payload, envelope.correlation_id, envelope.consent) == (
            {"n": 1},
            "c-1",
            "k-1",
        )
        [record] = records(am)
        assert (record.event, record.message_id, record.correlation_id) == (
            "queued",
            message_id,
            "c-1",
        )
        assert record.envelope_hash is None

    def test_queues_nothing_when_the_callers_change_rolls_back(self, am):
        with am.uow() as uow:
            am.enqueue(uow.session, "BY", "travel", VERIFY, {"n": 1})
        assert am.outbox_summary() == {PENDING: 0, DELIVERED: 0, DEAD: 0}
        assert records(am) == []

    @pytest.mark.usefixtures("by", "union")
    def test_keeps_personal_data_encrypted_in_the_outbox_and_on_the_wire(
        self, am, transport, calls
    ):
        message_id = queue(
            am,
            payload={"name": NAME},
            personal=True,
            consent="k-1",
            purpose="travel.verification",
            categories=("identity",),
        )
        stored = json.loads(row(am, message_id).envelope)
        assert stored["payload"] is None
        assert stored["encrypted"].count(".") == 4
        assert NAME not in json.dumps(stored, ensure_ascii=False)
        assert attempt(am, message_id)
        [(_, token)] = transport.posted
        assert NAME not in wire_body(token)
        assert NAME not in wire_body(row(am, message_id).sent_token)
        assert [c.payload for c in calls] == [{"name": NAME}]

    @pytest.mark.usefixtures("by")
    def test_carries_a_payload_that_is_not_personal_in_the_clear(self, am, transport):
        message_id = queue(am, payload={"name": NAME})
        assert NAME in json.dumps(json.loads(row(am, message_id).envelope), ensure_ascii=False)
        assert attempt(am, message_id)
        assert NAME in wire_body(transport.posted[0][1])


class TestClaiming:
    def test_leases_due_messages_to_one_worker_and_none_to_the_next(self, am):
        first, second = queue(am), queue(am)
        assert am.claim("w1") == [first, second]
        assert am.claim("w2") == []
        leased = row(am, first)
        assert leased.lease_owner == "w1"
        assert utc(leased.lease_until) == START + timedelta(seconds=30)

    def test_leases_the_longest_waiting_first_up_to_the_limit(self, am, clock):
        ids = []
        for _ in range(3):
            ids.append(queue(am))
            clock.advance(seconds=1)
        assert am.claim("w1", limit=2) == ids[:2]
        assert am.claim("w2", limit=2) == ids[2:]

    @pytest.mark.usefixtures("by")
    def test_leases_nothing_before_the_next_attempt_is_due(self, am, transport, clock):
        message_id = queue(am)
        transport.down.add(BY)
        assert not attempt(am, message_id)
        assert am.claim("w1") == []
        clock.advance(seconds=1.5)
        assert am.claim("w1") == [message_id]

    @pytest.mark.usefixtures("by")
    def test_leases_a_message_again_once_the_lease_has_run_out(self, am, clock):
        message_id = queue(am)
        assert am.claim("w1") == [message_id]
        clock.advance(seconds=29)
        assert am.claim("w2") == []
        clock.advance(seconds=2)
        assert am.claim("w2") == [message_id]
        # The worker that lost its lease (it stalled) no longer delivers the message.
        assert not am.deliver(message_id, "w1")
        assert am.deliver(message_id, "w2")

    @pytest.mark.usefixtures("by")
    def test_leases_neither_delivered_nor_dead_messages(self, am, make_node):
        make_node("KZ")
        delivered, dead = queue(am), queue(am, to="KZ")
        assert am.deliver_due("w1") == 1
        assert row(am, dead).status == DEAD
        assert row(am, delivered).status == DELIVERED
        assert am.claim("w1") == []


class TestConcurrentWorkers:
    def test_every_message_is_leased_by_exactly_one_of_two_workers(self, am, union, clock):
        ids = {queue(am, to=state) for state in ("BY", "RU", "KZ", "KG") for _ in range(15)}
        engine = make_engine(str(am.uow.engine.url.render_as_string(hide_password=False)))
        try:
            second = ExchangeNode(
                state="AM",
                signer=union.node_signer("AM"),
                encryption_key=union.node_encryption_key("AM"),
                trust=am.trust,
                uow=UnitOfWorkFactory(engine),
                clock=clock,
                transport=am.transport,
            )
            leased = {"w1": [], "w2": []}
            start = threading.Barrier(2)

            def work(node, owner):
                start.wait()
                while batch := node.claim(owner, limit=3):
                    leased[owner].extend(batch)

            threads = [
                threading.Thread(target=work, args=(node, owner))
                for node, owner in ((am, "w1"), (second, "w2"))
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            engine.dispose()
        assert set(leased["w1"]).isdisjoint(leased["w2"])
        assert sorted(leased["w1"] + leased["w2"]) == sorted(ids)


class TestDelivering:
    def test_delivers_and_keeps_the_receivers_receipt(self, am, by, transport, union):
        message_id = queue(am)
        assert attempt(am, message_id)
        [(endpoint, token)] = transport.posted
        delivered = row(am, message_id)
        assert endpoint == BY
        assert (delivered.status, delivered.attempts) == (DELIVERED, 1)
        assert utc(delivered.delivered_at) == START
        assert delivered.sent_token == token
        assert (delivered.lease_owner, delivered.lease_until) == (None, None)
        assert (delivered.last_reason, delivered.last_error) == (None, None)
        receipt = check_receipt(
            delivered.receipt,
            union.trust,
            receiver_state="BY",
            message_id=message_id,
            envelope_hash=sha256_hex(token.encode()),
        )
        assert receipt.status == "accepted"
        assert events(am) == [("queued", None), ("delivered", None)]
        assert records(am)[-1].receipt_hash == receipt.token_hash
        assert records(am)[-1].envelope_hash == records(by)[-1].envelope_hash
        assert [r.event for r in records(by)] == ["received"]

    @pytest.mark.usefixtures("by")
    def test_delivers_every_due_message_and_counts_them(self, am, make_node, calls):
        make_node("RU")
        for state in ("BY", "RU", "BY"):
            queue(am, to=state)
        assert am.deliver_due("w1") == 3
        assert sorted(c.sender_state for c in calls) == ["AM", "AM", "AM"]
        assert am.outbox_summary() == {PENDING: 0, DELIVERED: 3, DEAD: 0}

    @pytest.mark.usefixtures("by")
    def test_does_nothing_with_a_message_it_has_not_leased(self, am, transport):
        message_id = queue(am)
        assert not am.deliver(message_id, "w1")
        assert not am.deliver("01936d1f-0000-7000-8000-000000000000", "w1")
        assert attempt(am, message_id)
        assert not am.deliver(message_id, "w1")
        assert len(transport.posted) == 1

    @pytest.mark.usefixtures("by")
    def test_signs_each_attempt_afresh(self, am, transport, clock):
        message_id = queue(am)
        transport.down.add(BY)
        attempt(am, message_id)
        clock.advance(seconds=2)
        transport.down.clear()
        attempt(am, message_id)
        first, second = (json.loads(b64url_decode(t.split(".")[1])) for _, t in transport.posted)
        assert (first["sent_at"], second["sent_at"]) == (
            "2026-01-02T00:00:00Z",
            "2026-01-02T00:00:02Z",
        )
        assert {k: v for k, v in first.items() if k != "sent_at"} == {
            k: v for k, v in second.items() if k != "sent_at"
        }


class TestRetrying:
    @pytest.mark.usefixtures("by", "clock")
    def test_retries_a_peer_that_does_not_answer_later(self, am, transport):
        message_id = queue(am)
        transport.down.add(BY)
        assert not attempt(am, message_id)
        waiting = row(am, message_id)
        assert (waiting.status, waiting.attempts) == (PENDING, 1)
        assert waiting.last_reason == "exchange.unreachable"
        assert waiting.last_error == "http://by.test did not answer: ConnectError"
        assert events(am) == [("queued", None)]

    @pytest.mark.parametrize("jitter", [0.0, 0.25, 0.999999])
    @pytest.mark.usefixtures("by")
    def test_backs_off_exponentially_up_to_the_cap_with_jitter(
        self, make_node, database_url, transport, clock, jitter
    ):
        am = make_node(
            "AM",
            url=database_url,
            config=ExchangeConfig(retry_base_s=2.0, retry_cap_s=10.0),
            rng=lambda: jitter,
        )
        message_id = queue(am)
        transport.down.add(BY)
        waits = []
        for _ in range(5):
            assert not attempt(am, message_id)
            due = utc(row(am, message_id).next_attempt_at)
            waits.append((due - clock.now()).total_seconds())
            clock.set(due)
        factor = 0.5 + jitter
        assert waits == pytest.approx([d * factor for d in (2, 4, 8, 10, 10)], abs=1e-5)

    @pytest.mark.usefixtures("by")
    def test_gives_up_after_the_last_attempt_with_a_reason_for_the_operator(
        self, make_node, database_url, transport, clock
    ):
        am = configured(make_node, database_url, max_attempts=3, retry_base_s=1.0)
        message_id = queue(am)
        transport.down.add(BY)
        for _ in range(3):
            assert not attempt(am, message_id)
            clock.advance(seconds=10)
        dead = row(am, message_id)
        assert (dead.status, dead.attempts, dead.last_reason) == (
            DEAD,
            3,
            "exchange.undeliverable",
        )
        assert dead.last_error == "http://by.test did not answer: ConnectError"
        assert events(am) == [("queued", None), ("dead_letter", "exchange.undeliverable")]
        assert am.claim("w1") == []
        assert am.dead_letters() == [
            DeadLetter(
                id=message_id,
                receiver_state="BY",
                message_type=VERIFY,
                attempts=3,
                last_reason="exchange.undeliverable",
                last_error="http://by.test did not answer: ConnectError",
                created_at=dead.created_at,
            )
        ]

    @pytest.mark.usefixtures("transport")
    def test_retries_a_peer_that_failed_and_delivers_once_it_recovers(self, am, make_node, clock):
        broken = {"yes": True}
        handled = []

        def flaky(incoming):
            if broken["yes"]:
                raise RuntimeError("database down")
            handled.append(incoming.envelope.id)

        make_node("BY", handlers={VERIFY: flaky})
        message_id = queue(am)
        assert not attempt(am, message_id)
        waiting = row(am, message_id)
        assert (waiting.status, waiting.last_reason) == (PENDING, "exchange.unreachable")
        assert waiting.last_error == "BY answered 500: failed"
        broken["yes"] = False
        clock.advance(seconds=2)
        assert attempt(am, message_id)
        assert handled == [message_id]

    @pytest.mark.usefixtures("by", "transport")
    def test_keeps_its_outbox_while_its_own_trust_list_has_expired(self, am, transport, clock):
        message_id = queue(am)
        clock.advance(days=365)
        assert not attempt(am, message_id)
        waiting = row(am, message_id)
        assert (waiting.status, waiting.last_reason) == (PENDING, "exchange.trust_list_expired")
        assert transport.posted == []

    def test_retries_a_peer_whose_trust_list_has_expired(self, am, make_node, transport):
        make_node("BY")
        message_id = queue(am)
        expired_peer = lambda _token, _reply: TransportReply(  # noqa: E731
            503, {"status": 503, "reason": "exchange.trust_list_expired", "detail": "expired"}
        )
        transport.rewrite["http://by.test"] = expired_peer
        assert not attempt(am, message_id)
        waiting = row(am, message_id)
        assert (waiting.status, waiting.last_reason) == (PENDING, "exchange.unreachable")
        assert waiting.last_error == "BY answered 503: expired"

    def test_keeps_the_message_while_the_node_has_no_trust_list(self, am):
        message_id = queue(am)
        with am.uow() as uow:
            uow.session.execute(delete(AcceptedTrustList))
            uow.commit()
        am.trust._cached = None
        assert not attempt(am, message_id)
        waiting = row(am, message_id)
        assert (waiting.status, waiting.last_reason) == (PENDING, "exchange.no_trust_list")

    def test_counts_a_delivery_whose_answer_was_lost_as_delivered_once(
        self, am, by, transport, clock, calls
    ):
        message_id = queue(am)
        transport.lose_replies.add(BY)
        assert not attempt(am, message_id)
        assert row(am, message_id).status == PENDING
        transport.lose_replies.clear()
        clock.advance(seconds=2)
        assert attempt(am, message_id)
        with by.uow() as uow:
            first_receipt = uow.session.get(InboxMessage, message_id).receipt
        delivered = row(am, message_id)
        assert (delivered.status, delivered.attempts) == (DELIVERED, 2)
        assert delivered.receipt == first_receipt
        assert len(calls) == 1
        assert [e for e, _ in events(by)] == ["received", "refused"]
        assert events(by)[-1] == ("refused", "exchange.duplicate")


class TestDeadLetters:
    def test_gives_up_at_once_when_the_peer_refuses_with_its_reason(self, am, make_node, transport):
        kz = make_node("KZ")
        message_id = queue(am, to="KZ")
        assert not attempt(am, message_id)
        dead = row(am, message_id)
        assert (dead.status, dead.attempts, dead.last_reason) == (
            DEAD,
            1,
            "exchange.unauthorised",
        )
        assert dead.last_error == (
            "KZ refused the message: KZ does not take part in the service 'travel'"
        )
        assert events(am) == [("queued", None), ("refused", "exchange.unauthorised")]
        assert records(am)[-1].envelope_hash == sha256_hex(transport.posted[0][1].encode())
        assert [(r.event, r.reason) for r in records(kz)] == [("refused", "exchange.unauthorised")]

    @pytest.mark.usefixtures("by")
    def test_gives_up_on_a_duplicate_answer_without_the_first_receipt(self, am, transport):
        transport.rewrite[BY] = lambda _token, _reply: TransportReply(
            409, {"reason": "exchange.duplicate", "detail": "seen"}
        )
        message_id = queue(am)
        assert not attempt(am, message_id)
        dead = row(am, message_id)
        assert (dead.status, dead.last_reason) == (DEAD, "exchange.bad_receipt")
        assert dead.last_error == "the reply carries no receipt"

    @pytest.mark.usefixtures("by")
    def test_gives_up_on_an_answer_with_a_receipt_that_does_not_verify(self, am, transport):
        transport.rewrite[BY] = lambda _token, _reply: TransportReply(200, {"receipt": "a.b.c"})
        message_id = queue(am)
        assert not attempt(am, message_id)
        assert row(am, message_id).last_reason == "exchange.bad_receipt"

    def test_gives_up_on_a_state_that_left_the_union(self, am, make_node, union):
        make_node("KG")
        message_id = queue(am, to="KG")
        am.trust.accept(union.successor(union.trust, RemoveMember("KG"), now=START))
        assert not attempt(am, message_id)
        dead = row(am, message_id)
        assert (dead.status, dead.last_reason) == (DEAD, "trust.unknown_member")
        assert dead.last_error == "'KG' is not a member of the trust list"

    @pytest.mark.usefixtures("by")
    def test_keeps_only_the_start_of_a_long_refusal(self, am, transport):
        transport.rewrite[BY] = lambda _token, _reply: TransportReply(
            422, {"reason": "travel.invalid", "detail": "x" * 1000}
        )
        message_id = queue(am)
        assert not attempt(am, message_id)
        dead = row(am, message_id)
        assert dead.last_reason == "travel.invalid"
        assert dead.last_error == ("BY refused the message: " + "x" * 1000)[:300]

    @pytest.mark.usefixtures("by")
    def test_requeues_a_dead_letter_on_the_operators_word(
        self, make_node, database_url, transport, clock, calls
    ):
        am = configured(make_node, database_url, max_attempts=1)
        message_id = queue(am)
        transport.down.add(BY)
        attempt(am, message_id)
        assert row(am, message_id).status == DEAD
        clock.advance(hours=1)
        am.requeue(message_id)
        again = row(am, message_id)
        assert (again.status, again.attempts) == (PENDING, 0)
        assert utc(again.next_attempt_at) == clock.now()
        transport.down.clear()
        assert attempt(am, message_id)
        assert len(calls) == 1

    @pytest.mark.usefixtures("by")
    def test_refuses_to_requeue_what_is_not_a_dead_letter(self, am):
        pending = queue(am)
        for message_id in (pending, "01936d1f-0000-7000-8000-000000000000"):
            with pytest.raises(MessageRefused, match="no dead letter with that id") as raised:
                am.requeue(message_id)
            assert raised.value.reason == "exchange.not_dead"
        assert row(am, pending).status == PENDING


class TestOperatorViews:
    @pytest.mark.usefixtures("by")
    def test_counts_messages_by_status(self, am, make_node):
        make_node("KZ")
        queue(am)
        queue(am, to="KZ")
        assert am.deliver_due("w1") == 1
        queue(am)
        assert am.outbox_summary() == {PENDING: 1, DELIVERED: 1, DEAD: 1}

    def test_lists_the_newest_dead_letters_first_up_to_the_limit(self, am, make_node, clock):
        make_node("KZ")
        ids = []
        for _ in range(3):
            ids.append(queue(am, to="KZ"))
            clock.advance(seconds=1)
        am.deliver_due("w1")
        assert [d.id for d in am.dead_letters()] == ids[::-1]
        assert [d.id for d in am.dead_letters(limit=2)] == ids[:0:-1]
        assert {d.last_reason for d in am.dead_letters()} == {"exchange.unauthorised"}

    @pytest.mark.usefixtures("by")
    def test_lists_no_dead_letters_when_all_went_well(self, am):
        queue(am)
        am.deliver_due("w1")
        assert am.dead_letters() == []
