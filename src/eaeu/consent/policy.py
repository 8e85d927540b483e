"""The transfer policy: each state's cross-border rules as versioned, dated data.

The rules live in the packaged ``transfer_policy.json``: per state, a list of versions,
each with the date it takes effect, the law it follows and the sources it was read from.
``check_transfer`` picks the version in force on the day of the transfer, combines it with
the legal basis the caller holds and returns a ``TransferDecision`` whose refusals and
duties are written for people, in English and Russian.

Exception tree (until the package gets its own ``errors.py``)::

    ValidationError
     ├── PolicyInvalid            the policy document breaks its schema (policy.invalid)
     ├── TransferRequestInvalid   unknown category or basis in a request
     └── TransferRefused          raised by TransferDecision.raise_for_refusal()
    NotFound
     └── PolicyNotFound           no rules for that state on that date (policy.not_found)
"""

# Russian sentences for people are this module's data; Cyrillic letters are meant.
# ruff: noqa: RUF001

from __future__ import annotations

import itertools
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from eaeu.kernel.errors import NotFound, ValidationError
from eaeu.kernel.states import MEMBER_STATES, get_state

FORMAT = "eaeu.transfer-policy"
FORMAT_VERSION = 1

#: The data categories the platform moves, with the words people read.
CATEGORIES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "identity": (
            (
                "identity data (names, date of birth, citizenship; the national identifier only "
                "where the service states it)"
            ),
            (
                "идентификационные данные (ФИО, дата рождения, гражданство; национальный "
                "идентификатор — только если это указано в сервисе)"
            ),
        ),
        "contact": ("contact details", "контактные данные"),
        "health": ("health data (test results)", "сведения о здоровье (результаты анализов)"),
        "employment": ("employment data", "сведения о трудовой деятельности"),
        "documents": ("documents", "документы"),
        "location": ("location data", "сведения о местонахождении"),
    }
)

#: The legal bases a transfer can rest on, with the words people read.
BASES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "consent": ("the person's consent", "согласие субъекта персональных данных"),
        "own_request": (
            "your own request: you signed in to a service of another state",
            "ваш собственный запрос: вы вошли в сервис другого государства",
        ),
        "informed_consent": (
            "the person's consent given after the risks were explained",
            "согласие субъекта, данное после разъяснения рисков",
        ),
        "contract": ("a contract with the person", "договор с субъектом"),
        "treaty": ("an international treaty", "международный договор"),
        "law": ("a requirement of law", "требование закона"),
        "purpose": (
            "the purpose for which the data were collected",
            "цель, для которой собраны данные",
        ),
        "regulator_permission": (
            "permission of the data protection authority",
            "разрешение органа по защите персональных данных",
        ),
    }
)

_LOCALISATION_RULES: tuple[str, ...] = (
    "none",
    "home_database_required",
    "foreign_database_prohibited",
)
_SUBJECTS: tuple[str, ...] = ("none", "citizens", "all")


class PolicyInvalid(ValidationError):
    """The transfer policy document does not follow its schema."""

    reason = "policy.invalid"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"transfer policy field {field}: {problem}")
        self.field = field


class PolicyNotFound(NotFound):
    """No transfer rules are in force for a state on a date."""

    reason = "policy.not_found"


class TransferRequestInvalid(ValidationError):
    """A transfer request names a category or basis the policy does not know."""

    reason = "policy.request_invalid"


class TransferRefused(ValidationError):
    """A transfer the policy refuses; ``decision`` holds every reason."""

    reason = "policy.refused"

    def __init__(self, decision: TransferDecision) -> None:
        super().__init__(explain(decision, "en"), reason=decision.reasons[0].code)
        self.decision = decision


@dataclass(frozen=True, slots=True)
class Text:
    """A sentence in English and Russian."""

    en: str
    ru: str

    def in_language(self, language: str) -> str:
        """Return the Russian text for ``ru`` and the English text for anything else."""
        return self.ru if language == "ru" else self.en


