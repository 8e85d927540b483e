"""Consent tokens: a consent record's terms as a compact JWS signed by the home node.

The token is what travels: the requesting node receives it with ``consent.granted`` and
presents it with every request for the data; every personal-data envelope under the consent
names it. It is signed by the home node's exchange key (``kid`` in the union trust list),
typed ``eaeu-consent+jws``, and carries no names or identifiers: the person is a random
subject reference that only the home node can resolve.

Claims (version 1)::

    ver   1                         jti   consent id (UUIDv7)
    iss   home state (signer)       aud   requester state
    sub   subject reference         org   requester organisation (optional)
    svc   requester service         purpose, basis ("consent")
    cat   categories (sorted)       fields  the fields they release
    mode  one-time | periodic       nbf, exp, iat  Unix seconds
    life  data life in days         xreq  explicit request given
    ph    hash of the notice the person saw (preview)
    orgn  the requester organisation's name as the person saw it (optional; ``org``, its
          legal identifier such as ``RU-OGRN-1157746013237``, is what binds)
"""

# Russian sentences for people are this module's data; Cyrillic letters are meant.
# ruff: noqa: RUF001

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from eaeu.consent.errors import ConsentRefused
from eaeu.consent.policy import Text
from eaeu.trust import jws
from eaeu.trust.encoding import b64url_decode, canonical_json
from eaeu.trust.errors import InvalidSignature
from eaeu.trust.keys import Signer, Verifier
from eaeu.trust.trustlist import TrustList

TYP: Final = "eaeu-consent+jws"
VERSION: Final = 1
_PARTS: Final = 3

MALFORMED = Text(
    "The consent reference is damaged and cannot be read.",
    "Ссылка на согласие повреждена и не может быть прочитана.",
)
BAD_SIGNATURE = Text(
    "The consent's signature cannot be verified against the union trust list.",
    "Подпись согласия не удаётся проверить по доверенному списку Союза.",
)


@dataclass(frozen=True, slots=True)
class ConsentClaims:
    """What a consent token says (never a name or an identifier of the person)."""

    consent_id: str
    issuer_state: str
    subject_ref: str
    requester_state: str
    requester_organisation: str | None
    requester_service: str | None
    purpose: str
    basis: str
    categories: tuple[str, ...]
    fields: tuple[str, ...]
    mode: str
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    data_life_days: int
    explicit_request: bool
    preview_hash: str | None
    requester_organisation_name: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The claims as signed."""
        return {
            "ver": VERSION,
            "jti": self.consent_id,
            "iss": self.issuer_state,
            "sub": self.subject_ref,
            "aud": self.requester_state,
            "org": self.requester_organisation,
            "svc": self.requester_service,
            "purpose": self.purpose,
            "basis": self.basis,
            "cat": list(self.categories),
            "fields": list(self.fields),
            "mode": self.mode,
            "nbf": int(self.valid_from.timestamp()),
            "exp": int(self.valid_until.timestamp()),
            "iat": int(self.issued_at.timestamp()),
            "life": self.data_life_days,
            "xreq": self.explicit_request,
            "ph": self.preview_hash,
            "orgn": self.requester_organisation_name,
        }

    @classmethod
    def from_json(cls, data: Any) -> ConsentClaims:
        """Parse signed claims.

        Raises:
            ConsentRefused: the claims are not a version-1 consent (``consent.malformed``).
        """
        if not isinstance(data, dict) or data.get("ver") != VERSION:
            raise ConsentRefused(MALFORMED, reason="consent.malformed")
        try:
            return cls(
                consent_id=_str(data["jti"]),
                issuer_state=_str(data["iss"]),
                subject_ref=_str(data["sub"]),
                requester_state=_str(data["aud"]),
                requester_organisation=_optional(data.get("org")),
                requester_service=_optional(data.get("svc")),
                purpose=_str(data["purpose"]),
                basis=_str(data["basis"]),
                categories=tuple(_str(c) for c in _list(data["cat"])),
                fields=tuple(_str(f) for f in _list(data["fields"])),
                mode=_str(data["mode"]),
                valid_from=_time(data["nbf"]),
                valid_until=_time(data["exp"]),
                issued_at=_time(data["iat"]),
                data_life_days=_int(data["life"]),
                explicit_request=data["xreq"] is True,
                preview_hash=_optional(data.get("ph")),
                requester_organisation_name=_optional(data.get("orgn")),
            )
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            raise ConsentRefused(MALFORMED, reason="consent.malformed") from None


def sign(claims: ConsentClaims, signer: Signer) -> str:
    """Sign ``claims`` with the home node's exchange key; return the compact JWS."""
    return jws.sign_compact(canonical_json(claims.to_json()), signer, header={"typ": TYP})


def peek(token: str) -> ConsentClaims:
    """Read a token's claims without verifying it (to find the record it names).

    Raises:
        ConsentRefused: the token cannot be read (``consent.malformed``).
    """
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != _PARTS:
        raise ConsentRefused(MALFORMED, reason="consent.malformed")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
    except (ValueError, RecursionError):
        raise ConsentRefused(MALFORMED, reason="consent.malformed") from None
    if not isinstance(header, dict) or header.get("typ") != TYP:
        raise ConsentRefused(MALFORMED, reason="consent.malformed")
    return ConsentClaims.from_json(claims)


def verify(token: str, trust: TrustList) -> ConsentClaims:
    """Verify a token's signature through the trust list; return its claims.

    The key must be a member node's signing key, and the token's issuer must be the state
    whose node holds it.

    Raises:
        ConsentRefused: ``consent.malformed`` (not a consent token), ``consent.signature``
            (unknown key or bad signature) or ``consent.issuer`` (signed by another state's
            node than the one it names).
    """
    claims = peek(token)
    found: dict[str, str] = {}

    def resolve(header: Mapping[str, Any]) -> Verifier:
        state, verifier = trust.node_verifier(str(header.get("kid")))
        found["state"] = state
        return verifier

    try:
        verified = jws.verify_compact(token, resolve)
    except InvalidSignature:
        raise ConsentRefused(BAD_SIGNATURE, reason="consent.signature") from None
    if verified.header.get("typ") != TYP:  # pragma: no cover - peek() checked the same bytes
        raise ConsentRefused(MALFORMED, reason="consent.malformed")
    if found.get("state") != claims.issuer_state:
        raise ConsentRefused(
            Text(
                "The consent was not signed by the node of the state that issued it.",
                "Согласие подписано не узлом государства, которое его выдало.",
            ),
            reason="consent.issuer",
        )
    return claims


def _str(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError
    return value


def _optional(value: Any) -> str | None:
    return None if value is None else _str(value)


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError
    return value


def _time(value: Any) -> datetime:
    return datetime.fromtimestamp(_int(value), tz=UTC)
