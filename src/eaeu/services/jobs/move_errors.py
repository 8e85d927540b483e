"""Errors of the move: checklist rules, insurance, housing, migration notices.

Exception tree::

    PlatformError
     └── MoveError                    jobs.move_error
          ├── RulesInvalid            jobs.rules_invalid: the checklist rules file breaks its
          │                           schema (also a ValidationError; ``field`` names where)
          ├── ChecklistRefused        jobs.checklist_*: no checklist for this pair of states
          │                           (also a ValidationError)
          ├── ProductInvalid          jobs.product_invalid: an insurance product breaks a rule
          │                           (also a ValidationError; ``problems`` by field)
          ├── ProductNotFound         jobs.product_not_found (also a NotFound)
          ├── PolicyRefused           jobs.policy_*: a policy that cannot be issued
          │                           (also a ValidationError)
          ├── PlaceInvalid            jobs.place_invalid: a housing place breaks a rule
          │                           (also a ValidationError; ``problems`` by field)
          ├── PlaceNotFound           jobs.place_not_found (also a NotFound)
          ├── StayInvalid             jobs.stay_invalid: dates that cannot be booked
          │                           (also a ValidationError)
          ├── HousingFull             jobs.housing_full: no bed is free for every night
          │                           (also a Conflict)
          ├── NoticeRefused           jobs.notice_*: a migration notice that cannot be sent
          │                           yet or is malformed (also a Conflict)
          ├── HeldNotFound            jobs.policy_not_found, jobs.booking_not_found,
          │                           jobs.notice_not_found: not the person's (also NotFound)
          ├── AttestationRefused      jobs.attestation_*: a signed policy, booking or
          │                           acknowledgment that does not verify (also a
          │                           ValidationError)
          └── PeerNotAnswering        jobs.peer_unavailable: the destination's node did not
                                      answer (also an exchange PeerUnavailable, a 502)

Messages never contain personal data or key material; the detail goes to the log.
"""

from __future__ import annotations

from eaeu.exchange.errors import PeerUnavailable
from eaeu.kernel.errors import Conflict, NotFound, PlatformError, ValidationError


class MoveError(PlatformError):
    """Base class of the errors of the move (checklist, insurance, housing, migration)."""

    reason = "jobs.move_error"


class RulesInvalid(MoveError, ValidationError):
    """The checklist rules file breaks its schema.

    Args:
        field: where (``rules[3].deadline.unit``).
        problem: what is wrong.
    """

    reason = "jobs.rules_invalid"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"checklist rules, {field}: {problem}")
        self.field = field


class ChecklistRefused(MoveError, ValidationError):
    """No checklist can be made for this citizenship, destination or date."""

    reason = "jobs.checklist_refused"


class _Problems(MoveError, ValidationError):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {text}" for name, text in problems.items()))
        self.problems = dict(problems)


class ProductInvalid(_Problems):
    """An insurance product breaks a rule (``problems``: field → sentence)."""

    reason = "jobs.product_invalid"


class ProductNotFound(MoveError, NotFound):
    """No insurance product with this id is on sale here."""

    reason = "jobs.product_not_found"


class PolicyRefused(MoveError, ValidationError):
    """A policy that cannot be issued (dates outside the product's term, wrong insurer)."""

    reason = "jobs.policy_refused"


class PlaceInvalid(_Problems):
    """A housing place breaks a rule (``problems``: field → sentence)."""

    reason = "jobs.place_invalid"


class PlaceNotFound(MoveError, NotFound):
    """No housing place with this id is listed here."""

    reason = "jobs.place_not_found"


class StayInvalid(MoveError, ValidationError):
    """Dates of a stay that cannot be booked (past, reversed, too long, out of availability)."""

    reason = "jobs.stay_invalid"


class HousingFull(MoveError, Conflict):
    """No bed of the place is free for every night of the stay."""

    reason = "jobs.housing_full"


class NoticeRefused(MoveError, Conflict):
    """A migration notice that cannot be sent yet (no contract, no housing) or is malformed."""

    reason = "jobs.notice_refused"


class HeldNotFound(MoveError, NotFound):
    """No policy, booking or acknowledgment with this id belongs to the person asking."""

    reason = "jobs.not_found"


class AttestationRefused(MoveError, ValidationError):
    """A signed policy, booking or acknowledgment that does not verify."""

    reason = "jobs.attestation_invalid"


class PeerNotAnswering(MoveError, PeerUnavailable):
    """The destination state's node did not answer; nothing was sent or changed there."""

    reason = "jobs.peer_unavailable"
