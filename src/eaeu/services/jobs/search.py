"""Union-wide vacancy search over the local replica: SQLite FTS5 or PostgreSQL full text.

One interface, :meth:`SearchIndex.search`, over the index that migration 0011's triggers
keep (``jobs_search_docs`` plus FTS5 or a ``tsvector``; see :mod:`.search_orm`). A query
becomes one boolean match expression (:class:`_Expr`) rendered for either engine: words
as stemmed prefixes limited to the title, the place or any field; filters as indexed
filter words (``xcru``, ``xo83``, ``xh1``, ``xs50``…); occupations as ISCO-08 codes.

Speed at a million vacancies comes from never ranking every match:

* every retrieval walks ``docid`` — posting date — backwards and stops at a limit, which
  FTS5 does natively (``ORDER BY rowid DESC``); PostgreSQL walks a B-tree — of one
  occupation group and country, ``(origin, isco, docid)``, when the tier requires the
  group — over a short window and asks GIN, with whole words instead of prefixes, only when
  the matches are rare there, so that its bitmap is small (see :class:`_Postgres`);
* relevance is a small number of tiers — the title has every word *and* the vacancy is in
  an occupation the words name; the occupation only (this is what finds ads written in
  the other language); the title only; the words anywhere — each retrieved newest first
  up to the page's end, merged and ordered in Python; within a tier the newest comes
  first. A tier above with enough results makes the ones below irrelevant, so the first
  :data:`~.search_query.MAX_RESULTS` results are the same as if every match were ranked;
* the total is counted up to :data:`~.search_query.MAX_RESULTS` + 1 ("1,000+"); on
  PostgreSQL the occupation groups' matches first, through their B-trees, then the other
  matches outside the groups;
* salary order probes the indexed pay thresholds from the top, so only the vacancies above
  the threshold that fills the page are sorted.

Only *listed* vacancies are returned: active (the index holds nothing else), not expired,
and confirmed within the last 90 days.
"""

# SQL is assembled from fixed fragments; every value (the match expression too) is bound.
# ruff: noqa: S608

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
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
#: PostgreSQL walks this many of the newest vacancies of a part before it asks GIN.
PG_WINDOW: Final = 250
# A window holding at least 1/_DENSE of the matches wanted is walked on, not left to GIN.
_DENSE: Final = 4
#: PostgreSQL searches a prefix as the whole words it begins when there are at most this many.
MAX_EXPANSION: Final = 64
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

    def tsquery(self, words: Mapping[str, Sequence[str]] | None = None) -> str:
        """The expression in PostgreSQL ``to_tsquery`` syntax.

        Args:
            words: the whole words each prefix begins (:func:`_pg_words`); a prefix found
                there is searched as those words, any other as a prefix.
        """
        if self.op == "tag":
            return _lexeme(self.value)
        if self.op == "word":
            # Any field needs no weight: filter words start with "x" and a digit-bearing
            # code, and leaving weights out spares PostgreSQL a recheck of every row.
            weights = {"title": "A", "place": "B", "any": ""}[self.where]
            if len(self.value) < MIN_PREFIX:
                return _lexeme(self.value) + (f":{weights}" if weights else "")
            whole = None if words is None else words.get(self.value)
            if whole is None:
                return f"{_lexeme(self.value)}:*{weights}"
            if not whole:
                return _lexeme(self.value)  # no indexed word begins with it: matches nothing
            suffix = f":{weights}" if weights else ""
            listed = " | ".join(_lexeme(word) + suffix for word in whole)
            return listed if len(whole) == 1 else f"({listed})"
        joiner = " & " if self.op == "and" else " | "
        return "(" + joiner.join(part.tsquery(words) for part in self.parts) + ")"

    def prefixes(self) -> set[str]:
        """The words of the expression searched as prefixes."""
        if self.op == "word":
            return {self.value} if len(self.value) >= MIN_PREFIX else set()
        return set().union(*(part.prefixes() for part in self.parts))


def _lexeme(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "''")
    return f"'{escaped}'"


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


