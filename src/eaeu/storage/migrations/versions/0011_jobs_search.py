"""Jobs service: the search index kept by triggers, saved searches and alerts.

``jobs_search_docs`` gets one row per active vacancy, written by triggers on
``jobs_vacancies``. The words go to an FTS5 table (SQLite: contentless, ``unicode61``
with diacritics removed, no positions — ``detail=column`` — and prefix indexes of 6 and
8 letters for the stems the query side searches) or to a ``tsvector`` column with a GIN
index (PostgreSQL, ``simple`` configuration: no stemming; the query side stems and
searches prefixes). PostgreSQL also keeps ``jobs_search_words``, every word the index
holds (``C`` collation, so a prefix is a range of it): the query side turns a searched
prefix into the few whole words it begins, because GIN answers whole words from their
posting lists and can skip through them, while a prefix makes it gather the bitmap of
every row of every word it begins (milliseconds per query against tens of them).
B-trees on ``(origin, docid)``, ``(isco, docid)`` and ``(origin, isco, docid)`` let
PostgreSQL walk the newest vacancies of a country and/or an occupation group; the
``(isco, docid)`` one carries the listing dates, so counting a group's listed vacancies
needs no table reads.
Filters are indexed as words too (``xcru`` for Russia, ``xo83`` / ``xo8332`` for an
occupation group, ``xh1`` for housing, ``xs50`` for at least 50,000 roubles a month…), so
that a text query with filters is one intersection of posting lists.

The vocabulary of those filter words is repeated in ``eaeu.services.jobs.search``; a
change here needs a new migration that rebuilds the index, and a change there.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

# Russian letters are folded in SQL; the SQL is built from constants, never from input.
# ruff: noqa: RUF001, S608

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: Monthly pay thresholds, in thousands of roubles, indexed as ``xs<N>``.
SALARY_STEPS = (20, 30, 40, 50, 60, 70, 80, 100, 120, 150, 200, 250, 300)
_DOCID_SHIFT = 4294967296  # 2**32
#: The longest word ``jobs_search_words`` keeps (longer ones are searched as prefixes).
_WORD_LENGTH = 100


def _tags(row: str) -> str:
    """The SQL expression (both engines) for the filter words of ``row`` (``new``/``old``)."""
    salary = " || ".join(
        f"CASE WHEN {row}.salary_ref >= {step * 1000} THEN ' xs{step}' ELSE '' END"
        for step in SALARY_STEPS
    )
    return (
        f"'xc' || lower({row}.origin)"
        f" || CASE WHEN {row}.isco IS NULL OR {row}.isco = '' THEN ' xonone' ELSE"
        f" ' xo' || substr({row}.isco, 1, 1) || ' xo' || substr({row}.isco, 1, 2)"
        f" || ' xo' || substr({row}.isco, 1, 3) || ' xo' || {row}.isco END"
        f" || CASE WHEN {row}.housing THEN ' xh1' ELSE '' END"
        f" || CASE WHEN {row}.eaeu_open THEN ' xe1' ELSE '' END"
        f" || ' xt' || replace({row}.employment_type, '_', '')"
        f" || ' xw' || replace({row}.schedule, '_', '')"
        f" || {salary}"
    )


def _sqlite_text(expression: str) -> str:
    return f"replace(replace({expression}, 'ё', 'е'), 'Ё', 'Е')"


def _sqlite_fts_values(row: str) -> str:
    title = _sqlite_text(f"{row}.title || ' ' || {row}.title_norm")
    place = _sqlite_text(f"{row}.region || ' ' || {row}.locality")
    body = _sqlite_text(f"{row}.description || ' ' || {row}.employer_name")
    return f"{title}, {place}, {body}, {_tags(row)}"


_SQLITE_DAY = "CAST(julianday(new.posted) - 2440587.5 AS INTEGER)"
_SQLITE_INSERT = f"""
    INSERT INTO jobs_search_docs
        (docid, vacancy_id, origin, isco, salary_ref, posted, valid_through, last_confirmed)
    SELECT
        {_SQLITE_DAY} * {_DOCID_SHIFT} + 1 + coalesce((
            SELECT max(docid) - {_SQLITE_DAY} * {_DOCID_SHIFT} FROM jobs_search_docs
            WHERE docid >= {_SQLITE_DAY} * {_DOCID_SHIFT}
              AND docid < ({_SQLITE_DAY} + 1) * {_DOCID_SHIFT}), 0),
        new.id, new.origin, new.isco, new.salary_ref, new.posted, new.valid_through,
        new.last_confirmed
    WHERE new.status = 'active';
    INSERT INTO jobs_search_fts (rowid, title, place, body, tags)
    SELECT docid, {_sqlite_fts_values("new")} FROM jobs_search_docs WHERE vacancy_id = new.id;
"""
_SQLITE_DELETE = f"""
    INSERT INTO jobs_search_fts (jobs_search_fts, rowid, title, place, body, tags)
    SELECT 'delete', docid, {_sqlite_fts_values("old")}
    FROM jobs_search_docs WHERE vacancy_id = old.id;
    DELETE FROM jobs_search_docs WHERE vacancy_id = old.id;
