"""Cross-border identity assertions: the home node vouches for a person or organisation.

When a person acts on another state's service, their home node issues a short-lived
assertion with the eIDAS minimum data set (Implementing Regulation (EU) 2015/1501, Annex):
names in the original script and in Latin letters (ICAO 9303, :mod:`eaeu.identity.translit`),
date of birth, a persistent identifier and the level of assurance (Implementing Regulation
(EU) 2015/1502), plus nationality. It is a compact JWS (``typ: eaeu-id+jwt``) signed by the
home node's exchange key, whose ``kid`` is in the union trust list::

    {"v": 1, "kind": "person",
     "iss": "EAEU/KG/GOV/NODE", "aud": "EAEU/RU/GOV/NODE",
     "sub": "KG/RU/3f0c…", "iat": 1767225600, "nbf": 1767225600, "exp": 1767225900,
     "jti": "019b…", "loa": "http://eidas.europa.eu/LoA/substantial", "nationality": "KG",
     "family_name": {"original": "Асанова", "latin": "ASANOVA"},
     "given_name": {"original": "Айгуль", "latin": "AIGUL"},
     "birth_date": "1994-03-12"}

The persistent identifier follows the eIDAS ``PersonIdentifier`` form
``<issuing state>/<receiving state>/<identifier>``; its identifier is an HMAC of the
destination and the person's id under a key only the home node holds, so it is stable for
one destination and different for every other (two destinations cannot link a person by
it). An organisation's assertion carries its public registration number instead:
``sub = legal_person_identifier = <HOME>/<DEST>/<legal id>``, with the legal name.

The destination verifies every part (:func:`verify_assertion`): the key only from the trust
list's node keys, the issuer a member whose node holds that key, itself as audience, the
times with a small skew and a lifetime of at most ten minutes, the subject consistent with
issuer and audience, and the ``jti`` used once (:class:`SqlReplayStore`). Every refusal is
an :class:`AssertionRefused` with a stable reason.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Protocol

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from eaeu.exchange.ids import node_id
from eaeu.identity.assertion_orm import UsedAssertion
from eaeu.identity.translit import transliterate, transliterate_legal_name
from eaeu.kernel.errors import PlatformError, ValidationError
from eaeu.kernel.ids import uuid7
from eaeu.kernel.log import get_logger
from eaeu.kernel.states import MEMBER_STATES
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.trust.errors import InvalidSignature, TrustError
from eaeu.trust.jws import sign_compact, verify_compact
from eaeu.trust.keys import Signer, Verifier
from eaeu.trust.trustlist import TrustList

log = get_logger("eaeu.identity")

#: The JWS ``typ`` of an identity assertion.
TYP: Final = "eaeu-id+jwt"
FORMAT_VERSION: Final = 1
PERSON: Final = "person"
ORGANISATION: Final = "organisation"

#: Levels of assurance (eIDAS, Implementing Regulation (EU) 2015/1502).
LOA_LOW: Final = "http://eidas.europa.eu/LoA/low"
LOA_SUBSTANTIAL: Final = "http://eidas.europa.eu/LoA/substantial"
LOA_HIGH: Final = "http://eidas.europa.eu/LoA/high"
LEVELS: Final = (LOA_LOW, LOA_SUBSTANTIAL, LOA_HIGH)

DEFAULT_TTL: Final = timedelta(minutes=5)
MAX_TTL: Final = timedelta(minutes=10)
#: How far the clocks of two nodes may disagree.
DEFAULT_SKEW: Final = timedelta(seconds=30)
#: The largest token a node reads; a real assertion is about 1 KiB.
MAX_TOKEN_BYTES: Final = 16_384

_NAME_MAX = 200
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_COUNTRY = re.compile(r"[A-Z]{2}")
#: What a nonce binding an assertion to one browser looks like (URL-safe random text).
NONCE = re.compile(r"[A-Za-z0-9_-]{22,64}")
_OPAQUE = re.compile(r"[0-9a-f]{64}")
_LEGAL_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_KIND = re.compile(r"[a-z][a-z_]{0,31}")
_LATIN = re.compile(r"[A-Z](?:[A-Z' -]*[A-Z])?")
# A registered Latin name of an organisation keeps its case, digits and usual punctuation.
_LEGAL_LATIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 .,'&()/-]*[A-Za-z0-9.)])?")
_PSEUDONYM_CONTEXT = b"eaeu.identity.persistent-id.v1"


class AssertionRefused(PlatformError):
    """An identity assertion that must not be trusted, with the reason why.

    Reasons: ``identity.assertion_malformed`` (not an assertion, or a claim is missing or
    wrong), ``identity.assertion_signature`` (the signature does not verify or uses a
    refused algorithm), ``identity.assertion_signer`` (not signed by a member node's key,
    or by one node on behalf of another state), ``identity.assertion_audience`` (meant for
    another node), ``identity.assertion_not_yet_valid``, ``identity.assertion_expired``,
    ``identity.assertion_replayed`` (already used here), ``identity.trust_list_expired``
    (this node cannot judge any assertion until it has a current trust list).
    """

    reason = "identity.assertion_malformed"


# --- the model ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Name:
    """A name in its original script and in Latin letters (ICAO 9303)."""

    original: str
    latin: str

    def to_json(self) -> dict[str, str]:
        """The claim value: ``{"original": …, "latin": …}``."""
        return {"original": self.original, "latin": self.latin}


@dataclass(frozen=True, slots=True)
class Assertion:
    """A verified identity assertion.

    Attributes:
        kind: ``person`` or ``organisation``.
        issuer_state: the home state whose node signed it.
        audience_state: the state whose node it is for.
        subject: the persistent identifier (person) or legal person identifier.
        jti: the assertion's id (used once).
        issued_at, not_before, expires_at: its validity.
        loa: the level of assurance of the sign-in at home.
        family_name, given_name, birth_date, nationality: a person's minimum data set.
        legal_name, legal_id_kind, org_kinds: an organisation's data.
        nonce: the destination's value that binds the assertion to one browser, if any.
        claims: every claim as received.
    """

    kind: str
    issuer_state: str
    audience_state: str
    subject: str
    jti: str
    issued_at: datetime
    not_before: datetime
    expires_at: datetime
    loa: str
    family_name: Name | None = None
    given_name: Name | None = None
    birth_date: date | None = None
    nationality: str | None = None
    legal_name: Name | None = None
    legal_id_kind: str | None = None
    org_kinds: tuple[str, ...] = ()
    nonce: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        # Names and birth dates are personal data: never in a repr that may reach a log.
        return (
            f"Assertion(kind={self.kind!r}, issuer_state={self.issuer_state!r}, "
            f"audience_state={self.audience_state!r}, jti={self.jti!r})"
        )

    @property
    def display_name(self) -> str:
        """The name to greet the subject with, in the original script."""
        if self.kind == ORGANISATION and self.legal_name is not None:
            return self.legal_name.original
        given = self.given_name.original if self.given_name else ""
        family = self.family_name.original if self.family_name else ""
        return f"{given} {family}".strip()


# --- persistent identifiers --------------------------------------------------------------


def pseudonym_key(secret: str | bytes) -> bytes:
    """Derive the key of persistent identifiers from the node's secret.

    A key of its own (HMAC of a fixed context) keeps identifiers unrelated to any other use
    of the secret. Changing the node's secret changes every persistent identifier.
    """
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(raw, _PSEUDONYM_CONTEXT, hashlib.sha256).digest()


def persistent_id(key: bytes, *, home_state: str, audience_state: str, person_id: str) -> str:
    """Return ``<HOME>/<DEST>/<opaque>``: the same for one destination, different per destination.

    Args:
        key: from :func:`pseudonym_key`.
        home_state: the state of the person's home node.
        audience_state: the destination state.
        person_id: the home node's id of the person (never sent).
    """
    mac = hmac.new(key, f"{audience_state}|{person_id}".encode(), hashlib.sha256)
    return f"{home_state}/{audience_state}/{mac.hexdigest()}"


# --- issuing -----------------------------------------------------------------------------


def _check_route(home_state: str, audience_state: str) -> None:
    for state in (home_state, audience_state):
        if state not in MEMBER_STATES:
            raise ValidationError(
                f"{state!r} is not a member state", reason="identity.assertion_destination"
            )
    if home_state == audience_state:
        raise ValidationError(
            "an identity assertion is for another state's node, not the home node",
            reason="identity.assertion_destination",
        )


def _name(original: str, latin: str | None, language: str | None) -> Name:
    text = " ".join(original.split()) if isinstance(original, str) else ""
    if not text or len(text) > _NAME_MAX:
        raise ValidationError(
            "a name must have 1 to 200 characters", reason="identity.assertion_input"
        )
    latin_form = transliterate(text, language) if latin is None else latin.strip().upper()
    if not _LATIN.fullmatch(latin_form) or len(latin_form) > _NAME_MAX:
        raise ValidationError(
            "a Latin name is upper-case letters A-Z, spaces, hyphens and apostrophes",
            reason="identity.assertion_input",
        )
    return Name(text, latin_form)


def _legal_name(original: str, latin: str | None) -> Name:
    text = " ".join(original.split()) if isinstance(original, str) else ""
    if not text or len(text) > _NAME_MAX:
        raise ValidationError(
            "a name must have 1 to 200 characters", reason="identity.assertion_input"
        )
    latin_form = transliterate_legal_name(text) if latin is None else " ".join(latin.split())
    if not _LEGAL_LATIN.fullmatch(latin_form) or len(latin_form) > _NAME_MAX:
        raise ValidationError(
            "a Latin name of an organisation is Latin letters, digits and punctuation",
            reason="identity.assertion_input",
        )
    return Name(text, latin_form)


def _base_claims(
    kind: str, home_state: str, audience_state: str, now: datetime, ttl: timedelta, loa: str
) -> dict[str, Any]:
    if not timedelta(0) < ttl <= MAX_TTL:
        raise ValidationError(
            "an identity assertion lives at most 10 minutes", reason="identity.assertion_input"
        )
    if loa not in LEVELS:
        raise ValidationError(
            f"{loa!r} is not an eIDAS level of assurance", reason="identity.assertion_input"
        )
    issued = int(now.timestamp())
    return {
        "v": FORMAT_VERSION,
        "kind": kind,
        "iss": str(node_id(home_state)),
        "aud": str(node_id(audience_state)),
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(ttl.total_seconds()),
        "jti": str(uuid7()),
        "loa": loa,
    }


def _sign(claims: Mapping[str, Any], signer: Signer) -> str:
    payload = json.dumps(claims, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    token = sign_compact(payload.encode("utf-8"), signer, {"typ": TYP})
    # Ids and states only: the claims are personal data.
    log.info(
        "identity.assertion.issued",
        jti=claims["jti"],
        kind=claims["kind"],
        audience=claims["aud"],
    )
    return token


def issue_person_assertion(
    signer: Signer,
    *,
    home_state: str,
    audience_state: str,
    person_id: str,
    family_name: str,
    given_name: str,
    birth_date: date,
    nationality: str,
    id_key: bytes,
    now: datetime,
    family_name_latin: str | None = None,
    given_name_latin: str | None = None,
    language: str | None = None,
    loa: str = LOA_SUBSTANTIAL,
    ttl: timedelta = DEFAULT_TTL,
    nonce: str | None = None,
) -> str:
    """Issue the assertion of a person signed in at their home node.

    Args:
        signer: the home node's exchange signer (its ``kid`` is in the trust list).
        home_state: the home node's state.
        audience_state: the destination node's state.
        person_id: the home node's id of the person; only its keyed hash leaves the node.
        family_name: the family name in the original script.
        given_name: the given name in the original script.
        birth_date: date of birth.
        nationality: ISO 3166-1 alpha-2 code.
        id_key: from :func:`pseudonym_key` of the home node's secret.
        now: the home node's clock.
        family_name_latin: the Latin family name on record; transliterated from the
            original (ICAO 9303) when not given.
        given_name_latin: the Latin given name on record, likewise.
        language: the language of the names, for their transliteration.
        loa: the level of assurance of the sign-in (substantial after password and code).
        ttl: lifetime, at most :data:`MAX_TTL`.
        nonce: the value the destination gave the person's browser; echoed so that the
            destination admits the assertion only from that browser.

    Returns:
        The compact JWS.

    Raises:
        ValidationError: a state, name, date, level, lifetime or nonce that cannot be
            asserted.
    """
    _check_route(home_state, audience_state)
    if nonce is not None and not NONCE.fullmatch(nonce):
        raise ValidationError("the nonce is not a random token", reason="identity.assertion_input")
    if not isinstance(nationality, str) or not _COUNTRY.fullmatch(nationality):
        raise ValidationError(
            "nationality is a two-letter country code", reason="identity.assertion_input"
        )
    if not isinstance(birth_date, date) or isinstance(birth_date, datetime):
        raise ValidationError("the birth date must be a date", reason="identity.assertion_input")
    claims = _base_claims(PERSON, home_state, audience_state, now, ttl, loa)
    claims.update(
        {
            "sub": persistent_id(
                id_key,
                home_state=home_state,
                audience_state=audience_state,
                person_id=person_id,
            ),
            "nationality": nationality,
            "family_name": _name(family_name, family_name_latin, language).to_json(),
            "given_name": _name(given_name, given_name_latin, language).to_json(),
            "birth_date": birth_date.isoformat(),
        }
    )
    if nonce is not None:
        claims["nonce"] = nonce
    return _sign(claims, signer)


def issue_organisation_assertion(
    signer: Signer,
    *,
    home_state: str,
    audience_state: str,
    legal_id: str,
    legal_id_kind: str,
    legal_name: str,
    kinds: Collection[str],
    now: datetime,
    legal_name_latin: str | None = None,
    loa: str = LOA_SUBSTANTIAL,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """Issue the assertion of an organisation registered at the home node.

    Registration numbers are public, so the legal person identifier carries the number
    itself: ``<HOME>/<DEST>/<legal id>``.

    Args:
        signer: the home node's exchange signer.
        home_state: the home node's state.
        audience_state: the destination node's state.
        legal_id: the registration number (BIN, OGRN, UNP, TIN…).
        legal_id_kind: its kind as :mod:`eaeu.kernel.identifiers` names it (``ogrn``).
        legal_name: the registered name in the original script.
        kinds: what the organisation is (``employer``, ``lab``…).
        now: the home node's clock.
        legal_name_latin: the Latin name on record; transliterated when not given.
        loa: the level of assurance of the representative's sign-in.
        ttl: lifetime, at most :data:`MAX_TTL`.

    Returns:
        The compact JWS.

    Raises:
        ValidationError: a state, number, name, kind, level or lifetime that cannot be
            asserted.
    """
    _check_route(home_state, audience_state)
    if not isinstance(legal_id, str) or not _LEGAL_ID.fullmatch(legal_id):
        raise ValidationError(
            "a registration number is 1 to 64 letters, digits or hyphens",
            reason="identity.assertion_input",
        )
    names = sorted(set(kinds))
    if not all(isinstance(k, str) and _KIND.fullmatch(k) for k in [legal_id_kind, *names]):
        raise ValidationError("kinds are lower-case names", reason="identity.assertion_input")
    claims = _base_claims(ORGANISATION, home_state, audience_state, now, ttl, loa)
    identifier = f"{home_state}/{audience_state}/{legal_id}"
    claims.update(
        {
            "sub": identifier,
            "legal_person_identifier": identifier,
            "legal_id_kind": legal_id_kind,
            "legal_name": _legal_name(legal_name, legal_name_latin).to_json(),
            "org_kinds": names,
        }
    )
    return _sign(claims, signer)


# --- replay protection -------------------------------------------------------------------


class ReplayStore(Protocol):
    """Remembers which assertions were used, until they expire."""

    def claim(self, jti: str, *, issuer_state: str, until: datetime, now: datetime) -> None:
        """Record ``jti`` as used until ``until``.

        Raises:
            AssertionRefused: it was used before (``identity.assertion_replayed``).
        """
        ...


def _replayed() -> AssertionRefused:
    return AssertionRefused(
        "This sign-in from your home country has already been used. "
        "Start again from your home portal.",
        reason="identity.assertion_replayed",
    )


class SqlReplayStore:
    """Used assertions in the node's database (``identity_assertion_replay``).

    The insert uses ``ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL alike: of two
    requests presenting one assertion at the same moment exactly one inserts the row, the
    other finds it and is refused, whichever commits first.

    Args:
        uow: the node's unit-of-work factory.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def claim(self, jti: str, *, issuer_state: str, until: datetime, now: datetime) -> None:
        """Record ``jti``; see :meth:`ReplayStore.claim`."""
        with self._uow() as uow:
            session = uow.session
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = (
                insert(UsedAssertion)
                .values(jti=jti, issuer_state=issuer_state, expires_at=until)
                .on_conflict_do_nothing(index_elements=["jti"])
                .returning(UsedAssertion.jti)
            )
            # RETURNING names the row only if this statement inserted it (rowcount is not
            # reliable for INSERT … ON CONFLICT with every driver).
            if session.execute(statement).first() is None:
                raise _replayed()
            # Forget assertions that can no longer be presented: their expiry refuses them.
            session.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < now))
            uow.commit()


