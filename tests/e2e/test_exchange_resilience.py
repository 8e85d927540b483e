"""The exchange when something goes wrong: a node stopped, a worker killed, a trust list expired.

Each scenario runs its own federation (``eaeu up``), and only that one: the shared
federation of ``test_exchange_federation.py`` is stopped by then, so the timings here
are not measured on a machine that also runs five other nodes.
"""

import os
import shutil
import signal
from datetime import UTC, datetime, timedelta

import pytest
from exchange_steps import (
    FAST_RETRIES,
    KZ_JOINS_TRAVEL,
    SHORT_LEASE,
    SILENT_PEER_S,
    assert_delivered_once,
    base_port,
    development_union,
    eaeu,
    eaeu_in_background,
    envelope,
    healthz,
    log_rows,
    message_id_of,
    ok,
    one_line_error,
    outbox,
    post_envelope,
    process_of,
    publish,
    query,
    stopped,
    trust_list_check,
    wait_for,
)

from eaeu.exchange.envelope import seal
from eaeu.kernel.settings import DEVELOPMENT_MARKER, DEVELOPMENT_SECRET
from eaeu.kernel.states import STATE_CODES
from eaeu.testing import federation, free_port_block
from eaeu.trust.keys import key_passphrase
from eaeu.trust.union import init_union

pytestmark = pytest.mark.slow


# -- a node that does not answer -----------------------------------------------------------
class TestUnreachablePeer:
    def test_keeps_the_message_in_the_outbox_until_the_peer_is_back(self, tmp_path):
        data_dir = tmp_path / "var"
        with federation(data_dir, env=FAST_RETRIES) as fed:
            ru = process_of(fed, "node", "serve", "RU")
            with stopped(ru):
                publish(data_dir, *KZ_JOINS_TRAVEL)
                # A ping meanwhile fails with the reason, after the transport's timeout.
                with eaeu_in_background(
                    "exchange", "ping", "--from", "KZ", "--to", "RU", "--data-dir", data_dir
                ) as ping:
                    waiting = wait_for(
                        "a second delivery attempt to the silent RU",
                        lambda: outbox(data_dir, "KZ"),
                        lambda rows: "RU" in rows and rows["RU"]["attempts"] >= 2,
                        timeout=2 * SILENT_PEER_S,
                    )
                    assert waiting["RU"]["status"] == "pending"
                    assert waiting["RU"]["last_reason"] == "exchange.unreachable"
                    assert [waiting[s]["status"] for s in ("AM", "BY", "KG")] == ["delivered"] * 3
                    status = ok(eaeu("exchange", "status", "--state", "KZ", "--data-dir", data_dir))
                    assert "outbox 1 pending / 3 delivered / 0 dead" in status
                    assert "RU DOWN" in status
                    _, err = ping.communicate(timeout=SILENT_PEER_S)
                    assert ping.returncode == 1
                    assert "(exchange.unreachable)" in err
                    assert "Traceback" not in err
            message_id = waiting["RU"]["id"]
            wait_for(
                "RU to accept version 2 once it answers again",
                lambda: trust_list_check(fed, "RU"),
                lambda check: check == "ok (version 2)",
                timeout=SILENT_PEER_S,
            )
            done = wait_for(
                "KZ to deliver to RU",
                lambda: outbox(data_dir, "KZ")["RU"],
                lambda row: row["status"] == "delivered",
                timeout=SILENT_PEER_S,
            )
            assert done["attempts"] >= 3
            # The attempts RU missed while stopped reach it late; it processes one.
            assert_delivered_once(data_dir, message_id, "KZ", "RU")
            ok(eaeu("exchange", "log", "verify", "--state", "KZ", "--data-dir", data_dir))
            ok(eaeu("exchange", "log", "verify", "--state", "RU", "--data-dir", data_dir))


class TestWorkerKilledMidDelivery:
    def test_loses_nothing_and_delivers_once_after_a_restart(self, tmp_path):
        data_dir = tmp_path / "var"
        with federation(data_dir, env=SHORT_LEASE) as first:
            ru = process_of(first, "node", "serve", "RU")
            worker = process_of(first, "exchange", "worker", "KZ")
            with stopped(ru):
                publish(data_dir, *KZ_JOINS_TRAVEL)
                # The worker delivers to AM, BY and KG, then waits for the silent RU.
                in_flight = wait_for(
                    "KZ's worker to be delivering to RU",
                    lambda: outbox(data_dir, "KZ"),
                    lambda rows: (
                        len(rows) == 4
                        and [rows[s]["status"] for s in ("AM", "BY", "KG")] == ["delivered"] * 3
                        and rows["RU"]["lease_owner"] is not None
                    ),
                    timeout=SILENT_PEER_S,
                )
                assert in_flight["RU"]["status"] == "pending"
                os.kill(worker, signal.SIGKILL)
            first.process.wait(timeout=30)
        assert first.process.returncode == 1
        assert "KZ-worker stopped unexpectedly" in first.output[-1]
        message_id = in_flight["RU"]["id"]
        assert outbox(data_dir, "KZ")["RU"]["status"] == "pending"

        with federation(data_dir, env=SHORT_LEASE, base_port=base_port(first)) as second:
            # The dead worker's lease runs out (12 s from its claim); a new worker delivers.
            done = wait_for(
                "the restarted KZ worker to deliver to RU",
                lambda: outbox(data_dir, "KZ")["RU"],
                lambda row: row["status"] == "delivered",
                timeout=60,
            )
            assert done["lease_owner"] is None
            assert trust_list_check(second, "RU") == "ok (version 2)"
            assert_delivered_once(data_dir, message_id, "KZ", "RU")
            status = ok(eaeu("exchange", "status", "--state", "KZ", "--data-dir", data_dir))
            assert "outbox 0 pending / 4 delivered / 0 dead" in status


