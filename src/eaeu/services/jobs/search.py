"""Union-wide vacancy search over the local replica: SQLite FTS5 or PostgreSQL full text.

One interface, :meth:`SearchIndex.search`, over the index that migration 0011's triggers
keep (``jobs_search_docs`` plus FTS5 or a ``tsvector``; see :mod:`.search_orm`). A query
becomes one boolean match expression (:class:`_Expr`) rendered for either engine: words
as stemmed prefixes limited to the title, the place or any field; filters as indexed
filter words (``xcru``, ``xo83``, ``xh1``, ``xs50``…); occupations as ISCO-08 codes.

Speed at a million vacancies comes from never ranking every match:

* every retrieval walks ``docid`` — posting date — backwards and stops at a limit, which
  FTS5 does natively (``ORDER BY rowid DESC``) and PostgreSQL does with its primary key or
  a small sort of a GIN bitmap;
* relevance is a small number of tiers — the title has every word *and* the vacancy is in
  an occupation the words name; the occupation only (this is what finds ads written in
  the other language); the title only; the words anywhere — each retrieved newest first
  up to the page's end, merged and ordered in Python; within a tier the newest comes
  first. A tier above with enough results makes the ones below irrelevant, so the first
  :data:`~.search_query.MAX_RESULTS` results are the same as if every match were ranked;
* the total is counted up to :data:`~.search_query.MAX_RESULTS` + 1 ("1,000+");
* salary order probes the indexed pay thresholds from the top, so only the vacancies above
  the threshold that fills the page are sorted.

Only *listed* vacancies are returned: active (the index holds nothing else), not expired,
and confirmed within the last 90 days.
"""

# SQL is assembled from fixed fragments; every value (the match expression too) is bound.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from eaeu.exchange.node import Handler
from eaeu.kernel.log import get_logger
from eaeu.services.jobs.context import JobsContext
from eaeu.services.jobs.orm import VacancyRow
from eaeu.services.jobs.search_query import (
    MAX_RESULTS,
    Analysis,
    SearchHit,
    SearchPage,
    SearchQuery,
    analyse,
)
from eaeu.services.jobs.search_text import MIN_PREFIX, stems

log = get_logger("eaeu.services.jobs.search")

#: Monthly pay thresholds (thousands of roubles) indexed as ``xs<N>`` — migration 0011.
SALARY_STEPS: Final = (20, 30, 40, 50, 60, 70, 80, 100, 120, 150, 200, 250, 300)
#: Prefix lengths the FTS5 table indexes (migration 0011).
FTS5_PREFIXES: Final = (6, 8)
#: PostgreSQL walks this many of the newest vacancies in posting order before it asks GIN.
PG_WINDOW: Final = 10_000
#: Days a vacancy stays listed after its last confirmation.
RECONFIRM_DAYS: Final = 90
# The fewest candidates fetched per relevance tier (a page needs far fewer).
_MIN_CANDIDATES: Final = 20
# Tier weights: title words, occupation (times its score), words anywhere.
_TITLE: Final = 3.0
_OCCUPATION: Final = 2.5
_TEXT: Final = 1.0


# --- match expressions -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Expr:
    """A boolean match expression: ``op`` is ``word``, ``tag``, ``and`` or ``or``."""

    op: str
    value: str = ""
    where: str = "any"  # for words: title, place or any
    parts: tuple[_Expr, ...] = ()

    def fts5(self) -> str:
        """The expression in FTS5 query syntax."""
        if self.op == "tag":
            return f'tags : "{self.value}"'
        if self.op == "word":
            # Any field needs no column filter (which costs FTS5 time): filter words are "x"
            # and a code, which no word of a query turns into.
            columns = {"title": "{title} : ", "place": "{place} : ", "any": ""}
            if len(self.value) < MIN_PREFIX:
                return f'{columns[self.where]}"{self.value}"'
            return f'{columns[self.where]}"{_indexed_prefix(self.value)}"*'
        joiner = " AND " if self.op == "and" else " OR "
        return "(" + joiner.join(part.fts5() for part in self.parts) + ")"

    def tsquery(self) -> str:
        """The expression in PostgreSQL ``to_tsquery`` syntax."""
        if self.op == "tag":
            return f"'{self.value}'"
        if self.op == "word":
            # Any field needs no weight: filter words start with "x" and a digit-bearing
            # code, and leaving weights out spares PostgreSQL a recheck of every row.
            weights = {"title": "A", "place": "B", "any": ""}[self.where]
            star = "*" if len(self.value) >= MIN_PREFIX else ""
            suffix = f":{star}{weights}" if star or weights else ""
            return f"'{self.value}'{suffix}"
        joiner = " & " if self.op == "and" else " | "
        return "(" + joiner.join(part.tsquery() for part in self.parts) + ")"