class MemoryReplayStore:
    """Used assertions in memory: for one process (tests, tools), thread-safe."""

    def __init__(self) -> None:
        self._used: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def claim(self, jti: str, *, issuer_state: str, until: datetime, now: datetime) -> None:  # noqa: ARG002 - the protocol
        """Record ``jti``; see :meth:`ReplayStore.claim`."""
        with self._lock:
            self._used = {k: v for k, v in self._used.items() if v >= now}
            if jti in self._used:
                raise _replayed()
            self._used[jti] = until


# --- verifying ---------------------------------------------------------------------------


def _malformed(detail: str) -> AssertionRefused:
    return AssertionRefused(
        f"The identity assertion is not valid: {detail}.", reason="identity.assertion_malformed"
    )


def _signer_refused(detail: str) -> AssertionRefused:
    return AssertionRefused(
        f"The identity assertion is not from a member state's node: {detail}.",
        reason="identity.assertion_signer",
    )


@dataclass
class _KeyHolder:
    state: str | None = None


def _verified_payload(token: str, trust: TrustList) -> tuple[str, dict[str, Any]]:
    """Check the signature against the trust list's node keys; return signer state and claims."""
    holder = _KeyHolder()

    def resolve(header: Mapping[str, Any]) -> Verifier:
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidSignature("the signature names no key", reason="signature.kid")
        holder.state, verifier = trust.node_verifier(kid)
        return verifier

    if not isinstance(token, str) or len(token) > MAX_TOKEN_BYTES:
        raise _malformed("it is not a token of at most 16 KiB")
    try:
        verified = verify_compact(token, resolve)
    except InvalidSignature as exc:
        if exc.reason == "signature.kid":
            raise _signer_refused("its key is not a node key in the union trust list") from None
        if exc.reason == "signature.malformed":
            raise _malformed("its header or signature cannot be read") from None
        raise AssertionRefused(
            f"The identity assertion's signature is not valid: {exc.message}.",
            reason="identity.assertion_signature",
        ) from None
    if verified.header.get("typ") != TYP or holder.state is None:
        raise _malformed(f'its header does not say "typ": "{TYP}"')
    try:
        claims = json.loads(verified.payload)
    except (ValueError, RecursionError):
        raise _malformed("its claims are not JSON") from None
    if not isinstance(claims, dict):
        raise _malformed("its claims are not a JSON object")
    return holder.state, claims