# -- a trust list that expires -----------------------------------------------------------
#: How long the expiring union's version 1 stays valid: enough for ``eaeu up`` to start
#: five nodes with their demonstration data (about 15 s on two cores when no other
#: federation runs), and every second of it is waited for.
EXPIRING_AFTER_S = 50
#: One attempt, so a message to a node that refuses to exchange is a dead letter at once.
ONE_ATTEMPT = {**FAST_RETRIES, "EAEU_EXCHANGE_MAX_ATTEMPTS": "1"}


@pytest.fixture(scope="class")
def expired_union(tmp_path_factory):
    """A federation whose union (made as ``eaeu up`` makes one) expired after it started."""
    data_dir = tmp_path_factory.mktemp("expiring") / "var"
    data_dir.mkdir()
    base = free_port_block(len(STATE_CODES) + 1)
    (data_dir / DEVELOPMENT_MARKER).write_text("Made by the test, as by `eaeu up`.\n")
    accepted = init_union(
        data_dir,
        passphrase=key_passphrase(DEVELOPMENT_SECRET, development=True),
        now=datetime.now(UTC) - timedelta(days=365) + timedelta(seconds=EXPIRING_AFTER_S),
        endpoints={code: f"http://127.0.0.1:{base + i}" for i, code in enumerate(STATE_CODES, 1)},
        validity_days=365,
    )
    with federation(data_dir, env=ONE_ATTEMPT, base_port=base) as fed:
        assert datetime.now(UTC) < accepted.expires_at, "the federation started too slowly"
        for state in STATE_CODES:
            wait_for(
                f"{state}'s /healthz to report the expired trust list",
                lambda state=state: healthz(fed, state),
                lambda body: body.get("status_code") == 503,
                timeout=EXPIRING_AFTER_S + 10,
            )
        yield fed


class TestExpiredTrustList:
    def test_nodes_refuse_to_exchange_and_say_why(self, expired_union):
        fed, data_dir = expired_union, expired_union.data_dir
        health = healthz(fed, "RU")
        assert health["checks"]["trust_list"] == "expired"
        assert health["reason"] == "node.unhealthy"
        assert "The union trust list (version 1) expired at " in health["detail"]
        assert "the node refuses to exchange until a new version is accepted" in health["detail"]
        # The receiving side refuses any envelope, however well signed, and logs it.
        kz = development_union(data_dir).node_signer("KZ")
        token = seal(envelope("KZ"), kz, sent_at=datetime.now(UTC))
        reply = post_envelope(fed, token)
        assert reply.status_code == 503, reply.text
        assert reply.json()["reason"] == "exchange.trust_list_expired"
        [logged] = log_rows(data_dir, "RU", message_id_of(token))
        assert (logged["event"], logged["reason"]) == ("refused", "exchange.trust_list_expired")
        # The sending side refuses to send at all: its own list has expired too.
        result = eaeu("exchange", "ping", "--from", "KZ", "--to", "RU", "--data-dir", data_dir)
        one_line_error(result, "trust list has expired", "(exchange.trust_list_expired)")
        # (Before the list expired, the nodes' workers pulled each other's vacancy feeds.)
        sent = (
            "SELECT seq FROM exchange_log"
            " WHERE direction = 'out' AND message_type = 'exchange.ping'"
        )
        assert query(data_dir, "KZ", sent) == []
        # The runner keeps the federation up: the nodes work, they only refuse to exchange.
        assert fed.process.poll() is None

    def test_eaeu_up_refuses_an_expired_union_in_one_line(self, expired_union, tmp_path):
        # A copy of the union, since the federation holds the data directory's lock.
        union = tmp_path / "var"
        shutil.copytree(expired_union.data_dir / "trust", union / "trust")
        shutil.copy(expired_union.data_dir / DEVELOPMENT_MARKER, union)
        base = free_port_block(len(STATE_CODES) + 1)
        result = eaeu("up", "--data-dir", union, "--base-port", base, timeout=60)
        one_line_error(result, f"the union in {union} cannot be used", "(trustlist.expired)")
        assert "trust list version 1 expired at " in result.stderr

    def test_a_new_version_brings_the_nodes_back(self, expired_union):
        fed, data_dir = expired_union, expired_union.data_dir
        publish(data_dir, *KZ_JOINS_TRAVEL)
        assert trust_list_check(fed, "KZ") == "ok (version 2)"
        # The new version is the one message a node with an expired list still accepts:
        # its content is verified by the members' signatures. Every node comes back.
        delivered = wait_for(
            "KZ's messages with the new version to be delivered",
            lambda: outbox(data_dir, "KZ"),
            lambda rows: [r["status"] for r in rows.values()] == ["delivered"] * 4,
            timeout=30,
        )
        assert sorted(delivered) == ["AM", "BY", "KG", "RU"]
        for state in STATE_CODES:
            assert trust_list_check(fed, state) == "ok (version 2)"
        out = ok(eaeu("exchange", "ping", "--from", "KZ", "--to", "RU", "--data-dir", data_dir))
        assert out.startswith("KZ → RU: signed round trip ")
