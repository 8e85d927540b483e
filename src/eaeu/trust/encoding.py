"""Byte encodings shared by every signed artefact: base64url and canonical JSON."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any


def b64url(data: bytes) -> str:
    """Encode ``data`` as unpadded base64url (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url strictly.

    Raises:
        ValueError: ``text`` is not base64url.
    """
    if not isinstance(text, str) or any(c in text for c in "=+/ \n"):
        msg = "not unpadded base64url"
        raise ValueError(msg)
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        msg = "not base64url"
        raise ValueError(msg) from None


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` deterministically: sorted keys, no spaces, UTF-8.

    Two parties that build the same document get the same bytes, so hashes and detached
    signatures over it agree (the subset of RFC 8785 that our documents use: no floats).
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
