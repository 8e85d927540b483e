"""Offline verification of EU DCC (``HC1:``) certificates, stage by stage.

:func:`verify` runs the stages of :data:`STAGES` and reports each as ``pass``, ``fail`` or
``skipped``, so that a border officer's screen and the conformance suite can both see
*where* a certificate failed:

==============  ============================================================================
stage           fails with reason
==============  ============================================================================
``prefix``      ``prefix``: not ``HC1:``, not text, or longer than a QR code holds
``base45``      ``base45``
``zlib``        ``zlib``: not zlib, broken, padded, or inflating beyond the limit
``cose``        ``cose_structure``; ``alg_not_allowed`` (not ES256/PS256); ``kid`` (missing
                or not 8 bytes)
``signature``   ``unknown_kid``; ``alg_key_mismatch`` (e.g. PS256 with an EC key);
                ``signature``
``cbor``        ``cbor``: the CWT claims or the DCC object cannot be read
``schema``      ``schema`` (DCC JSON schema 1.3, :mod:`~eaeu.services.travel.schema`)
``expiry``      ``not_yet_valid`` (clock + skew < iat), ``expired`` (clock > exp),
                ``dsc_not_yet_valid``, ``dsc_expired`` (the DSC's validity at the clock;
                iat before the DSC's)
``key_usage``   ``key_usage``: the DSC's DCC extended key usage excludes the type
``invariants``  ``test_positive`` (a test result "detected"); ``sample_in_future``
``revocation``  ``revoked`` (hook; ``skipped`` without one)
``rules``       ``rules`` (hook, e.g. CertLogic of the country of arrival; ``skipped``
                without one)
==============  ============================================================================

The first six stages depend on each other: after a failure the rest are ``skipped``. The
payload stages (schema to revocation) are independent and all run, so every problem is
shown; the rules run only on a certificate that passed everything else. ``valid`` is true
only if every stage but the two hooks passed and no hook failed — a stage skipped because
of an earlier failure never counts as a pass. The signature is checked before the payload is
read, as the specification requires.

The result is a report for people and tests; code that needs a decision calls
:meth:`VerificationResult.ensure_valid`, which raises rather than returning a bool.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, TypeAlias

from cryptography import x509
from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from eaeu.kernel.clock import utc
from eaeu.kernel.errors import PlatformError
from eaeu.services.travel import schema
from eaeu.services.travel.base45 import b45decode
from eaeu.services.travel.dsc import Dsc, prepare
from eaeu.services.travel.errors import CertificateRejected, HcertError
from eaeu.services.travel.hcert import (
    DEFAULT_LIMITS,
    ES256,
    KID_LENGTH,
    PS256,
    RESULT_DETECTED,
    Claims,
    CoseSign1,
    Limits,
    decode_claims,
    inflate,
    parse_cose,
    unprefix,
)

Outcome: TypeAlias = Literal["pass", "fail", "skipped"]
PASS: Final = "pass"  # noqa: S105 - a stage outcome, not a password
FAIL: Final = "fail"
SKIPPED: Final = "skipped"

STAGES: Final = (
    "prefix",
    "base45",
    "zlib",
    "cose",
    "signature",
    "cbor",
    "schema",
    "expiry",
    "key_usage",
    "invariants",
    "revocation",
    "rules",
)
#: Stages fed by hooks: ``skipped`` when no hook is given, which does not invalidate.
HOOK_STAGES: Final = frozenset({"revocation", "rules"})
_REQUIRED: Final = tuple(stage for stage in STAGES if stage not in HOOK_STAGES)
#: Tolerated clock difference between issuer and verifier for times in the future.
DEFAULT_SKEW: Final = timedelta(minutes=5)

_ECDSA_SHA256: Final = ec.ECDSA(hashes.SHA256())
_SHA256: Final = hashes.SHA256()
_PSS: Final = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
_P256_BYTES: Final = 32
_REVOCATION_HASH_BYTES: Final = 16


@dataclass(frozen=True, slots=True)
class RevocationKeys:
    """The hashes a DCC revocation list indexes (DCCG revocation, 128-bit SHA-256 prefixes).

    Attributes:
        uci: SHA-256 of the UVCI (hash type ``UCI``).
        country_code_uci: SHA-256 of ``iss`` + UVCI (``COUNTRYCODEUCI``).
        signature: SHA-256 of the signature; of ``r`` only for ECDSA (``SIGNATURE``).
        kid: the signer's key id (revocation batches are per kid).
    """

    uci: bytes
    country_code_uci: bytes
    signature: bytes
    kid: bytes


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What business rules see (the CertLogic ``payload`` and ``external`` data).

    Attributes:
        payload: the DCC payload.
        arrival: the country of arrival (ISO 3166-1 alpha-2), if known.
        at: the validation clock.
        issuer: ``iss``, the issuing country.
        issued_at: ``iat``.
        expires_at: ``exp``.
    """

    payload: Mapping[str, Any]
    arrival: str | None
    at: datetime
    issuer: str | None
    issued_at: datetime
    expires_at: datetime


