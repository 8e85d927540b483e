"""``eaeu up``: the whole federation on one machine — the union portal and five nodes.

Each node is a separate ``eaeu node serve`` process with its own SQLite database under the
data directory; the portal is ``eaeu portal serve``. The runner writes
``<data-dir>/federation.json``, waits until every process answers ``/healthz``, prints the
addresses, and on Ctrl-C or SIGTERM stops every process it started. A lock file makes a
second ``eaeu up`` on the same data directory say so instead of fighting over ports.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO

import httpx
import typer

from eaeu.bootstrap import Federation
from eaeu.cli.common import fail, port_in_use
from eaeu.kernel.clock import SystemClock
from eaeu.kernel.errors import PlatformError
from eaeu.kernel.settings import DEVELOPMENT_MARKER, DEVELOPMENT_SECRET
from eaeu.kernel.states import MEMBER_STATES, STATE_CODES
from eaeu.trust.keys import key_passphrase
from eaeu.trust.union import LocalUnion, init_union

START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 10.0
_PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    """One process the runner started."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    # Linux only: if the runner is killed outright, the kernel ends its children too,
    # so no node is ever left running without its supervisor.
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Runner:
    """Starts, watches and stops the portal and the five node processes."""

    def __init__(self, data_dir: Path, host: str, base_port: int) -> None:
        self.data_dir = data_dir
        self.host = host
        self.base_port = base_port
        self.children: list[Child] = []
        self._lock_handle: IO[str] | None = None
        self._stopping = False

    # -- the single-runner lock --------------------------------------------------------
    @property
    def lock_path(self) -> Path:
        """Path of the lock file that marks a running federation."""
        return self.data_dir / "up.lock"

    def acquire_lock(self) -> None:
        """Take the data directory's lock, or explain who holds it and exit."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        handle = self.lock_path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            fail(
                f"a federation is already running from {self.data_dir} (pid {holder}); "
                "stop it with Ctrl-C in its terminal, or use another --data-dir and --base-port"
            )
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_handle = handle

    def release_lock(self) -> None:
        """Release the lock (the file stays; the lock is what counts)."""
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    # -- processes -----------------------------------------------------------------------
    def plan(self) -> list[tuple[str, int, list[str]]]:
        """Return (name, port, arguments) for the portal and each node."""
        base = [sys.executable, "-m", "eaeu"]
        plan = [("portal", self.base_port, [*base, "portal", "serve"])]
        for offset, code in enumerate(STATE_CODES, start=1):
            plan.append((code, self.base_port + offset, [*base, "node", "serve", "--state", code]))
        return plan

    def workers(self) -> list[tuple[str, list[str]]]:
        """Return (name, arguments) for each node's delivery worker."""
        base = [sys.executable, "-m", "eaeu", "exchange", "worker"]
        return [(f"{code}-worker", [*base, "--state", code]) for code in STATE_CODES]

    def check_ports(self) -> None:
        """Exit with one line if any port of the plan is taken."""
        for name, port, _ in self.plan():
            if port_in_use(self.host, port):
                fail(
                    f"port {port} on {self.host} (for {name}) is already in use; "
                    "stop what runs there or choose another --base-port"
                )

    def ensure_union(self) -> str:
        """Create the local union on first start; check its endpoints on later starts.

        Returns a line saying what was done.
        """
        federation = self.federation()
        passphrase = key_passphrase(DEVELOPMENT_SECRET, development=True)
        if not (self.data_dir / "trust" / "v1.json").exists():
            (self.data_dir / DEVELOPMENT_MARKER).write_text(
                "Made by `eaeu up`: a development union; keys use the development passphrase.\n",
                encoding="utf-8",
            )
            init_union(
                self.data_dir,
                passphrase=passphrase,
                now=SystemClock().now(),
                endpoints=federation.nodes,
            )
            return (
                f"Created a local union in {self.data_dir / 'trust'} (trust list v1, threshold 3)."
            )
        try:
            latest = LocalUnion(self.data_dir, passphrase).latest(at=SystemClock().now())
        except PlatformError as exc:
            hint = (
                "; publish a new version (eaeu trust propose, sign, publish) "
                "or use a new --data-dir"
                if exc.reason == "trustlist.expired"
                else ""
            )
            fail(f"the union in {self.data_dir} cannot be used: {exc.message} ({exc.reason}){hint}")
        wrong = {
            s: latest.endpoint(s)
            for s in latest.members
            if latest.endpoint(s) != federation.nodes.get(s)
        }
        if wrong:
            fail(
                f"the union in {self.data_dir} lists other node addresses "
                f"({', '.join(f'{s} {u}' for s, u in sorted(wrong.items()))}); run with the "
                "--base-port it was created for, or use a new --data-dir"
            )
        return f"Using the local union in {self.data_dir / 'trust'} (trust list v{latest.version})."

    def federation(self) -> Federation:
        """The federation document for this plan."""
        urls = {name: f"http://{self.host}:{port}" for name, port, _ in self.plan()}
        portal = urls.pop("portal")
        return Federation(portal=portal, nodes=urls)

    def start(self) -> Federation:
        """Write ``federation.json`` and start every process."""
        federation = self.federation()
        federation_file = self.data_dir / "federation.json"
        federation_file.write_text(federation.to_json() + "\n", encoding="utf-8")
        logs = self.data_dir / "logs"
        logs.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "EAEU_DEVELOPMENT": "1",
            "EAEU_DATA_DIR": str(self.data_dir),
            "EAEU_FEDERATION_FILE": str(federation_file),
        }
        env.pop("EAEU_DATABASE_URL", None)  # each node keeps its own SQLite file here
        commands = [
            (name, f"http://{self.host}:{port}", [*args, "--host", self.host, "--port", str(port)])
            for name, port, args in self.plan()
        ]
        commands += [(name, "", args) for name, args in self.workers()]
        for name, url, args in commands:
            log_path = logs / f"{name.lower()}.log"
            with log_path.open("ab") as log_file:
                process = subprocess.Popen(
                    args,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads exist yet
                    start_new_session=True,
                )
            self.children.append(Child(name, url, process, log_path))
        return federation

    def wait_healthy(self, timeout: float = START_TIMEOUT_S) -> None:
        """Wait until every process answers ``/healthz``; exit naming the one that failed."""
        deadline = time.monotonic() + timeout
        pending = [child for child in self.children if child.url]
        with httpx.Client(timeout=1.0, trust_env=False) as client:
            while pending:
                for child in self.children:
                    if child.process.poll() is not None:
                        self._fail_child(child, "stopped while starting")
                for child in list(pending):
                    try:
                        if client.get(f"{child.url}/healthz").status_code == 200:  # noqa: PLR2004
                            pending.remove(child)
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    self._fail_child(pending[0], f"did not answer within {timeout:.0f} s")
                if pending:
                    time.sleep(0.1)

    def _fail_child(self, child: Child, what: str) -> None:
        tail = _tail(child.log_path)
        self.stop()
        message = f"{child.name} {what}; its log is {child.log_path}"
        if tail:
            message += ":\n" + "\n".join(f"  | {line}" for line in tail)
        fail(message)

    def watch(self) -> int:
        """Block until a signal asks to stop or a child dies; return the exit code."""
        while not self._stopping:
            for child in self.children:
                if child.process.poll() is not None:
                    code = child.process.returncode
                    typer.echo(
                        f"error: {child.name} stopped unexpectedly (exit {code}); "
                        f"its log is {child.log_path}",
                        err=True,
                    )
                    self.stop()
                    return 1
            time.sleep(0.2)
        return 0

    def stop(self) -> None:
        """Stop every child: SIGTERM, then SIGKILL after a grace period."""
        for child in self.children:
            if child.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for child in self.children:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()
        self.children.clear()

    def request_stop(self, _signum: int, _frame: FrameType | None) -> None:
        """Signal handler: ask the watch loop to stop."""
        self._stopping = True


