"""The paperwork checklist, generated from legal rules kept as versioned, sourced data.

The rules live in the packaged ``data/checklist_rules.json`` (format
``eaeu.jobs.checklist-rules`` version 1). Each rule has an id and versions; a version says
for which citizenships and destinations it holds, from when until when, what it asks, by
when (days after entry, after signing or after the first working day; calendar or working
days), where it was read (source URL), whether the point is disputed or unconfirmed
(``check_with_authority``: shown as "check with the authority", never as settled) and what
completes it: a platform action (``contract``, ``insurance``, ``housing``, ``pre_arrival``,
``employer_notice``), the person's own tick (``manual``) or nothing on the platform
(``after_arrival``).

:func:`generate` is pure: for a citizenship, a destination and a day it picks the version of
each rule in force on that day and gives every item a status from what the person has done
(:class:`Progress`): ``done``, ``todo``, ``after_arrival`` (with its due date when the entry
date is known) or ``check``. The checklist is **complete before moving** when every item due
before the journey that is the worker's own and required is done. A disputed point that
the person ticks themself (which document to travel with, the entry application) counts
too: the platform cannot settle it, so the person's tick — after checking with the
authority — is what says it is done; until then it is shown as "check with the authority"
and keeps the checklist from reading "ready to move". Duties of the employer or the host
are shown with their status but never count as the worker's. :class:`Checklists` builds
the progress of a person of this node from their contracts, policies, bookings,
acknowledgments and ticks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Final

from sqlalchemy import delete, select, text
from sqlalchemy.exc import SQLAlchemyError

from eaeu.consent.policy import Text
from eaeu.exchange.node import Handler
from eaeu.kernel.log import get_logger
from eaeu.kernel.states import MEMBER_STATES
from eaeu.services.jobs.context import ContractFacts, JobsContext
from eaeu.services.jobs.housing import Housing
from eaeu.services.jobs.insurance import Insurance
from eaeu.services.jobs.migration import KIND_CONTRACT, KIND_PRE_ARRIVAL, MigrationNotices
from eaeu.services.jobs.move_errors import ChecklistRefused, RulesInvalid
from eaeu.services.jobs.move_model import add_days
from eaeu.services.jobs.move_orm import MarkRow

log = get_logger("eaeu.jobs")

FORMAT: Final = "eaeu.jobs.checklist-rules"
FORMAT_VERSION: Final = 1
STAGES: Final = ("before_travel", "at_entry", "after_arrival", "on_termination")
PARTIES: Final = ("worker", "employer", "host")
ANCHORS: Final = ("entry", "signing", "start", "termination")
UNITS: Final = ("calendar", "working")
COMPLETED_BY: Final = (
    "contract",
    "insurance",
    "housing",
    "pre_arrival",
    "employer_notice",
    "manual",
    "after_arrival",
)
#: Item statuses.
DONE: Final = "done"
TO_DO: Final = "todo"
AFTER_ARRIVAL: Final = "after_arrival"
CHECK: Final = "check"


@dataclass(frozen=True, slots=True)
class Deadline:
    """When an item is due: ``days`` calendar or working days after an anchor date.

    The anchor is the entry, the contract's signing, the first working day or the
    termination; negative days are before it.
    """

    anchor: str
    days: int
    unit: str

    def due(self, anchors: Mapping[str, date | None]) -> date | None:
        """The due date, if the anchor's date is known."""
        start = anchors.get(self.anchor)
        return None if start is None else add_days(start, self.days, self.unit)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a rule was read."""

    url: str
    title: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One version of one legal rule."""

    id: str
    version: int
    citizenship: frozenset[str]
    destinations: frozenset[str]
    effective_from: date
    effective_until: date | None
    stage: str
    party: str
    optional: bool
    title: Text
    description: Text
    deadline: Deadline | None
    source: Source | None
    check_with_authority: bool
    completed_by: str
    occupations: tuple[str, ...] | None = None

    def in_force(self, day: date) -> bool:
        """Whether this version is in force on ``day`` (both ends included)."""
        return self.effective_from <= day and (
            self.effective_until is None or day <= self.effective_until
        )

    def applies(self, citizenship: str, destination: str) -> bool:
        """Whether the rule holds for a citizen of ``citizenship`` working in ``destination``."""
        return citizenship in self.citizenship and destination in self.destinations


