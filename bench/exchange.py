"""Exchange overhead: a signed, logged, receipted round trip against a plain HTTP call.

Two real node processes, KZ and RU, each with its own SQLite database, under a fresh local
union. KZ's operator API times, inside the KZ process, either a synchronous exchange
request to RU (``exchange.ping``: envelope signed by KZ, verified, logged and processed
exactly once by RU, signed receipt and signed response bound to the request, both verified
and logged by KZ) or the same JSON payload as a plain HTTP POST to RU's echo endpoint over
the same kind of pooled keep-alive client. The two calls alternate, so any drift of the
machine hits both. ``overhead_ratio`` = exchange p50 / plain p50 (goal ≤ 1.5).

Throughput: ``THREADS`` concurrent callers of KZ's ping API for ``DURATION_S`` seconds
(both nodes share the machine's two cores with the load generator).

Outbox drain: ``DRAIN_MESSAGES`` asynchronous messages queued in KZ's outbox on a
PostgreSQL database (when ``EAEU_TEST_POSTGRES_URL`` names a server), delivered to RU by
two ``eaeu exchange worker`` processes claiming with ``FOR UPDATE SKIP LOCKED``.

Writes ``bench/results/exchange.json``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from _common import clean_env, free_port, percentile, serve, table, write_results
from eaeu.bootstrap import build
from eaeu.kernel.clock import SystemClock
from eaeu.kernel.settings import DEVELOPMENT_SECRET, Settings
from eaeu.kernel.states import STATE_CODES
from eaeu.testing import postgres_database
from eaeu.trust.union import init_union

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "400"))
WARMUP = 40
THREADS = 4
DURATION_S = 5.0
DRAIN_MESSAGES = 500
WORKERS = 2


def node_command(state: str, port: int, data_dir: Path) -> list[str]:
    return [
        sys.executable,
        *("-m", "eaeu", "node", "serve", "--state", state),
        *("--port", str(port), "--data-dir", str(data_dir)),
    ]


def make_union(data_dir: Path, ports: dict[str, int]) -> None:
    endpoints = {code: f"http://127.0.0.1:{ports[code]}" for code in STATE_CODES}
    init_union(
        data_dir,
        passphrase=DEVELOPMENT_SECRET.encode(),
        now=SystemClock().now(),
        endpoints=endpoints,
    )


def timed_pings(client: httpx.Client, kz: str) -> tuple[list[float], list[float]]:
    exchange, plain = [], []
    for i in range(WARMUP + ROUNDS):
        for is_plain, sink in ((False, exchange), (True, plain)):
            reply = client.post(f"{kz}/api/v1/exchange/ping", json={"to": "RU", "plain": is_plain})
            reply.raise_for_status()
            if i >= WARMUP:
                sink.append(reply.json()["round_trip_ms"])
    return exchange, plain


def throughput(kz: str) -> float:
    done = [0] * THREADS
    deadline = time.perf_counter() + DURATION_S

    def work(index: int) -> None:
        with httpx.Client(timeout=30, trust_env=False) as client:
            while time.perf_counter() < deadline:
                client.post(f"{kz}/api/v1/exchange/ping", json={"to": "RU"}).raise_for_status()
                done[index] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


def drain(data_dir: Path, env: dict[str, str], admin_url: str) -> float | None:
    """Queue messages in a PostgreSQL-backed KZ outbox and time two workers draining it."""
    import subprocess  # noqa: PLC0415

    with postgres_database(admin_url) as url:
        settings = Settings(development=True, state="KZ", data_dir=data_dir, database_url=url)
        platform = build(settings)
        node = platform.exchange
        if node is None:
            msg = "the KZ node has no exchange keys"
            raise RuntimeError(msg)
        with node.uow() as uow:
            for _ in range(DRAIN_MESSAGES):
                node.enqueue(uow.session, "RU", "exchange", "exchange.ping", {"from": "KZ"})
            uow.commit()
        worker_env = {**env, "EAEU_DATABASE_URL": url, "EAEU_EXCHANGE_POLL_S": "0.05"}
        command = [sys.executable, "-m", "eaeu", "exchange", "worker", "--state", "KZ"]
        started = time.perf_counter()
        workers = [
            subprocess.Popen(
                [*command, "--data-dir", str(data_dir)],
                env=worker_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(WORKERS)
        ]
        try:
            deadline = time.perf_counter() + 300
            while time.perf_counter() < deadline:
                if node.outbox_summary()["delivered"] >= DRAIN_MESSAGES:
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            delivered = node.outbox_summary()["delivered"]
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=15)
            platform.close()
        if delivered < DRAIN_MESSAGES:
            print(f"outbox drain: only {delivered} of {DRAIN_MESSAGES} delivered", file=sys.stderr)
            return None
        # Subtract nothing: start-up of the worker processes (about a second) is included,
        # so the figure is a lower bound of the steady drain rate.
        return DRAIN_MESSAGES / elapsed


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="eaeu-bench-exchange-") as tmp:
        data_dir = Path(tmp) / "var"
        data_dir.mkdir()
        (data_dir / "DEVELOPMENT").write_text("bench\n", encoding="utf-8")
        ports = {code: free_port() for code in STATE_CODES}
        make_union(data_dir, ports)
        env = clean_env(EAEU_DEVELOPMENT="1", EAEU_DATA_DIR=str(data_dir))
        logs = Path(tmp)
        with (
            serve(
                "RU",
                node_command("RU", ports["RU"], data_dir),
                port=ports["RU"],
                log=logs / "ru.log",
                env=env,
            ),
            serve(
                "KZ",
                node_command("KZ", ports["KZ"], data_dir),
                port=ports["KZ"],
                log=logs / "kz.log",
                env=env,
            ) as kz,
            httpx.Client(timeout=30, trust_env=False) as client,
        ):
            exchange, plain = timed_pings(client, kz.url)
            rps = throughput(kz.url)
            admin = os.environ.get("EAEU_TEST_POSTGRES_URL")
            drain_rate = drain(data_dir, env, admin) if admin else None

    results: dict[str, float | int | str] = {
        "rounds": ROUNDS,
        "exchange_p50_ms": round(percentile(exchange, 50), 3),
        "exchange_p95_ms": round(percentile(exchange, 95), 3),
        "plain_p50_ms": round(percentile(plain, 50), 3),
        "plain_p95_ms": round(percentile(plain, 95), 3),
        "exchange_rps": round(rps, 1),
        "throughput_threads": THREADS,
    }
    results["overhead_ratio"] = round(results["exchange_p50_ms"] / results["plain_p50_ms"], 2)  # type: ignore[operator]
    if drain_rate is not None:
        results["outbox_drain_per_s"] = round(drain_rate, 1)
        results["outbox_drain_messages"] = DRAIN_MESSAGES
        results["outbox_drain_workers"] = WORKERS
    print(
        table(
            [
                ("", "p50 ms", "p95 ms"),
                (
                    "exchange (signed, logged, receipted)",
                    f"{results['exchange_p50_ms']}",
                    f"{results['exchange_p95_ms']}",
                ),
                (
                    "plain HTTP POST, same payload",
                    f"{results['plain_p50_ms']}",
                    f"{results['plain_p95_ms']}",
                ),
            ]
        )
    )
    print(
        f"overhead_ratio {results['overhead_ratio']} "
        "(goal <= 1.5; X-Road's published figures show about 9)"
    )
    print(
        f"exchange_rps {results['exchange_rps']} with {THREADS} concurrent callers of KZ's ping API"
    )
    if drain_rate is None:
        print("outbox drain: skipped (set EAEU_TEST_POSTGRES_URL to measure it on PostgreSQL)")
    else:
        print(f"outbox_drain_per_s {results['outbox_drain_per_s']} ({WORKERS} workers, PostgreSQL)")
    path = write_results("exchange", results)
    print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
