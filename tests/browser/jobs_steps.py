"""Reusable browser steps of the jobs journey: a Kyrgyz worker takes a job in Russia.

Each step drives a real portal in Chromium the way a person does: it finds controls by
their role and their label, in the page's language, and asserts on the text the person
reads. The worker and the employer use Russian (their browsers ask for it), so every label
is looked up through :func:`tr`, which reads the portal's own Russian catalogue: the test
follows the catalogue, and a label missing from it shows up in English on the page and in
the test alike (``test_jobs_pages`` checks that none is missing).

The steps return what the next one needs (an application's id, a contract's address) and
leave a screenshot of every page they pass through when given ``shot``::

    from jobs_steps import Person, open_person
    worker = open_person(browser, nodes["KG"], "kg-citizen", shot=shot)
    vacancy_url = find_vacancy(worker, "монтажник")
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from travel_steps import sign_in

from eaeu.consent.model import PURPOSES
from eaeu.web.i18n import translations

ARTIFACTS = Path(__file__).parent.parent / "artifacts"
#: Pages of a person's browser language (the Accept-Language header it sends).
LOCALE = "ru-RU"
LANGUAGE = "ru"
#: How long a change travelling between two nodes (the delivery workers) may take.
DELIVERY_S = 60.0
Shot = Callable[[Page, str], None]


@cache
def _catalogue() -> object:
    return translations(LANGUAGE)


def tr(msgid: str) -> str:
    """The text the portal shows for ``msgid`` in the person's language."""
    return _catalogue().gettext(msgid)  # type: ignore[attr-defined, no-any-return]


def text_pattern(msgid: str, **known: str) -> re.Pattern[str]:
    """A pattern of the translated ``msgid`` whose ``%(name)s`` placeholders match anything.

    Args:
        msgid: the English message id.
        known: placeholder values that must match exactly.
    """
    translated = tr(msgid)
    parts = re.split(r"(%\(\w+\)[sd])", translated)
    regex = ""
    for part in parts:
        found = re.fullmatch(r"%\((\w+)\)[sd]", part)
        if found is None:
            regex += re.escape(part)
        elif found.group(1) in known:
            regex += re.escape(known[found.group(1)])
        else:
            regex += ".+?"
    return re.compile(regex)


def purpose(code: str) -> str:
    """How the portal names a purpose of a transfer (``jobs.application``) to the person."""
    return PURPOSES[code].in_language(LANGUAGE)


@dataclass
class Person:
    """One person's browser: their own context (cookies), page and home node."""

    context: BrowserContext
    page: Page
    node: str
    username: str

    def goto(self, path: str) -> None:
        """Open ``path`` on the home node, signing in on the way if asked to.

        Raises:
            AssertionError: the page answered with an error status.
        """
        response = self.page.goto(f"{self.node}{path}")
        if "/signin" in self.page.url:
            sign_in(self.page, self.node, self.username)
            self.page.wait_for_url(lambda url: "/signin" not in url)
            response = self.page.goto(f"{self.node}{path}")
        assert response is not None
        assert response.status < 400, (
            f"{path}: {response.status} {self.page.inner_text('main')[:500]}"
        )

    def close(self) -> None:
        """Close the person's browser."""
        self.context.close()


def open_person(browser: Browser, node: str, username: str) -> Person:
    """A fresh browser of a Russian-speaking person whose home portal is ``node``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=LOCALE)
    context.set_default_timeout(10_000)
    return Person(context, context.new_page(), node, username)


def make_shot(prefix: str) -> Shot:
    """A screenshot taker writing ``tests/artifacts/<prefix>_<step>.png`` (whole page)."""

    def shot(page: Page, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{prefix}_{name}.png", full_page=True)

    return shot


def eventually(page: Page, locator: Locator, text: str | re.Pattern[str]) -> None:
    """Reload ``page`` until ``locator`` shows ``text`` (a change travelling between nodes)."""
    deadline = time.monotonic() + DELIVERY_S
    while True:
        try:
            expect(locator).to_contain_text(text, timeout=1_000)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
            page.reload()
        else:
            return


def tick_and_submit(page: Page, button: str) -> None:
    """Tick the explicit-request box of a consent preview and press ``button``."""
    page.get_by_role("checkbox").last.check()
    page.get_by_role("button", name=tr(button)).click()


# --- the worker finds the vacancy -------------------------------------------------------------


def search(person: Person, words: str, shot: Shot | None = None) -> Page:
    """Search the union's vacancies for ``words`` from the search form."""
    person.goto("/jobs")
    page = person.page
    page.get_by_label(tr("Job title, occupation or keywords")).fill(words)
    page.get_by_role("button", name=tr("Search"), exact=True).click()
    expect(
        page.get_by_role("heading", name=text_pattern("Vacancies found: %(num)d"))
    ).to_be_visible()
    if shot:
        shot(page, "search")
    return page