def _tail(path: Path, lines: int = 8) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]


def up(
    base_port: int = typer.Option(
        8100, min=1, max=65530, help="Portal port; nodes use the next five."
    ),
    data_dir: Path = typer.Option(
        Path("var"), envvar="EAEU_DATA_DIR", help="Where databases, keys and logs are kept."
    ),
    host: str = typer.Option("127.0.0.1", help="Address every process listens on."),
) -> None:
    """Run the union portal and the five national nodes until Ctrl-C."""
    runner = Runner(data_dir.resolve(), host, base_port)
    runner.acquire_lock()
    runner.check_ports()
    union_line = runner.ensure_union()
    signal.signal(signal.SIGINT, runner.request_stop)
    signal.signal(signal.SIGTERM, runner.request_stop)
    started = time.monotonic()
    federation = runner.start()
    try:
        runner.wait_healthy()
        typer.echo(union_line)
        typer.echo(_table(federation, time.monotonic() - started, runner.data_dir))
        code = runner.watch()
    finally:
        runner.stop()
        runner.release_lock()
    typer.echo("Federation stopped.")
    raise typer.Exit(code)


def _table(federation: Federation, seconds: float, data_dir: Path) -> str:
    rows = [("Union portal", federation.portal or "")]
    rows += [
        (f"{code} {MEMBER_STATES[code].name('en')}", url) for code, url in federation.nodes.items()
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"EAEU federation up in {seconds:.1f} s (data in {data_dir})", ""]
    lines += [f"  {name.ljust(width)}  {url}" for name, url in rows]
    lines += [
        "",
        f"Federation file: {data_dir / 'federation.json'}",
        f"Operator pages: {federation.nodes.get('KZ', '<node>')}/operator (and every node's)",
        "A signed round trip: eaeu exchange ping --from KZ --to RU",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def federation_json(data_dir: Path) -> dict[str, object]:
    """Read the federation document a runner wrote (for tests and tools)."""
    loaded: dict[str, object] = json.loads((data_dir / "federation.json").read_text("utf-8"))
    return loaded