class _Engine(ABC):
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

    def prepare(self, plan: _Plan) -> None:
        """Get ready for the retrievals of ``plan`` (nothing to do by default)."""
        del plan

    @abstractmethod
    def _sql(self, expr: _Expr | None, query: SearchQuery, order: str) -> str:
        """The engine's SELECT of listed matches of ``expr`` in ``order``."""

    def retrieve(
        self,
        expr: _Expr | None,
        query: SearchQuery,
        limit: int,
        *,
        order: str = "newest",
        offset: int = 0,
        codes: Sequence[str] = (),
    ) -> list[_Candidate]:
        """The newest (or best-paid) ``limit`` listed matches of ``expr`` after ``offset``.

        ``codes``: ISCO-08 unit groups of which ``expr`` requires one (an engine may walk
        each group's vacancies instead of the whole index).
        """
        del codes  # the whole index is walked
        sql = self._sql(expr, query, order) + " LIMIT :limit OFFSET :offset"
        params = {**self._params(query), "limit": limit, "offset": offset, **self._match(expr)}
        rows = self.session.execute(text(sql), params).all()
        return [_Candidate(row[0], row[1], row[2], row[3]) for row in rows]

    def count(
        self,
        expr: _Expr | None,
        query: SearchQuery,
        cap: int,
        subset: tuple[_Expr | None, Sequence[str]] | None = None,
        rest: _Expr | None = None,
    ) -> int:
        """How many listed vacancies match ``expr``, counted up to ``cap``.

        ``subset``: an expression whose matches all match ``expr`` and the ISCO-08 groups of
        which it requires one; an engine may find the cap reached through it alone.
        ``rest``: an expression that matches what ``expr`` matches outside those groups.
        """
        del subset, rest  # every match is counted
        inner = self._sql(expr, query, self.count_order) + " LIMIT :limit"
        params = {**self._params(query), "limit": cap, "offset": 0, **self._match(expr)}
        return int(
            self.session.execute(text(f"SELECT count(*) FROM ({inner}) AS m"), params).scalar_one()
        )

    @abstractmethod
    def _match(self, expr: _Expr | None) -> dict[str, str]:
        """The engine's bound parameters for matching ``expr``."""


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
    """PostgreSQL: short B-tree walks, and GIN with whole words where matches are rare.

    GIN cannot return matches newest first: its bitmap must be read from the table and
    sorted, which is cheap for a few hundred rows and slow for tens of thousands. A B-tree
    walk backwards — the primary key, ``(origin, docid)`` or, for a tier that requires an
    occupation group, ``(origin, isco, docid)`` / ``(isco, docid)`` — finds common matches
    after a few rows, but reads every row when they are rare. So each part of a retrieval
    (one group, one country) walks its newest :data:`PG_WINDOW` vacancies; a window with
    enough matches is walked on, and a poor one means rare matches, which GIN answers.
    The planner cannot make that choice itself: a conjunction of words, a group and a
    country is correlated, and its estimates are off by a hundred times either way.

    A prefix is searched as the whole words of the index it begins (``jobs_search_words``,
    one lookup per search): GIN then intersects posting lists and skips through them,
    where a prefix would make it gather a bitmap of every row of every word it begins.
    """

    name = "postgresql"
    count_order = "none"

    def __init__(self, session: Session, today: date) -> None:
        super().__init__(session, today)
        self.words: dict[str, tuple[str, ...]] = {}
        self.bitmaps = True
        # For this search's transaction: a scan in table order would read every row that
        # does not match; parallel workers cost more to start than these small walks take.
        session.execute(
            text(
                "SELECT set_config('enable_seqscan', 'off', true),"
                " set_config('max_parallel_workers_per_gather', '0', true)"
            )
        )

    def prepare(self, plan: _Plan) -> None:
        """Look up the whole words of every prefix the plan searches."""
        exprs = [expr for _, expr in plan.tiers] + [plan.everything]
        prefixes = sorted(set().union(*(expr.prefixes() for expr in exprs if expr is not None)))
        self.words = _pg_words(self.session, prefixes)

    def retrieve(
        self,
        expr: _Expr | None,
        query: SearchQuery,
        limit: int,
        *,
        order: str = "newest",
        offset: int = 0,
        codes: Sequence[str] = (),
    ) -> list[_Candidate]:
        """As :meth:`_Engine.retrieve`; newest first, part by part through short walks.

        A part is one occupation group and one country (either may be "any"). Its newest
        :data:`PG_WINDOW` vacancies are walked through a B-tree, checking each; a part whose
        window holds too few matches asks GIN (whole words: its bitmap is small, because the
        matches are rare there). The newest of all parts are exactly the newest overall.
        """
        if order != "newest" or expr is None:
            self._bitmaps(allowed=True)
            return super().retrieve(expr, query, limit, order=order, offset=offset)
        want = limit + offset
        found: dict[int, _Candidate] = {}
        rare: list[_Expr | None] = []
        for code, country in self._parts(query, codes):
            walked = self._part(expr, query, want, code, country)
            if walked is None:
                rare.append(
                    _all(
                        [
                            _Expr("tag", f"xo{code}") if code else None,
                            _Expr("tag", f"xc{country.lower()}") if country else None,
                        ]
                    )
                )
                continue
            found.update((candidate.docid, candidate) for candidate in walked)
        if rare:
            # One GIN bitmap for every part whose matches are rare.
            narrowed = expr if None in rare else _all([expr, _any(rare)])  # type: ignore[arg-type]
            sql = self._sql(narrowed, query, "newest") + " LIMIT :limit"
            params = {**self._params(query), **self._match(narrowed), "limit": want}
            self._bitmaps(allowed=True)
            for row in self.session.execute(text(sql), params):
                found[row[0]] = _Candidate(row[0], row[1], row[2], row[3])
        ranked = sorted(found.values(), key=lambda candidate: candidate.docid, reverse=True)
        return ranked[offset:want]

    def count(
        self,
        expr: _Expr | None,
        query: SearchQuery,
        cap: int,
        subset: tuple[_Expr | None, Sequence[str]] | None = None,
        rest: _Expr | None = None,
    ) -> int:
        """As :meth:`_Engine.count`; ``subset`` is counted first, through its groups' walks.

        ``rest``: the matches of ``expr`` outside ``subset``'s groups are those of ``rest``.
        """
        if subset is not None and subset[0] is not None and subset[1]:
            seen = 0
            pure = _filters(query) is None and subset[0] == _any(
                [_Expr("tag", f"xo{code}") for code in subset[1]]
            )
            for code, country in self._parts(query, subset[1]):
                sql = self._walk(query, code, country, window=False, words=not pure)
                params = self._part_params(subset[0], query, cap - seen, code, country)
                inner = f"SELECT count(*) FROM ({sql}) AS m"
                self._bitmaps(allowed=False)
                seen += int(self.session.execute(text(inner), params).scalar_one())
                if seen >= cap:
                    return cap
            if rest is not None:
                # The other matches are those of the rest outside the groups: a small bitmap
                # when the words are rare, where the whole expression's would hold the groups.
                codes = ", ".join(f":k{n}" for n in range(len(subset[1])))
                sql = self._sql(rest, query, "none")
                sql += f" AND (d.isco IS NULL OR d.isco NOT IN ({codes})) LIMIT :limit"
                params = {**self._params(query), **self._match(rest), "limit": cap - seen}
                params |= {f"k{n}": code for n, code in enumerate(subset[1])}
                self._bitmaps(allowed=True)
                inner = f"SELECT count(*) FROM ({sql}) AS m"
                return seen + int(self.session.execute(text(inner), params).scalar_one())
        self._bitmaps(allowed=True)
        return super().count(expr, query, cap)

    def _bitmaps(self, *, allowed: bool) -> None:
        # A walk must stay a walk: the planner, misled by coalesce()'s unknown selectivity,
        # would rather gather a whole group's bitmap and sort it.
        if allowed != self.bitmaps:
            value = "on" if allowed else "off"
            self.session.execute(text(f"SELECT set_config('enable_bitmapscan', '{value}', true)"))
            self.bitmaps = allowed

    def _parts(self, query: SearchQuery, codes: Sequence[str]) -> list[tuple[str, str]]:
        return [(code, country) for code in codes or ("",) for country in query.countries or ("",)]

    def _part(
        self, expr: _Expr, query: SearchQuery, limit: int, code: str, country: str
    ) -> list[_Candidate] | None:
        """The part's newest ``limit`` matches by walking, or ``None`` if they are rare."""
        params = self._part_params(expr, query, limit, code, country)
        self._bitmaps(allowed=False)
        rows = self.session.execute(text(self._walk(query, code, country)), params).all()
        if len(rows) < limit and _rows_beyond(self.session, params, code, country):
            if len(rows) * _DENSE < limit:
                return None
            # Matches are common enough that walking on finds the rest soon.
            sql = self._walk(query, code, country, window=False)
            rows = self.session.execute(text(sql), params).all()
        return [_Candidate(row[0], row[1], row[2], row[3]) for row in rows]

    def _part_params(
        self, expr: _Expr, query: SearchQuery, limit: int, code: str, country: str
    ) -> dict[str, Any]:
        params = {**self._params(query), **self._match(expr), "limit": limit}
        params |= {"window": PG_WINDOW, "code": code, "country": country}
        return params

    def _walk(
        self,
        query: SearchQuery,
        code: str,
        country: str,
        *,
        window: bool = True,
        words: bool = True,
    ) -> str:
        """The walk of one part newest first; without ``words``, the whole group matches."""
        # coalesce() hides the column from GIN, so a B-tree walks the part newest first.
        part = "".join(
            [" AND d.isco = :code" if code else "", " AND d.origin = :country" if country else ""]
        )
        floor = ""
        if window:
            floor = (
                " AND d.docid >= (SELECT coalesce(min(docid), 0) FROM (SELECT docid"
                f" FROM jobs_search_docs AS d WHERE true{part}"
                " ORDER BY docid DESC LIMIT :window) AS newest)"
            )
        match = "coalesce(d.document, ''::tsvector) @@ to_tsquery('simple', :match) AND "
        return (
            "SELECT d.docid, d.vacancy_id, d.isco, d.salary_ref FROM jobs_search_docs AS d"
            f" WHERE {match if words else ''}{self._listed(query)}{part}{floor}"
            " ORDER BY d.docid DESC LIMIT :limit"
        )

    def _match(self, expr: _Expr | None) -> dict[str, str]:
        return {} if expr is None else {"match": expr.tsquery(self.words)}

    def _sql(self, expr: _Expr | None, query: SearchQuery, order: str) -> str:
        orders = {
            "newest": " ORDER BY d.docid DESC",
            "salary": " ORDER BY d.salary_ref DESC NULLS LAST, d.docid DESC",
            "none": "",
        }
        where = self._listed(query)
        if query.countries:
            codes = ", ".join(f":c{n}" for n in range(len(query.countries)))
            where += f" AND d.origin IN ({codes})"
        if expr is not None:
            where = f"d.document @@ to_tsquery('simple', :match) AND {where}"
        return (
            f"SELECT d.docid, d.vacancy_id, d.isco, d.salary_ref FROM jobs_search_docs AS d"
            f" WHERE {where}{orders[order]}"
        )


