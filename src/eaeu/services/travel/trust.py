"""Trust material of the verifier: which document signers a certificate may be signed by.

A node verifies against

* the **health document signers of every member state that takes part in travel as
  issuer** in the accepted union trust list (``TrustList.document_signers(state,
  "health")``), and
* **external signers**: DCC document signer certificates of countries outside the union
  (the EU DCC / WHO GDHCN network) that an operator imported (``eaeu travel import-dsc``).

A member state that has not joined travel — or has left it — issues nothing a node
accepts: its signers are left out, and a certificate signed by one of them is reported as
``issuer_not_participating`` rather than as an unknown key. A member state's signer can
never be imported as "external": the trust list is the only way into the union's trust.

Everything is indexed by DCC key id (SHA-256 of the DER certificate, 8 bytes); several
certificates may share one (:func:`~eaeu.services.travel.hcert.index_certificates`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eaeu.kernel.states import STATE_CODES
from eaeu.services.travel.dsc import prepare
from eaeu.services.travel.errors import DscRefused
from eaeu.services.travel.hcert import kid_of
from eaeu.services.travel.verifier import VerificationResult
from eaeu.services.travel.verifier_orm import ExternalDscRow
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.trust.trustlist import TrustList

#: The service and role a member state needs in the trust list for its certificates to count.
SERVICE: Final = "travel"
ISSUER: Final = "issuer"
VERIFIER: Final = "verifier"
#: The document signer role whose certificates sign health certificates.
HEALTH: Final = "health"
NOT_PARTICIPATING: Final = "issuer_not_participating"

Source = Literal["union", "external"]
_PEM_BEGIN: Final = b"-----BEGIN CERTIFICATE-----"
_MAX_FILE: Final = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Signer:
    """One document signer certificate a verifier trusts.

    Attributes:
        kid: the DCC key id.
        country: the ISO 3166-1 alpha-2 code of its country.
        source: ``union`` (from the trust list) or ``external`` (imported).
        certificate: the certificate.
    """

    kid: bytes
    country: str
    source: Source
    certificate: x509.Certificate

    @property
    def types(self) -> list[str] | None:
        """The certificate types it may sign (``t``, ``v``, ``r``), or ``None`` for all."""
        groups = prepare(self.certificate).groups
        return None if groups is None else sorted(groups)

    def to_json(self) -> dict[str, Any]:
        """Return the signer as a bundle lists it."""
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return {
            "kid": base64.b64encode(self.kid).decode("ascii"),
            "country": self.country,
            "source": self.source,
            "types": self.types,
            "certificate": base64.b64encode(der).decode("ascii"),
        }


@dataclass(frozen=True)
class TrustMaterial:
    """The signers a verifier accepts, and the member-state signers it deliberately refuses.

    Attributes:
        signers: every trusted signer.
        refused_kids: key ids of health signers of member states that do not take part in
            travel as issuer (a certificate signed by one is ``issuer_not_participating``).
        store: key id → certificates, as :func:`~eaeu.services.travel.verifier.verify`
            takes it.
    """

    signers: tuple[Signer, ...]
    refused_kids: frozenset[bytes] = frozenset()
    store: dict[bytes, list[x509.Certificate]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        store: dict[bytes, list[x509.Certificate]] = {}
        for signer in self.signers:
            store.setdefault(signer.kid, []).append(signer.certificate)
        object.__setattr__(self, "store", store)

    def explain(self, result: VerificationResult) -> VerificationResult:
        """Name a refused member-state signer in a result that failed on an unknown key id."""
        if result.reason == "unknown_kid" and result.kid in self.refused_kids:
            return replace(
                result,
                reason=NOT_PARTICIPATING,
                detail="the issuing state does not take part in the travel service",
            )
        return result

    def countries(self) -> list[str]:
        """The countries whose certificates are accepted, sorted."""
        return sorted({signer.country for signer in self.signers})


def union_signers(trust: TrustList) -> tuple[list[Signer], set[bytes]]:
    """Return the health signers of travel issuers, and the key ids of all other states'.

    Args:
        trust: the accepted union trust list.
    """
    accepted: list[Signer] = []
    refused: set[bytes] = set()
    for state in sorted(trust.members):
        certificates = trust.document_signers(state, HEALTH)
        if trust.participates(state, SERVICE, ISSUER):
            accepted.extend(Signer(kid_of(c), state, "union", c) for c in certificates)
        else:
            refused.update(kid_of(c) for c in certificates)
    return accepted, refused


def material(trust: TrustList | None, external: Iterable[Signer] = ()) -> TrustMaterial:
    """Build the trust material from the trust list and imported external signers.

    Args:
        trust: the accepted union trust list, or ``None`` (external signers only).
        external: imported signers of countries outside the union.
    """
    signers, refused = union_signers(trust) if trust is not None else ([], set())
    trusted = {signer.kid for signer in signers}
    # A kid that a participating state uses too stays accepted: kids may collide.
    return TrustMaterial((*signers, *external), frozenset(refused - trusted))


# --- external signers ----------------------------------------------------------------------


def country_of(certificate: x509.Certificate) -> str | None:
    """Return the country (``C``) of a certificate's subject, upper case, if it names one."""
    attributes = certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    value = attributes[0].value if attributes else None
    return value.upper() if isinstance(value, str) else None


