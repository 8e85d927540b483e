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

POSTGRES_URL = os.environ.get("EAEU_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("EAEU_REQUIRE_POSTGRES") == "1"


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
