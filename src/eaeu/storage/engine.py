"""Engines for SQLite and PostgreSQL, with the settings each needs to behave."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from eaeu.storage.errors import DatabaseUnavailable

SUPPORTED = ("sqlite", "postgresql")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for ``url``.

    SQLite gets WAL journaling, a busy timeout and enforced foreign keys, so that a web
    worker and a delivery worker can share one file. ``postgresql://`` URLs use psycopg 3.

    Raises:
        DatabaseUnavailable: the URL cannot be parsed or names an unsupported backend.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(
            "EAEU_DATABASE_URL is not a database URL (expected sqlite:///FILE "
            "or postgresql://USER@HOST:PORT/DB)"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        raise DatabaseUnavailable(
            f"EAEU_DATABASE_URL names the unsupported backend {backend!r}; use sqlite or postgresql"
        )
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if backend == "sqlite":
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=10)
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DatabaseUnavailable(f"EAEU_DATABASE_URL cannot be used: {exc}") from None
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def describe(url: str) -> str:
    """Return ``url`` with any password hidden, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"