def _indexed_prefix(stem: str) -> str:
    """The stem cut to the longest prefix FTS5 indexes (migration 0011: 6 and 8 letters).

    A prefix the index holds is read as one list, newest first, and can stop early; any
    other prefix makes FTS5 merge the lists of every word it begins. Cutting «водител» to
    «водите» or «программист» to «программ» finds the same words in practice.
    """
    fitting = [length for length in FTS5_PREFIXES if length <= len(stem)]
    return stem[: fitting[-1]] if fitting else stem


def _all(parts: Sequence[_Expr | None]) -> _Expr | None:
    kept = tuple(part for part in parts if part is not None)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else _Expr("and", parts=kept)


def _any(parts: Sequence[_Expr]) -> _Expr | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else _Expr("or", parts=tuple(parts))


def _words(items: Sequence[str], where: str) -> _Expr | None:
    return _all([_Expr("word", item, where) for item in items])


def _filters(query: SearchQuery) -> _Expr | None:
    """The filters of ``query`` as indexed filter words and place words."""
    parts: list[_Expr | None] = [
        _any([_Expr("tag", f"xc{code.lower()}") for code in query.countries]),
        _Expr("tag", f"xo{query.occupation}") if query.occupation else None,
        _Expr("tag", "xh1") if query.housing else None,
        _Expr("tag", "xe1") if query.eaeu_open else None,
        _any([_Expr("tag", "xt" + item.replace("_", "")) for item in query.employment_types]),
        _any([_Expr("tag", "xw" + item.replace("_", "")) for item in query.schedules]),
        _words(stems(query.place), "place"),
    ]
    if query.salary_min:
        steps = [step for step in SALARY_STEPS if step * 1000 <= query.salary_min]
        if steps:
            parts.append(_Expr("tag", f"xs{steps[-1]}"))
    return _all(parts)


@dataclass(frozen=True, slots=True)
class _Plan:
    """The retrievals of one query: (tier name, expression) pairs, best tier first."""

    tiers: tuple[tuple[str, _Expr | None], ...]
    everything: _Expr | None  # every match, for the count and the other sorts
    analysis: Analysis


def _plan(query: SearchQuery) -> _Plan:
    analysis = analyse(query.text)
    filters = _filters(query)
    if not analysis.stems:
        return _Plan((("all", filters),), filters, analysis)
    title = _words(analysis.stems, "title")
    anywhere = _words(analysis.stems, "any")
    codes = _any([_Expr("tag", f"xo{code}") for code in analysis.codes])
    free = _words(analysis.free, "any")
    by_code = _all([codes, free]) if codes else None
    tiers: list[tuple[str, _Expr | None]] = []
    if by_code is not None:
        tiers += [("title+occupation", _all([title, codes, filters]))]
        tiers += [("occupation", _all([by_code, filters]))]
    tiers += [("title", _all([title, filters])), ("text", _all([anywhere, filters]))]
    matches = anywhere if by_code is None else _any([anywhere, by_code])  # type: ignore[list-item]
    return _Plan(tuple(tiers), _all([matches, filters]), analysis)


# --- engines ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    docid: int
    vacancy_id: str
    isco: str | None
    salary_ref: int | None


