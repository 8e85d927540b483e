"""Tables of vacancy search, saved searches and alerts (migration 0011).

``jobs_search_docs`` is the search index's view of the *listed-able* vacancies: one row per
active vacancy in ``jobs_vacancies``, written by database triggers (created in migration
0011) on every insert, update and delete of a vacancy, so that every writer — the portal,
ingestion, replication, seeds, the benchmark loader — keeps the index current without
calling search code. Its ``docid`` is ``days since 1970-01-01 of posted * 2**32 + a
counter``: ordering by ``docid`` is ordering by posting date, which both engines can walk
backwards through an index to return the newest matches first without sorting them all.

The words live next to it: on PostgreSQL in ``document`` (a ``tsvector`` with a GIN index);
on SQLite in the FTS5 table ``jobs_search_fts`` (contentless, keyed by ``docid``), which
the ORM does not declare because it is a virtual table (``document`` stays empty there).
PostgreSQL's triggers also keep ``jobs_search_words``, the vocabulary of the index, which
the query side uses to search a prefix as the whole words it begins.

``jobs_saved_searches`` and ``jobs_alerts`` are personal and stay on the person's node: a
saved search is a query string; an alert is a vacancy that newly matched it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from eaeu.storage.orm import Base


class SearchDocument(TypeDecorator[str]):
    """A ``tsvector`` on PostgreSQL; an unused text column on SQLite (FTS5 holds the words)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """``TSVECTOR`` on PostgreSQL, ``TEXT`` elsewhere."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TSVECTOR())
        return dialect.type_descriptor(Text())


class SearchDocRow(Base):
    """An active vacancy as the search index sees it (written by triggers only)."""

    __tablename__ = "jobs_search_docs"
    __table_args__ = (
        # GIN on PostgreSQL; on SQLite an empty partial index (FTS5 holds the words there).
        Index(
            "ix_jobs_search_docs_document",
            "document",
            postgresql_using="gin",
            sqlite_where=text("document IS NOT NULL"),
        ),
        # The newest vacancies of one country, for PostgreSQL's walk in posting order.
        Index("ix_jobs_search_docs_origin_docid", "origin", "docid"),
        # The newest vacancies of one occupation group (in one country), likewise.
        Index(
            "ix_jobs_search_docs_isco_docid",
            "isco",
            "docid",
            postgresql_include=["valid_through", "last_confirmed"],
        ),
        Index("ix_jobs_search_docs_origin_isco_docid", "origin", "isco", "docid"),
    )

    docid: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    vacancy_id: Mapped[str] = mapped_column(String(64), unique=True)
    origin: Mapped[str] = mapped_column(String(2))
    isco: Mapped[str | None] = mapped_column(String(4))
    salary_ref: Mapped[int | None] = mapped_column(Integer)
    posted: Mapped[date] = mapped_column(Date)
    valid_through: Mapped[date] = mapped_column(Date)
    last_confirmed: Mapped[date] = mapped_column(Date)
    document: Mapped[str | None] = mapped_column(SearchDocument())


class SearchWordRow(Base):
    """A word the PostgreSQL index holds (written by triggers only; empty on SQLite).

    Its ``C`` collation orders words by code point, so the words a prefix begins are one
    range of the primary key.
    """

    __tablename__ = "jobs_search_words"

    word: Mapped[str] = mapped_column(
        String(100).with_variant(String(100, collation="C"), "postgresql"), primary_key=True
    )


class SavedSearchRow(Base):
    """A person's saved search (on their home node)."""

    __tablename__ = "jobs_saved_searches"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(String(2000))
    alerts: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AlertRow(Base):
    """A vacancy that matched a saved search (``notified``: it was new when it matched)."""

    __tablename__ = "jobs_alerts"
    __table_args__ = (UniqueConstraint("search_id", "vacancy_id", name="uq_jobs_alerts_search"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    search_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("jobs_saved_searches.id", ondelete="CASCADE"), index=True
    )
    vacancy_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(2))
    notified: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
