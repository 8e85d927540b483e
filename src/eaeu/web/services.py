"""The catalogue of services a node offers, as shown on portals and in its node document.

Each service package adds one entry when it is mounted; the union portal lists, per node,
exactly what that node reports here — nothing is shown that a node does not serve.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    """One service on a node: its id, names, and where its page and API live."""

    id: str
    name_en: str
    name_ru: str
    page: str
    api: str | None = None

    def name(self, language: str) -> str:
        """Return the service name in ``language``."""
        return self.name_ru if language == "ru" else self.name_en


NODE_SERVICES: tuple[ServiceEntry, ...] = (
    ServiceEntry(
        id="identifiers",
        name_en="Check a national identifier",
        name_ru="Проверка национального идентификатора",
        page="/identifiers",
        api="/api/v1/identifiers/check",
    ),
    ServiceEntry(
        id="travel",
        name_en="Travelling without COVID-19: accredited labs and test certificates",
        name_ru="Путешествую без COVID-19: аккредитованные лаборатории и сертификаты",
        page="/travel",
        api="/api/v1/travel/labs",
    ),
    ServiceEntry(
        id="travel-verify",
        name_en="Verify a travel certificate",
        name_ru="Проверка сертификата теста на COVID-19",
        page="/travel/verify",
        api="/api/v1/travel/verify",
    ),
    ServiceEntry(
        id="jobs",
        name_en="Work in the EAEU: vacancies in every member state and the paperwork before moving",
        name_ru="Работа в ЕАЭС: вакансии всех государств-членов и оформление до переезда",
        page="/jobs",
        api="/api/v1/jobs/search",
    ),
)