"""


def _pg_text(expression: str, weight: str) -> str:
    return f"setweight(to_tsvector('simple', translate({expression}, 'ёЁ', 'еЕ')), '{weight}')"


_PG_FUNCTION = f"""
CREATE FUNCTION jobs_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    doc tsvector;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM jobs_search_docs WHERE vacancy_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'active' THEN
        doc := {_pg_text("NEW.title || ' ' || NEW.title_norm", "A")}
            || {_pg_text("NEW.region || ' ' || NEW.locality", "B")}
            || to_tsvector('simple', {_tags("NEW")})
            || {_pg_text("NEW.description || ' ' || NEW.employer_name", "D")};
        INSERT INTO jobs_search_docs
            (docid, vacancy_id, origin, isco, salary_ref, posted, valid_through,
             last_confirmed, document)
        VALUES (
            (NEW.posted - DATE '1970-01-01')::bigint * {_DOCID_SHIFT}
                + nextval('jobs_search_docid_seq') % {_DOCID_SHIFT},
            NEW.id, NEW.origin, NEW.isco, NEW.salary_ref, NEW.posted, NEW.valid_through,
            NEW.last_confirmed, doc
        );
        INSERT INTO jobs_search_words (word)
        SELECT lexeme FROM unnest(tsvector_to_array(doc)) AS lexeme
        WHERE length(lexeme) <= {_WORD_LENGTH}
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "jobs_search_docs",
        sa.Column("docid", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("vacancy_id", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=2), nullable=False),
        sa.Column("isco", sa.String(length=4), nullable=True),
        sa.Column("salary_ref", sa.Integer(), nullable=True),
        sa.Column("posted", sa.Date(), nullable=False),
        sa.Column("valid_through", sa.Date(), nullable=False),
        sa.Column("last_confirmed", sa.Date(), nullable=False),
        sa.Column(
            "document", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"), nullable=True
        ),
        sa.PrimaryKeyConstraint("docid", name=op.f("pk_jobs_search_docs")),
        sa.UniqueConstraint("vacancy_id", name=op.f("uq_jobs_search_docs_vacancy_id")),
    )
    op.create_table(
        "jobs_search_words",
        sa.Column(
            "word",
            sa.String(length=_WORD_LENGTH).with_variant(
                sa.String(length=_WORD_LENGTH, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_jobs_search_words")),
    )
    op.create_table(
        "jobs_saved_searches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("query", sa.String(length=2000), nullable=False),
        sa.Column("alerts", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_saved_searches")),
    )
    op.create_index(op.f("ix_jobs_saved_searches_person_id"), "jobs_saved_searches", ["person_id"])
    op.create_table(
        "jobs_alerts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("search_id", sa.String(length=36), nullable=False),
        sa.Column("vacancy_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=2), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["search_id"],
            ["jobs_saved_searches.id"],
            name=op.f("fk_jobs_alerts_search_id_jobs_saved_searches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_alerts")),
        sa.UniqueConstraint("search_id", "vacancy_id", name="uq_jobs_alerts_search"),
    )
    op.create_index(op.f("ix_jobs_alerts_search_id"), "jobs_alerts", ["search_id"])
    op.create_index("ix_jobs_search_docs_origin_docid", "jobs_search_docs", ["origin", "docid"])
    op.create_index(
        "ix_jobs_search_docs_isco_docid",
        "jobs_search_docs",
        ["isco", "docid"],
        postgresql_include=["valid_through", "last_confirmed"],
    )
    op.create_index(
        "ix_jobs_search_docs_origin_isco_docid", "jobs_search_docs", ["origin", "isco", "docid"]
    )
    op.create_index(
        "ix_jobs_search_docs_document",
        "jobs_search_docs",
        ["document"],
        postgresql_using="gin",
        sqlite_where=sa.text("document IS NOT NULL"),
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE jobs_search_docid_seq")
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER jobs_search_sync AFTER INSERT OR UPDATE OR DELETE ON jobs_vacancies "
            "FOR EACH ROW EXECUTE FUNCTION jobs_search_sync()"
        )
        # Index the vacancies stored before this migration (the triggers do the work).
        op.execute("UPDATE jobs_vacancies SET status = status")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE jobs_search_fts USING fts5("
            "title, place, body, tags, content='', detail=column, prefix='6 8', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER jobs_search_insert AFTER INSERT ON jobs_vacancies BEGIN"
            f"{_SQLITE_INSERT}END"
        )
        op.execute(
            "CREATE TRIGGER jobs_search_update AFTER UPDATE ON jobs_vacancies BEGIN"
            f"{_SQLITE_DELETE}{_SQLITE_INSERT}END"
        )
        op.execute(
            "CREATE TRIGGER jobs_search_delete AFTER DELETE ON jobs_vacancies BEGIN"
            f"{_SQLITE_DELETE}END"
        )
        op.execute("UPDATE jobs_vacancies SET status = status")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER jobs_search_sync ON jobs_vacancies")
        op.execute("DROP FUNCTION jobs_search_sync()")
        op.execute("DROP SEQUENCE jobs_search_docid_seq")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER jobs_search_{name}")
        op.execute("DROP TABLE jobs_search_fts")
    op.drop_index("ix_jobs_search_docs_document", table_name="jobs_search_docs")
    op.drop_index("ix_jobs_search_docs_origin_isco_docid", table_name="jobs_search_docs")
    op.drop_index("ix_jobs_search_docs_isco_docid", table_name="jobs_search_docs")
    op.drop_index("ix_jobs_search_docs_origin_docid", table_name="jobs_search_docs")
    op.drop_index(op.f("ix_jobs_alerts_search_id"), table_name="jobs_alerts")
    op.drop_table("jobs_alerts")
    op.drop_index(op.f("ix_jobs_saved_searches_person_id"), table_name="jobs_saved_searches")
    op.drop_table("jobs_saved_searches")
    op.drop_table("jobs_search_words")
    op.drop_table("jobs_search_docs")