class _Engine:
    """Runs retrievals on one engine."""

    name = ""
    count_order = "newest"

    def __init__(self, session: Session, today: date) -> None:
        self.session = session
        self.today = today

    def _listed(self, query: SearchQuery) -> str:
        salary = " AND d.salary_ref >= :salary" if query.salary_min else ""
        return f"d.valid_through >= :today AND d.last_confirmed >= :cutoff{salary}"

    def _params(self, query: SearchQuery) -> dict[str, Any]:
        cutoff = self.today - timedelta(days=RECONFIRM_DAYS)
        params = {"today": self._date(self.today), "cutoff": self._date(cutoff)}
        if query.salary_min:
            params["salary"] = query.salary_min
        params.update({f"c{n}": code for n, code in enumerate(query.countries)})
        return params

    def _date(self, day: date) -> Any:
        return day

    def _sql(self, expr: _Expr | None, query: SearchQuery, order: str) -> str:
        raise NotImplementedError

    def retrieve(
        self,
        expr: _Expr | None,
        query: SearchQuery,
        limit: int,
        *,
        order: str = "newest",
        offset: int = 0,
    ) -> list[_Candidate]:
        """The newest (or best-paid) ``limit`` listed matches of ``expr`` after ``offset``."""
        sql = self._sql(expr, query, order) + " LIMIT :limit OFFSET :offset"
        params = {**self._params(query), "limit": limit, "offset": offset, **self._match(expr)}
        rows = self.session.execute(text(sql), params).all()
        return [_Candidate(row[0], row[1], row[2], row[3]) for row in rows]

    def count(self, expr: _Expr | None, query: SearchQuery, cap: int) -> int:
        """How many listed vacancies match ``expr``, counted up to ``cap``."""
        inner = self._sql(expr, query, self.count_order) + " LIMIT :limit"
        params = {**self._params(query), "limit": cap, "offset": 0, **self._match(expr)}
        return int(
            self.session.execute(text(f"SELECT count(*) FROM ({inner}) AS m"), params).scalar_one()
        )

    def _match(self, expr: _Expr | None) -> dict[str, str]:
        raise NotImplementedError


class _Sqlite(_Engine):
    # Newest first when counting: the oldest indexed vacancies are the likeliest expired.
    name = "sqlite"

    def _date(self, day: date) -> Any:
        return day.isoformat()

    def _match(self, expr: _Expr | None) -> dict[str, str]:
        return {} if expr is None else {"match": expr.fts5()}

    def _sql(self, expr: _Expr | None, query: SearchQuery, order: str) -> str:
        columns = "d.docid, d.vacancy_id, d.isco, d.salary_ref"
        orders = {
            "newest": " ORDER BY d.docid DESC",
            "salary": " ORDER BY d.salary_ref IS NULL, d.salary_ref DESC, d.docid DESC",
            "none": "",
        }
        listed = self._listed(query)
        if expr is None:
            return f"SELECT {columns} FROM jobs_search_docs AS d WHERE {listed}{orders[order]}"
        # CROSS JOIN keeps FTS5 as the outer loop, walking its rowids newest first.
        fts_order = {"newest": " ORDER BY f.rowid DESC", "salary": orders["salary"], "none": ""}
        return (
            f"SELECT {columns} FROM jobs_search_fts AS f CROSS JOIN jobs_search_docs AS d"
            f" ON d.docid = f.rowid WHERE jobs_search_fts MATCH :match AND {self._listed(query)}"
            f"{fts_order[order]}"
        )


