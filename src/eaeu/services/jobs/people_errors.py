"""Errors of the people part: CVs, applications and employment contracts.

Exception tree::

    PlatformError
     └── JobsError                        jobs.*
          ├── CvInvalid                   jobs.cv_invalid: a CV breaks a rule (also a
          │                               ValidationError; ``problems`` by field)
          ├── ApplicationInvalid          jobs.application_invalid, jobs.application_parts,
          │                               jobs.application_preview: what the person chose
          │                               cannot be sent (also a ValidationError)
          ├── ApplicationNotFound         jobs.application_not_found: not there, or not the
          │                               caller's (also a NotFound)
          ├── ApplicationConflict         jobs.application_exists, jobs.application_closed,
          │                               jobs.application_state, jobs.vacancy_closed,
          │                               jobs.identity_missing (also a Conflict)
          ├── ContractNotFound            jobs.contract_not_found (also a NotFound)
          ├── ContractConflict            jobs.contract_state: the contract is not at the
          │                               step asked for (also a Conflict)
          └── ContractRefused             jobs.contract_signature, jobs.contract_mismatch,
                                          jobs.contract_invalid: a contract whose signatures
                                          do not hold or that is not the one offered (also a
                                          ValidationError)

Messages never contain personal data.
"""

from __future__ import annotations

from collections.abc import Mapping

from eaeu.kernel.errors import Conflict, NotFound, ValidationError
from eaeu.services.jobs.errors import JobsError


class CvInvalid(JobsError, ValidationError):
    """A CV that breaks one or more rules.

    Args:
        problems: field name → a sentence the person understands (English, marked for
            translation by the pages).
    """

    reason = "jobs.cv_invalid"

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {text}" for name, text in problems.items()))
        self.problems = dict(problems)


class ApplicationInvalid(JobsError, ValidationError):
    """What the person chose to send cannot be sent as it is."""

    reason = "jobs.application_invalid"


class ApplicationNotFound(JobsError, NotFound):
    """No application with that id is visible to the caller."""

    reason = "jobs.application_not_found"


class ApplicationConflict(JobsError, Conflict):
    """The application cannot take this step now (sent twice, closed, withdrawn…)."""

    reason = "jobs.application_state"


class ContractNotFound(JobsError, NotFound):
    """No contract with that id is visible to the caller."""

    reason = "jobs.contract_not_found"


class ContractConflict(JobsError, Conflict):
    """The contract is not at the step asked for."""

    reason = "jobs.contract_state"


class ContractRefused(JobsError, ValidationError):
    """A contract whose signatures do not hold, or that is not the one offered."""

    reason = "jobs.contract_signature"


__all__ = [
    "ApplicationConflict",
    "ApplicationInvalid",
    "ApplicationNotFound",
    "ContractConflict",
    "ContractNotFound",
    "ContractRefused",
    "CvInvalid",
]
