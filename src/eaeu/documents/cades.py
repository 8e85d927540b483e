"""CAdES and plain CMS signatures over a file (RFC 5652, ETSI EN 319 122-1), attached or detached.

The signature is a DER (or PEM) ``ContentInfo`` of type ``signedData``, as
``openssl cms -sign -binary -in FILE -signer CERT -inkey KEY -outform DER`` writes it. A
detached signature (the default of ``openssl cms -sign``) needs the signed file beside it;
an attached one carries it. A signer info with an ESS signing-certificate(-v2) attribute
is ``CAdES-B-B``; one without is plain ``CMS``.
"""

from __future__ import annotations

import base64
import binascii
import re

from asn1crypto import cms

from eaeu.documents.cms import signer_evidence
from eaeu.documents.errors import DocumentUnreadable
from eaeu.documents.evidence import SignatureEvidence, digest

FORMAT = "CAdES-B-B"
PLAIN_FORMAT = "CMS"
_PEM = re.compile(rb"-----BEGIN (?:PKCS7|CMS)-----(.+?)-----END (?:PKCS7|CMS)-----", re.DOTALL)


def looks_like_cms(data: bytes) -> bool:
    """Whether ``data`` might be a CMS signature (DER ``SEQUENCE`` or PEM armour)."""
    return data[:1] == b"\x30" or _PEM.search(data[:4096] + data[-4096:]) is not None


def _der(data: bytes) -> bytes:
    match = _PEM.search(data)
    if match is None:
        return data
    try:
        return base64.b64decode(b"".join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError):
        raise DocumentUnreadable("The signature file is not valid PEM.") from None


def read(signature: bytes, detached: bytes | None = None) -> tuple[bytes, list[SignatureEvidence]]:
    """Read a CMS signature and return the signed content and each signature's evidence.

    Args:
        signature: the CMS ``ContentInfo`` (DER or PEM).
        detached: the signed file, for a detached signature.

    Raises:
        DocumentUnreadable: not a CMS signed-data structure (``documents.unrecognised``),
            or a detached signature without its file (``documents.detached_missing``).
    """
    unreadable = DocumentUnreadable("The file is not a CMS (CAdES) signature.")
    try:
        info = cms.ContentInfo.load(_der(signature), strict=True)
        content_type = info["content_type"].native
        signed_data = info["content"]
        encapsulated = signed_data["encap_content_info"]["content"]
        attached = encapsulated.native if encapsulated is not None else None
        _ = signed_data["signer_infos"].native  # parse everything now, not half-way later
    except (ValueError, TypeError, KeyError):
        raise unreadable from None
    if content_type != "signed_data":
        raise unreadable
    content = attached if attached is not None else detached
    if content is None:
        raise DocumentUnreadable(
            "This signature is detached: add the signed file to check it.",
            reason="documents.detached_missing",
        )
    if not signed_data["signer_infos"]:
        raise DocumentUnreadable(
            "The signature file holds no signature.", reason="documents.unsigned"
        )
    evidence = signer_evidence(
        signed_data,
        lambda name: digest(name, content),
        cades_format=FORMAT,
        plain_format=PLAIN_FORMAT,
    )
    return content, evidence
