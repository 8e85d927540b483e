"""The employment contract as a document: its terms, its JSON and text, and its signatures.

An offer's terms (:class:`OfferTerms`, checked by :func:`check_terms`) and the fields the
applicant sent become the contract (:func:`contract_document`): a JSON object of format
:data:`FORMAT`, version :data:`VERSION`, naming employer and worker, with the terms, the
applicable law, and the whole contract in words in English and Russian
(:func:`contract_text`), so that what the worker signs is readable on its own. The employer
signs it first in JAdES (proof of origin), the worker second (proof of approval).

The checks every node makes on a signed contract live here too: :func:`require_signers`
(every signature passes; the first is the employer organisation's, the second one of the
worker's home state) and :func:`require_same_offer` (the signed contract is the offered one
with exactly one more signature). :func:`facts_of` reads the
:class:`~eaeu.services.jobs.context.ContractFacts` other parts of the service rely on.
"""

# The contract's Russian text is this module's data; Cyrillic letters are meant.
# ruff: noqa: RUF001

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from eaeu.documents import jades
from eaeu.documents.errors import DocumentError
from eaeu.documents.handlers import Documents
from eaeu.documents.model import ValidationReport
from eaeu.exchange.errors import MessageRefused
from eaeu.kernel.states import MEMBER_STATES
from eaeu.services.jobs.application_records import aware
from eaeu.services.jobs.context import ContractFacts, JobsContext
from eaeu.services.jobs.people_errors import ApplicationConflict, ContractConflict, ContractRefused
from eaeu.services.jobs.people_model import IDENTITY_FIELDS
from eaeu.services.jobs.people_orm import ApplicationRow, ContractRow

FORMAT: Final = "eaeu.jobs.employment-contract"
VERSION: Final = 1

OFFERED_STATUS, SIGNED, COMPLETED, DECLINED = "offered", "signed", "completed", "declined"
PERIODS: Final = ("month", "hour", "day", "year")
_MAX_TEXT: Final = 2000
_MAX_HOURS: Final = 48
_MAX_PROBATION: Final = 6


@dataclass(frozen=True, slots=True)
class OfferTerms:
    """The terms an employer offers.

    Attributes:
        position: the job title in the contract.
        workplace: where the work is (city, address).
        start_date: the first working day.
        end_date: the last day of a fixed-term contract (``None``: open-ended).
        salary: the pay, in ``currency`` per ``period``.
        hours_per_week: normal working hours.
        probation_months: the probation period (0 to 6 months).
        duties: what the work is.
        conditions: housing, travel and other conditions.
    """

    position: str
    workplace: str
    start_date: date
    salary: int
    currency: str
    period: str = "month"
    end_date: date | None = None
    hours_per_week: int = 40
    probation_months: int = 0
    duties: str = ""
    conditions: str = ""


def check_terms(terms: OfferTerms, today: date) -> OfferTerms:
    """Return the terms trimmed, or raise.

    Raises:
        ContractRefused: ``jobs.offer_invalid``, with what to correct.
    """
    problems = []
    terms = OfferTerms(
        position=terms.position.strip(),
        workplace=terms.workplace.strip(),
        start_date=terms.start_date,
        salary=terms.salary,
        currency=terms.currency.strip().upper(),
        period=terms.period,
        end_date=terms.end_date,
        hours_per_week=terms.hours_per_week,
        probation_months=terms.probation_months,
        duties=terms.duties.strip(),
        conditions=terms.conditions.strip(),
    )
    if not terms.position or not terms.workplace or len(terms.position) > 200:  # noqa: PLR2004
        problems.append("Name the position and the workplace.")
    if terms.start_date < today:
        problems.append("The first working day cannot be in the past.")
    if terms.end_date is not None and terms.end_date <= terms.start_date:
        problems.append("A fixed-term contract ends after it starts.")
    if terms.salary <= 0 or len(terms.currency) != 3 or terms.period not in PERIODS:  # noqa: PLR2004
        problems.append("Give the pay as a positive amount, a currency and a period.")
    if not 1 <= terms.hours_per_week <= _MAX_HOURS:
        problems.append("Normal working hours are at most 48 a week.")
    if not 0 <= terms.probation_months <= _MAX_PROBATION:
        problems.append("A probation period is at most 6 months.")
    if len(terms.duties) > _MAX_TEXT or len(terms.conditions) > _MAX_TEXT:
        problems.append("The text is too long.")
    if problems:
        # One sentence at a time: each is a message the pages translate.
        raise ContractRefused(problems[0], reason="jobs.offer_invalid")
    return terms


