"""QR codes of certificates, and an independent decoder reading ours back.

The independent check reads our PNG with zxing-cpp directly and verifies the certificate
with nothing of ours but Base45: plain ``zlib``, ``cbor2`` and ``cryptography``, written
here from the HCERT specification, so a shared misunderstanding cannot hide a defect.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from datetime import UTC, datetime, timedelta

import cbor2
import pytest
import segno
import zxingcpp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID
from PIL import Image, ImageFilter

from eaeu.services.travel.base45 import b45decode
from eaeu.services.travel.errors import QrError
from eaeu.services.travel.hcert import Holder, LabResult, TestType, issue_test_certificate
from eaeu.services.travel.qr import (
    MAX_IMAGE_BYTES,
    qr_code,
    read_hc1,
    read_qr,
    render_png,
    render_svg,
)
from eaeu.services.travel.uvci import make_uvci

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def signer() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "BY Health DSC")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return key, certificate


@pytest.fixture(scope="module")
def hc1(signer) -> str:
    key, certificate = signer
    return issue_test_certificate(
        Holder(family_name="Ковалёў", given_name="Янка", date_of_birth="1985-11-02"),
        LabResult(
            test_type=TestType.NAAT,
            sample_collected=NOW - timedelta(hours=30),
            detected=False,
            country="BY",
            issuer="Ministry of Health of Belarus",
            centre="Minsk City Laboratory",
        ),
        uvci=make_uvci("BY", "MINSK2026000123"),
        signer=key,
        certificate=certificate,
        issuer_country="BY",
        issued_at=NOW - timedelta(hours=2),
    ).text


def png_of(code: segno.QRCode) -> bytes:
    out = io.BytesIO()
    code.save(out, kind="png", scale=3, border=4)
    return out.getvalue()


class TestRendering:
    def test_writes_alphanumeric_mode_at_level_q(self, hc1):
        code = qr_code(hc1)
        assert (code.mode, code.error) == ("alphanumeric", "Q")

    def test_renders_a_png_that_reads_back(self, hc1):
        png = render_png(hc1)
        assert png.startswith(b"\x89PNG")
        reading = read_qr(png)
        assert reading.text == hc1
        assert (reading.error_level, reading.alphanumeric) == ("Q", True)
        assert reading.version == qr_code(hc1).version

    def test_renders_an_svg_document(self, hc1):
        svg = render_svg(hc1)
        assert svg.startswith("<svg")
        assert "path" in svg

    def test_refuses_text_outside_the_alphanumeric_set(self):
        with pytest.raises(QrError, match="alphanumeric") as caught:
            render_png("HC1:lower case")
        assert caught.value.reason == "qr.mode"

    def test_refuses_text_too_long_for_a_qr_code(self):
        with pytest.raises(QrError, match="does not fit") as caught:
            render_svg("A" * 5000)
        assert caught.value.reason == "qr.too_large"


class TestReading:
    def test_reads_a_photographed_code(self, hc1):
        picture = Image.open(io.BytesIO(render_png(hc1, scale=6))).convert("L")
        photo = picture.rotate(13, expand=True, fillcolor=255).filter(ImageFilter.GaussianBlur(1))
        assert read_hc1(photo) == hc1

    def test_refuses_a_code_not_in_alphanumeric_mode(self, hc1):
        # BasicDgcTestsList Q2.
        png = png_of(segno.make(hc1, error="q", mode="byte", boost_error=False))
        assert read_qr(png).alphanumeric is False
        with pytest.raises(QrError, match="alphanumeric") as caught:
            read_hc1(png)
        assert caught.value.reason == "qr.mode"
        assert read_hc1(png, require_alphanumeric=False) == hc1

    def test_reports_text_that_alphanumeric_mode_cannot_hold(self):
        png = png_of(segno.make("hc1:abc", error="q", boost_error=False, micro=False))
        assert read_qr(png).alphanumeric is False

    @pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n broken"])
    def test_refuses_what_is_not_an_image(self, data):
        with pytest.raises(QrError, match="not an image") as caught:
            read_qr(data)
        assert caught.value.reason == "qr.unreadable"

    def test_refuses_an_image_without_a_code(self):
        blank = Image.new("L", (200, 200), 255)
        with pytest.raises(QrError, match="no readable QR code"):
            read_qr(blank)

    def test_refuses_an_image_with_two_codes(self):
        sheet = Image.new("L", (400, 160), 255)
        for i, text in enumerate(("HC1:AAA", "HC1:BBB")):
            sheet.paste(Image.open(io.BytesIO(render_png(text))), (10 + 200 * i, 10))
        with pytest.raises(QrError, match="more than one") as caught:
            read_qr(sheet)
        assert caught.value.reason == "qr.ambiguous"

    def test_refuses_oversized_images(self):
        with pytest.raises(QrError, match="too large"):
            read_qr(b"\x00" * (MAX_IMAGE_BYTES + 1))
        with pytest.raises(QrError, match="too large"):
            read_qr(Image.new("1", (8000, 6000)))


def independent_verify(text: str, certificate: x509.Certificate, at: datetime) -> dict:
    """A minimal HCERT verifier from the specification, sharing no code with ours."""
    assert text.startswith("HC1:")
    cose = zlib.decompress(b45decode(text[4:]))
    message = cbor2.loads(cose)
    assert isinstance(message, cbor2.CBORTag)
    assert message.tag == 18
    protected, unprotected, payload, signature = message.value
    header = cbor2.loads(protected)
    der = certificate.public_bytes(serialization.Encoding.DER)
    assert header == {1: -7, 4: hashlib.sha256(der).digest()[:8]}
    assert unprotected == {}
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    public_key = certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(encode_dss_signature(r, s), to_be_signed, ec.ECDSA(hashes.SHA256()))
    claims = cbor2.loads(payload)
    assert claims[6] <= at.timestamp() <= claims[4]
    return claims


class TestIndependentDecoder:
    def test_reads_and_verifies_our_certificate_without_our_verifier(self, hc1, signer):
        _, certificate = signer
        picture = Image.open(io.BytesIO(render_png(hc1)))
        (barcode,) = zxingcpp.read_barcodes(picture)
        assert barcode.format == zxingcpp.BarcodeFormat.QRCode
        assert barcode.text == hc1
        claims = independent_verify(barcode.text, certificate, NOW)
        assert claims[1] == "BY"
        dcc = claims[-260][1]
        assert dcc["nam"] == {"fn": "Ковалёў", "gn": "Янка", "fnt": "KOVALIOU", "gnt": "IANKA"}
        entry = dcc["t"][0]
        assert (entry["tt"], entry["tr"], entry["co"]) == ("LP6464-4", "260415000", "BY")
        assert entry["ci"].startswith("URN:UVCI:01:BY:MINSK2026000123#")
