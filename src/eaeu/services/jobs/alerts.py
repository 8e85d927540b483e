"""Saved searches and their alerts, kept on the person's home node.

A saved search is a :class:`~.search_query.SearchQuery` stored as its query string. When it
is saved, the vacancies it finds (newest first, up to :data:`WATCHED`) are recorded as
already known; every :meth:`SavedSearches.refresh` — when the person opens their alerts
page, and periodically for everyone through :meth:`SavedSearches.refresh_all` — runs it again
and records each vacancy it has not seen before as an alert. A unique constraint on
``(search, vacancy)`` makes two refreshes at once record an alert only once.

Replicated vacancies arrive through the change feed; the search index picks them up by
itself, so an alert fires for a vacancy from any state as soon as it is replicated here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import parse_qs

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eaeu.exchange.node import Handler
from eaeu.kernel.log import get_logger
from eaeu.services.jobs.context import JobsContext
from eaeu.services.jobs.search import search_session
from eaeu.services.jobs.search_errors import SavedSearchInvalid, SavedSearchNotFound
from eaeu.services.jobs.search_orm import AlertRow, SavedSearchRow
from eaeu.services.jobs.search_query import SearchQuery

log = get_logger("eaeu.services.jobs.alerts")

#: Saved searches one person may keep.
MAX_SEARCHES: Final = 20
#: The newest matches each refresh looks at.
WATCHED: Final = 50
#: Alerts shown on the notification page.
SHOWN: Final = 100
MAX_NAME: Final = 200


@dataclass(frozen=True, slots=True)
class SavedSearch:
    """A person's saved search.

    Attributes:
        id: its id.
        name: what the person called it.
        query: the search.
        alerts: whether new matches are recorded as alerts.
        created_at: when it was saved.
        checked_at: when it was last run for alerts.
        unseen: alerts the person has not looked at yet.
    """

    id: str
    name: str
    query: SearchQuery
    alerts: bool
    created_at: datetime
    checked_at: datetime | None
    unseen: int = 0


@dataclass(frozen=True, slots=True)
class Alert:
    """A vacancy that newly matched a saved search.

    Attributes:
        id: its id.
        search_id: the saved search.
        search_name: the saved search's name.
        vacancy_id: the vacancy.
        title: the vacancy's title when it matched.
        origin: the vacancy's state.
        created_at: when it matched.
        seen: whether the person has looked at it.
    """

    id: str
    search_id: str
    search_name: str
    vacancy_id: str
    title: str
    origin: str
    created_at: datetime
    seen: bool


def _query(text: str) -> SearchQuery:
    params: dict[str, str | list[str]] = dict(parse_qs(text).items())
    return SearchQuery.from_params(params).first_page()


class SavedSearches:
    """Saved searches and their alerts."""

    def __init__(self, ctx: JobsContext) -> None:
        self.ctx = ctx

    def handlers(self) -> dict[str, Handler]:
        """The exchange handlers of this part (none: saved searches stay home)."""
        return {}

    def save(self, person_id: str, name: str, query: SearchQuery, *, alerts: bool = True) -> str:
        """Save ``query`` for ``person_id``; its current matches count as already known.

        Returns:
            The saved search's id.

        Raises:
            SavedSearchInvalid: no name or a name too long, or too many saved searches.
        """
        name = " ".join(name.split())
        if not name or len(name) > MAX_NAME:
            raise SavedSearchInvalid(f"Give the search a name of 1 to {MAX_NAME} characters.")
        now = self.ctx.clock.now()
        stored = query.first_page()
        with self.ctx.uow() as uow:
            count = uow.session.scalar(
                select(func.count()).where(SavedSearchRow.person_id == person_id)
            )
            if (count or 0) >= MAX_SEARCHES:
                raise SavedSearchInvalid(
                    f"You can keep {MAX_SEARCHES} saved searches; delete one first."
                )
            row = SavedSearchRow(
                id=str(uuid.uuid4()),
                person_id=person_id,
                name=name,
                query=stored.query_string(),
                alerts=alerts,
                created_at=now,
                checked_at=now,
            )
            uow.session.add(row)
            uow.session.flush()
            self._record(uow.session, row, now, notify=False)
            uow.commit()
        log.info("jobs.search.saved", alerts=alerts)
        return row.id

    def searches(self, person_id: str) -> list[SavedSearch]:
        """The person's saved searches, newest first, with their unseen alerts."""
        with self.ctx.uow() as uow:
            unseen = dict(
                uow.session.execute(
                    select(AlertRow.search_id, func.count())
                    .join(SavedSearchRow, SavedSearchRow.id == AlertRow.search_id)
                    .where(
                        SavedSearchRow.person_id == person_id,
                        AlertRow.notified.is_(True),
                        AlertRow.seen_at.is_(None),
                    )
                    .group_by(AlertRow.search_id)
                ).all()
            )
            rows = uow.session.scalars(
                select(SavedSearchRow)
                .where(SavedSearchRow.person_id == person_id)
                .order_by(SavedSearchRow.created_at.desc(), SavedSearchRow.id)
            ).all()
            return [
                SavedSearch(
                    id=row.id,
                    name=row.name,
                    query=_query(row.query),
                    alerts=row.alerts,
                    created_at=row.created_at,
                    checked_at=row.checked_at,
                    unseen=unseen.get(row.id, 0),
                )
                for row in rows
            ]

    def delete(self, person_id: str, search_id: str) -> None:
        """Delete one of the person's saved searches and its alerts.

        Raises:
            SavedSearchNotFound: the person has no saved search with this id.
        """
        with self.ctx.uow() as uow:
            row = uow.session.get(SavedSearchRow, search_id)
            if row is None or row.person_id != person_id:
                raise SavedSearchNotFound("You have no saved search at this address.")
            uow.session.execute(delete(AlertRow).where(AlertRow.search_id == search_id))
            uow.session.delete(row)
            uow.commit()

    def refresh(self, person_id: str) -> int:
        """Run the person's saved searches with alerts; return how many alerts are new."""
        return self._refresh(SavedSearchRow.person_id == person_id)

    def refresh_all(self) -> int:
        """Run every saved search with alerts on this node (for a periodic job)."""
        return self._refresh(SavedSearchRow.alerts.is_(True))

    def _refresh(self, which: object) -> int:
        now = self.ctx.clock.now()
        new = 0
        with self.ctx.uow() as uow:
            rows = uow.session.scalars(
                select(SavedSearchRow).where(which, SavedSearchRow.alerts.is_(True))  # type: ignore[arg-type]
            ).all()
            for row in rows:
                new += self._record(uow.session, row, now, notify=True)
                row.checked_at = now
            uow.commit()
        if new:
            log.info("jobs.alerts.recorded", alerts=new)
        return new

    def _record(self, session: Session, row: SavedSearchRow, now: datetime, *, notify: bool) -> int:
        query = _query(row.query)
        watched = SearchQuery(
            **{
                **{name: getattr(query, name) for name in SearchQuery.__dataclass_fields__},
                "sort": "newest",
                "page": 1,
                "per_page": WATCHED,
            }
        )
        page = search_session(session, watched, today=now.date())
        known = set(
            session.scalars(select(AlertRow.vacancy_id).where(AlertRow.search_id == row.id))
        )
        added = 0
        for hit in page.hits:
            if hit.vacancy_id in known:
                continue
            try:
                with session.begin_nested():
                    session.add(
                        AlertRow(
                            id=str(uuid.uuid4()),
                            search_id=row.id,
                            vacancy_id=hit.vacancy_id,
                            title=hit.title[:200],
                            origin=hit.origin,
                            notified=notify,
                            created_at=now,
                            seen_at=None,
                        )
                    )
            except IntegrityError:  # another refresh recorded it a moment ago
                continue
            added += 1
        return added if notify else 0

    def alerts(self, person_id: str) -> list[Alert]:
        """The person's alerts, newest first (at most :data:`SHOWN`)."""
        with self.ctx.uow() as uow:
            rows = uow.session.execute(
                select(AlertRow, SavedSearchRow.name)
                .join(SavedSearchRow, SavedSearchRow.id == AlertRow.search_id)
                .where(SavedSearchRow.person_id == person_id, AlertRow.notified.is_(True))
                .order_by(AlertRow.created_at.desc(), AlertRow.title)
                .limit(SHOWN)
            ).all()
            return [
                Alert(
                    id=alert.id,
                    search_id=alert.search_id,
                    search_name=name,
                    vacancy_id=alert.vacancy_id,
                    title=alert.title,
                    origin=alert.origin,
                    created_at=alert.created_at,
                    seen=alert.seen_at is not None,
                )
                for alert, name in rows
            ]

    def unseen(self, person_id: str) -> int:
        """How many of the person's alerts are unseen (for a badge)."""
        with self.ctx.uow() as uow:
            count = uow.session.scalar(
                select(func.count())
                .select_from(AlertRow)
                .join(SavedSearchRow, SavedSearchRow.id == AlertRow.search_id)
                .where(
                    SavedSearchRow.person_id == person_id,
                    AlertRow.notified.is_(True),
                    AlertRow.seen_at.is_(None),
                )
            )
            return int(count or 0)

    def mark_seen(self, person_id: str) -> None:
        """Mark all the person's alerts as seen."""
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            mine = select(SavedSearchRow.id).where(SavedSearchRow.person_id == person_id)
            uow.session.execute(
                update(AlertRow)
                .where(AlertRow.search_id.in_(mine), AlertRow.seen_at.is_(None))
                .values(seen_at=now)
            )
            uow.commit()
