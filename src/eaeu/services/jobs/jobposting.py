"""The schema.org ``JobPosting`` JSON-LD export of a vacancy, the canonical public format.

Every listed vacancy is published in this shape (the vacancy page embeds it and the API
serves it), so search engines and other job boards read the platform's ads without knowing
its model. Properties schema.org has no term for — the schedule, languages, housing, being
open to EAEU citizens, the last reconfirmation, an agency's licence — are written in the
``eaeu:`` namespace :data:`EXTENSION`. The adapters read the same vocabulary back
(:data:`PERIOD_TO_SCHEMA`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from eaeu.services.jobs.model import Vacancy

#: Our employment types as schema.org ``employmentType`` values.
EMPLOYMENT_TO_SCHEMA: Final = {
    "full_time": "FULL_TIME",
    "part_time": "PART_TIME",
    "temporary": "TEMPORARY",
    "seasonal": "TEMPORARY",
    "internship": "INTERN",
    "contract": "CONTRACTOR",
}
PERIOD_TO_SCHEMA: Final = {"month": "MONTH", "hour": "HOUR", "day": "DAY", "year": "YEAR"}
EDUCATION_TO_SCHEMA: Final = {
    "secondary": "high school",
    "vocational": "professional certificate",
    "higher": "bachelor degree",
}
#: The namespace of the fields schema.org has no property for.
EXTENSION: Final = "https://eaeu.dev/ns/jobs#"


def to_jobposting(vacancy: Vacancy, *, base_url: str = "") -> dict[str, Any]:  # noqa: C901 - optional properties
    """The vacancy as schema.org ``JobPosting`` JSON-LD.

    ``occupationalCategory`` carries the ISCO-08 code; being open to EAEU citizens goes in
    ``eligibilityToWorkRequirement`` (schema.org says ``applicantLocationRequirements`` is
    not for work eligibility) and, with housing, schedule, languages, reconfirmation and
    the agency's licence, in ``eaeu:`` extension properties.

    Args:
        vacancy: the vacancy.
        base_url: the portal's address, for ``url`` (``https://ru.example``); empty keeps
            the source's link.
    """
    salary: dict[str, Any] = {
        "@type": "QuantitativeValue",
        "unitText": PERIOD_TO_SCHEMA[vacancy.salary_period],
    }
    if vacancy.salary_min is not None:
        salary["minValue"] = vacancy.salary_min
    if vacancy.salary_max is not None:
        salary["maxValue"] = vacancy.salary_max
    posting: dict[str, Any] = {
        "@context": ["https://schema.org/", {"eaeu": EXTENSION}],
        "@type": "JobPosting",
        "identifier": {"@type": "PropertyValue", "name": vacancy.origin, "value": vacancy.id},
        "title": vacancy.title,
        "description": vacancy.description,
        "datePosted": vacancy.posted.isoformat(),
        "validThrough": vacancy.valid_through.isoformat(),
        "employmentType": EMPLOYMENT_TO_SCHEMA[vacancy.employment_type],
        "hiringOrganization": {
            "@type": "Organization",
            "name": vacancy.employer_name,
            "identifier": vacancy.employer_ref,
        },
        "jobLocation": {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "addressLocality": vacancy.locality,
                "addressRegion": vacancy.region,
                "addressCountry": vacancy.origin,
            },
        },
        "baseSalary": {"@type": "MonetaryAmount", "currency": vacancy.currency, "value": salary},
        "totalJobOpenings": vacancy.positions,
        "eaeu:schedule": vacancy.schedule,
        "eaeu:languages": list(vacancy.languages),
        "eaeu:housingProvided": vacancy.housing,
        "eaeu:eaeuOpen": vacancy.eaeu_open,
        "eaeu:lastConfirmed": vacancy.last_confirmed.isoformat(),
        "eaeu:isAgency": vacancy.is_agency,
    }
    if vacancy.isco:
        posting["occupationalCategory"] = {
            "@type": "CategoryCode",
            "codeValue": vacancy.isco,
            "inCodeSet": "https://www.ilo.org/public/english/bureau/stat/isco/isco08/",
        }
    if vacancy.is_agency and vacancy.agency_licence:
        posting["eaeu:agencyLicence"] = vacancy.agency_licence
    if vacancy.education:
        posting["educationRequirements"] = {
            "@type": "EducationalOccupationalCredential",
            "credentialCategory": EDUCATION_TO_SCHEMA[vacancy.education],
        }
    if vacancy.experience_years:
        posting["experienceRequirements"] = {
            "@type": "OccupationalExperienceRequirements",
            "monthsOfExperience": vacancy.experience_years * 12,
        }
    if vacancy.eaeu_open:
        posting["eligibilityToWorkRequirement"] = (
            "Open to citizens of the EAEU member states (Armenia, Belarus, Kazakhstan, "
            "Kyrgyzstan, Russia): no work permit needed (EAEU Treaty, Art. 97)."
        )
    if vacancy.housing:
        posting["jobBenefits"] = "Housing provided by the employer."
    if base_url:
        posting["url"] = f"{base_url.rstrip('/')}/jobs/vacancies/{vacancy.id}"
    elif vacancy.url:
        posting["url"] = vacancy.url
    return posting


__all__ = [
    "EDUCATION_TO_SCHEMA",
    "EMPLOYMENT_TO_SCHEMA",
    "EXTENSION",
    "PERIOD_TO_SCHEMA",
    "to_jobposting",
]
