"""QR codes of certificates: rendered with segno, read with zxing-cpp.

Rendering follows the HCERT specification's recommendations: alphanumeric mode (an
``HC1:`` text is made of Base45 characters, all in the QR alphanumeric set, so it packs
5.5 bits per character instead of 8), error correction level Q (25 % of the symbol may be
damaged), and a quiet zone of four modules.

Reading accepts PNG, JPEG or any image Pillow opens, photographs included (zxing-cpp
searches rotated, inverted and downscaled variants). A QR code does not say which encoding
mode its text used once decoded, so :func:`read_qr` infers it from the symbol's size: a
symbol at least as large as byte mode would need for the text (and larger than
alphanumeric mode needs) was not written in alphanumeric mode. :func:`read_hc1` refuses such
a code (BasicDgcTestsList Q2) unless told otherwise.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Final

import segno
import zxingcpp
from PIL import Image, UnidentifiedImageError

from eaeu.services.travel.errors import QrError

ERROR_LEVEL: Final = "q"
#: The largest image accepted for reading, in bytes and in pixels.
MAX_IMAGE_BYTES: Final = 20 * 1024 * 1024
MAX_IMAGE_PIXELS: Final = 40_000_000
_QUIET_ZONE: Final = 4
_QR_FORMATS: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


@dataclass(frozen=True, slots=True)
class QrReading:
    """A QR code read from an image.

    Attributes:
        text: the decoded text.
        version: the symbol version (1 to 40).
        error_level: ``L``, ``M``, ``Q`` or ``H``.
        alphanumeric: whether the symbol is consistent with alphanumeric mode.
    """

    text: str
    version: int
    error_level: str
    alphanumeric: bool


def qr_code(text: str) -> segno.QRCode:
    """Return the QR code of ``text`` in alphanumeric mode at error correction level Q.

    Raises:
        QrError: the text has characters outside the alphanumeric set (``qr.mode``) or does
            not fit a QR code (``qr.too_large``).
    """
    try:
        return segno.make(
            text, error=ERROR_LEVEL, mode="alphanumeric", boost_error=False, micro=False
        )
    except segno.DataOverflowError:
        raise QrError("the text does not fit a QR code", reason="qr.too_large") from None
    except ValueError:
        raise QrError("the text cannot be written in alphanumeric mode", reason="qr.mode") from None


def render_png(text: str, *, scale: int = 4) -> bytes:
    """Return a PNG image of the QR code of ``text`` (``scale`` pixels per module).

    Raises:
        QrError: see :func:`qr_code`.
    """
    out = io.BytesIO()
    qr_code(text).save(out, kind="png", scale=scale, border=_QUIET_ZONE)
    return out.getvalue()


def render_svg(text: str, *, scale: int = 4) -> str:
    """Return an SVG document of the QR code of ``text``.

    Raises:
        QrError: see :func:`qr_code`.
    """
    out = io.BytesIO()
    qr_code(text).save(out, kind="svg", scale=scale, border=_QUIET_ZONE, xmldecl=False)
    return out.getvalue().decode("utf-8")


def _minimal_version(text: str, error_level: str, mode: str) -> int | None:
    try:
        code = segno.make(text, error=error_level, mode=mode, boost_error=False, micro=False)
    except (ValueError, segno.DataOverflowError):
        return None
    return int(code.version)


def _alphanumeric(text: str, version: int, error_level: str) -> bool:
    alphanumeric = _minimal_version(text, error_level, "alphanumeric")
    if alphanumeric is None:
        return False
    byte = _minimal_version(text, error_level, "byte")
    return byte is None or byte == alphanumeric or version < byte


def _open(image: bytes | Image.Image) -> Image.Image:
    if isinstance(image, Image.Image):
        picture = image
    else:
        if len(image) > MAX_IMAGE_BYTES:
            raise QrError("the image is too large", reason="qr.too_large")
        try:
            picture = Image.open(io.BytesIO(image))
        except (UnidentifiedImageError, OSError, ValueError):
            raise QrError("the file is not an image", reason="qr.unreadable") from None
    width, height = picture.size
    if width * height > MAX_IMAGE_PIXELS:
        raise QrError("the image is too large", reason="qr.too_large")
    return picture


def read_qr(image: bytes | Image.Image) -> QrReading:
    """Read the one QR code in an image.

    Args:
        image: the encoded image file (PNG, JPEG…) or a Pillow image.

    Returns:
        The reading.

    Raises:
        QrError: not an image, too large (``qr.too_large``), no readable QR code
            (``qr.unreadable``) or more than one (``qr.ambiguous``).
    """
    picture = _open(image)
    try:
        found = zxingcpp.read_barcodes(picture, formats=_QR_FORMATS)
    except (ValueError, OSError):
        raise QrError("the image cannot be read", reason="qr.unreadable") from None
    if not found:
        raise QrError("the image holds no readable QR code", reason="qr.unreadable")
    if len(found) > 1:
        raise QrError("the image holds more than one QR code", reason="qr.ambiguous")
    barcode = found[0]
    extra: dict[str, Any] = barcode.extra if isinstance(barcode.extra, dict) else {}
    version_text = str(extra.get("Version", ""))
    version = int(version_text) if version_text.isdigit() else 0
    error_level = str(extra.get("ECLevel", barcode.ec_level))
    text = barcode.text
    return QrReading(text, version, error_level, _alphanumeric(text, version, error_level))


def read_hc1(image: bytes | Image.Image, *, require_alphanumeric: bool = True) -> str:
    """Return the certificate text of the QR code in an image.

    Args:
        image: the image.
        require_alphanumeric: refuse a code not written in alphanumeric mode, as EU DCC
            verifiers must (BasicDgcTestsList Q2); some issuers' codes are byte mode.

    Raises:
        QrError: see :func:`read_qr`; a code not in alphanumeric mode (``qr.mode``).
    """
    reading = read_qr(image)
    if require_alphanumeric and not reading.alphanumeric:
        raise QrError("the QR code is not in alphanumeric mode", reason="qr.mode")
    return reading.text


__all__ = [
    "ERROR_LEVEL",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "QrReading",
    "qr_code",
    "read_hc1",
    "read_qr",
    "render_png",
    "render_svg",
]
