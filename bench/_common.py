"""Helpers shared by the benchmark modules: results files, statistics, ports and servers.

Not a benchmark itself (the leading underscore keeps ``bench/run.py`` from running it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import math
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from eaeu.testing import free_port_block

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"

Value = float | int | str


def write_results(name: str, results: dict[str, Value]) -> Path:
    """Write ``results`` with the machine facts to ``bench/results/<name>.json``.

    Keys stay flat and carry their unit in the name (``startup_s``, ``healthz_rps``). Adds
    ``cpu_count``, ``python`` and ``timestamp`` (UTC, ISO 8601).
    """
    for key, value in results.items():
        if not isinstance(value, float | int | str) or isinstance(value, bool):
            msg = f"result {key!r} must be a number or a string, not {type(value).__name__}"
            raise TypeError(msg)
        if isinstance(value, float) and not math.isfinite(value):
            msg = f"result {key!r} is not a finite number: {value}"
            raise ValueError(msg)
    document: dict[str, Value] = {
        **results,
        "cpu_count": os.cpu_count() or 0,
        "python": platform.python_version(),
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def percentile(values: Sequence[float], pct: float) -> float:
    """Return the ``pct`` percentile (0-100) of ``values``, interpolating linearly."""
    if not values:
        msg = "percentile of no values"
        raise ValueError(msg)
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    """Return the median of ``values``."""
    return percentile(values, 50)


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1 (a race with another process is still possible)."""
    return free_port_block(1)


def wait_for_http(
    url: str,
    timeout: float,
    *,
    process: subprocess.Popen[bytes] | None = None,
    interval: float = 0.01,
) -> float:
    """Poll ``url`` until it answers 200; return the seconds waited.

    Raises:
        RuntimeError: ``process`` exited first, or ``timeout`` seconds passed.
    """
    parts = urlsplit(url)
    path = parts.path or "/"
    started = time.perf_counter()
    deadline = started + timeout
    while time.perf_counter() < deadline:
        if process is not None and process.poll() is not None:
            msg = f"the server exited with {process.returncode} before {url} answered"
            raise RuntimeError(msg)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=1.0)
        try:
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(interval)
    msg = f"{url} did not answer 200 within {timeout} s"
    raise RuntimeError(msg)


def clean_env(**extra: str) -> dict[str, str]:
    """Return this environment without inherited ``EAEU_*`` settings, plus ``extra``.

    A benchmark must not pick up a developer's ``EAEU_DATABASE_URL`` or log level.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("EAEU_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@dataclass
class Server:
    """A server process started by :func:`serve`."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    startup_s: float

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid


@contextlib.contextmanager
def serve(
    name: str,
    command: Sequence[str],
    *,
    port: int,
    log: Path,
    env: dict[str, str] | None = None,
    health_path: str = "/healthz",
    timeout: float = 30.0,
) -> Iterator[Server]:
    """Start ``command``, wait until ``health_path`` answers 200 and stop it afterwards.

    ``startup_s`` is measured from just before the process is spawned to the first 200.
    The process is always stopped: SIGTERM, then SIGKILL after ten seconds. Its output goes
    to ``log``, whose tail is printed when the server fails to come up.
    """
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT
        )
        try:
            try:
                wait_for_http(url + health_path, timeout, process=process)
            except RuntimeError:
                _print_tail(name, log)
                raise
            yield Server(name, process, url, log, time.perf_counter() - started)
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop ``process``: SIGTERM, then SIGKILL when it outlives ``grace`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _print_tail(name: str, log: Path, lines: int = 30) -> None:
    text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    print(f"--- last {lines} lines of {name}'s output ({log}) ---", file=sys.stderr)
    for line in text[-lines:]:
        print(line, file=sys.stderr)


def cpu_seconds(pid: int) -> float | None:
    """Return the user+system CPU seconds ``pid`` has used so far (Linux), else ``None``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    # The command name (field 2) may contain spaces; fields after it are fixed.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def table(rows: Iterable[Sequence[str]]) -> str:
    """Format rows of strings as a left-aligned text table (first row is the header)."""
    rows = [list(row) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
