"""The validation service every node runs: signed document in, report and signed receipt out.

For each signature it follows the basic signature validation of ETSI EN 319 102-1 §5.3:
format checks and the signing certificate reference (done while reading the format),
the cryptographic check, the certificate chain to a member's root in the union trust
list, the signing time against the certificate's validity, and revocation — its own
state's table, or the member's CRL. Each signature gets an ETSI TS 119 102-2 status; the
document the worst of them; the node signs a receipt (see :mod:`eaeu.documents.receipts`).

Across borders, a node validates a foreign signer's signature itself whenever the trust
list lets it (the root is there, the CRL can be fetched). It can also ask the signer's
home node (``documents.validate`` over the exchange) and rely on the home node's receipt;
and it accepts a receipt another member's node issued, verifying it through the trust
list and issuing its own that refers to it — the trusted third party model of the EAEU
integrated information system, in which nobody has to run foreign cryptography.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from cryptography import x509
from cryptography.x509.oid import NameOID

from eaeu.documents import cades, jades, pades, receipts
from eaeu.documents.errors import DocumentError, DocumentUnreadable, HomeUnavailable, ReceiptRefused
from eaeu.documents.evidence import (
    SignatureEvidence,
    fingerprint,
    signer_identity,
    verify_signature,
)
from eaeu.documents.log import logger
from eaeu.documents.model import (
    SCOPE_DOCUMENT,
    SCOPE_SIGNATURES,
    SignatureInput,
    SignatureResult,
    SubIndication,
    ValidationReport,
    indication_of,
)
from eaeu.documents.receipts import Receipt
from eaeu.documents.revocation import RevocationSource
from eaeu.kernel.clock import Clock
from eaeu.kernel.ids import uuid7
from eaeu.trust import pki
from eaeu.trust.errors import CertificateInvalid, InvalidSignature, TrustError
from eaeu.trust.keys import Signer
from eaeu.trust.trustlist import TrustList

JADES, PDF, CMS = "jades", "pdf", "cms"
KINDS = (JADES, PDF, CMS)
#: The largest document the service reads.
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
#: How far ahead of the validator's clock a claimed signing time may be.
_SKEW = timedelta(minutes=5)
_CHAIN_CACHE = 4096
_MAX_REMOTE_SIGNATURES = 32
#: Failures found before the chain is looked at: the signer's state is not worth a lookup.
_BEFORE_CHAIN = frozenset({SubIndication.FORMAT_FAILURE})


class HomeValidation(Protocol):
    """Asks a member's node to validate signatures of its signers and return its receipt."""

    def __call__(self, state: str, request: dict[str, Any]) -> str:
        """Send ``request`` (``documents.validate``) to ``state``; return its receipt token.

        Raises:
            HomeUnavailable: the node did not answer or refused.
        """
        ...


