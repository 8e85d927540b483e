"""Shared fixtures: settings on a temporary directory, and databases of both engines.

PostgreSQL tests run when ``EAEU_TEST_POSTGRES_URL`` is set (each test gets a fresh
database); with ``EAEU_REQUIRE_POSTGRES=1`` a missing server fails instead of skipping.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from eaeu.kernel.settings import Settings
from eaeu.testing import postgres_database

HERE = Path(__file__).parent
POSTGRES_URL = os.environ.get("EAEU_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("EAEU_REQUIRE_POSTGRES") == "1"
#: The order the tiers run in: the quick ones first, Chromium last. The browser tier's
#: federation lives until the session ends, so nothing may run after it on a machine
#: busy with its five nodes.
TIERS = ("unit", "conformance", "integration", "e2e", "browser")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order the tiers, and leave out the PostgreSQL variants of engine-neutral tests.

    A module marked ``engine_neutral`` tests the web layer over stores that their own
    tests run on both engines; its tests run on SQLite, except those marked
    ``both_engines`` (a journey or two per module), which run on PostgreSQL too.
    """

    def tier(item: pytest.Item) -> int:
        folder = item.path.relative_to(HERE).parts[0] if item.path.is_relative_to(HERE) else ""
        return TIERS.index(folder) if folder in TIERS else len(TIERS)

    def sqlite_will_do(item: pytest.Item) -> bool:
        callspec = getattr(item, "callspec", None)
        return (
            callspec is not None
            and callspec.params.get("database_url") == "postgresql"
            and item.get_closest_marker("engine_neutral") is not None
            and item.get_closest_marker("both_engines") is None
        )

    kept, left_out = [], []
    for item in items:
        (left_out if sqlite_will_do(item) else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
    items[:] = sorted(kept, key=tier)  # stable: the order within a tier stays the files'


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "var"
    path.mkdir()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    """A fresh, empty database of each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{data_dir / 'test.db'}"
        return
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("EAEU_REQUIRE_POSTGRES=1 but EAEU_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests need EAEU_TEST_POSTGRES_URL")
    with postgres_database(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def make_settings(data_dir: Path):
    """Build development settings on the temporary data directory."""

    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {"development": True, "data_dir": data_dir, **overrides}
        return Settings(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Undo what a command run in-process did to logging (its stream is closed afterwards)."""
    config = structlog.get_config()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.configure(**config)
    root.handlers[:] = handlers
    root.setLevel(level)
