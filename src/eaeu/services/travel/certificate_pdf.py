"""A printable PDF of a test certificate: the QR code as vector squares and the facts in Latin.

Written by hand like :func:`eaeu.documents.pades.simple_pdf`, without a dependency: one A4
page, the standard Helvetica fonts (so text is Latin-1; the certificate's names are in their
ICAO Latin form anyway), and the QR code drawn module by module as filled rectangles, so that
it prints sharp at any size. The QR code is the same symbol as the PNG and SVG (alphanumeric
mode, error correction level Q, four modules of quiet zone) and measures 70 mm, a size
verifiers scan reliably (the HCERT specification recommends at least 35 mm).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from eaeu.services.travel.qr import qr_code

_PAGE_W: Final = 595
_PAGE_H: Final = 842
_MARGIN: Final = 56
_QR_SIZE: Final = 198  # points: 70 mm
_QUIET: Final = 4
_GREEN: Final = "0 0.439 0.235"  # #00703c, GOV.UK success
_GREY: Final = "0.314 0.353 0.373"  # #505a5f
_RULE: Final = "0.694 0.706 0.714"  # #b1b4b6, GOV.UK border


def _text(value: str) -> str:
    latin = value.encode("latin-1", "replace").decode("latin-1")
    return latin.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _line(x: float, y: float, text: str, *, size: int = 11, bold: bool = False) -> str:
    font = "F2" if bold else "F1"
    return f"BT /{font} {size} Tf {x:.2f} {y:.2f} Td ({_text(text)}) Tj ET"


def _qr_ops(text: str, x: float, y: float, size: float) -> list[str]:
    matrix = qr_code(text).matrix
    count = len(matrix) + 2 * _QUIET
    module = size / count
    ops = ["1 1 1 rg", f"{x:.2f} {y:.2f} {size:.2f} {size:.2f} re f", "0 0 0 rg"]
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + _QUIET + 1) * module
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            run = column
            while run < len(row) and row[run]:
                run += 1
            left = x + (column + _QUIET) * module
            # A hair of overlap, so that no white seam shows between adjacent modules.
            width, height = (run - column) * module + 0.05, module + 0.05
            ops.append(f"{left:.3f} {top:.3f} {width:.3f} {height:.3f} re")
            column = run
    ops.append("f")
    return ops


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def certificate_pdf(
    *,
    text: str,
    payload: Mapping[str, Any],
    issued_at: datetime,
    expires_at: datetime,
    state_name: str,
) -> bytes:
    """Write the printable certificate.

    Args:
        text: the ``HC1:`` text (the QR code).
        payload: the DCC payload as signed (names, date of birth, the test entry).
        issued_at: ``iat``.
        expires_at: ``exp``.
        state_name: the issuing state's name in English.
    """
    entry = payload["t"][0]
    name = payload["nam"]
    holder = f"{name.get('fnt', '').replace('<', ' ')}, {name.get('gnt', '').replace('<', ' ')}"
    test_type = (
        "NAAT / PCR (LP6464-4)" if entry["tt"] == "LP6464-4" else "Rapid antigen (LP217198-3)"
    )
    rows: list[tuple[str, str]] = [
        ("Name", holder.strip(", ")),
        ("Date of birth", str(payload["dob"])),
        ("Disease", "COVID-19 (SNOMED CT 840539006)"),
        ("Test", test_type),
    ]
    if "ma" in entry:
        rows.append(("Test device (EU list)", str(entry["ma"])))
    rows += [
        ("Sample collected", entry["sc"].replace("T", " ").replace("Z", " UTC")),
        ("Result", "Not detected (SNOMED CT 260415000)"),
        ("Testing centre", str(entry["tc"])),
        ("Country of test", str(entry["co"])),
        ("Issuer", str(entry["is"])),
        ("Certificate identifier", str(entry["ci"])),
        ("Issued", _when(issued_at)),
        ("Valid for travel until", _when(expires_at)),
    ]
    ops = [
        _line(_MARGIN, 790, "COVID-19 test certificate", size=22, bold=True),
        f"{_GREY} rg",
        _line(_MARGIN, 768, f"EAEU Digital Platform - {state_name} - EU DCC compatible", size=11),
        f"{_GREEN} rg",
        f"{_MARGIN} 712 {_PAGE_W - 2 * _MARGIN} 40 re f",
        "1 1 1 rg",
        _line(_MARGIN + 14, 727, "NEGATIVE - SARS-CoV-2 not detected", size=16, bold=True),
        "0 0 0 rg",
    ]
    qr_x = (_PAGE_W - _QR_SIZE) / 2
    qr_y = 490
    ops += _qr_ops(text, qr_x, qr_y, _QR_SIZE)
    ops.append(f"{_GREY} rg")
    caption = "Scan with the EAEU verifier or any EU DCC verifier app."
    # Helvetica averages about half an em per character: near enough to centre a caption.
    ops.append(_line((_PAGE_W - len(caption) * 9 * 0.5) / 2, qr_y - 16, caption, size=9))
    ops.append("0 0 0 rg")
    y = qr_y - 48
    for label, value in rows:
        ops.append(_line(_MARGIN, y, label, size=10, bold=True))
        ops.append(_line(_MARGIN + 150, y, value, size=10))
        ops.append(f"{_RULE} RG 0.5 w {_MARGIN} {y - 6} m {_PAGE_W - _MARGIN} {y - 6} l S")
        y -= 22
    ops.append(f"{_GREY} rg")
    ops.append(
        _line(
            _MARGIN,
            64,
            "Signed by the health ministry's document signer (ES256). Personal data stays in "
            "the issuing state.",
            size=8,
        )
    )
    return _document("COVID-19 test certificate", "\n".join(ops).encode("latin-1"))


def _document(title: str, stream: bytes) -> bytes:
    objects: Sequence[bytes] = (
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_PAGE_W} {_PAGE_H}] "
            "/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
        ).encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Title (" + _text(title).encode("latin-1") + b") /Producer (EAEU Digital Platform) >>",
    )
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


__all__ = ["certificate_pdf"]
