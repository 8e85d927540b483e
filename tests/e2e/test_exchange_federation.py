"""The exchange between five real node processes and their delivery workers (``eaeu up``).

Envelopes travel over real HTTP between ``eaeu node serve`` processes; the outbox is
delivered by ``eaeu exchange worker`` processes. The tests read each node's SQLite file
read-only to see what the node recorded: its outbox, its inbox and its message log.
Destructive scenarios (a node stopped, a worker killed, a trust list that expires) each
run their own federation.
"""

import base64
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from eaeu.exchange.envelope import Envelope, seal
from eaeu.exchange.ids import node_id
from eaeu.exchange.log import record_hash
from eaeu.kernel.ids import uuid7
from eaeu.kernel.settings import DEVELOPMENT_MARKER, DEVELOPMENT_SECRET
from eaeu.kernel.states import STATE_CODES
from eaeu.testing import federation, free_port_block
from eaeu.testing import process_cmdline as cmdline
from eaeu.testing import process_descendants as descendants
from eaeu.trust.keys import EcSigner, generate_ec_key, key_passphrase
from eaeu.trust.union import LocalUnion, init_union

pytestmark = pytest.mark.slow

#: Retries every 0.2 s to 1 s instead of 1 s to 5 min, so a peer that is back is seen soon.
FAST_RETRIES = {"EAEU_EXCHANGE_RETRY_BASE_S": "0.2", "EAEU_EXCHANGE_RETRY_CAP_S": "1"}
SHORT_LEASE = {**FAST_RETRIES, "EAEU_EXCHANGE_LEASE_S": "12"}
#: The change every scenario publishes: Kazakhstan joins the travel service.
KZ_JOINS_TRAVEL = ("--join", "KZ:travel:issuer,verifier")
PUBLISHED = "trust.list.published"
#: The transport gives up on a silent peer after 10 s; leave room for a retry after it.
SILENT_PEER_S = 30