def contract_document(
    *,
    contract_id: str,
    application: ApplicationRow,
    terms: OfferTerms,
    employer_state: str,
    issued_at: datetime,
) -> dict[str, Any]:
    """The employment contract as JSON (version 1), with its text in English and Russian.

    Raises:
        ApplicationConflict: the applicant did not send their identity
            (``jobs.identity_missing``): a contract names its parties.
    """
    identity = json.loads(application.payload).get("identity")
    if not isinstance(identity, dict):
        raise ApplicationConflict(
            "The applicant did not send their identity, so a contract cannot name them. "
            "Invite them instead and ask them to apply with it.",
            reason="jobs.identity_missing",
        )
    worker = {key: str(identity.get(key, "")) for key in (*IDENTITY_FIELDS,)} | {
        "home_state": application.worker_state
    }
    document: dict[str, Any] = {
        "type": FORMAT,
        "v": VERSION,
        "contract_id": contract_id,
        "application_id": application.id,
        "vacancy_id": application.vacancy_id,
        "destination": employer_state,
        "employer": {
            "ref": application.employer_ref,
            "name": application.employer_name,
            "state": employer_state,
        },
        "worker": worker,
        "terms": {
            "position": terms.position,
            "workplace": terms.workplace,
            "start_date": terms.start_date.isoformat(),
            "end_date": terms.end_date.isoformat() if terms.end_date else None,
            "salary": {"amount": terms.salary, "currency": terms.currency, "period": terms.period},
            "hours_per_week": terms.hours_per_week,
            "probation_months": terms.probation_months,
            "duties": terms.duties,
            "conditions": terms.conditions,
        },
        "law": {
            "en": "Treaty on the Eurasian Economic Union, Articles 96-98; the labour law of "
            f"{MEMBER_STATES[employer_state].name('en')}",
            "ru": "Договор о Евразийском экономическом союзе, статьи 96-98; трудовое "
            f"законодательство: {MEMBER_STATES[employer_state].name('ru')}",
        },
        "issued_at": issued_at.replace(microsecond=0).isoformat(),
    }
    document["text"] = {"en": contract_text(document, "en"), "ru": contract_text(document, "ru")}
    return document


_PERIOD_WORDS: Final = {
    "en": {"month": "a month", "hour": "an hour", "day": "a day", "year": "a year"},
    "ru": {"month": "в месяц", "hour": "в час", "day": "в день", "year": "в год"},
}


def contract_text(document: Mapping[str, Any], language: str) -> str:
    """The contract in words, in English or Russian (``ru``)."""
    e, w, t = document["employer"], document["worker"], document["terms"]
    salary = t["salary"]
    amount = f"{salary['amount']:,}".replace(",", "\u00a0" if language == "ru" else ",")
    pay = f"{amount} {salary['currency']} {_PERIOD_WORDS[language][salary['period']]}"
    citizenship = w["nationality"]
    if citizenship in MEMBER_STATES:
        citizenship = MEMBER_STATES[citizenship].name("ru" if language == "ru" else "en")
    worker = (
        f"{w['given_name']} {w['family_name']} ({w['given_name_latin']} {w['family_name_latin']})"
    )
    if language == "ru":
        term = f"с {t['start_date']}" + (
            f" по {t['end_date']}" if t["end_date"] else " на неопределённый срок"
        )
        lines = [
            "ТРУДОВОЙ ДОГОВОР",
            f"Работодатель: {e['name']}, регистрационный номер {e['ref']}.",
            f"Работник: {worker}, дата рождения {w['birth_date']}, гражданство {citizenship}.",
            f"Должность: {t['position']}. Место работы: {t['workplace']}.",
            f"Срок: {term}.",
            f"Заработная плата: {pay}. Рабочее время: {t['hours_per_week']} часов в неделю.",
            f"Испытательный срок: {t['probation_months']} мес.",
        ]
        if t["duties"]:
            lines.append(f"Обязанности: {t['duties']}")
        if t["conditions"]:
            lines.append(f"Условия: {t['conditions']}")
        lines.append(f"Применимое право: {document['law']['ru']}.")
        lines.append("Работодатель не вправе взимать с работника плату за трудоустройство.")
        return "\n".join(lines)
    term = f"from {t['start_date']}" + (f" to {t['end_date']}" if t["end_date"] else ", open-ended")
    lines = [
        "EMPLOYMENT CONTRACT",
        f"Employer: {e['name']}, registration number {e['ref']}.",
        f"Worker: {worker}, born {w['birth_date']}, citizen of {citizenship}.",
        f"Position: {t['position']}. Place of work: {t['workplace']}.",
        f"Term: {term}.",
        f"Pay: {pay}. Working time: {t['hours_per_week']} hours a week.",
        f"Probation: {t['probation_months']} months.",
    ]
    if t["duties"]:
        lines.append(f"Duties: {t['duties']}")
    if t["conditions"]:
        lines.append(f"Conditions: {t['conditions']}")
    lines.append(f"Applicable law: {document['law']['en']}.")
    lines.append("The employer may not charge the worker any fee for the employment.")
    return "\n".join(lines)


