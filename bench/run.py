"""Run the benchmarks: every ``bench/<name>.py`` except this file and ``_``-prefixed helpers.

Usage: ``python bench/run.py [NAME ...]`` (``make bench`` runs them all; names pick a
subset, e.g. ``python bench/run.py node``).

The contract for a benchmark module ``bench/<name>.py``:

* it runs as a script (``if __name__ == "__main__": main()``); this runner starts each one
  as its own process with the same interpreter, from the repository root, one at a time,
  and streams its output as it comes;
* ``main()`` measures the thing and a baseline in the same run, on the same machine and
  process model, prints the figures and the ratio against the baseline, and writes
  ``bench/results/<name>.json`` through ``_common.write_results``: flat keys, each number
  in the unit its key names (``startup_s``, ``healthz_rps``, ``baseline_healthz_rps``,
  ``rps_ratio``);
* it exits non-zero when it cannot measure, and stops every process it started;
* it keeps to a minute or so on a two-core machine — except ``jobs_search``, whose figures
  the issue asks for at 1,000,000 vacancies: it generates and loads them into SQLite and
  PostgreSQL (about half an hour); ``python bench/jobs_search.py --vacancies 50000`` is the
  quick run, and ``--reuse`` measures again on the databases a ``--keep`` run left.

Shared helpers live in ``_``-prefixed modules (``_common.py``, ``_load.py``), which are
never run as benchmarks. Timing belongs here, never in the test suite.

The runner exits non-zero if any benchmark failed, or if a name given is not a benchmark.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def discover() -> list[str]:
    """Return the names of every benchmark module, sorted."""
    return sorted(
        path.stem
        for path in BENCH.glob("*.py")
        if path.name != Path(__file__).name and not path.name.startswith("_")
    )


def main(argv: list[str]) -> int:
    available = discover()
    unknown = [name for name in argv if name not in available]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}",
            file=sys.stderr,
        )
        return 2
    selected = argv or available
    outcomes: list[tuple[str, int, float]] = []
    for name in selected:
        print(f"=== bench/{name}.py ===", flush=True)
        started = time.perf_counter()
        try:
            code = subprocess.run(
                [sys.executable, str(BENCH / f"{name}.py")], cwd=ROOT, check=False
            ).returncode
        except KeyboardInterrupt:
            print(f"\ninterrupted during bench/{name}.py", file=sys.stderr)
            return 130
        outcomes.append((name, code, time.perf_counter() - started))
        print(flush=True)
    print("=== summary ===")
    for name, code, seconds in outcomes:
        print(f"{name:<20} {'ok' if code == 0 else f'FAILED (exit {code})':<18} {seconds:6.1f} s")
    return 1 if any(code for _, code, _ in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
