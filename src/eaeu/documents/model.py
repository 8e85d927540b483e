"""Validation results in the vocabulary of ETSI TS 119 102-2 (signature validation reports).

Each signature gets a ``SignatureValidationStatus``: a main indication (``TOTAL-PASSED``,
``TOTAL-FAILED``, ``INDETERMINATE``) and, unless it passed, a sub-indication from
ETSI EN 319 102-1 §5.1.3. The document's overall status is the worst of its signatures'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Indication(StrEnum):
    """The main indication of ETSI EN 319 102-1 §5.1.3."""

    TOTAL_PASSED = "TOTAL-PASSED"
    TOTAL_FAILED = "TOTAL-FAILED"
    INDETERMINATE = "INDETERMINATE"


class SubIndication(StrEnum):
    """The sub-indications this service reports (ETSI EN 319 102-1 Table 5 and 6)."""

    # TOTAL-FAILED
    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    # INDETERMINATE
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    TRY_LATER = "TRY_LATER"


#: Which main indication each sub-indication belongs to.
FAILED = frozenset(
    {
        SubIndication.FORMAT_FAILURE,
        SubIndication.HASH_FAILURE,
        SubIndication.SIG_CRYPTO_FAILURE,
        SubIndication.REVOKED,
        SubIndication.EXPIRED,
        SubIndication.NOT_YET_VALID,
    }
)


def indication_of(sub: SubIndication | None) -> Indication:
    """Return the main indication a sub-indication implies (``None``: passed)."""
    if sub is None:
        return Indication.TOTAL_PASSED
    return Indication.TOTAL_FAILED if sub in FAILED else Indication.INDETERMINATE


@dataclass(frozen=True, slots=True)
class SignerIdentity:
    """Who signed, as the signing certificate says.

    Attributes:
        name: the subject's common name (a person's or an organisation's name).
        state: the member state whose root CA issued the certificate (or the subject's
            country when no trusted root did).
        organisation: the subject organisation, if the certificate names one.
        identifier: the subject ``serialNumber`` (a pseudonymous person id or a
            registration number), if any.
        certificate_serial: the certificate's serial number in hex.
        issuer: the issuer's common name.
    """

    name: str
    state: str | None
    organisation: str | None
    identifier: str | None
    certificate_serial: str
    issuer: str

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used in reports and receipts."""
        return {
            "name": self.name,
            "state": self.state,
            "organisation": self.organisation,
            "identifier": self.identifier,
            "certificate_serial": self.certificate_serial,
            "issuer": self.issuer,
        }


