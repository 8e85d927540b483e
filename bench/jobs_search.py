"""Vacancy search at a million vacancies: our index on SQLite and PostgreSQL vs a Django board.

Generates a corpus of vacancies over the five states (``_jobs_corpus.py``: realistic
Russian and English titles, ISCO-08 codes, skewed distributions), loads it through the
real migrations into a SQLite file and into a dedicated PostgreSQL database
(``jobs_bench``, dropped and created again), so the triggers of migration 0011 build the
search index exactly as they do for every other writer. Then, for the judged queries of
``jobs_search_queries.json`` (Russian and English text with filters, several asking in one
language for a state whose ads are mostly in the other):

* ``sqlite_*_ms`` / ``postgres_*_ms``: :func:`eaeu.services.jobs.search.search_session` —
  the whole page as the portal shows it (20 hits with their fields, the capped total);
* ``baseline_*_ms``: what a typical Django job board does with PostgreSQL full text — a
  ``SearchVectorField`` (stored ``tsvector``, ``russian`` configuration, title and
  description) with a GIN index on the same table, ``plainto_tsquery``, the same filters,
  ``ORDER BY ts_rank`` over every match, first 20; ``baseline_with_count_p95_ms`` adds the
  ``COUNT(*)`` its paginator runs;
* ``ndcg10`` / ``baseline_ndcg10``: mean nDCG@10 over the judged queries, grades from the
  generator's ground truth (2: the query's occupation, 1: a related one); ``recall100`` and
  ``baseline_recall100``: the share of the top 100 relevant vacancies each returns in its
  first 100.

Goals: p95 ≤ 50 ms on both engines, ≥ 5x faster than the baseline at p95.

Usage: ``python bench/jobs_search.py [--vacancies N] [--rounds R] [--keep] [--reuse]
[--per-query]`` (``--per-query`` prints each query's p50 and max, slowest first);
``EAEU_BENCH_POSTGRES`` names the server (default ``postgresql://postgres@127.0.0.1:5432``).
The default is the full million, which takes a while to load (``--vacancies 50000`` for a
quick run); ``--reuse`` keeps loaded databases of the same size for the next run.
Writes ``bench/results/jobs_search.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import psycopg
from sqlalchemy.orm import Session

from _common import BENCH, percentile, table, write_results
from _jobs_corpus import TODAY, Truth, generate
from eaeu.kernel.log import configure_logging
from eaeu.services.jobs.model import normalise_title
from eaeu.services.jobs.search import search_session
from eaeu.services.jobs.search_query import SearchQuery
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine

SERVER = os.environ.get("EAEU_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE = "jobs_bench"
SQLITE_FILE = Path(
    os.environ.get("EAEU_BENCH_SQLITE", "/tmp/eaeu_jobs_bench.sqlite")  # noqa: S108 - a scratch file
)
QUERIES = BENCH / "jobs_search_queries.json"
COLUMNS = [
    "id",
    "origin",
    "source",
    "source_id",
    "title",
    "title_norm",
    "description",
    "isco",
    "employer_ref",
    "employer_name",
    "is_agency",
    "agency_licence",
    "region",
    "locality",
    "salary_min",
    "salary_max",
    "currency",
    "salary_period",
    "salary_ref",
    "employment_type",
    "schedule",
    "education",
    "experience_years",
    "languages",
    "housing",
    "eaeu_open",
    "positions",
    "posted",
    "valid_through",
    "last_confirmed",
    "status",
    "dedup_key",
    "url",
    "seq",
    "updated_at",
]
BATCH = 20000


def corpus(count: int) -> tuple[list[tuple[object, ...]], dict[str, Truth]]:
    rows: list[tuple[object, ...]] = []
    truth: dict[str, Truth] = {}
    for row, known in generate(count):
        row["title_norm"] = normalise_title(str(row["title"]))[:200]
        rows.append(tuple(row[name] for name in COLUMNS))
        truth[str(row["id"])] = known
    # Vacancies reach a node in the order they are posted; so does the load.
    posted = COLUMNS.index("posted")
    rows.sort(key=lambda row: (row[posted], row[0]))
    return rows, truth


def _marker(path_or_db: str, count: int) -> str:
    return f"{path_or_db}:{count}"


def load_sqlite(rows: list[tuple[object, ...]], *, reuse: bool) -> str:
    url = f"sqlite:///{SQLITE_FILE}"
    marker = SQLITE_FILE.with_suffix(".loaded")
    if reuse and marker.exists() and marker.read_text() == str(len(rows)):
        return url
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    started = time.perf_counter()
    connection = sqlite3.connect(SQLITE_FILE)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-400000")
    names, marks = ", ".join(COLUMNS), ", ".join("?" for _ in COLUMNS)
    insert = f"INSERT INTO jobs_vacancies ({names}) VALUES ({marks})"  # noqa: S608 - constants
    for start in range(0, len(rows), BATCH):
        batch = [_sqlite_row(row) for row in rows[start : start + BATCH]]
        connection.executemany(insert, batch)
        connection.commit()
    connection.execute("INSERT INTO jobs_search_fts(jobs_search_fts) VALUES ('optimize')")
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()
    print(f"sqlite: loaded {len(rows)} in {time.perf_counter() - started:.0f} s", flush=True)
    marker.write_text(str(len(rows)))
    return url


def _sqlite_row(row: tuple[object, ...]) -> tuple[object, ...]:
    return tuple(
        value.isoformat(sep=" ") if hasattr(value, "tzinfo") else
        value.isoformat() if hasattr(value, "isoformat") else value
        for value in row
    )  # fmt: skip


def load_postgres(rows: list[tuple[object, ...]], *, reuse: bool) -> str:
    url = f"{SERVER}/{DATABASE}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
        ).fetchone()
        if exists and reuse:
            with psycopg.connect(url) as probe:
                try:
                    loaded = probe.execute("SELECT value FROM bench_marker").fetchone()
                except psycopg.errors.UndefinedTable:
                    loaded = None
            if loaded and loaded[0] == str(len(rows)):
                return url
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    started = time.perf_counter()
    with psycopg.connect(url) as connection:
        # The baseline's SearchVectorField: a stored tsvector the database keeps current.
        connection.execute(
            "ALTER TABLE jobs_vacancies ADD COLUMN baseline_vector tsvector GENERATED ALWAYS AS "
            "(to_tsvector('russian', title || ' ' || description)) STORED"
        )
        with connection.cursor() as cursor:
            for start in range(0, len(rows), BATCH):
                with cursor.copy(f"COPY jobs_vacancies ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in rows[start : start + BATCH]:
                        copy.write_row(row)
                connection.commit()
        connection.execute(
            "CREATE INDEX ix_bench_baseline_vector ON jobs_vacancies USING gin (baseline_vector)"
        )
        connection.execute("CREATE TABLE bench_marker (value text)")
        connection.execute("INSERT INTO bench_marker VALUES (%s)", (str(len(rows)),))
        connection.commit()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    print(f"postgres: loaded {len(rows)} in {time.perf_counter() - started:.0f} s", flush=True)
    return url


def judged() -> list[tuple[SearchQuery, dict[str, object]]]:
    spec = json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]
    result = []
    for item in spec:
        query = SearchQuery(
            text=item["q"],
            countries=tuple(item.get("country", ())),
            housing=bool(item.get("housing")),
            salary_min=item.get("salary"),
            schedules=tuple(item.get("schedule", ())),
        )
        result.append((query, item))
    return result


def grade(truth: Truth, item: dict[str, object]) -> int:
    if truth.isco in item["relevant"]:  # type: ignore[operator]
        return 2
    return 1 if truth.isco in item["related"] else 0  # type: ignore[operator]


def passes(truth: Truth, query: SearchQuery) -> bool:
    return (
        truth.listed
        and (not query.countries or truth.origin in query.countries)
        and (not query.housing or truth.housing)
        and (not query.salary_min or (truth.salary_ref or 0) >= query.salary_min)
        and (not query.schedules or truth.schedule in query.schedules)
    )


def ideal(truth: dict[str, Truth], query: SearchQuery, item: dict[str, object]) -> list[int]:
    grades = sorted(
        (grade(known, item) for known in truth.values() if passes(known, query)), reverse=True
    )
    return [value for value in grades if value]


def ndcg(found: list[int], best: list[int], k: int = 10) -> float:
    def dcg(values: list[int]) -> float:
        return sum((2**value - 1) / math.log2(rank + 2) for rank, value in enumerate(values[:k]))

    top = dcg(best)
    return dcg(found) / top if top else 1.0


def recall(found: list[int], best: list[int], k: int = 100) -> float:
    wanted = min(k, len(best))
    return min(wanted, sum(1 for value in found[:k] if value)) / wanted if wanted else 1.0


BASELINE = """
SELECT v.id, ts_rank(v.baseline_vector, q) AS rank
FROM jobs_vacancies AS v, plainto_tsquery('russian', %(text)s) AS q
WHERE v.baseline_vector @@ q AND v.status = 'active'
  AND v.valid_through >= %(today)s AND v.last_confirmed >= %(cutoff)s {filters}