def _get(claims: Mapping[str, Any], name: str, kind: type) -> Any:
    value = claims.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _malformed(f"the claim {name!r} is missing or of the wrong type")
    return value


def _node_state(value: str, claim: str) -> str:
    expected = {str(node_id(state)): state for state in MEMBER_STATES}
    if value not in expected:
        raise _malformed(f"the claim {claim!r} is not a member state's node")
    return expected[value]


def _check_times(
    claims: Mapping[str, Any], now: datetime, skew: timedelta
) -> tuple[datetime, datetime, datetime]:
    try:
        issued, not_before, expires = (
            datetime.fromtimestamp(_get(claims, name, int), tz=UTC)
            for name in ("iat", "nbf", "exp")
        )
    except (OverflowError, OSError, ValueError):
        raise _malformed("a time claim is out of range") from None
    if not issued <= not_before < expires or expires - issued > MAX_TTL:
        raise _malformed("its times are inconsistent or it lives longer than 10 minutes")
    if issued > now + skew or not_before > now + skew:
        raise AssertionRefused(
            "The identity assertion is not valid yet. Check the clock of this device "
            "and try again from your home portal.",
            reason="identity.assertion_not_yet_valid",
        )
    if expires <= now - skew:
        raise AssertionRefused(
            "This sign-in from your home country has expired. Start again from your home portal.",
            reason="identity.assertion_expired",
        )
    return issued, not_before, expires


