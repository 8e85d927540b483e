"""A local union on disk: five national PKIs and the trust list chain, for development.

``init_union`` creates, under a data directory::

    keys/<STATE>/root.key.pem, root.crt.pem                 root CA = governance key
    keys/<STATE>/node-signing.key.pem, node-signing.crt.pem  exchange signing
    keys/<STATE>/node-encryption.key.pem                     exchange encryption (ECDH)
    keys/<STATE>/ds-<role>.key.pem, ds-<role>.crt.pem        document signers
    trust/v1.json                                            version 1, signed by all five

Private keys are PKCS#8 PEM encrypted with the passphrase from settings. Later versions
are proposed into ``trust/proposed.json``, signed there by the states one by one, and
published as ``trust/v<N>.json`` once :func:`~eaeu.trust.trustlist.accept_successor`
accepts them. A national deployment keeps each state's keys on its own premises; this
layout puts them side by side only so that one machine can play all five states.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from eaeu.kernel.states import MEMBER_STATES, STATE_CODES
from eaeu.trust import pki
from eaeu.trust.errors import KeyStoreError, TrustError, TrustListRejected
from eaeu.trust.keys import EcSigner, generate_ec_key, load_private_key, save_private_key
from eaeu.trust.proposals import Change, propose
from eaeu.trust.trustlist import (
    DEFAULT_VALIDITY,
    DocumentSigner,
    TrustList,
    accept_first,
    accept_successor,
    add_state_signature,
    build_document,
    follow_chain,
    member_entry,
    parse,
    sign,
    signing_states,
)

#: Document signer roles every state gets in a local union.
ROLES: tuple[str, ...] = ("health", "migration", "labelling")
ROOT_DAYS = 3650
LEAF_DAYS = 730

_NODE_KEY_FILES = ("node-signing.key.pem", "node-encryption.key.pem")
_VERSION_FILE = re.compile(r"v([1-9][0-9]*)\.json")


def default_services() -> dict[str, dict[str, list[str]]]:
    """Return who takes part in what in a new local union (service → state → roles).

    Travel starts with Armenia, Belarus and Russia (Kazakhstan and Kyrgyzstan join later,
    by a signed change); every state publishes and consumes jobs and is an exchange member.
    """
    return {
        "travel": {state: ["issuer", "verifier"] for state in ("AM", "BY", "RU")},
        "jobs": {state: ["publisher", "consumer"] for state in STATE_CODES},
        "exchange": {state: ["member"] for state in STATE_CODES},
    }


def _services_of(
    state: str, services: Mapping[str, Mapping[str, Sequence[str]]]
) -> dict[str, list[str]]:
    return {
        service: list(by_state[state])
        for service, by_state in services.items()
        if state in by_state
    }


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_json(path: Path) -> Any:
    """Read a JSON file.

    Raises:
        TrustError: no such file (``trust.missing``).
        TrustListRejected: the file is not JSON (``trustlist.malformed``).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TrustError(f"no file at {path}", reason="trust.missing") from None
    try:
        return json.loads(text)
    except ValueError:
        raise TrustListRejected(f"{path} is not JSON", reason="trustlist.malformed") from None


def init_union(
    data_dir: Path,
    *,
    passphrase: bytes,
    now: datetime,
    endpoints: Mapping[str, str],
    services: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    validity_days: int = 365,
    threshold: int = 3,
) -> TrustList:
    """Create the five national PKIs and the signed version 1 of the trust list.

    Args:
        data_dir: where to create ``keys/`` and ``trust/``.
        passphrase: encrypts every private key at rest.
        now: the start of every validity.
        endpoints: each member state's node base URL, by state code.
        services: service → state → roles; :func:`default_services` by default.
        validity_days: how long version 1 is valid.
        threshold: how many states must sign version 2.

    Returns:
        Version 1, accepted.

    Raises:
        TrustError: a union exists already in ``data_dir`` (``trust.exists``), or an
            endpoint is missing for a state (``trust.unknown_member``).
        TrustListRejected: the resulting list is invalid, such as a threshold above five
            (``trustlist.malformed``).
    """
    union = LocalUnion(data_dir, passphrase)
    if (data_dir / "keys").exists() or union.trust_dir.exists():
        raise TrustError(f"a union exists already in {data_dir}", reason="trust.exists")
    missing = sorted(set(STATE_CODES) - endpoints.keys())
    if missing:
        raise TrustError(f"no endpoint for {', '.join(missing)}", reason="trust.unknown_member")
    participation = default_services() if services is None else services
    members = []
    for state in STATE_CODES:
        root, node_cert, encryption, signers = union.create_state(state, now=now)
        members.append(
            member_entry(
                state=state,
                name=MEMBER_STATES[state].name(),
                roots=[root],
                endpoint=endpoints[state],
                node_certificate=node_cert,
                encryption_key=encryption,
                document_signers=signers,
                services=_services_of(state, participation),
            )
        )
    document = build_document(
        version=1,
        issued_at=now,
        expires_at=now + timedelta(days=validity_days),
        threshold=threshold,
        members=members,
    )
    signed = sign(document, {state: union.governance_signer(state) for state in STATE_CODES})
    accepted = accept_first(signed, at=now)
    union.write_version(signed)
    return accepted