#: Returns whether the certificate is revoked.
RevocationCheck: TypeAlias = Callable[[RevocationKeys], bool]
#: Returns the identifiers of the rules the certificate fails (empty: it passes).
RulesCheck: TypeAlias = Callable[[RuleContext], Sequence[str]]
TrustStore: TypeAlias = Mapping[bytes, Sequence[x509.Certificate]]


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The outcome of :func:`verify`.

    Attributes:
        valid: whether the certificate may be accepted.
        reason: the reason code of the first failed stage, or ``None``.
        stages: each stage of :data:`STAGES` → ``pass``, ``fail`` or ``skipped``.
        detail: a sentence about the failure, free of personal data, or ``None``.
        holder: ``fn``, ``gn`` and ``dob`` (the minimum an officer compares with the
            passport; ``fnt``/``gnt`` stand in for absent names), once the signature holds.
        payload: the DCC payload, once the signature holds.
        group: ``v``, ``t`` or ``r``.
        kid: the key id the certificate names.
        issuer: ``iss``.
        issued_at: ``iat``.
        expires_at: ``exp``.
        failed_rules: identifiers of failed business rules.
    """

    valid: bool
    reason: str | None
    stages: Mapping[str, Outcome]
    detail: str | None = None
    holder: Mapping[str, str] | None = None
    payload: Mapping[str, Any] | None = None
    group: str | None = None
    kid: bytes | None = None
    issuer: str | None = None
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    failed_rules: tuple[str, ...] = field(default=())

    def ensure_valid(self) -> None:
        """Return if the certificate is valid.

        Raises:
            CertificateRejected: it is not; ``reason`` is ``hcert.<reason>``.
        """
        if not self.valid:
            raise CertificateRejected(
                self.detail or "the certificate is not valid", code=self.reason or "rejected"
            )


def _check_signature(dsc: Dsc, alg: int, data: bytes, signature: bytes) -> bool | None:
    """Return True if valid, False if not, None if the key cannot be used with ``alg``."""
    if (alg == ES256) != (dsc.kind == "es256") or dsc.kind == "unusable":
        return None
    try:
        if alg == ES256:
            # COSE carries ECDSA signatures as raw r || s; OpenSSL wants DER. A signature of
            # any other length (BasicDgcTestsList CO24) is simply invalid.
            if len(signature) != 2 * _P256_BYTES:
                return False
            der = encode_dss_signature(
                int.from_bytes(signature[:_P256_BYTES], "big"),
                int.from_bytes(signature[_P256_BYTES:], "big"),
            )
            dsc.key.verify(der, data, _ECDSA_SHA256)
        else:
            dsc.key.verify(signature, data, _PSS, _SHA256)
    except (_CryptoInvalidSignature, ValueError):
        return False
    return True


def _holder(dcc: Mapping[str, Any]) -> dict[str, str]:
    nam = dcc.get("nam")
    nam = nam if isinstance(nam, dict) else {}
    fn = nam.get("fn") or nam.get("fnt") or ""
    gn = nam.get("gn") or nam.get("gnt") or ""
    dob = dcc.get("dob")
    return {
        "fn": fn if isinstance(fn, str) else "",
        "gn": gn if isinstance(gn, str) else "",
        "dob": dob if isinstance(dob, str) else "",
    }


def _revocation_keys(cose: CoseSign1, claims: Claims, group: str | None) -> RevocationKeys | None:
    entries = claims.dcc.get(group) if group else None
    entry = entries[0] if isinstance(entries, list) and entries else None
    uvci = entry.get("ci") if isinstance(entry, dict) else None
    if not isinstance(uvci, str):
        return None
    signature = cose.signature[:_P256_BYTES] if cose.alg == ES256 else cose.signature
    country = (claims.issuer or "").upper()
    size = _REVOCATION_HASH_BYTES
    return RevocationKeys(
        uci=hashlib.sha256(uvci.encode()).digest()[:size],
        country_code_uci=hashlib.sha256((country + uvci).encode()).digest()[:size],
        signature=hashlib.sha256(signature).digest()[:size],
        kid=cose.kid,
    )


class _Run:
    """The mutable state of one verification; kept apart so that results stay frozen."""

    __slots__ = ("detail", "reason", "stages")

    def __init__(self) -> None:
        self.stages: dict[str, Outcome] = dict.fromkeys(STAGES, SKIPPED)
        self.reason: str | None = None
        self.detail: str | None = None

    def fail(self, stage: str, reason: str, detail: str) -> None:
        # Stages run in the order of STAGES, so the first failure is the earliest one.
        self.stages[stage] = FAIL
        if self.reason is None:
            self.reason, self.detail = reason, detail

    def result(self, **found: Any) -> VerificationResult:
        stages = self.stages
        valid = self.reason is None and all(map(PASS.__eq__, map(stages.__getitem__, _REQUIRED)))
        return VerificationResult(valid, self.reason, stages, self.detail, **found)


def _decode(run: _Run, text: Any, limits: Limits) -> CoseSign1 | None:
    stage = "prefix"
    try:
        body = unprefix(text, limits)
        run.stages[stage] = PASS
        stage = "base45"
        compressed = b45decode(body)
        run.stages[stage] = PASS
        stage = "zlib"
        raw = inflate(compressed, limits)
        run.stages[stage] = PASS
        stage = "cose"
        cose = parse_cose(raw, limits)
    except HcertError as exc:
        run.fail(stage, exc.code, exc.message)
        return None
    if cose.alg not in (ES256, PS256):
        run.fail(stage, "alg_not_allowed", "the certificate is signed with a refused algorithm")
        return None
    if type(cose.kid) is not bytes or len(cose.kid) != KID_LENGTH:
        run.fail(stage, "kid", "the certificate names no 8-byte key id")
        return None
    run.stages[stage] = PASS
    return cose


def _verify_signature(run: _Run, cose: CoseSign1, certificates: TrustStore) -> Dsc | None:
    candidates = certificates.get(cose.kid, ())
    if not candidates:
        run.fail("signature", "unknown_kid", "no trusted signer has the certificate's key id")
        return None
    data = cose.to_be_signed()
    usable = False
    for certificate in candidates:
        dsc = prepare(certificate)
        outcome = _check_signature(dsc, cose.alg, data, cose.signature)
        if outcome:
            run.stages["signature"] = PASS
            return dsc
        usable = usable or outcome is not None
    if usable:
        run.fail("signature", "signature", "the signature does not verify")
    else:
        run.fail("signature", "alg_key_mismatch", "the algorithm does not fit the signer's key")
    return None


def _check_expiry(run: _Run, claims: Claims, dsc: Dsc, now: float, skew: float) -> None:
    if now + skew < claims.issued_at:
        run.fail("expiry", "not_yet_valid", "the certificate is issued in the future")
    elif now > claims.expires:
        run.fail("expiry", "expired", "the certificate has expired")
    elif now > dsc.not_after:
        run.fail("expiry", "dsc_expired", "the signer's certificate has expired")
    elif now < dsc.not_before or claims.issued_at < dsc.not_before:
        run.fail("expiry", "dsc_not_yet_valid", "the signer's certificate was not yet valid")
    else:
        run.stages["expiry"] = PASS


def _check_invariants(run: _Run, dcc: Mapping[str, Any], now: float, skew: float) -> None:
    # Hard rules for test certificates that no business rule may relax (BasicDgcTestsList
    # DGC7, DGC8): a positive result, or a sample taken in the future, is never valid.
    entries = dcc.get("t")
    entry = entries[0] if isinstance(entries, list) and entries else None
    if isinstance(entry, dict):
        if entry.get("tr") == RESULT_DETECTED:
            run.fail("invariants", "test_positive", "the test result is positive")
            return
        sampled = entry.get("sc")
        if not isinstance(sampled, str):
            run.fail("invariants", "sample_in_future", "the sample time cannot be read")
            return
        try:
            moment = datetime.fromisoformat(sampled.upper())
        except ValueError:
            run.fail("invariants", "sample_in_future", "the sample time cannot be read")
            return
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if moment.timestamp() > now + skew:
            run.fail("invariants", "sample_in_future", "the sample was taken in the future")
            return
    run.stages["invariants"] = PASS


def _check_payload(run: _Run, claims: Claims, dsc: Dsc, now: float, skew: float) -> str | None:
    """Run the independent payload stages; return the certificate group, if one."""
    dcc = claims.dcc
    group: str | None
    try:
        group = schema.validate(dcc)
        run.stages["schema"] = PASS
    except HcertError as exc:
        run.fail("schema", "schema", exc.message)
        try:
            group = schema.group_of(dcc)
        except HcertError:
            group = None
    _check_expiry(run, claims, dsc, now, skew)
    if group is None or (dsc.groups is not None and group not in dsc.groups):
        run.fail("key_usage", "key_usage", "the signer may not sign this type of certificate")
    else:
        run.stages["key_usage"] = PASS
    _check_invariants(run, dcc, now, skew)
    return group


def _check_revocation(
    run: _Run, cose: CoseSign1, claims: Claims, group: str | None, revocation: RevocationCheck
) -> None:
    keys = _revocation_keys(cose, claims, group)
    if keys is None:
        run.fail("revocation", "revocation", "the certificate has no identifier to check")
        return
    try:
        revoked = revocation(keys)
    except PlatformError:
        run.fail("revocation", "revocation", "the revocation list cannot be consulted")
        return
    if revoked:
        run.fail("revocation", "revoked", "the certificate has been revoked")
    else:
        run.stages["revocation"] = PASS


def _check_rules(run: _Run, context: RuleContext, rules: RulesCheck) -> tuple[str, ...]:
    try:
        failed = tuple(rules(context))
    except PlatformError:
        run.fail("rules", "rules", "the business rules cannot be evaluated")
        return ()
    if failed:
        run.fail("rules", "rules", "the certificate fails the rules of the destination")
    else:
        run.stages["rules"] = PASS
    return failed


def verify(
    text: str,
    *,
    certificates: TrustStore,
    at: datetime,
    arrival: str | None = None,
    skew: timedelta = DEFAULT_SKEW,
    revocation: RevocationCheck | None = None,
    rules: RulesCheck | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> VerificationResult:
    """Verify an ``HC1:`` certificate offline and report every stage.

    Args:
        text: the QR code's text.
        certificates: the trust store: key id → document signer certificates (kids may
            collide; each certificate is tried).
        at: the validation clock (timezone-aware).
        arrival: the country of arrival, passed to the rules.
        skew: tolerance for times in the future (``iat``, the sample time).
        revocation: returns whether the certificate is revoked; ``None`` skips the stage.
        rules: returns the identifiers of failed business rules; ``None`` skips the stage.
        limits: bounds on the untrusted input.

    Returns:
        The report; :meth:`VerificationResult.ensure_valid` turns it into a decision.

    Raises:
        ValueError: ``at`` is naive (a programming error, not an input).
    """
    clock = utc(at)
    now = clock.timestamp()
    slack = skew.total_seconds()
    run = _Run()
    cose = _decode(run, text, limits)
    if cose is None:
        return run.result()
    dsc = _verify_signature(run, cose, certificates)
    if dsc is None:
        return run.result(kid=cose.kid)
    try:
        claims = decode_claims(cose.payload, limits)
    except HcertError as exc:
        run.fail("cbor", exc.code, exc.message)
        return run.result(kid=cose.kid)
    run.stages["cbor"] = PASS
    group = _check_payload(run, claims, dsc, now, slack)
    if revocation is not None:
        _check_revocation(run, cose, claims, group, revocation)
    issued_at = datetime.fromtimestamp(claims.issued_at, UTC)
    expires_at = datetime.fromtimestamp(claims.expires, UTC)
    failed: tuple[str, ...] = ()
    if rules is not None and run.reason is None:
        context = RuleContext(claims.dcc, arrival, clock, claims.issuer, issued_at, expires_at)
        failed = _check_rules(run, context, rules)
    return run.result(
        holder=_holder(claims.dcc),
        payload=claims.dcc,
        group=group,
        kid=cose.kid,
        issuer=claims.issuer,
        issued_at=issued_at,
        expires_at=expires_at,
        failed_rules=failed,
    )


__all__ = [
    "DEFAULT_SKEW",
    "FAIL",
    "HOOK_STAGES",
    "PASS",
    "SKIPPED",
    "STAGES",
    "Outcome",
    "RevocationCheck",
    "RevocationKeys",
    "RuleContext",
    "RulesCheck",
    "TrustStore",
    "VerificationResult",
    "verify",
]
