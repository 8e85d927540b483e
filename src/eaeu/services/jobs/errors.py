"""Jobs errors: vacancies, their sources, employers and moderation.

Exception tree::

    PlatformError
     └── JobsError                    jobs.*
          ├── VacancyInvalid          jobs.vacancy_invalid: a vacancy breaks a rule (also a
          │    │                      ValidationError; ``problems`` by field)
          │    └── FeeCharged         jobs.fee_charged: the text asks the jobseeker for money
          ├── FeedUnreadable          jobs.feed_unreadable: a source file or response that is
          │    │                      not what its adapter reads (also a ValidationError)
          │    └── FeedOutOfRegion    jobs.feed_region: a response whose records lie outside
          │                           the region asked for (the source ignored the filter)
          ├── EmployerRefused         jobs.employer_*: an organisation that may not post
          │                           (not registered here, not an employer, no valid legal
          │                           identifier, an agency without a licence)
          ├── VacancyNotFound         jobs.vacancy_not_found (also a NotFound)
          ├── VacancyClosed           jobs.vacancy_closed: withdrawn or blocked, so it cannot
          │                           change any more (also a Conflict)
          ├── ReplicaRefused          jobs.replica_*: a replicated record this node does not
          │                           accept (not from its origin, malformed)
          ├── ReportInvalid           jobs.report_invalid (also a ValidationError)
          └── ReportNotFound          jobs.report_not_found (also a NotFound)

Messages never contain personal data; the detail goes to the log.
"""

from __future__ import annotations

from collections.abc import Mapping

from eaeu.kernel.errors import Conflict, NotFound, PlatformError, ValidationError


class JobsError(PlatformError):
    """Base class of the jobs service's errors."""

    reason = "jobs.error"


class VacancyInvalid(JobsError, ValidationError):
    """A vacancy that breaks one or more rules.

    Args:
        problems: field name → a sentence an employer understands (English, marked for
            translation by the pages).
        reason: a more specific code than ``jobs.vacancy_invalid``, if any.
    """

    reason = "jobs.vacancy_invalid"

    def __init__(self, problems: Mapping[str, str], *, reason: str | None = None) -> None:
        super().__init__(
            "; ".join(f"{name}: {text}" for name, text in problems.items()), reason=reason
        )
        self.problems = dict(problems)


class FeeCharged(VacancyInvalid):
    """A vacancy whose text asks the jobseeker to pay (a fee, a deposit, a commission)."""

    reason = "jobs.fee_charged"


class FeedUnreadable(JobsError, ValidationError):
    """A source file or response that its adapter cannot read as a whole."""

    reason = "jobs.feed_unreadable"


class FeedOutOfRegion(FeedUnreadable):
    """A response with records outside the region asked for: refused as a whole."""

    reason = "jobs.feed_region"


class EmployerRefused(JobsError, ValidationError):
    """An organisation that may not post vacancies on this node (``jobs.employer_*``)."""

    reason = "jobs.employer_unverified"


class VacancyNotFound(JobsError, NotFound):
    """No vacancy with this id here (or not one the caller may act on)."""

    reason = "jobs.vacancy_not_found"


class VacancyClosed(JobsError, Conflict):
    """A withdrawn or blocked vacancy: it stays as a tombstone and cannot change."""

    reason = "jobs.vacancy_closed"


class ReplicaRefused(JobsError):
    """A replicated vacancy record that this node does not accept (``jobs.replica_*``)."""

    reason = "jobs.replica_refused"


class ReportInvalid(JobsError, ValidationError):
    """A report about a vacancy that cannot be recorded."""

    reason = "jobs.report_invalid"


class ReportNotFound(JobsError, NotFound):
    """No open report with this id on this node."""

    reason = "jobs.report_not_found"


__all__ = [
    "EmployerRefused",
    "FeeCharged",
    "FeedOutOfRegion",
    "FeedUnreadable",
    "JobsError",
    "ReplicaRefused",
    "ReportInvalid",
    "ReportNotFound",
    "VacancyClosed",
    "VacancyInvalid",
    "VacancyNotFound",
]