def documents_of(ctx: JobsContext) -> Documents:
    """The node's documents service, which signs and validates contracts.

    Raises:
        ContractConflict: ``jobs.documents_unavailable``.
    """
    if ctx.documents is None:
        raise ContractConflict(
            "This node does not sign or check documents.", reason="jobs.documents_unavailable"
        )
    return ctx.documents


# -- checks ---------------------------------------------------------------------------------


def require_signers(
    report: ValidationReport, content: Mapping[str, Any], *, signatures: int
) -> None:
    """Refuse unless every signature passed: the employer's first, then the worker's.

    Raises:
        ContractRefused: ``jobs.contract_signature``.
    """
    results = report.signatures
    employer = content.get("employer") or {}
    worker = content.get("worker") or {}
    legal_id = str(employer.get("ref", "")).split("-", 2)[-1]
    expected = f"NTR{employer.get('state')}-{legal_id}"
    if (
        len(results) != signatures
        or not all(result.passed for result in results)
        or results[0].signer is None
        or results[0].signer.identifier != expected
        or results[0].signer.state != employer.get("state")
        or (
            signatures == 2  # noqa: PLR2004
            and (results[1].signer is None or results[1].signer.state != worker.get("home_state"))
        )
    ):
        raise ContractRefused(
            "The contract's signatures do not hold, or are not the employer's and the worker's.",
            reason="jobs.contract_signature",
        )


def require_same_offer(offered: str, signed: str) -> None:
    """Refuse a signed contract that is not the offered one with one more signature.

    Raises:
        MessageRefused: ``jobs.contract_mismatch``.
    """
    try:
        before, after = jades.parse(offered), jades.parse(signed)
    except DocumentError:
        raise MessageRefused("the contract cannot be read", reason="jobs.malformed") from None
    if (
        after.encoded_payload != before.encoded_payload
        or len(after.signatures) != len(before.signatures) + 1
        or after.signatures[: len(before.signatures)] != before.signatures
    ):
        raise MessageRefused(
            "the signed contract is not the one offered", reason="jobs.contract_mismatch"
        )


def facts_of(row: ContractRow, application: ApplicationRow) -> ContractFacts:
    """The facts of a contract signed by both, for the other parts of the service."""
    content = json.loads(jades.parse(row.document).payload)
    worker, terms, employer = content["worker"], content["terms"], content["employer"]
    return ContractFacts(
        contract_id=row.id,
        application_id=application.id,
        vacancy_id=application.vacancy_id,
        destination=content["destination"],
        worker_home=worker["home_state"],
        worker_person_id=application.person_id if application.worker_side else None,
        employer_ref=employer["ref"],
        employer_name=employer["name"],
        worker_family_name_latin=worker["family_name_latin"],
        worker_given_name_latin=worker["given_name_latin"],
        worker_birth_date=date.fromisoformat(worker["birth_date"]),
        worker_nationality=worker["nationality"],
        position=terms["position"],
        locality=terms["workplace"],
        start_date=date.fromisoformat(terms["start_date"]),
        end_date=date.fromisoformat(terms["end_date"]) if terms["end_date"] else None,
        signed_at=aware(row.signed_at or row.updated_at),
        employer_notice_receipt=row.acknowledgment,
    )


__all__ = [
    "COMPLETED",
    "DECLINED",
    "FORMAT",
    "OFFERED_STATUS",
    "PERIODS",
    "SIGNED",
    "VERSION",
    "OfferTerms",
    "check_terms",
    "contract_document",
    "contract_text",
    "documents_of",
    "facts_of",
    "require_same_offer",
    "require_signers",
]
