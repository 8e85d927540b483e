"""Demonstration data: the sample feeds each state ingests and the demo employer's vacancy.

On development nodes the composition root seeds every state with its sample files from
``services/jobs/data/samples`` (the «Работа России» and JobPosting shapes the adapters
read), their dates moved from :data:`SAMPLE_DATE` to the node's today so that they are
listed whenever the demo runs. Russia also gets one vacancy posted through the portal by the
demo employer ``ru-employer`` (:data:`DEMO_DRAFT`, with the stable id
:func:`demo_vacancy_id`), which a Kyrgyz worker's journey — and the tests that follow it —
apply to. Seeding is idempotent: what exists is left alone.
"""

# Russian text of the demonstration vacancy is data of this module.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Final

from eaeu.identity.accounts import Accounts
from eaeu.kernel.log import get_logger
from eaeu.services.jobs import adapters
from eaeu.services.jobs.model import VacancyDraft, employer_ref
from eaeu.services.jobs.orm import VacancyRow

if TYPE_CHECKING:
    from eaeu.services.jobs.vacancies import VacancyStore

log = get_logger("eaeu.jobs")

#: Sample files the demonstration seed ingests, per state, and the day their dates are
#: written relative to (the seed moves them to the node's today).
SAMPLES: Final = {
    "AM": ((adapters.JOBPOSTING, "samples/jobposting_am.json"),),
    "BY": ((adapters.JOBPOSTING, "samples/jobposting_by.json"),),
    "KG": ((adapters.JOBPOSTING, "samples/jobposting_kg.json"),),
    "KZ": ((adapters.JOBPOSTING, "samples/jobposting_kz.json"),),
    "RU": (
        (adapters.TRUDVSEM, "samples/trudvsem_ru.json"),
        (adapters.JOBPOSTING, "samples/jobposting_ru.json"),
    ),
}
SAMPLE_DATE: Final = date(2026, 1, 15)
#: The demonstration vacancy of the Russian demo employer, for a Kyrgyz worker's journey.
DEMO_NAMESPACE: Final = uuid.UUID("5d0e6a4c-7a43-4f0b-8d0f-3c2b9e7a1d20")


def demo_vacancy_id(state: str = "RU") -> str:
    """The stable id of the demonstration employer's vacancy in ``state``."""
    return f"{state}-{uuid.uuid5(DEMO_NAMESPACE, f'{state}/demo-employer').hex}"


#: The Russian demonstration employer (``ru-employer``'s organisation, ООО «СтройМонтаж»).
DEMO_EMPLOYER_OGRN: Final = "1157746013237"
DEMO_DRAFT: Final = VacancyDraft(
    title="Монтажник строительных конструкций",
    description=(
        "Строительство жилого комплекса в Новой Москве. Монтаж металлических и "
        "железобетонных конструкций, работа по чертежам в бригаде.\n\n"
        "Условия: официальное оформление по трудовому договору с первого дня; "
        "проживание в общежитии предоставляется бесплатно; спецодежда и инструмент за счёт "
        "работодателя; работа в Москве, без вахты. Принимаем граждан "
        "государств ЕАЭС (Кыргызстан, Армения, Казахстан, Беларусь) — разрешение на работу "
        "не нужно. Помогаем с регистрацией по месту пребывания и медосмотром. Никаких "
        "платежей с соискателя: оформление бесплатно.\n\n"
        "Construction installer (steel and precast concrete structures) for a housing "
        "project in Moscow. Employment contract from day one, free dormitory housing, "
        "workwear provided. Open to citizens of all EAEU member states; no work permit "
        "needed."
    ),
    locality="Москва",
    region="г. Москва",
    isco="7119",
    salary_min=95_000,
    salary_max=130_000,
    currency="RUB",
    valid_through=SAMPLE_DATE,
    employment_type="full_time",
    schedule="full_day",
    education="secondary",
    experience_years=1,
    languages=("ru",),
    housing=True,
    eaeu_open=True,
    positions=12,
)


def seed_demo(store: VacancyStore) -> int:
    """Ingest this state's sample files (dates moved to today) and the demo post.

    Idempotent: what exists is left alone (on a later day, dates move on). Russia also
    gets the vacancy of the demonstration employer ``ru-employer`` that a Kyrgyz
    worker's journey applies to.

    Returns:
        How many vacancies were created now.
    """
    shift = (store.today() - SAMPLE_DATE).days
    created = 0
    for kind, name in SAMPLES.get(store.state, ()):
        text = resources.files("eaeu.services.jobs").joinpath(f"data/{name}").read_bytes()
        parsed = adapters.parse_file(kind, text, state=store.state)
        report = store.ingest(parsed, shift_days=shift)
        created += len(report.created)
        if report.rejected:
            log.warning("jobs.seed.rejected", file=name, count=len(report.rejected))
    if store.state == "RU":
        created += _seed_demo_employer(store)
    return created


def _seed_demo_employer(store: VacancyStore) -> int:
    ref = employer_ref("RU", DEMO_EMPLOYER_OGRN, "ogrn")
    with store.ctx.uow() as uow:
        if uow.session.get(VacancyRow, demo_vacancy_id("RU")) is not None:
            return 0
    organisation = Accounts(store.ctx.uow, store.ctx.clock).organisation_by_legal_id(
        DEMO_EMPLOYER_OGRN
    )
    if organisation is None:
        log.info("jobs.seed.no_demo_employer", employer=ref)
        return 0
    store.post(
        organisation.id,
        replace(DEMO_DRAFT, valid_through=store.today() + timedelta(days=90)),
        agency=False,
        licence=None,
        new_id=demo_vacancy_id("RU"),
    )
    return 1


__all__ = [
    "DEMO_DRAFT",
    "DEMO_EMPLOYER_OGRN",
    "DEMO_NAMESPACE",
    "SAMPLES",
    "SAMPLE_DATE",
    "demo_vacancy_id",
    "seed_demo",
]
