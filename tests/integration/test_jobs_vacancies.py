"""The vacancy store on a real database of each engine: verified employers, fees, ingest with
merging and reasons, freshness, moderation, the change feed under concurrency, replicas.

The Russian node's store runs on each engine with a frozen clock; organisations are
registered through identity as they are on a node.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

import pytest
from sqlalchemy import func, select

from eaeu.identity.accounts import Accounts, NewOrganisation
from eaeu.identity.seed import seed_demo_accounts
from eaeu.services.jobs import adapters
from eaeu.services.jobs.context import JobsContext
from eaeu.services.jobs.errors import (
    EmployerRefused,
    FeeCharged,
    FeedOutOfRegion,
    ReplicaRefused,
    ReportInvalid,
    ReportNotFound,
    VacancyClosed,
    VacancyInvalid,
    VacancyNotFound,
)
from eaeu.services.jobs.orm import VacancyRow
from eaeu.services.jobs.vacancies import (
    VacancyDraft,
    VacancyStore,
    demo_vacancy_id,
    listed_filter,
)
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.testing import FrozenClock

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
STROIMONTAZH = "1157746013237"
AGENCY = "1027700013230"


@pytest.fixture
def node(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    uow = UnitOfWorkFactory(engine)
    clock = FrozenClock(NOW)
    yield uow, clock
    engine.dispose()


def organisation(accounts: Accounts, legal_id: str, kinds: set[str], state: str = "RU") -> str:
    kind = {"RU": "ogrn", "KZ": "bin"}[state]
    return accounts.register_organisation(
        NewOrganisation(
            state, kind, legal_id, f"Org {legal_id}", f"Org {legal_id}", frozenset(kinds)
        )
    ).id


@pytest.fixture
def ru(node):
    uow, clock = node
    ctx = JobsContext(state="RU", uow=uow, clock=clock, trust=lambda: None)  # type: ignore[arg-type]
    return VacancyStore(ctx)


@pytest.fixture
def orgs(node):
    accounts = Accounts(node[0], node[1])
    return {
        "employer": organisation(accounts, STROIMONTAZH, {"employer"}),
        "agency": organisation(accounts, AGENCY, {"employer"}),
        "landlord": organisation(accounts, "1095407013239", {"landlord"}),
        "kazakh": organisation(accounts, "071140030713", {"employer"}, "KZ"),
    }


def draft(**changes: Any) -> VacancyDraft:
    base = VacancyDraft(
        title="Монтажник",
        description="Монтаж конструкций. Общежитие предоставляется бесплатно.",
        locality="Москва",
        salary_min=90_000,
        salary_max=120_000,
        currency="RUB",
        valid_through=TODAY + timedelta(days=60),
        isco="7119",
        housing=True,
        eaeu_open=True,
    )
    return replace(base, **changes)


def count(store: VacancyStore) -> int:
    with store.ctx.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(VacancyRow)) or 0


class TestPosting:
    def test_publishes_a_verified_employers_vacancy_at_the_next_seq(self, ru, orgs):
        first = ru.post(orgs["employer"], draft())
        second = ru.post(orgs["employer"], draft(title="Сварщик", isco="7212"))
        assert first.id.startswith("RU-")
        assert first.employer_ref == f"RU-OGRN-{STROIMONTAZH}"
        assert (first.seq, second.seq) == (1, 2)
        assert ru.get(first.id).listed(TODAY)
        assert ru.last_seq() == 2

    @pytest.mark.usefixtures("orgs")
    def test_refuses_an_organisation_not_registered_here(self, ru):
        with pytest.raises(EmployerRefused, match="registered at this node") as caught:
            ru.post("no-such-organisation", draft())
        assert caught.value.reason == "jobs.employer_unknown"

    def test_refuses_an_organisation_that_is_not_an_employer(self, ru, orgs):
        with pytest.raises(EmployerRefused, match="not registered as an employer"):
            ru.post(orgs["landlord"], draft())

    def test_refuses_an_organisation_of_another_state(self, ru, orgs):
        with pytest.raises(EmployerRefused, match="its own state"):
            ru.post(orgs["kazakh"], draft())

    def test_an_agency_must_give_a_licence_and_is_flagged(self, ru, orgs):
        with pytest.raises(EmployerRefused, match="licence number") as caught:
            ru.post(orgs["agency"], draft(), agency=True)
        assert caught.value.reason == "jobs.agency_licence"
        assert count(ru) == 0
        posted = ru.post(orgs["agency"], draft(), agency=True, licence="ЛИЦ-77-0042")
        assert posted.is_agency
        assert posted.agency_licence == "ЛИЦ-77-0042"
        again = ru.post(orgs["agency"], draft(title="Сварщик"))
        assert again.is_agency  # the recorded verification holds

    def test_refuses_a_fee_and_stores_nothing(self, ru, orgs):
        text = "Оплата за оформление документов 5000 руб. до выезда."
        with pytest.raises(FeeCharged, match="asks the jobseeker to pay"):
            ru.post(orgs["employer"], draft(description=text))
        assert count(ru) == 0
        assert ru.last_seq() == 0

    def test_refuses_zero_pay_with_the_field(self, ru, orgs):
        with pytest.raises(VacancyInvalid) as caught:
            ru.post(orgs["employer"], draft(salary_min=0, salary_max=None))
        assert caught.value.problems == {"salary": "Pay must be more than zero."}


class TestFreshness:
    def test_hides_a_vacancy_not_reconfirmed_in_90_days_until_it_is(self, ru, orgs):
        posted = ru.post(orgs["employer"], draft(valid_through=TODAY + timedelta(days=200)))
        later = NOW + timedelta(days=91)
        ru.ctx.clock.set(later)  # type: ignore[attr-defined]
        assert not ru.get(posted.id).listed(later.date())
        with pytest.raises(VacancyNotFound, match="no longer open"):
            ru.listed(posted.id)
        with ru.ctx.uow() as uow:
            assert (
                uow.session.scalars(select(VacancyRow).where(listed_filter(later.date()))).all()
                == []
            )
        confirmed = ru.reconfirm(orgs["employer"], posted.id)
        assert confirmed.last_confirmed == later.date()
        assert confirmed.seq == posted.seq + 1
        assert ru.listed(posted.id).id == posted.id

    def test_reconfirming_an_expired_vacancy_extends_it(self, ru, orgs):
        posted = ru.post(orgs["employer"], draft(valid_through=TODAY + timedelta(days=5)))
        ru.ctx.clock.set(NOW + timedelta(days=10))  # type: ignore[attr-defined]
        confirmed = ru.reconfirm(orgs["employer"], posted.id)
        assert confirmed.valid_through == TODAY + timedelta(days=70)

    def test_withdrawal_is_a_tombstone_in_the_feed(self, ru, orgs):
        posted = ru.post(orgs["employer"], draft())
        gone = ru.withdraw(orgs["employer"], posted.id)
        assert gone.status == "withdrawn"
        (record,) = ru.changes_since(posted.seq)
        assert record["status"] == "withdrawn"
        assert record["seq"] == posted.seq + 1
        with pytest.raises(VacancyClosed, match="withdrawn or blocked"):
            ru.reconfirm(orgs["employer"], posted.id)

    def test_another_employer_cannot_touch_it(self, ru, orgs):
        posted = ru.post(orgs["employer"], draft())
        ru.verify_employer(orgs["agency"], agency=True, licence="L-1")
        with pytest.raises(VacancyNotFound):
            ru.withdraw(orgs["agency"], posted.id)
        with pytest.raises(VacancyNotFound):
            ru.reconfirm(orgs["landlord"], posted.id)


def trudvsem_sample() -> dict[str, Any]:
    data = resources.files("eaeu.services.jobs").joinpath("data/samples/trudvsem_ru.json")
    return json.loads(data.read_text("utf-8"))


def shifted(envelope: dict[str, Any], days: int) -> dict[str, Any]:
    """The sample with its dates moved so that they are fresh on TODAY."""
    moved = copy.deepcopy(envelope)
    for item in moved["results"]["vacancies"]:
        record = item["vacancy"]
        for name in ("creation-date", "date_modify"):
            record[name] = (
                date.fromisoformat(record[name][:10]) + timedelta(days=days)
            ).isoformat()
    return moved


DAYS = (TODAY - date(2026, 1, 15)).days


class TestIngest:
    def test_creates_merges_and_then_leaves_unchanged(self, ru):
        envelope = shifted(trudvsem_sample(), DAYS)
        report = ru.ingest(adapters.read_trudvsem(envelope))
        assert len(report.created) == 30
        assert len(report.merged) == 3  # the same jobs posted again per address
        assert report.ok
        again = ru.ingest(adapters.read_trudvsem(envelope))
        assert len(again.unchanged) == 30
        assert len(again.merged) == 3
        assert again.created == again.updated == []
        assert ru.last_seq() == 30

    def test_updates_a_record_that_changed_at_the_source(self, ru):
        envelope = shifted(trudvsem_sample(), DAYS)
        ru.ingest(adapters.read_trudvsem(envelope))
        first = envelope["results"]["vacancies"][5]["vacancy"]
        first["work_places"] = 40
        report = ru.ingest(adapters.read_trudvsem(envelope))
        changed = adapters.vacancy_id("RU", "trudvsem", first["id"])
        assert report.updated == [changed]
        assert ru.get(changed).positions == 40

    def test_rejects_bad_records_with_reasons_and_takes_the_rest(self, ru):
        envelope = shifted(trudvsem_sample(), DAYS)
        items = envelope["results"]["vacancies"]
        items[0]["vacancy"]["duty"] = "Предоплата за оформление 3000 руб."
        items[1]["vacancy"].update(salary="от 0", salary_min=0, salary_max=0)
        items[2]["vacancy"]["company"] = items[2]["vacancy"]["company"] | {"hr-agency": True}
        items[4]["vacancy"]["company"] = items[4]["vacancy"]["company"] | {"ogrn": "1234567890123"}
        items[6]["vacancy"]["date_modify"] = items[6]["vacancy"]["creation-date"] = "2025-01-10"
        report = ru.ingest(adapters.read_trudvsem(envelope))
        reasons = {r.source_id: (r.reason, sorted(r.problems)) for r in report.rejected}
        sample = [item["vacancy"]["id"] for item in items]
        assert reasons[sample[0]] == ("jobs.fee_charged", ["description"])
        assert reasons[sample[1]] == ("jobs.vacancy_invalid", ["salary"])
        assert reasons[sample[2]] == ("jobs.vacancy_invalid", ["agency_licence"])
        assert reasons[sample[4]] == ("jobs.vacancy_invalid", ["employer_ref"])
        assert reasons[sample[6]][1] == ["valid_through"]
        assert not report.ok
        assert len(report.created) + len(report.merged) == 33 - 5

    def test_refuses_a_response_outside_the_region_asked_for(self, ru):
        data = json.dumps(shifted(trudvsem_sample(), DAYS)).encode()
        with pytest.raises(FeedOutOfRegion, match="outside region 77"):
            ru.ingest_file("trudvsem", data, expected_region="7700000000000")
        assert count(ru) == 0

    def test_a_blocked_vacancy_is_not_brought_back_by_ingest(self, ru):
        envelope = shifted(trudvsem_sample(), DAYS)
        report = ru.ingest(adapters.read_trudvsem(envelope))
        target = report.created[0]
        filed = ru.report(target, "fraud", "Просят деньги по телефону")
        ru.decide(filed.id, "block", "operator-1")
        again = ru.ingest(adapters.read_trudvsem(envelope))
        assert any(r.reason == "jobs.vacancy_closed" for r in again.rejected)
        assert ru.get(target).status == "blocked"

    def test_merges_the_same_job_from_two_sources(self, ru, orgs):
        posted = ru.post(orgs["employer"], draft())
        posting = {
            "@type": "JobPosting", "identifier": "site-1", "title": "МОНТАЖНИК (м/ж)",
            "description": "Монтаж.", "datePosted": TODAY.isoformat(),
            "validThrough": (TODAY + timedelta(days=90)).isoformat(),
            "hiringOrganization": {"name": "СтройМонтаж", "identifier": f"RU-OGRN-{STROIMONTAZH}"},
            "jobLocation": {"address": {"addressLocality": "г. Москва", "addressCountry": "RU"}},
            "baseSalary": {"currency": "RUB", "value": {"minValue": 90000, "maxValue": 120000,
                                                        "unitText": "MONTH"}},
            "totalJobOpenings": 7,
        }  # fmt: skip
        report = ru.ingest(adapters.read_jobposting(posting, state="RU"))
        assert report.merged == [("site-1", posted.id)]
        merged = ru.get(posted.id)
        assert merged.positions == 7
        assert merged.valid_through == TODAY + timedelta(days=90)
        assert merged.seq == posted.seq + 1

    def test_refuses_records_of_another_state(self, ru):
        kazakh = adapters.read_jobposting(
            {
                "@type": "JobPosting", "identifier": "kz-1", "title": "Driver", "description": "D",
                "datePosted": TODAY.isoformat(),
                "hiringOrganization": {"name": "X", "identifier": "KZ-BIN-071140030713"},
                "jobLocation": {"address": {"addressLocality": "Almaty", "addressCountry": "KZ"}},
                "baseSalary": {"currency": "KZT", "value": 400000},
            },
            state="KZ",
        )  # fmt: skip
        report = ru.ingest(kazakh)
        assert [r.reason for r in report.rejected] == ["jobs.wrong_origin"]


class TestModeration:
    def test_a_report_waits_in_the_queue_until_blocked(self, ru, orgs):
        posted = ru.post(orgs["employer"], draft())
        first = ru.report(posted.id, "fee", "Просили перевести 5000 на карту")
        second = ru.report(posted.id, "fraud")
        queue = ru.open_reports()
        assert [(r.id, v.id) for r, v in queue] == [(first.id, posted.id), (second.id, posted.id)]
        blocked = ru.decide(first.id, "block", "operator-1")
        assert blocked.status == "blocked"
        assert blocked.seq == posted.seq + 1
        assert ru.open_reports() == []
        assert ru.changes_since(posted.seq)[0]["status"] == "blocked"
        with pytest.raises(VacancyNotFound):
            ru.report(posted.id, "fraud")

    def test_a_dismissed_report_leaves_the_vacancy(self, ru, orgs):
        posted = ru.post(orgs["employer"], draft())
        filed = ru.report(posted.id, "stale")
        ru.decide(filed.id, "dismiss", "operator-1")
        assert ru.get(posted.id).status == "active"
        with pytest.raises(ReportNotFound):
            ru.decide(filed.id, "block", "operator-1")

    def test_refuses_an_unknown_reason_or_action(self, ru, orgs):
        posted = ru.post(orgs["employer"], draft())
        with pytest.raises(ReportInvalid, match="what is wrong"):
            ru.report(posted.id, "ugly")
        with pytest.raises(ReportInvalid, match="at most 1000"):
            ru.report(posted.id, "other", "x" * 1001)
        filed = ru.report(posted.id, "other")
        with pytest.raises(ReportInvalid, match="Block the vacancy"):
            ru.decide(filed.id, "delete", "operator-1")

    def test_another_states_vacancy_cannot_be_blocked_here(self, ru):
        record = foreign_record(seq=1)
        with ru.ctx.uow() as uow:
            ru.apply_replica(uow.session, "KZ", record)
            uow.commit()
        filed = ru.report(record["id"], "fraud")
        with pytest.raises(ReportInvalid, match="node of the vacancy's state") as caught:
            ru.decide(filed.id, "block", "operator-1")
        assert caught.value.reason == "jobs.report_foreign"


def foreign_record(*, seq: int, **changes: Any) -> dict[str, Any]:
    posting = {
        "@type": "JobPosting", "identifier": "kz-9", "title": "Сварщик", "description": "Сварка.",
        "datePosted": TODAY.isoformat(), "validThrough": (TODAY + timedelta(days=30)).isoformat(),
        "hiringOrganization": {"name": "ТОО", "identifier": "KZ-BIN-071140030713"},
        "jobLocation": {"address": {"addressLocality": "Алматы", "addressCountry": "KZ"}},
        "baseSalary": {"currency": "KZT", "value": 450000},
    }  # fmt: skip
    (vacancy,) = adapters.read_jobposting(posting, state="KZ").vacancies
    return vacancy.to_json() | {"seq": seq, "updated_at": NOW.isoformat()} | changes


class TestReplication:
    def test_serves_own_changes_in_pages(self, ru, orgs):
        for n in range(5):
            ru.post(orgs["employer"], draft(title=f"Монтажник {n}"))
        page = ru.changes_since(0, limit=2)
        assert [r["seq"] for r in page] == [1, 2]
        assert [r["seq"] for r in ru.changes_since(2, limit=100)] == [3, 4, 5]
        assert ru.changes_since(5) == []

    def test_keeps_only_newer_records_from_their_origin(self, ru):
        with ru.ctx.uow() as uow:
            assert ru.apply_replica(uow.session, "KZ", foreign_record(seq=3))
            assert not ru.apply_replica(uow.session, "KZ", foreign_record(seq=3, title="Old"))
            assert not ru.apply_replica(uow.session, "KZ", foreign_record(seq=2, title="Older"))
            assert ru.apply_replica(uow.session, "KZ", foreign_record(seq=4, status="withdrawn"))
            uow.commit()
        replica = ru.get(foreign_record(seq=0)["id"])
        assert (replica.seq, replica.status, replica.title) == (4, "withdrawn", "Сварщик")
        assert ru.changes_since(0) == []  # replicas are not this node's feed

    def test_refuses_a_record_from_another_node_than_its_origin(self, ru):
        with ru.ctx.uow() as uow, pytest.raises(ReplicaRefused) as caught:
            ru.apply_replica(uow.session, "BY", foreign_record(seq=1))
        assert caught.value.reason == "jobs.replica_origin"

    def test_refuses_own_and_unreadable_records(self, ru):
        with ru.ctx.uow() as uow:
            with pytest.raises(ReplicaRefused, match="own vacancies"):
                ru.apply_replica(uow.session, "RU", foreign_record(seq=1))
            with pytest.raises(ReplicaRefused, match="cannot be read") as caught:
                ru.apply_replica(uow.session, "KZ", foreign_record(seq=1, status="gone"))
            assert caught.value.reason == "jobs.replica_invalid"
            with pytest.raises(ReplicaRefused, match="no feed position"):
                ru.apply_replica(uow.session, "KZ", foreign_record(seq=0))


class TestConcurrency:
    def test_concurrent_writers_never_share_a_seq(self, ru, orgs):
        ru.verify_employer(orgs["employer"])
        errors: list[BaseException] = []
        start = threading.Barrier(6)

        def write(n: int) -> None:
            try:
                start.wait()
                for k in range(5):
                    ru.post(orgs["employer"], draft(title=f"Монтажник {n}-{k}"))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with ru.ctx.uow() as uow:
            seqs = sorted(uow.session.scalars(select(VacancyRow.seq)))
        assert seqs == list(range(1, 31))
        assert ru.last_seq() == 30


class TestDemonstrationSeed:
    def test_seeds_russia_with_samples_and_the_demo_employers_vacancy(self, ru, node):
        seed_demo_accounts(Accounts(node[0], node[1]), "RU")
        created = ru.seed_demo()
        assert created >= 40
        demo = ru.listed(demo_vacancy_id("RU"))
        assert demo.housing
        assert demo.eaeu_open
        assert demo.employer_ref == f"RU-OGRN-{STROIMONTAZH}"
        assert demo.isco == "7119"
        assert ru.seed_demo() == 0
        with ru.ctx.uow() as uow:
            listed = uow.session.scalar(
                select(func.count()).select_from(VacancyRow).where(listed_filter(TODAY))
            )
            english = uow.session.scalar(
                select(func.count()).where(VacancyRow.languages.like("en%"))
            )
        assert listed == created
        assert english is not None
        assert english >= 5

    @pytest.mark.parametrize("state", ["AM", "BY", "KG", "KZ"])
    def test_seeds_every_other_state_from_its_feed(self, node, state):
        ctx = JobsContext(state=state, uow=node[0], clock=node[1], trust=lambda: None)  # type: ignore[arg-type]
        created = VacancyStore(ctx).seed_demo()
        assert 30 <= created <= 60