class _Postgres(_Engine):
    """PostgreSQL: GIN finds the matches, but cannot return them newest first.

    For a common word a GIN bitmap holds tens of thousands of rows, each to be read from
    the table before the newest can be picked. So the newest are first looked for by
    walking the primary key backwards over the newest :data:`PG_WINDOW` vacancies (rows in
    posting order, read page after page) and checking each; only when that finds too few —
    the words are rare there, so GIN's bitmap is small — does GIN answer. Counting goes
    through GIN's bitmap, reading the table only until the cap.
    """

    name = "postgresql"
    count_order = "none"

    def __init__(self, session: Session, today: date) -> None:
        super().__init__(session, today)
        # For this search's transaction: a scan in table order, which the planner likes
        # for words it thinks common, would read every row that does not match; parallel
        # workers cost more to start than these small walks take.
        session.execute(
            text(
                "SELECT set_config('enable_seqscan', 'off', true),"
                " set_config('max_parallel_workers_per_gather', '0', true)"
            )
        )

    def retrieve(
        self,
        expr: _Expr | None,
        query: SearchQuery,
        limit: int,
        *,
        order: str = "newest",
        offset: int = 0,
    ) -> list[_Candidate]:
        """As :meth:`_Engine.retrieve`, newest first through the window when it can."""
        if order == "newest" and expr is not None:
            window = self._window(self._sql(expr, query, order), query)
            params = {
                **self._params(query),
                **self._match(expr),
                "limit": limit,
                "offset": offset,
                "window": PG_WINDOW,
            }
            rows = self.session.execute(text(window + " LIMIT :limit OFFSET :offset"), params)
            found = [_Candidate(row[0], row[1], row[2], row[3]) for row in rows]
            if len(found) == limit:
                return found
        return super().retrieve(expr, query, limit, order=order, offset=offset)

    def count(self, expr: _Expr | None, query: SearchQuery, cap: int) -> int:
        """As :meth:`_Engine.count`, but a common match is capped from the window alone.

        When the newest :data:`PG_WINDOW` vacancies hold ``cap`` matches, or so many that
        the whole index holds at least twice ``cap`` at that rate, the total is past the
        cap and GIN's bitmap of every match is never built.
        """
        if expr is not None:
            inner = self._window(self._sql(expr, query, "newest"), query) + " LIMIT :limit"
            params = {**self._params(query), **self._match(expr), "limit": cap}
            params["window"] = PG_WINDOW
            sql = (
                f"SELECT (SELECT count(*) FROM ({inner}) AS m),"
                " (SELECT reltuples FROM pg_class WHERE oid = 'jobs_search_docs'::regclass)"
            )
            seen, size = self.session.execute(text(sql), params).one()
            if seen >= cap or (size > PG_WINDOW and seen * size / PG_WINDOW >= 2 * cap):
                return cap
        return super().count(expr, query, cap)

    def _window(self, sql: str, query: SearchQuery) -> str:
        # coalesce() hides the column from GIN, so an index walks the window: the primary
        # key, or (origin, docid) for the newest vacancies of the countries asked for.
        sql = sql.replace("d.document @@", "coalesce(d.document, ''::tsvector) @@")
        if not query.countries:
            return sql.replace(" WHERE ", f" WHERE d.docid >= ({_PG_FLOOR}) AND ", 1)
        ranges = " OR ".join(
            f"(d.origin = :c{n} AND d.docid >= ({_PG_COUNTRY_FLOOR.replace(':c', f':c{n}')}))"
            for n in range(len(query.countries))
        )
        window = f" WHERE ({ranges}) AND "
        return sql.replace(" WHERE ", window, 1)

    def _match(self, expr: _Expr | None) -> dict[str, str]:
        return {} if expr is None else {"match": expr.tsquery()}

    def _sql(self, expr: _Expr | None, query: SearchQuery, order: str) -> str:
        orders = {
            "newest": " ORDER BY d.docid DESC",
            "salary": " ORDER BY d.salary_ref DESC NULLS LAST, d.docid DESC",
            "none": "",
        }
        where = self._listed(query)
        if expr is not None:
            where = f"d.document @@ to_tsquery('simple', :match) AND {where}"
        return (
            f"SELECT d.docid, d.vacancy_id, d.isco, d.salary_ref FROM jobs_search_docs AS d"
            f" WHERE {where}{orders[order]}"
        )


_PG_COUNTRY_FLOOR: Final = (
    "SELECT coalesce(min(docid), 0) FROM (SELECT docid FROM jobs_search_docs"
    " WHERE origin = :c ORDER BY docid DESC LIMIT :window) AS newest"
)
_PG_FLOOR: Final = (
    "SELECT coalesce(min(docid), 0) FROM (SELECT docid FROM jobs_search_docs"
    " ORDER BY docid DESC LIMIT :window) AS newest"
)


# --- the index -------------------------------------------------------------------------


class SearchIndex:
    """Union-wide vacancy search over the local replica (SQLite FTS5 or PostgreSQL full text)."""

    def __init__(self, ctx: JobsContext) -> None:
        self.ctx = ctx

    def handlers(self) -> dict[str, Handler]:
        """The exchange handlers of this part (none: search is local)."""
        return {}

    def search(self, query: SearchQuery, *, today: date | None = None) -> SearchPage:
        """One page of listed vacancies matching ``query``.

        Args:
            query: the search.
            today: the day that decides what is listed (the node's clock by default).
        """
        day = today or self.ctx.clock.now().date()
        with self.ctx.uow() as uow:
            return search_session(uow.session, query, today=day)


