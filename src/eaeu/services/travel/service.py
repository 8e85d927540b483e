"""The verification service: one call from a QR text to a verdict a border officer can use.

:func:`verify_certificate` wires the offline verifier (:mod:`.verifier`) to what a node or an
offline bundle knows — the trusted signers (:mod:`.trust`), the revocation list
(:mod:`.revocation`), the entry rules of the country of arrival and the value sets
(:mod:`.rules`, :mod:`.value_sets`) — and reports a stale offline bundle instead of
trusting it silently. :class:`NodeVerifier` is a node's live source of all four;
:mod:`.bundle` is the offline one.

:func:`result_json` is the one JSON shape of a verdict, used by the API, the CLI's
``--json`` and ``--batch``: ``valid``, ``reason``, ``stages``, ``holder`` (``fn``, ``gn``,
``dob`` — the only personal data a verifier is shown), and what was checked against.
Nothing here stores or logs a certificate's content.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final

from eaeu.kernel.clock import Clock, utc
from eaeu.services.travel.revocation import Revocations
from eaeu.services.travel.rules import External, Outcome, RuleBook, format_instant, load_entry_rules
from eaeu.services.travel.trust import ExternalSigners, TrustMaterial, material
from eaeu.services.travel.value_sets import default_value_sets
from eaeu.services.travel.verifier import (
    DEFAULT_SKEW,
    RevocationCheck,
    RuleContext,
    RulesCheck,
    VerificationResult,
    verify,
)
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.trust.trustlist import TrustList

STALE: Final = "bundle_stale"
NOT_YET_VALID: Final = "bundle_not_yet_valid"


@dataclass(frozen=True, slots=True)
class Freshness:
    """Where offline material came from and until when it may be relied on.

    Attributes:
        issuer: the node that signed it.
        issued_at: when it was made.
        valid_until: after this instant it is stale.
    """

    issuer: str
    issued_at: datetime
    valid_until: datetime

    def to_json(self, at: datetime) -> dict[str, Any]:
        """Return the facts a verifier shows about its material at ``at``."""
        return {
            "issuer": self.issuer,
            "issued_at": format_instant(self.issued_at),
            "valid_until": format_instant(self.valid_until),
            "stale": utc(at) >= self.valid_until,
        }


@dataclass(frozen=True)
class Sources:
    """Everything a verification is checked against.

    Attributes:
        material: the trusted signers.
        revocation: the revocation hook, or ``None`` when no list is known (the stage is
            then ``skipped`` and says so).
        rules: the business rules, or ``None`` to skip the stage.
        value_sets: the compressed value sets the rules read.
        freshness: for offline material, its age limit; ``None`` for a node's live data.
    """

    material: TrustMaterial
    revocation: RevocationCheck | None = None
    rules: RuleBook | None = None
    value_sets: Mapping[str, Sequence[str]] = field(default_factory=dict)
    freshness: Freshness | None = None


def rules_hook(rules: RuleBook, value_sets: Mapping[str, Sequence[str]]) -> RulesCheck:
    """Adapt a rule book to the verifier's rules hook: the identifiers of failed rules.

    The rules selected are the acceptance rules of the context's country of arrival and the
    invalidation rules of the issuing country; a rule that is *open* (its logic cannot be
    evaluated) fails, closed, like a failed one.
    """

    def check(context: RuleContext) -> Sequence[str]:
        if context.arrival is None:
            return ()
        external = External(
            validation_clock=context.at,
            value_sets=value_sets,
            country_code=context.arrival,
            exp=context.expires_at,
            iat=context.issued_at,
        )
        issuer = context.issuer or _country_of_test(context.payload) or ""
        verdict = rules.verify(context.payload, external, issuing_country=issuer)
        return [r.rule.identifier for r in verdict.results if r.outcome is not Outcome.PASSED]

    return check


def _country_of_test(payload: Mapping[str, Any]) -> str | None:
    for group in ("t", "v", "r"):
        entries = payload.get(group)
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            country = entries[0].get("co")
            return country if isinstance(country, str) else None
    return None


def verify_certificate(
    text: str,
    *,
    sources: Sources,
    at: datetime,
    arrival: str | None = None,
    skew: timedelta = DEFAULT_SKEW,
) -> VerificationResult:
    """Verify a certificate against ``sources``; a stale bundle makes the result invalid.

    Args:
        text: the QR code's text (anything: garbage gives a result, never an exception).
        sources: signers, revocation list, rules and value sets.
        at: the validation clock (timezone-aware).
        arrival: the country of arrival whose entry rules apply; ``None`` skips the rules.
        skew: tolerated clock difference.

    Returns:
        The verdict. With stale offline material it is invalid with reason
        ``bundle_stale`` (``bundle_not_yet_valid`` for material from the future), whatever
        the certificate's own stages say.
    """
    rules = None
    if sources.rules is not None and arrival is not None:
        rules = rules_hook(sources.rules, sources.value_sets)
    result = verify(
        text,
        certificates=sources.material.store,
        at=at,
        arrival=arrival,
        skew=skew,
        revocation=sources.revocation,
        rules=rules,
    )
    result = sources.material.explain(result)
    freshness = sources.freshness
    if freshness is not None:
        moment = utc(at)
        if moment >= freshness.valid_until:
            return replace(
                result,
                valid=False,
                reason=STALE,
                detail="the offline verification data is out of date; update it",
            )
        if moment + skew < freshness.issued_at:
            return replace(
                result,
                valid=False,
                reason=NOT_YET_VALID,
                detail="the offline verification data is from the future; check the clock",
            )
    return result


def result_json(
    result: VerificationResult,
    *,
    at: datetime,
    arrival: str | None,
    sources: Sources | None = None,
) -> dict[str, Any]:
    """Return the JSON of a verdict (the API, ``--json`` and ``--batch`` shape).

    Only the holder's names and date of birth are included, never the rest of the
    certificate.
    """
    document: dict[str, Any] = {
        "valid": result.valid,
        "reason": result.reason,
        "detail": result.detail,
        "stages": dict(result.stages),
        "holder": dict(result.holder) if result.holder is not None else None,
        "issuer": result.issuer,
        "group": result.group,
        "kid": base64.b64encode(result.kid).decode("ascii") if result.kid else None,
        "issued_at": format_instant(result.issued_at) if result.issued_at else None,
        "expires_at": format_instant(result.expires_at) if result.expires_at else None,
        "failed_rules": list(result.failed_rules),
        "arrival": arrival,
        "at": format_instant(utc(at)),
    }
    if sources is not None and sources.freshness is not None:
        document["bundle"] = sources.freshness.to_json(at)
    return document


class NodeVerifier:
    """A node's verification service: live trust list, imported signers, revocations, rules.

    The trust material is rebuilt only when the trust list version or the set of imported
    signers changes; the revocation list is asked at every verification, so a revocation
    counts from the moment it arrives.

    Args:
        trust: returns the trust list in force, or ``None`` when there is none.
        clock: the node's clock.
        uow: the node's database (imported signers, revocations), or ``None`` (a portal
            without a database of its own verifies against the trust list only).
        revocations: the node's revocation list, or ``None``.
        state: the node's state: the default country of arrival.
        rules: the entry rules (the union's shipped rules by default).
        value_sets: the value sets (the shipped ones by default).
    """

    def __init__(
        self,
        *,
        trust: Callable[[], TrustList | None],
        clock: Clock,
        uow: UnitOfWorkFactory | None = None,
        revocations: Revocations | None = None,
        state: str | None = None,
        rules: RuleBook | None = None,
        value_sets: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._trust = trust
        self.clock = clock
        self.external = ExternalSigners(uow) if uow is not None else None
        self.revocations = revocations
        self.state = state
        self.rules = rules if rules is not None else load_entry_rules()
        self.value_sets = value_sets if value_sets is not None else default_value_sets()
        self._cached: tuple[Any, TrustMaterial] | None = None

    def trust(self) -> TrustList | None:
        """Return the trust list in force, if any."""
        return self._trust()

    def material(self) -> TrustMaterial:
        """Return the trusted signers now (cached while nothing changed)."""
        trust = self._trust()
        generation = self.external.generation() if self.external is not None else None
        key = (trust.digest if trust is not None else None, generation)
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]
        external = self.external.all() if self.external is not None else []
        built = material(trust, external)
        self._cached = (key, built)
        return built

    def sources(self) -> Sources:
        """Return what a verification on this node is checked against now."""
        return Sources(
            material=self.material(),
            revocation=self.revocations.is_revoked if self.revocations is not None else None,
            rules=self.rules,
            value_sets=self.value_sets,
        )

    def verify_certificate(
        self, text: str, *, at: datetime | None = None, arrival: str | None = None
    ) -> VerificationResult:
        """Verify a certificate with this node's data.

        Args:
            text: the QR code's text.
            at: the validation clock; now by default.
            arrival: the country of arrival; this node's state by default, and ``""`` for
                none (no entry rules apply).
        """
        return verify_certificate(
            text,
            sources=self.sources(),
            at=at or self.clock.now(),
            arrival=self.state if arrival is None else (arrival or None),
        )


__all__ = [
    "NOT_YET_VALID",
    "STALE",
    "Freshness",
    "NodeVerifier",
    "Sources",
    "result_json",
    "rules_hook",
    "verify_certificate",
]
