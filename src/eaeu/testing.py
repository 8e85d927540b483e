"""Fakes and helpers for tests of this project and of services built on it.

Fakes over mocks: a frozen clock, free-port finding, a throwaway PostgreSQL database,
and a real federation started as processes for end-to-end and browser tests; for the
exchange in one process, a union made in memory and a loopback transport between nodes.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.engine import make_url

from eaeu.exchange.errors import MessageRefused, PeerUnavailable
from eaeu.exchange.guard import Transfer, TransferGuard
from eaeu.exchange.messages import builtin_handlers
from eaeu.exchange.node import ExchangeConfig, ExchangeNode, Handler
from eaeu.exchange.transport import MESSAGES_PATH, TransportReply
from eaeu.exchange.trust_store import TrustStore
from eaeu.kernel.clock import Clock
from eaeu.kernel.errors import PlatformError
from eaeu.kernel.states import MEMBER_STATES, STATE_CODES
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.trust import pki
from eaeu.trust.keys import EcSigner, generate_ec_key
from eaeu.trust.proposals import Change, propose
from eaeu.trust.trustlist import (
    DocumentSigner,
    TrustList,
    accept_first,
    build_document,
    member_entry,
)
from eaeu.trust.trustlist import sign as sign_trust_list
from eaeu.trust.union import default_services
from eaeu.web.errors import TITLES, status_for


class FrozenClock:
    """A clock that stands still until told to move.

    Args:
        at: the starting time (timezone-aware); 2026-01-01T00:00:00Z by default.
    """

    def __init__(self, at: datetime | None = None) -> None:
        self._now = at or datetime(2026, 1, 1, tzinfo=UTC)
        self._monotonic = 0.0

    def now(self) -> datetime:
        """Return the frozen time."""
        return self._now

    def monotonic(self) -> float:
        """Return the frozen monotonic reading."""
        return self._monotonic

    def advance(self, seconds: float = 0, **delta: float) -> None:
        """Move the clock forward by ``seconds`` (and/or ``timedelta`` keyword arguments)."""
        step = timedelta(seconds=seconds, **delta)
        self._now += step
        self._monotonic += step.total_seconds()

    def set(self, at: datetime) -> None:
        """Jump to ``at``."""
        self._now = at


_EPHEMERAL_START = 32768


def free_port_block(count: int, host: str = "127.0.0.1", start: int = 20000) -> int:
    """Return the first of ``count`` consecutive free TCP ports (a race is still possible).

    The ports lie below Linux's ephemeral range (32768 and up), where the kernel picks the
    local ports of outgoing connections, so a client socket cannot take one meanwhile.
    """
    rng = int.from_bytes(os.urandom(2), "big")
    span = max(_EPHEMERAL_START - start - count, 1)
    for attempt in range(200):
        base = start + ((rng + attempt * 97) % span)
        if all(_port_free(host, base + i) for i in range(count)):
            return base
    msg = "no block of free ports found"
    raise RuntimeError(msg)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """Create a throwaway PostgreSQL database and yield its URL; drop it afterwards.

    Args:
        admin_url: a URL of a role that may create databases (``postgresql://postgres@…/test``).
    """
    import psycopg  # noqa: PLC0415 - only tests against PostgreSQL need the driver loaded

    name = f"eaeu_test_{uuid.uuid4().hex[:12]}"
    plain = make_url(admin_url).set(drivername="postgresql")
    dsn = plain.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield plain.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class RunningFederation:
    """A federation started by :func:`federation` (``eaeu up`` as a real process)."""

    process: subprocess.Popen[str]
    data_dir: Path
    portal: str
    nodes: dict[str, str]
    output: list[str] = field(default_factory=list)

    def url(self, state: str) -> str:
        """Return the base URL of ``state``'s node."""
        return self.nodes[state]


@contextlib.contextmanager
def federation(
    data_dir: Path,
    *,
    timeout: float = 180.0,
    env: dict[str, str] | None = None,
    base_port: int | None = None,
) -> Iterator[RunningFederation]:
    """Run ``eaeu up`` on free ports in ``data_dir`` and stop it afterwards (SIGTERM).

    Yields once every node answers ``/healthz``. Raises ``RuntimeError`` with the runner's
    output if it does not come up within ``timeout`` seconds.

    Args:
        data_dir: the federation's data directory (created, or reused with its union).
        timeout: seconds to wait for every ``/healthz``.
        env: extra environment variables for the runner and its processes.
        base_port: the portal's port (nodes use the next five); free ports by default. A
            union's node addresses are fixed when it is created, so restarting a federation
            on the same ``data_dir`` needs the ports it first ran on.
    """
    base = base_port or free_port_block(len(STATE_CODES) + 1)
    process = subprocess.Popen(
        [sys.executable, "-m", "eaeu", "up", "--base-port", str(base), "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    portal = f"http://127.0.0.1:{base}"
    nodes = {code: f"http://127.0.0.1:{base + i}" for i, code in enumerate(STATE_CODES, 1)}
    running = RunningFederation(process, data_dir, portal, nodes)
    try:
        _wait_until_up(running, timeout)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            out, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        running.output.append(out or "")


def _wait_until_up(running: RunningFederation, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    urls = [running.portal, *running.nodes.values()]
    with httpx.Client(timeout=1.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if running.process.poll() is not None:
                out = running.process.stdout.read() if running.process.stdout else ""
                msg = f"eaeu up exited with {running.process.returncode}:\n{out}"
                raise RuntimeError(msg)
            try:
                if all(client.get(f"{url}/healthz").status_code == 200 for url in urls):  # noqa: PLR2004
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    msg = f"the federation did not come up within {timeout} s"
    raise RuntimeError(msg)


# --- the exchange, in one process ---------------------------------------------------------


@dataclass(frozen=True)
class MemoryUnion:
    """A union made in memory: every state's keys and version 1 of the trust list, signed.

    The same keys and list as :func:`eaeu.trust.union.init_union` writes to disk, without
    files, so that unit tests can sign, encrypt and verify against a real trust list. Each
    state has a health document signer (:meth:`health_signer`) that signs DCCs.
    """

    signed: dict[str, Any] = field(repr=False)
    trust: TrustList
    governance: Mapping[str, EcSigner] = field(repr=False)
    node_signers: Mapping[str, EcSigner] = field(repr=False)
    encryption_keys: Mapping[str, ec.EllipticCurvePrivateKey] = field(repr=False)
    health_signers: Mapping[str, tuple[EcSigner, x509.Certificate]] = field(
        default_factory=dict, repr=False
    )

    def node_signer(self, state: str) -> EcSigner:
        """Return ``state``'s node signer (its kid is in the trust list)."""
        return self.node_signers[state]

    def node_encryption_key(self, state: str) -> ec.EllipticCurvePrivateKey:
        """Return the private key ``state``'s node decrypts with."""
        return self.encryption_keys[state]

    def health_signer(self, state: str) -> tuple[EcSigner, x509.Certificate]:
        """Return ``state``'s health document signer and its certificate (it signs DCCs)."""
        return self.health_signers[state]

    def successor(
        self,
        current: TrustList,
        *changes: Change,
        now: datetime,
        validity: timedelta = timedelta(days=365),
        signers: Iterable[str] = STATE_CODES,
    ) -> dict[str, Any]:
        """Sign the version after ``current`` with ``changes``, by ``signers`` (all by default)."""
        document = propose(current, now=now, changes=changes, validity=validity)
        return sign_trust_list(document, {state: self.governance[state] for state in signers})


def memory_union(
    *,
    now: datetime,
    endpoints: Mapping[str, str] | None = None,
    services: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    validity_days: int = 365,
    threshold: int = 3,
) -> MemoryUnion:
    """Make the five states' keys and the signed version 1 of the trust list in memory.

    Args:
        now: the start of every validity.
        endpoints: each state's node base URL; ``http://<state>.test`` by default.
        services: service → state → roles; :func:`eaeu.trust.union.default_services` by default.
        validity_days: how long version 1 is valid.
        threshold: how many states must sign version 2.
    """
    urls = endpoints or {state: f"http://{state.lower()}.test" for state in STATE_CODES}
    participation = default_services() if services is None else services
    governance, node_signers, encryption_keys, members = {}, {}, {}, []
    health_signers: dict[str, tuple[EcSigner, x509.Certificate]] = {}
    for state in STATE_CODES:
        root_key, node_key, encryption_key = generate_ec_key(), generate_ec_key(), generate_ec_key()
        root = pki.issue_root(state, root_key, now=now)
        node_cert = pki.issue_certificate(
            issuer_cert=root,
            issuer_key=root_key,
            public_key=node_key.public_key(),
            common_name=f"EAEU {state} node",
            profile=pki.NODE_SIGNING,
            now=now,
            days=730,
        )
        health_key = generate_ec_key()
        health_cert = pki.issue_certificate(
            issuer_cert=root,
            issuer_key=root_key,
            public_key=health_key.public_key(),
            common_name=f"EAEU {state} health document signer",
            profile=pki.document_signer_profile("health"),
            now=now,
            days=730,
        )
        health_signers[state] = (EcSigner(health_key), health_cert)
        governance[state] = EcSigner(root_key)
        node_signers[state] = EcSigner(node_key)
        encryption_keys[state] = encryption_key
        members.append(
            member_entry(
                state=state,
                name=MEMBER_STATES[state].name(),
                roots=[root],
                endpoint=urls[state],
                node_certificate=node_cert,
                encryption_key=encryption_key.public_key(),
                document_signers=[DocumentSigner("health", health_cert)],
                services={
                    service: list(by_state[state])
                    for service, by_state in participation.items()
                    if state in by_state
                },
            )
        )
    document = build_document(
        version=1,
        issued_at=now,
        expires_at=now + timedelta(days=validity_days),
        threshold=threshold,
        members=members,
    )
    signed = sign_trust_list(document, governance)
    return MemoryUnion(
        signed=signed,
        trust=accept_first(signed, at=now),
        governance=governance,
        node_signers=node_signers,
        encryption_keys=encryption_keys,
        health_signers=health_signers,
    )


class LoopbackTransport:
    """Carries envelopes between exchange nodes in one process, as their HTTP endpoint would.

    ``nodes`` maps an endpoint (the trust list's base URL) to the node serving it. A refusal
    becomes the problem document the web layer answers with: the status chosen by
    :func:`eaeu.web.errors.status_for` and the ``reason``, and for a duplicate the first
    receipt and response; any other exception becomes a 500 problem.

    Attributes:
        down: endpoints that do not answer (:class:`PeerUnavailable` before delivery).
        lose_replies: endpoints whose answer is lost after the node processed the message.
        rewrite: per endpoint, a function ``(token, reply) -> reply`` that alters the answer
            on its way back, as a faulty or hostile peer would.
        posted: every ``(endpoint, token)`` posted, in order, whether answered or not.
    """

    def __init__(self, nodes: Mapping[str, ExchangeNode] | None = None) -> None:
        self.nodes: dict[str, ExchangeNode] = dict(nodes or {})
        self.down: set[str] = set()
        self.lose_replies: set[str] = set()
        self.rewrite: dict[str, Callable[[str, TransportReply], TransportReply]] = {}
        self.posted: list[tuple[str, str]] = []

    def post(self, endpoint: str, token: str) -> TransportReply:
        """Deliver ``token`` to the node at ``endpoint``; see :meth:`Transport.post`."""
        self.posted.append((endpoint, token))
        node = self.nodes.get(endpoint)
        if node is None or endpoint in self.down:
            raise PeerUnavailable(f"{endpoint} did not answer: ConnectError")
        try:
            reply = TransportReply(200, node.receive(token))
        except PlatformError as exc:
            reply = TransportReply(status_for(exc), _problem(exc))
        except Exception:  # noqa: BLE001 - the web layer answers every other failure with a 500
            reply = TransportReply(500, {"status": 500, "reason": "internal", "detail": "failed"})
        if endpoint in self.lose_replies:
            raise PeerUnavailable(f"{endpoint} did not answer: ReadTimeout")
        rewrite = self.rewrite.get(endpoint)
        return rewrite(token, reply) if rewrite is not None else reply


def _problem(exc: PlatformError) -> dict[str, Any]:
    status = status_for(exc)
    body: dict[str, Any] = {
        "type": f"https://eaeu.dev/problems/{exc.reason}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": exc.message,
        "instance": MESSAGES_PATH,
        "reason": exc.reason,
    }
    if isinstance(exc, MessageRefused) and exc.receipt is not None:
        body["receipt"] = exc.receipt
        if exc.response is not None:
            body["response"] = exc.response
    return body


@dataclass
class RecordingGuard:
    """A transfer guard for exchange tests: allows everything unless told to refuse.

    Attributes:
        refusal: raised by :meth:`check` when set.
        checked: every transfer checked, in order.
        recorded: every transfer recorded, in order.
    """

    refusal: MessageRefused | None = None
    checked: list[Transfer] = field(default_factory=list)
    recorded: list[Transfer] = field(default_factory=list)

    def check(self, session: Any, transfer: Transfer) -> None:  # noqa: ARG002 - the protocol
        """Note the transfer; raise :attr:`refusal` when set."""
        self.checked.append(transfer)
        if self.refusal is not None:
            raise self.refusal

    def record(self, session: Any, transfer: Transfer) -> None:  # noqa: ARG002 - the protocol
        """Note the transfer."""
        self.recorded.append(transfer)


def loopback_node(
    union: MemoryUnion,
    state: str,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    transport: LoopbackTransport,
    handlers: Mapping[str, Handler] | None = None,
    config: ExchangeConfig | None = None,
    rng: Callable[[], float] = random.random,
    guard: TransferGuard | None = None,
) -> ExchangeNode:
    """Build ``state``'s exchange node on a migrated database and plug it into ``transport``.

    The node accepts the union's version 1 (unless its database holds a trust list
    already, as for a second worker of one node) and has the built-in handlers plus
    ``handlers``.
    """
    store = TrustStore(uow, clock)
    if not store.versions():
        store.accept(union.signed)
    node = ExchangeNode(
        state=state,
        signer=union.node_signer(state),
        encryption_key=union.node_encryption_key(state),
        trust=store,
        uow=uow,
        clock=clock,
        transport=transport,
        handlers={**builtin_handlers(store), **(handlers or {})},
        config=config,
        rng=rng,
        guard=guard,
    )
    transport.nodes[union.trust.endpoint(state)] = node
    return node


def process_descendants(pid: int) -> list[int]:
    """Every live process whose parent chain leads to ``pid`` (Linux ``/proc``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def process_cmdline(pid: int) -> list[str]:
    """The command line of ``pid``, or ``[]`` once it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    except OSError:
        return []


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