def _rows_beyond(session: Session, params: dict[str, Any], code: str, country: str) -> bool:
    """Whether the part has vacancies older than its window (so the walk saw only some)."""
    part = "".join(
        [" AND isco = :code" if code else "", " AND origin = :country" if country else ""]
    )
    sql = (
        f"SELECT 1 FROM jobs_search_docs WHERE true{part}"
        " ORDER BY docid DESC OFFSET :window LIMIT 1"
    )
    return session.execute(text(sql), params).first() is not None


def _pg_words(session: Session, prefixes: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The indexed words each prefix begins; a prefix that begins too many is left out."""
    if not prefixes:
        return {}
    parts, params = [], {}
    for n, prefix in enumerate(prefixes):
        parts.append(
            f"(SELECT {n} AS n, word FROM jobs_search_words WHERE word >= :p{n}"
            f" AND word < :h{n} ORDER BY word LIMIT {MAX_EXPANSION + 1})"
        )
        params[f"p{n}"] = prefix
        params[f"h{n}"] = prefix + "\U0010ffff"
    found: dict[str, list[str]] = {prefix: [] for prefix in prefixes}
    for n, word in session.execute(text(" UNION ALL ".join(parts)), params):
        found[prefixes[n]].append(word)
    return {prefix: tuple(words) for prefix, words in found.items() if len(words) <= MAX_EXPANSION}


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
    engine.prepare(plan)
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
        by_code = dict(plan.tiers).get("occupation")
        subset = (by_code, tuple(plan.analysis.codes)) if by_code is not None else None
        rest = None if plan.analysis.free else dict(plan.tiers).get("text")
        total = engine.count(plan.everything, query, MAX_RESULTS + 1, subset, rest)
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
        got = engine.retrieve(
            expr, query, limit, codes=tuple(codes) if "occupation" in name else ()
        )
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
