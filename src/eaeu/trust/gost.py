"""GOST R 34.10-2012 (256-bit) signatures behind the ``Signer``/``Verifier`` protocols.

The national signature algorithm of Russia (and, as GOST 34.10-2018, of the other member
states that adopted it), through the pure-Python ``gostcrypto`` package. Conventions:

* the message is hashed with Streebog-256 (GOST R 34.11-2012); the digest's bytes are read
  as a little-endian integer, as the OpenSSL gost-engine and PyGOST do (the hash values
  printed in RFC 6986 are the same bytes in reverse);
* a public key is ``x || y`` and a signature ``r || s``, 32 bytes each, big-endian, like
  ES256 in JOSE. JOSE registers no GOST algorithm; the name ``GOST3410-2012-256`` is ours.
  (X.509 and CMS write ``s || r`` instead, RFC 9215 §2.2.2: convert at that boundary.)
* curves are the TC26 parameter sets of R 1323565.1.024-2019; ``paramSetB`` (the former
  CryptoPro-A set) by default.

The JWS layer does not accept this algorithm yet (its allow-list is ES256, PS256, RS256);
this module lets national validators and document services sign and verify with it.
``gostcrypto`` is slow (about 0.03 s to sign, 0.08 s to verify): hash large payloads once.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from gostcrypto import gosthash, gostsignature  # type: ignore[import-untyped]

from eaeu.trust.errors import InvalidSignature

ALG = "GOST3410-2012-256"
#: The TC26 256-bit parameter sets (R 1323565.1.024-2019), by name.
CURVES: Mapping[str, Mapping[str, int]] = {
    name: params
    for name, params in gostsignature.CURVES_R_1323565_1_024_2019.items()
    if "-256-" in name
}
DEFAULT_CURVE = "id-tc26-gost-3410-2012-256-paramSetB"
_SIZE = 32

Curve = str | Mapping[str, int]


def _params(curve: Curve) -> Mapping[str, int]:
    params = CURVES.get(curve) if isinstance(curve, str) else curve
    if params is None:
        raise ValueError(f"unknown GOST R 34.10-2012 256-bit curve {curve!r}")
    return params


def _engine(curve: Curve) -> Any:
    return gostsignature.new(gostsignature.MODE_256, dict(_params(curve)))


def streebog256(data: bytes) -> bytes:
    """Return the GOST R 34.11-2012 (Streebog) 256-bit hash of ``data``."""
    return bytes(gosthash.new("streebog256", data=bytearray(data)).digest())


def _digest_value(digest: bytes) -> bytearray:
    # gostcrypto reads the digest big-endian; the standard's integer is little-endian bytes.
    return bytearray(digest[::-1])


def generate_private_key(curve: Curve = DEFAULT_CURVE) -> bytes:
    """Return a new private key (32 bytes, big-endian) for ``curve``.

    Raises:
        ValueError: unknown curve name.
    """
    return (secrets.randbelow(_params(curve)["q"] - 1) + 1).to_bytes(_SIZE, "big")


def key_id(public_key: bytes) -> str:
    """Return the key id of a GOST public key: base64url SHA-256 of ``x || y``, unpadded."""
    digest = hashlib.sha256(public_key).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class GostSigner:
    """A GOST R 34.10-2012 256-bit signer.

    The private key is never part of ``repr`` or logs.

    Args:
        private_key: 32 bytes, big-endian.
        curve: a name from :data:`CURVES` or curve parameters (``p a b q x y``).
        kid: the key id; :func:`key_id` of the public key by default.

    Raises:
        ValueError: the key is not 32 bytes or the curve is unknown.
    """

    alg = ALG

    def __init__(
        self, private_key: bytes, *, curve: Curve = DEFAULT_CURVE, kid: str | None = None
    ) -> None:
        if len(private_key) != _SIZE:
            raise ValueError("a GOST R 34.10-2012 256-bit private key is 32 bytes")
        self._curve = curve
        self._engine = _engine(curve)
        self._key = bytearray(private_key)
        self.public_key = bytes(self._engine.public_key_generate(bytearray(private_key)))
        self.kid = kid or key_id(self.public_key)

    def __repr__(self) -> str:
        return f"GostSigner(kid={self.kid!r})"

    def sign(self, data: bytes) -> bytes:
        """Return the ``r || s`` signature of the Streebog-256 hash of ``data``."""
        digest = _digest_value(streebog256(data))
        return bytes(self._engine.sign(bytearray(self._key), digest))

    def verifier(self) -> GostVerifier:
        """A verifier for this signer's signatures."""
        return GostVerifier(self.public_key, curve=self._curve, kid=self.kid)


class GostVerifier:
    """Verifies GOST R 34.10-2012 256-bit signatures with one public key.

    Args:
        public_key: ``x || y``, 64 bytes, big-endian.
        curve: a name from :data:`CURVES` or curve parameters.
        kid: the key id; :func:`key_id` of the public key by default.

    Raises:
        InvalidSignature: the public key is not 64 bytes (``signature.kid``).
        ValueError: the curve is unknown.
    """

    alg = ALG

    def __init__(
        self, public_key: bytes, *, curve: Curve = DEFAULT_CURVE, kid: str | None = None
    ) -> None:
        if len(public_key) != 2 * _SIZE:
            raise InvalidSignature(
                "a GOST R 34.10-2012 256-bit public key is 64 bytes", reason="signature.kid"
            )
        self._engine = _engine(curve)
        self.public_key = bytes(public_key)
        self.kid = kid or key_id(self.public_key)

    def __repr__(self) -> str:
        return f"GostVerifier(kid={self.kid!r})"

    def verify(self, data: bytes, signature: bytes) -> None:
        """Return if ``signature`` is valid over ``data``; raise ``InvalidSignature`` if not."""
        self.verify_digest(streebog256(data), signature)

    def verify_digest(self, digest: bytes, signature: bytes) -> None:
        """Verify a signature over a Streebog-256 digest computed elsewhere.

        Raises:
            InvalidSignature: the signature is not 64 bytes (``signature.malformed``) or
                does not verify (``signature.invalid``).
        """
        if len(signature) != 2 * _SIZE:
            raise InvalidSignature(
                "a GOST R 34.10-2012 256-bit signature is 64 bytes", reason="signature.malformed"
            )
        if not self._engine.verify(
            bytearray(self.public_key), _digest_value(digest), bytearray(signature)
        ):
            raise InvalidSignature("the signature does not verify")
