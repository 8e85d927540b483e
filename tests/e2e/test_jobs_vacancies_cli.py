"""``eaeu jobs ingest`` as a node's operator runs it on a «Работа России» file.

In process through typer's runner, on a development union made with ``init_union`` in a
temporary data directory (SQLite); the file's dates are relative to today.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from eaeu.cli.jobs import app
from eaeu.kernel.settings import DEVELOPMENT_MARKER, DEVELOPMENT_SECRET
from eaeu.trust.union import init_union

ENDPOINTS = {state: f"http://{state.lower()}.test" for state in ("AM", "BY", "KG", "KZ", "RU")}
TODAY = datetime.now(UTC).date()


@pytest.fixture(scope="module")
def union_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("var")
    init_union(
        path,
        passphrase=DEVELOPMENT_SECRET.encode(),
        now=datetime.now(UTC) - timedelta(days=1),
        endpoints=ENDPOINTS,
    )
    (path / DEVELOPMENT_MARKER).write_text("test union\n", encoding="utf-8")
    return path


@pytest.fixture
def run(union_dir, monkeypatch):
    for name in ("EAEU_STATE", "EAEU_DATABASE_URL", "EAEU_DEVELOPMENT", "EAEU_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: Any) -> Any:
        return runner.invoke(
            app, ["ingest", *map(str, args)], env={"EAEU_DATA_DIR": str(union_dir)}
        )

    return invoke


def vacancy(n: int, **changes: Any) -> dict[str, Any]:
    record = {
        "id": f"cli-{n}",
        "creation-date": (TODAY - timedelta(days=3)).isoformat(),
        "date_modify": (TODAY - timedelta(days=1)).isoformat(),
        "job-name": f"Каменщик {n}",
        "region": {"region_code": "7700000000000", "name": "г. Москва"},
        "company": {"name": "ООО «СтройМонтаж»", "ogrn": "1157746013237", "hr-agency": False},
        "salary": "от 85000",
        "salary_min": 85000,
        "salary_max": 85000,
        "currency": "«руб.»",
        "employment": "Полная занятость",
        "schedule": "Полный рабочий день",
        "duty": "Кладка кирпича.",
        "addresses": {"address": [{"location": "г. Москва, ул. Мира, д. 1"}]},
        "workPlaceType": {"workPlaceForeign": True},
    }
    record.update(changes)
    return record


def envelope(*records: dict[str, Any]) -> str:
    return json.dumps(
        {"status": "200", "meta": {"total": len(records)},
         "results": {"vacancies": [{"vacancy": r} for r in records]}},
        ensure_ascii=False,
    )  # fmt: skip


class TestIngest:
    def test_ingests_a_clean_file_and_exits_0(self, run, tmp_path):
        path = tmp_path / "moscow.json"
        path.write_text(envelope(vacancy(1), vacancy(2)), encoding="utf-8")
        result = run(path, "--format", "trudvsem", "--state", "RU", "--region", "77", "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert (report["created"], report["rejected"]) == (2, [])
        again = run(path, "--format", "trudvsem", "--state", "RU")
        assert again.exit_code == 0
        assert "unchanged 2" in again.output

    def test_exits_1_with_the_reasons_of_rejected_records(self, run, tmp_path):
        fee = vacancy(3, duty="Оплата за оформление 4000 руб.")
        zero = vacancy(4, salary="от 0", salary_min=0, salary_max=0)
        path = tmp_path / "bad.json"
        path.write_text(envelope(vacancy(5), fee, copy.deepcopy(zero)), encoding="utf-8")
        result = run(path, "--format", "trudvsem", "--state", "RU")
        assert result.exit_code == 1
        assert "rejected cli-3: jobs.fee_charged" in result.output
        assert "rejected cli-4: jobs.vacancy_invalid (salary: Pay must be more than zero.)" in (
            result.output
        )
        as_json = json.loads(run(path, "--format", "trudvsem", "--state", "RU", "--json").stdout)
        assert {r["source_id"] for r in as_json["rejected"]} == {"cli-3", "cli-4"}

    def test_exits_2_for_a_file_it_cannot_read(self, run, tmp_path):
        path = tmp_path / "page.html"
        path.write_text("<html>503</html>", encoding="utf-8")
        result = run(path, "--format", "trudvsem", "--state", "RU")
        assert result.exit_code == 2
        assert "jobs.feed_unreadable" in result.output

    def test_exits_2_when_the_source_ignored_the_region(self, run, tmp_path):
        elsewhere = vacancy(6, region={"region_code": "5400000000000", "name": "НСО"})
        path = tmp_path / "all-russia.json"
        path.write_text(envelope(vacancy(7), elsewhere), encoding="utf-8")
        result = run(path, "--format", "trudvsem", "--state", "RU", "--region", "7700000000000")
        assert result.exit_code == 2
        assert "jobs.feed_region" in result.output

    def test_exits_2_for_an_unknown_format_or_a_missing_file(self, run, tmp_path):
        assert run(tmp_path / "x.json", "--format", "csv", "--state", "RU").exit_code == 2
        assert run(tmp_path / "x.json", "--format", "trudvsem", "--state", "RU").exit_code == 2
