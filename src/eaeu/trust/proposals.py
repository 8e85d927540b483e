"""Proposing the next version of the union trust list: changes, and what they change.

An operator proposes a new version as a list of :class:`Change` objects applied to a copy of
the version in force (:func:`propose`); the current members then sign it one by one
(:func:`~eaeu.trust.trustlist.add_state_signature`) until their threshold is reached, and
:func:`~eaeu.trust.trustlist.accept_successor` decides. :func:`describe_changes` says in
one line each what a candidate changes, for people who are asked to sign it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from eaeu.trust.encoding import canonical_json
from eaeu.trust.errors import TrustError
from eaeu.trust.pki import cert_to_b64der
from eaeu.trust.trustlist import (
    DEFAULT_VALIDITY,
    DocumentSigner,
    MemberEntry,
    TrustList,
    format_time,
    key_jwk,
    member_json,
    parse_document,
    public_key_of,
)


class Change(Protocol):
    """One change to the trust list, applied to a copy of its payload by :func:`propose`."""

    def apply(self, document: dict[str, Any]) -> None:
        """Change ``document`` in place; raise ``TrustError`` if the change cannot apply."""
        ...


def _member_doc(document: Mapping[str, Any], state: str) -> dict[str, Any]:
    member: dict[str, Any] | None = document["members"].get(state)
    if member is None:
        raise TrustError(
            f"{state!r} is not a member of the trust list", reason="trust.unknown_member"
        )
    return member


@dataclass(frozen=True, slots=True)
class Join:
    """``state`` takes part in ``service`` in ``roles`` (in addition to any roles it has)."""

    state: str
    service: str
    roles: tuple[str, ...]

    def apply(self, document: dict[str, Any]) -> None:  # noqa: D102 - as Change.apply
        services = _member_doc(document, self.state)["services"]
        services[self.service] = sorted({*services.get(self.service, ()), *self.roles})


@dataclass(frozen=True, slots=True)
class Leave:
    """``state`` stops taking part in ``service`` in every role."""

    state: str
    service: str

    def apply(self, document: dict[str, Any]) -> None:  # noqa: D102 - as Change.apply
        if _member_doc(document, self.state)["services"].pop(self.service, None) is None:
            raise TrustError(
                f"{self.state} does not take part in {self.service}",
                reason="trust.not_participating",
            )


@dataclass(frozen=True, slots=True)
class SetEndpoint:
    """``state``'s node moves to ``url``."""

    state: str
    url: str

    def apply(self, document: dict[str, Any]) -> None:  # noqa: D102 - as Change.apply
        _member_doc(document, self.state)["node"]["endpoint"] = self.url


@dataclass(frozen=True, slots=True)
class SetThreshold:
    """The next version after this one needs ``threshold`` signatures."""

    threshold: int

    def apply(self, document: dict[str, Any]) -> None:  # noqa: D102 - as Change.apply
        document["threshold"] = self.threshold


@dataclass(frozen=True, slots=True)
class ReplaceNodeKeys:
    """``state``'s node signs and decrypts with new keys."""

    state: str
    signing_certificate: x509.Certificate
    encryption_key: ec.EllipticCurvePublicKey

    def apply(self, document: dict[str, Any]) -> None:  # noqa: D102 - as Change.apply
        node = _member_doc(document, self.state)["node"]
        node["signing_key"] = key_jwk(public_key_of(self.signing_certificate))
        node["signing_certificate"] = cert_to_b64der(self.signing_certificate)
        node["encryption_key"] = key_jwk(self.encryption_key, use="enc")


@dataclass(frozen=True, slots=True)
class ReplaceDocumentSigners:
    """``state``'s document signer certificates become ``signers``."""

    state: str
    signers: tuple[DocumentSigner, ...]

    def apply(self, document: dict[str, Any]) -> None:  # noqa: D102 - as Change.apply
        _member_doc(document, self.state)["document_signers"] = [
            {"role": s.role, "certificate": cert_to_b64der(s.certificate)} for s in self.signers
        ]


