"""The whole journey in Chromium: book a test in Belarus, get the certificate, have it checked
at the Russian border (green), Belarus's health authority revokes it, and the Russian
verifier shows it red — revoked.

The booking, the lab's result and the certificate come from the travel service's steps
(``travel_steps``); the verification and the revocation are on the verifier's pages. The
revocation reaches the Russian node through the exchange's delivery workers, which
``eaeu up`` runs.
"""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from travel_steps import book_and_certify, sign_in

from eaeu.services.travel.hcert import decode, decode_claims
from eaeu.testing import RunningFederation

ARTIFACTS = Path(__file__).parent.parent / "artifacts"
DELIVERY_S = 60


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"travel_journey_{name}.png", full_page=True)


def verify(page: Page, node: str, text: str) -> str:
    """Check ``text`` on ``node``'s verifier page; return the verdict's reason ('' if valid)."""
    page.goto(f"{node}/travel/verify?lang=en")
    expect(page.locator("#arrival")).to_have_value("RU")
    page.locator("#qr").fill(text)
    page.locator("#verify-submit").click()
    verdict = page.locator("#verdict")
    expect(verdict).to_be_visible()
    return verdict.get_attribute("data-reason") or ""


class TestTheWholeJourney:
    def test_book_in_belarus_verify_in_russia_revoke_and_see_it_red(
        self, browser: Browser, page: Page, running_federation: RunningFederation
    ) -> None:
        by, ru = running_federation.nodes["BY"], running_federation.nodes["RU"]
        page.goto(f"{by}/?lang=en")
        certified = book_and_certify(browser, page, by)
        assert certified.text.startswith("HC1:")
        shot(page, "1_certificate")

        # At the Russian border: an officer's browser, nobody signed in.
        border = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            officer = border.new_page()
            assert verify(officer, ru, certified.text) == ""
            expect(officer.locator("#verdict")).to_have_attribute("data-valid", "true")
            expect(officer.locator("#holder-dob")).to_be_visible()
            shot(officer, "2_green_in_russia")

            # Belarus's health authority revokes the certificate.
            uvci = decode_claims(decode(certified.text).payload).dcc["t"][0]["ci"]
            authority = browser.new_context(viewport={"width": 1280, "height": 900})
            try:
                desk = authority.new_page()
                desk.goto(f"{by}/travel/revocations?lang=en")
                sign_in(desk, by, "by-operator")
                expect(desk.locator("#uvci")).to_be_visible()
                desk.locator("#uvci").fill(uvci)
                desk.locator("#revoke").click()
                expect(desk.locator("#revocation-done")).to_be_visible()
                expect(desk.locator("#own-revocations")).to_contain_text(uvci)
                shot(desk, "3_revoked_in_belarus")
            finally:
                authority.close()

            # The change reaches the Russian node over the exchange.
            deadline = time.monotonic() + DELIVERY_S
            reason = verify(officer, ru, certified.text)
            while reason != "revoked" and time.monotonic() < deadline:
                time.sleep(1)
                reason = verify(officer, ru, certified.text)
            assert reason == "revoked"
            expect(officer.locator("#verdict")).to_have_attribute("data-valid", "false")
            expect(officer.locator("#verdict-reason")).to_contain_text("REVOKED")
            shot(officer, "4_red_revoked_in_russia")
        finally:
            border.close()
