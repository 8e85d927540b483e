"""The travel verifier page in Chromium: paste, upload a photo, the red verdicts, Russian,
and the health authority's revocation page.

A certificate is signed with Belarus's health document signer from the running
federation's data directory and checked on the Russian node's verifier page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from eaeu.kernel.settings import DEVELOPMENT_SECRET
from eaeu.services.travel.hcert import Holder, LabResult, TestType, issue_test_certificate
from eaeu.services.travel.qr import render_png
from eaeu.services.travel.uvci import make_uvci, random_opaque
from eaeu.testing import RunningFederation
from eaeu.trust.union import LocalUnion

ARTIFACTS = Path(__file__).parent.parent / "artifacts"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"travel_verify_{name}.png", full_page=True)


def certificate(data_dir: Path, state: str = "BY", *, detected: bool = False) -> str:
    signer, dsc = LocalUnion(data_dir, DEVELOPMENT_SECRET.encode()).document_signer(state, "health")
    now = datetime.now(UTC)
    return issue_test_certificate(
        Holder("Кавалёва", "Марына", "1993-09-09"),
        LabResult(TestType.NAAT, now - timedelta(hours=6), detected, state, "MoH", "Lab"),
        uvci=make_uvci(state, random_opaque()),
        signer=signer,
        certificate=dsc,
        issuer_country=state,
        issued_at=now,  # the federation (and its signers) may be minutes old
    ).text


@pytest.fixture
def ru(running_federation: RunningFederation) -> str:
    return running_federation.nodes["RU"]


class TestVerifierPage:
    def test_pasted_certificate_is_green_with_only_name_and_birth_date(
        self, page: Page, ru: str, running_federation: RunningFederation
    ) -> None:
        page.goto(f"{ru}/travel/verify?lang=en")
        expect(page.locator("#arrival")).to_have_value("RU")
        expect(page.locator("#scan")).to_be_visible()  # camera scanning offered with JS
        shot(page, "1_form")
        page.locator("#qr").fill(certificate(running_federation.data_dir))
        page.locator("#verify-submit").click()
        verdict = page.locator("#verdict")
        expect(verdict).to_have_attribute("data-valid", "true")
        expect(page.locator("#verdict-title")).to_have_text("VALID")
        expect(page.locator("#holder-name")).to_have_text("Марына Кавалёва")
        expect(page.locator("#holder-dob")).to_have_text("1993-09-09")
        expect(page.locator("body")).not_to_contain_text("URN:UVCI")
        shot(page, "2_green")

    def test_an_uploaded_photo_is_read_and_a_positive_test_is_red(
        self, page: Page, ru: str, running_federation: RunningFederation, tmp_path: Path
    ) -> None:
        picture = tmp_path / "qr.png"
        picture.write_bytes(render_png(certificate(running_federation.data_dir, detected=True)))
        page.goto(f"{ru}/travel/verify?lang=en")
        page.locator("#image").set_input_files(picture)
        page.locator("#verify-submit").click()
        expect(page.locator("#verdict")).to_have_attribute("data-reason", "test_positive")
        expect(page.locator("#verdict-reason")).to_contain_text("POSITIVE")
        shot(page, "3_red_positive")

    def test_a_state_outside_travel_is_red_in_russian(
        self, page: Page, ru: str, running_federation: RunningFederation
    ) -> None:
        page.goto(f"{ru}/travel/verify?lang=ru")
        page.locator("#qr").fill(certificate(running_federation.data_dir, "KZ"))
        page.locator("#verify-submit").click()
        expect(page.locator("#verdict")).to_have_attribute(
            "data-reason", "issuer_not_participating"
        )
        expect(page.locator("#verdict-title")).to_have_text("НЕДЕЙСТВИТЕЛЕН")
        page.locator("#stages summary").click()
        shot(page, "4_red_kz_ru")

    def test_garbage_and_an_empty_form_are_explained(self, page: Page, ru: str) -> None:
        page.goto(f"{ru}/travel/verify?lang=en")
        page.locator("#verify-submit").click()
        expect(page.locator("#verify-error")).to_contain_text("Scan, upload or paste")
        page.locator("#qr").fill("https://example.com/not-a-certificate")
        page.locator("#verify-submit").click()
        expect(page.locator("#verdict")).to_have_attribute("data-reason", "prefix")
        shot(page, "5_garbage")