ORDER BY rank DESC LIMIT %(limit)s
"""
BASELINE_COUNT = """
SELECT count(*) FROM jobs_vacancies AS v, plainto_tsquery('russian', %(text)s) AS q
WHERE v.baseline_vector @@ q AND v.status = 'active'
  AND v.valid_through >= %(today)s AND v.last_confirmed >= %(cutoff)s {filters}
"""


def baseline(
    connection: psycopg.Connection, query: SearchQuery, limit: int, *, count: bool
) -> list[str]:
    filters = ""
    params: dict[str, object] = {
        "text": query.text,
        "today": TODAY,
        "cutoff": TODAY - timedelta(days=90),
        "limit": limit,
    }
    if query.countries:
        filters += " AND v.origin = ANY(%(countries)s)"
        params["countries"] = list(query.countries)
    if query.housing:
        filters += " AND v.housing"
    if query.salary_min:
        filters += " AND v.salary_ref >= %(salary)s"
        params["salary"] = query.salary_min
    if query.schedules:
        filters += " AND v.schedule = ANY(%(schedules)s)"
        params["schedules"] = list(query.schedules)
    found = [row[0] for row in connection.execute(BASELINE.format(filters=filters), params)]
    if count:
        connection.execute(BASELINE_COUNT.format(filters=filters), params).fetchone()
    return found


def measure(
    session: Session, queries: list[SearchQuery], rounds: int, *, name: str = "", each: bool = False
) -> list[float]:
    for query in queries:  # warm-up: caches and the ISCO catalogue
        search_session(session, query, today=TODAY)
        session.rollback()
    times = []
    per_query: dict[int, list[float]] = {n: [] for n in range(len(queries))}
    for _ in range(rounds):
        for n, query in enumerate(queries):
            started = time.perf_counter()
            search_session(session, query, today=TODAY)
            session.rollback()  # a search is one transaction, as on the portal
            per_query[n].append((time.perf_counter() - started) * 1000)
            times.append(per_query[n][-1])
    if each:
        slowest = sorted(per_query, key=lambda n: -percentile(per_query[n], 50))
        for n in slowest:
            query = queries[n]
            print(
                f"{name:8} p50 {percentile(per_query[n], 50):7.1f}  max {max(per_query[n]):7.1f}"
                f"  {query.text!r} {','.join(query.countries)}"
                f"{' housing' if query.housing else ''}"
                f"{f' salary>={query.salary_min}' if query.salary_min else ''}"
                f"{' ' + ','.join(query.schedules) if query.schedules else ''}"
            )
    return times


def measure_ours(
    url: str,
    cases: list[tuple[SearchQuery, dict[str, object]]],
    truth: dict[str, Truth],
    rounds: int,
    name: str,
    *,
    each: bool = False,
) -> tuple[dict[str, float], list[list[int]]]:
    engine = make_engine(url)
    with Session(engine) as session:
        times = measure(session, [query for query, _ in cases], rounds, name=name, each=each)
        ranked = [
            [
                grade(truth[hit.vacancy_id], item)
                for hit in search_session(session, replace(query, per_page=100), today=TODAY).hits
            ]
            for query, item in cases
        ]
    engine.dispose()
    figures = {
        f"{name}_p50_ms": round(percentile(times, 50), 2),
        f"{name}_p95_ms": round(percentile(times, 95), 2),
        f"{name}_max_ms": round(max(times), 2),
    }
    return figures, ranked


def measure_baseline(
    url: str,
    cases: list[tuple[SearchQuery, dict[str, object]]],
    truth: dict[str, Truth],
    rounds: int,
) -> tuple[dict[str, float], list[list[int]]]:
    queries = [query for query, _ in cases]
    with psycopg.connect(url) as connection:
        for query in queries:
            baseline(connection, query, 20, count=False)
        plain, counted = [], []
        for _ in range(rounds):
            for query in queries:
                began = time.perf_counter()
                baseline(connection, query, 20, count=False)
                plain.append((time.perf_counter() - began) * 1000)
                began = time.perf_counter()
                baseline(connection, query, 20, count=True)
                counted.append((time.perf_counter() - began) * 1000)
        ranked = [
            [grade(truth[vid], item) for vid in baseline(connection, query, 100, count=False)]
            for query, item in cases
        ]
    figures = {
        "baseline_p50_ms": round(percentile(plain, 50), 2),
        "baseline_p95_ms": round(percentile(plain, 95), 2),
        "baseline_with_count_p95_ms": round(percentile(counted, 95), 2),
    }
    return figures, ranked


def quality(ranked: list[list[int]], bests: list[list[int]], key: str) -> dict[str, float]:
    pairs = list(zip(ranked, bests, strict=True))
    return {
        f"{key}ndcg10": round(sum(ndcg(found, best) for found, best in pairs) / len(pairs), 4),
        f"{key}recall100": round(sum(recall(found, best) for found, best in pairs) / len(pairs), 4),
    }


def report(results: dict[str, float | int | str]) -> None:
    rows = [["engine", "p50 ms", "p95 ms", "nDCG@10", "recall@100"]]
    for label, prefix, quality_key in (
        ("ours / SQLite FTS5", "sqlite_", "sqlite_"),
        ("ours / PostgreSQL", "postgres_", ""),
        ("baseline (Django ts_rank)", "baseline_", "baseline_"),
    ):
        rows.append(
            [
                label,
                str(results[f"{prefix}p50_ms"]),
                str(results[f"{prefix}p95_ms"]),
                str(results[f"{quality_key}ndcg10"]),
                str(results[f"{quality_key}recall100"]),
            ]
        )
    print(table(rows))
    print(
        f"speed-up at p95: SQLite {results['speedup_p95_sqlite']}x, "
        f"PostgreSQL {results['speedup_p95_postgres']}x (goal 5x, p95 <= 50 ms)"
    )


def drop_databases() -> None:
    for suffix in ("", "-wal", "-shm", ".loaded", ".migrate-lock"):
        Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vacancies", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="reuse databases of the same size")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--per-query", action="store_true", help="print each query's timings")
    args = parser.parse_args()
    configure_logging("WARNING")  # a benchmark measures work, not log lines
    started = time.perf_counter()
    rows, truth = corpus(args.vacancies)
    print(f"generated {len(rows)} vacancies in {time.perf_counter() - started:.0f} s", flush=True)
    sqlite_url = load_sqlite(rows, reuse=args.reuse)
    postgres_url = load_postgres(rows, reuse=args.reuse)
    del rows
    cases = judged()
    results: dict[str, float | int | str] = {"vacancies": args.vacancies, "queries": len(cases)}
    sqlite_figures, sqlite_ranked = measure_ours(
        sqlite_url, cases, truth, args.rounds, "sqlite", each=args.per_query
    )
    postgres_figures, postgres_ranked = measure_ours(
        postgres_url, cases, truth, args.rounds, "postgres", each=args.per_query
    )
    baseline_figures, baseline_ranked = measure_baseline(postgres_url, cases, truth, args.rounds)
    bests = [ideal(truth, query, item) for query, item in cases]
    results |= sqlite_figures | postgres_figures | baseline_figures
    results |= quality(postgres_ranked, bests, "") | quality(sqlite_ranked, bests, "sqlite_")
    results |= quality(baseline_ranked, bests, "baseline_")
    for name in ("sqlite", "postgres"):
        results[f"speedup_p95_{name}"] = round(
            baseline_figures["baseline_p95_ms"] / results[f"{name}_p95_ms"],
            1,  # type: ignore[operator]
        )
    results["load_average_1m"] = round(os.getloadavg()[0], 2)  # 2 shared cores: context
    results["goal_p95_ms"] = 50
    results["goal_speedup"] = 5
    report(results)
    print(f"wrote {write_results('jobs_search', results)}")
    if not args.keep and not args.reuse:
        drop_databases()


if __name__ == "__main__":
    try:
        main()
    except (psycopg.Error, sqlite3.Error) as exc:
        print(f"cannot measure: {exc}", file=sys.stderr)
        sys.exit(1)
