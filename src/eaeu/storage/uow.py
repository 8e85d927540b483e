"""The unit of work: one transaction, committed explicitly or rolled back.

Handlers take a ``UnitOfWork`` and call ``commit()`` when the change is complete; leaving
the ``with`` block without committing rolls back, so a failure halfway loses nothing and
writes nothing. (cosmicpython, chapter 6.)
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker


class UnitOfWork:
    """A transaction scope over a SQLAlchemy session.

    Usage::

        with uow_factory() as uow:
            uow.session.add(thing)
            uow.commit()
    """

    session: Session

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        """Commit the work done so far."""
        self.session.commit()

    def rollback(self) -> None:
        """Undo everything not yet committed."""
        self.session.rollback()


class UnitOfWorkFactory:
    """Makes a fresh ``UnitOfWork`` per use over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def __call__(self) -> UnitOfWork:
        """Return a new unit of work."""
        return UnitOfWork(self._sessions)
