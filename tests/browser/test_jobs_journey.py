"""The whole jobs journey in Chromium: a Kyrgyz worker takes a job in Russia and does every
step of the paperwork before moving.

Two people, each in their own browser and in Russian, on their own state's node of one real
federation (``eaeu up``: node processes, the exchange's delivery workers):

1. The worker (``kg-citizen``, on the Kyrgyz node) searches in Russian and finds the Russian
   employer's vacancy — replicated to the Kyrgyz node by the change feed (the node's operator
   presses «Sync now» if it has not arrived yet) — writes a CV and applies, seeing the
   consent preview first.
2. The employer (``ru-employer``, on the Russian node) sees the application, invites the
   worker and makes the offer, which signs the contract for the organisation.
3. The worker signs the contract (under the consent signing creates), buys Russian medical
   insurance and books a bed in the employer's dormitory; the checklist then shows every
   item due before the journey done.
4. The worker sends the pre-arrival notice and sees it acknowledged, with the employer's
   contract notice acknowledged too.
5. The worker's My data page lists each transfer: application, contract, insurance,
   housing and pre-arrival notice.

Screenshots of every page are left in ``tests/artifacts/jobs_journey_*.png``.
"""

from __future__ import annotations

import re

import pytest
from jobs_steps import (
    Person,
    Shot,
    apply,
    book_housing,
    buy_insurance,
    checklist,
    eventually,
    invite,
    make_shot,
    offer,
    open_person,
    purpose,
    search,
    see_invitation,
    send_pre_arrival,
    sign_contract,
    state_name,
    sync_feed,
    text_pattern,
    tick_manual_items,
    tr,
    write_cv,
)
from playwright.sync_api import Browser, Locator, Page, expect

from eaeu.services.jobs.vacancies import DEMO_DRAFT, demo_vacancy_id
from eaeu.testing import RunningFederation

pytestmark = pytest.mark.slow

WORKER = "kg-citizen"
WORKER_NAME = "Айгуль Асанова"
EMPLOYER = "ru-employer"
#: The employer organisation, as its dormitory is listed (its name in either script).
EMPLOYER_ORGANISATION = re.compile("СтройМонтаж|StroiMontazh")
SALARY = 110_000
INVITATION = "Собеседование по видеосвязи в среду в 10:00 по Москве."
#: What the worker types: a Russian word of the vacancy's title.
QUERY = "монтажник"
TRANSFERS = (
    "jobs.application",
    "jobs.employment_contract",
    "insurance.policy",
    "housing.rental",
    "migration.pre_arrival",
)

shot = make_shot("jobs_journey")


def at(step: str) -> Shot:
    """Screenshots of one step of the journey, named ``<step>_<page>``."""
    return lambda page, name: shot(page, f"{step}_{name}")


def vacancy_link(page: Page, vacancy_id: str) -> Locator:
    """The link of a search result to the vacancy's page, named by its title."""
    return page.get_by_role("link", name=DEMO_DRAFT.title).and_(
        page.locator(f'[href="/jobs/vacancies/{vacancy_id}"]')
    )


def find_in_russian(browser: Browser, worker: Person, vacancy_id: str) -> str:
    """Search in Russian on the worker's node and open the vacancy; return its address.

    When the vacancy has not reached the node yet, the node's operator syncs the Russian
    feed now (the periodic pull may not have run since the federation started).
    """
    page = search(worker, QUERY)
    if vacancy_link(page, vacancy_id).count() == 0:
        sync_feed(browser, worker.node, "kg-operator", "RU", at("01"))
        page = search(worker, QUERY)
    shot(page, "01_search")
    expect(vacancy_link(page, vacancy_id)).to_have_count(1)
    vacancy_link(page, vacancy_id).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_DRAFT.title)
    expect(page.get_by_role("definition").filter(has_text=state_name("RU"))).to_be_visible()
    shot(page, "02_vacancy")
    return page.url


def expect_transfers(worker: Person) -> None:
    """The worker's My data page lists a transfer to Russia for each step, each sent."""
    worker.goto("/my-data")
    transfers = worker.page.get_by_role("table")
    for code in TRANSFERS:
        row = transfers.get_by_role("row").filter(has_text=purpose(code)).first
        expect(row, f"no transfer for {code}").to_be_visible()
        expect(row).to_contain_text(tr("Sent"))
        expect(row).to_contain_text(state_name("RU"))
    shot(worker.page, "16_my_data")


def expect_employer_notice(worker: Person) -> None:
    """The migration page shows the employer's contract notice acknowledged by the MVD."""
    page = worker.page
    label, done = re.escape(tr("Employer's notice")), re.escape(tr("Acknowledged"))
    row = page.locator(".govuk-summary-list__row").filter(has_text=tr("Employer's notice"))
    eventually(page, row.first, re.compile(rf"^\s*{label}\s*{done}"))
    shot(page, "15_migration_acknowledged")


class TestKyrgyzWorkerTakesAJobInRussia:
    def test_search_apply_contract_insurance_housing_checklist_notice_my_data(
        self, browser: Browser, running_federation: RunningFederation
    ) -> None:
        kg, ru = running_federation.nodes["KG"], running_federation.nodes["RU"]
        vacancy_id = demo_vacancy_id("RU")
        worker = open_person(browser, kg, WORKER)
        employer = open_person(browser, ru, EMPLOYER)
        try:
            # 1. Search in Russian on the Kyrgyz node; the Russian vacancy is there.
            vacancy_url = find_in_russian(browser, worker, vacancy_id)

            # 2. A CV, then the application with its consent preview.
            write_cv(worker, shot=at("03"))
            application_id = apply(worker, vacancy_url, shot=at("04"))

            # 3. The employer sees it, invites and offers: the contract is signed for them.
            invite(employer, WORKER_NAME, INVITATION, shot=at("05"))
            see_invitation(worker, application_id, INVITATION, shot=at("06"))
            contract_path = offer(employer, SALARY, shot=at("07"))

            # 4. The worker sees the offer and signs.
            sign_contract(worker, application_id, shot=at("08"))
            expect(worker.page.get_by_text(WORKER_NAME).first).to_be_visible()

            # The employer's copy is signed by both (the signed contract came back).
            employer.goto(contract_path)
            eventually(employer.page, employer.page.get_by_role("main"), tr("Signed by both"))
            shot(employer.page, "09_employer_contract_completed")

            # 5. The checklist before insurance and housing: not ready yet.
            page = checklist(worker)
            expect(
                page.get_by_text(text_pattern("Still to do before you travel: %(num)d."))
            ).to_be_visible()
            shot(page, "10_checklist_before")

            # 6. Russian medical insurance, then a bed in the employer's dormitory.
            buy_insurance(worker, shot=at("11"))
            address = book_housing(worker, EMPLOYER_ORGANISATION, shot=at("12"))
            assert address

            # 7. Everything due before the journey is done (the worker ticks what only they
            # can settle: the travel document and the entry application).
            tick_manual_items(worker)
            page = checklist(worker)
            expect(page.get_by_role("heading", name=tr("Ready to move"))).to_be_visible()
            shot(page, "13_checklist_complete")

            # 8. The pre-arrival notice, acknowledged; the employer's notice acknowledged too.
            send_pre_arrival(worker, shot=at("14"))
            expect_employer_notice(worker)

            # 9. My data lists every transfer.
            expect_transfers(worker)
        finally:
            for person, name in ((worker, "worker"), (employer, "employer")):
                if not person.page.is_closed():
                    shot(person.page, f"99_last_{name}")
                person.close()
