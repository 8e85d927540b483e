"""The offline verification bundle: what a verifier needs, signed by a node, with a maximum age.

A border post or an airline counter without a network verifies against a bundle it fetched
earlier (``GET /api/v1/travel/bundle``, ``eaeu travel bundle``). The bundle is a JWS in the
flattened JSON serialization (RFC 7515 §7.2.2), signed with the node's exchange key — whose
key id is in the union trust list — over this payload::

    {"format": "eaeu.travel.bundle", "format_version": 1,
     "issuer": "RU", "issued_at": "2026-03-01T12:00:00Z",
     "max_age_s": 86400, "valid_until": "2026-03-02T12:00:00Z",
     "trust_list": {"version": 2, "digest": "<hex>"},
     "dscs": [{"kid": "<b64>", "country": "BY", "source": "union", "types": ["t", "v", "r"],
               "certificate": "<b64 DER>"}, …],
     "refused_kids": ["<b64>", …],
     "rules": [<EU validation rule>, …],
     "value_sets": {"covid-19-lab-test-type": ["LP6464-4", "LP217198-3"], …},
     "revocations": {"hash_type": "UCI", "hash_bytes": 16, "hashes": ["<b64>", …]}}

``dscs`` are the health signers of the states that issue travel certificates and the
imported external signers; ``refused_kids`` the signers of member states that do not (so a
verifier can say *why* it refuses); ``revocations`` the 128-bit UVCI hash prefixes of every
revoked certificate. Past ``valid_until`` a verifier reports ``bundle_stale`` instead of a
verdict: the maximum offline window is explicit, not a guess.

:func:`read_bundle` checks the signature against the trust list (the signing node must be a
member that takes part in travel and the ``issuer`` it claims) or, fully offline, against
a pinned copy of the node's signing certificate.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from eaeu.kernel.clock import utc
from eaeu.services.travel.errors import BundleRejected, TravelError
from eaeu.services.travel.hcert import kid_of
from eaeu.services.travel.revocation import HASH_TYPE, PREFIX_BYTES
from eaeu.services.travel.rules import RuleBook, format_instant, parse_rule
from eaeu.services.travel.service import Freshness, Sources
from eaeu.services.travel.trust import SERVICE, Signer, TrustMaterial
from eaeu.services.travel.verifier import RevocationKeys
from eaeu.trust import jws
from eaeu.trust.encoding import b64url, canonical_json
from eaeu.trust.errors import TrustError
from eaeu.trust.keys import ES256, PS256, PublicKeyVerifier, Verifier, thumbprint
from eaeu.trust.keys import Signer as JwsSigner
from eaeu.trust.trustlist import TrustList

FORMAT: Final = "eaeu.travel.bundle"
FORMAT_VERSION: Final = 1
TYP: Final = "eaeu-travel-bundle+jws"
#: How long a bundle may be relied on by default: DSC lists "should be updated within 24
#: hours of any change" (HCERT specification §5.1).
DEFAULT_MAX_AGE: Final = timedelta(hours=24)
MAX_BUNDLE_BYTES: Final = 16 * 1024 * 1024


@dataclass(frozen=True)
class Bundle:
    """A bundle whose signature verified.

    Attributes:
        issuer: the state of the node that signed it.
        issued_at: when it was made.
        valid_until: when it becomes stale.
        trust_list_version: the trust list version it was made from.
        material: its signers.
        rules: its business rules.
        value_sets: its value sets.
        revoked: the 128-bit UVCI hash prefixes of revoked certificates.
        payload: the signed payload.
    """

    issuer: str
    issued_at: datetime
    valid_until: datetime
    trust_list_version: int | None
    material: TrustMaterial
    rules: RuleBook
    value_sets: Mapping[str, Sequence[str]]
    revoked: frozenset[bytes]
    payload: Mapping[str, Any]

    def is_revoked(self, keys: RevocationKeys) -> bool:
        """The verifier's revocation hook, answered from the bundle."""
        return keys.uci[:PREFIX_BYTES] in self.revoked

    def is_stale(self, at: datetime) -> bool:
        """Whether the bundle may no longer be relied on at ``at``."""
        return utc(at) >= self.valid_until

    def sources(self) -> Sources:
        """Return the bundle as what verifications are checked against."""
        return Sources(
            material=self.material,
            revocation=self.is_revoked,
            rules=self.rules,
            value_sets=self.value_sets,
            freshness=Freshness(self.issuer, self.issued_at, self.valid_until),
        )


