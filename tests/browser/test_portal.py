import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, expect

from eaeu.kernel.states import STATE_CODES

VALID_INN = "7707083893"
#: The same INN with its check digit changed.
INN_WITH_WRONG_CHECK_DIGIT = "7707083894"

#: The visible text nodes written in the page's own language, without ``<code>`` (addresses
#: and identifiers are data, not language) and without elements that carry their own
#: ``lang`` (state names in national languages, the link to the other language).
PAGE_LANGUAGE_TEXT = """
(selectors) => {
  const lang = document.documentElement.lang;
  const parts = [];
  for (const root of selectors.flatMap((s) => [...document.querySelectorAll(s)])) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const element = node.parentElement;
      if (element.closest("code, script, [hidden]")) continue;
      if (element.closest("[lang]").lang !== lang) continue;
      if (!element.checkVisibility()) continue;
      const text = node.textContent.replace(/\\s+/g, " ").trim();
      if (text) parts.push(text);
    }
  }
  return parts;
}
"""
MAIN_AND_NAVIGATION = ["main", "nav"]
#: Latin words that are the same in Russian: abbreviations kept in Russian texts.
# Names written the same in both languages ("COVID-19" tokenises as "COVID-").
SHARED_WORDS = {"API", "COVID-"}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
URL = re.compile(r"\bhttps?://\S+")


def latin_words(texts: list[str]) -> set[str]:
    return {
        word for text in texts for word in LATIN_WORD.findall(URL.sub(" ", text))
    } - SHARED_WORDS


def sentences(texts: list[str]) -> set[str]:
    """Split texts into their sentences of at least three words."""
    pieces = (piece for text in texts for piece in re.split(r"(?<=[.!?:])\s+", text))
    return {piece for piece in pieces if len(piece.split()) >= 3}


def switch_to_russian(page: Page) -> None:
    page.locator("#language-ru").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")


class TestUnionPortal:
    def test_lists_the_five_nodes_online(self, page, running_federation):
        page.goto(running_federation.portal)
        rows = page.locator("table#nodes tbody tr[data-state]")
        expect(rows).to_have_count(len(STATE_CODES))
        states = [rows.nth(i).get_attribute("data-state") for i in range(rows.count())]
        assert states == ["AM", "BY", "KG", "KZ", "RU"]
        for code in STATE_CODES:
            row = page.locator(f"table#nodes tr[data-state={code}]")
            expect(row.locator(".govuk-tag")).to_have_text("Online")
            expect(row.locator("th a")).to_have_attribute(
                "href", f"{running_federation.nodes[code]}/?lang=en"
            )

    def test_switches_to_russian_and_keeps_it(self, page, running_federation):
        page.goto(running_federation.portal)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        switch_to_russian(page)
        expect(page.locator("h1")).to_have_text("Одна платформа для пяти государств-членов")
        # A later visit without ?lang= is remembered through the cookie.
        page.goto(running_federation.portal)
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        expect(page.locator("tr[data-state=KZ] .govuk-tag")).to_have_text("Работает")
        expect(page.locator("#language-en")).to_have_text("English")
        expect(page.locator("#language-ru")).to_have_count(0)

    def test_follows_a_link_to_a_node(self, page, running_federation):
        page.goto(running_federation.portal)
        switch_to_russian(page)
        page.locator("tr[data-state=KZ] th a").filter(has_text="Казахстан").click()
        expect(page).to_have_url(f"{running_federation.nodes['KZ']}/?lang=ru")
        expect(page.locator("h1")).to_have_text("Республика Казахстан")
        expect(page.locator("html")).to_have_attribute("lang", "ru")

    def test_russian_landing_page_has_no_english_left(self, page, running_federation):
        page.goto(running_federation.portal)
        english = page.evaluate(PAGE_LANGUAGE_TEXT, MAIN_AND_NAVIGATION)
        english_words = latin_words(english)
        english_sentences = sentences(english)
        # Guard the guard: the English page must give words and sentences to look for.
        assert {"One", "platform", "Online"} <= english_words
        assert len(english_sentences) >= 3
        switch_to_russian(page)
        russian = page.evaluate(PAGE_LANGUAGE_TEXT, MAIN_AND_NAVIGATION)
        assert "Одна платформа для пяти государств-членов" in russian
        running_text = " ".join(russian)
        assert sorted(s for s in english_sentences if s in running_text) == []
        assert sorted(english_words & latin_words(russian)) == []

    def test_loads_nothing_from_outside_and_logs_no_errors(self, page, running_federation):
        requested: list[str] = []
        errors: list[str] = []

        def on_request(request: Request) -> None:
            requested.append(request.url)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                errors.append(message.text)

        page.on("request", on_request)
        page.on("console", on_console)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(running_federation.portal, wait_until="networkidle")
        assert any(url.endswith("govuk-frontend.min.css") for url in requested)
        assert any(url.endswith("govuk-frontend.min.js") for url in requested)
        assert [url for url in requested if urlsplit(url).hostname != "127.0.0.1"] == []
        assert errors == []

    def test_shows_a_styled_russian_page_for_an_unknown_address(self, page, running_federation):
        page.context.add_cookies(
            [{"name": "lang", "value": "ru", "url": running_federation.portal}]
        )
        response = page.goto(f"{running_federation.portal}/no-such-page")
        assert response is not None
        assert response.status == 404
        assert response.headers["content-type"].startswith("text/html")
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        expect(page.locator("h1")).to_have_text("Страница не найдена")
        expect(page.locator("main")).to_contain_text("По этому адресу ничего нет.")
        expect(page.locator("main a[href='/']")).to_have_text("Перейти на главную страницу")
        # The house style is applied: GOV.UK Frontend bounds the page width and bolds headings.
        container = page.locator("main").locator("xpath=..")
        expect(container).to_have_css("max-width", re.compile(r"^\d+px$"))
        expect(page.locator("h1")).to_have_css("font-weight", "700")


