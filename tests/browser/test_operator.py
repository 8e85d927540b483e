"""The node operator's page in Chromium: trust list, peers, outbox and the message log."""

import os
import re
import subprocess
import sys

import httpx
import pytest
from playwright.sync_api import Page, expect

from eaeu.kernel.states import STATE_CODES

#: The text of ``main`` in the page's own language, hidden tab panels included, without
#: ``<code>`` (identifiers and addresses are data) and without elements in another ``lang``.
PAGE_LANGUAGE_TEXT = """
(selector) => {
  const lang = document.documentElement.lang;
  const parts = [];
  for (const root of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const element = node.parentElement;
      if (element.closest("code, script")) continue;
      if (element.closest("[lang]").lang !== lang) continue;
      const text = node.textContent.replace(/\\s+/g, " ").trim();
      if (text) parts.push(text);
    }
  }
  return parts;
}
"""
HEADINGS = "main h1, main h2, main h3, main caption, main th, main dt, main .govuk-tabs__tab"
#: Abbreviations written the same way in Russian texts.
SHARED_WORDS = {"UTC", "COVID"}
LATIN_WORD = re.compile(r"[A-Za-z](?:[A-Za-z'’-]*[A-Za-z])?")


def latin_words(texts):
    return {word for text in texts for word in LATIN_WORD.findall(text)} - SHARED_WORDS


def operator_page(page: Page, node: str, lang: str = "en", tab: str = "") -> None:
    response = page.goto(f"{node}/operator?lang={lang}{tab}")
    assert response is not None
    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", lang)


