"""Fakes and helpers for tests of this project and of services built on it.

Fakes over mocks: a frozen clock, free-port finding, a throwaway PostgreSQL database,
and a real federation started as processes for end-to-end and browser tests.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from eaeu.kernel.states import STATE_CODES


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


def free_port_block(count: int, host: str = "127.0.0.1", start: int = 20000) -> int:
    """Return the first of ``count`` consecutive free TCP ports (a race is still possible)."""
    rng = int.from_bytes(os.urandom(2), "big")
    for attempt in range(200):
        base = start + ((rng + attempt * 97) % 20000)
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
    timeout: float = 90.0,
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
