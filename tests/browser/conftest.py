"""Browser tier: the portal and the nodes of one real federation, driven by headless Chromium.

One ``eaeu up`` federation and one Chromium serve the whole folder; each test gets a fresh
browser context (no cookies carried over) and leaves a screenshot in ``tests/artifacts/``.
Without Chromium the tests skip, unless ``EAEU_REQUIRE_BROWSER=1`` makes that a failure.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from eaeu.testing import RunningFederation, federation

HERE = Path(__file__).parent
ARTIFACTS = HERE.parent / "artifacts"
REQUIRE_BROWSER = os.environ.get("EAEU_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
#: Fail fast: every page here is served from localhost, so ten seconds is already generous.
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The hook sees every collected item of the session, so restrict it to this folder.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


def _chromium() -> str | None:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


# Module scope, not session: Playwright's sync API keeps an event loop running in the main
# thread while it is open, and code that calls ``asyncio.run`` (pyHanko's synchronous API)
# fails in any later test of the session while it is.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    if executable is None:
        reason = "browser tests need Chromium at /usr/bin/chromium or on PATH"
        if REQUIRE_BROWSER:
            pytest.fail(f"EAEU_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def running_federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFederation]:
    with federation(tmp_path_factory.mktemp("fed")) as running:
        yield running


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        tab = context.new_page()
        yield tab
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        tab.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    finally:
        context.close()
