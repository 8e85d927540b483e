"""Use cases of documents: sign a document, revoke a signer; and the node's service, wired.

:class:`Documents` is what the web layer and the CLI use: the validation service, the
node-held keys (when the node holds its state root's signer) and the revocation registry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from eaeu.documents import jades, pades
from eaeu.documents.errors import DocumentError, DocumentUnreadable
from eaeu.documents.keys import CertificateAuthority, CertifiedKey, DocumentKeys
from eaeu.documents.revocation import CrlCache, NodeRevocations, RevocationRegistry
from eaeu.documents.validation import (
    JADES,
    MAX_DOCUMENT_BYTES,
    PDF,
    HomeValidation,
    ValidationService,
    document_kind,
)
from eaeu.kernel.clock import Clock
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.trust.keys import Signer
from eaeu.trust.trustlist import TrustList

MEDIA_TYPES = {JADES: "application/jose+json", PDF: "application/pdf"}


@dataclass(frozen=True, slots=True)
class SignedDocument:
    """A document after signing: its kind, bytes and media type."""

    kind: str
    content: bytes

    @property
    def media_type(self) -> str:
        """The media type to serve it with."""
        return MEDIA_TYPES[self.kind]


def sign_document(
    document: bytes,
    key: CertifiedKey,
    *,
    signing_time: datetime,
    commitment: str | None = None,
) -> SignedDocument:
    """Sign a JSON document (JAdES) or a PDF (PAdES); a signed one gets one more signature.

    A JSON document that is already a JAdES document (JSON serialisation) gets a further
    signature over the same payload; any other JSON document becomes the payload of a new
    JAdES document. A PDF gets a new signature field in an incremental update.

    Args:
        document: the document's bytes.
        key: the signer.
        signing_time: the claimed signing time.
        commitment: a commitment type from :data:`eaeu.documents.jades.COMMITMENTS`.

    Raises:
        DocumentUnreadable: neither JSON nor PDF (``documents.unrecognised``), or too large
            (``documents.too_large``).
        ValueError: unknown commitment type.
    """
    if len(document) > MAX_DOCUMENT_BYTES:
        raise DocumentUnreadable(
            "The file is too large to sign (at most 10 MB).", reason="documents.too_large"
        )
    kind = document_kind(document)
    if kind == PDF:
        return SignedDocument(PDF, pades.sign(document, key, signing_time=signing_time))
    if kind != JADES:
        raise DocumentUnreadable("Only JSON documents and PDFs can be signed here.")
    try:
        value = json.loads(document)
    except (ValueError, RecursionError):
        raise DocumentUnreadable("The file is not valid JSON.") from None
    if isinstance(value, dict) and "payload" in value and "signatures" in value:
        signed = jades.add_signature(value, key, signing_time=signing_time, commitment=commitment)
    else:
        signed = jades.sign(document, key, signing_time=signing_time, commitment=commitment)
    return SignedDocument(JADES, json.dumps(signed, indent=2).encode("utf-8"))


@dataclass
class Documents:
    """One node's documents service.

    Attributes:
        state: the node's member state.
        validation: the validation service.
        revocations: the node's revocation registry (and CRL).
        keys: the node-held signing keys, or ``None`` when the node does not hold its
            root's signer.
        clock: the node's clock.
    """

    state: str
    validation: ValidationService
    revocations: RevocationRegistry
    keys: DocumentKeys | None
    clock: Clock

    def signing_keys(self) -> DocumentKeys:
        """The node-held keys.

        Raises:
            DocumentError: this node cannot issue signing certificates
                (``documents.signing_unavailable``).
        """
        if self.keys is None:
            raise DocumentError(
                "This node does not offer signing: it does not hold its state's root CA.",
                reason="documents.signing_unavailable",
            )
        return self.keys

    def revoke(self, owner_kind: str, owner_id: str, *, reason: str = "unspecified") -> list[str]:
        """Revoke every signing key of a person or organisation; return the serials.

        Raises:
            DocumentError: this node does not hold signing keys.
        """
        serials = self.signing_keys().revoke_owner(owner_kind, owner_id, reason=reason)
        self.revocations.forget()
        return serials


def node_documents(
    *,
    state: str,
    uow: UnitOfWorkFactory,
    clock: Clock,
    signer: Signer,
    trust: Callable[[], TrustList],
    secret: bytes,
    root: x509.Certificate | None = None,
    root_signer: Signer | None = None,
    fetch_crl: Callable[[str], bytes] | None = None,
    home: HomeValidation | None = None,
) -> Documents:
    """Wire a node's documents service.

    Args:
        state: the node's member state.
        uow: the node's unit-of-work factory.
        clock: the node's clock.
        signer: the node's exchange signer (signs receipts).
        trust: returns the trust list in force.
        secret: the node secret that seals node-held keys.
        root: the state's root CA certificate.
        root_signer: the root's signer; with ``root``, the node issues signing
            certificates and its CRL.
        fetch_crl: fetches another member's CRL; without it foreign revocation is unknown.
        home: asks a signer's home node to validate.
    """
    authority = (
        CertificateAuthority(root, root_signer)
        if root is not None and root_signer is not None
        else None
    )
    registry = RevocationRegistry(state=state, uow=uow, clock=clock, authority=authority)
    others = CrlCache(fetch_crl, clock) if fetch_crl is not None else None
    validation = ValidationService(
        state=state,
        trust=trust,
        revocation=NodeRevocations(registry, others),
        clock=clock,
        signer=signer,
        home=home,
    )
    keys = (
        DocumentKeys(state=state, uow=uow, clock=clock, authority=authority, secret=secret)
        if authority is not None
        else None
    )
    return Documents(state, validation, registry, keys, clock)
