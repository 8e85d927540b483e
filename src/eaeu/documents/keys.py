"""Signing keys held by the home node for people and organisations, like a national cloud signature.

A person does not carry a smart card: their home node holds a P-256 key for them, created
on first use, with a certificate the state's root CA issues (profile ``PERSON``; an
organisation's key gets ``ORGANISATION``). The private key is sealed at rest with
AES-256-GCM under a key derived (HKDF-SHA256) from the node secret, and is unsealed only
for a caller that presents a :class:`SignerAuthorisation` — a signed-in session whose
second factor is complete. The web layer decides whether a session is such a one; this
module refuses anything less, so a key cannot be used by a half-signed-in session even
through a bug in a page. This is the model of a remote ("cloud") qualified signature:
sole control through authentication at the holder's service, not possession of a device.

Revoking a key (:meth:`DocumentKeys.revoke`) records the certificate in the node's
revocation table, which the node's CRL lists; the next use creates a new key.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from asn1crypto import cms as asn1_cms
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eaeu.documents.errors import SignerLocked
from eaeu.documents.evidence import cert_b64
from eaeu.documents.log import logger
from eaeu.documents.orm import SigningKeyRow
from eaeu.documents.revocation import record_revocation
from eaeu.kernel.clock import Clock, utc
from eaeu.kernel.ids import uuid7
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.trust import pki
from eaeu.trust.encoding import b64url, b64url_decode
from eaeu.trust.errors import CertificateInvalid, KeyStoreError
from eaeu.trust.keys import ES256, EcSigner, Signer, generate_ec_key

PERSON = "person"
ORGANISATION = "organisation"
#: How long a node-held signing certificate is valid.
KEY_DAYS = 730
#: A key closer than this to its certificate's end is replaced on next use.
_RENEW_BEFORE = timedelta(days=1)
_SEAL_VERSION = "v1"
_SEAL_INFO = b"eaeu documents signing key v1"
_P256_BYTES = 32


def pseudonym(state: str) -> str:
    """A new random pseudonym for a person's signing certificate (``serialNumber``).

    ``<STATE>-PSN-`` and 20 random hex digits: the state says where to ask, the rest says
    nothing about the person and differs for every key, so two certificates of one person
    cannot be linked by it. The certificate, stored with the key, is where it is kept.
    """
    return f"{state}-PSN-{secrets.token_hex(10).upper()}"


@dataclass(frozen=True, slots=True)
class SignerAuthorisation:
    """Proof, given by the web layer, that a person may unlock their signing keys now.

    Attributes:
        person_id: the signed-in person.
        session_id: the session that authorised the use (kept for audit, never logged).
        second_factor: whether the session completed its second factor; keys stay locked
            without it.
        organisations: organisations the person may sign for (as employer, lab…).
    """

    person_id: str
    session_id: str
    second_factor: bool
    organisations: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CertifiedKey:
    """A signing key with its certificate and the chain up to (not including) the root.

    Attributes:
        signer: signs with the private key (ES256).
        certificate: the signing certificate.
        chain: intermediate certificates, nearest first (none under the EAEU roots).
        key_id: the node's id of a node-held key.
    """

    signer: Signer = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()
    key_id: str | None = None

    @cached_property
    def header_cache(self) -> dict[tuple[str, str], str]:
        """Encoded parts of this key's JWS headers, kept by :mod:`eaeu.documents.jades`."""
        return {}

    @cached_property
    def der(self) -> bytes:
        """The signing certificate in DER."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @cached_property
    def x5c(self) -> tuple[str, ...]:
        """The JWS ``x5c`` value: the certificate and its chain in base64 DER."""
        return (cert_b64(self.certificate), *(cert_b64(c) for c in self.chain))

    @cached_property
    def x5t_s256(self) -> str:
        """The JWS ``x5t#S256`` value: base64url SHA-256 of the certificate's DER."""
        return b64url(self.certificate.fingerprint(hashes.SHA256()))

    @cached_property
    def issuer_serial(self) -> str:
        """Base64 of the DER ``IssuerSerial`` of the certificate (the JAdES ``kid``)."""
        cert = asn1_x509.Certificate.load(self.der)
        value = asn1_cms.IssuerSerial(
            {
                "issuer": [asn1_x509.GeneralName({"directory_name": cert.issuer})],
                "serial": cert.serial_number,
            }
        )
        return base64.b64encode(value.dump()).decode("ascii")