@dataclass(frozen=True, slots=True)
class SignatureResult:
    """The validation status of one signature.

    Attributes:
        id: the signature's position in the document (``sig-1``…).
        format: ``JAdES-B-B``, ``PAdES-B-B``, ``CAdES-B-B`` or ``CMS``.
        indication: the main indication.
        sub_indication: why it did not pass; ``None`` when it passed.
        detail: one sentence for an operator (English; pages translate by sub-indication).
        signer: who signed, when a signing certificate was found.
        signing_time: the time the signer claims (not a proof of existence).
        commitments: the commitment types the signer declared (``proof-of-approval``…).
        confirmed_by: the state whose node confirmed this result with its own receipt.
    """

    id: str
    format: str
    indication: Indication
    sub_indication: SubIndication | None
    detail: str
    signer: SignerIdentity | None = None
    signing_time: datetime | None = None
    commitments: tuple[str, ...] = ()
    confirmed_by: str | None = None

    @property
    def passed(self) -> bool:
        """Whether the signature is ``TOTAL-PASSED``."""
        return self.indication is Indication.TOTAL_PASSED

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used in reports and receipts."""
        return {
            "id": self.id,
            "format": self.format,
            "indication": self.indication.value,
            "sub_indication": self.sub_indication.value if self.sub_indication else None,
            "detail": self.detail,
            "signer": self.signer.to_json() if self.signer else None,
            "signing_time": _iso(self.signing_time) if self.signing_time else None,
            "commitments": list(self.commitments),
            "confirmed_by": self.confirmed_by,
        }


#: The validator hashed the document itself: the message imprint is the document's.
SCOPE_DOCUMENT = "document"
#: The validator saw only the signatures (their to-be-signed digests, values and
#: certificates), as a signer's home node does for ``documents.validate``: the message
#: imprint was supplied by whoever asked and proves nothing about a document; what was
#: verified is named by ``signature_inputs``.
SCOPE_SIGNATURES = "signatures"
SCOPES = (SCOPE_DOCUMENT, SCOPE_SIGNATURES)


@dataclass(frozen=True, slots=True)
class SignatureInput:
    """The digest of one signature's to-be-signed bytes, as the validator verified it.

    Attributes:
        id: the signature's id in its document (``sig-1``…).
        alg: the digest algorithm (``sha256``…).
        value: the hex digest of the signature input (the JWS signing input, or the CMS
            signed attributes), which ties the signature to the document's content.
    """

    id: str
    alg: str
    value: str

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used in reports and receipts."""
        return {"id": self.id, "alg": self.alg, "value": self.value}


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The validation report of one document (ETSI TS 119 102-2, in JSON).

    Attributes:
        document_kind: ``jades``, ``pdf`` or ``cms``.
        document_sha256: hex SHA-256 of the document as submitted (the message imprint);
            with scope ``signatures`` it was supplied by the requester, not computed.
        signatures: each signature's result, in document order.
        validated_at: the validation time.
        validator_state: the state whose node validated.
        trust_list_version: the union trust list version the chains were checked against.
        references: other nodes' receipts relied on.
        scope: ``document`` (the validator hashed the document) or ``signatures`` (it saw
            only the signatures' evidence).
        signature_inputs: the digests of the signature inputs the validator verified.
    """

    document_kind: str
    document_sha256: str
    signatures: tuple[SignatureResult, ...]
    validated_at: datetime
    validator_state: str
    trust_list_version: int
    references: tuple[ReceiptReference, ...] = field(default=())
    scope: str = SCOPE_DOCUMENT
    signature_inputs: tuple[SignatureInput, ...] = field(default=())

    @property
    def sub_indication(self) -> SubIndication | None:
        """The sub-indication of the worst signature (failed before indeterminate)."""
        failed = [s for s in self.signatures if s.indication is Indication.TOTAL_FAILED]
        undecided = [s for s in self.signatures if s.indication is Indication.INDETERMINATE]
        worst = failed or undecided
        return worst[0].sub_indication if worst else None

    @property
    def indication(self) -> Indication:
        """``TOTAL-PASSED`` only when every signature passed."""
        if not self.signatures:
            return Indication.TOTAL_FAILED
        return indication_of(self.sub_indication)

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON data."""
        return {
            "format": "eaeu-validation-report",
            "v": 1,
            "document": {
                "kind": self.document_kind,
                "sha256": self.document_sha256,
                "scope": self.scope,
                "signature_inputs": [i.to_json() for i in self.signature_inputs],
            },
            "indication": self.indication.value,
            "sub_indication": self.sub_indication.value if self.sub_indication else None,
            "signatures": [s.to_json() for s in self.signatures],
            "validated_at": _iso(self.validated_at),
            "validator": {"state": self.validator_state},
            "trust_list_version": self.trust_list_version,
            "references": [r.to_json() for r in self.references],
        }


@dataclass(frozen=True, slots=True)
class ReceiptReference:
    """Another node's validation receipt that a result relies on.

    Attributes:
        serial: the referenced receipt's serial number.
        validator_state: the state whose node issued it.
        sha256: hex SHA-256 of the referenced receipt token.
        indication: the indication it stated.
    """

    serial: str
    validator_state: str
    sha256: str
    indication: Indication

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used in reports and receipts."""
        return {
            "serial": self.serial,
            "validator_state": self.validator_state,
            "sha256": self.sha256,
            "indication": self.indication.value,
        }


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
