"""Keys, signers and verifiers, and JWS: published vectors, refused algorithms, malformed input."""

import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from eaeu.kernel.settings import DEVELOPMENT_SECRET
from eaeu.trust import jws
from eaeu.trust.encoding import b64url, b64url_decode, canonical_json
from eaeu.trust.errors import InvalidSignature, KeyStoreError, TrustError
from eaeu.trust.keys import (
    ES256,
    PS256,
    RS256,
    EcSigner,
    PublicKeyVerifier,
    generate_ec_key,
    jwk_public_key,
    key_passphrase,
    public_jwk,
    thumbprint,
)

# RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_F"
        "DW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4v"
        "MQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
ES256_HEADER = b64url(b'{"alg":"ES256"}')

# RFC 7515 Appendix A.3: a JWS using ECDSA P-256 SHA-256, with its public key.
RFC7515_A3_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}
RFC7515_A3_TOKEN = (
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
)


class RsaSigner:
    """A PS256 or RS256 signer, as a foreign national PKI would use."""

    def __init__(self, key, alg):
        self._key = key
        self.alg = alg
        self.kid = thumbprint(key.public_key())

    def sign(self, data):
        if self.alg == PS256:
            pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            return self._key.sign(data, pad, hashes.SHA256())
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def signer():
    return EcSigner(generate_ec_key())


def token_with_header(header, payload=b"{}", signature=b"x" * 64):
    return f"{b64url(json.dumps(header).encode())}.{b64url(payload)}.{b64url(signature)}"


class TestEncoding:
    def test_base64url_round_trips_without_padding(self):
        assert b64url(b"\xfb\xff") == "-_8"
        assert b64url_decode("-_8") == b"\xfb\xff"

    @pytest.mark.parametrize("text", ["YQ==", "a+b/", "a b", 42])
    def test_refuses_padding_other_alphabets_and_non_text(self, text):
        with pytest.raises(ValueError, match="not unpadded base64url"):
            b64url_decode(text)

    def test_refuses_an_impossible_length(self):
        with pytest.raises(ValueError, match="not base64url"):
            b64url_decode("A")

    def test_canonical_json_sorts_keys_and_drops_spaces(self):
        assert canonical_json({"b": 1, "a": ["é", None]}) == '{"a":["é",null],"b":1}'.encode()


