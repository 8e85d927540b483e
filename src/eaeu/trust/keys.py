"""Keys: generation, encrypted storage at rest, and the signer/verifier interface.

A ``Signer`` holds a private key and signs bytes for one algorithm; a ``Verifier`` holds a
public key and raises :class:`~eaeu.trust.errors.InvalidSignature` unless a signature is
good. ES256 (ECDSA P-256, SHA-256, raw ``r||s`` as in JWS and COSE) is the default;
PS256 and RS256 are verified; national algorithms plug in behind the same protocols.
Key ids are RFC 7638 JWK thumbprints.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, TypeAlias

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from eaeu.kernel.settings import DEVELOPMENT_SECRET
from eaeu.trust.encoding import b64url, b64url_decode, canonical_json
from eaeu.trust.errors import InvalidSignature, KeyStoreError

ES256 = "ES256"
PS256 = "PS256"
RS256 = "RS256"
#: Algorithms accepted when verifying; anything else (``none``, ``HS256``…) is refused.
VERIFY_ALGORITHMS = frozenset({ES256, PS256, RS256})
_P256_BYTES = 32

PublicKey: TypeAlias = ec.EllipticCurvePublicKey | rsa.RSAPublicKey
PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class Signer(Protocol):
    """Signs bytes with one private key and one algorithm."""

    alg: str
    kid: str

    def sign(self, data: bytes) -> bytes:
        """Return the signature of ``data`` in the algorithm's JOSE encoding."""
        ...


class Verifier(Protocol):
    """Verifies signatures made by one key."""

    alg: str
    kid: str

    def verify(self, data: bytes, signature: bytes) -> None:
        """Return if ``signature`` is valid over ``data``; raise ``InvalidSignature`` if not."""
        ...


def generate_ec_key() -> ec.EllipticCurvePrivateKey:
    """Generate a new P-256 private key."""
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: PublicKey) -> dict[str, str]:
    """Return the public JWK (RFC 7517) of an EC P-256 or RSA public key."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        numbers = key.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(_P256_BYTES, "big")),
            "y": b64url(numbers.y.to_bytes(_P256_BYTES, "big")),
        }
    rsa_numbers = key.public_numbers()
    return {
        "kty": "RSA",
        "n": b64url(rsa_numbers.n.to_bytes((rsa_numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64url(rsa_numbers.e.to_bytes((rsa_numbers.e.bit_length() + 7) // 8, "big")),
    }


def jwk_public_key(jwk: Mapping[str, Any]) -> PublicKey:
    """Build a public key from a JWK.

    Raises:
        InvalidSignature: the JWK is not an EC P-256 or RSA public key (``signature.kid``).
    """
    try:
        if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
            x = int.from_bytes(b64url_decode(jwk["x"]), "big")
            y = int.from_bytes(b64url_decode(jwk["y"]), "big")
            return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
        if jwk.get("kty") == "RSA":
            n = int.from_bytes(b64url_decode(jwk["n"]), "big")
            e = int.from_bytes(b64url_decode(jwk["e"]), "big")
            return rsa.RSAPublicNumbers(e, n).public_key()
    except (KeyError, ValueError, TypeError):
        pass
    raise InvalidSignature("the key is not a usable public key", reason="signature.kid")


def thumbprint(key: PublicKey) -> str:
    """Return the RFC 7638 JWK thumbprint (SHA-256, base64url) used as key id."""
    jwk = public_jwk(key)
    required = {
        k: jwk[k] for k in (("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("e", "kty", "n"))
    }
    return b64url(hashlib.sha256(canonical_json(required)).digest())


class EcSigner:
    """ES256 signer over a P-256 private key.

    The key is never part of ``repr`` or logs.
    """

    alg = ES256

    def __init__(self, key: ec.EllipticCurvePrivateKey, kid: str | None = None) -> None:
        self._key = key
        self.kid = kid or thumbprint(key.public_key())

    def __repr__(self) -> str:
        return f"EcSigner(kid={self.kid!r})"

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        """The matching public key."""
        return self._key.public_key()

    def sign(self, data: bytes) -> bytes:
        """Return the raw ``r||s`` ES256 signature of ``data``."""
        der = self._key.sign(data, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return r.to_bytes(_P256_BYTES, "big") + s.to_bytes(_P256_BYTES, "big")

    def verifier(self) -> PublicKeyVerifier:
        """A verifier for this signer's signatures."""
        return PublicKeyVerifier(self.public_key, ES256, self.kid)


class PublicKeyVerifier:
    """Verifies ES256, PS256 or RS256 signatures with one public key.

    Args:
        key: the public key.
        alg: the algorithm this key may be used with; a signature claiming another is refused.
        kid: the key id (its JWK thumbprint by default).
    """

    def __init__(self, key: PublicKey, alg: str = ES256, kid: str | None = None) -> None:
        if alg not in VERIFY_ALGORITHMS:
            raise InvalidSignature(f"the algorithm {alg!r} is not accepted", reason="signature.alg")
        if (alg == ES256) != isinstance(key, ec.EllipticCurvePublicKey):
            raise InvalidSignature(
                f"the key does not fit the algorithm {alg}", reason="signature.alg"
            )
        self.key = key
        self.alg = alg
        self.kid = kid or thumbprint(key)

    def __repr__(self) -> str:
        return f"PublicKeyVerifier(alg={self.alg!r}, kid={self.kid!r})"

    def verify(self, data: bytes, signature: bytes) -> None:
        """Return if the signature is valid; raise ``InvalidSignature`` otherwise."""
        try:
            if isinstance(self.key, ec.EllipticCurvePublicKey):
                if len(signature) != 2 * _P256_BYTES:
                    raise InvalidSignature(
                        "an ES256 signature is 64 bytes", reason="signature.malformed"
                    )
                r = int.from_bytes(signature[:_P256_BYTES], "big")
                s = int.from_bytes(signature[_P256_BYTES:], "big")
                self.key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
            elif self.alg == PS256:
                self.key.verify(
                    signature,
                    data,
                    padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                    hashes.SHA256(),
                )
            else:
                self.key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        except _CryptoInvalidSignature:
            raise InvalidSignature("the signature does not verify") from None


def save_private_key(key: PrivateKey, path: Path, passphrase: bytes) -> None:
    """Write ``key`` to ``path`` as PKCS#8 PEM encrypted with ``passphrase`` (mode 0600)."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_bytes(pem)
    path.chmod(0o600)


def load_private_key(path: Path, passphrase: bytes) -> PrivateKey:
    """Read an encrypted private key.

    Raises:
        KeyStoreError: the file is missing (``keys.missing``) or the passphrase is wrong
            (``keys.passphrase``).
    """
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise KeyStoreError(f"no key at {path}", reason="keys.missing") from None
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except (ValueError, TypeError):
        raise KeyStoreError(
            f"the key at {path} cannot be opened with this passphrase", reason="keys.passphrase"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise KeyStoreError(f"the key at {path} is of an unsupported type", reason="keys.type")
    return key


def key_passphrase(secret: str, *, development: bool) -> bytes:
    """Return the passphrase that protects keys at rest.

    Raises:
        KeyStoreError: the development placeholder is used outside development mode.
    """
    if secret == DEVELOPMENT_SECRET and not development:
        raise KeyStoreError(
            "keys cannot be protected with the development passphrase outside development mode",
            reason="keys.development_passphrase",
        )
    return secret.encode("utf-8")
