"""Steps of the end-to-end tests: run ``eaeu``, freeze a node, read what a node recorded.

The tests read each node's SQLite file read-only to see what the node recorded: its
outbox, its inbox and its message log.
"""

import base64
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx
import pytest

from eaeu.exchange.envelope import Envelope
from eaeu.exchange.ids import node_id
from eaeu.kernel.ids import uuid7
from eaeu.kernel.settings import DEVELOPMENT_SECRET
from eaeu.testing import process_cmdline as cmdline
from eaeu.testing import process_descendants as descendants
from eaeu.trust.keys import key_passphrase
from eaeu.trust.union import LocalUnion

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


@contextlib.contextmanager
def eaeu_in_background(*args):
    """Run ``eaeu …`` meanwhile; collect it with ``communicate``. It is ended on the way out."""
    process = subprocess.Popen(
        [sys.executable, "-m", "eaeu", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=operator_environment(),
    )
    try:
        yield process
    finally:
        # A test that failed first leaves no pipe open for the garbage collector to warn of.
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def one_line_error(result, *fragments, code=1):
    """Assert exit ``code`` (any failure if ``None``) and one ``error: …`` line on stderr
    holding every fragment; return the line."""
    failed = result.returncode != 0 if code is None else result.returncode == code
    assert failed, result.stdout + result.stderr
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
def stopped(*pids):
    """Freeze processes (SIGSTOP): they keep their sockets but answer nothing; thaw after."""
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
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


def assert_delivered_once(data_dir, message_id, sender, receiver):
    """The receiver kept and logged the message once; the sender logged one delivery."""
    assert inbox_count(data_dir, receiver, message_id) == 1
    received = [r for r in log_rows(data_dir, receiver, message_id) if r["event"] == "received"]
    assert len(received) == 1
    delivered = [r for r in log_rows(data_dir, sender, message_id) if r["event"] == "delivered"]
    assert len(delivered) == 1


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


def message_id_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["id"]