@dataclass(frozen=True, slots=True)
class RuleBook:
    """Every version of every rule, as published."""

    published: date
    rules: tuple[Rule, ...]

    def in_force(
        self, citizenship: str, destination: str, day: date, occupation: str | None = None
    ) -> list[tuple[Rule, bool]]:
        """The versions in force on ``day`` for the pair of states, in published order.

        Returns:
            ``(rule, conditional)`` pairs: ``conditional`` is true for a rule about certain
            occupations when the occupation is not known (it is then shown as "if").
        """
        picked: list[tuple[Rule, bool]] = []
        for rule in self.rules:
            if not (rule.in_force(day) and rule.applies(citizenship, destination)):
                continue
            if rule.occupations is None:
                picked.append((rule, False))
            elif occupation is None:
                picked.append((rule, True))
            elif occupation.startswith(rule.occupations):
                picked.append((rule, False))
        return picked


@dataclass(frozen=True, slots=True)
class Progress:
    """What a person has done towards a move to one destination.

    Attributes:
        contract: the contract signed by both parties for work there, if any.
        occupation: the ISCO-08 unit group of the work, if known.
        policy_until: the last day of the health cover bought there, if any.
        booking_from: the check-in of the place booked there, if any.
        pre_arrival_entry: the entry date given in an acknowledged pre-arrival notice.
        employer_notified: the employer's notice to the authority was acknowledged.
        marks: the rules the person ticked as done themself.
        entry: the entry date the person gave.
    """

    contract: ContractFacts | None = None
    occupation: str | None = None
    policy_until: date | None = None
    booking_from: date | None = None
    pre_arrival_entry: date | None = None
    employer_notified: bool = False
    marks: frozenset[str] = frozenset()
    entry: date | None = None

    def expected_entry(self) -> date | None:
        """The entry date: as given, else as notified, else the check-in, else the start."""
        if self.entry is not None:
            return self.entry
        if self.pre_arrival_entry is not None:
            return self.pre_arrival_entry
        if self.booking_from is not None:
            return self.booking_from
        return self.contract.start_date if self.contract is not None else None


@dataclass(frozen=True, slots=True)
class Item:
    """One item of a checklist.

    Attributes:
        rule: the rule version it comes from.
        status: ``done``, ``todo``, ``after_arrival`` or ``check``.
        due: the due date, when its anchor is known.
        conditional: it applies only to certain occupations, and the occupation is unknown.
        required: it must be done before moving (the worker's own, due before the journey,
            not optional, not limited to occupations the person may not have, and either
            settled or a disputed point the person ticks once they have checked it).
        action: the platform action that completes it (``insurance``…), if any.
    """

    rule: Rule
    status: str
    due: date | None
    conditional: bool
    required: bool
    action: str | None

    @property
    def before_moving(self) -> bool:
        """Whether the item is due before the journey."""
        return self.rule.stage == "before_travel"

    @property
    def can_mark(self) -> bool:
        """Whether the person may tick it as done themself."""
        return self.rule.completed_by in {"manual", "after_arrival"}


@dataclass(frozen=True, slots=True)
class Checklist:
    """The paperwork of a citizen of one state taking a job in another, on a day."""

    citizenship: str
    destination: str
    on: date
    entry: date | None
    items: tuple[Item, ...] = field(default=())

    @property
    def before_moving(self) -> list[Item]:
        """The items due before the journey."""
        return [item for item in self.items if item.before_moving]

    @property
    def after_arriving(self) -> list[Item]:
        """The items due at the border or after."""
        return [item for item in self.items if not item.before_moving]

    @property
    def complete_before_moving(self) -> bool:
        """Whether every required item due before the journey is done."""
        return all(item.status == DONE for item in self.items if item.required)

    @property
    def to_do(self) -> list[Item]:
        """The required items not done yet."""
        return [item for item in self.items if item.required and item.status != DONE]