def ping(federation, sender, receiver):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EAEU_")}
    command = ["exchange", "ping", "--from", sender, "--to", receiver]
    result = subprocess.run(
        [sys.executable, "-m", "eaeu", *command, "--data-dir", str(federation.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def log_records(federation, state):
    reply = httpx.get(f"{federation.nodes[state]}/api/v1/exchange/log/verify", trust_env=False)
    assert reply.status_code == 200, reply.text
    return reply.json()["records"]


@pytest.fixture
def kz(running_federation):
    return running_federation.nodes["KZ"]


class TestTrustListTab:
    def test_shows_the_version_in_force_and_who_signed_it(self, page, kz):
        operator_page(page, kz)
        expect(page.locator("h1")).to_have_text("Node operator")
        expect(page.locator("#trust")).to_be_visible()
        expect(page.locator("#trust-version")).to_have_text("1")
        summary = page.locator("#trust-summary")
        expect(summary).to_contain_text("Armenia, Belarus, Kyrgyzstan, Kazakhstan, Russia")
        expect(summary.locator("code.eaeu-digest")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
        expect(page.locator(".govuk-warning-text")).to_have_count(0)

    def test_shows_who_takes_part_in_which_service(self, page, kz):
        operator_page(page, kz)
        rows = page.locator("table#participation tbody tr[data-state]")
        expect(rows).to_have_count(len(STATE_CODES))
        assert [rows.nth(i).get_attribute("data-state") for i in range(5)] == list(STATE_CODES)
        travel = {
            code: page.locator(f"tr[data-state={code}] td[data-service=travel]")
            for code in STATE_CODES
        }
        # Travel starts with Armenia, Belarus and Russia; Kazakhstan has not joined in v1.
        for code in ("KG", "KZ"):
            expect(travel[code]).to_have_text("not joined")
            expect(travel[code].locator(".govuk-tag--grey")).to_be_visible()
        for code in ("AM", "BY", "RU"):
            expect(travel[code]).to_have_text("issuer, verifier")
            expect(travel[code].locator(".govuk-tag--green")).to_be_visible()
        expect(page.locator("tr[data-state=KZ] td[data-service=exchange]")).to_have_text("member")


class TestTabs:
    def test_the_peers_tab_shows_every_other_node_reachable(self, page, kz):
        operator_page(page, kz)
        expect(page.locator("#peers")).to_be_hidden()
        page.get_by_role("tab", name="Peers").click()
        expect(page.locator("#peers")).to_be_visible()
        expect(page.locator("#trust")).to_be_hidden()
        expect(page).to_have_url(re.compile(r"#peers$"))
        peers = page.locator("#peers tr[data-peer]")
        expect(peers).to_have_count(4)
        assert [peers.nth(i).get_attribute("data-peer") for i in range(4)] == [
            "AM",
            "BY",
            "KG",
            "RU",
        ]
        for i in range(4):
            expect(peers.nth(i).locator(".govuk-tag")).to_have_text("Reachable")

    def test_the_outbox_tab_counts_waiting_and_dead_messages(self, page, kz):
        operator_page(page, kz)
        page.get_by_role("tab", name="Outbox").click()
        expect(page.locator("#outbox")).to_be_visible()
        expect(page.locator("#outbox-pending")).to_have_text("0")
        expect(page.locator("#outbox-dead")).to_have_text("0")
        expect(page.locator("#outbox")).to_contain_text("No dead letters.")

    def test_a_link_to_a_tab_opens_it(self, page, kz):
        operator_page(page, kz, tab="#log")
        expect(page.locator("#log")).to_be_visible()
        expect(page.locator("#trust")).to_be_hidden()
        expect(page.get_by_role("tab", name="Message log")).to_have_attribute(
            "aria-selected", "true"
        )


class TestMessageLog:
    def test_shows_a_ping_on_both_nodes_with_the_log_intact(self, page, running_federation, kz):
        # The delivery workers pull vacancy feeds meanwhile, so the log may grow by more
        # than the ping: the ping is found by its type, after the records seen before it.
        before = log_records(running_federation, "KZ")
        out = ping(running_federation, "KZ", "RU")
        assert out.startswith("KZ → RU: signed round trip")
        operator_page(page, kz, tab="#log")
        verification = page.locator("#log-verification")
        expect(verification).to_have_attribute("data-intact", "true")
        counted = re.search(r"all (\d+) records verifies", verification.inner_text())
        assert counted is not None
        assert int(counted.group(1)) > before
        sent = page.locator("#log-records tbody tr").filter(has_text="exchange.ping").first
        assert int(sent.locator("td").nth(0).inner_text()) > before
        expect(sent).to_contain_text("sent")
        expect(sent).to_contain_text("EAEU/KZ/")
        operator_page(page, running_federation.nodes["RU"], tab="#log")
        expect(page.locator("#log-verification")).to_have_attribute("data-intact", "true")
        received = page.locator("#log-records tbody tr").filter(has_text="exchange.ping")
        expect(received.first).to_contain_text("received")
        expect(received.first.locator("td").nth(3)).to_contain_text("EAEU/KZ/")


class TestRussian:
    def test_the_page_is_in_russian_throughout(self, page, kz, running_federation):
        # A ping first, so that the log table has rows whose words could stay in English.
        ping(running_federation, "KZ", "RU")
        operator_page(page, kz)
        english = page.evaluate(PAGE_LANGUAGE_TEXT, "main")
        # Guard the guard: the English page gives words to look for.
        assert {"Node", "operator", "Peers", "Outbox", "joined"} <= latin_words(english)
        operator_page(page, kz, lang="ru")
        expect(page.locator("h1")).to_have_text("Оператор узла")
        expect(page.locator("tr[data-state=KZ] td[data-service=travel]")).to_have_text(
            "не участвует"
        )
        headings = page.evaluate(PAGE_LANGUAGE_TEXT, HEADINGS)
        assert len(headings) >= 20
        assert sorted(latin_words(headings)) == []

    def test_the_message_log_is_in_russian_too(self, page, kz, running_federation):
        ping(running_federation, "KZ", "RU")
        operator_page(page, kz, lang="ru", tab="#log")
        expect(page.locator("#log-records tbody tr")).not_to_have_count(0)
        assert sorted(latin_words(page.evaluate(PAGE_LANGUAGE_TEXT, "main"))) == []

    def test_the_tabs_work_in_russian(self, page, kz):
        operator_page(page, kz, lang="ru")
        page.get_by_role("tab", name="Узлы-партнёры").click()
        expect(page.locator("#peers")).to_be_visible()
        expect(page.locator("#peers tr[data-peer] .govuk-tag")).to_have_text(["Доступен"] * 4)