class TestIdentifierCheck:
    @pytest.fixture
    def form(self, page, running_federation):
        page.goto(f"{running_federation.nodes['RU']}/identifiers?lang=ru")
        return page

    def check(self, page: Page, state: str, kind: str, value: str) -> int:
        page.locator("select#state").select_option(state)
        # Only the chosen state's kinds remain selectable once the state is picked.
        enabled = page.locator(f"select#kind optgroup[data-state={state}]:not([disabled]) option")
        assert enabled.count() >= 1
        assert page.locator("select#kind optgroup:not([disabled])").count() == 1
        page.locator("select#kind").select_option(kind)
        page.locator("input#value").fill(value)
        with page.expect_navigation() as navigation:
            page.locator("form button[type=submit]").click()
        response = navigation.value
        assert response is not None
        return response.status

    def test_explains_a_wrong_check_digit_in_russian(self, form):
        status = self.check(form, "RU", "inn", INN_WITH_WRONG_CHECK_DIGIT)
        assert status == 422
        summary = form.locator(".govuk-error-summary")
        expect(summary).to_be_visible()
        expect(summary.locator("h2")).to_have_text("Обнаружена ошибка")
        expect(summary.locator("a[href='#value']")).to_have_text(
            "Контрольная цифра не совпадает: в номере опечатка или такой номер не выдавался."
        )
        field = form.locator("input#value")
        expect(field).to_have_class(re.compile(r"\bgovuk-input--error\b"))
        expect(field).to_have_value(INN_WITH_WRONG_CHECK_DIGIT)
        expect(field).to_have_attribute("aria-describedby", re.compile(r"\bvalue-error\b"))
        expect(form.locator("#value-error")).to_contain_text("Контрольная цифра не совпадает")
        expect(form.locator(".eaeu-result")).to_have_count(0)

    def test_confirms_a_valid_number(self, form):
        status = self.check(form, "RU", "inn", VALID_INN)
        assert status == 200
        result = form.locator(".eaeu-result")
        expect(result).to_be_visible()
        expect(result.locator("#result-title")).to_have_text("Номер верен")
        expect(result).to_contain_text(VALID_INN)
        expect(result).to_contain_text("проверена")
        expect(form.locator(".govuk-error-summary")).to_have_count(0)
        expect(form.locator("input#value")).not_to_have_class(re.compile(r"govuk-input--error"))
