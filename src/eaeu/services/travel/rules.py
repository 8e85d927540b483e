"""EU DCC business rules: the rule model, which rules apply, and their verdict.

Implements the validation-rule format of the EU DCC Gateway
(``dgc-gateway/src/main/resources/validation-rule.schema.json`` and its documented
constraints) and the selection and evaluation of the EU DCC validation apps:

* **Selection** (:meth:`RuleBook.select`): the *Acceptance* rules of the country of
  arrival and the *Invalidation* rules of the issuing country, whose certificate type is
  ``General`` or that of the certificate, whose validity window ``ValidFrom ≤ t < ValidTo``
  contains the validation time — and of those only the highest ``Version`` of each
  ``Identifier``.
* **Evaluation** (:func:`evaluate_rules`): every rule's CertLogic runs on
  ``{"payload": <DCC>, "external": {valueSets, validationClock, countryCode, exp, iat}}``.
  A truthy value passes the rule, a falsy value fails it, and an error (or a value that is
  neither, or a certificate schema version the rule was not written for) leaves it *open*.
  The certificate passes only if no rule fails or is open.

Both rule types read the same way — the logic says what must hold — as in the EU DCC
verifier apps (``dgc-certlogic-android`` ``DefaultCertLogicEngine``: true is ``PASSED``).
Note that ``dcc-business-rules-utils``' ``validateDcc`` instead rejects a certificate when
an invalidation rule is *true*; the apps, not that utility, are what travellers meet.

Each rule is validated and its logic compiled once, when the :class:`Rule` is built;
evaluating a rule set calls closures only.

Error tree::

    PlatformError
     └── TravelError
          ├── InvalidRule               rules.invalid: a rule document breaks the format
          └── RulesNotSatisfied         rules.failed: a certificate failed or left open a rule
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from importlib import resources
from typing import Any, Final

from eaeu.services.travel import certlogic
from eaeu.services.travel.errors import TravelError

__all__ = [
    "ENTRY_RULES_FORMAT",
    "UNION_STATES",
    "CertificateType",
    "External",
    "InvalidRule",
    "Outcome",
    "Rule",
    "RuleBook",
    "RuleResult",
    "RuleType",
    "RulesNotSatisfied",
    "RulesVerdict",
    "certificate_type_of",
    "evaluate_rule",
    "evaluate_rules",
    "format_instant",
    "load_entry_rules",
    "load_rules",
    "parse_entry_rules",
    "parse_rule",
]


class InvalidRule(TravelError):
    """A rule document that breaks the EU validation-rule format or the gateway constraints.

    Args:
        message: what is wrong.
        identifier: the rule's ``Identifier`` when it could be read, else ``""``.
    """

    reason = "rules.invalid"

    def __init__(self, message: str, *, identifier: str = "") -> None:
        super().__init__(f"{identifier or 'rule'}: {message}")
        self.identifier = identifier


class RulesNotSatisfied(TravelError):
    """A certificate that failed, or left open, at least one applicable business rule.

    Args:
        verdict: the full verdict; ``identifiers`` names the rules that did not pass.
    """

    reason = "rules.failed"

    def __init__(self, verdict: RulesVerdict) -> None:
        self.verdict = verdict
        self.identifiers = tuple(r.rule.identifier for r in verdict.results if not r.passed)
        super().__init__(f"business rules not satisfied: {', '.join(self.identifiers)}")


class RuleType(StrEnum):
    """Whether the arrival country accepts, or the issuing country invalidates."""

    ACCEPTANCE = "Acceptance"
    INVALIDATION = "Invalidation"


class CertificateType(StrEnum):
    """The kind of certificate a rule is written for; ``General`` applies to all."""

    GENERAL = "General"
    TEST = "Test"
    VACCINATION = "Vaccination"
    RECOVERY = "Recovery"


class Outcome(StrEnum):
    """The result of one rule on one certificate."""

    PASSED = "passed"
    FAILED = "failed"
    OPEN = "open"


_IDENTIFIER = re.compile(r"(GR|VR|TR|RR|IR)-([A-Z]{2})-[0-9]{4}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
_PREFIX_TYPES: Final = {
    "GR": CertificateType.GENERAL,
    "VR": CertificateType.VACCINATION,
    "TR": CertificateType.TEST,
    "RR": CertificateType.RECOVERY,
}
_PAYLOAD_TYPES: Final = (
    ("t", CertificateType.TEST),
    ("v", CertificateType.VACCINATION),
    ("r", CertificateType.RECOVERY),
)


def _semver(text: str) -> tuple[int, int, int]:
    match = _SEMVER.fullmatch(text)
    if match is None:
        raise ValueError(text)
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def format_instant(moment: datetime) -> str:
    """Render an aware datetime as the ISO 8601 UTC string rules receive (``…T12:00:00Z``).

    Args:
        moment: a timezone-aware datetime.

    Returns:
        ``YYYY-MM-DDThh:mm:ssZ``, with ``.mmm`` milliseconds when they are not zero.
    """
    # isoformat is several times faster than strftime, and a verifier formats three
    # instants per certificate; "milliseconds" truncates, as the integer division did.
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")
    return text.removesuffix(".000") + "Z"


@dataclass(frozen=True, slots=True)
class Rule:
    """One version of one business rule, validated and with its logic compiled.

    Build rules with :func:`parse_rule` from their JSON; constructing one directly
    validates the logic too.

    Attributes:
        identifier: ``TR-RU-0001``: type prefix, country, number.
        type: acceptance (arrival country) or invalidation (issuing country).
        country: ISO 3166-1 alpha-2 code of the country that sets the rule.
        version: semantic version; a higher one supersedes a lower one.
        schema_version: the DCC schema version the rule was written for.
        engine: always ``CERTLOGIC``.
        engine_version: the CertLogic version the rule was written for.
        certificate_type: the certificates it applies to.
        descriptions: language code → description, in the rule's order.
        valid_from: first instant the rule applies.
        valid_to: first instant it no longer applies.
        affected_fields: the payload fields the logic reads, for display.
        logic: the CertLogic expression, as JSON.
        region: an optional sub-national region (the schema's ``Region``).
    """

    identifier: str
    type: RuleType
    country: str
    version: str
    schema_version: str
    engine: str
    engine_version: str
    certificate_type: CertificateType
    descriptions: Mapping[str, str]
    valid_from: datetime
    valid_to: datetime
    affected_fields: tuple[str, ...]
    logic: Any
    region: str | None = None
    evaluator: certlogic.Evaluator = field(init=False, repr=False, compare=False)
    passed_result: RuleResult = field(init=False, repr=False, compare=False)
    failed_result: RuleResult = field(init=False, repr=False, compare=False)
    version_key: tuple[int, int, int] = field(init=False, repr=False, compare=False)
    schema_key: tuple[int, int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            evaluator = certlogic.compile_expression(self.logic)
        except certlogic.InvalidExpression as exc:
            raise InvalidRule(exc.message, identifier=self.identifier) from exc
        try:
            version_key, schema_key = _semver(self.version), _semver(self.schema_version)
        except ValueError as exc:
            raise InvalidRule(
                "versions must be semantic versions", identifier=self.identifier
            ) from exc
        # The dataclass is frozen; these derived fields are filled in once, here.
        object.__setattr__(self, "evaluator", evaluator)
        object.__setattr__(self, "version_key", version_key)
        object.__setattr__(self, "schema_key", schema_key)
        # A passed or failed result says nothing but the rule: build each once.
        object.__setattr__(self, "passed_result", RuleResult(self, Outcome.PASSED))
        object.__setattr__(self, "failed_result", RuleResult(self, Outcome.FAILED))

    def description(self, lang: str) -> str | None:
        """Return the description in ``lang`` (``en``, ``ru``…), or ``None`` if there is none."""
        return self.descriptions.get(lang)

    def is_valid_at(self, moment: datetime) -> bool:
        """Tell whether ``moment`` lies in ``[valid_from, valid_to)``."""
        return self.valid_from <= moment < self.valid_to

    def to_json(self) -> dict[str, Any]:
        """Return the rule as EU validation-rule JSON (the inverse of :func:`parse_rule`)."""
        document: dict[str, Any] = {
            "Identifier": self.identifier,
            "Type": str(self.type),
            "Country": self.country,
            "Version": self.version,
            "SchemaVersion": self.schema_version,
            "Engine": self.engine,
            "EngineVersion": self.engine_version,
            "CertificateType": str(self.certificate_type),
            "Description": [{"lang": k, "desc": v} for k, v in self.descriptions.items()],
            "ValidFrom": format_instant(self.valid_from),
            "ValidTo": format_instant(self.valid_to),
            "AffectedFields": list(self.affected_fields),
            "Logic": self.logic,
        }
        if self.region is not None:
            document["Region"] = self.region
        return document


_REQUIRED: Final = (
    "Identifier",
    "Type",
    "Country",
    "Version",
    "SchemaVersion",
    "Engine",
    "EngineVersion",
    "CertificateType",
    "Description",
    "ValidFrom",
    "ValidTo",
    "AffectedFields",
    "Logic",
)
_OPTIONAL: Final = ("Region",)


def _string(document: Mapping[str, Any], key: str, identifier: str) -> str:
    value = document[key]
    if not isinstance(value, str) or not value:
        raise InvalidRule(f"{key} must be a non-empty string", identifier=identifier)
    return value


def _instant(document: Mapping[str, Any], key: str, identifier: str) -> datetime:
    text = _string(document, key, identifier)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidRule(f"{key} must be an ISO 8601 date-time", identifier=identifier) from exc
    if moment.tzinfo is None:
        raise InvalidRule(f"{key} must carry a UTC offset", identifier=identifier)
    return moment.astimezone(UTC)


def _descriptions(document: Mapping[str, Any], identifier: str) -> dict[str, str]:
    entries = document["Description"]
    if not isinstance(entries, list) or not entries:
        raise InvalidRule("Description must be a non-empty array", identifier=identifier)
    descriptions: dict[str, str] = {}
    for entry in entries:
        if not (
            isinstance(entry, Mapping)
            and isinstance(entry.get("lang"), str)
            and isinstance(entry.get("desc"), str)
            and entry["desc"]
        ):
            raise InvalidRule("each Description needs a lang and a desc", identifier=identifier)
        descriptions.setdefault(entry["lang"], entry["desc"])
    if "en" not in descriptions:
        raise InvalidRule("an English (en) Description is required", identifier=identifier)
    return descriptions


def _kinds(document: Mapping[str, Any], identifier: str) -> tuple[RuleType, CertificateType, str]:
    """Check the identifier against Type, CertificateType and Country, and return those."""
    match = _IDENTIFIER.fullmatch(identifier)
    if match is None:
        raise InvalidRule("Identifier must look like TR-RU-0001", identifier=identifier)
    try:
        rule_type = RuleType(document["Type"])
        certificate_type = CertificateType(document["CertificateType"])
    except ValueError as exc:
        raise InvalidRule("unknown Type or CertificateType", identifier=identifier) from exc
    country = _string(document, "Country", identifier)
    if _COUNTRY.fullmatch(country) is None or match.group(2) != country:
        raise InvalidRule("Country must be the identifier's country code", identifier=identifier)
    prefix = match.group(1)
    if (prefix == "IR") != (rule_type is RuleType.INVALIDATION) or (
        prefix != "IR" and _PREFIX_TYPES[prefix] is not certificate_type
    ):
        raise InvalidRule("Identifier prefix does not match the rule's type", identifier=identifier)
    return rule_type, certificate_type, country


def parse_rule(document: Mapping[str, Any]) -> Rule:
    """Validate a rule's JSON and build the :class:`Rule`, with its logic compiled.

    Besides the gateway schema, checks the gateway's constraints: the identifier's
    prefix matches the type (``IR`` for invalidation, ``GR``/``VR``/``TR``/``RR`` for the
    certificate type of an acceptance rule) and its country the ``Country`` field;
    ``ValidFrom`` is before ``ValidTo``; an English description exists; the logic is
    valid CertLogic.

    Args:
        document: the parsed JSON of one rule.

    Returns:
        The rule.

    Raises:
        InvalidRule: the document breaks the format; the message says where.
    """
    if not isinstance(document, Mapping):
        raise InvalidRule("a rule must be a JSON object")
    raw_identifier = document.get("Identifier")
    identifier = raw_identifier if isinstance(raw_identifier, str) else ""
    missing = [key for key in _REQUIRED if key not in document]
    if missing:
        raise InvalidRule(f"missing {', '.join(missing)}", identifier=identifier)
    unknown = sorted(set(document) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise InvalidRule(f"unknown fields {', '.join(unknown)}", identifier=identifier)
    rule_type, certificate_type, country = _kinds(document, identifier)
    engine = _string(document, "Engine", identifier)
    if engine != "CERTLOGIC":
        raise InvalidRule("Engine must be CERTLOGIC", identifier=identifier)
    engine_version = _string(document, "EngineVersion", identifier)
    if _SEMVER.fullmatch(engine_version) is None:
        raise InvalidRule("EngineVersion must be a semantic version", identifier=identifier)
    valid_from = _instant(document, "ValidFrom", identifier)
    valid_to = _instant(document, "ValidTo", identifier)
    if valid_from >= valid_to:
        raise InvalidRule("ValidFrom must be before ValidTo", identifier=identifier)
    fields = document["AffectedFields"]
    if not isinstance(fields, list) or not all(isinstance(f, str) and f for f in fields):
        raise InvalidRule("AffectedFields must be an array of field paths", identifier=identifier)
    region = document.get("Region")
    if region is not None and not isinstance(region, str):
        raise InvalidRule("Region must be a string", identifier=identifier)
    return Rule(
        identifier=identifier,
        type=rule_type,
        country=country,
        version=_string(document, "Version", identifier),
        schema_version=_string(document, "SchemaVersion", identifier),
        engine=engine,
        engine_version=engine_version,
        certificate_type=certificate_type,
        descriptions=_descriptions(document, identifier),
        valid_from=valid_from,
        valid_to=valid_to,
        affected_fields=tuple(fields),
        logic=document["Logic"],
        region=region or None,
    )


def certificate_type_of(payload: Mapping[str, Any]) -> CertificateType:
    """Return the type of a DCC payload: test (``t``), vaccination (``v``) or recovery (``r``).

    Args:
        payload: the decoded DCC JSON.

    Returns:
        The certificate type.

    Raises:
        InvalidRule: the payload carries not exactly one of ``t``, ``v``, ``r``, so no
            rule set can be chosen for it.
    """
    found = [kind for key, kind in _PAYLOAD_TYPES if payload.get(key)]
    if len(found) != 1:
        raise InvalidRule("the certificate must carry exactly one of t, v and r")
    return found[0]


@dataclass(frozen=True, slots=True)
class External:
    """The ``external`` parameters of an evaluation.

    Attributes:
        validation_clock: the instant of validation (aware).
        value_sets: value-set id → codes (the "compressed" value sets).
        country_code: the country of arrival.
        exp: the certificate's expiry (CWT ``exp``), if known.
        iat: the certificate's issuing time (CWT ``iat``), if known.
    """

    validation_clock: datetime
    value_sets: Mapping[str, Sequence[str]]
    country_code: str
    exp: datetime | None = None
    iat: datetime | None = None
    _json: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Rendered once: a verifier evaluates every rule of a set on the same external.
        document: dict[str, Any] = {
            "valueSets": self.value_sets,
            "validationClock": format_instant(self.validation_clock),
            "countryCode": self.country_code,
        }
        if self.exp is not None:
            document["exp"] = format_instant(self.exp)
        if self.iat is not None:
            document["iat"] = format_instant(self.iat)
        object.__setattr__(self, "_json", document)

    def as_json(self) -> dict[str, Any]:
        """Return the parameters as the JSON object rules read under ``external``."""
        return self._json


@dataclass(frozen=True, slots=True)
class RuleResult:
    """What one rule said about one certificate.

    Attributes:
        rule: the rule.
        outcome: passed, failed or open.
        error: why the rule is open (a message without personal data), else ``None``.
    """

    rule: Rule
    outcome: Outcome
    error: str | None = None

    @property
    def passed(self) -> bool:
        """Whether the rule passed."""
        return self.outcome is Outcome.PASSED

    @property
    def description_en(self) -> str:
        """The rule's English description (every valid rule has one)."""
        return self.rule.descriptions["en"]

    @property
    def description_ru(self) -> str | None:
        """The rule's Russian description, if it has one."""
        return self.rule.descriptions.get("ru")


@dataclass(frozen=True, slots=True)
class RulesVerdict:
    """The results of all applicable rules on one certificate.

    An empty verdict passes: under the EU scheme a country without a rule for a kind of
    certificate does not reject it. Callers that must fail closed check ``results``.

    Attributes:
        results: one result per rule, in the order evaluated.
    """

    results: tuple[RuleResult, ...]

    @property
    def passed(self) -> bool:
        """Whether no rule failed and none is open."""
        return all(result.outcome is Outcome.PASSED for result in self.results)

    def check(self) -> None:
        """Return if the certificate passed every rule.

        Raises:
            RulesNotSatisfied: a rule failed or is open.
        """
        if not self.passed:
            raise RulesNotSatisfied(self)


def _schema_version(payload: Mapping[str, Any]) -> tuple[int, int, int] | None:
    version = payload.get("ver")
    return _cached_semver(version) if isinstance(version, str) else None


@functools.lru_cache(maxsize=64)
def _cached_semver(text: str) -> tuple[int, int, int] | None:
    try:
        return _semver(text)
    except ValueError:
        return None


def evaluate_rule(
    rule: Rule, data: Mapping[str, Any], schema: tuple[int, int, int] | None = None
) -> RuleResult:
    """Evaluate one rule on a prepared data context.

    Args:
        rule: the rule.
        data: ``{"payload": …, "external": …}``.
        schema: the payload's schema version; when given, a rule written for a
            different major version or a newer schema than the payload's stays open, as in
            the EU DCC verifier apps.

    Returns:
        The result; never raises for bad data.
    """
    if schema is not None and (schema[0] != rule.schema_key[0] or schema < rule.schema_key):
        return RuleResult(rule, Outcome.OPEN, "certificate schema version not covered by rule")
    try:
        value = rule.evaluator(data)
    except certlogic.EvaluationError as exc:
        return RuleResult(rule, Outcome.OPEN, exc.message)
    if value is True:
        return rule.passed_result
    truth = certlogic.boolsiness(value)
    if truth is None:
        return RuleResult(rule, Outcome.OPEN, "rule logic gave neither true nor false")
    return rule.passed_result if truth else rule.failed_result


def evaluate_rules(
    rules: Iterable[Rule], payload: Mapping[str, Any], external: External
) -> RulesVerdict:
    """Evaluate rules on a DCC payload.

    Args:
        rules: the rules that apply (see :meth:`RuleBook.select`).
        payload: the decoded DCC JSON.
        external: the external parameters.

    Returns:
        The verdict: every rule's result. A payload without a readable ``ver`` leaves
        every rule open.
    """
    data = {"payload": payload, "external": external.as_json()}
    schema = _schema_version(payload)
    if schema is None:
        return RulesVerdict(
            tuple(
                RuleResult(rule, Outcome.OPEN, "certificate has no schema version")
                for rule in rules
            )
        )
    return RulesVerdict(tuple(evaluate_rule(rule, data, schema) for rule in rules))


_DAWN: Final = datetime.min.replace(tzinfo=UTC)
_DUSK: Final = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class _Selection:
    start: datetime
    end: datetime
    rules: tuple[Rule, ...]


class RuleBook:
    """A collection of rules of many countries, indexed for selection.

    Args:
        rules: any number of rules, any versions; a duplicate ``(Identifier, Version)``
            is refused.
        sources: optional notes on where each rule comes from, keyed by
            ``(Identifier, Version)``.

    Raises:
        InvalidRule: two rules share identifier and version.
    """

    __slots__ = ("_boundaries", "_by_key", "_cache", "_rules", "_sources")

    def __init__(
        self, rules: Iterable[Rule], sources: Mapping[tuple[str, str], str] | None = None
    ) -> None:
        self._rules = tuple(rules)
        self._sources = dict(sources or {})
        seen: set[tuple[str, str]] = set()
        by_key: dict[tuple[RuleType, str], list[Rule]] = {}
        for rule in self._rules:
            if (rule.identifier, rule.version) in seen:
                raise InvalidRule(f"version {rule.version} given twice", identifier=rule.identifier)
            seen.add((rule.identifier, rule.version))
            by_key.setdefault((rule.type, rule.country), []).append(rule)
        self._by_key = {key: tuple(rules) for key, rules in by_key.items()}
        # The selection changes only when some rule's window opens or closes: between two
        # such instants it is cached, so a verifier selects once per kind of certificate.
        self._boundaries = sorted(
            {r.valid_from for r in self._rules} | {r.valid_to for r in self._rules}
        )
        self._cache: dict[tuple[str, str, CertificateType, str | None], _Selection] = {}

    def __len__(self) -> int:
        return len(self._rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules)

    @property
    def rules(self) -> tuple[Rule, ...]:
        """All rules, in the order given."""
        return self._rules

    def source(self, rule: Rule) -> str | None:
        """Return the note on where ``rule`` comes from, if one was given."""
        return self._sources.get((rule.identifier, rule.version))

    def select(
        self,
        *,
        arrival_country: str,
        issuing_country: str,
        certificate_type: CertificateType,
        at: datetime,
        region: str | None = None,
    ) -> tuple[Rule, ...]:
        """Choose the rules that apply to one certificate at one time.

        Args:
            arrival_country: the country of arrival (acceptance rules).
            issuing_country: the country that issued the certificate (invalidation rules).
            certificate_type: the certificate's type; ``General`` rules always apply.
            at: the validation time (aware).
            region: the region of arrival; rules with a ``Region`` apply only there.

        Returns:
            Acceptance rules first, then invalidation rules, each by identifier; one
            version per identifier — the highest valid at ``at``.
        """
        cache_key = (arrival_country, issuing_country, certificate_type, region)
        hit = self._cache.get(cache_key)
        if hit is not None and hit.start <= at < hit.end:
            return hit.rules
        chosen: list[Rule] = []
        for key in (
            (RuleType.ACCEPTANCE, arrival_country),
            (RuleType.INVALIDATION, issuing_country),
        ):
            latest: dict[str, Rule] = {}
            for rule in self._by_key.get(key, ()):
                if (
                    rule.certificate_type in (CertificateType.GENERAL, certificate_type)
                    and (rule.region is None or rule.region == region)
                    and rule.valid_from <= at < rule.valid_to
                ):
                    current = latest.get(rule.identifier)
                    if current is None or rule.version_key > current.version_key:
                        latest[rule.identifier] = rule
            chosen.extend(latest[identifier] for identifier in sorted(latest))
        position = bisect.bisect_right(self._boundaries, at)
        start = self._boundaries[position - 1] if position else _DAWN
        end = self._boundaries[position] if position < len(self._boundaries) else _DUSK
        selection = _Selection(start, end, tuple(chosen))
        self._cache[cache_key] = selection
        return selection.rules

    def verify(
        self,
        payload: Mapping[str, Any],
        external: External,
        *,
        issuing_country: str,
        region: str | None = None,
    ) -> RulesVerdict:
        """Select the rules for a certificate and evaluate them.

        The country of arrival is ``external.country_code`` and the validation time
        ``external.validation_clock``.

        Args:
            payload: the decoded DCC JSON.
            external: the external parameters.
            issuing_country: the country that issued the certificate.
            region: the region of arrival, if any.

        Returns:
            The verdict; call :meth:`RulesVerdict.check` to raise on failure.

        Raises:
            InvalidRule: the payload is of no known certificate type.
        """
        rules = self.select(
            arrival_country=external.country_code,
            issuing_country=issuing_country,
            certificate_type=certificate_type_of(payload),
            at=external.validation_clock,
            region=region,
        )
        return evaluate_rules(rules, payload, external)


ENTRY_RULES_FORMAT: Final = "eaeu.travel.entry-rules"
"""The ``format`` marker of the union's entry-rules document."""

UNION_STATES: Final = frozenset({"AM", "BY", "KG", "KZ", "RU"})
"""The member states whose entry rules the union's document may carry."""


def _parse_json(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidRule("the rules document is not JSON") from exc


def load_rules(text: str | bytes) -> RuleBook:
    """Parse a JSON array of EU validation rules (as a national backend serves them).

    Args:
        text: the JSON.

    Returns:
        The rules, validated and compiled.

    Raises:
        InvalidRule: the JSON is not an array of valid rules.
    """
    document = _parse_json(text)
    if not isinstance(document, list):
        raise InvalidRule("a rules document must be a JSON array of rules")
    return RuleBook(parse_rule(rule) for rule in document)


def parse_entry_rules(text: str | bytes) -> RuleBook:
    """Parse and validate the union's entry-rules document.

    The document is ``{"format": "eaeu.travel.entry-rules", "formatVersion": 1,
    "rules": [{"source": <note>, "rule": <EU validation rule>}, …]}``. Beyond
    :func:`parse_rule`, every rule must be an acceptance rule of a union state, carry a
    Russian description and a source note.

    Args:
        text: the JSON.

    Returns:
        The rules with their source notes.

    Raises:
        InvalidRule: the document or one of its rules is not valid.
    """
    document = _parse_json(text)
    if not (
        isinstance(document, dict)
        and document.get("format") == ENTRY_RULES_FORMAT
        and document.get("formatVersion") == 1
        and isinstance(document.get("rules"), list)
    ):
        raise InvalidRule(f"not an {ENTRY_RULES_FORMAT} document of format version 1")
    rules: list[Rule] = []
    sources: dict[tuple[str, str], str] = {}
    for entry in document["rules"]:
        if not isinstance(entry, dict) or set(entry) != {"source", "rule"}:
            raise InvalidRule("each entry must hold exactly a source and a rule")
        rule = parse_rule(entry["rule"])
        if rule.type is not RuleType.ACCEPTANCE or rule.country not in UNION_STATES:
            raise InvalidRule("only acceptance rules of union states", identifier=rule.identifier)
        if not rule.description("ru"):
            raise InvalidRule("a Russian (ru) Description is required", identifier=rule.identifier)
        if not isinstance(entry["source"], str) or not entry["source"].strip():
            raise InvalidRule("a source note is required", identifier=rule.identifier)
        rules.append(rule)
        sources[rule.identifier, rule.version] = entry["source"]
    return RuleBook(rules, sources)


@functools.cache
def load_entry_rules() -> RuleBook:
    """Load the union's entry rules shipped with the platform (``entry_rules.json``).

    Read, validated and compiled on the first call, then shared: a :class:`RuleBook` is
    immutable.

    Returns:
        The acceptance rules of the union's arrival states.

    Raises:
        InvalidRule: the shipped document is not valid (a packaging defect).
    """
    text = resources.files(__package__ or "eaeu.services.travel").joinpath("entry_rules.json")
    return parse_entry_rules(text.read_bytes())