def sync_feed(browser: Browser, node: str, operator: str, peer: str, shot: Shot | None) -> None:
    """The node's operator pulls ``peer``'s vacancies now («Sync now» on the feed page)."""
    desk = open_person(browser, node, operator)
    try:
        desk.goto("/jobs/feed")
        row = desk.page.get_by_role("row").filter(has_text=state_name(peer))
        row.get_by_role("button", name=re.compile(re.escape(tr("Sync now")))).click()
        results = desk.page.get_by_role("alert")
        expect(results).to_contain_text(
            text_pattern("up to date; %(applied)d changes applied, %(skipped)d refused")
        )
        if shot:
            shot(desk.page, "feed_synced")
    finally:
        desk.close()


def state_name(code: str) -> str:
    """A member state's name in the person's language."""
    from eaeu.kernel.states import MEMBER_STATES  # noqa: PLC0415 - only the steps need it

    return MEMBER_STATES[code].name(LANGUAGE)


# --- CV and application ----------------------------------------------------------------------


def write_cv(person: Person, shot: Shot | None = None) -> None:
    """Write a short CV: a construction installer from Bishkek who speaks Russian."""
    person.goto("/jobs/cv")
    page = person.page
    page.get_by_label(tr("Headline")).fill("Монтажник металлоконструкций, 6 лет на стройках")
    page.get_by_label(tr("Occupations (ISCO-08)")).fill("7119, 7214")
    page.get_by_label(tr("Where you live")).fill("Бишкек")
    page.get_by_label(tr("Job title")).first.fill("Монтажник")
    page.get_by_label(tr("Employer"), exact=True).first.fill("ОсОО «Ала-Тоо Курулуш»")
    page.get_by_label(tr("From (YYYY-MM)")).first.fill("2019-03")
    page.get_by_label(tr("Language"), exact=True).first.select_option("ru")
    page.get_by_label(tr("Level"), exact=True).last.select_option("C1")
    page.get_by_role("button", name=tr("Save CV")).click()
    expect(page.get_by_text(tr("Your CV was saved."))).to_be_visible()
    if shot:
        shot(page, "cv")


def apply(person: Person, vacancy_url: str, shot: Shot | None = None) -> str:
    """Apply from the vacancy page: choose, see the consent preview, confirm; return the id."""
    page = person.page
    page.goto(vacancy_url)
    page.get_by_role("link", name=tr("Apply"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text_pattern("Apply for %(title)s"))
    expect(page.get_by_role("checkbox", name=tr(PART_IDENTITY))).to_be_checked()
    if shot:
        shot(page, "apply")
    page.get_by_role("button", name=tr("Check what would be sent")).click()
    # The consent preview: to whom, why, and exactly what.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        text_pattern("Send your application to %(state)s?", state=state_name("RU"))
    )
    expect(page.get_by_text(purpose("jobs.application"))).to_be_visible()
    if shot:
        shot(page, "apply_preview")
    tick_and_submit(page, "Give consent and send")
    expect(page.get_by_text(tr("Application sent"))).to_be_visible()
    if shot:
        shot(page, "applied")
    found = re.search(r"/jobs/applications/([^/?#]+)", page.url)
    assert found is not None, page.url
    return found.group(1)


PART_IDENTITY = "Your name, date of birth and citizenship"


# --- the employer ----------------------------------------------------------------------------


def invite(employer: Person, applicant: str, message: str, shot: Shot | None = None) -> None:
    """The employer finds the application among theirs, opens it and invites the applicant."""
    employer.goto("/jobs/employer/applications")
    page = employer.page
    eventually(page, page.get_by_role("main"), applicant)
    if shot:
        shot(page, "employer_applications")
    page.get_by_role("link", name=applicant).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(applicant)
    if shot:
        shot(page, "employer_application")
    page.get_by_label(tr("Message: when and where, or how the interview will be held")).fill(
        message
    )
    page.get_by_role("button", name=tr("Invite to an interview")).click()
    expect(page.get_by_role("alert")).to_contain_text(
        tr("Saved. The applicant's home node is told.")
    )
    if shot:
        shot(page, "invited")


def see_invitation(worker: Person, application_id: str, message: str, shot: Shot | None) -> None:
    """The worker's application shows the employer's invitation (it came back over the exchange)."""
    worker.goto(f"/jobs/applications/{application_id}")
    page = worker.page
    eventually(page, page.get_by_role("main"), tr("Invitation from the employer"))
    expect(page.get_by_text(message).first).to_be_visible()
    if shot:
        shot(page, "invitation")


