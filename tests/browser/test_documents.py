"""Documents in Chromium across a real federation: an employment contract signed twice.

A Russian employer signs a contract as its company on the Russian node; the Kyrgyz worker
adds her own signature on the Kyrgyz node; a Belarusian node's "Check a document" page
validates both signatures through the trust list and signs a receipt; a byte changed in
the contract turns the verdict red.
"""

import json
from pathlib import Path

from playwright.sync_api import Page, expect
from steps import sign_in

from eaeu.testing import RunningFederation

ARTIFACTS = Path(__file__).parent.parent / "artifacts"
CONTRACT = {
    "type": "employment-contract",
    "employer": "ООО «СтройМонтаж»",
    "position": "Электромонтажник",
    "place_of_work": "Москва",
    "salary": {"amount": 95000, "currency": "RUB", "period": "month"},
    "starts": "2027-02-01",
}


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"documents_{name}.png", full_page=True)


def sign_on(page: Page, node: str, username: str, document: Path, *, as_company: bool) -> Path:
    """Sign ``document`` on ``node`` as ``username`` and return the downloaded file."""
    page.goto(f"{node}/documents/sign")
    sign_in(page, node, username)
    page.goto(f"{node}/documents/sign")
    page.locator("#file").set_input_files(str(document))
    if as_company:
        page.locator("#signer-organisation").check()
    shot(page, f"sign_{username}")
    with page.expect_download() as download:
        page.locator("#sign-submit").click()
    signed = document.with_name(f"{username}.signed.json")
    download.value.save_as(signed)
    return signed


def test_an_employer_and_a_worker_sign_one_contract_and_another_state_checks_it(
    page: Page, running_federation: RunningFederation, tmp_path: Path
) -> None:
    ru, kg, by = (running_federation.url(s) for s in ("RU", "KG", "BY"))
    contract = tmp_path / "contract.json"
    contract.write_text(json.dumps(CONTRACT, ensure_ascii=False), encoding="utf-8")

    by_employer = sign_on(page, ru, "ru-employer", contract, as_company=True)
    page.context.clear_cookies()
    by_both = sign_on(page, kg, "kg-citizen", by_employer, as_company=False)
    assert len(json.loads(by_both.read_text(encoding="utf-8"))["signatures"]) == 2

    page.goto(f"{by}/documents/check")
    page.locator("#file").set_input_files(str(by_both))
    page.locator("#check-submit").click()
    verdict = page.locator("#verdict-panel")
    expect(verdict).to_have_attribute("data-indication", "TOTAL-PASSED")
    expect(page.locator("#main-content")).to_contain_text("ООО «СтройМонтаж»")
    expect(page.locator("#main-content")).to_contain_text("Айгуль Асанова")
    expect(page.locator("#receipt-token")).not_to_be_empty()
    shot(page, "check_passed")

    signed = json.loads(by_both.read_text(encoding="utf-8"))
    payload = signed["payload"]
    tampered = tmp_path / "tampered.json"
    # Change one character of the signed payload (base64url), as an intermediary might.
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    tampered.write_text(json.dumps({**signed, "payload": flipped}), encoding="utf-8")
    page.goto(f"{by}/documents/check?lang=ru")
    page.locator("#file").set_input_files(str(tampered))
    page.locator("#check-submit").click()
    expect(page.locator("#verdict-panel")).to_have_attribute("data-indication", "TOTAL-FAILED")
    shot(page, "check_tampered_ru")
