"""GOST R 34.10-2012 behind the signer/verifier protocols, against the published examples."""

import pytest

from eaeu.trust import gost
from eaeu.trust.errors import InvalidSignature
from eaeu.trust.keys import Signer, Verifier

# GOST R 34.10-2012 Appendix A.1 (RFC 7091 §7.1): the 256-bit example with its test curve.
TEST_CURVE = {
    "p": 0x8000000000000000000000000000000000000000000000000000000000000431,
    "a": 0x7,
    "b": 0x5FBFF498AA938CE739B8E022FBAFEF40563F6E6A3472FC2A514C0CE9DAE23B7E,
    "m": 0x8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3,
    "q": 0x8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3,
    "x": 0x2,
    "y": 0x08E2A8A0E65147D4BD6316030E16D19C85C97F0A9CA267122B96ABBCEA7E8FC8,
}
D = 0x7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28
Q_X = 0x7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B
Q_Y = 0x26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA
ALPHA = 0x2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5
R = 0x41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493
S = 0x01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40


def be(value):
    return value.to_bytes(32, "big")


class TestPublishedExamples:
    def test_streebog_256_of_the_rfc_6986_first_message(self):
        # RFC 6986 §10.1.1 prints the hash as the integer 00557be5…159d; its bytes come
        # out of the hash function least significant first.
        message = b"012345678901234567890123456789012345678901234567890123456789012"
        expected = "00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d"
        assert gost.streebog256(message)[::-1].hex() == expected

    def test_derives_the_public_key_of_the_example(self):
        signer = gost.GostSigner(be(D), curve=TEST_CURVE)
        assert signer.public_key == be(Q_X) + be(Q_Y)

    def test_verifies_the_signature_of_the_example(self):
        verifier = gost.GostVerifier(be(Q_X) + be(Q_Y), curve=TEST_CURVE)
        verifier.verify_digest(ALPHA.to_bytes(32, "little"), be(R) + be(S))

    def test_refuses_the_example_signature_over_another_digest(self):
        verifier = gost.GostVerifier(be(Q_X) + be(Q_Y), curve=TEST_CURVE)
        with pytest.raises(InvalidSignature, match="does not verify") as raised:
            verifier.verify_digest((ALPHA + 1).to_bytes(32, "little"), be(R) + be(S))
        assert raised.value.reason == "signature.invalid"


@pytest.fixture(scope="module")
def signer():
    return gost.GostSigner(gost.generate_private_key())


class TestSignerAndVerifier:
    def test_they_fit_the_platforms_protocols(self, signer):
        protocol_signer: Signer = signer
        protocol_verifier: Verifier = signer.verifier()
        assert protocol_signer.alg == protocol_verifier.alg == "GOST3410-2012-256"
        assert protocol_verifier.kid == signer.kid == gost.key_id(signer.public_key)

    def test_signs_and_verifies_a_message(self, signer):
        signature = signer.sign(b"validation receipt")
        assert len(signature) == 64
        signer.verifier().verify(b"validation receipt", signature)

    def test_refuses_a_changed_message(self, signer):
        with pytest.raises(InvalidSignature, match="does not verify") as raised:
            signer.verifier().verify(b"validation receipT", signer.sign(b"validation receipt"))
        assert raised.value.reason == "signature.invalid"

    def test_refuses_a_signature_of_the_wrong_length(self, signer):
        with pytest.raises(InvalidSignature, match="signature is 64 bytes") as raised:
            signer.verifier().verify(b"x", b"\x01" * 63)
        assert raised.value.reason == "signature.malformed"

    def test_refuses_a_public_key_of_the_wrong_length(self):
        with pytest.raises(InvalidSignature, match="public key is 64 bytes") as raised:
            gost.GostVerifier(b"\x01" * 32)
        assert raised.value.reason == "signature.kid"

    def test_refuses_a_private_key_of_the_wrong_length(self):
        with pytest.raises(ValueError, match="private key is 32 bytes"):
            gost.GostSigner(b"\x01" * 31)

    @pytest.mark.parametrize("curve", sorted(gost.CURVES))
    def test_works_on_every_tc26_256_bit_curve(self, curve):
        signer = gost.GostSigner(gost.generate_private_key(curve), curve=curve, kid="k")
        assert signer.kid == "k"
        signer.verifier().verify(b"m", signer.sign(b"m"))

    def test_the_four_tc26_parameter_sets_are_offered(self):
        assert sorted(name[-1] for name in gost.CURVES) == ["A", "B", "C", "D"]
        assert gost.DEFAULT_CURVE in gost.CURVES

    def test_refuses_an_unknown_curve(self):
        with pytest.raises(ValueError, match=r"unknown GOST R 34\.10-2012 256-bit curve 'X'"):
            gost.generate_private_key("X")

    def test_keeps_the_private_key_out_of_its_repr(self, signer):
        assert repr(signer) == f"GostSigner(kid={signer.kid!r})"
        assert repr(signer.verifier()) == f"GostVerifier(kid={signer.kid!r})"