@dataclass(frozen=True, slots=True)
class Localisation:
    """Whether the primary copy must stay at home, and for which data."""

    primary_copy_home: bool
    rule: str  # "none", "home_database_required" or "foreign_database_prohibited"
    subjects: str  # "none", "citizens" (of the state) or "all"
    categories: frozenset[str]


@dataclass(frozen=True, slots=True)
class Destinations:
    """Which states count as adequate, and the bases each kind of destination needs."""

    adequate: frozenset[str]
    adequate_list: Text
    bases_if_adequate: frozenset[str]
    bases_if_not_adequate: frozenset[str]


@dataclass(frozen=True, slots=True)
class Notification:
    """A duty to notify the authority before data leaves."""

    per_destination: bool
    before_first_transfer: bool


@dataclass(frozen=True, slots=True)
class StateRules:
    """One dated version of one state's cross-border rules."""

    state: str
    version: int
    effective_from: date
    law: Text
    law_short: Text
    authority: Text | None
    sources: tuple[str, ...]
    localisation: Localisation
    destinations: Destinations
    notification: Notification | None
    may_leave: frozenset[str]
    never_leaves: frozenset[str]
    check_with_authority: tuple[str, ...]
    summary: Text


@dataclass(frozen=True, slots=True)
class TransferPolicy:
    """Every state's rules, each state's versions ordered by the date they take effect."""

    states: Mapping[str, tuple[StateRules, ...]]

    def rules_for(self, state: str, at: date) -> StateRules:
        """Return the version of ``state``'s rules in force on ``at``.

        Raises:
            NotFound: ``state`` is not a member state (``state.unknown``).
            PolicyNotFound: the policy holds no version in force on that date.
        """
        code = get_state(state).code
        in_force = [rules for rules in self.states.get(code, ()) if rules.effective_from <= at]
        if not in_force:
            raise PolicyNotFound(f"no transfer rules for {code} in force on {at.isoformat()}")
        return in_force[-1]


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a transfer is refused: a stable code and a sentence for people."""

    code: str
    text: Text


@dataclass(frozen=True, slots=True)
class Duty:
    """Something the sender must do when the transfer goes ahead."""

    code: str
    text: Text


@dataclass(frozen=True, slots=True)
class TransferDecision:
    """The outcome of an egress check, with the rules version and sources it rests on."""

    allowed: bool
    reasons: tuple[Reason, ...]
    duties: tuple[Duty, ...]
    policy_version: int | None
    sources: tuple[str, ...]

    def raise_for_refusal(self) -> None:
        """Return if the transfer is allowed.

        Raises:
            TransferRefused: the transfer is refused; its ``reason`` is the first code.
        """
        if not self.allowed:
            raise TransferRefused(self)


def load_policy(path: Path | None = None) -> TransferPolicy:
    """Read and validate the transfer policy (the packaged one unless ``path`` is given).

    Raises:
        PolicyInvalid: the document is not JSON or breaks the schema.
    """
    if path is None:
        raw = resources.files("eaeu.consent").joinpath("transfer_policy.json").read_text("utf-8")
    else:
        raw = path.read_text("utf-8")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise PolicyInvalid("(document)", f"not JSON ({exc.msg})") from None
    return parse_policy(data)


def parse_policy(data: object) -> TransferPolicy:
    """Validate a decoded policy document and build the model.

    Raises:
        PolicyInvalid: a field is missing, of the wrong type or inconsistent; the message
            and ``field`` name it.
    """
    root = _mapping(data, "(document)")
    if root.get("format") != FORMAT:
        raise PolicyInvalid("format", f"must be {FORMAT!r}")
    if root.get("format_version") != FORMAT_VERSION:
        raise PolicyInvalid("format_version", f"must be {FORMAT_VERSION}")
    states: dict[str, tuple[StateRules, ...]] = {}
    for i, entry in enumerate(_list(root.get("states"), "states")):
        where = f"states[{i}]"
        item = _mapping(entry, where)
        code = _str(item.get("state"), f"{where}.state")
        if code not in MEMBER_STATES:
            raise PolicyInvalid(f"{where}.state", f"{code!r} is not a member state")
        if code in states:
            raise PolicyInvalid(f"{where}.state", f"{code} appears twice")
        versions = _list(item.get("versions"), f"{where}.versions")
        if not versions:
            raise PolicyInvalid(f"{where}.versions", "must hold at least one version")
        parsed = tuple(_version(code, v, f"{where}.versions[{j}]") for j, v in enumerate(versions))
        for j, (earlier, later) in enumerate(itertools.pairwise(parsed), start=1):
            if later.version <= earlier.version or later.effective_from <= earlier.effective_from:
                raise PolicyInvalid(
                    f"{where}.versions[{j}]", "versions must increase in number and date"
                )
        states[code] = parsed
    return TransferPolicy(states=MappingProxyType(states))


def check_transfer(
    policy: TransferPolicy,
    *,
    from_state: str,
    to_state: str,
    categories: Collection[str],
    basis: str,
    at: date,
    notified_destinations: frozenset[str] = frozenset(),
) -> TransferDecision:
    """Decide whether data may leave ``from_state`` for ``to_state`` on ``at``.

    Args:
        policy: the transfer policy.
        from_state: ISO code of the sending state, whose law governs the transfer.
        to_state: ISO code of the receiving state.
        categories: the data categories sent (keys of ``CATEGORIES``).
        basis: the legal basis the caller holds (a key of ``BASES``).
        at: the day of the transfer; it chooses the version of the rules.
        notified_destinations: states for which the authority has been notified (``"*"``
            where one notification covers every destination).

    Returns:
        The decision: allowed or not, every reason, the duties, the version and sources.

    Raises:
        NotFound: a state code is not a member state.
        PolicyNotFound: no rules of ``from_state`` are in force on ``at``.
        TransferRequestInvalid: no categories, or an unknown category or basis.
    """
    source, destination = get_state(from_state).code, get_state(to_state).code
    _check_request(categories, basis)
    if source == destination:
        return TransferDecision(
            allowed=True, reasons=(), duties=(), policy_version=None, sources=()
        )
    rules = policy.rules_for(source, at)
    reasons = _refusals(rules, destination, frozenset(categories), basis, notified_destinations)
    duties = () if reasons else _duties(rules, destination, basis)
    return TransferDecision(not reasons, reasons, duties, rules.version, rules.sources)


def explain(decision: TransferDecision, language: str) -> str:
    """Return the decision in sentences for people (``ru`` for Russian, else English)."""
    if decision.allowed:
        lines = [Text("The transfer is allowed.", "Передача разрешена.").in_language(language)]
        lines += [duty.text.in_language(language) for duty in decision.duties]
    else:
        lines = [Text("The transfer is refused.", "Передача запрещена.").in_language(language)]
        lines += [reason.text.in_language(language) for reason in decision.reasons]
    return "\n".join(lines)


# -- the check ---------------------------------------------------------------------------


def _check_request(categories: Collection[str], basis: str) -> None:
    if not categories:
        raise TransferRequestInvalid(
            "name at least one data category", reason="policy.no_categories"
        )
    unknown = sorted(set(categories) - CATEGORIES.keys())
    if unknown:
        raise TransferRequestInvalid(
            f"unknown data category {unknown[0]!r}", reason="policy.unknown_category"
        )
    if basis not in BASES:
        raise TransferRequestInvalid(
            f"unknown legal basis {basis!r}", reason="policy.unknown_basis"
        )


def _refusals(
    rules: StateRules,
    to: str,
    categories: frozenset[str],
    basis: str,
    notified: frozenset[str],
) -> tuple[Reason, ...]:
    law, dest = rules.law_short, _state_name(to)
    reasons: list[Reason] = []
    for category in sorted(categories & rules.never_leaves):
        en, ru = CATEGORIES[category]
        reasons.append(
            Reason(
                "policy.category_never_leaves",
                Text(
                    f"{law.en} does not allow {en} to be sent to another state.",
                    f"{law.ru} не допускает передачу за рубеж следующих данных: {ru}.",
                ),
            )
        )
    for category in sorted(categories - rules.never_leaves - rules.may_leave):
        en, ru = CATEGORIES[category]
        reasons.append(
            Reason(
                "policy.category_not_permitted",
                Text(
                    f"The transfer rules under {law.en} do not list {en} among the data that "
                    "may be sent abroad; ask your data protection officer.",
                    f"Правила передачи ({law.ru}) не относят к данным, которые можно "
                    f"передавать за рубеж, следующие: {ru}; обратитесь к ответственному за "
                    "защиту персональных данных.",
                ),
            )
        )
    reasons.extend(_basis_refusal(rules, to, basis))
    note = rules.notification
    key = to if note is None or note.per_destination else "*"
    if note is not None and note.before_first_transfer and key not in notified:
        authority = rules.authority or Text("the authority", "уполномоченный орган")
        reasons.append(
            Reason(
                "policy.notification_missing",
                Text(
                    f"{law.en} requires the operator to notify {authority.en} before personal "
                    f"data is first sent to {dest.en}; this has not been recorded.",
                    f"{law.ru} требует уведомить {authority.ru} до первой передачи "
                    f"персональных данных в страну назначения ({dest.ru}); уведомление "
                    "не записано.",
                ),
            )
        )
    return tuple(reasons)


#: Bases that are a form of another under every member's law, and are checked as it: a
#: person's own explicit request to send their data (signing in abroad) is their consent.
#: The ledger keeps the narrower basis, so that My data says what happened.
EQUIVALENT_BASES: Mapping[str, str] = MappingProxyType({"own_request": "consent"})


def _basis_refusal(rules: StateRules, to: str, basis: str) -> tuple[Reason, ...]:
    dests, law = rules.destinations, rules.law_short
    adequate = to in dests.adequate
    needed = dests.bases_if_adequate if adequate else dests.bases_if_not_adequate
    checked_as = EQUIVALENT_BASES.get(basis, basis)
    if checked_as in needed:
        return ()
    held = _basis_text(rules, basis)
    if checked_as in dests.bases_if_adequate:
        options = _basis_list(rules, needed)
        dest = _state_name(to)
        return (
            Reason(
                "policy.destination_not_adequate_needs_consent",
                Text(
                    f"{dest.en} is not recorded as a state with adequate protection under "
                    f"{law.en}, going by {dests.adequate_list.en}, so the transfer needs "
                    f"{options.en}; {held.en} is not enough.",
                    f"Страна назначения ({dest.ru}) не отнесена к государствам с адекватной "
                    f"защитой ({law.ru}; {dests.adequate_list.ru}), поэтому "
                    f"для передачи нужно: {options.ru}; "
                    f"основания «{held.ru}» недостаточно.",
                ),
            ),
        )
    options = _basis_list(rules, dests.bases_if_adequate | dests.bases_if_not_adequate)
    return (
        Reason(
            "policy.basis_not_allowed",
            Text(
                f"{law.en} does not accept {held.en} as a ground for sending personal data to "
                f"another state; it accepts {options.en}.",
                f"{law.ru} не признаёт основание «{held.ru}» для передачи персональных данных "
                f"в другое государство; допустимые основания: {options.ru}.",
            ),
        ),
    )


def _duties(rules: StateRules, to: str, basis: str) -> tuple[Duty, ...]:
    home, dest, law = _state_name(rules.state), _state_name(to), rules.law_short
    whose = Text(f"of citizens of {home.en} ", f"граждан государства ({home.ru}) ")
    if rules.localisation.subjects != "citizens":
        whose = Text("", "")
    duties: list[Duty] = []
    if rules.localisation.rule == "home_database_required":
        duties.append(
            Duty(
                "localisation.keep_primary_copy_home",
                Text(
                    f"Keep the primary copy of the personal data {whose.en}in a database in "
                    f"{home.en}; the copy sent abroad does not replace it.",
                    f"Основная копия персональных данных {whose.ru}должна храниться в базе "
                    f"данных на территории государства ({home.ru}); переданная копия её "
                    "не заменяет.",
                ),
            )
        )
    elif rules.localisation.rule == "foreign_database_prohibited":
        duties.append(
            Duty(
                "localisation.no_foreign_database",
                Text(
                    f"{law.en} does not allow recording, accumulating or storing the personal "
                    f"data {whose.en}in databases outside {home.en}: send only the answer the "
                    "request needs and keep the records at home.",
                    f"{law.ru} не допускает запись, накопление и хранение персональных данных "
                    f"{whose.ru}в базах данных за пределами государства ({home.ru}): "
                    "передавайте только ответ на запрос, а записи храните у себя.",
                ),
            )
        )
    if rules.notification is not None:
        authority = rules.authority or Text("the authority", "уполномоченный орган")
        duties.append(
            Duty(
                "notification.record",
                Text(
                    f"Keep the record of the notification to {authority.en} for {dest.en} "
                    "with this transfer.",
                    f"Приложите к записи о передаче сведения об уведомлении "
                    f"({authority.ru}) по стране назначения ({dest.ru}).",
                ),
            )
        )
    held = _basis_text(rules, basis)
    duties.append(
        Duty(
            "transfer.record_basis",
            Text(
                f"Record the legal basis with the transfer: {held.en} under {law.en}.",
                f"Запишите основание передачи: {held.ru} ({law.ru}).",
            ),
        )
    )
    return tuple(duties)


def _state_name(code: str) -> Text:
    state = MEMBER_STATES[code]
    return Text(state.name("en"), state.name("ru"))


def _basis_text(rules: StateRules, basis: str) -> Text:
    if basis == "regulator_permission" and rules.authority is not None:
        return Text(f"permission of {rules.authority.en}", f"разрешение ({rules.authority.ru})")
    return Text(*BASES[basis])


def _basis_list(rules: StateRules, bases: frozenset[str]) -> Text:
    texts = [_basis_text(rules, basis) for basis in sorted(bases)]
    if len(texts) == 1:
        return texts[0]
    return Text(
        "one of: " + "; ".join(t.en for t in texts), "одно из: " + "; ".join(t.ru for t in texts)
    )


# -- parsing -----------------------------------------------------------------------------


def _version(state: str, data: object, where: str) -> StateRules:
    item = _mapping(data, where)
    version = item.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise PolicyInvalid(f"{where}.version", "must be a positive integer")
    sources = _str_list(item.get("sources"), f"{where}.sources")
    if not sources or not all(s.startswith("https://") for s in sources):
        raise PolicyInvalid(f"{where}.sources", "must list at least one https:// source")
    authority = None if item.get("authority") is None else _text(item, "authority", where)
    localisation = _localisation(item.get("localisation"), f"{where}.localisation")
    destinations = _destinations(item.get("destinations"), f"{where}.destinations", authority)
    notification = _notification(item.get("notification"), f"{where}.notification", authority)
    cats = _mapping(item.get("categories"), f"{where}.categories")
    may_leave = _categories(cats.get("may_leave"), f"{where}.categories.may_leave")
    never = _categories(cats.get("never"), f"{where}.categories.never")
    if may_leave & never:
        raise PolicyInvalid(f"{where}.categories", "a category cannot both leave and never leave")
    return StateRules(
        state=state,
        version=version,
        effective_from=_date(item.get("effective_from"), f"{where}.effective_from"),
        law=_text(item, "law", where),
        law_short=_text(item, "law_short", where),
        authority=authority,
        sources=tuple(sources),
        localisation=localisation,
        destinations=destinations,
        notification=notification,
        may_leave=may_leave,
        never_leaves=never,
        check_with_authority=tuple(
            _str_list(item.get("check_with_authority"), f"{where}.check_with_authority")
        ),
        summary=_text(item, "summary", where),
    )


def _localisation(data: object, where: str) -> Localisation:
    item = _mapping(data, where)
    home = item.get("primary_copy_home")
    if not isinstance(home, bool):
        raise PolicyInvalid(f"{where}.primary_copy_home", "must be true or false")
    rule = _str(item.get("rule"), f"{where}.rule")
    if rule not in _LOCALISATION_RULES:
        raise PolicyInvalid(f"{where}.rule", f"must be one of {', '.join(_LOCALISATION_RULES)}")
    subjects = _str(item.get("subjects"), f"{where}.subjects")
    if subjects not in _SUBJECTS:
        raise PolicyInvalid(f"{where}.subjects", f"must be one of {', '.join(_SUBJECTS)}")
    categories = _categories(item.get("categories"), f"{where}.categories")
    if home != (rule != "none") or home != bool(categories) or home != (subjects != "none"):
        raise PolicyInvalid(where, "primary_copy_home, rule, subjects and categories must agree")
    return Localisation(home, rule, subjects, categories)


def _destinations(data: object, where: str, authority: Text | None) -> Destinations:
    item = _mapping(data, where)
    adequate = frozenset(_str_list(item.get("adequate"), f"{where}.adequate"))
    unknown = sorted(adequate - MEMBER_STATES.keys())
    if unknown:
        raise PolicyInvalid(f"{where}.adequate", f"{unknown[0]!r} is not a member state")
    bases = {}
    for key in ("bases_if_adequate", "bases_if_not_adequate"):
        found = frozenset(_str_list(item.get(key), f"{where}.{key}"))
        if not found <= BASES.keys():
            raise PolicyInvalid(f"{where}.{key}", f"unknown basis {min(found - BASES.keys())!r}")
        if "regulator_permission" in found and authority is None:
            raise PolicyInvalid(f"{where}.{key}", "regulator_permission needs an authority")
        bases[key] = found
    return Destinations(
        adequate=adequate,
        adequate_list=_text(item, "adequate_list", where),
        bases_if_adequate=bases["bases_if_adequate"],
        bases_if_not_adequate=bases["bases_if_not_adequate"],
    )


def _notification(data: object, where: str, authority: Text | None) -> Notification | None:
    if data is None:
        return None
    if authority is None:
        raise PolicyInvalid(where, "a notification duty needs an authority")
    item = _mapping(data, where)
    flags = []
    for key in ("per_destination", "before_first_transfer"):
        value = item.get(key)
        if not isinstance(value, bool):
            raise PolicyInvalid(f"{where}.{key}", "must be true or false")
        flags.append(value)
    return Notification(per_destination=flags[0], before_first_transfer=flags[1])


def _mapping(data: object, where: str) -> Mapping[str, object]:
    if not isinstance(data, dict):
        raise PolicyInvalid(where, "must be an object")
    return data


def _list(data: object, where: str) -> list[object]:
    if not isinstance(data, list):
        raise PolicyInvalid(where, "must be a list")
    return data


def _str(data: object, where: str) -> str:
    if not isinstance(data, str) or not data.strip():
        raise PolicyInvalid(where, "must be a non-empty string")
    return data


def _str_list(data: object, where: str) -> list[str]:
    return [_str(value, f"{where}[{i}]") for i, value in enumerate(_list(data, where))]


def _categories(data: object, where: str) -> frozenset[str]:
    found = frozenset(_str_list(data, where))
    unknown = sorted(found - CATEGORIES.keys())
    if unknown:
        raise PolicyInvalid(where, f"unknown data category {unknown[0]!r}")
    return found


def _text(item: Mapping[str, object], key: str, where: str) -> Text:
    text = _mapping(item.get(key), f"{where}.{key}")
    return Text(
        en=_str(text.get("en"), f"{where}.{key}.en"), ru=_str(text.get("ru"), f"{where}.{key}.ru")
    )


def _date(data: object, where: str) -> date:
    value = _str(data, where)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PolicyInvalid(where, "must be a date in YYYY-MM-DD form") from None
