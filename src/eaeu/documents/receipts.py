"""Validation receipts: a node's signed statement of what it found, with RFC 3029 semantics.

A receipt is what a data validation and certification server (DVCS, RFC 3029) answers to
a "verify signed document" (``vsd``) request, in JSON and signed as a compact JWS by the
validating node's exchange key (``typ: eaeu-validation+jws``), so any member verifies it
through the union trust list::

    {"format": "eaeu-validation-receipt", "v": 1, "serial": "<UUIDv7>",
     "service": "vsd", "basis": "validation" | "receipt",
     "request": {"message_imprint": {"alg": "sha-256", "value": "<hex>"},
                 "document_kind": "jades" | "pdf" | "cms",
                 "scope": "document" | "signatures",
                 "signature_inputs": [{"id": "sig-1", "alg": "sha256",
                                       "value": "<hex>"}]},
     "dv_status": "granted" | "rejection",
     "indication": "TOTAL-PASSED", "sub_indication": null,
     "signatures": [{"id": "sig-1", "format": "JAdES-B-B", "indication": …, "signer": …}],
     "validated_at": "2026-01-02T00:00:00Z",
     "validator": {"state": "KZ", "node": "EAEU/KZ/GOV/node"},
     "trust_list": {"version": 1},
     "references": [{"serial": …, "validator_state": "KG", "sha256": …, "indication": …}]}

``message_imprint`` is the SHA-256 of the document as submitted (RFC 3029 §3.1
``messageImprint``). ``scope`` says what it rests on: ``document`` when the validator
hashed the document itself; ``signatures`` when it saw only the signatures' evidence (a
signer's home node answering ``documents.validate``), so that the imprint is the asker's
claim and the receipt proves only that the signatures over ``signature_inputs`` (the
digests of the to-be-signed bytes actually verified) are valid. A receipt without
``scope`` (issued before it was added) is a ``document`` receipt. ``dv_status`` is the
PKIStatus (granted only for ``TOTAL-PASSED``);
``serial`` is the receipt's unique serial number. A receipt issued on the strength of
another member's receipt (the trusted third party model of the EAEU integrated system)
has ``basis: "receipt"`` and names that receipt in ``references``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eaeu.documents.errors import ReceiptRefused
from eaeu.documents.model import (
    SCOPE_DOCUMENT,
    SCOPES,
    Indication,
    ReceiptReference,
    SignatureInput,
    SignatureResult,
    SignerIdentity,
    SubIndication,
    ValidationReport,
)
from eaeu.exchange.ids import node_id
from eaeu.trust import jws
from eaeu.trust.errors import InvalidSignature, TrustError
from eaeu.trust.keys import Signer, Verifier
from eaeu.trust.trustlist import TrustList

TYP = "eaeu-validation+jws"
FORMAT = "eaeu-validation-receipt"
FORMAT_VERSION = 1
SERVICE = "vsd"
_MAX_TOKEN = 262_144


@dataclass(frozen=True, slots=True)
class Receipt:
    """A validation receipt that verified.

    Attributes:
        token: the compact JWS.
        sha256: hex SHA-256 of the token (how other receipts refer to it).
        serial: the receipt's serial number.
        validator_state: the state whose node issued it.
        basis: ``validation`` or ``receipt``.
        report: the findings it states.
    """

    token: str
    sha256: str
    serial: str
    validator_state: str
    basis: str
    report: ValidationReport

    def reference(self) -> ReceiptReference:
        """Return how another receipt names this one."""
        return ReceiptReference(
            serial=self.serial,
            validator_state=self.validator_state,
            sha256=self.sha256,
            indication=self.report.indication,
        )


def issue(
    report: ValidationReport, signer: Signer, *, serial: str, basis: str = "validation"
) -> str:
    """Sign a receipt of ``report`` by the validating node.

    Args:
        report: the validation report (its ``validator_state`` is the issuing node's).
        signer: the node's exchange signer (its kid is in the trust list).
        serial: the receipt's unique serial number.
        basis: ``validation`` (this node validated) or ``receipt`` (it relied on others').
    """
    data = report.to_json()
    passed = report.indication is Indication.TOTAL_PASSED
    payload = {
        "format": FORMAT,
        "v": FORMAT_VERSION,
        "serial": serial,
        "service": SERVICE,
        "basis": basis,
        "request": {
            "message_imprint": {"alg": "sha-256", "value": report.document_sha256},
            "document_kind": report.document_kind,
            "scope": report.scope,
            "signature_inputs": [i.to_json() for i in report.signature_inputs],
        },
        "dv_status": "granted" if passed else "rejection",
        "indication": data["indication"],
        "sub_indication": data["sub_indication"],
        "signatures": data["signatures"],
        "validated_at": data["validated_at"],
        "validator": {
            "state": report.validator_state,
            "node": str(node_id(report.validator_state)),
        },
        "trust_list": {"version": report.trust_list_version},
        "references": data["references"],
    }
    encoded = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return jws.sign_compact(encoded, signer, {"typ": TYP, "cty": "json"})


def _refused(why: str, reason: str = "documents.receipt_invalid") -> ReceiptRefused:
    return ReceiptRefused(f"The validation receipt cannot be relied on: {why}.", reason=reason)


def verify(token: str, trust: TrustList) -> Receipt:
    """Verify a receipt's signature through the trust list and read it.

    Args:
        token: the compact JWS.
        trust: the trust list in force.

    Returns:
        The receipt.

    Raises:
        ReceiptRefused: not a receipt, or a bad signature (``documents.receipt_invalid``);
            signed by a key that is not a member node's, or by another node than the one
            it names (``documents.receipt_signer``).
    """
    if not isinstance(token, str) or len(token) > _MAX_TOKEN:
        raise _refused("it is not a receipt")
    signed_by: list[str] = []

    def resolve(header: Mapping[str, Any]) -> Verifier:
        if header.get("typ") != TYP:
            raise _refused("it is not a validation receipt")
        kid = header.get("kid")
        try:
            state, verifier = trust.node_verifier(kid if isinstance(kid, str) else "")
        except InvalidSignature:
            raise _refused(
                "it is not signed by a member node in the trust list", "documents.receipt_signer"
            ) from None
        signed_by.append(state)
        return verifier

    try:
        verified = jws.verify_compact(token.strip(), resolve)
    except InvalidSignature as exc:
        raise _refused(f"{exc.message}") from None
    try:
        payload = json.loads(verified.payload)
        report, serial, basis = _report(payload)
    except (ValueError, KeyError, TypeError, AttributeError, TrustError):
        raise _refused("its content is malformed") from None
    if report.validator_state != signed_by[0]:
        raise _refused(
            f"it names {report.validator_state} but the {signed_by[0]} node signed it",
            "documents.receipt_signer",
        )
    return Receipt(
        token=token.strip(),
        sha256=hashlib.sha256(token.strip().encode("ascii")).hexdigest(),
        serial=serial,
        validator_state=report.validator_state,
        basis=basis,
        report=report,
    )


def _time(value: Any) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _optional(value: Any, kind: type) -> Any:
    if value is not None and not isinstance(value, kind):
        raise TypeError
    return value


def _signer(data: Any) -> SignerIdentity | None:
    if data is None:
        return None
    return SignerIdentity(
        name=str(data["name"]),
        state=_optional(data.get("state"), str),
        organisation=_optional(data.get("organisation"), str),
        identifier=_optional(data.get("identifier"), str),
        certificate_serial=str(data["certificate_serial"]),
        issuer=str(data["issuer"]),
    )


def _signature(data: Any) -> SignatureResult:
    sub = data.get("sub_indication")
    signing_time = data.get("signing_time")
    return SignatureResult(
        id=str(data["id"]),
        format=str(data["format"]),
        indication=Indication(data["indication"]),
        sub_indication=SubIndication(sub) if sub is not None else None,
        detail=str(data.get("detail", "")),
        signer=_signer(data.get("signer")),
        signing_time=_time(signing_time) if signing_time is not None else None,
        commitments=tuple(str(c) for c in data.get("commitments", [])),
        confirmed_by=_optional(data.get("confirmed_by"), str),
    )


def _reference(data: Any) -> ReceiptReference:
    return ReceiptReference(
        serial=str(data["serial"]),
        validator_state=str(data["validator_state"]),
        sha256=str(data["sha256"]),
        indication=Indication(data["indication"]),
    )


def _scope(value: Any) -> str:
    if value not in SCOPES:
        raise ValueError("unknown scope")
    return str(value)


def _input(data: Any) -> SignatureInput:
    return SignatureInput(id=str(data["id"]), alg=str(data["alg"]), value=str(data["value"]))


def _report(payload: Any) -> tuple[ValidationReport, str, str]:
    if payload["format"] != FORMAT or payload["v"] != FORMAT_VERSION:
        raise ValueError("not a receipt")
    request = payload["request"]
    imprint = request["message_imprint"]
    if imprint["alg"] != "sha-256" or payload["service"] != SERVICE:
        raise ValueError("not a vsd receipt")
    report = ValidationReport(
        document_kind=str(request["document_kind"]),
        document_sha256=str(imprint["value"]),
        signatures=tuple(_signature(s) for s in payload["signatures"]),
        validated_at=_time(payload["validated_at"]),
        validator_state=str(payload["validator"]["state"]),
        trust_list_version=int(payload["trust_list"]["version"]),
        references=tuple(_reference(r) for r in payload.get("references", [])),
        scope=_scope(request.get("scope", SCOPE_DOCUMENT)),
        signature_inputs=tuple(_input(i) for i in request.get("signature_inputs", [])),
    )
    # The stated overall indication must be the one its signatures imply.
    if report.indication.value != payload["indication"]:
        raise ValueError("inconsistent indication")
    return report, str(payload["serial"]), str(payload["basis"])
