"""Vacancy search on SQLite FTS5 and PostgreSQL full text, over the index the triggers keep."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, select, update

from eaeu.services.jobs.context import JobsContext
from eaeu.services.jobs.model import normalise_title
from eaeu.services.jobs.orm import VacancyRow
from eaeu.services.jobs.search import SearchIndex, SearchQuery
from eaeu.services.jobs.search_errors import SearchInvalid
from eaeu.services.jobs.search_orm import SearchDocRow
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.orm import Base
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.testing import FrozenClock

TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 9, tzinfo=UTC)
_SEQ = itertools.count(1)


def vacancy(vid: str, title: str, **fields: object) -> VacancyRow:
    values: dict[str, object] = {
        "id": vid,
        "origin": "RU",
        "source": "portal",
        "source_id": vid,
        "title": title,
        "title_norm": normalise_title(title),
        "description": "Официальное трудоустройство.",
        "isco": None,
        "employer_ref": "RU-OGRN-1027700013230",
        "employer_name": "ООО Пример",
        "is_agency": False,
        "agency_licence": None,
        "region": "Москва",
        "locality": "Москва",
        "salary_min": 60000,
        "salary_max": None,
        "currency": "RUB",
        "salary_period": "month",
        "salary_ref": 60000,
        "employment_type": "full_time",
        "schedule": "full_day",
        "education": None,
        "experience_years": None,
        "languages": "ru",
        "housing": False,
        "eaeu_open": True,
        "positions": 1,
        "posted": TODAY - timedelta(days=3),
        "valid_through": TODAY + timedelta(days=60),
        "last_confirmed": TODAY - timedelta(days=3),
        "status": "active",
        "dedup_key": vid,
        "url": None,
        "seq": next(_SEQ),
        "updated_at": NOW,
    }
    values.update(fields)
    return VacancyRow(**values)


CORPUS = [
    vacancy("RU-1", "Водитель грузовика категории C", isco="8332", salary_ref=95000),
    vacancy("RU-2", "Водитель такси", isco="8322", posted=TODAY - timedelta(days=1)),
    vacancy("RU-3", "Сварщик на вахту", isco="7212", schedule="rotation", housing=True),
    vacancy(
        "KZ-1",
        "Truck driver (HGV)",
        isco="8332",
        origin="KZ",
        region="Almaty Region",
        locality="Almaty",
        currency="KZT",
        description="Long-haul routes across the EAEU.",
        salary_ref=120000,
    ),
    vacancy("KZ-2", "Welder MIG/MAG", isco="7212", origin="KZ", locality="Astana", salary_ref=None),
    vacancy("BY-1", "Бухгалтер", isco="2411", origin="BY", locality="Минск", eaeu_open=False),
    vacancy(
        "AM-1",
        "Cook",
        isco="5120",
        origin="AM",
        locality="Yerevan",
        employment_type="seasonal",
        description="Summer season at a lake resort; ёлка not included.",
    ),
    vacancy("RU-OLD", "Водитель автобуса", isco="8331", last_confirmed=TODAY - timedelta(days=91)),
    vacancy("RU-GONE", "Водитель погрузчика", isco="8344", valid_through=TODAY - timedelta(days=1)),
    vacancy("RU-WD", "Водитель-экспедитор", isco="8322", status="withdrawn"),
    vacancy("RU-NOISCO", "Вoдитель на личный автомобиль руководителя"),  # Latin "o"
]


@pytest.fixture
def index(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    uow = UnitOfWorkFactory(engine)
    with uow() as work:
        work.session.add_all(
            [
                VacancyRow(**{c.key: getattr(row, c.key) for c in VacancyRow.__table__.c})
                for row in CORPUS
            ]
        )
        work.commit()
    ctx = JobsContext(state="KG", uow=uow, clock=FrozenClock(NOW), trust=lambda: None)
    yield SearchIndex(ctx)
    engine.dispose()


def ids(page):
    return [hit.vacancy_id for hit in page.hits]


class TestTextAndLanguages:
    def test_a_russian_query_finds_russian_and_english_ads_of_the_occupation(self, index):
        page = index.search(SearchQuery(text="водитель грузовика"))
        assert ids(page)[:2] == ["RU-1", "KZ-1"]
        assert page.hits[0].matched == ("title", "occupation")
        assert page.hits[1].matched == ("occupation",)
        assert page.codes[0] == "8332"

    def test_an_english_query_finds_russian_ads(self, index):
        page = index.search(SearchQuery(text="welders"))
        assert set(ids(page)) == {"KZ-2", "RU-3"}
        assert ids(page)[0] == "KZ-2"

    def test_inflected_words_match_by_stem(self, index):
        assert "RU-2" in ids(index.search(SearchQuery(text="водителя такси")))

    def test_homoglyphs_in_the_ad_and_in_the_query_are_ironed_out(self, index):
        assert "RU-NOISCO" in ids(index.search(SearchQuery(text="личный автомобиль")))
        assert "RU-1" in ids(index.search(SearchQuery(text="вoдитель грузовика")))

    def test_yo_is_searched_as_ye(self, index):
        assert ids(index.search(SearchQuery(text="елка"))) == ["AM-1"]

    def test_words_in_the_description_match_after_the_title(self, index):
        page = index.search(SearchQuery(text="lake resort"))
        assert ids(page) == ["AM-1"]
        assert page.hits[0].matched == ("text",)

    def test_a_query_that_matches_nothing_is_an_empty_page(self, index):
        page = index.search(SearchQuery(text="астронавт-кондитер"))
        assert (page.hits, page.total, page.capped) == ((), 0, False)


class TestListing:
    def test_only_listed_vacancies_are_found(self, index):
        found = ids(index.search(SearchQuery(text="водитель", per_page=50)))
        assert {"RU-1", "RU-2", "KZ-1", "RU-NOISCO"} <= set(found)
        assert not {"RU-OLD", "RU-GONE", "RU-WD"} & set(found)

    def test_an_empty_query_lists_everything_listed_newest_first(self, index):
        page = index.search(SearchQuery(per_page=50))
        assert page.total == 8
        assert ids(page)[0] == "RU-2"

    def test_the_index_follows_updates_and_deletions(self, index):
        with index.ctx.uow() as work:
            work.session.execute(
                update(VacancyRow).where(VacancyRow.id == "RU-3").values(status="blocked")
            )
            work.session.execute(
                update(VacancyRow)
                .where(VacancyRow.id == "RU-2")
                .values(title="Курьер", title_norm="курьер")
            )
            work.session.execute(delete(VacancyRow).where(VacancyRow.id == "BY-1"))
            work.commit()
        assert "RU-3" not in ids(index.search(SearchQuery(text="сварщик")))
        assert ids(index.search(SearchQuery(text="курьер"))) == ["RU-2"]
        assert ids(index.search(SearchQuery(text="бухгалтер"))) == []
        with index.ctx.uow() as work:
            docs = set(work.session.scalars(select(SearchDocRow.vacancy_id)))
        assert docs == {"RU-1", "RU-2", "KZ-1", "KZ-2", "AM-1", "RU-OLD", "RU-GONE", "RU-NOISCO"}


class TestFilters:
    def test_country(self, index):
        assert ids(index.search(SearchQuery(text="driver", countries=("KZ",)))) == ["KZ-1"]

    def test_place_in_either_script_of_the_ad(self, index):
        assert ids(index.search(SearchQuery(place="Almaty"))) == ["KZ-1"]
        assert ids(index.search(SearchQuery(place="минск"))) == ["BY-1"]

    def test_occupation_group_at_any_level(self, index):
        assert set(ids(index.search(SearchQuery(occupation="833")))) == {"RU-1", "KZ-1"}
        assert set(ids(index.search(SearchQuery(occupation="7")))) == {"RU-3", "KZ-2"}

    def test_salary_is_exact_not_only_the_indexed_step(self, index):
        assert ids(index.search(SearchQuery(salary_min=95000, sort="salary"))) == ["KZ-1", "RU-1"]
        assert ids(index.search(SearchQuery(salary_min=95001))) == ["KZ-1"]

    def test_housing_schedule_employment_and_eaeu(self, index):
        assert ids(index.search(SearchQuery(housing=True))) == ["RU-3"]
        assert ids(index.search(SearchQuery(schedules=("rotation",)))) == ["RU-3"]
        assert ids(index.search(SearchQuery(employment_types=("seasonal",)))) == ["AM-1"]
        assert "BY-1" not in ids(index.search(SearchQuery(eaeu_open=True, per_page=50)))


class TestSortingAndPaging:
    def test_salary_sort_puts_unstated_pay_last(self, index):
        page = index.search(SearchQuery(text="welder", sort="salary"))
        assert ids(page) == ["RU-3", "KZ-2"]

    def test_pages_do_not_overlap_and_count_everything(self, index):
        first = index.search(SearchQuery(per_page=3))
        second = index.search(SearchQuery(per_page=3, page=2))
        assert first.total == second.total == 8
        assert first.pages == 3
        assert not set(ids(first)) & set(ids(second))

    def test_a_page_beyond_the_cap_is_refused(self):
        with pytest.raises(SearchInvalid, match="first 1000 results"):
            SearchQuery(page=51)


class TestMigration:
    def test_the_migration_matches_the_model(self, index):
        ours = {"jobs_search_docs", "jobs_saved_searches", "jobs_alerts"}

        def include(obj, name, type_, reflected, compare_to):
            table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
            return table in ours

        engine = index.ctx.uow.engine
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include}
            )
            assert compare_metadata(context, Base.metadata) == []