@dataclass(frozen=True, slots=True)
class AddMember:
    """A state joins the union with its entry (it signs from the version after this one)."""

    member: MemberEntry

    def apply(self, document: dict[str, Any]) -> None:  # noqa: D102 - as Change.apply
        if self.member.state in document["members"]:
            raise TrustError(
                f"{self.member.state} is already a member", reason="trust.member_exists"
            )
        document["members"][self.member.state] = member_json(self.member)


@dataclass(frozen=True, slots=True)
class RemoveMember:
    """A state leaves the union."""

    state: str

    def apply(self, document: dict[str, Any]) -> None:  # noqa: D102 - as Change.apply
        _member_doc(document, self.state)
        del document["members"][self.state]


def propose(
    current: TrustList,
    *,
    now: datetime,
    changes: Iterable[Change],
    validity: timedelta = DEFAULT_VALIDITY,
) -> dict[str, Any]:
    """Return the payload of the version after ``current``, with ``changes`` applied.

    Args:
        current: the list in force.
        now: the new version's ``issued_at``.
        changes: what changes (:class:`Join`, :class:`Leave`, :class:`SetEndpoint`,
            :class:`SetThreshold`, :class:`ReplaceNodeKeys`, :class:`ReplaceDocumentSigners`,
            :class:`AddMember`, :class:`RemoveMember`), applied in order; none just renews.
        validity: how long the new version is valid from ``now``.

    Returns:
        The next payload (``version`` + 1), for :func:`sign` by the current members.

    Raises:
        TrustError: a change names an unknown member (``trust.unknown_member``), a service
            the state does not take part in (``trust.not_participating``) or adds an
            existing member (``trust.member_exists``).
        TrustListRejected: the result is not a valid trust list (``trustlist.malformed``),
            such as a threshold above the number of members.
    """
    document = json.loads(canonical_json(current.document))
    for change in changes:
        change.apply(document)
    document["version"] = current.version + 1
    document["issued_at"] = format_time(now)
    document["expires_at"] = format_time(now + validity)
    parse_document(document)
    return dict(document)


def _member_changes(old: MemberEntry, new: MemberEntry) -> list[str]:
    lines = []
    if old.node.endpoint != new.node.endpoint:
        lines.append(f"endpoint {old.node.endpoint} -> {new.node.endpoint}")
    if (old.governance_kid, old.roots) != (new.governance_kid, new.roots):
        lines.append(f"root CA and governance key now {new.governance_kid}")
    if old.node.signing_kid != new.node.signing_kid:
        lines.append(f"node signing key now {new.node.signing_kid}")
    if old.node.encryption_kid != new.node.encryption_kid:
        lines.append(f"node encryption key now {new.node.encryption_kid}")
    if old.document_signers != new.document_signers:
        roles = ", ".join(sorted({s.role for s in new.document_signers})) or "none"
        lines.append(f"document signers replaced ({roles})")
    for service in sorted(old.services.keys() | new.services.keys()):
        before = sorted(old.services.get(service, ()))
        after = sorted(new.services.get(service, ()))
        if not after:
            lines.append(f"leaves {service}")
        elif not before:
            lines.append(f"joins {service} as {', '.join(after)}")
        elif before != after:
            lines.append(f"{service} roles {', '.join(before)} -> {', '.join(after)}")
    return lines


def describe_changes(current: TrustList, candidate: TrustList) -> list[str]:
    """Describe, one line each, how ``candidate`` differs from ``current``."""
    lines = [f"version {current.version} -> {candidate.version}"]
    if candidate.threshold != current.threshold:
        lines.append(f"threshold {current.threshold} -> {candidate.threshold}")
    lines.append(f"valid until {format_time(candidate.expires_at)}")
    for state in sorted(current.members.keys() | candidate.members.keys()):
        old, new = current.members.get(state), candidate.members.get(state)
        if old is None:
            lines.append(f"{state} joins the union")
        elif new is None:
            lines.append(f"{state} leaves the union")
        else:
            lines.extend(f"{state} {line}" for line in _member_changes(old, new))
    return lines