def _der_signature(raw: bytes) -> bytes:
    r = int.from_bytes(raw[:_P256_BYTES], "big")
    s = int.from_bytes(raw[_P256_BYTES:], "big")
    return encode_dss_signature(r, s)


class CertificateAuthority:
    """A state's root CA as the documents service uses it: it issues and it revokes.

    The root key is reached only through a :class:`~eaeu.trust.keys.Signer`, so it may
    live in a hardware module: certificates and CRLs are built with a throwaway key, and
    their to-be-signed part is then signed by the root signer and reassembled.

    Args:
        root: the root CA certificate (from the trust list or the key folder).
        signer: the root's ES256 signer (``LocalUnion.governance_signer``).
    """

    def __init__(self, root: x509.Certificate, signer: Signer) -> None:
        if signer.alg != ES256:
            raise KeyStoreError("the root signer must sign ES256", reason="keys.type")
        self.root = root
        self._signer = signer
        self._scratch = generate_ec_key()
        countries = root.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
        self.state = str(countries[0].value) if countries else ""

    def __repr__(self) -> str:
        return f"CertificateAuthority(state={self.state!r})"

    def _signed(self, tbs: bytes) -> bytes:
        return _der_signature(self._signer.sign(tbs))

    def issue(
        self,
        public_key: ec.EllipticCurvePublicKey,
        *,
        common_name: str,
        identifier: str,
        profile: pki.Profile,
        now: datetime,
        days: int = KEY_DAYS,
        organisation: str | None = None,
    ) -> x509.Certificate:
        """Issue an end-entity certificate for a person or an organisation.

        Args:
            public_key: the subject's public key.
            common_name: the subject's name.
            identifier: the subject ``serialNumber`` (ETSI EN 319 412-1 semantics).
            profile: :data:`~eaeu.trust.pki.PERSON` or :data:`~eaeu.trust.pki.ORGANISATION`.
            now: the start of validity.
            days: how long it is valid (clipped to the root's validity).
            organisation: the subject organisation, if any.

        Raises:
            CertificateInvalid: the root is not valid during the requested validity
                (``certificate.expired``), or the signer is not the root's key
                (``certificate.untrusted``).
        """
        start = max(utc(now), self.root.not_valid_before_utc)
        end = min(utc(now) + timedelta(days=days), self.root.not_valid_after_utc)
        if end <= start:
            raise CertificateInvalid(
                "the root CA is not valid during the requested validity",
                reason="certificate.expired",
            )
        names = [x509.NameAttribute(NameOID.COUNTRY_NAME, self.state)]
        if organisation:
            names.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
        names += [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, identifier),
        ]
        root_ski = self.root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        draft = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(names))
            .issuer_name(self.root.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=profile.non_repudiation,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage(list(profile.purposes)), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
                critical=False,
            )
            .sign(self._scratch, hashes.SHA256())
        )
        tbs = draft.tbs_certificate_bytes
        signed = asn1_x509.Certificate(
            {
                "tbs_certificate": asn1_x509.TbsCertificate.load(tbs),
                "signature_algorithm": {"algorithm": "sha256_ecdsa"},
                "signature_value": self._signed(tbs),
            }
        )
        cert = x509.load_der_x509_certificate(signed.dump())
        try:
            cert.verify_directly_issued_by(self.root)
        except Exception:  # noqa: BLE001 - any failure means the signer is not the root's key
            raise CertificateInvalid(
                "the root signer does not hold the root CA's key", reason="certificate.untrusted"
            ) from None
        return cert

    def crl(
        self,
        revoked: Iterable[tuple[int, datetime]],
        *,
        now: datetime,
        next_update: datetime,
        number: int,
    ) -> bytes:
        """Return a DER CRL (RFC 5280) of ``revoked`` serials, signed by the root.

        Args:
            revoked: ``(serial, revocation time)`` of every revoked certificate.
            now: ``thisUpdate``.
            next_update: ``nextUpdate``: when a relying party must fetch a fresh one.
            number: the CRL number (grows with every change).
        """
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.root.subject)
            .last_update(utc(now))
            .next_update(utc(next_update))
            .add_extension(x509.CRLNumber(number), critical=False)
        )
        for serial, at in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(utc(at))
                .build()
            )
        draft = builder.sign(self._scratch, hashes.SHA256())
        tbs = draft.tbs_certlist_bytes
        signed = asn1_crl.CertificateList(
            {
                "tbs_cert_list": asn1_crl.TbsCertList.load(tbs),
                "signature_algorithm": {"algorithm": "sha256_ecdsa"},
                "signature": self._signed(tbs),
            }
        )
        der: bytes = signed.dump()
        return der