def build_bundle(
    *,
    state: str,
    signer: JwsSigner,
    trust: TrustList | None,
    material: TrustMaterial,
    revoked: Sequence[bytes],
    rules: RuleBook,
    value_sets: Mapping[str, Sequence[str]],
    now: datetime,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> dict[str, Any]:
    """Make and sign a bundle.

    Args:
        state: the signing node's state.
        signer: the node's exchange signing key (its kid is in the trust list).
        trust: the trust list the material comes from (named in the bundle).
        material: the signers to include.
        revoked: revoked UVCI hash prefixes (16 bytes each; longer hashes are cut).
        rules: the business rules.
        value_sets: the compressed value sets.
        now: the issuing time.
        max_age: how long the bundle may be relied on.

    Returns:
        The signed bundle: a flattened JWS JSON object.
    """
    issued = utc(now).replace(microsecond=0)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "issuer": state,
        "issued_at": format_instant(issued),
        "max_age_s": int(max_age.total_seconds()),
        "valid_until": format_instant(issued + max_age),
        "trust_list": (
            {"version": trust.version, "digest": trust.digest} if trust is not None else None
        ),
        "dscs": [signer_.to_json() for signer_ in material.signers],
        "refused_kids": sorted(base64.b64encode(k).decode("ascii") for k in material.refused_kids),
        "rules": [rule.to_json() for rule in rules.rules],
        "value_sets": {key: list(codes) for key, codes in sorted(value_sets.items())},
        "revocations": {
            "hash_type": HASH_TYPE,
            "hash_bytes": PREFIX_BYTES,
            "hashes": sorted(
                base64.b64encode(prefix[:PREFIX_BYTES]).decode("ascii") for prefix in revoked
            ),
        },
    }
    encoded = b64url(canonical_json(payload))
    entry = jws.add_signature(encoded, signer, {"typ": TYP, "cty": "json"})
    return {"payload": encoded, **entry}


def _certificate_verifier(certificate: x509.Certificate) -> Verifier:
    key = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return PublicKeyVerifier(key, ES256, thumbprint(key))
    if isinstance(key, rsa.RSAPublicKey):
        return PublicKeyVerifier(key, PS256, thumbprint(key))
    raise BundleRejected(
        "the pinned signer certificate has no usable key", reason="travel.bundle.signer"
    )


def _resolver(
    trust: TrustList | None, pinned: x509.Certificate | None, found: list[str]
) -> jws.Resolver:
    def resolve(header: Mapping[str, Any]) -> Verifier:
        if header.get("typ") != TYP:
            raise BundleRejected("not a travel bundle", reason="travel.bundle.invalid")
        if pinned is not None:
            return _certificate_verifier(pinned)
        assert trust is not None  # noqa: S101 - read_bundle requires one of the two
        kid = header.get("kid")
        try:
            state, verifier = trust.node_verifier(kid if isinstance(kid, str) else "")
        except TrustError:
            raise BundleRejected(
                "the bundle is not signed by a node of the union", reason="travel.bundle.signer"
            ) from None
        found.append(state)
        return verifier

    return resolve


def _time(payload: Mapping[str, Any], key: str) -> datetime:
    value = payload.get(key)
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BundleRejected(f"the bundle's {key} is not a time", reason="travel.bundle.invalid")
    return utc(moment)


def _signer(entry: Any) -> Signer:
    certificate = x509.load_der_x509_certificate(
        base64.b64decode(entry["certificate"], validate=True)
    )
    source, country = entry.get("source"), entry["country"]
    if source not in ("union", "external") or not isinstance(country, str):
        msg = "unknown source or country"
        raise ValueError(msg)
    return Signer(kid_of(certificate), country, source, certificate)


def _signers(payload: Mapping[str, Any]) -> TrustMaterial:
    entries = payload.get("dscs")
    refused = payload.get("refused_kids", [])
    if not isinstance(entries, list) or not isinstance(refused, list):
        raise BundleRejected("the bundle lists no signers", reason="travel.bundle.invalid")
    try:
        signers = [_signer(entry) for entry in entries]
        refused_kids = frozenset(base64.b64decode(kid, validate=True) for kid in refused)
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise BundleRejected(
            "a signer in the bundle cannot be read", reason="travel.bundle.invalid"
        ) from None
    return TrustMaterial(tuple(signers), refused_kids)