def search_session(session: Session, query: SearchQuery, *, today: date) -> SearchPage:
    """:meth:`SearchIndex.search` within an open session (for callers that have one)."""
    engine_class = _Postgres if session.get_bind().dialect.name == "postgresql" else _Sqlite
    engine = engine_class(session, today)
    plan = _plan(query)
    end = query.offset + query.per_page
    page: list[tuple[_Candidate, tuple[str, ...]]]
    if query.sort == "relevance" and plan.analysis.stems:
        page = _by_relevance(engine, plan, query, end)[query.offset : end]
    elif query.sort == "salary":
        page = _by_salary(engine, plan.everything, query, end)
    else:
        found = engine.retrieve(plan.everything, query, query.per_page, offset=query.offset)
        page = [(candidate, ()) for candidate in found]
    if query.offset == 0 and len(page) < query.per_page:
        total = len(page)
    else:
        total = engine.count(plan.everything, query, MAX_RESULTS + 1)
    hits = _hydrate(session, page)
    log.debug("jobs.search.done", engine=engine.name, hits=len(hits), total=total)
    return SearchPage(
        query=query,
        hits=tuple(hits),
        total=min(total, MAX_RESULTS),
        capped=total > MAX_RESULTS,
        codes=tuple(plan.analysis.codes),
        engine=engine.name,
    )


def _by_relevance(
    engine: _Engine, plan: _Plan, query: SearchQuery, end: int
) -> list[tuple[_Candidate, tuple[str, ...]]]:
    limit = max(end, _MIN_CANDIDATES)
    codes = plan.analysis.codes
    found: dict[int, tuple[_Candidate, set[str]]] = {}
    enough = 0
    for name, expr in plan.tiers:
        if enough >= end:
            break  # the tiers above fill every place up to this page's end
        got = engine.retrieve(expr, query, limit)
        for candidate in got:
            entry = found.setdefault(candidate.docid, (candidate, set()))
            entry[1].update(name.split("+"))
        if name in {"title+occupation", "title"}:
            enough = max(enough, len(got))

    def score(entry: tuple[_Candidate, set[str]]) -> tuple[float, int]:
        candidate, why = entry
        value = _TITLE if "title" in why else 0.0
        value += _OCCUPATION * codes.get(candidate.isco or "", 0.0)
        value += _TEXT if why & {"title", "text"} else 0.0
        return (round(value, 6), candidate.docid)

    ranked = sorted(found.values(), key=score, reverse=True)
    result = []
    for candidate, why in ranked:
        matched = ["title"] if "title" in why else []
        if candidate.isco in codes:
            matched.append("occupation")
        if "text" in why and "title" not in why:
            matched.append("text")
        result.append((candidate, tuple(matched)))
    return result


def _by_salary(
    engine: _Engine, everything: _Expr | None, query: SearchQuery, end: int
) -> list[tuple[_Candidate, tuple[str, ...]]]:
    # The highest threshold above which at least ``end`` vacancies are paid holds the
    # page: sorting only those is exact.
    floor = query.salary_min or 0
    for step in reversed(SALARY_STEPS):
        if step * 1000 <= floor:
            break
        narrowed = _all([everything, _Expr("tag", f"xs{step}")])
        if engine.count(narrowed, query, end) >= end:
            found = engine.retrieve(
                narrowed, query, query.per_page, order="salary", offset=query.offset
            )
            return [(candidate, ()) for candidate in found]
    found = engine.retrieve(everything, query, query.per_page, order="salary", offset=query.offset)
    return [(candidate, ()) for candidate in found]


def _hydrate(session: Session, page: list[tuple[_Candidate, tuple[str, ...]]]) -> list[SearchHit]:
    if not page:
        return []
    ids = [candidate.vacancy_id for candidate, _ in page]
    rows = {
        row.id: row for row in session.scalars(select(VacancyRow).where(VacancyRow.id.in_(ids)))
    }
    hits = []
    for candidate, matched in page:
        row = rows.get(candidate.vacancy_id)
        if row is None:  # pragma: no cover - removed between the two statements
            continue
        hits.append(
            SearchHit(
                vacancy_id=row.id,
                title=row.title,
                employer_name=row.employer_name,
                is_agency=row.is_agency,
                origin=row.origin,
                region=row.region,
                locality=row.locality,
                isco=row.isco,
                salary_min=row.salary_min,
                salary_max=row.salary_max,
                currency=row.currency,
                salary_period=row.salary_period,
                employment_type=row.employment_type,
                schedule=row.schedule,
                housing=row.housing,
                eaeu_open=row.eaeu_open,
                posted=row.posted,
                last_confirmed=row.last_confirmed,
                matched=matched,
            )
        )
    return hits


__all__ = [
    "SALARY_STEPS",
    "SearchHit",
    "SearchIndex",
    "SearchPage",
    "SearchQuery",
    "search_session",
]