def _hkdf(secret: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_SEAL_INFO).derive(secret)


def seal(secret: bytes, key_id: str, plaintext: bytes) -> str:
    """Encrypt ``plaintext`` under a key derived from ``secret``, bound to ``key_id``."""
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_hkdf(secret, salt)).encrypt(nonce, plaintext, key_id.encode("utf-8"))
    return ".".join((_SEAL_VERSION, b64url(salt), b64url(nonce), b64url(sealed)))


def unseal(secret: bytes, key_id: str, text: str) -> bytes:
    """Decrypt what :func:`seal` produced.

    Raises:
        KeyStoreError: the node secret is not the one the key was sealed with, or the
            sealed key was altered or moved to another row (``keys.passphrase``).
    """
    version, _, rest = text.partition(".")
    try:
        if version != _SEAL_VERSION:
            raise ValueError(version)  # noqa: TRY301 - one refusal for every unreadable form
        salt, nonce, sealed = rest.split(".")
        return AESGCM(_hkdf(secret, b64url_decode(salt))).decrypt(
            b64url_decode(nonce), b64url_decode(sealed), key_id.encode("utf-8")
        )
    except (ValueError, InvalidTag):
        raise KeyStoreError(
            "a signing key cannot be opened with this node's secret", reason="keys.passphrase"
        ) from None