def generate(
    book: RuleBook, *, citizenship: str, destination: str, on: date, progress: Progress
) -> Checklist:
    """Make the checklist of a citizen of ``citizenship`` moving to work in ``destination``.

    Args:
        book: the rules.
        citizenship: the person's citizenship.
        destination: the state of the work.
        on: the day whose rules apply (the expected entry date, or today).
        progress: what the person has done.

    Raises:
        ChecklistRefused: ``jobs.checklist_own_state`` (the person's own state) or
            ``jobs.checklist_state`` (not a member state).
    """
    if citizenship not in MEMBER_STATES or destination not in MEMBER_STATES:
        raise ChecklistRefused("Choose member states of the union.", reason="jobs.checklist_state")
    if citizenship == destination:
        raise ChecklistRefused(
            "A citizen needs no paperwork to work in their own state.",
            reason="jobs.checklist_own_state",
        )
    entry = progress.expected_entry()
    contract = progress.contract
    anchors: dict[str, date | None] = {
        "entry": entry,
        "signing": contract.signed_at.date() if contract is not None else None,
        "start": contract.start_date if contract is not None else None,
        "termination": None,
    }
    items = []
    for rule, conditional in book.in_force(citizenship, destination, on, progress.occupation):
        done = _done(rule, progress)
        required = (
            rule.stage == "before_travel"
            and rule.party == "worker"
            and not rule.optional
            and not conditional
            and (not rule.check_with_authority or rule.completed_by == "manual")
        )
        if done:
            status = DONE
        elif rule.check_with_authority:
            status = CHECK
        elif rule.stage == "before_travel":
            status = TO_DO
        else:
            status = AFTER_ARRIVAL
        items.append(
            Item(
                rule=rule,
                status=status,
                due=rule.deadline.due(anchors) if rule.deadline is not None else None,
                conditional=conditional,
                required=required,
                action=rule.completed_by if rule.completed_by in _ACTIONS else None,
            )
        )
    return Checklist(citizenship, destination, on, entry, tuple(items))


_ACTIONS: Final = frozenset({"contract", "insurance", "housing", "pre_arrival", "employer_notice"})


def _done(rule: Rule, progress: Progress) -> bool:
    how = rule.completed_by
    if how == "contract":
        return progress.contract is not None
    if how == "insurance":
        needed = progress.expected_entry()
        return progress.policy_until is not None and (
            needed is None or progress.policy_until >= needed
        )
    if how == "housing":
        return progress.booking_from is not None
    if how == "pre_arrival":
        return progress.pre_arrival_entry is not None
    if how == "employer_notice":
        return progress.employer_notified
    return rule.id in progress.marks


# -- reading the rules ---------------------------------------------------------------------


def load_rules(data: Mapping[str, Any] | None = None) -> RuleBook:
    """Read the rules (the packaged file by default).

    Raises:
        RulesInvalid: the document breaks the format (``field`` says where).
    """
    if data is None:
        return packaged_rules()
    if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        raise RulesInvalid("format", f"expected {FORMAT} version {FORMAT_VERSION}")
    records = data.get("rules")
    if not isinstance(records, list):
        raise RulesInvalid("rules", "a list of rules")
    rules = tuple(_rule(record, f"rules[{n}]") for n, record in enumerate(records))
    _check_versions(rules)
    return RuleBook(_date(data.get("published"), "published"), rules)


@cache
def packaged_rules() -> RuleBook:
    """The rules shipped with the platform, read once."""
    raw = (
        resources.files("eaeu.services.jobs")
        .joinpath("data/checklist_rules.json")
        .read_text(encoding="utf-8")
    )
    return load_rules(json.loads(raw))


def _rule(record: Any, where: str) -> Rule:
    if not isinstance(record, dict):
        raise RulesInvalid(where, "a rule is an object")

    def choice(name: str, allowed: tuple[str, ...]) -> str:
        value = record.get(name)
        if value not in allowed:
            raise RulesInvalid(f"{where}.{name}", f"one of {', '.join(allowed)}")
        return str(value)

    rule_id = record.get("id")
    version = record.get("version")
    if not isinstance(rule_id, str) or not rule_id or len(rule_id) > 64:  # noqa: PLR2004
        raise RulesInvalid(f"{where}.id", "a text of at most 64 characters")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise RulesInvalid(f"{where}.version", "a positive whole number")
    occupations = record.get("occupations")
    if occupations is not None and (
        not isinstance(occupations, list)
        or not all(isinstance(o, str) and o.isdigit() and len(o) <= 4 for o in occupations)  # noqa: PLR2004
    ):
        raise RulesInvalid(f"{where}.occupations", "a list of ISCO-08 code prefixes")
    until = record.get("effective_until")
    flag = record.get("check_with_authority")
    optional = record.get("optional", False)
    if not isinstance(flag, bool) or not isinstance(optional, bool):
        raise RulesInvalid(f"{where}.check_with_authority", "true or false")
    return Rule(
        id=rule_id,
        version=version,
        citizenship=_states(record.get("citizenship"), f"{where}.citizenship"),
        destinations=_states(record.get("destinations"), f"{where}.destinations"),
        effective_from=_date(record.get("effective_from"), f"{where}.effective_from"),
        effective_until=None if until is None else _date(until, f"{where}.effective_until"),
        stage=choice("stage", STAGES),
        party=choice("party", PARTIES),
        optional=optional,
        title=_text(record.get("title"), f"{where}.title"),
        description=_text(record.get("description"), f"{where}.description"),
        deadline=_deadline(record.get("deadline"), f"{where}.deadline"),
        source=_source(record.get("source"), f"{where}.source"),
        check_with_authority=flag,
        completed_by=choice("completed_by", COMPLETED_BY),
        occupations=None if occupations is None else tuple(occupations),
    )


