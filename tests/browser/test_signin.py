import re
from pathlib import Path

from playwright.sync_api import Page, expect

from eaeu.testing import RunningFederation

ARTIFACTS = Path(__file__).parent.parent / "artifacts"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"signin_{name}.png", full_page=True)


class TestSignIn:
    def test_kyrgyz_citizen_signs_in_with_password_and_code(
        self, page: Page, running_federation: RunningFederation
    ) -> None:
        node = running_federation.nodes["KG"]
        page.goto(f"{node}/account")
        expect(page).to_have_url(f"{node}/signin?next=/account")
        page.locator("#username").fill("kg-citizen")
        page.locator("#password").fill("wrong-password")
        page.get_by_role("button", name="Continue").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text(
            "The username or password is not right"
        )
        shot(page, "1_wrong_password")

        page.locator("#password").fill("demo-password")
        page.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(f"{node}/signin/code?next=/account")
        expect(page.locator("h1")).to_have_text("Enter your sign-in code")
        shot(page, "2_code")

        with page.context.expect_page() as opened:
            page.locator("#mailbox-link").click()
        mailbox = opened.value
        mailbox.wait_for_load_state()
        first = mailbox.locator("tr.eaeu-mail").first
        expect(first).to_contain_text("kg-citizen@demo.example")
        code = first.locator("[data-code]").get_attribute("data-code")
        assert code is not None
        assert re.fullmatch(r"\d{6}", code)
        shot(mailbox, "3_mailbox")
        mailbox.close()

        page.locator("#code").fill(code)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{node}/account")
        expect(page.locator("#account-name")).to_have_text("Айгуль Асанова")
        expect(page.locator("main")).to_contain_text("AIGUL ASANOVA")
        expect(page.locator("#national-id")).to_have_text("••••••••••0123")
        expect(page.locator("#nav-account")).to_be_visible()
        shot(page, "4_account")

        page.locator("#nav-signout").click()
        expect(page).to_have_url(f"{node}/signin?signed_out=1")
        expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")
        page.goto(f"{node}/account")
        expect(page).to_have_url(f"{node}/signin?next=/account")