@dataclass(frozen=True, slots=True)
class Checked:
    """A report and the receipt the node signed over it."""

    report: ValidationReport
    receipt: str
    relied_on: tuple[Receipt, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return what the API answers."""
        return {"report": self.report.to_json(), "receipt": self.receipt}


class _ChainFailure(Exception):
    def __init__(self, sub: SubIndication, detail: str) -> None:
        super().__init__(detail)
        self.sub = sub
        self.detail = detail


def document_kind(document: bytes) -> str:
    """Tell what kind of signed document ``document`` is (``jades``, ``pdf``, ``cms``).

    Raises:
        DocumentUnreadable: none of them (``documents.unrecognised``).
    """
    head = document[:1024].lstrip()
    if head.startswith(pades.PDF_MAGIC):
        return PDF
    if head.startswith(b"{"):
        return JADES
    if cades.looks_like_cms(document):
        return CMS
    if head.startswith(b"eyJ") and document.count(b".") == 2:  # noqa: PLR2004 - compact JWS
        return JADES
    raise DocumentUnreadable(
        "The file is not a signed document: upload a signed JSON (JAdES), a signed PDF or "
        "a CMS signature (.p7s)."
    )


class ValidationService:
    """A node's signature validation service.

    Args:
        state: this node's member state.
        trust: returns the union trust list in force.
        revocation: tells whether a certificate was revoked.
        clock: the node's clock.
        signer: the node's exchange signer, which signs the receipts; ``None`` for a
            validator that issues none (the command line).
        home: asks another member's node to validate; without it nothing is asked.
    """

    def __init__(
        self,
        *,
        state: str,
        trust: Callable[[], TrustList],
        revocation: RevocationSource,
        clock: Clock,
        signer: Signer | None,
        home: HomeValidation | None = None,
    ) -> None:
        self.state = state
        self._trust = trust
        self.revocation = revocation
        self._clock = clock
        self._signer = signer
        self._home = home
        self._chains: dict[tuple[bytes, str], tuple[str, x509.Certificate] | _ChainFailure] = {}

    def __repr__(self) -> str:
        return f"ValidationService(state={self.state!r})"

    def connect_home(self, home: HomeValidation) -> None:
        """Ask ``home`` from now on to confirm foreign signers' signatures."""
        self._home = home

    # -- reading ------------------------------------------------------------------------

    @staticmethod
    def read(document: bytes, detached: bytes | None = None) -> tuple[str, list[SignatureEvidence]]:
        """Read a signed document into the evidence of its signatures.

        Returns:
            The document kind and each signature's evidence.

        Raises:
            DocumentUnreadable: not a signed document (``documents.unrecognised``), too
                large (``documents.too_large``), without signatures (``documents.unsigned``)
                or a detached signature without its file (``documents.detached_missing``).
        """
        if len(document) > MAX_DOCUMENT_BYTES or len(detached or b"") > MAX_DOCUMENT_BYTES:
            raise DocumentUnreadable(
                "The file is too large to check (at most 10 MB).", reason="documents.too_large"
            )
        kind = document_kind(document)
        if kind == PDF:
            return kind, pades.read(document)
        if kind == CMS:
            return kind, cades.read(document, detached)[1]
        return kind, jades.evidence(jades.parse(document))

    # -- validating -----------------------------------------------------------------------

    def _current_trust(self, at: datetime) -> TrustList:
        trust = self._trust()
        try:
            trust.check_current(at)
        except TrustError:
            raise DocumentError(
                "This node's union trust list has expired; signatures cannot be checked "
                "until a new one is accepted.",
                reason="documents.trust_list_expired",
            ) from None
        return trust

    def validate(
        self, document: bytes, *, detached: bytes | None = None, ask_home: bool = False
    ) -> ValidationReport:
        """Validate every signature of a signed document now.

        Args:
            document: the signed document (JAdES JSON, PDF, CMS).
            detached: the signed file, for a detached CMS signature.
            ask_home: also ask each foreign signer's home node to confirm, and rely on its
                receipt for those signatures.

        Raises:
            DocumentUnreadable: see :meth:`read`.
            DocumentError: the trust list has expired (``documents.trust_list_expired``).
        """
        kind, evidence = self.read(document, detached)
        report = self.validate_evidence(
            kind, hashlib.sha256(document).hexdigest(), evidence, scope=SCOPE_DOCUMENT
        )
        if ask_home and self._home is not None:
            report = self._confirm(report, evidence)
        return report

    def validate_evidence(
        self,
        kind: str,
        document_sha256: str,
        evidence: Sequence[SignatureEvidence],
        *,
        scope: str = SCOPE_SIGNATURES,
    ) -> ValidationReport:
        """Validate signatures already read into evidence (also for other nodes' requests).

        Args:
            kind: the document kind.
            document_sha256: the document's hash; computed by this node only when
                ``scope`` is ``document``, otherwise the asker's claim.
            evidence: the signatures.
            scope: ``signatures`` (the default: this node has not seen the document) or
                ``document`` (the caller hashed the document itself).

        Raises:
            DocumentError: the trust list has expired (``documents.trust_list_expired``).
        """
        at = self._clock.now()
        trust = self._current_trust(at)
        results = tuple(self._check(e, trust, at) for e in evidence)
        report = ValidationReport(
            document_kind=kind,
            document_sha256=document_sha256,
            signatures=results,
            validated_at=at,
            validator_state=self.state,
            trust_list_version=trust.version,
            scope=scope,
            signature_inputs=signature_inputs(evidence),
        )
        logger.info(
            "documents.validated",
            kind=kind,
            signatures=len(results),
            indication=report.indication.value,
            sub_indication=report.sub_indication.value if report.sub_indication else None,
        )
        return report

    def _check(
        self, evidence: SignatureEvidence, trust: TrustList, at: datetime
    ) -> SignatureResult:
        cert = evidence.signing_certificate
        state: str | None = None
        sub, detail = self._verdict(evidence, trust, at)
        if cert is not None and sub not in _BEFORE_CHAIN:
            state = self._chain_state(cert, trust)
        return SignatureResult(
            id=evidence.id,
            format=evidence.format,
            indication=indication_of(sub),
            sub_indication=sub,
            detail=detail,
            signer=signer_identity(cert, state) if cert is not None else None,
            signing_time=evidence.signing_time,
            commitments=evidence.commitments,
        )

    def _verdict(
        self, evidence: SignatureEvidence, trust: TrustList, at: datetime
    ) -> tuple[SubIndication | None, str]:
        if evidence.failure is not None:
            return evidence.failure.sub_indication, evidence.failure.detail
        cert = evidence.signing_certificate
        assert cert is not None  # noqa: S101 - evidence without a failure has a certificate
        try:
            verify_signature(evidence)
        except InvalidSignature:
            return (
                SubIndication.SIG_CRYPTO_FAILURE,
                "the signature does not match the document and the certificate",
            )
        try:
            state, root = self._chain(cert, trust)
        except _ChainFailure as failure:
            return failure.sub, failure.detail
        sub, detail = self._status(evidence, cert, state, root, at)
        if sub is not None:
            return sub, detail
        return None, f"the signature is valid and the certificate chains to the {state} root"

    def _chain_state(self, cert: x509.Certificate, trust: TrustList) -> str | None:
        try:
            return self._chain(cert, trust)[0]
        except _ChainFailure:
            return None

    def _chain(self, cert: x509.Certificate, trust: TrustList) -> tuple[str, x509.Certificate]:
        key = (fingerprint(cert), trust.digest)
        found = self._chains.get(key)
        if found is None:
            found = self._find_root(cert, trust)
            if len(self._chains) >= _CHAIN_CACHE:
                self._chains.clear()
            self._chains[key] = found
        if isinstance(found, _ChainFailure):
            raise found
        return found

    @staticmethod
    def _find_root(
        cert: x509.Certificate, trust: TrustList
    ) -> tuple[str, x509.Certificate] | _ChainFailure:
        countries = cert.issuer.get_attributes_for_oid(NameOID.COUNTRY_NAME)
        claimed = str(countries[0].value) if countries else ""
        # The issuer's country first: one root signature check in the usual case.
        states = sorted(trust.members, key=lambda s: s != claimed)
        for state in states:
            roots = trust.members[state].roots
            try:
                # The chain is checked at the certificate's own start: whether it is still
                # valid is the time check's business, with its own indications.
                root = pki.verify_certificate(
                    cert, roots, at=cert.not_valid_before_utc, usage="document"
                )
            except CertificateInvalid as exc:
                if exc.reason == "certificate.untrusted":
                    continue
                if exc.reason == "certificate.usage":
                    return _ChainFailure(
                        SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                        "the certificate may not be used to sign documents",
                    )
                if exc.reason == "certificate.malformed":
                    return _ChainFailure(
                        SubIndication.FORMAT_FAILURE, "the certificate cannot be read"
                    )
                continue
            return state, root
        return _ChainFailure(
            SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
            "the certificate was not issued by the root of any member state in the trust list",
        )

    def _status(  # noqa: PLR0911 - one outcome per rule of EN 319 102-1
        self,
        evidence: SignatureEvidence,
        cert: x509.Certificate,
        state: str,
        root: x509.Certificate,
        at: datetime,
    ) -> tuple[SubIndication | None, str]:
        claimed = evidence.signing_time or at
        if claimed > at + _SKEW:
            return SubIndication.SIG_CONSTRAINTS_FAILURE, "the signing time is in the future"
        if claimed < cert.not_valid_before_utc:
            return (
                SubIndication.NOT_YET_VALID,
                "the certificate was not yet valid at the signing time",
            )
        if claimed > cert.not_valid_after_utc:
            return SubIndication.EXPIRED, "the certificate had expired at the signing time"
        status = self.revocation.status(state, cert, root)
        if not status.known:
            return (
                SubIndication.TRY_LATER,
                f"the revocation status from {state} is not available now",
            )
        if status.revoked_at is not None:
            if claimed >= status.revoked_at:
                return SubIndication.REVOKED, "the certificate was revoked before the signing time"
            return (
                SubIndication.REVOKED_NO_POE,
                "the certificate has been revoked, and nothing proves the signature existed before",
            )
        if at > cert.not_valid_after_utc or at > root.not_valid_after_utc:
            return (
                SubIndication.OUT_OF_BOUNDS_NO_POE,
                "the certificate has expired, and nothing proves the signature existed before",
            )
        return None, ""

    # -- receipts -------------------------------------------------------------------------

    def receipt(self, report: ValidationReport, *, basis: str = "validation") -> str:
        """Sign a receipt of ``report`` by this node.

        Raises:
            DocumentError: this validator has no signer (``documents.no_receipts``).
        """
        if self._signer is None:
            raise DocumentError(
                "This validator does not issue receipts.", reason="documents.no_receipts"
            )
        serial = str(uuid7())
        token = receipts.issue(report, self._signer, serial=serial, basis=basis)
        logger.info("documents.receipt.issued", serial=serial, basis=basis)
        return token

    def check(
        self, document: bytes, *, detached: bytes | None = None, ask_home: bool = False
    ) -> Checked:
        """Validate ``document`` (see :meth:`validate`) and sign a receipt of the report.

        Raises:
            DocumentUnreadable: see :meth:`read`.
            DocumentError: the trust list has expired (``documents.trust_list_expired``).
        """
        report = self.validate(document, detached=detached, ask_home=ask_home)
        return Checked(report, self.receipt(report))

    def verify_receipt(self, token: str) -> Receipt:
        """Verify a receipt through the trust list in force.

        Raises:
            ReceiptRefused: see :func:`eaeu.documents.receipts.verify`.
        """
        return receipts.verify(token, self._trust())

    def accept_receipt(
        self, token: str, *, document: bytes | None = None, detached: bytes | None = None
    ) -> Checked:
        """Rely on another member's receipt and issue this node's own, referring to it.

        A ``document`` receipt is about the document whose hash is its message imprint. A
        ``signatures`` receipt (a home node's answer, which never saw the document) proves
        nothing about a document by its imprint: it is accepted as proof about
        ``document`` only if the signature-input digests recomputed from that document are
        the ones the receipt names. Without a document, this node's receipt keeps the
        foreign receipt's scope.

        Args:
            token: the other node's receipt.
            document: the document it is about; when given, the receipt must be about it.
            detached: the signed file, for a detached CMS signature.

        Raises:
            ReceiptRefused: the receipt does not verify (``documents.receipt_invalid``,
                ``documents.receipt_signer``), is this node's own (``documents.receipt_own``),
                or is about another document (``documents.receipt_mismatch``, also when a
                ``signatures`` receipt's document cannot be read as a signed document).
        """
        foreign = self.verify_receipt(token)
        if foreign.validator_state == self.state:
            raise ReceiptRefused(
                "This receipt was issued by this node; it needs no confirmation.",
                reason="documents.receipt_own",
            )
        theirs = foreign.report
        scope, document_sha256 = theirs.scope, theirs.document_sha256
        if document is not None:
            digest = hashlib.sha256(document).hexdigest()
            if theirs.scope == SCOPE_SIGNATURES:
                self._require_inputs(theirs, document, detached)
                # The link to the document is now checked here: this node vouches for it.
                scope, document_sha256 = SCOPE_DOCUMENT, digest
            elif digest != theirs.document_sha256:
                raise _mismatch()
        at = self._clock.now()
        trust = self._current_trust(at)
        report = ValidationReport(
            document_kind=theirs.document_kind,
            document_sha256=document_sha256,
            signatures=tuple(
                replace(s, confirmed_by=s.confirmed_by or foreign.validator_state)
                for s in theirs.signatures
            ),
            validated_at=at,
            validator_state=self.state,
            trust_list_version=trust.version,
            references=(foreign.reference(),),
            scope=scope,
            signature_inputs=theirs.signature_inputs,
        )
        logger.info(
            "documents.receipt.accepted",
            serial=foreign.serial,
            validator_state=foreign.validator_state,
            indication=report.indication.value,
        )
        return Checked(report, self.receipt(report, basis="receipt"), (foreign,))

    def _require_inputs(
        self, report: ValidationReport, document: bytes, detached: bytes | None
    ) -> None:
        """Refuse ``report`` unless it names exactly the signature inputs of ``document``."""
        try:
            kind, evidence = self.read(document, detached)
        except DocumentUnreadable:
            # Not a signed document (or not all of it): the receipt cannot be about it.
            raise _mismatch() from None
        named = set(report.signature_inputs)
        if (
            kind != report.document_kind
            or not named
            or named != set(signature_inputs(evidence))
            or {s.id for s in report.signatures} != {i.id for i in named}
        ):
            raise _mismatch()

    # -- the signer's home node -----------------------------------------------------------

    def _confirm(
        self, report: ValidationReport, evidence: Sequence[SignatureEvidence]
    ) -> ValidationReport:
        assert self._home is not None  # noqa: S101 - checked by the caller
        by_state: dict[str, list[SignatureEvidence]] = {}
        for result, item in zip(report.signatures, evidence, strict=True):
            state = result.signer.state if result.signer else None
            if (
                item.failure is None
                and state is not None
                and state != self.state
                and result.sub_indication
                not in {SubIndication.SIG_CRYPTO_FAILURE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND}
            ):
                by_state.setdefault(state, []).append(item)
        signatures = {s.id: s for s in report.signatures}
        references = list(report.references)
        for state, items in sorted(by_state.items()):
            request = validate_request(report.document_kind, report.document_sha256, items)
            try:
                foreign = self._home_receipt(state, request, report.document_sha256, items)
            except (HomeUnavailable, ReceiptRefused) as exc:
                logger.warning("documents.home.unconfirmed", state=state, reason=exc.reason)
                continue
            references.append(foreign.reference())
            for theirs in foreign.report.signatures:
                if theirs.id in signatures:
                    signatures[theirs.id] = replace(theirs, confirmed_by=state)
        return replace(
            report,
            signatures=tuple(signatures[s.id] for s in report.signatures),
            references=tuple(references),
        )

    def _home_receipt(
        self,
        state: str,
        request: dict[str, Any],
        document_sha256: str,
        evidence: Sequence[SignatureEvidence],
    ) -> Receipt:
        assert self._home is not None  # noqa: S101 - checked by the caller
        foreign = self.verify_receipt(self._home(state, request))
        # The imprint only echoes what was asked; the signature inputs say what was checked.
        if (
            foreign.validator_state != state
            or foreign.report.document_sha256 != document_sha256
            or set(foreign.report.signature_inputs) != set(signature_inputs(evidence))
        ):
            raise ReceiptRefused(
                "the home node's receipt is not about this request",
                reason="documents.receipt_mismatch",
            )
        return foreign

    def answer_request(self, request: Any) -> str:
        """Validate what another node sent (``documents.validate``) and return the receipt.

        Raises:
            DocumentUnreadable: the request is malformed (``documents.malformed_request``).
            DocumentError: the trust list has expired (``documents.trust_list_expired``).
        """
        kind, document_sha256, evidence = read_validate_request(request)
        report = self.validate_evidence(kind, document_sha256, evidence)
        return self.receipt(report)


def signature_inputs(evidence: Sequence[SignatureEvidence]) -> tuple[SignatureInput, ...]:
    """The digests of the signature inputs of ``evidence``, in document order."""
    return tuple(SignatureInput(e.id, e.hash_name, e.tbs_digest.hex()) for e in evidence)


def _mismatch() -> ReceiptRefused:
    return ReceiptRefused(
        "The receipt is about another document than the one given.",
        reason="documents.receipt_mismatch",
    )


def validate_request(
    kind: str, document_sha256: str, evidence: Sequence[SignatureEvidence]
) -> dict[str, Any]:
    """Return the payload of ``documents.validate``: digests and signatures, not the document."""
    return {
        "document_kind": kind,
        "document_sha256": document_sha256,
        "signatures": [e.to_json() for e in evidence],
    }


def read_validate_request(request: Any) -> tuple[str, str, list[SignatureEvidence]]:
    """Read a ``documents.validate`` payload.

    Raises:
        DocumentUnreadable: it is malformed (``documents.malformed_request``).
    """
    malformed = DocumentUnreadable(
        "the validation request is malformed", reason="documents.malformed_request"
    )
    if not isinstance(request, dict):
        raise malformed
    kind, document_sha256 = request.get("document_kind"), request.get("document_sha256")
    signatures = request.get("signatures")
    if (
        kind not in KINDS
        or not isinstance(document_sha256, str)
        or len(document_sha256) != 64  # noqa: PLR2004 - hex SHA-256
        or not isinstance(signatures, list)
        or not 0 < len(signatures) <= _MAX_REMOTE_SIGNATURES
    ):
        raise malformed
    return kind, document_sha256, [SignatureEvidence.from_json(s) for s in signatures]


def _with(result: SignatureResult, sub: SubIndication, detail: str) -> SignatureResult:
    return replace(result, indication=indication_of(sub), sub_indication=sub, detail=detail)
