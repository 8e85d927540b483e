"""Steps the browser tests share (importable: ``tests/browser`` is on the path)."""

from playwright.sync_api import Page, expect


def sign_in(page: Page, node: str, username: str) -> None:
    """Complete the sign-in form the page was sent to, with the code from the mailbox."""
    expect(page.locator("#username")).to_be_visible()
    page.locator("#username").fill(username)
    page.locator("#password").fill("demo-password")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#code")).to_be_visible()
    mailbox = page.context.new_page()
    mailbox.goto(f"{node}/dev/mailbox")
    row = mailbox.locator("tr.eaeu-mail", has_text=f"{username}@demo.example").first
    code = row.locator("[data-code]").get_attribute("data-code")
    assert code is not None
    mailbox.close()
    page.locator("#code").fill(code)
    page.get_by_role("button", name="Sign in").click()
