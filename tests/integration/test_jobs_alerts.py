"""Saved searches and alerts over the search index, on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from test_jobs_search import CORPUS, NOW, TODAY, vacancy

from eaeu.services.jobs.alerts import MAX_SEARCHES, SavedSearches
from eaeu.services.jobs.context import JobsContext
from eaeu.services.jobs.orm import VacancyRow
from eaeu.services.jobs.search_errors import SavedSearchInvalid, SavedSearchNotFound
from eaeu.services.jobs.search_orm import AlertRow
from eaeu.services.jobs.search_query import SearchQuery
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.testing import FrozenClock


@pytest.fixture
def saved(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    uow = UnitOfWorkFactory(engine)
    with uow() as work:
        work.session.add_all(
            [
                VacancyRow(**{c.key: getattr(r, c.key) for c in VacancyRow.__table__.c})
                for r in CORPUS
            ]
        )
        work.commit()
    clock = FrozenClock(NOW)
    yield SavedSearches(JobsContext(state="RU", uow=uow, clock=clock, trust=lambda: None))
    engine.dispose()


def add(saved, row):
    with saved.ctx.uow() as work:
        work.session.add(row)
        work.commit()


class TestSavedSearches:
    def test_current_matches_are_known_and_only_new_ones_alert(self, saved):
        search_id = saved.save("p1", "Сварщики", SearchQuery(text="welder", page=2, per_page=1))
        assert saved.refresh("p1") == 0
        assert saved.alerts("p1") == []
        add(saved, vacancy("RU-NEW", "Сварщик аргонщик", isco="7212", posted=TODAY))
        assert saved.refresh("p1") == 1
        assert saved.refresh("p1") == 0
        (alert,) = saved.alerts("p1")
        assert (alert.vacancy_id, alert.search_id, alert.seen) == ("RU-NEW", search_id, False)
        (search,) = saved.searches("p1")
        assert (search.unseen, search.query.page, search.query.text) == (1, 1, "welder")
        saved.mark_seen("p1")
        assert saved.unseen("p1") == 0
        assert saved.alerts("p1")[0].seen

    def test_refresh_all_runs_everyones_searches_with_alerts(self, saved):
        saved.save("p1", "A", SearchQuery(text="cook"))
        saved.save("p2", "B", SearchQuery(text="cook"), alerts=False)
        saved.ctx.clock.advance(hours=1)
        add(saved, vacancy("AM-2", "Cook", isco="5120", origin="AM", posted=TODAY))
        assert saved.refresh_all() == 1
        assert [a.vacancy_id for a in saved.alerts("p1")] == ["AM-2"]
        assert saved.alerts("p2") == []

    def test_an_alert_is_recorded_once(self, saved):
        saved.save("p1", "A", SearchQuery(text="cook"))
        add(saved, vacancy("AM-2", "Cook", isco="5120", origin="AM", posted=TODAY))
        assert saved.refresh("p1") + saved.refresh("p1") == 1
        with saved.ctx.uow() as work:
            assert work.session.scalar(select(func.count()).select_from(AlertRow)) == 2

    def test_refuses_a_blank_name_and_too_many_searches(self, saved):
        with pytest.raises(SavedSearchInvalid, match="name"):
            saved.save("p1", "   ", SearchQuery())
        for number in range(MAX_SEARCHES):
            saved.save("p1", f"S{number}", SearchQuery())
        with pytest.raises(SavedSearchInvalid, match="delete one first"):
            saved.save("p1", "one more", SearchQuery())

    def test_a_person_deletes_only_their_own_searches(self, saved):
        search_id = saved.save("p1", "A", SearchQuery(text="cook"))
        with pytest.raises(SavedSearchNotFound):
            saved.delete("p2", search_id)
        saved.delete("p1", search_id)
        assert saved.searches("p1") == []
        with pytest.raises(SavedSearchNotFound):
            saved.delete("p1", search_id)