class LocalUnion:
    """The keys and trust list chain of a local union under ``data_dir``.

    Args:
        data_dir: the folder holding ``keys/`` and ``trust/``.
        passphrase: the passphrase the private keys are encrypted with.
    """

    def __init__(self, data_dir: Path, passphrase: bytes) -> None:
        self.data_dir = data_dir
        self._passphrase = passphrase

    def __repr__(self) -> str:
        return f"LocalUnion({str(self.data_dir)!r})"

    @property
    def trust_dir(self) -> Path:
        """The folder of the trust list versions and the proposal."""
        return self.data_dir / "trust"

    @property
    def proposal_path(self) -> Path:
        """Where the proposed next version is kept while states sign it."""
        return self.trust_dir / "proposed.json"

    def key_dir(self, state: str) -> Path:
        """The folder of ``state``'s keys and certificates."""
        return self.data_dir / "keys" / state

    # --- keys ---------------------------------------------------------------------------

    def _ec_key(self, path: Path) -> ec.EllipticCurvePrivateKey:
        key = load_private_key(path, self._passphrase)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise KeyStoreError(f"the key at {path} is not an EC key", reason="keys.type")
        return key

    def _issue(
        self,
        state: str,
        name: str,
        *,
        root: x509.Certificate,
        root_key: ec.EllipticCurvePrivateKey,
        profile: pki.Profile,
        common_name: str,
        now: datetime,
    ) -> x509.Certificate:
        key = generate_ec_key()
        cert = pki.issue_certificate(
            issuer_cert=root,
            issuer_key=root_key,
            public_key=key.public_key(),
            common_name=common_name,
            profile=profile,
            now=now,
            days=LEAF_DAYS,
        )
        save_private_key(key, self.key_dir(state) / f"{name}.key.pem", self._passphrase)
        pki.save_certificate_pem(cert, self.key_dir(state) / f"{name}.crt.pem")
        return cert

    def create_state(
        self, state: str, *, now: datetime
    ) -> tuple[x509.Certificate, x509.Certificate, ec.EllipticCurvePublicKey, list[DocumentSigner]]:
        """Create ``state``'s root CA, node keys and document signers on disk.

        Returns:
            The root certificate, the node signing certificate, the node encryption public
            key and the document signers.
        """
        folder = self.key_dir(state)
        root_key = generate_ec_key()
        root = pki.issue_root(state, root_key, now=now, days=ROOT_DAYS)
        save_private_key(root_key, folder / "root.key.pem", self._passphrase)
        pki.save_certificate_pem(root, folder / "root.crt.pem")
        node_cert = self._issue(
            state,
            "node-signing",
            root=root,
            root_key=root_key,
            profile=pki.NODE_SIGNING,
            common_name=f"EAEU {state} node",
            now=now,
        )
        encryption = generate_ec_key()
        save_private_key(encryption, folder / "node-encryption.key.pem", self._passphrase)
        signers = [
            DocumentSigner(
                role,
                self._issue(
                    state,
                    f"ds-{role}",
                    root=root,
                    root_key=root_key,
                    profile=pki.document_signer_profile(role),
                    common_name=f"EAEU {state} {role} document signer",
                    now=now,
                ),
            )
            for role in ROLES
        ]
        return root, node_cert, encryption.public_key(), signers

    def has_keys(self, state: str) -> bool:
        """Return whether ``state``'s node keys (signing and encryption) are on disk here."""
        folder = self.key_dir(state)
        return all((folder / name).is_file() for name in _NODE_KEY_FILES)

    def root_certificate(self, state: str) -> x509.Certificate:
        """Return ``state``'s root CA certificate.

        Raises:
            KeyStoreError: not on disk (``keys.missing``).
        """
        return pki.load_certificate_pem(self.key_dir(state) / "root.crt.pem")

    def governance_signer(self, state: str) -> EcSigner:
        """Return ``state``'s governance signer: its root CA key.

        Raises:
            KeyStoreError: missing (``keys.missing``), wrong passphrase (``keys.passphrase``)
                or not an EC key (``keys.type``).
        """
        return EcSigner(self._ec_key(self.key_dir(state) / "root.key.pem"))

    def node_signer(self, state: str) -> EcSigner:
        """Return the signer of ``state``'s node (kid: its key's thumbprint).

        Raises:
            KeyStoreError: as :meth:`governance_signer`.
        """
        return EcSigner(self._ec_key(self.key_dir(state) / "node-signing.key.pem"))

    def node_encryption_key(self, state: str) -> ec.EllipticCurvePrivateKey:
        """Return the private key ``state``'s node decrypts with.

        Raises:
            KeyStoreError: as :meth:`governance_signer`.
        """
        return self._ec_key(self.key_dir(state) / "node-encryption.key.pem")

    def document_signer(self, state: str, role: str) -> tuple[EcSigner, x509.Certificate]:
        """Return ``state``'s document signer for ``role`` and its certificate.

        Raises:
            KeyStoreError: as :meth:`governance_signer`.
        """
        signer = EcSigner(self._ec_key(self.key_dir(state) / f"ds-{role}.key.pem"))
        return signer, pki.load_certificate_pem(self.key_dir(state) / f"ds-{role}.crt.pem")

    # --- the trust list chain -----------------------------------------------------------

    def versions(self) -> list[Path]:
        """Return the files of the published versions, version 1 first."""
        found = []
        if self.trust_dir.is_dir():
            for path in self.trust_dir.iterdir():
                match = _VERSION_FILE.fullmatch(path.name)
                if match:
                    found.append((int(match.group(1)), path))
        return [path for _, path in sorted(found)]

    def latest(self, *, at: datetime | None = None) -> TrustList:
        """Return the latest version, verifying the chain from version 1.

        Args:
            at: when given, the latest version must be valid at this time.

        Raises:
            TrustError: no union here (``trust.missing``).
            TrustListRejected: the chain does not verify, or has expired at ``at``.
        """
        paths = self.versions()
        if not paths:
            raise TrustError(
                f"no trust list in {self.trust_dir}; run eaeu trust init", reason="trust.missing"
            )
        return follow_chain([read_json(path) for path in paths], at=at)

    def version(self, number: int) -> TrustList:
        """Return version ``number``, verifying the chain up to it.

        Raises:
            TrustError: no such version (``trust.missing``).
            TrustListRejected: the chain does not verify.
        """
        paths = self.versions()[:number]
        if number < 1 or len(paths) < number:
            raise TrustError(f"there is no version {number}", reason="trust.missing")
        return follow_chain([read_json(path) for path in paths])

    def write_version(self, signed: Mapping[str, Any]) -> Path:
        """Write a signed version as ``trust/v<N>.json``; it must be accepted before.

        Raises:
            TrustError: that version exists already (``trust.exists``).
            TrustListRejected: ``signed`` is malformed (``trustlist.malformed``).
        """
        path = self.trust_dir / f"v{parse(signed).version}.json"
        if path.exists():
            raise TrustError(f"{path} exists already", reason="trust.exists")
        _write_json(path, signed)
        return path

    # --- proposals ----------------------------------------------------------------------

    def propose(
        self,
        changes: Iterable[Change],
        *,
        now: datetime,
        validity: timedelta = DEFAULT_VALIDITY,
    ) -> tuple[TrustList, TrustList]:
        """Write the proposed next version, with no signature yet, to :attr:`proposal_path`.

        Returns:
            The version in force and the proposed one (parsed, not yet signed).

        Raises:
            TrustError: a proposal is pending (``trust.exists``), or a change cannot apply.
            TrustListRejected: the result is not a valid trust list.
        """
        if self.proposal_path.exists():
            raise TrustError(
                f"a proposal is pending in {self.proposal_path}; publish or delete it first",
                reason="trust.exists",
            )
        current = self.latest()
        signed = sign(propose(current, now=now, changes=changes, validity=validity), {})
        _write_json(self.proposal_path, signed)
        return current, parse(signed)

    def proposal(self) -> dict[str, Any]:
        """Return the pending proposal in its signed form.

        Raises:
            TrustError: no proposal is pending (``trust.no_proposal``).
            TrustListRejected: the file is not JSON.
        """
        if not self.proposal_path.exists():
            raise TrustError("no proposal is pending", reason="trust.no_proposal")
        value: dict[str, Any] = read_json(self.proposal_path)
        return value

    def sign_proposal(self, state: str) -> list[str]:
        """Add ``state``'s governance signature to the pending proposal.

        Returns:
            The states that have signed the proposal so far.

        Raises:
            TrustError: no proposal (``trust.no_proposal``); ``state`` is not a member of
                the version in force (``trust.unknown_member``).
            TrustListRejected: ``state`` signed already (``trustlist.duplicate_signer``).
            KeyStoreError: the key cannot be loaded.
        """
        proposal = self.proposal()
        self.latest().member(state)
        signed = add_state_signature(proposal, state, self.governance_signer(state))
        _write_json(self.proposal_path, signed)
        return signing_states(signed)

    def publish(self, *, now: datetime) -> tuple[TrustList, Path]:
        """Accept the pending proposal as the next version and publish it.

        Raises:
            TrustError: no proposal is pending (``trust.no_proposal``).
            TrustListRejected: the proposal is not an acceptable successor (see
                :func:`~eaeu.trust.trustlist.accept_successor`).
        """
        proposal = self.proposal()
        accepted = accept_successor(self.latest(), proposal, at=now)
        path = self.write_version(proposal)
        self.proposal_path.unlink()
        return accepted, path


def publish(data_dir: Path, passphrase: bytes, now: datetime) -> tuple[TrustList, Path]:
    """Publish the pending proposal of the local union in ``data_dir``.

    Args:
        data_dir: the union's data directory.
        passphrase: the key passphrase.
        now: the time the new version must be valid at.

    Returns:
        The accepted new version and the file it was written to.

    Raises:
        TrustError: no proposal is pending (``trust.no_proposal``).
        TrustListRejected: the proposal is not an acceptable successor.
    """
    return LocalUnion(data_dir, passphrase).publish(now=now)
