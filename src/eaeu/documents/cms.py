"""CMS signer infos (RFC 5652) read into evidence, for CAdES files and PAdES signatures alike.

A CMS signature signs the DER of its signed attributes, one of which (``messageDigest``) is
the digest of the content. So the content's integrity is checked here, against a digest
the caller computes (of a file, or of a PDF's byte range), and what remains to verify is a
signature over the signed attributes' digest — the evidence every format shares.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509

from eaeu.documents.evidence import (
    ECDSA,
    HASHES,
    RSA_PKCS1,
    RSA_PSS,
    Failure,
    SignatureEvidence,
    digest,
    load_certificate,
)
from eaeu.documents.model import SubIndication

#: asn1crypto signature algorithm names → evidence mechanisms.
_MECHANISMS = {"ecdsa": ECDSA, "rsassa_pkcs1v15": RSA_PKCS1, "rsassa_pss": RSA_PSS}

ContentDigest = Callable[[str], bytes]


def _attribute(attrs: cms.CMSAttributes, name: str) -> list[Any]:
    return [a["values"] for a in attrs if a["type"].native == name]


def _certificates(signed_data: cms.SignedData) -> list[asn1_x509.Certificate]:
    choices = signed_data["certificates"] or []
    return [choice.chosen for choice in choices if choice.name == "certificate"]


def _signing_certificate(
    signer_info: cms.SignerInfo, certificates: list[asn1_x509.Certificate]
) -> asn1_x509.Certificate | None:
    sid = signer_info["sid"]
    for cert in certificates:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (
                cert.issuer == wanted["issuer"]
                and cert.serial_number == wanted["serial_number"].native
            ):
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    return None


def _cert_reference_matches(signed_attrs: cms.CMSAttributes, cert: asn1_x509.Certificate) -> bool:
    """Check the ESS signing-certificate(-v2) attribute, if any, names ``cert``."""
    for name, v2 in (("signing_certificate_v2", True), ("signing_certificate", False)):
        for values in _attribute(signed_attrs, name):
            for value in values:
                first = value["certs"][0]
                algorithm = first["hash_algorithm"]["algorithm"].native if v2 else "sha1"
                if digest(algorithm, cert.dump()) != first["cert_hash"].native:
                    return False
    return True


def _has_cert_reference(signed_attrs: cms.CMSAttributes) -> bool:
    return bool(
        _attribute(signed_attrs, "signing_certificate_v2")
        or _attribute(signed_attrs, "signing_certificate")
    )


def signer_evidence(
    signed_data: cms.SignedData,
    content_digest: ContentDigest,
    *,
    cades_format: str,
    plain_format: str,
    signing_time: datetime | None = None,
    first_index: int = 1,
) -> list[SignatureEvidence]:
    """Return the evidence of every signer info of ``signed_data``.

    Args:
        signed_data: the CMS signed data.
        content_digest: returns the content's digest for a hash name (``sha256``…).
        cades_format: the format name of a signer info with a signing certificate
            reference (``CAdES-B-B``, ``PAdES-B-B``).
        plain_format: the format name of one without (``CMS``).
        signing_time: the claimed signing time when the container keeps it outside the
            signed attributes (a PDF's ``/M``).
        first_index: the number of the first signature (``sig-<n>``).
    """
    certificates = _certificates(signed_data)
    results = []
    for offset, signer_info in enumerate(signed_data["signer_infos"]):
        sig_id = f"sig-{first_index + offset}"
        results.append(
            _one(
                sig_id,
                signer_info,
                certificates,
                content_digest,
                cades_format,
                plain_format,
                signing_time,
            )
        )
    return results


def _failed(
    sig_id: str, fmt: str, sub: SubIndication, detail: str, **known: Any
) -> SignatureEvidence:
    return SignatureEvidence(
        id=sig_id,
        format=fmt,
        mechanism=known.get("mechanism", ECDSA),
        hash_name=known.get("hash_name", "sha256"),
        tbs_digest=b"",
        signature=b"",
        certificates=known.get("certificates", ()),
        signing_time=known.get("signing_time"),
        failure=Failure(sub, detail),
    )


def _one(  # noqa: PLR0911 - one check per rule, in the order of EN 319 102-1
    sig_id: str,
    signer_info: cms.SignerInfo,
    certificates: list[asn1_x509.Certificate],
    content_digest: ContentDigest,
    cades_format: str,
    plain_format: str,
    signing_time: datetime | None,
) -> SignatureEvidence:
    signed_attrs = signer_info["signed_attrs"]
    with_attrs = signed_attrs is not core.VOID and len(signed_attrs) > 0
    fmt = cades_format if with_attrs and _has_cert_reference(signed_attrs) else plain_format
    algorithm = signer_info["signature_algorithm"]
    mechanism = _MECHANISMS.get(algorithm.signature_algo)
    try:
        hash_name = algorithm.hash_algo
    except ValueError:
        hash_name = signer_info["digest_algorithm"]["algorithm"].native
    content_hash = signer_info["digest_algorithm"]["algorithm"].native
    if mechanism is None or hash_name not in HASHES or content_hash not in HASHES:
        return _failed(sig_id, fmt, SubIndication.FORMAT_FAILURE, "the algorithm is not accepted")
    known: dict[str, Any] = {"mechanism": mechanism, "hash_name": hash_name}
    cert = _signing_certificate(signer_info, certificates)
    if cert is None:
        return _failed(
            sig_id,
            fmt,
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "the signature does not carry its signing certificate",
            **known,
        )
    others = [c for c in certificates if c is not cert]
    known["certificates"] = tuple(load_certificate(c.dump()) for c in (cert, *others))
    if not with_attrs:
        # Without signed attributes the signature is over the content digest itself.
        known["signing_time"] = signing_time
        return _evidence(sig_id, fmt, signer_info, content_digest(hash_name), known)
    claimed = _attribute(signed_attrs, "signing_time")
    if claimed:
        signing_time = claimed[0][0].native.astimezone(UTC)
    known["signing_time"] = signing_time
    content_types = _attribute(signed_attrs, "content_type")
    digests = _attribute(signed_attrs, "message_digest")
    if len(content_types) != 1 or len(digests) != 1 or content_types[0][0].native != "data":
        return _failed(
            sig_id,
            fmt,
            SubIndication.FORMAT_FAILURE,
            "the signed attributes lack a content type or message digest",
            **known,
        )
    if not _cert_reference_matches(signed_attrs, cert):
        return _failed(
            sig_id,
            fmt,
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "the certificate is not the one the signature references",
            **known,
        )
    if digests[0][0].native != content_digest(content_hash):
        return _failed(
            sig_id,
            fmt,
            SubIndication.HASH_FAILURE,
            "the signed content was changed after signing",
            **known,
        )
    # The signature covers the signed attributes re-tagged as a universal SET OF.
    tbs = signed_attrs.untag().dump()
    return _evidence(sig_id, fmt, signer_info, digest(hash_name, tbs), known)


def _evidence(
    sig_id: str, fmt: str, signer_info: cms.SignerInfo, tbs_digest: bytes, known: dict[str, Any]
) -> SignatureEvidence:
    return SignatureEvidence(
        id=sig_id,
        format=fmt,
        mechanism=known["mechanism"],
        hash_name=known["hash_name"],
        tbs_digest=tbs_digest,
        signature=signer_info["signature"].native,
        certificates=known["certificates"],
        signing_time=known.get("signing_time"),
    )