class DocumentKeys:
    """The signing keys this node holds for its people and organisations.

    Args:
        state: this node's member state.
        uow: the node's unit-of-work factory.
        clock: the node's clock.
        authority: the state's root CA.
        secret: the node secret the keys are sealed with (``Settings.secret_key``).
        days: how long a new certificate is valid.
    """

    def __init__(
        self,
        *,
        state: str,
        uow: UnitOfWorkFactory,
        clock: Clock,
        authority: CertificateAuthority,
        secret: bytes,
        days: int = KEY_DAYS,
    ) -> None:
        self.state = state
        self._uow = uow
        self._clock = clock
        self.authority = authority
        self._secret = secret
        self._days = days

    def __repr__(self) -> str:
        return f"DocumentKeys(state={self.state!r})"

    def person_key(
        self, authorised: SignerAuthorisation, *, name: str, identifier: str | None = None
    ) -> CertifiedKey:
        """Unlock the signed-in person's key, creating it and its certificate on first use.

        Args:
            authorised: the person's authorisation; its second factor must be complete.
            name: the person's name for the certificate (``CN``).
            identifier: the certificate ``serialNumber``; by default a random pseudonym
                made for each new key (:func:`pseudonym`) and kept in its certificate, so
                that no account id or national identifier links a person's signatures
                across states or across their keys.

        Raises:
            SignerLocked: the second factor is not complete (``documents.second_factor``).
        """
        self._require(authorised)
        return self._unlock(PERSON, authorised.person_id, name, identifier, None, pki.PERSON)

    def organisation_key(
        self,
        authorised: SignerAuthorisation,
        organisation_id: str,
        *,
        name: str,
        identifier: str,
    ) -> CertifiedKey:
        """Unlock an organisation's key for a person who may sign for it.

        Args:
            authorised: the acting person's authorisation.
            organisation_id: the organisation.
            name: the organisation's name (``CN`` and ``O``).
            identifier: its registration number (``serialNumber``, ``NTR<STATE>-…``).

        Raises:
            SignerLocked: the second factor is not complete (``documents.second_factor``),
                or the person may not sign for the organisation (``documents.not_authorised``).
        """
        self._require(authorised)
        if organisation_id not in authorised.organisations:
            raise SignerLocked(
                "You may not sign on behalf of this organisation.",
                reason="documents.not_authorised",
            )
        return self._unlock(ORGANISATION, organisation_id, name, identifier, name, pki.ORGANISATION)

    @staticmethod
    def _require(authorised: SignerAuthorisation) -> None:
        if not authorised.second_factor:
            raise SignerLocked(
                "Confirm your sign-in with the one-time code before you sign.",
                reason="documents.second_factor",
            )

    def certificate(self, owner_kind: str, owner_id: str) -> x509.Certificate | None:
        """Return the certificate of the owner's current key, without unlocking it."""
        with self._uow() as uow:
            row = self._current(uow.session, owner_kind, owner_id)
            return _load(row.certificate) if row is not None else None

    def _current(self, session: Session, owner_kind: str, owner_id: str) -> SigningKeyRow | None:
        limit = self._clock.now() + _RENEW_BEFORE
        return session.scalars(
            select(SigningKeyRow)
            .where(
                SigningKeyRow.owner_kind == owner_kind,
                SigningKeyRow.owner_id == owner_id,
                SigningKeyRow.revoked_at.is_(None),
                SigningKeyRow.not_after > limit,
            )
            .order_by(SigningKeyRow.generation.desc())
            .limit(1)
        ).first()

    def _unlock(
        self,
        owner_kind: str,
        owner_id: str,
        name: str,
        identifier: str | None,
        organisation: str | None,
        profile: pki.Profile,
    ) -> CertifiedKey:
        for _ in range(3):
            with self._uow() as uow:
                row = self._current(uow.session, owner_kind, owner_id)
                if row is not None:
                    return self._open(row)
                now = self._clock.now()
                key = generate_ec_key()
                cert = self.authority.issue(
                    key.public_key(),
                    common_name=name,
                    identifier=identifier or pseudonym(self.state),
                    profile=profile,
                    now=now,
                    days=self._days,
                    organisation=organisation,
                )
                key_id = str(uuid7())
                der = key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
                generation = uow.session.scalar(
                    select(func.coalesce(func.max(SigningKeyRow.generation), 0)).where(
                        SigningKeyRow.owner_kind == owner_kind,
                        SigningKeyRow.owner_id == owner_id,
                    )
                )
                row = SigningKeyRow(
                    id=key_id,
                    owner_kind=owner_kind,
                    owner_id=owner_id,
                    generation=int(generation or 0) + 1,
                    state=self.state,
                    serial=format(cert.serial_number, "x"),
                    certificate=cert_b64(cert),
                    sealed_key=seal(self._secret, key_id, der),
                    created_at=now,
                    not_after=cert.not_valid_after_utc,
                )
                uow.session.add(row)
                try:
                    uow.commit()
                except IntegrityError:
                    # Another request created the owner's key at the same moment: use it.
                    uow.rollback()
                    continue
                logger.info("documents.key.created", key_id=key_id, owner_kind=owner_kind)
                return CertifiedKey(EcSigner(key), cert, (), key_id)
        raise KeyStoreError(  # pragma: no cover - three collisions in a row
            "the signing key could not be created; try again", reason="keys.busy"
        )

    def _open(self, row: SigningKeyRow) -> CertifiedKey:
        der = unseal(self._secret, row.id, row.sealed_key)
        key = serialization.load_der_private_key(der, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):  # pragma: no cover - we made it
            raise KeyStoreError("a signing key is not an EC key", reason="keys.type")
        logger.info("documents.key.unlocked", key_id=row.id, owner_kind=row.owner_kind)
        return CertifiedKey(EcSigner(key), _load(row.certificate), (), row.id)

    def revoke_owner(
        self, owner_kind: str, owner_id: str, *, reason: str = "unspecified"
    ) -> list[str]:
        """Revoke every key of an owner; the node's CRL lists their certificates from now on.

        Args:
            owner_kind: ``person`` or ``organisation``.
            owner_id: the person's or organisation's id.
            reason: an RFC 5280 reason name (``keyCompromise``, ``unspecified``…).

        Returns:
            The serial numbers (hex) of the certificates revoked.
        """
        now = self._clock.now()
        revoked = []
        with self._uow() as uow:
            rows = uow.session.scalars(
                select(SigningKeyRow).where(
                    SigningKeyRow.owner_kind == owner_kind,
                    SigningKeyRow.owner_id == owner_id,
                    SigningKeyRow.revoked_at.is_(None),
                )
            ).all()
            for row in rows:
                row.revoked_at = now
                record_revocation(uow.session, row.serial, at=now, reason=reason)
                revoked.append(row.serial)
                logger.info("documents.key.revoked", key_id=row.id, owner_kind=row.owner_kind)
            uow.commit()
        return revoked


def _load(b64: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(b64))