class TestKeys:
    def test_thumbprint_matches_rfc_7638(self):
        assert thumbprint(jwk_public_key(RFC7638_JWK)) == RFC7638_THUMBPRINT

    def test_ec_jwk_round_trips(self, signer):
        jwk = public_jwk(signer.public_key)
        assert jwk["kty"] == "EC"
        assert jwk["crv"] == "P-256"
        assert jwk_public_key(jwk) == signer.public_key

    def test_rsa_jwk_round_trips(self, rsa_key):
        jwk = public_jwk(rsa_key.public_key())
        assert set(jwk) == {"kty", "n", "e"}
        assert jwk_public_key(jwk) == rsa_key.public_key()

    @pytest.mark.parametrize(
        "jwk",
        [
            {"kty": "EC", "crv": "P-256", "x": RFC7515_A3_JWK["x"]},
            {"kty": "EC", "crv": "P-256", "x": "A", "y": "A"},
            {"kty": "EC", "crv": "P-256", "x": RFC7515_A3_JWK["y"], "y": RFC7515_A3_JWK["x"]},
            {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
            {"kty": "RSA", "n": 5, "e": "AQAB"},
            {"kty": "oct", "k": "AA"},
        ],
        ids=["missing-y", "bad-base64", "not-on-curve", "other-curve", "rsa-not-text", "oct"],
    )
    def test_refuses_a_jwk_that_is_not_a_usable_public_key(self, jwk):
        with pytest.raises(InvalidSignature, match="not a usable public key") as raised:
            jwk_public_key(jwk)
        assert raised.value.reason == "signature.kid"

    def test_the_key_id_of_a_signer_is_its_thumbprint_unless_given(self, signer):
        assert signer.kid == thumbprint(signer.public_key)
        assert EcSigner(generate_ec_key(), kid="chosen").kid == "chosen"

    def test_no_private_key_in_a_repr(self, signer):
        assert repr(signer) == f"EcSigner(kid={signer.kid!r})"
        assert repr(signer.verifier()) == f"PublicKeyVerifier(alg='ES256', kid={signer.kid!r})"


class TestVerifiers:
    def test_verifies_an_es256_signature_and_refuses_another_message(self, signer):
        signature = signer.sign(b"message")
        assert len(signature) == 64
        signer.verifier().verify(b"message", signature)
        with pytest.raises(InvalidSignature, match="does not verify") as raised:
            signer.verifier().verify(b"other", signature)
        assert raised.value.reason == "signature.invalid"

    def test_an_es256_signature_must_be_64_bytes(self, signer):
        with pytest.raises(InvalidSignature, match="64 bytes") as raised:
            signer.verifier().verify(b"message", signer.sign(b"message")[:63])
        assert raised.value.reason == "signature.malformed"

    @pytest.mark.parametrize("alg", [PS256, RS256])
    def test_verifies_rsa_signatures(self, rsa_key, alg):
        rsa_signer = RsaSigner(rsa_key, alg)
        verifier = PublicKeyVerifier(rsa_key.public_key(), alg)
        verifier.verify(b"message", rsa_signer.sign(b"message"))
        with pytest.raises(InvalidSignature, match="does not verify"):
            verifier.verify(b"tampered", rsa_signer.sign(b"message"))

    def test_a_pkcs1_signature_does_not_pass_as_pss(self, rsa_key):
        verifier = PublicKeyVerifier(rsa_key.public_key(), PS256)
        with pytest.raises(InvalidSignature, match="does not verify") as raised:
            verifier.verify(b"message", RsaSigner(rsa_key, RS256).sign(b"message"))
        assert raised.value.reason == "signature.invalid"

    @pytest.mark.parametrize("alg", ["none", "HS256", "ES384"])
    def test_refuses_algorithms_outside_the_allow_list(self, signer, alg):
        with pytest.raises(InvalidSignature, match="is not accepted") as raised:
            PublicKeyVerifier(signer.public_key, alg)
        assert raised.value.reason == "signature.alg"

    def test_refuses_a_key_that_does_not_fit_the_algorithm(self, signer, rsa_key):
        with pytest.raises(InvalidSignature, match="does not fit the algorithm PS256") as raised:
            PublicKeyVerifier(signer.public_key, PS256)
        assert raised.value.reason == "signature.alg"
        with pytest.raises(InvalidSignature, match="does not fit the algorithm ES256"):
            PublicKeyVerifier(rsa_key.public_key(), ES256)


class TestPassphrase:
    def test_refuses_the_development_passphrase_outside_development(self):
        with pytest.raises(KeyStoreError, match="outside development mode") as raised:
            key_passphrase(DEVELOPMENT_SECRET, development=False)
        assert raised.value.reason == "keys.development_passphrase"

    def test_accepts_the_development_passphrase_in_development(self):
        assert key_passphrase(DEVELOPMENT_SECRET, development=True) == DEVELOPMENT_SECRET.encode()

    def test_a_real_secret_is_the_passphrase(self):
        assert key_passphrase("s" * 40, development=False) == b"s" * 40


def resolver_for(verifier):
    return lambda _header: verifier


class TestCompactJws:
    def test_verifies_the_rfc_7515_es256_example(self):
        verifier = PublicKeyVerifier(jwk_public_key(RFC7515_A3_JWK))
        verified = jws.verify_compact(RFC7515_A3_TOKEN, resolver_for(verifier))
        assert json.loads(verified.payload)["iss"] == "joe"
        assert verified.header == {"alg": "ES256"}

    def test_round_trips_with_extra_header_parameters(self, signer):
        token = jws.sign_compact(b"payload", signer, {"typ": "test+jws"})
        verified = jws.verify_compact(token, resolver_for(signer.verifier()))
        assert verified.payload == b"payload"
        assert verified.header == {"typ": "test+jws", "alg": "ES256", "kid": signer.kid}
        assert verified.verifier.kid == signer.kid

    def test_a_changed_payload_does_not_verify(self, signer):
        header, _, signature = jws.sign_compact(b"payload", signer).split(".")
        with pytest.raises(InvalidSignature, match="does not verify") as raised:
            jws.verify_compact(
                f"{header}.{b64url(b'payloaD')}.{signature}", resolver_for(signer.verifier())
            )
        assert raised.value.reason == "signature.invalid"

    def test_refuses_alg_none(self, signer):
        token = token_with_header({"alg": "none"}, signature=b"")
        with pytest.raises(InvalidSignature, match="'none' is not accepted") as raised:
            jws.verify_compact(token, resolver_for(signer.verifier()))
        assert raised.value.reason == "signature.alg"

    def test_refuses_hs256_even_keyed_with_the_public_key(self, signer):
        token = token_with_header({"alg": "HS256", "kid": signer.kid})
        with pytest.raises(InvalidSignature, match="'HS256' is not accepted") as raised:
            jws.verify_compact(token, resolver_for(signer.verifier()))
        assert raised.value.reason == "signature.alg"

    @pytest.mark.parametrize("name", ["jwk", "jku", "x5u"])
    def test_never_trusts_a_key_named_in_the_header(self, signer, name):
        token = token_with_header({"alg": "ES256", name: public_jwk(signer.public_key)})
        with pytest.raises(InvalidSignature, match="never trusted") as raised:
            jws.verify_compact(token, resolver_for(signer.verifier()))
        assert raised.value.reason == "signature.header_key"

    def test_refuses_critical_extensions(self, signer):
        token = token_with_header({"alg": "ES256", "crit": ["exp"], "exp": 1})
        with pytest.raises(InvalidSignature, match="critical header") as raised:
            jws.verify_compact(token, resolver_for(signer.verifier()))
        assert raised.value.reason == "signature.crit"

    def test_refuses_a_signature_claiming_another_algorithm_than_the_key(self, signer):
        token = jws.sign_compact(b"payload", signer)
        _, payload, signature = token.split(".")
        forged = f"{b64url(canonical_json({'alg': 'RS256', 'kid': signer.kid}))}.{payload}"
        with pytest.raises(InvalidSignature, match="the key is for ES256") as raised:
            jws.verify_compact(f"{forged}.{signature}", resolver_for(signer.verifier()))
        assert raised.value.reason == "signature.alg"

    @pytest.mark.parametrize(
        ("token", "match"),
        [
            (None, "not a compact JWS"),
            ("a.b", "not a compact JWS"),
            ("a.b.c.d", "not a compact JWS"),
            ("!!.e30.AA", "not base64url JSON"),
            (f"{b64url(b'not json')}.e30.AA", "not base64url JSON"),
            (f"{b64url(b'[1]')}.e30.AA", "not an object"),
            (f"{ES256_HEADER}.e3=.AA", "not base64url"),
            (f"{ES256_HEADER}.e30.A", "not base64url"),
        ],
        ids=[
            "none",
            "two-parts",
            "four-parts",
            "header-b64",
            "header-json",
            "header-list",
            "payload-b64",
            "signature-b64",
        ],
    )
    def test_refuses_a_malformed_token(self, signer, token, match):
        with pytest.raises(InvalidSignature, match=match) as raised:
            jws.verify_compact(token, resolver_for(signer.verifier()))
        assert raised.value.reason == "signature.malformed"

    def test_the_resolver_decides_which_keys_exist(self, signer):
        def unknown(header):
            raise InvalidSignature("unknown key", reason="signature.kid")

        with pytest.raises(InvalidSignature, match="unknown key") as raised:
            jws.verify_compact(jws.sign_compact(b"x", signer), unknown)
        assert raised.value.reason == "signature.kid"


class TestGeneralJws:
    def test_signs_by_several_keys_and_verifies_each(self, signer):
        other = EcSigner(generate_ec_key())
        signed = jws.sign_general(b"list", [(signer, {"n": 1}), (other, {"n": 2})])
        assert signed["payload"] == b64url(b"list")
        verifiers = [signer.verifier(), other.verifier()]
        for entry, verifier in zip(signed["signatures"], verifiers, strict=True):
            verified = jws.verify_general_signature(
                signed["payload"], entry, resolver_for(verifier)
            )
            assert verified.payload == b"list"
            assert verified.verifier is verifier
        assert verified.header == {"n": 2, "alg": "ES256", "kid": other.kid}

    def test_verifies_an_rsa_signature_in_a_general_jws(self, rsa_key):
        entry = jws.add_signature(b64url(b"list"), RsaSigner(rsa_key, PS256), {})
        verifier = PublicKeyVerifier(rsa_key.public_key(), PS256)
        assert jws.verify_general_signature(b64url(b"list"), entry, resolver_for(verifier))

    def test_a_signature_over_another_payload_does_not_verify(self, signer):
        entry = jws.add_signature(b64url(b"list"), signer, {})
        with pytest.raises(InvalidSignature, match="does not verify") as raised:
            jws.verify_general_signature(b64url(b"lisT"), entry, resolver_for(signer.verifier()))
        assert raised.value.reason == "signature.invalid"

    @pytest.mark.parametrize(
        ("entry", "payload", "match"),
        [
            ({"signature": "AA"}, "e30", "incomplete"),
            ({"protected": "eyJhbGciOiJFUzI1NiJ9", "signature": 1}, "e30", "incomplete"),
            ({"protected": "eyJhbGciOiJFUzI1NiJ9", "signature": "A"}, "e30", "not base64url"),
            ({"protected": "eyJhbGciOiJFUzI1NiJ9", "signature": "AA"}, "e3=", "not base64url"),
        ],
        ids=["no-header", "signature-not-text", "signature-b64", "payload-b64"],
    )
    def test_refuses_a_malformed_signature_entry(self, signer, entry, payload, match):
        with pytest.raises(InvalidSignature, match=match) as raised:
            jws.verify_general_signature(payload, entry, resolver_for(signer.verifier()))
        assert raised.value.reason == "signature.malformed"

    def test_refuses_alg_none_in_a_general_jws(self, signer):
        entry = {"protected": b64url(b'{"alg":"none"}'), "signature": ""}
        with pytest.raises(InvalidSignature, match="not accepted") as raised:
            jws.verify_general_signature("e30", entry, resolver_for(signer.verifier()))
        assert raised.value.reason == "signature.alg"


class TestErrors:
    def test_every_trust_error_carries_its_reason(self):
        assert TrustError("x").reason == "trust.error"
        assert (
            repr(InvalidSignature("bad"))
            == "InvalidSignature(reason='signature.invalid', message='bad')"
        )
