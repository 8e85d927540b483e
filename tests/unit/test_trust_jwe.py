"""JSON Web Encryption with ECDH-ES and A256GCM: round trips, jwcrypto interop, refusals."""

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwe as jwcrypto_jwe
from jwcrypto import jwk as jwcrypto_jwk

from eaeu.trust import jwe
from eaeu.trust.encoding import b64url, b64url_decode, canonical_json
from eaeu.trust.errors import TrustError
from eaeu.trust.keys import generate_ec_key, public_jwk, thumbprint

PLAINTEXT = b'{"name": "\xd0\x90\xd0\xb9\xd0\xb3\xd1\x83\xd0\xbb\xd1\x8c"}'


@pytest.fixture(scope="module")
def key():
    return generate_ec_key()


@pytest.fixture(scope="module")
def other_key():
    return generate_ec_key()


@pytest.fixture(scope="module")
def token(key):
    return jwe.encrypt(PLAINTEXT, key.public_key(), header={"cty": "json"})


def parts(token):
    return token.split(".")


def header_of(token):
    return json.loads(b64url_decode(parts(token)[0]))


def with_header(token, **changes):
    """The token with its protected header changed (``None`` removes a parameter)."""
    header = {k: v for k, v in {**header_of(token), **changes}.items() if v is not None}
    return ".".join([b64url(canonical_json(header)), *parts(token)[1:]])


def with_part(token, index, value):
    pieces = parts(token)
    pieces[index] = value
    return ".".join(pieces)


def flip_last_byte(encoded):
    raw = bytearray(b64url_decode(encoded))
    raw[-1] ^= 0x01
    return b64url(bytes(raw))


def jwcrypto_key(private_key):
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return jwcrypto_jwk.JWK.from_pem(pem)


def refused(token, key, *, match, reason):
    with pytest.raises(jwe.DecryptionFailed, match=match) as raised:
        jwe.decrypt(token, key)
    assert raised.value.reason == reason
    assert isinstance(raised.value, TrustError)


class TestRoundTrip:
    def test_decrypts_what_it_encrypted_with_its_protected_header(self, key, token):
        header, plaintext = jwe.decrypt(token, key)
        assert plaintext == PLAINTEXT
        assert header["alg"] == "ECDH-ES"
        assert header["enc"] == "A256GCM"
        assert header["cty"] == "json"

    def test_names_the_recipient_key_by_its_thumbprint_by_default(self, key, token):
        assert header_of(token)["kid"] == thumbprint(key.public_key())

    def test_writes_the_key_id_it_is_given(self, key):
        token = jwe.encrypt(b"x", key.public_key(), kid="kz-enc-2026")
        assert header_of(token)["kid"] == "kz-enc-2026"

    def test_has_no_encrypted_key_and_a_fresh_ephemeral_key_and_iv_every_time(self, key):
        first = jwe.encrypt(PLAINTEXT, key.public_key())
        second = jwe.encrypt(PLAINTEXT, key.public_key())
        assert parts(first)[1] == parts(second)[1] == ""
        assert header_of(first)["epk"] != header_of(second)["epk"]
        assert parts(first)[2] != parts(second)[2]
        assert len(b64url_decode(parts(first)[2])) == 12
        assert len(b64url_decode(parts(first)[4])) == 16

    def test_does_not_let_extra_header_parameters_replace_the_algorithm(self, key):
        token = jwe.encrypt(b"x", key.public_key(), header={"alg": "dir", "enc": "A128GCM"})
        assert (header_of(token)["alg"], header_of(token)["enc"]) == ("ECDH-ES", "A256GCM")
        assert jwe.decrypt(token, key)[1] == b"x"

    def test_carries_an_empty_plaintext(self, key):
        assert jwe.decrypt(jwe.encrypt(b"", key.public_key()), key)[1] == b""

    def test_never_shows_the_plaintext(self, token):
        assert "Айгуль" not in token
        assert b"\xd0\x90" not in token.encode()
        for part in parts(token):
            assert PLAINTEXT not in (b64url_decode(part) if part else b"")


class TestInteroperability:
    def test_opens_a_jwe_made_by_jwcrypto(self, key):
        made = jwcrypto_jwe.JWE(
            PLAINTEXT,
            protected=json.dumps(
                {"alg": "ECDH-ES", "enc": "A256GCM", "kid": thumbprint(key.public_key())}
            ),
        )
        made.add_recipient(jwcrypto_key(key).public())
        header, plaintext = jwe.decrypt(made.serialize(compact=True), key)
        assert plaintext == PLAINTEXT
        assert header["epk"]["crv"] == "P-256"

    def test_opens_a_jwcrypto_jwe_that_carries_party_information(self, key):
        # RFC 7518 §4.6.2: apu and apv, when present, enter the key derivation.
        made = jwcrypto_jwe.JWE(
            PLAINTEXT,
            protected=json.dumps(
                {
                    "alg": "ECDH-ES",
                    "enc": "A256GCM",
                    "kid": thumbprint(key.public_key()),
                    "apu": b64url(b"EAEU/KZ/GOV/NODE"),
                    "apv": b64url(b"EAEU/BY/GOV/NODE"),
                }
            ),
        )
        made.add_recipient(jwcrypto_key(key).public())
        assert jwe.decrypt(made.serialize(compact=True), key)[1] == PLAINTEXT

    def test_is_opened_by_jwcrypto(self, key, token):
        opened = jwcrypto_jwe.JWE()
        opened.deserialize(token, key=jwcrypto_key(key))
        assert opened.payload == PLAINTEXT
        assert opened.jose_header["cty"] == "json"

    def test_is_not_opened_by_jwcrypto_with_another_key(self, token, other_key):
        opened = jwcrypto_jwe.JWE()
        with pytest.raises(jwcrypto_jwe.InvalidJWEData):
            opened.deserialize(token, key=jwcrypto_key(other_key))


