"""Travel in Chromium: find a lab in Minsk, book, the lab records a negative result, and the
traveller gets a green certificate with its QR code and a printable PDF.

Also: the same search in Russian, and the Belarusian lab found on the Russian portal (the
registry is replicated).
"""

from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from travel_steps import MINSK_LAB, book_and_certify, sign_in

from eaeu.services.travel import hcert, qr
from eaeu.testing import RunningFederation

ARTIFACTS = Path(__file__).parent.parent / "artifacts"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"travel_{name}.png", full_page=True)


class TestFindingALab:
    def test_finds_minsk_labs_in_english_and_in_russian(
        self, page: Page, running_federation: RunningFederation
    ) -> None:
        by = running_federation.nodes["BY"]
        page.goto(f"{by}/travel/labs?lang=en")
        page.locator("#country").select_option("BY")
        page.locator("#city").fill("Minsk")
        page.locator("#search-submit").click()
        expect(page.locator(f"[data-lab='{MINSK_LAB}']")).to_be_visible()
        expect(page.locator("#results-heading")).to_have_text("Laboratories found: 2")
        shot(page, "1_search_en")

        page.goto(f"{by}/travel/labs?lang=ru&country=BY&city=минск")
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        expect(page.locator(f"[data-lab='{MINSK_LAB}']")).to_contain_text("Минск")
        expect(page.locator("#lab-results > li")).to_have_count(2)
        shot(page, "2_search_ru")

    def test_the_belarusian_lab_is_on_the_russian_portal(
        self, page: Page, running_federation: RunningFederation
    ) -> None:
        ru = running_federation.nodes["RU"]
        page.goto(f"{ru}/travel/labs?country=BY&city=Minsk&lang=en")
        expect(page.locator(f"[data-lab='{MINSK_LAB}']")).to_be_visible()
        page.locator(f"[data-lab='{MINSK_LAB}'] a").first.click()
        expect(page.locator("#book-abroad-signin")).to_be_visible()
        shot(page, "3_lab_on_the_russian_portal")


class TestTheJourney:
    def test_book_record_and_get_a_green_certificate_with_its_pdf(
        self, browser: Browser, page: Page, running_federation: RunningFederation,
        tmp_path: Path,
    ) -> None:  # fmt: skip
        by = running_federation.nodes["BY"]
        page.goto(f"{by}/?lang=en")
        certified = book_and_certify(
            browser, page, by, download_to=tmp_path, shot=lambda p, n: shot(p, f"4_{n}")
        )
        shot(page, "5_certificate")
        assert certified.text.startswith("HC1:")
        png = page.request.get(f"{by}/travel/certificates/{certified.booking_id}.png")
        assert qr.read_hc1(png.body()) == certified.text
        payload = hcert.decode_claims(hcert.decode(certified.text).payload).dcc
        assert payload["nam"]["fnt"] == "KAZLOUSKI"
        assert payload["t"][0]["tr"] == "260415000"
        assert certified.pdf is not None
        assert certified.pdf.read_bytes().startswith(b"%PDF-")
        assert certified.code.encode() not in certified.pdf.read_bytes()

        page.goto(f"{certified.certificate_url}?lang=ru")
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        expect(page.locator("#result-status")).to_have_attribute("data-result", "negative")
        shot(page, "6_certificate_ru")


class TestBookingFromAnotherState:
    def test_a_kyrgyz_citizen_books_in_minsk_from_her_home_portal(
        self, page: Page, running_federation: RunningFederation
    ) -> None:
        kg, by = running_federation.nodes["KG"], running_federation.nodes["BY"]
        book_path = f"/travel/labs/{MINSK_LAB}/book"
        page.goto(f"{kg}/identity/continue?to=BY&next={book_path}&lang=en")
        sign_in(page, kg, "kg-citizen")
        page.locator("#identity-confirm").click()
        expect(page).to_have_url(f"{by}{book_path}")
        notice = page.locator("#visitor-notice")
        expect(notice).to_contain_text("You came from the portal of Kyrgyzstan")
        shot(page, "7_visitor_booking")
        page.locator("#slots input[name=slot]:not([disabled])").first.check()
        page.locator("#book-submit").click()
        expect(page.locator("#booked-panel")).to_be_visible()
        code = page.locator("#booked-code").inner_text()
        shot(page, "8_visitor_booked")

        desk = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            staff = desk.new_page()
            staff.goto(f"{by}/travel/lab?code={code}")
            sign_in(staff, by, "by-lab")
            card = staff.locator(f".govuk-summary-card[data-code='{code.replace('-', '')}']")
            expect(card).to_contain_text("ASANOVA")
            expect(card).to_contain_text("Visitor from Kyrgyzstan")
            shot(staff, "9_visitor_at_the_desk")
        finally:
            desk.close()