def _from_der(data: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise DscRefused("the file holds no readable certificate") from None


def _from_json(document: Any) -> list[tuple[x509.Certificate, str | None]]:
    # A DCCG trust list (TrustListDto: kid, country, certificateType, rawData), a bundle's
    # "dscs" list, or one such object.
    if isinstance(document, dict):
        document = document.get("dscs", document.get("certificates", [document]))
    if not isinstance(document, list):
        raise DscRefused("the JSON holds no list of signer certificates")
    found = []
    for entry in document:
        if not isinstance(entry, dict):
            raise DscRefused("an entry of the JSON list is not an object")
        kind = entry.get("certificateType", "DSC")
        if kind != "DSC":
            continue
        raw = entry.get("rawData", entry.get("certificate"))
        if not isinstance(raw, str):
            raise DscRefused("an entry has no rawData (base64 DER)")
        try:
            certificate = _from_der(base64.b64decode(raw, validate=True))
        except binascii.Error:
            raise DscRefused("an entry's rawData is not base64") from None
        given_kid = entry.get("kid")
        if given_kid is not None and given_kid != base64.b64encode(kid_of(certificate)).decode():
            raise DscRefused(
                "an entry's kid does not match its certificate", reason="travel.dsc.kid"
            )
        country = entry.get("country")
        found.append((certificate, country.upper() if isinstance(country, str) else None))
    return found


def read_certificates(data: bytes) -> list[tuple[x509.Certificate, str | None]]:
    """Read signer certificates from a file's bytes, with the country a list names for each.

    Accepts PEM (one or many certificates), DER, base64 DER (one per line) and JSON (a DCC
    Gateway trust list of ``TrustListDto`` objects, or a bundle's ``dscs``).

    Raises:
        DscRefused: nothing readable (``travel.dsc.invalid``), or a listed kid that does not
            match its certificate (``travel.dsc.kid``).
    """
    if len(data) > _MAX_FILE:
        raise DscRefused("the file is too large for a list of signer certificates")
    if data[:1] == b"\x30":
        # DER as it is: its last byte may well be one that strip() would take for a space.
        return [(_from_der(data), None)]
    stripped = data.strip()
    if _PEM_BEGIN in stripped:
        try:
            return [(c, None) for c in x509.load_pem_x509_certificates(stripped)]
        except ValueError:
            raise DscRefused("the PEM file holds no readable certificate") from None
    if stripped[:1] in (b"{", b"["):
        try:
            return _from_json(json.loads(stripped))
        except (ValueError, RecursionError):
            raise DscRefused("the file is not valid JSON") from None
    certificates: list[tuple[x509.Certificate, str | None]] = []
    for line in stripped.split():
        try:
            certificates.append((_from_der(base64.b64decode(line, validate=True)), None))
        except binascii.Error:
            raise DscRefused("the file is neither PEM, DER, base64 nor JSON") from None
    if not certificates:
        raise DscRefused("the file holds no certificate")
    return certificates


def external_signer(certificate: x509.Certificate, country: str | None = None) -> Signer:
    """Check an external signer certificate and return it as a :class:`Signer`.

    Args:
        certificate: the DSC.
        country: the country a trust list names for it; the subject's ``C`` otherwise.

    Raises:
        DscRefused: no country (``travel.dsc.country``), a union member state's certificate
            (``travel.dsc.member_state``: those come only from the trust list), or a key a
            DCC cannot be signed with (``travel.dsc.key``).
    """
    code = country or country_of(certificate)
    if code is None or len(code) != 2 or not code.isalpha():  # noqa: PLR2004 - alpha-2
        raise DscRefused("the certificate names no country", reason="travel.dsc.country")
    code = code.upper()
    if code in STATE_CODES:
        raise DscRefused(
            f"{code} is a member state of the union: its signers come from the trust list",
            reason="travel.dsc.member_state",
        )
    if prepare(certificate).kind == "unusable":
        raise DscRefused(
            "the certificate's key is neither P-256 nor RSA of 2048 bits or more",
            reason="travel.dsc.key",
        )
    return Signer(kid_of(certificate), code, "external", certificate)


def thumbprint(certificate: x509.Certificate) -> str:
    """Return the hex SHA-256 of the certificate's DER."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


class ExternalSigners:
    """The external signers imported on this node.

    Args:
        uow: the node's unit-of-work factory.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def all(self) -> list[Signer]:
        """Return every imported signer, by country then key id."""
        with self._uow() as uow:
            rows = uow.session.scalars(
                select(ExternalDscRow).order_by(ExternalDscRow.country, ExternalDscRow.kid)
            ).all()
            return [
                Signer(
                    bytes.fromhex(row.kid),
                    row.country,
                    "external",
                    _from_der(base64.b64decode(row.certificate)),
                )
                for row in rows
            ]

    def generation(self) -> tuple[int, str]:
        """Return a value that changes whenever the imported set changes (for caches)."""
        with self._uow() as uow:
            thumbprints = uow.session.scalars(select(ExternalDscRow.thumbprint)).all()
        return len(thumbprints), hashlib.sha256("".join(sorted(thumbprints)).encode()).hexdigest()

    def import_signers(
        self, signers: Sequence[Signer], *, source: str, now: datetime
    ) -> list[Signer]:
        """Store signers; return those that were new (importing twice changes nothing)."""
        added = []
        for signer in signers:
            key = thumbprint(signer.certificate)
            der = signer.certificate.public_bytes(serialization.Encoding.DER)
            with self._uow() as uow:
                if uow.session.get(ExternalDscRow, key) is not None:
                    continue
                uow.session.add(
                    ExternalDscRow(
                        thumbprint=key,
                        kid=signer.kid.hex(),
                        country=signer.country,
                        certificate=base64.b64encode(der).decode("ascii"),
                        source=source[:200],
                        imported_at=now,
                    )
                )
                try:
                    uow.commit()
                except IntegrityError:
                    continue  # imported by another request at the same moment
            added.append(signer)
        return added

    def remove(self, thumbprint_hex: str) -> bool:
        """Remove an imported signer; return whether there was one."""
        with self._uow() as uow:
            row = uow.session.get(ExternalDscRow, thumbprint_hex.lower())
            if row is None:
                return False
            uow.session.delete(row)
            uow.commit()
        return True


__all__ = [
    "HEALTH",
    "ISSUER",
    "NOT_PARTICIPATING",
    "SERVICE",
    "VERIFIER",
    "ExternalSigners",
    "Signer",
    "TrustMaterial",
    "country_of",
    "external_signer",
    "material",
    "read_certificates",
    "thumbprint",
    "union_signers",
]
