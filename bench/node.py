"""Node start-up time and ``/healthz`` throughput against a bare Starlette app.

Both servers run the same way: one uvicorn process, access log off (``eaeu node serve``
for the node, ``bench/_bare_app.py`` for the baseline), in the same interpreter.

Start-up: seconds from spawning the process until ``/healthz`` first answers 200, median
of ``STARTUP_RUNS`` starts. Every node start gets a fresh data directory, so each one
creates its SQLite database and runs the migrations (``startup_s``); ``startup_warm_s``
restarts on an existing database, where the migrations find nothing to do.

Throughput: ``CONNECTIONS`` keep-alive clients in ``LOAD_PROCESSES`` separate processes
(see ``bench/_load.py``) drive ``/healthz`` for ``DURATION_S`` seconds after
``WARMUP_S`` seconds of warm-up; one server at a time takes load. The node's ``/healthz``
checks its database (``SELECT 1``, reused for a second) and goes through FastAPI and the
language middleware; the baseline touches no database.

Writes ``bench/results/node.json``; ratios are node / baseline, so a start-up ratio above
1 and an rps ratio below 1 both mean the node is slower.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from _common import BENCH, Server, clean_env, free_port, median, serve, table, write_results
from _load import LoadResult, run_load

STARTUP_RUNS = 3
CONNECTIONS = 16
LOAD_PROCESSES = 2
WARMUP_S = 1.0
DURATION_S = 5.0
SATURATED = 0.85  # server CPU (cores) under load above which the server was the bottleneck

ENV = clean_env(EAEU_DEVELOPMENT="1")


def node_command(port: int, data_dir: Path) -> list[str]:
    return [
        sys.executable,
        *("-m", "eaeu", "node", "serve", "--state", "KZ"),
        *("--port", str(port), "--data-dir", str(data_dir)),
    ]


def bare_command(port: int, _: Path) -> list[str]:
    return [sys.executable, str(BENCH / "_bare_app.py"), "--port", str(port)]


Command = Callable[[int, Path], list[str]]


def start(name: str, command: Command, data_dir: Path):
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir.parent / f"{data_dir.name}.log"
    return serve(name, command(port, data_dir), port=port, log=log, env=ENV)


def startups(name: str, command: Command, data_dirs: list[Path]) -> list[float]:
    times = []
    for data_dir in data_dirs:
        with start(name, command, data_dir) as server:
            times.append(server.startup_s)
    print(f"  {name:<14} " + "  ".join(f"{t:.3f}" for t in times) + " s")
    return times


def load(server: Server) -> LoadResult:
    result = run_load(
        f"{server.url}/healthz",
        server_pid=server.pid,
        connections=CONNECTIONS,
        processes=LOAD_PROCESSES,
        warmup_s=WARMUP_S,
        duration_s=DURATION_S,
    )
    print(
        f"  {server.name:<14} {result.rps:8.0f} req/s  p50 {result.p50_ms:.2f} ms  "
        f"p95 {result.p95_ms:.2f} ms  errors {result.errors}  "
        f"server CPU {result.server_cpu:.2f}  load CPU {result.client_cpu:.2f} cores"
    )
    return result


def main() -> None:
    loadavg = os.getloadavg()[0]
    if loadavg > 0.5 * (os.cpu_count() or 1):
        print(f"note: the 1-minute load average is {loadavg:.1f} before the run; expect noise")
    with tempfile.TemporaryDirectory(prefix="eaeu-bench-") as tmp_name:
        tmp = Path(tmp_name)
        print(f"start-up ({STARTUP_RUNS} runs each, spawn until /healthz answers 200):")
        cold = [tmp / f"node-{i}" for i in range(STARTUP_RUNS)]
        node_cold = startups("node (fresh)", node_command, cold)
        node_warm = startups("node (restart)", node_command, [cold[0]] * STARTUP_RUNS)
        bare = [tmp / f"bare-{i}" for i in range(STARTUP_RUNS)]
        base = startups("baseline", bare_command, bare)

        print(
            f"/healthz load ({CONNECTIONS} keep-alive connections in {LOAD_PROCESSES} "
            f"processes, {WARMUP_S:g} s warm-up, {DURATION_S:g} s measured):"
        )
        with (
            start("node", node_command, tmp / "node-load") as node_server,
            start("baseline", bare_command, tmp / "bare-load") as bare_server,
        ):
            node_load = load(node_server)
            base_load = load(bare_server)

    results: dict[str, float | int | str] = {
        "startup_s": median(node_cold),
        "startup_warm_s": median(node_warm),
        "baseline_startup_s": median(base),
        "startup_ratio": median(node_cold) / median(base),
        "healthz_rps": node_load.rps,
        "healthz_p50_ms": node_load.p50_ms,
        "healthz_p95_ms": node_load.p95_ms,
        "healthz_p99_ms": node_load.p99_ms,
        "healthz_errors": node_load.errors,
        "healthz_server_cpu": node_load.server_cpu,
        "healthz_client_cpu": node_load.client_cpu,
        "baseline_healthz_rps": base_load.rps,
        "baseline_healthz_p50_ms": base_load.p50_ms,
        "baseline_healthz_p95_ms": base_load.p95_ms,
        "baseline_healthz_p99_ms": base_load.p99_ms,
        "baseline_healthz_errors": base_load.errors,
        "baseline_healthz_server_cpu": base_load.server_cpu,
        "baseline_healthz_client_cpu": base_load.client_cpu,
        "rps_ratio": node_load.rps / base_load.rps,
        "load_connections": CONNECTIONS,
        "load_processes": LOAD_PROCESSES,
        "load_duration_s": DURATION_S,
        "startup_runs": STARTUP_RUNS,
        "loadavg_1m_before": loadavg,
    }
    # Rounded for reading; a figure this platform cannot measure (CPU without /proc) is left out.
    results = {
        k: round(v, 4) if isinstance(v, float) else v
        for k, v in results.items()
        if not isinstance(v, float) or math.isfinite(v)
    }
    print()
    print(
        table(
            [
                ("", "node", "baseline", "node/baseline"),
                ("start-up, fresh data dir (s)", *_row(median(node_cold), median(base), 3)),
                ("start-up, restart (s)", f"{median(node_warm):.3f}", "", ""),
                ("/healthz (req/s)", *_row(node_load.rps, base_load.rps, 0)),
                ("/healthz p50 (ms)", *_row(node_load.p50_ms, base_load.p50_ms, 2)),
                ("/healthz p95 (ms)", *_row(node_load.p95_ms, base_load.p95_ms, 2)),
                (
                    "server CPU under load (cores)",
                    *_row(node_load.server_cpu, base_load.server_cpu, 2),
                ),
            ]
        )
    )
    print(
        f"\nstartup_ratio {results['startup_ratio']:.2f} (node start-up / baseline), "
        f"rps_ratio {results['rps_ratio']:.2f} (node req/s / baseline req/s)"
    )
    print(
        "note: the node's /healthz checks its SQLite database (SELECT 1, reused for a second)\n"
        "and runs through FastAPI and the language middleware; the baseline is one async\n"
        "Starlette route that touches no database."
    )
    for result, name in ((node_load, "node"), (base_load, "baseline")):
        if result.server_cpu < SATURATED:
            print(
                f"warning: the {name} used {result.server_cpu:.2f} of a core under load, so it was "
                "not the only bottleneck: the load generator or other processes on this machine "
                "held it back",
                file=sys.stderr,
            )
    if node_load.errors or base_load.errors:
        print(f"warning: {node_load.errors + base_load.errors} requests failed", file=sys.stderr)
    print(f"wrote {write_results('node', results).relative_to(BENCH.parent)}")


def _row(node: float, base: float, digits: int) -> tuple[str, str, str]:
    return f"{node:.{digits}f}", f"{base:.{digits}f}", f"{node / base:.2f}"


if __name__ == "__main__":
    main()
