"""PAdES baseline B-B (ETSI EN 319 142-1): PDFs signed with pyHanko, checked like any CMS.

Signing goes through pyHanko with a pyHanko ``Signer`` that hands the to-be-signed bytes
to our :class:`~eaeu.documents.keys.CertifiedKey`, so a node-held key never leaves its
signer. Each further party signs in an incremental update (a new signature field), which
leaves earlier signatures intact. Reading uses pyHanko to find the signatures, the byte
range each covers and whether later revisions only added signatures; the CMS inside is
then read into evidence like a CAdES signature.

:func:`simple_pdf` writes a one-page PDF of text lines (a contract to sign) without any
dependency; it uses the standard Helvetica font, so text outside Latin-1 is replaced.
"""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel, SuspiciousModification
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator.registry import SimpleCertificateStore

from eaeu.documents.cms import signer_evidence
from eaeu.documents.errors import DocumentUnreadable
from eaeu.documents.evidence import Failure, SignatureEvidence
from eaeu.documents.keys import CertifiedKey
from eaeu.documents.model import SubIndication

FORMAT = "PAdES-B-B"
PLAIN_FORMAT = "PDF-CMS"
PDF_MAGIC = b"%PDF-"
_P256_BYTES = 32
_DRY_RUN_SIGNATURE = bytes(72)  # the longest DER ECDSA P-256 signature


class _KeySigner(signers.Signer):
    """A pyHanko signer that signs through a :class:`CertifiedKey`."""

    def __init__(self, key: CertifiedKey) -> None:
        cert = asn1_x509.Certificate.load(key.der)
        chain = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in key.chain]
        super().__init__(
            signing_cert=cert,
            cert_registry=SimpleCertificateStore.from_certs([cert, *chain]),  # type: ignore[no-untyped-call]
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            embed_roots=False,
        )
        self._key = key

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if digest_algorithm != "sha256":
            raise ValueError(f"only SHA-256 is supported, not {digest_algorithm}")
        if dry_run:
            return _DRY_RUN_SIGNATURE
        raw = self._key.signer.sign(data)
        return encode_dss_signature(
            int.from_bytes(raw[:_P256_BYTES], "big"), int.from_bytes(raw[_P256_BYTES:], "big")
        )


class _TimedPdfSigner(signers.PdfSigner):
    """A pyHanko PDF signer whose signing time (``/M``) comes from our clock."""

    def __init__(
        self, meta: signers.PdfSignatureMetadata, signer: signers.Signer, at: datetime
    ) -> None:
        super().__init__(meta, signer)
        self._at = at

    def init_signing_session(self, *args: Any, **kwargs: Any) -> PdfSigningSession:
        session = super().init_signing_session(*args, **kwargs)
        session.system_time = self._at
        return session


def sign(
    pdf: bytes,
    key: CertifiedKey,
    *,
    signing_time: datetime,
    reason: str | None = None,
    location: str | None = None,
) -> bytes:
    """Sign ``pdf`` (PAdES B-B) in a new signature field; return the signed PDF.

    A PDF signed before gets the signature in an incremental update, so every earlier
    signature stays valid.

    Args:
        pdf: the PDF's bytes.
        key: the signer.
        signing_time: the claimed signing time (``/M``).
        reason: why the signer signs (shown by PDF readers).
        location: where the signer signs.

    Raises:
        DocumentUnreadable: ``pdf`` is not a PDF pyHanko can update.
    """
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        existing = len(PdfFileReader(BytesIO(pdf)).embedded_signatures)
        meta = signers.PdfSignatureMetadata(
            field_name=f"Signature{existing + 1}",
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason,
            location=location,
        )
        out = _TimedPdfSigner(meta, _KeySigner(key), signing_time).sign_pdf(writer)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise DocumentUnreadable(f"The PDF cannot be signed: {type(exc).__name__}.") from None
    data: bytes = out.getvalue()
    return data


def read(pdf: bytes) -> list[SignatureEvidence]:
    """Return the evidence of every signature in ``pdf``, first signed first.

    Raises:
        DocumentUnreadable: not a readable PDF (``documents.unrecognised``), or one
            without signatures (``documents.unsigned``).
    """
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        found = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, AttributeError):
        raise DocumentUnreadable("The file is not a readable PDF.") from None
    if not found:
        raise DocumentUnreadable("The PDF carries no signature.", reason="documents.unsigned")
    return [_evidence(i, sig) for i, sig in enumerate(found, 1)]


def _evidence(index: int, sig: EmbeddedPdfSignature) -> SignatureEvidence:
    sig_id = f"sig-{index}"
    subfilter = sig.sig_object.get("/SubFilter")
    fmt = FORMAT if subfilter == "/ETSI.CAdES.detached" else PLAIN_FORMAT
    claimed = sig.self_reported_timestamp
    signing_time = claimed.astimezone(UTC) if claimed is not None else None
    try:
        sig.compute_integrity_info()  # type: ignore[no-untyped-call]
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError):
        return _failure(sig_id, fmt, SubIndication.FORMAT_FAILURE, "the signature cannot be read")
    # pyHanko fills these in compute_integrity_info; its annotations say None.
    coverage: Any = sig.coverage
    diff: Any = sig.diff_result
    if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return _failure(
            sig_id, fmt, SubIndication.FORMAT_FAILURE, "the signature does not cover its revision"
        )
    if isinstance(diff, SuspiciousModification) or (
        diff is not None and diff.modification_level > ModificationLevel.FORM_FILLING
    ):
        return _failure(
            sig_id,
            fmt,
            SubIndication.HASH_FAILURE,
            "the document was changed after this signature beyond adding signatures",
        )
    evidence = signer_evidence(
        sig.signed_data,
        sig.compute_digest,
        cades_format=fmt,
        plain_format=PLAIN_FORMAT,
        signing_time=signing_time,
        first_index=index,
    )
    if len(evidence) != 1:
        return _failure(sig_id, fmt, SubIndication.FORMAT_FAILURE, "a PDF signature has one signer")
    return evidence[0]


def _failure(sig_id: str, fmt: str, sub: SubIndication, detail: str) -> SignatureEvidence:
    return SignatureEvidence(
        id=sig_id,
        format=fmt,
        mechanism="ecdsa",
        hash_name="sha256",
        tbs_digest=b"",
        signature=b"",
        certificates=(),
        signing_time=None,
        failure=Failure(sub, detail),
    )


def _escape(text: str) -> str:
    latin = text.encode("latin-1", "replace").decode("latin-1")
    return latin.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def simple_pdf(title: str, lines: list[str]) -> bytes:
    """Write a one-page A4 PDF with a title and lines of text.

    Args:
        title: the heading (also the document title).
        lines: the body, one line each (Latin-1; other characters become ``?``).
    """
    text = [f"BT /F1 16 Tf 56 780 Td ({_escape(title)}) Tj ET"]
    y = 750
    for line in lines:
        text.append(f"BT /F1 11 Tf 56 {y} Td ({_escape(line)}) Tj ET")
        y -= 16
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
        ),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Title ("
        + _escape(title).encode("latin-1")
        + b") /Producer (EAEU Digital Platform) >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)
