"""Reusable browser steps of the travel journey: book a test, record its result, get the QR.

``book_and_certify`` drives a real portal in Chromium as two people: the traveller (signs
in, books the first free time at a lab, later opens the certificate page and downloads the
PDF) and the lab's staff member (in a separate browser context: signs in, finds the booking
by its code on the laboratory desk and records the result). It returns what the traveller
got, including the ``HC1:`` text that the verifier pages check.

    from travel_steps import book_and_certify
    certified = book_and_certify(browser, page, running_federation.nodes["BY"])
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from eaeu.services.travel.labs import demo_lab_id

#: The Minsk laboratory the Belarusian demonstration accounts ``by-lab`` work at.
MINSK_LAB = demo_lab_id("BY", "minsk-centre")
PASSWORD = "demo-password"
Shot = Callable[[Page, str], None]


@dataclass(frozen=True)
class Certified:
    """What the traveller holds at the end: the certificate and where it came from."""

    text: str
    code: str
    booking_id: str
    certificate_url: str
    pdf: Path | None


def sign_in(page: Page, node: str, username: str) -> None:
    """Complete the sign-in form the page shows, with the one-time code from the mailbox."""
    expect(page.locator("#username")).to_be_visible()
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#username").press("Enter")
    expect(page.locator("#code")).to_be_visible()
    mailbox = page.context.new_page()
    mailbox.goto(f"{node}/dev/mailbox")
    row = mailbox.locator("tr.eaeu-mail", has_text=f"{username}@demo.example").first
    code = row.locator("[data-code]").get_attribute("data-code")
    assert code is not None
    mailbox.close()
    page.locator("#code").fill(code)
    page.locator("#code").press("Enter")


def book(
    page: Page,
    node: str,
    *,
    lab: str = MINSK_LAB,
    citizen: str = "by-citizen",
    shot: Shot | None = None,
) -> tuple[str, str]:
    """Book the first free time at ``lab`` as ``citizen``; return (booking id, code).

    Starts signed out or signed in; a sign-in on the way is completed.
    """
    page.goto(f"{node}/travel/labs/{lab}/book")
    if "/signin" in page.url:
        sign_in(page, node, citizen)
    expect(page.locator("#book-form")).to_be_visible()
    if shot:
        shot(page, "book")
    page.locator("#slots input[name=slot]:not([disabled])").first.check()
    page.locator("#book-submit").click()
    expect(page.locator("#booked-panel")).to_be_visible()
    if shot:
        shot(page, "booked")
    code = page.locator("#booked-code").inner_text().replace("-", "")
    booking_id = re.search(r"booked=([0-9a-f-]+)", page.url).group(1)  # type: ignore[union-attr]
    return booking_id, code


def record_result(
    browser: Browser,
    node: str,
    code: str,
    *,
    negative: bool = True,
    staff: str = "by-lab",
    shot: Shot | None = None,
) -> None:
    """As lab staff in a separate browser context, record the result of booking ``code``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        desk = context.new_page()
        desk.goto(f"{node}/travel/lab")
        sign_in(desk, node, staff)
        expect(desk.locator("h1")).to_be_visible()
        desk.locator("#code").fill(code)
        desk.locator("#desk-show").click()
        card = desk.locator(f".govuk-summary-card[data-code='{code}']").first
        expect(card).to_be_visible()
        card.locator("input[value=negative]" if negative else "input[value=positive]").check()
        if shot:
            shot(desk, "desk")
        card.locator("button[id^=record-]").click()
        expect(desk.locator("#recorded-banner")).to_be_visible()
        if shot:
            shot(desk, "recorded")
    finally:
        context.close()


def book_and_certify(
    browser: Browser,
    page: Page,
    node: str,
    *,
    lab: str = MINSK_LAB,
    citizen: str = "by-citizen",
    staff: str = "by-lab",
    download_to: Path | None = None,
    shot: Shot | None = None,
) -> Certified:
    """Book a test, have the lab record a negative result, open the certificate.

    Args:
        browser: the browser (the lab's staff get their own context).
        page: the traveller's page.
        node: the base URL of the node of the lab's state.
        lab: the lab's id.
        citizen: the traveller's demonstration username.
        staff: the lab staff member's demonstration username.
        download_to: a folder to save the PDF to (not downloaded when ``None``).
        shot: takes a screenshot of a page under a step name.

    Returns:
        The certificate: its ``HC1:`` text, the booking code and id, the page address and
        the downloaded PDF.
    """
    booking_id, code = book(page, node, lab=lab, citizen=citizen, shot=shot)
    record_result(browser, node, code, staff=staff, shot=shot)
    page.goto(f"{node}/travel/bookings")
    page.locator(f"#result-{booking_id}").click()
    expect(page.locator("#result-status")).to_have_attribute("data-result", "negative")
    expect(page.locator("#certificate-qr")).to_be_visible()
    page.wait_for_function(
        "() => { const qr = document.getElementById('certificate-qr');"
        " return qr.complete && qr.naturalWidth > 0; }"
    )
    text = page.locator("#certificate-text").text_content() or ""
    pdf = None
    if download_to is not None:
        with page.expect_download() as downloading:
            page.locator("#download-pdf").click()
        pdf = download_to / downloading.value.suggested_filename
        downloading.value.save_as(pdf)
    return Certified(text.strip(), code, booking_id, page.url, pdf)


__all__ = ["MINSK_LAB", "Certified", "book", "book_and_certify", "record_result", "sign_in"]