def _states(value: Any, where: str) -> frozenset[str]:
    if value == "*":
        return frozenset(MEMBER_STATES)
    if not isinstance(value, list) or not value or not all(v in MEMBER_STATES for v in value):
        raise RulesInvalid(where, "member state codes, or * for every one")
    return frozenset(value)


def _date(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise RulesInvalid(where, "a date YYYY-MM-DD") from None


def _text(value: Any, where: str) -> Text:
    if not isinstance(value, dict) or not all(
        isinstance(value.get(k), str) and value[k].strip() for k in ("en", "ru")
    ):
        raise RulesInvalid(where, "an object with English (en) and Russian (ru) text")
    return Text(value["en"], value["ru"])


def _deadline(value: Any, where: str) -> Deadline | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RulesInvalid(where, "an object with anchor, days and unit, or null")
    days = value.get("days")
    if not isinstance(days, int) or isinstance(days, bool):
        raise RulesInvalid(f"{where}.days", "a whole number of days")
    if value.get("anchor") not in ANCHORS:
        raise RulesInvalid(f"{where}.anchor", f"one of {', '.join(ANCHORS)}")
    if value.get("unit") not in UNITS:
        raise RulesInvalid(f"{where}.unit", f"one of {', '.join(UNITS)}")
    return Deadline(str(value["anchor"]), days, str(value["unit"]))


def _source(value: Any, where: str) -> Source | None:
    if value is None:
        return None
    url = value.get("url") if isinstance(value, dict) else None
    title = value.get("title") if isinstance(value, dict) else None
    if not isinstance(url, str) or not url.startswith("https://") or not isinstance(title, str):
        raise RulesInvalid(where, "an object with an https URL and a title, or null")
    return Source(url, title)


def _check_versions(rules: tuple[Rule, ...]) -> None:
    """Refuse two versions of one rule in force on one day for the same pair of states."""
    by_id: dict[str, list[Rule]] = {}
    for rule in rules:
        by_id.setdefault(rule.id, []).append(rule)
    for rule_id, versions in by_id.items():
        for n, first in enumerate(versions):
            for second in versions[n + 1 :]:
                if first.version == second.version:
                    raise RulesInvalid(rule_id, f"version {first.version} is given twice")
                shared = (first.citizenship & second.citizenship) and (
                    first.destinations & second.destinations
                )
                if shared and _overlap(first, second):
                    raise RulesInvalid(
                        rule_id,
                        f"versions {first.version} and {second.version} are in force together",
                    )


def _overlap(a: Rule, b: Rule) -> bool:
    a_end = a.effective_until or date.max
    b_end = b.effective_until or date.max
    return a.effective_from <= b_end and b.effective_from <= a_end


# -- a person's checklist ------------------------------------------------------------------


class Checklists:
    """The paperwork checklist of the people of this node.

    Args:
        ctx: the node's wiring.
        rules: the rules (the packaged ones by default).
        contracts: the contracts signed by both parties of a person (the contracts part's
            ``signed_for`` by default).
    """

    def __init__(
        self,
        ctx: JobsContext,
        *,
        rules: RuleBook | None = None,
        contracts: Callable[[str], list[ContractFacts]] | None = None,
    ) -> None:
        self.ctx = ctx
        self._rules = rules
        self.migration = MigrationNotices(ctx, contracts=contracts)

    def __repr__(self) -> str:
        return f"Checklists(state={self.ctx.state!r})"

    @property
    def rules(self) -> RuleBook:
        """The rules in use."""
        if self._rules is None:
            self._rules = packaged_rules()
        return self._rules

    def for_rules(self, citizenship: str, destination: str, on: date | None = None) -> Checklist:
        """The checklist of the rules alone (nothing done), for anyone to read.

        Raises:
            ChecklistRefused: see :func:`generate`.
        """
        return generate(
            self.rules,
            citizenship=citizenship,
            destination=destination,
            on=on or self.ctx.clock.now().date(),
            progress=Progress(),
        )

    def destinations(self, person_id: str) -> list[str]:
        """The states the person has a signed contract with, first signed first."""
        seen: list[str] = []
        for contract in sorted(
            self.migration.signed_contracts(person_id), key=lambda c: c.signed_at
        ):
            if contract.destination not in seen:
                seen.append(contract.destination)
        return seen

    def progress(self, person_id: str, destination: str, *, entry: date | None = None) -> Progress:
        """What a person of this node has done towards moving to ``destination``."""
        contracts = [
            c for c in self.migration.signed_contracts(person_id) if c.destination == destination
        ]
        contract = max(contracts, key=lambda c: c.signed_at) if contracts else None
        today = self.ctx.clock.now().date()
        policies = [p for p in Insurance(self.ctx).held(person_id) if p.destination == destination]
        stays = [
            b
            for b in Housing(self.ctx).held(person_id)
            if b.destination == destination and b.check_out > today
        ]
        acks = [a for a in self.migration.held(person_id) if a.destination == destination]
        notified = [a for a in acks if a.kind == KIND_PRE_ARRIVAL]
        employer_notified = contract is not None and (
            contract.employer_notice_receipt is not None
            or any(a.kind == KIND_CONTRACT and a.contract_id == contract.contract_id for a in acks)
        )
        with self.ctx.uow() as uow:
            marks = frozenset(
                uow.session.scalars(select(MarkRow.rule_id).where(MarkRow.person_id == person_id))
            )
        return Progress(
            contract=contract,
            occupation=self._occupation(contract),
            policy_until=max((p.ends for p in policies), default=None),
            booking_from=min((b.check_in for b in stays), default=None),
            pre_arrival_entry=notified[0].expected_entry if notified else None,
            employer_notified=employer_notified,
            marks=marks,
            entry=entry,
        )

    def for_person(
        self, person_id: str, citizenship: str, destination: str, *, entry: date | None = None
    ) -> Checklist:
        """A person's checklist for moving to ``destination``, with what they have done.

        The rules in force on the expected entry date (or today, when it is not known yet
        or has passed) apply.

        Raises:
            ChecklistRefused: see :func:`generate`.
        """
        progress = self.progress(person_id, destination, entry=entry)
        today = self.ctx.clock.now().date()
        expected = progress.expected_entry()
        on = expected if expected is not None and expected > today else today
        return generate(
            self.rules, citizenship=citizenship, destination=destination, on=on, progress=progress
        )

    def mark(self, person_id: str, rule_id: str, *, done: bool = True) -> None:
        """Tick (or untick) an item the person completes themself.

        Raises:
            ChecklistRefused: ``jobs.checklist_rule`` — no rule with this id can be ticked.
        """
        if not any(
            r.id == rule_id and r.completed_by in {"manual", "after_arrival"}
            for r in self.rules.rules
        ):
            raise ChecklistRefused(
                "There is no item with this id that you can mark.", reason="jobs.checklist_rule"
            )
        with self.ctx.uow() as uow:
            existing = uow.session.get(MarkRow, (person_id, rule_id))
            if done and existing is None:
                uow.session.add(
                    MarkRow(person_id=person_id, rule_id=rule_id, marked_at=self.ctx.clock.now())
                )
            elif not done:
                uow.session.execute(
                    delete(MarkRow).where(
                        MarkRow.person_id == person_id, MarkRow.rule_id == rule_id
                    )
                )
            uow.commit()

    def _occupation(self, contract: ContractFacts | None) -> str | None:
        """The ISCO-08 code of the contract's vacancy, from the vacancy table, if known."""
        if contract is None:
            return None
        try:
            with self.ctx.uow() as uow:
                value = uow.session.execute(
                    text("SELECT isco FROM jobs_vacancies WHERE id = :id"),
                    {"id": contract.vacancy_id},
                ).scalar_one_or_none()
        except SQLAlchemyError:
            log.warning("jobs.checklist.occupation_unknown")
            return None
        return value if isinstance(value, str) and value.isdigit() else None

    def handlers(self) -> dict[str, Handler]:
        """The exchange handlers of this part (none: the checklist is made at home)."""
        return {}


__all__ = [
    "AFTER_ARRIVAL",
    "CHECK",
    "DONE",
    "TO_DO",
    "Checklist",
    "Checklists",
    "Deadline",
    "Item",
    "Progress",
    "Rule",
    "RuleBook",
    "Source",
    "generate",
    "load_rules",
    "packaged_rules",
]