def _claimed_name(
    claims: Mapping[str, Any], claim: str, latin_form: re.Pattern[str] = _LATIN
) -> Name:
    value = _get(claims, claim, dict)
    original, latin = value.get("original"), value.get("latin")
    if (
        not isinstance(original, str)
        or not 0 < len(original) <= _NAME_MAX
        or not isinstance(latin, str)
        or len(latin) > _NAME_MAX
        or not latin_form.fullmatch(latin)
    ):
        raise _malformed(f"the claim {claim!r} is not a name in original and Latin letters")
    return Name(original, latin)


def _person_fields(claims: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    opaque = _get(claims, "sub", str).removeprefix(prefix)
    if not _OPAQUE.fullmatch(opaque):
        raise _malformed("its subject is not a persistent identifier")
    nationality = _get(claims, "nationality", str)
    if not _COUNTRY.fullmatch(nationality):
        raise _malformed("its nationality is not a two-letter country code")
    try:
        birth_date = date.fromisoformat(_get(claims, "birth_date", str))
    except ValueError:
        raise _malformed("its birth date is not an ISO 8601 date") from None
    return {
        "family_name": _claimed_name(claims, "family_name"),
        "given_name": _claimed_name(claims, "given_name"),
        "birth_date": birth_date,
        "nationality": nationality,
    }


def _organisation_fields(claims: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    subject = _get(claims, "sub", str)
    if not _LEGAL_ID.fullmatch(subject.removeprefix(prefix)):
        raise _malformed("its subject is not a legal person identifier")
    if _get(claims, "legal_person_identifier", str) != subject:
        raise _malformed("its legal person identifier is not its subject")
    kinds = _get(claims, "org_kinds", list)
    kind = _get(claims, "legal_id_kind", str)
    if not all(isinstance(k, str) and _KIND.fullmatch(k) for k in [kind, *kinds]):
        raise _malformed("its kinds are not lower-case names")
    return {
        "legal_name": _claimed_name(claims, "legal_name", _LEGAL_LATIN),
        "legal_id_kind": kind,
        "org_kinds": tuple(kinds),
    }


def _nonce(claims: Mapping[str, Any]) -> str | None:
    nonce = claims.get("nonce")
    if nonce is not None and not (isinstance(nonce, str) and NONCE.fullmatch(nonce)):
        raise _malformed("its nonce is not a random token")
    return nonce


def verify_assertion(
    token: str,
    *,
    trust: TrustList,
    audience_state: str,
    now: datetime,
    replay: ReplayStore,
    skew: timedelta = DEFAULT_SKEW,
) -> Assertion:
    """Verify an identity assertion presented to this node, and use it up.

    The ``jti`` is recorded in ``replay`` only once everything else checked out, so a
    forged or misdirected token never spends a genuine one.

    Args:
        token: the compact JWS.
        trust: the union trust list in force at this node.
        audience_state: this node's state.
        now: this node's clock.
        replay: where used assertions are remembered.
        skew: how far the issuer's clock may differ from this node's.

    Returns:
        The verified assertion.

    Raises:
        AssertionRefused: with one of the reasons listed on the class.
    """
    try:
        trust.check_current(now)
    except TrustError:
        raise AssertionRefused(
            "This node's union trust list has expired; it cannot check identities from "
            "other states until a new version is accepted.",
            reason="identity.trust_list_expired",
        ) from None
    signer_state, claims = _verified_payload(token, trust)
    if claims.get("v") != FORMAT_VERSION:
        raise _malformed(f"its format version is not {FORMAT_VERSION}")
    issuer_state = _node_state(_get(claims, "iss", str), "iss")
    if issuer_state != signer_state:
        raise _signer_refused(
            f"it claims to come from {issuer_state} but is signed by the {signer_state} node"
        )
    if _get(claims, "aud", str) != str(node_id(audience_state)):
        raise AssertionRefused(
            f"This identity assertion is meant for another state's service, not for "
            f"{audience_state}. Start again from your home portal.",
            reason="identity.assertion_audience",
        )
    if issuer_state == audience_state:
        raise _signer_refused("a node does not vouch for people to itself")
    issued, not_before, expires = _check_times(claims, now, skew)
    jti = _get(claims, "jti", str)
    if not _UUID.fullmatch(jti):
        raise _malformed("its id is not a UUID")
    loa = _get(claims, "loa", str)
    if loa not in LEVELS:
        raise _malformed("its level of assurance is not an eIDAS level")
    kind = _get(claims, "kind", str)
    prefix = f"{issuer_state}/{audience_state}/"
    if kind == PERSON:
        fields = _person_fields(claims, prefix)
    elif kind == ORGANISATION:
        fields = _organisation_fields(claims, prefix)
    else:
        raise _malformed("it is neither a person's nor an organisation's")
    assertion = Assertion(
        kind=kind,
        issuer_state=issuer_state,
        audience_state=audience_state,
        subject=claims["sub"],
        jti=jti,
        issued_at=issued,
        not_before=not_before,
        expires_at=expires,
        loa=loa,
        nonce=_nonce(claims),
        claims=claims,
        **fields,
    )
    replay.claim(jti, issuer_state=issuer_state, until=expires + skew, now=now)
    log.info("identity.assertion.accepted", jti=jti, kind=kind, issuer=issuer_state)
    return assertion


__all__ = [
    "DEFAULT_SKEW",
    "DEFAULT_TTL",
    "LEVELS",
    "LOA_HIGH",
    "LOA_LOW",
    "LOA_SUBSTANTIAL",
    "MAX_TTL",
    "ORGANISATION",
    "PERSON",
    "TYP",
    "Assertion",
    "AssertionRefused",
    "MemoryReplayStore",
    "Name",
    "ReplayStore",
    "SqlReplayStore",
    "issue_organisation_assertion",
    "issue_person_assertion",
    "persistent_id",
    "pseudonym_key",
]
