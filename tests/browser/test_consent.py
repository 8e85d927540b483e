"""Consent in Chromium across a real federation: give, use, see on My data, withdraw.

A Kyrgyz citizen signs in on the Kyrgyz node and consents to a Russian employer receiving
her identity and contact data for a job application; the Russian employer asks for the data
and gets it; she sees the transfer on My data and withdraws the consent; the employer's next
request is refused in words a person understands, and the copy it received is deleted.
"""

import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect
from steps import sign_in

from eaeu.testing import RunningFederation

ARTIFACTS = Path(__file__).parent.parent / "artifacts"
ORGANISATION = "ООО «Северная стройка»"
ASK = (
    "/consents/new?requester=RU&purpose=jobs.application&categories=identity,contact"
    f"&mode=periodic&service=jobs&organisation=RU-OGRN-1157746013237"
    f"&organisation_name={quote(ORGANISATION)}"
)
#: How long the delivery workers may take to carry a grant or a revocation.
DELIVERY_S = 20


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"consent_{name}.png", full_page=True)


def reload_until(page: Page, selector: str, timeout: float = DELIVERY_S) -> None:
    """Reload until ``selector`` is on the page (a message between nodes takes a moment)."""
    deadline = time.monotonic() + timeout
    while page.locator(selector).count() == 0:
        if time.monotonic() > deadline:
            pytest.fail(f"{selector} did not appear on {page.url} within {timeout} s")
        time.sleep(0.5)
        page.reload()


def give_consent(page: Page, kg: str) -> None:
    """Follow the employer's link on the Kyrgyz node, sign in, check the preview, consent."""
    # The employer's link brings her to the preview, through sign-in.
    page.goto(f"{kg}{ASK}")
    expect(page).to_have_url(re.compile(r"/signin\?next=/consents/new"))
    sign_in(page, kg, "kg-citizen")
    expect(page.locator("#consent-heading")).to_have_text("Send your data to Russia?")
    expect(page.locator("#consent-receiver")).to_contain_text(ORGANISATION)
    expect(page.locator("#consent-preview [data-field=family_name]")).to_have_text("Асанова")
    expect(page.locator("#consent-preview [data-field=email]")).to_contain_text("@")
    expect(page.locator("#consent-policy")).to_contain_text(
        "The transfer rules of Kyrgyzstan allow this transfer"
    )
    shot(page, "1_preview")

    # Giving consent needs her explicit request.
    page.locator("#give-consent").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Confirm that you ask for your data to be sent"
    )
    page.locator("#explicit").check()
    page.locator("#give-consent").click()
    expect(page).to_have_url(re.compile(r"/my-data\?given="))
    expect(page.locator("#my-data-banner")).to_contain_text("You gave your consent")
    expect(page.locator("#active-consents")).to_contain_text(ORGANISATION)
    expect(page.locator("#no-transfers")).to_be_visible()
    shot(page, "2_given")


class TestConsentAcrossBorders:
    def test_give_use_see_withdraw_and_be_refused(
        self, page: Page, running_federation: RunningFederation
    ) -> None:
        kg, ru = running_federation.nodes["KG"], running_federation.nodes["RU"]

        give_consent(page, kg)

        # The Russian employer sees the consent once the grant has been delivered.
        employer = page.context.new_page()
        employer.goto(f"{ru}/consents/received")
        sign_in(employer, ru, "ru-employer")
        expect(employer).to_have_url(f"{ru}/consents/received")
        reload_until(employer, "button[id^=request-]")
        employer.locator("button[id^=request-]").first.click()
        expect(employer.locator("#request-answered")).to_contain_text(
            "The person's home node sent the data."
        )
        expect(employer.locator("#received-data [data-field=family_name]")).to_have_text("Асанова")
        expect(employer.locator("#received-data [data-field=given_name_latin]")).to_have_text(
            "AIGUL"
        )
        shot(employer, "3_employer_received")

        # Her My data page lists the transfer.
        page.goto(f"{kg}/my-data")
        sent = page.locator("#transfers tr.eaeu-transfer[data-outcome=allowed]")
        expect(sent).to_have_count(1)
        expect(sent).to_contain_text("Russia")
        expect(sent).to_contain_text("identity data")
        expect(sent).to_contain_text("Your consent")
        shot(page, "4_my_data")

        # She withdraws the consent.
        page.locator("#active-consents button[id^=revoke-]").click()
        expect(page.locator("#my-data-banner")).to_contain_text("You withdrew your consent")
        expect(page.locator("#no-active-consents")).to_be_visible()
        expect(page.locator("#earlier-consents")).to_contain_text("Withdrawn")
        shot(page, "5_withdrawn")

        # The employer's next request (from the page still open) is refused, in plain words.
        employer.locator("button[id^=request-]").first.click()
        expect(employer.locator("#refusal-text")).to_have_text(
            re.compile(r"The person withdrew this consent .*so their data may no longer be sent\.")
        )
        expect(employer.locator("#refusal-reason")).to_have_text("consent.revoked")
        shot(employer, "6_employer_refused")

        # Once the revocation arrives, the copy the employer received is deleted.
        employer.goto(f"{ru}/consents/received")
        reload_until(employer, "tr[data-status=revoked]")
        row = employer.locator("tr[data-status=revoked]")
        expect(row).to_contain_text("Withdrawn")
        expect(row.locator("td").nth(4)).to_have_text("0")
        api = employer.request.post(
            f"{ru}/api/v1/consent/requests",
            data={"consent_id": row.get_attribute("id").removeprefix("received-")},
        )
        assert api.status == 403
        assert api.json()["reason"] == "consent.revoked"
        shot(employer, "7_employer_after_revocation")

        # In Russian, too (the words of the rules and categories come with the policy).
        page.goto(f"{kg}/my-data?lang=ru")
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        expect(page.locator("#transfers")).to_contain_text("идентификационные данные")
        shot(page, "8_my_data_ru")