# -- processes ------------------------------------------------------------------------
def operator_environment():
    """The environment an operator runs ``eaeu`` in: without the test runner's EAEU_ settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith("EAEU_")}


def eaeu(*args, timeout=60):
    """Run ``eaeu …`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "eaeu", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=operator_environment(),
        check=False,
    )


def eaeu_in_background(*args):
    """Start ``eaeu …``; collect it later with ``communicate``."""
    return subprocess.Popen(
        [sys.executable, "-m", "eaeu", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=operator_environment(),
    )


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def one_line_error(result, *fragments):
    """Assert exit 1 and one ``error: …`` line on stderr holding every fragment; return it."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def process_of(fed, *words):
    """The one process of the federation whose command line holds every word."""
    found = [
        pid for pid in descendants(fed.process.pid) if all(word in cmdline(pid) for word in words)
    ]
    assert len(found) == 1, (words, found)
    return found[0]


@contextlib.contextmanager
def stopped(pid):
    """Freeze a process (SIGSTOP): it keeps its sockets but answers nothing; thaw it after."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


def base_port(fed):
    return int(fed.portal.rsplit(":", 1)[1])


# -- what the nodes recorded ---------------------------------------------------------------
def query(data_dir, state, sql, *params):
    """Rows of ``sql`` in a node's SQLite file, opened read-only beside the running node."""
    uri = f"{(data_dir / f'{state.lower()}.db').as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute(sql, params)]


def log_rows(data_dir, state, message_id):
    return query(
        data_dir,
        state,
        "SELECT seq, direction, event, reason, envelope_hash, receipt_hash "
        "FROM exchange_log WHERE message_id = ? ORDER BY seq",
        message_id,
    )


def inbox_count(data_dir, state, message_id):
    rows = query(
        data_dir,
        state,
        "SELECT count(*) AS n FROM exchange_inbox WHERE message_id = ?",
        message_id,
    )
    return rows[0]["n"]


def outbox(data_dir, state, message_type=PUBLISHED):
    """A node's outbox rows of one message type, by receiving state."""
    rows = query(
        data_dir,
        state,
        "SELECT id, receiver_state, status, attempts, last_reason, lease_owner "
        "FROM exchange_outbox WHERE message_type = ?",
        message_type,
    )
    return {row["receiver_state"]: row for row in rows}


def wait_for(what, probe, done, timeout):
    """Call ``probe`` until ``done(value)``; fail naming ``what`` and the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}; last seen: {value!r}")
        time.sleep(0.2)


def healthz(fed, state):
    try:
        reply = httpx.get(f"{fed.nodes[state]}/healthz", timeout=2, trust_env=False)
    except httpx.HTTPError as exc:
        return {"unreachable": type(exc).__name__}
    return {"status_code": reply.status_code, **reply.json()}


def trust_list_check(fed, state):
    return healthz(fed, state).get("checks", {}).get("trust_list")


def publish(data_dir, *changes, via="KZ"):
    """Propose ``changes``, sign with three states and publish through ``via``'s node."""
    ok(eaeu("trust", "propose", "--data-dir", data_dir, *changes))
    for state in ("AM", "KZ", "RU"):
        ok(eaeu("trust", "sign", "--data-dir", data_dir, "--state", state))
    return ok(eaeu("trust", "publish", "--data-dir", data_dir, "--via", via))


# -- envelopes made by hand ------------------------------------------------------------
def development_union(data_dir):
    return LocalUnion(data_dir, key_passphrase(DEVELOPMENT_SECRET, development=True))


def envelope(sender, receiver="RU", service="exchange", message_type="exchange.ping"):
    return Envelope(
        id=str(uuid7()),
        sender=str(node_id(sender)),
        receiver=str(node_id(receiver)),
        service=service,
        type=message_type,
        created_at=datetime.now(UTC),
        payload={"from": sender},
    )


def post_envelope(fed, token, receiver="RU"):
    return httpx.post(
        f"{fed.nodes[receiver]}/exchange/v1/messages",
        content=token,
        headers={"content-type": "application/jose"},
        timeout=15,
        trust_env=False,
    )


def with_payload_byte_changed(token):
    """The same JWS with one byte of its (still valid JSON) payload changed."""
    header, payload, signature = token.split(".")
    body = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    changed = body.replace(b'"from":"KZ"', b'"from":"KG"')
    assert changed != body
    encoded = base64.urlsafe_b64encode(changed).decode().rstrip("=")
    return f"{header}.{encoded}.{signature}"


# -- one federation for the tests that do not disturb each other --------------------------
@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    with federation(tmp_path_factory.mktemp("exchange") / "var", env=FAST_RETRIES) as fed:
        yield fed


class TestPing:
    def test_makes_a_signed_round_trip_logged_by_both_nodes(self, shared):
        def log_records(state):
            reply = httpx.get(f"{shared.nodes[state]}/api/v1/exchange/log/verify", trust_env=False)
            assert reply.status_code == 200, reply.text
            assert reply.json()["intact"] is True
            return reply.json()["records"]

        before = {state: log_records(state) for state in ("KZ", "RU")}
        out = ok(
            eaeu("exchange", "ping", "--from", "KZ", "--to", "RU", "--data-dir", shared.data_dir)
        )
        assert out.startswith("KZ → RU: signed round trip ")
        assert " ms (with the CLI call " in out
        assert "receipt accepted at " in out
        message_id = out.rsplit("message ", 1)[1].strip()
        # Other messages (the travel registry's replication) may be logged meanwhile.
        after = {state: log_records(state) for state in ("KZ", "RU")}
        assert all(after[state] >= count + 1 for state, count in before.items())
        [sent] = log_rows(shared.data_dir, "KZ", message_id)
        [received] = log_rows(shared.data_dir, "RU", message_id)
        assert (sent["direction"], sent["event"]) == ("out", "sent")
        assert (received["direction"], received["event"]) == ("in", "received")
        # Both sides hold the hashes of the same signed envelope and the same receipt.
        assert sent["envelope_hash"] == received["envelope_hash"]
        assert sent["receipt_hash"] == received["receipt_hash"]
        assert len(sent["receipt_hash"]) == 64
        assert inbox_count(shared.data_dir, "RU", message_id) == 1

    def test_refuses_a_state_that_is_not_a_member(self, shared):
        result = eaeu(
            "exchange", "ping", "--from", "KZ", "--to", "UZ", "--data-dir", shared.data_dir
        )
        assert result.returncode == 2
        assert "'UZ' is not a member state" in result.stderr
        assert "Traceback" not in result.stderr


class TestStatus:
    def test_shows_every_node_with_its_outbox_and_reachable_peers(self, shared):
        out = ok(eaeu("exchange", "status", "--data-dir", shared.data_dir))
        lines = out.splitlines()
        assert [line.split(":")[0] for line in lines] == list(STATE_CODES)
        for code, line in zip(STATE_CODES, lines, strict=True):
            assert "trust list v" in line
            assert " dead; peers: " in line
            peers = [f"{peer} up" for peer in STATE_CODES if peer != code]
            assert line.endswith("peers: " + ", ".join(peers))

    def test_without_a_running_federation_says_so(self, tmp_path):
        result = eaeu("exchange", "status", "--data-dir", tmp_path)
        one_line_error(result, "no AM node", "is the federation running?")


class TestAsynchronousDelivery:
    def test_a_published_trust_list_reaches_every_node_once(self, shared):
        out = publish(shared.data_dir, *KZ_JOINS_TRAVEL)
        assert "version 2" in out
        assert "the KZ node accepted version 2 and is sending it to AM, BY, KG, RU" in out
        for state in STATE_CODES:
            wait_for(
                f"{state} to accept version 2",
                lambda state=state: trust_list_check(shared, state),
                lambda check: check == "ok (version 2)",
                timeout=30,
            )
        sent = wait_for(
            "KZ's outbox to deliver to the four others",
            lambda: outbox(shared.data_dir, "KZ"),
            lambda rows: [r["status"] for r in rows.values()] == ["delivered"] * 4,
            timeout=30,
        )
        assert sorted(sent) == ["AM", "BY", "KG", "RU"]
        status = ok(eaeu("exchange", "status", "--state", "KZ", "--data-dir", shared.data_dir))
        assert status.startswith("KZ: trust list v2, outbox 0 pending / 4 delivered / 0 dead;")
        message_id = sent["RU"]["id"]
        assert inbox_count(shared.data_dir, "RU", message_id) == 1
        events = [(r["direction"], r["event"]) for r in log_rows(shared.data_dir, "KZ", message_id)]
        assert events == [("out", "queued"), ("out", "delivered")]
        received = log_rows(shared.data_dir, "RU", message_id)
        assert [(r["direction"], r["event"]) for r in received] == [("in", "received")]


def forged(fed):
    """Signed by a key no trust list names."""
    return seal(envelope("KZ"), EcSigner(generate_ec_key()), sent_at=datetime.now(UTC))


def tampered(fed):
    kz = development_union(fed.data_dir).node_signer("KZ")
    return with_payload_byte_changed(seal(envelope("KZ"), kz, sent_at=datetime.now(UTC)))


def expired(fed):
    kz = development_union(fed.data_dir).node_signer("KZ")
    return seal(envelope("KZ"), kz, sent_at=datetime.now(UTC) - timedelta(minutes=10))


def unauthorised(fed):
    # Kyrgyzstan takes no part in travel, in version 1 and in every version published here.
    kg = development_union(fed.data_dir).node_signer("KG")
    sealed = envelope("KG", service="travel", message_type="travel.certificate.query")
    return seal(sealed, kg, sent_at=datetime.now(UTC))


def message_id_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["id"]


class TestRefusals:
    @pytest.mark.parametrize(
        ("make", "status", "reason"),
        [
            (forged, 401, "exchange.unknown_sender"),
            (tampered, 401, "exchange.bad_signature"),
            (expired, 400, "exchange.expired"),
            (unauthorised, 403, "exchange.unauthorised"),
        ],
        ids=["forged", "tampered", "expired", "unauthorised"],
    )
    def test_refuses_with_its_reason_and_logs_the_refusal(self, shared, make, status, reason):
        token = make(shared)
        message_id = message_id_of(token)
        reply = post_envelope(shared, token)
        assert reply.status_code == status, reply.text
        assert reply.headers["content-type"].startswith("application/problem+json")
        problem = reply.json()
        assert problem["reason"] == reason
        assert problem["detail"]
        assert "receipt" not in problem
        [logged] = log_rows(shared.data_dir, "RU", message_id)
        assert (logged["direction"], logged["event"], logged["reason"]) == ("in", "refused", reason)
        assert inbox_count(shared.data_dir, "RU", message_id) == 0

    def test_a_replay_is_refused_with_the_first_receipt(self, shared):
        kz = development_union(shared.data_dir).node_signer("KZ")
        token = seal(envelope("KZ"), kz, sent_at=datetime.now(UTC))
        first = post_envelope(shared, token)
        assert first.status_code == 200, first.text
        assert first.json()["response"]
        again = post_envelope(shared, token)
        assert again.status_code == 409, again.text
        problem = again.json()
        assert problem["reason"] == "exchange.duplicate"
        assert problem["receipt"] == first.json()["receipt"]
        assert problem["response"] == first.json()["response"]
        rows = log_rows(shared.data_dir, "RU", message_id_of(token))
        assert [(r["event"], r["reason"]) for r in rows] == [
            ("received", None),
            ("refused", "exchange.duplicate"),
        ]
        assert inbox_count(shared.data_dir, "RU", message_id_of(token)) == 1

    def test_the_log_stays_intact_after_refusals(self, shared):
        out = ok(eaeu("exchange", "log", "verify", "--state", "RU", "--data-dir", shared.data_dir))
        assert out.startswith("RU message log intact: ")


@pytest.fixture(scope="module")
def intact(shared, tmp_path_factory):
    """A copy of RU's database with at least three records in its message log."""
    for state in ("AM", "BY", "KG"):
        reply = httpx.post(
            f"{shared.nodes[state]}/api/v1/exchange/ping",
            json={"to": "RU"},
            timeout=15,
            trust_env=False,
        )
        assert reply.status_code == 200, reply.text
    copy = tmp_path_factory.mktemp("intact")
    source = sqlite3.connect(f"{(shared.data_dir / 'ru.db').as_uri()}?mode=ro", uri=True)
    with contextlib.closing(source), contextlib.closing(sqlite3.connect(copy / "ru.db")) as dst:
        source.backup(dst)
    return copy


@pytest.fixture
def altered(intact, tmp_path):
    shutil.copy(intact / "ru.db", tmp_path / "ru.db")

    def alter(*statements):
        with contextlib.closing(sqlite3.connect(tmp_path / "ru.db")) as db:
            for sql, params in statements:
                db.execute(sql, params)
            db.commit()
        return tmp_path

    return alter


class TestLogVerify:
    """``eaeu exchange log verify`` on copies of a live node's database, altered by hand."""

    def test_an_intact_log_exits_0(self, intact):
        out = ok(eaeu("exchange", "log", "verify", "--state", "RU", "--data-dir", intact))
        assert out.startswith("RU message log intact: ")
        assert int(out.split(": ")[1].split()[0]) >= 3

    def test_an_altered_record_is_named(self, altered):
        data_dir = altered(("UPDATE exchange_log SET reason = 'x' WHERE seq = 2", ()))
        result = eaeu("exchange", "log", "verify", "--state", "RU", "--data-dir", data_dir)
        one_line_error(result, "record 2 ", "(log.altered)")

    def test_a_deleted_record_breaks_the_chain_at_the_next(self, altered):
        data_dir = altered(("DELETE FROM exchange_log WHERE seq = 2", ()))
        result = eaeu("exchange", "log", "verify", "--state", "RU", "--data-dir", data_dir)
        one_line_error(result, "record 3 ", "does not follow record 1", "(log.broken_chain)")

    def test_swapped_records_are_caught_even_with_their_hashes_recomputed(self, altered):
        rows = {row["seq"]: row for row in self.records(altered())}
        swapped = []
        for seq, other in ((2, 3), (3, 2)):
            fields = {**rows[other], "seq": seq}
            fields["hash"] = record_hash(fields)
            swapped.append(fields)
        data_dir = altered(
            ("DELETE FROM exchange_log WHERE seq IN (2, 3)", ()),
            *((self.insert(fields), self.stored(fields)) for fields in swapped),
        )
        result = eaeu("exchange", "log", "verify", "--state", "RU", "--data-dir", data_dir)
        one_line_error(result, "record 2 ", "(log.broken_chain)")

    def test_swapped_records_without_new_hashes_read_as_altered(self, altered):
        data_dir = altered(
            ("UPDATE exchange_log SET seq = -1 WHERE seq = 2", ()),
            ("UPDATE exchange_log SET seq = 2 WHERE seq = 3", ()),
            ("UPDATE exchange_log SET seq = 3 WHERE seq = -1", ()),
        )
        result = eaeu("exchange", "log", "verify", "--state", "RU", "--data-dir", data_dir)
        one_line_error(result, "record 2 ", "(log.altered)")

    def test_a_record_cut_off_the_end_shows_at_the_head(self, altered):
        data_dir = altered(
            ("DELETE FROM exchange_log WHERE seq = (SELECT max(seq) FROM exchange_log)", ())
        )
        result = eaeu("exchange", "log", "verify", "--state", "RU", "--data-dir", data_dir)
        one_line_error(result, "(log.head_mismatch)")

    @staticmethod
    def records(data_dir):
        with contextlib.closing(sqlite3.connect(data_dir / "ru.db")) as db:
            db.row_factory = sqlite3.Row
            rows = [dict(row) for row in db.execute("SELECT * FROM exchange_log ORDER BY seq")]
        for row in rows:
            # SQLite keeps the UTC time without its zone; the hash covers it as UTC.
            row["at"] = datetime.fromisoformat(row["at"]).replace(tzinfo=UTC)
        # Guard the guard: hashes recomputed here match those the node computed.
        assert all(record_hash(row) == row["hash"] for row in rows)
        return rows

    @staticmethod
    def insert(fields):
        names = ", ".join(fields)
        marks = ", ".join("?" * len(fields))
        # The column names come from the table itself, never from input.
        return f"INSERT INTO exchange_log ({names}) VALUES ({marks})"  # noqa: S608

    @staticmethod
    def stored(fields):
        at = fields["at"].replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return tuple(at if name == "at" else value for name, value in fields.items())


# -- a node that does not answer -----------------------------------------------------------
class TestUnreachablePeer:
    def test_keeps_the_message_in_the_outbox_until_the_peer_is_back(self, tmp_path):
        data_dir = tmp_path / "var"
        with federation(data_dir, env=FAST_RETRIES) as fed:
            ru = process_of(fed, "node", "serve", "RU")
            with stopped(ru):
                publish(data_dir, *KZ_JOINS_TRAVEL)
                # A ping meanwhile fails with the reason, after the transport's timeout.
                ping = eaeu_in_background(
                    "exchange", "ping", "--from", "KZ", "--to", "RU", "--data-dir", data_dir
                )
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
            assert inbox_count(data_dir, "RU", message_id) == 1
            received = [r for r in log_rows(data_dir, "RU", message_id) if r["event"] == "received"]
            assert len(received) == 1
            delivered = [
                r for r in log_rows(data_dir, "KZ", message_id) if r["event"] == "delivered"
            ]
            assert len(delivered) == 1
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
            assert inbox_count(data_dir, "RU", message_id) == 1
            received = [r for r in log_rows(data_dir, "RU", message_id) if r["event"] == "received"]
            assert len(received) == 1
            delivered = [
                r for r in log_rows(data_dir, "KZ", message_id) if r["event"] == "delivered"
            ]
            assert len(delivered) == 1
            status = ok(eaeu("exchange", "status", "--state", "KZ", "--data-dir", data_dir))
            assert "outbox 0 pending / 4 delivered / 0 dead" in status


# -- a trust list that expires -----------------------------------------------------------
#: How long the expiring union's version 1 stays valid: enough for ``eaeu up`` to start
#: five nodes (migrations and demonstration data) on a loaded two-core machine.
EXPIRING_AFTER_S = 90
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
