"""JSON Web Encryption (RFC 7516) with ECDH-ES key agreement and AES-256-GCM.

Personal-data payloads travel encrypted to the receiving node's encryption key, published
in the union trust list: ``alg: ECDH-ES`` (direct key agreement with an ephemeral P-256 key,
Concat KDF per RFC 7518 §4.6) and ``enc: A256GCM``, compact serialisation. Nothing else is
accepted when decrypting.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash

from eaeu.trust.encoding import b64url, b64url_decode, canonical_json
from eaeu.trust.errors import TrustError
from eaeu.trust.keys import jwk_public_key, public_jwk, thumbprint

ALG = "ECDH-ES"
ENC = "A256GCM"
_KEY_BYTES = 32
_IV_BYTES = 12
_PARTS = 5


class DecryptionFailed(TrustError):
    """An encrypted payload cannot be opened by this key."""

    reason = "encryption.failed"


def _length_prefixed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _content_key(shared: bytes, apu: bytes = b"", apv: bytes = b"") -> bytes:
    other_info = (
        _length_prefixed(ENC.encode("ascii"))
        + _length_prefixed(apu)
        + _length_prefixed(apv)
        + struct.pack(">I", _KEY_BYTES * 8)
    )
    return ConcatKDFHash(hashes.SHA256(), _KEY_BYTES, other_info).derive(shared)


def encrypt(
    plaintext: bytes,
    recipient: ec.EllipticCurvePublicKey,
    *,
    kid: str | None = None,
    header: dict[str, Any] | None = None,
) -> str:
    """Encrypt ``plaintext`` to ``recipient``; return the JWE compact serialisation.

    Args:
        plaintext: the bytes to protect.
        recipient: the receiver's P-256 encryption key (from the trust list).
        kid: the receiver key id written into the protected header.
        header: further protected header parameters (``cty``…).
    """
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    shared = ephemeral.exchange(ec.ECDH(), recipient)
    key = _content_key(shared)
    protected = {
        **(header or {}),
        "alg": ALG,
        "enc": ENC,
        "kid": kid or thumbprint(recipient),
        "epk": public_jwk(ephemeral.public_key()),
    }
    encoded_header = b64url(canonical_json(protected))
    iv = os.urandom(_IV_BYTES)
    sealed = AESGCM(key).encrypt(iv, plaintext, encoded_header.encode("ascii"))
    ciphertext, tag = sealed[:-16], sealed[-16:]
    return f"{encoded_header}..{b64url(iv)}.{b64url(ciphertext)}.{b64url(tag)}"


def decrypt(token: str, key: ec.EllipticCurvePrivateKey) -> tuple[dict[str, Any], bytes]:
    """Open a JWE made by :func:`encrypt` (or any ECDH-ES/A256GCM implementation).

    Returns:
        The protected header and the plaintext.

    Raises:
        DecryptionFailed: malformed token, other algorithm, another key, or a tampered byte.
    """
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != _PARTS:
        raise DecryptionFailed("not a compact JWE", reason="encryption.malformed")
    try:
        header = json.loads(b64url_decode(parts[0]))
        encrypted_key, iv, ciphertext, tag = (b64url_decode(p) for p in parts[1:])
    except (ValueError, RecursionError):  # RecursionError: nested deeper than JSON parses
        raise DecryptionFailed(
            "the JWE is not base64url JSON", reason="encryption.malformed"
        ) from None
    if not isinstance(header, dict) or header.get("alg") != ALG or header.get("enc") != ENC:
        raise DecryptionFailed(f"only {ALG} with {ENC} is accepted", reason="encryption.algorithm")
    if encrypted_key:
        raise DecryptionFailed("ECDH-ES carries no encrypted key", reason="encryption.malformed")
    if header.get("kid") != thumbprint(key.public_key()):
        raise DecryptionFailed("encrypted to another key", reason="encryption.wrong_key")
    epk = header.get("epk")
    try:
        ephemeral = jwk_public_key(epk if isinstance(epk, dict) else {})
    except TrustError:
        raise DecryptionFailed(
            "the ephemeral key is not usable", reason="encryption.malformed"
        ) from None
    if not isinstance(ephemeral, ec.EllipticCurvePublicKey):
        raise DecryptionFailed("the ephemeral key must be P-256", reason="encryption.malformed")
    try:
        # RFC 7518 §4.6.2: party information, when present, enters the key derivation.
        apu, apv = (b64url_decode(header.get(name, "")) for name in ("apu", "apv"))
    except ValueError:
        raise DecryptionFailed(
            "the party information is not base64url", reason="encryption.malformed"
        ) from None
    content_key = _content_key(key.exchange(ec.ECDH(), ephemeral), apu, apv)
    try:
        plaintext = AESGCM(content_key).decrypt(iv, ciphertext + tag, parts[0].encode("ascii"))
    except (InvalidTag, ValueError):
        raise DecryptionFailed(
            "the encrypted payload was altered or is not for this key",
            reason="encryption.tampered",
        ) from None
    return header, plaintext
