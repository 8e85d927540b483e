"""The message log record hash: a vector computed by hand, and properties over any record."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from eaeu.exchange.log import GENESIS, HASHED_FIELDS, record_hash

# Hypothesis must not write its example database into the tree: unit tests touch no disk.
properties = settings(database=None, max_examples=300)

text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=80)
hexes = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
zones = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
times = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by its API
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=zones,
)
FIELD_VALUES = {
    "seq": st.integers(min_value=1, max_value=2**63 - 1),
    "at": times,
    "direction": st.sampled_from(["out", "in"]),
    "event": text,
    "message_id": text,
    "correlation_id": st.none() | text,
    "sender": text,
    "receiver": text,
    "service": text,
    "message_type": text,
    "envelope_hash": st.none() | hexes,
    "receipt_hash": st.none() | hexes,
    "reason": st.none() | text,
    "prev_hash": hexes,
}
records = st.fixed_dictionaries(FIELD_VALUES)

VECTOR = {
    "seq": 1,
    "at": datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=UTC),
    "direction": "out",
    "event": "sent",
    "message_id": "01936d1f-0000-7000-8000-000000000000",
    "correlation_id": None,
    "sender": "EAEU/KZ/GOV/NODE",
    "receiver": "EAEU/BY/GOV/NODE",
    "service": "EAEU/BY/GOV/NODE/travel/verify",
    "message_type": "travel.certificate.verify",
    "envelope_hash": "ab" * 32,
    "receipt_hash": None,
    "reason": None,
    "prev_hash": GENESIS,
}
# Written out by hand: keys sorted, no spaces, ``at`` in UTC with microseconds.
VECTOR_JSON = (
    '{"at":"2026-11-28T09:30:15.123456+00:00","correlation_id":null,'
    f'"direction":"out","envelope_hash":"{"ab" * 32}","event":"sent",'
    '"message_id":"01936d1f-0000-7000-8000-000000000000",'
    '"message_type":"travel.certificate.verify",'
    f'"prev_hash":"{GENESIS}","reason":null,"receipt_hash":null,'
    '"receiver":"EAEU/BY/GOV/NODE","sender":"EAEU/KZ/GOV/NODE","seq":1,'
    '"service":"EAEU/BY/GOV/NODE/travel/verify"}'
)


class TestRecordHash:
    def test_matches_a_hash_of_the_canonical_json_written_by_hand(self):
        assert record_hash(VECTOR) == hashlib.sha256(VECTOR_JSON.encode()).hexdigest()

    def test_covers_every_field_but_the_hash_itself(self):
        assert set(HASHED_FIELDS) == set(FIELD_VALUES)
        assert "hash" not in HASHED_FIELDS

    def test_refuses_a_naive_time(self):
        with pytest.raises(ValueError, match="naive datetime"):
            record_hash({**VECTOR, "at": datetime(2026, 11, 28)})  # noqa: DTZ001

    def test_refuses_a_record_with_a_field_missing(self):
        fields = dict(VECTOR)
        del fields["prev_hash"]
        with pytest.raises(KeyError, match="prev_hash"):
            record_hash(fields)

    @properties
    @given(records, st.data())
    def test_any_change_of_any_field_changes_the_hash(self, fields, data):
        name = data.draw(st.sampled_from(HASHED_FIELDS), label="field")
        value = data.draw(FIELD_VALUES[name], label="new value")
        # Aware datetimes compare by instant, so another zone for the same moment is no change.
        assume(value != fields[name])
        assert record_hash({**fields, name: value}) != record_hash(fields)

    @properties
    @given(records, st.data())
    def test_moving_a_value_to_another_field_changes_the_hash(self, fields, data):
        first, second = data.draw(
            st.lists(
                st.sampled_from(["event", "message_id", "sender", "receiver", "service"]),
                min_size=2,
                max_size=2,
                unique=True,
            ),
            label="fields",
        )
        assume(fields[first] != fields[second])
        swapped = {**fields, first: fields[second], second: fields[first]}
        assert record_hash(swapped) != record_hash(fields)

    @properties
    @given(records, zones)
    def test_the_same_instant_in_any_zone_hashes_alike(self, fields, zone):
        moved = {**fields, "at": fields["at"].astimezone(zone)}
        assert record_hash(moved) == record_hash(fields)

    @properties
    @given(records, hexes)
    def test_is_64_hex_digits_and_ignores_the_stored_hash(self, fields, stored):
        digest = record_hash(fields)
        assert len(digest) == 64
        assert set(digest) <= set("0123456789abcdef")
        assert record_hash({**fields, "hash": stored}) == digest