def offer(employer: Person, salary: int, shot: Shot | None = None) -> str:
    """On the application's page, the employer makes the offer, which signs the contract.

    Returns:
        The contract page's path on the employer's node.
    """
    page = employer.page
    page.reload()
    page.get_by_label(tr("Pay"), exact=True).fill(str(salary))
    start = datetime.now(UTC).date() + timedelta(days=21)
    page.get_by_label(tr("First working day (YYYY-MM-DD)")).fill(start.isoformat())
    page.get_by_label(tr("Duties")).fill("Монтаж металлических конструкций по чертежам.")
    page.get_by_label(tr("Conditions (housing, travel)")).fill("Место в общежитии работодателя.")
    if shot:
        shot(page, "offer_form")
    page.get_by_role("button", name=tr("Sign the contract and send the offer")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Employment contract"))
    expect(page.get_by_text(tr("Waiting for the worker's signature"))).to_be_visible()
    if shot:
        shot(page, "offered")
    return page.url.removeprefix(employer.node)


# --- the worker signs ------------------------------------------------------------------------


def sign_contract(worker: Person, application_id: str, shot: Shot | None = None) -> str:
    """The worker opens the offer from their application and signs; return the contract path."""
    worker.goto(f"/jobs/applications/{application_id}")
    page = worker.page
    eventually(page, page.get_by_role("main"), tr("See the offer and the contract"))
    if shot:
        shot(page, "offer_received")
    page.get_by_role("link", name=tr("See the offer and the contract")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Employment contract"))
    expect(page.get_by_text(tr("The employer's signature, checked here"))).to_be_visible()
    expect(page.get_by_text(purpose("jobs.employment_contract"))).to_be_visible()
    if shot:
        shot(page, "contract_to_sign")
    tick_and_submit(page, "Sign the contract")
    expect(page.get_by_text(tr("Contract signed by both"))).to_be_visible()
    if shot:
        shot(page, "contract_signed")
    return page.url.removeprefix(worker.node).split("?")[0]


# --- insurance, housing, checklist, migration -------------------------------------------------


def buy_insurance(worker: Person, shot: Shot | None = None) -> None:
    """Buy the Russian insurer's worker policy for six months; see it verified."""
    worker.goto("/jobs/insurance?to=RU")
    page = worker.page
    card = (
        page.locator(".govuk-summary-card")
        .filter(has_text="ДМС для работника")
        .filter(has_not_text="семьи")
    )
    expect(card).to_have_count(1)
    if shot:
        shot(page, "insurance")
    card.get_by_role("link", name=tr("Choose this policy")).click()
    page.get_by_label(tr("Months")).fill("6")
    page.get_by_role("button", name=tr("Update")).click()
    expect(page.get_by_text(purpose("insurance.policy"))).to_be_visible()
    if shot:
        shot(page, "insurance_preview")
    tick_and_submit(page, "Give consent and buy")
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Your policy"))
    expect(page.get_by_text(tr("Signature verified"))).to_be_visible()
    if shot:
        shot(page, "insurance_policy")


def book_housing(worker: Person, owner: str | re.Pattern[str], shot: Shot | None = None) -> str:
    """Book a bed at ``owner``'s place in Russia for the first months; return the address."""
    worker.goto("/jobs/housing?to=RU")
    page = worker.page
    card = page.locator(".govuk-summary-card").filter(has_text=owner).first
    expect(card).to_be_visible()
    if shot:
        shot(page, "housing")
    card.get_by_role("link", name=tr("Book this place"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Book a place"))
    expect(page.get_by_text(purpose("housing.rental"))).to_be_visible()
    if shot:
        shot(page, "housing_preview")
    tick_and_submit(page, "Give consent and book")
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Your booking"))
    expect(page.get_by_text(tr("Signature verified"))).to_be_visible()
    address = page.get_by_role("definition").filter(has=page.locator("strong")).first
    if shot:
        shot(page, "housing_booked")
    return address.inner_text().strip()


def checklist(worker: Person, shot: Shot | None = None, name: str = "checklist") -> Page:
    """Open the worker's checklist for Russia."""
    worker.goto("/jobs/checklist?to=RU")
    if shot:
        shot(worker.page, name)
    return worker.page


def send_pre_arrival(worker: Person, shot: Shot | None = None) -> None:
    """Send the pre-arrival notice from the migration page; see it acknowledged."""
    worker.goto("/jobs/migration")
    page = worker.page
    if shot:
        shot(page, "migration")
    page.get_by_role("link", name=tr("Send the pre-arrival notice")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Pre-arrival notice"))
    expect(page.get_by_text(purpose("migration.pre_arrival"))).to_be_visible()
    if shot:
        shot(page, "pre_arrival_preview")
    tick_and_submit(page, "Give consent and send")
    acknowledgments = page.get_by_role("table").filter(has_text=tr("Pre-arrival notice"))
    expect(acknowledgments).to_be_visible()
    if shot:
        shot(page, "pre_arrival_acknowledged")


def tick_manual_items(worker: Person) -> None:
    """Tick the disputed items the worker settles themself (travel document, ruID)."""
    for rule in ("eaeu.travel_document", "ru.entry.ruid"):
        worker.goto("/jobs/checklist?to=RU")
        button = worker.page.locator(f'[id="mark-{rule}"]')
        done = worker.page.locator(f'[data-rule="{rule}"][data-status="done"]')
        if button.count() and done.count() == 0:
            button.click()


__all__ = [
    "DELIVERY_S",
    "Person",
    "Shot",
    "apply",
    "book_housing",
    "buy_insurance",
    "checklist",
    "eventually",
    "invite",
    "make_shot",
    "offer",
    "open_person",
    "purpose",
    "search",
    "see_invitation",
    "send_pre_arrival",
    "sign_contract",
    "state_name",
    "sync_feed",
    "text_pattern",
    "tick_manual_items",
    "tr",
    "write_cv",
]
