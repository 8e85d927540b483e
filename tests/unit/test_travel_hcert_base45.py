"""Base45 (RFC 9285): the published vectors, round trips and strict refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eaeu.services.travel.base45 import ALPHABET, b45decode, b45encode
from eaeu.services.travel.errors import Base45Error

# RFC 9285 §4.3 and §4.4.
VECTORS = [
    (b"AB", "BB8"),
    (b"Hello!!", "%69 VD92EX0"),
    (b"base-45", "UJCLQE7W581"),
    (b"ietf!", "QED8WEX0"),
    (b"", ""),
    (b"\x00", "00"),
    (b"\xff", "U5"),
    (b"\xff\xff", "FGW"),
]


class TestBase45:
    @pytest.mark.parametrize(("raw", "text"), VECTORS)
    def test_encodes_the_rfc_vectors(self, raw, text):
        assert b45encode(raw) == text

    @pytest.mark.parametrize(("raw", "text"), VECTORS)
    def test_decodes_the_rfc_vectors(self, raw, text):
        assert b45decode(text) == raw
        assert b45decode(text.encode("ascii")) == raw

    @given(st.binary(max_size=700))
    def test_round_trips_any_bytes(self, raw):
        text = b45encode(raw)
        assert set(text) <= set(ALPHABET)
        assert len(text) == 3 * (len(raw) // 2) + 2 * (len(raw) % 2)
        assert b45decode(text) == raw

    @given(st.text(alphabet=ALPHABET, max_size=60))
    def test_decodes_only_canonical_text(self, text):
        try:
            raw = b45decode(text)
        except Base45Error:
            return
        assert b45encode(raw) == text

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("GGW", "exceeds 65535"),
            ("ZZZ", "exceeds 65535"),
            ("BB8GGW", "exceeds 65535"),
            ("::", "final pair exceeds 255"),
            ("A", "impossible length"),
            ("BB8A", "impossible length"),
            ("bb8", "outside the alphabet"),
            ("BB\n", "outside the alphabet"),
            ("BB#", "outside the alphabet"),
            ("BBЖ", "non-ASCII"),
            (b"BB\xff", "outside the alphabet"),
        ],
    )
    def test_refuses_invalid_text(self, text, message):
        with pytest.raises(Base45Error, match=message) as caught:
            b45decode(text)
        assert caught.value.reason == "hcert.base45"