def _revoked(payload: Mapping[str, Any]) -> frozenset[bytes]:
    section = payload.get("revocations")
    if not isinstance(section, dict) or section.get("hash_type") != HASH_TYPE:
        raise BundleRejected("the bundle has no revocation list", reason="travel.bundle.invalid")
    hashes = section.get("hashes")
    if not isinstance(hashes, list):
        raise BundleRejected("the revocation list cannot be read", reason="travel.bundle.invalid")
    try:
        return frozenset(base64.b64decode(h, validate=True)[:PREFIX_BYTES] for h in hashes)
    except (TypeError, ValueError, binascii.Error):
        raise BundleRejected(
            "the revocation list cannot be read", reason="travel.bundle.invalid"
        ) from None


def _rules(payload: Mapping[str, Any]) -> tuple[RuleBook, dict[str, list[str]]]:
    rules, value_sets = payload.get("rules"), payload.get("value_sets")
    if not isinstance(rules, list) or not isinstance(value_sets, dict):
        raise BundleRejected(
            "the bundle has no rules or value sets", reason="travel.bundle.invalid"
        )
    try:
        book = RuleBook(parse_rule(rule) for rule in rules)
    except (TravelError, TypeError, AttributeError):
        raise BundleRejected(
            "a rule in the bundle is not valid", reason="travel.bundle.invalid"
        ) from None
    sets: dict[str, list[str]] = {}
    for key, codes in value_sets.items():
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            raise BundleRejected(
                "a value set in the bundle is not valid", reason="travel.bundle.invalid"
            )
        sets[key] = codes
    return book, sets


def parse_json(data: bytes | str) -> Any:
    """Parse a bundle file's JSON.

    Raises:
        BundleRejected: too large or not JSON (``travel.bundle.invalid``).
    """
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleRejected("the bundle is too large", reason="travel.bundle.invalid")
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        raise BundleRejected("the bundle is not JSON", reason="travel.bundle.invalid") from None


def read_bundle(
    document: Any,
    *,
    trust: TrustList | None = None,
    signer_certificate: x509.Certificate | None = None,
) -> Bundle:
    """Verify a bundle's signature and read it.

    Args:
        document: the bundle (flattened JWS JSON, parsed).
        trust: the union trust list: the signing node must be in it, take part in travel
            and be the bundle's ``issuer``.
        signer_certificate: instead, a pinned copy of the signing node's certificate (for a
            verifier that holds no trust list).

    Returns:
        The bundle. Whether it is stale is for the caller to ask, at its own clock.

    Raises:
        BundleRejected: not a bundle, a bad signature (``travel.bundle.signature``), a
            signer that is not a travel node (``travel.bundle.signer``), or content that
            cannot be read (``travel.bundle.invalid``).
        ValueError: neither ``trust`` nor ``signer_certificate`` is given.
    """
    if trust is None and signer_certificate is None:
        msg = "read_bundle needs a trust list or a pinned signer certificate"
        raise ValueError(msg)
    if not isinstance(document, dict) or not isinstance(document.get("payload"), str):
        raise BundleRejected("not a signed travel bundle", reason="travel.bundle.invalid")
    states: list[str] = []
    try:
        verified = jws.verify_general_signature(
            document["payload"], document, _resolver(trust, signer_certificate, states)
        )
    except TrustError as exc:
        raise BundleRejected(
            f"the bundle's signature does not verify ({exc.reason})",
            reason="travel.bundle.signature",
        ) from None
    payload = parse_json(verified.payload)
    if (
        not isinstance(payload, dict)
        or payload.get("format") != FORMAT
        or payload.get("format_version") != FORMAT_VERSION
    ):
        raise BundleRejected(
            "not a travel bundle of a known version", reason="travel.bundle.invalid"
        )
    issuer = payload.get("issuer")
    if not isinstance(issuer, str):
        raise BundleRejected("the bundle names no issuer", reason="travel.bundle.invalid")
    if trust is not None and (states != [issuer] or not trust.participates(issuer, SERVICE)):
        raise BundleRejected(
            "the bundle is not signed by a node of the travel service it names",
            reason="travel.bundle.signer",
        )
    rules, value_sets = _rules(payload)
    trust_list = payload.get("trust_list")
    version = trust_list.get("version") if isinstance(trust_list, dict) else None
    return Bundle(
        issuer=issuer,
        issued_at=_time(payload, "issued_at"),
        valid_until=_time(payload, "valid_until"),
        trust_list_version=version if isinstance(version, int) else None,
        material=_signers(payload),
        rules=rules,
        value_sets=value_sets,
        revoked=_revoked(payload),
        payload=payload,
    )


__all__ = [
    "DEFAULT_MAX_AGE",
    "FORMAT",
    "FORMAT_VERSION",
    "TYP",
    "Bundle",
    "build_bundle",
    "parse_json",
    "read_bundle",
]