class TestRefusing:
    @pytest.mark.parametrize(
        "value", ["", "a.b.c", "a.b.c.d", "a.b.c.d.e.f", None, b"a..b.c.d", 12345]
    )
    def test_refuses_what_is_not_a_compact_jwe(self, key, value):
        refused(value, key, match="not a compact JWE", reason="encryption.malformed")

    @pytest.mark.parametrize("index", [0, 2, 3, 4])
    def test_refuses_a_part_that_is_not_base64url(self, key, token, index):
        bad = with_part(token, index, parts(token)[index][:-2] + "+/")
        refused(bad, key, match="is not base64url JSON", reason="encryption.malformed")

    def test_refuses_a_header_nested_too_deeply_to_read(self, key, token):
        bad = with_part(token, 0, b64url(b"[" * 100_000))
        refused(bad, key, match="is not base64url JSON", reason="encryption.malformed")

    def test_refuses_a_header_that_is_not_json(self, key, token):
        bad = with_part(token, 0, b64url(b"{not json"))
        refused(bad, key, match="is not base64url JSON", reason="encryption.malformed")

    @pytest.mark.parametrize("header", [[], "ECDH-ES", None, 1])
    def test_refuses_a_header_that_is_not_an_object(self, key, token, header):
        bad = with_part(token, 0, b64url(json.dumps(header).encode()))
        refused(bad, key, match="only ECDH-ES with A256GCM", reason="encryption.algorithm")

    @pytest.mark.parametrize(
        "changes",
        [
            {"alg": "RSA-OAEP-256"},
            {"alg": "ECDH-ES+A256KW"},
            {"alg": "dir"},
            {"alg": None},
            {"enc": "A128GCM"},
            {"enc": "A256CBC-HS512"},
            {"enc": None},
        ],
    )
    def test_refuses_any_other_algorithm(self, key, token, changes):
        refused(
            with_header(token, **changes),
            key,
            match="only ECDH-ES with A256GCM",
            reason="encryption.algorithm",
        )

    def test_refuses_an_encrypted_key_where_ecdh_es_has_none(self, key, token):
        bad = with_part(token, 1, b64url(b"\x00" * 32))
        refused(bad, key, match="carries no encrypted key", reason="encryption.malformed")

    def test_refuses_a_payload_encrypted_to_another_key(self, token, other_key):
        refused(token, other_key, match="encrypted to another key", reason="encryption.wrong_key")

    def test_refuses_a_payload_without_a_key_id(self, key, token):
        refused(
            with_header(token, kid=None),
            key,
            match="encrypted to another key",
            reason="encryption.wrong_key",
        )

    def test_refuses_a_payload_for_another_key_that_names_this_one(self, key, other_key):
        # The kid is only a label: the key agreement itself must fail.
        token = jwe.encrypt(PLAINTEXT, other_key.public_key(), kid=thumbprint(key.public_key()))
        refused(token, key, match="altered or is not for this key", reason="encryption.tampered")

    @pytest.mark.parametrize(
        "epk",
        [
            None,
            "not a key",
            {},
            {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
            {"kty": "EC", "crv": "P-256", "x": b64url(b"\x01" * 32), "y": b64url(b"\x02" * 32)},
            {"kty": "EC", "crv": "P-256", "x": "not+base64"},
        ],
        ids=["missing", "string", "empty", "other-curve", "off-the-curve", "bad-coordinates"],
    )
    def test_refuses_an_ephemeral_key_it_cannot_use(self, key, token, epk):
        refused(
            with_header(token, epk=epk),
            key,
            match="the ephemeral key is not usable",
            reason="encryption.malformed",
        )

    def test_refuses_an_ephemeral_rsa_key(self, key, token):
        rsa_jwk = public_jwk(
            rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        )
        refused(
            with_header(token, epk=rsa_jwk),
            key,
            match="the ephemeral key must be P-256",
            reason="encryption.malformed",
        )

    @pytest.mark.parametrize("name", ["apu", "apv"])
    @pytest.mark.parametrize("value", ["not+base64url", 7, ["a"]])
    def test_refuses_party_information_that_is_not_base64url(self, key, token, name, value):
        refused(
            with_header(token, **{name: value}),
            key,
            match="party information is not base64url",
            reason="encryption.malformed",
        )

    @pytest.mark.parametrize("index", [2, 3, 4], ids=["iv", "ciphertext", "tag"])
    def test_refuses_one_changed_bit(self, key, token, index):
        bad = with_part(token, index, flip_last_byte(parts(token)[index]))
        refused(bad, key, match="altered or is not for this key", reason="encryption.tampered")

    def test_refuses_a_changed_header_that_still_decodes(self, key, token):
        # The protected header is the additional authenticated data.
        refused(
            with_header(token, cty="text"),
            key,
            match="altered or is not for this key",
            reason="encryption.tampered",
        )

    def test_refuses_party_information_added_after_encryption(self, key, token):
        refused(
            with_header(token, apu=b64url(b"EAEU/RU/GOV/NODE")),
            key,
            match="altered or is not for this key",
            reason="encryption.tampered",
        )

    @pytest.mark.parametrize("iv", [b"", b"\x00" * 4])
    def test_refuses_an_iv_of_an_unusable_length(self, key, token, iv):
        refused(
            with_part(token, 2, b64url(iv)),
            key,
            match="altered or is not for this key",
            reason="encryption.tampered",
        )

    def test_refuses_a_missing_tag(self, key, token):
        refused(
            with_part(token, 4, ""),
            key,
            match="altered or is not for this key",
            reason="encryption.tampered",
        )
