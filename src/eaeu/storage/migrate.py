"""Apply Alembic migrations and record which node owns the database."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from eaeu import __version__
from eaeu.kernel.clock import Clock, SystemClock
from eaeu.storage.engine import describe
from eaeu.storage.errors import DatabaseUnavailable, WrongNodeDatabase
from eaeu.storage.orm import NodeRecord
from eaeu.storage.uow import UnitOfWorkFactory

MIGRATIONS = Path(__file__).with_name("migrations")

# Several web workers may start at once on one PostgreSQL database; one advisory lock
# makes the first apply the migrations and the others wait, then find nothing to do.
_PG_LOCK_KEY = 0x4541_4555  # "EAEU"


def alembic_config() -> Config:
    """Return an Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """Return the newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        msg = "no migrations are packaged"
        raise RuntimeError(msg)
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or ``None`` for an empty database."""
    with _connect(engine) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Bring the database to the newest revision; return that revision.

    Raises:
        DatabaseUnavailable: the server cannot be reached or refused the connection.
    """
    config = alembic_config()
    with _sqlite_file_lock(engine), _connect(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            connection.commit()
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                connection.commit()
    return head_revision()


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations of one SQLite file across processes (a node and its worker).

    SQLite has no advisory locks; a lock file next to the database plays that part.
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with Path(f"{database}.migrate-lock").open("a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def claim_for_node(engine: Engine, state: str, *, clock: Clock | None = None) -> None:
    """Record that ``state``'s node owns this database, or check that it already does.

    Raises:
        WrongNodeDatabase: the database was created by another state's node.
    """
    clock = clock or SystemClock()
    uow_factory = UnitOfWorkFactory(engine)
    for _ in range(2):
        with uow_factory() as uow:
            owners = list(uow.session.scalars(select(NodeRecord.state)))
            if owners and owners != [state]:
                raise WrongNodeDatabase(
                    f"the database {describe(str(engine.url))} belongs to the {owners[0]} node, "
                    f"not {state}; give each node its own database"
                )
            if owners:
                return
            uow.session.add(
                NodeRecord(state=state, created_at=clock.now(), software_version=__version__)
            )
            try:
                uow.commit()
            except IntegrityError:
                continue  # another process of the node claimed it first: check once more
            return


def _connect(engine: Engine) -> Connection:
    try:
        return engine.connect()
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        raise DatabaseUnavailable(
            f"cannot connect to the database {describe(str(engine.url))}: {reason}"
        ) from None
