"""The exchange message log on real SQLite and PostgreSQL databases.

Tampering is done the way an intruder or a careless operator would: with SQL statements
that go around ``append``.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, event, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from eaeu.exchange.errors import ExchangeError, LogTampered
from eaeu.exchange.log import (
    GENESIS,
    HASHED_FIELDS,
    LogSummary,
    MessageLogHead,
    MessageLogRecord,
    append,
    iter_records,
    record_hash,
    verify,
)
from eaeu.kernel.errors import ValidationError
from eaeu.kernel.ids import uuid7
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.orm import Base
from eaeu.storage.uow import UnitOfWorkFactory

RECORDS = MessageLogRecord.__table__
HEAD = MessageLogHead.__table__
LOG_TABLES = {"exchange_log", "exchange_log_head"}
START = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=UTC)
ALTERATIONS = [
    ("at", START + timedelta(days=1)),
    ("direction", "in"),
    ("event", "delivered"),
    ("message_id", "01936d1f-0000-7000-8000-000000000000"),
    ("correlation_id", "01936d1f-0000-7000-8000-000000000001"),
    ("sender", "EAEU/RU/GOV/NODE"),
    ("receiver", "EAEU/AM/GOV/NODE"),
    ("service", "EAEU/BY/GOV/NODE/travel/other"),
    ("message_type", "travel.certificate.other"),
    ("envelope_hash", "e" * 64),
    ("receipt_hash", "f" * 64),
    ("reason", "consent.revoked"),
    ("prev_hash", "1" * 64),
    ("hash", "2" * 64),
]


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine):
    return UnitOfWorkFactory(engine)


def entry(n: int = 0, **overrides):
    fields = {
        "at": START + timedelta(seconds=n),
        "direction": "out",
        "event": "sent",
        "message_id": str(uuid7()),
        "sender": "EAEU/KZ/GOV/NODE",
        "receiver": "EAEU/BY/GOV/NODE",
        "service": "EAEU/BY/GOV/NODE/travel/verify",
        "message_type": "travel.certificate.verify",
        "envelope_hash": hashlib.sha256(f"envelope {n}".encode()).hexdigest(),
    }
    return fields | overrides


def fill(uow_factory, count: int) -> list[MessageLogRecord]:
    with uow_factory() as uow:
        records = [append(uow.session, **entry(n)) for n in range(count)]
        uow.commit()
    return records


def verify_now(uow_factory) -> LogSummary:
    with uow_factory() as uow:
        return verify(uow.session)


def tamper(uow_factory, *statements) -> None:
    with uow_factory() as uow:
        for statement in statements:
            uow.session.execute(statement)
        uow.commit()


def row(uow_factory, seq: int) -> dict:
    with uow_factory() as uow:
        return dict(
            uow.session.execute(select(RECORDS).where(RECORDS.c.seq == seq)).mappings().one()
        )


def rehash(fields: dict) -> dict:
    fields = dict(fields)
    if fields["at"].tzinfo is None:  # SQLite returns the stored UTC time without a zone
        fields["at"] = fields["at"].replace(tzinfo=UTC)
    fields["hash"] = record_hash(fields)
    return fields


class TestAppend:
    def test_links_each_record_to_the_one_before(self, uow_factory):
        records = fill(uow_factory, 3)
        assert [r.seq for r in records] == [1, 2, 3]
        assert records[0].prev_hash == GENESIS
        assert records[1].prev_hash == records[0].hash
        assert records[2].prev_hash == records[1].hash
        for record in records:
            assert record.hash == record_hash({f: getattr(record, f) for f in HASHED_FIELDS})

    def test_moves_the_head_to_the_last_record(self, uow_factory):
        records = fill(uow_factory, 2)
        with uow_factory() as uow:
            head = uow.session.get(MessageLogHead, 1)
            assert (head.seq, head.hash) == (2, records[-1].hash)

    def test_stores_every_field_as_given(self, uow_factory):
        reply = str(uuid7())
        fill(uow_factory, 1)
        with uow_factory() as uow:
            append(
                uow.session,
                **entry(
                    direction="in",
                    event="refused",
                    envelope_hash=None,
                    receipt_hash="a" * 64,
                    reason="signature.invalid",
                    correlation_id=reply,
                ),
            )
            uow.commit()
        stored = row(uow_factory, 2)
        assert stored["direction"] == "in"
        assert stored["event"] == "refused"
        assert stored["envelope_hash"] is None
        assert stored["receipt_hash"] == "a" * 64
        assert stored["reason"] == "signature.invalid"
        assert stored["correlation_id"] == reply
        assert verify_now(uow_factory).count == 2

    def test_stores_a_time_given_in_another_zone_as_the_same_instant(self, uow_factory):
        almaty = timezone(timedelta(hours=5))
        with uow_factory() as uow:
            append(uow.session, **entry(at=datetime(2026, 11, 28, 14, 30, 0, 7, tzinfo=almaty)))
            uow.commit()
        stored = row(uow_factory, 1)["at"]
        assert stored.replace(tzinfo=stored.tzinfo or UTC) == datetime(
            2026, 11, 28, 9, 30, 0, 7, tzinfo=UTC
        )
        assert verify_now(uow_factory).count == 1

    def test_holds_the_longest_service_identifiers(self, uow_factory):
        code = "C" * 64
        service = f"EAEU/KZ/GOV/{code}/{code}/{code}"
        assert len(service) == 206
        with uow_factory() as uow:
            append(uow.session, **entry(sender=service[:140], receiver=service, service=service))
            uow.commit()
        assert row(uow_factory, 1)["service"] == service

    def test_refuses_a_naive_time(self, uow_factory):
        with uow_factory() as uow, pytest.raises(ValueError, match="naive datetime"):
            append(uow.session, **entry(at=datetime(2026, 11, 28, 9, 30)))  # noqa: DTZ001

    def test_refuses_a_direction_other_than_in_or_out(self, uow_factory):
        with uow_factory() as uow, pytest.raises(IntegrityError, match="direction"):
            append(uow.session, **entry(direction="up"))

    def test_a_rolled_back_unit_of_work_leaves_no_record_and_the_chain_intact(self, uow_factory):
        fill(uow_factory, 2)
        with uow_factory() as uow:
            append(uow.session, **entry(2))
            # leaving without commit rolls back
        with uow_factory() as uow:
            assert uow.session.scalar(select(RECORDS.c.seq).where(RECORDS.c.seq == 3)) is None
        assert verify_now(uow_factory).count == 2
        records = fill(uow_factory, 1)
        assert records[0].seq == 3
        assert verify_now(uow_factory).count == 3

    def test_refuses_to_append_without_a_head(self, uow_factory):
        fill(uow_factory, 2)
        tamper(uow_factory, delete(HEAD))
        with (
            uow_factory() as uow,
            pytest.raises(LogTampered, match="head of the message log is missing") as caught,
        ):
            append(uow.session, **entry())
        assert (caught.value.reason, caught.value.seq) == ("log.head_mismatch", 3)


class TestVerify:
    def test_an_empty_log_verifies_with_count_zero(self, uow_factory):
        assert verify_now(uow_factory) == LogSummary(count=0, head_hash=GENESIS)

    def test_an_intact_log_verifies_and_counts_its_records(self, uow_factory):
        records = fill(uow_factory, 5)
        assert verify_now(uow_factory) == LogSummary(count=5, head_hash=records[-1].hash)

    @pytest.mark.parametrize(("field", "value"), ALTERATIONS)
    def test_altering_any_field_of_a_record_names_that_record(self, uow_factory, field, value):
        fill(uow_factory, 5)
        tamper(uow_factory, update(RECORDS).where(RECORDS.c.seq == 3).values({field: value}))
        with pytest.raises(LogTampered, match="record 3 of the message log was altered") as caught:
            verify_now(uow_factory)
        assert (caught.value.reason, caught.value.seq) == ("log.altered", 3)

    def test_the_alterations_cover_every_stored_field_but_seq(self):
        # seq is the primary key: changing it moves the record (see the renumbering test).
        assert {field for field, _ in ALTERATIONS} == {*HASHED_FIELDS, "hash"} - {"seq"}

    def test_renumbering_a_record_is_detected(self, uow_factory):
        fill(uow_factory, 5)
        tamper(uow_factory, update(RECORDS).where(RECORDS.c.seq == 3).values(seq=30))
        with pytest.raises(LogTampered, match="record 4 of the message log does not follow") as c:
            verify_now(uow_factory)
        assert (c.value.reason, c.value.seq) == ("log.broken_chain", 4)

    def test_deleting_a_middle_record_breaks_the_chain_at_the_next(self, uow_factory):
        fill(uow_factory, 5)
        tamper(uow_factory, delete(RECORDS).where(RECORDS.c.seq == 3))
        with pytest.raises(
            LogTampered,
            match="record 4 of the message log does not follow record 2: a record was deleted",
        ) as caught:
            verify_now(uow_factory)
        assert (caught.value.reason, caught.value.seq) == ("log.broken_chain", 4)

    def test_swapping_two_records_is_detected_at_the_first_of_them(self, uow_factory):
        fill(uow_factory, 5)
        second, third = row(uow_factory, 2), row(uow_factory, 3)
        tamper(
            uow_factory,
            update(RECORDS).where(RECORDS.c.seq == 2).values({**third, "seq": 2}),
            update(RECORDS).where(RECORDS.c.seq == 3).values({**second, "seq": 3}),
        )
        # Each record's own hash covers its seq, so a moved record no longer matches itself.
        with pytest.raises(LogTampered, match="record 2 of the message log was altered") as caught:
            verify_now(uow_factory)
        assert (caught.value.reason, caught.value.seq) == ("log.altered", 2)

    def test_reordering_records_with_recomputed_hashes_still_breaks_the_chain(self, uow_factory):
        fill(uow_factory, 5)
        second, third = row(uow_factory, 2), row(uow_factory, 3)
        tamper(
            uow_factory,
            update(RECORDS).where(RECORDS.c.seq == 2).values(rehash({**third, "seq": 2})),
            update(RECORDS).where(RECORDS.c.seq == 3).values(rehash({**second, "seq": 3})),
        )
        with pytest.raises(
            LogTampered, match="record 2 of the message log does not follow record 1"
        ) as caught:
            verify_now(uow_factory)
        assert (caught.value.reason, caught.value.seq) == ("log.broken_chain", 2)

    def test_deleting_the_last_record_is_a_head_mismatch(self, uow_factory):
        fill(uow_factory, 5)
        tamper(uow_factory, delete(RECORDS).where(RECORDS.c.seq == 5))
        with pytest.raises(
            LogTampered, match="ends at record 4 but its head is at record 5"
        ) as caught:
            verify_now(uow_factory)
        assert (caught.value.reason, caught.value.seq) == ("log.head_mismatch", 5)

    def test_deleting_every_record_is_a_head_mismatch(self, uow_factory):
        fill(uow_factory, 3)
        tamper(uow_factory, delete(RECORDS))
        with pytest.raises(LogTampered, match="ends at record 0 but its head is at record 3") as c:
            verify_now(uow_factory)
        assert (c.value.reason, c.value.seq) == ("log.head_mismatch", 1)

    def test_a_rewritten_and_rehashed_last_record_does_not_match_the_head(self, uow_factory):
        fill(uow_factory, 5)
        forged = rehash({**row(uow_factory, 5), "receiver": "EAEU/RU/GOV/NODE"})
        tamper(uow_factory, update(RECORDS).where(RECORDS.c.seq == 5).values(forged))
        with pytest.raises(
            LogTampered, match="head of the message log does not match record 5"
        ) as caught:
            verify_now(uow_factory)
        assert (caught.value.reason, caught.value.seq) == ("log.head_mismatch", 5)

    def test_an_altered_head_is_a_head_mismatch(self, uow_factory):
        fill(uow_factory, 2)
        tamper(uow_factory, update(HEAD).values(hash="3" * 64))
        with pytest.raises(LogTampered, match="does not match record 2") as caught:
            verify_now(uow_factory)
        assert (caught.value.reason, caught.value.seq) == ("log.head_mismatch", 2)

    def test_a_record_written_around_append_lies_past_the_head(self, uow_factory):
        records = fill(uow_factory, 2)
        smuggled = rehash(
            entry(
                seq=3,
                correlation_id=None,
                receipt_hash=None,
                reason=None,
                prev_hash=records[-1].hash,
            )
        )
        tamper(uow_factory, insert(RECORDS).values(smuggled))
        with pytest.raises(LogTampered, match="record 3 of the message log lies past") as caught:
            verify_now(uow_factory)
        assert (caught.value.reason, caught.value.seq) == ("log.head_mismatch", 3)

    def test_a_missing_head_is_a_head_mismatch(self, uow_factory):
        fill(uow_factory, 2)
        tamper(uow_factory, delete(HEAD))
        with pytest.raises(LogTampered, match="head of the message log is missing") as caught:
            verify_now(uow_factory)
        assert (caught.value.reason, caught.value.seq) == ("log.head_mismatch", 3)

    def test_a_missing_head_of_an_empty_log_is_a_head_mismatch(self, uow_factory):
        tamper(uow_factory, delete(HEAD))
        with pytest.raises(LogTampered, match=r"missing \(the records end at 0\)") as caught:
            verify_now(uow_factory)
        assert caught.value.seq == 1

    def test_an_append_committed_during_verification_is_left_for_the_next_run(
        self, engine, uow_factory, database_url
    ):
        records = fill(uow_factory, 3)
        other = make_engine(database_url)
        done = []

        def append_once_after_the_head_is_read(conn, cursor, statement, *_):
            if "exchange_log_head" in statement and not done:
                done.append(fill(UnitOfWorkFactory(other), 1))

        event.listen(engine, "after_cursor_execute", append_once_after_the_head_is_read)
        try:
            summary = verify_now(uow_factory)
        finally:
            event.remove(engine, "after_cursor_execute", append_once_after_the_head_is_read)
            other.dispose()
        assert done, "the concurrent append did not happen"
        assert summary == LogSummary(count=3, head_hash=records[-1].hash)
        assert verify_now(uow_factory) == LogSummary(count=4, head_hash=done[0][0].hash)

    def test_tampering_is_an_exchange_error_with_a_readable_repr(self):
        error = LogTampered("record 7 of the message log was altered", seq=7, reason="log.altered")
        assert isinstance(error, ExchangeError)
        assert error.seq == 7
        assert repr(error) == (
            "LogTampered(reason='log.altered', message='record 7 of the message log was altered')"
        )
        assert LogTampered("x", seq=1).reason == "log.tampered"
        assert ExchangeError("x").reason == "exchange.error"


class TestConcurrency:
    def test_concurrent_appenders_leave_one_intact_chain(self, database_url):
        threads, per_thread = 4, 50
        start = threading.Barrier(threads)
        failures: list[BaseException] = []
        ids: dict[int, list[str]] = {}

        def worker(number: int) -> None:
            # Each worker has its own engine, as separate web and delivery processes would.
            engine = make_engine(database_url)
            uow_factory = UnitOfWorkFactory(engine)
            ids[number] = []
            try:
                start.wait()
                for n in range(per_thread):
                    with uow_factory() as uow:
                        record = append(uow.session, **entry(n))
                        uow.commit()
                    ids[number].append(record.message_id)
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                failures.append(exc)
            finally:
                engine.dispose()

        engine = make_engine(database_url)
        migrate.upgrade(engine)
        workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=120)
        try:
            assert not failures, failures
            uow_factory = UnitOfWorkFactory(engine)
            assert verify_now(uow_factory).count == threads * per_thread
            with uow_factory() as uow:
                stored = list(
                    uow.session.execute(
                        select(RECORDS.c.seq, RECORDS.c.message_id).order_by(RECORDS.c.seq)
                    )
                )
            assert [seq for seq, _ in stored] == list(range(1, threads * per_thread + 1))
            assert {message_id for _, message_id in stored} == {
                message_id for batch in ids.values() for message_id in batch
            }
        finally:
            engine.dispose()

    def test_a_second_appender_waits_for_the_first_and_chains_to_it(self, engine, database_url):
        other = make_engine(database_url)
        result: list[MessageLogRecord] = []

        def second() -> None:
            result.extend(fill(UnitOfWorkFactory(other), 1))

        try:
            with UnitOfWorkFactory(engine)() as first:
                mine = append(first.session, **entry(0))
                waiting = threading.Thread(target=second)
                waiting.start()
                waiting.join(timeout=0.5)
                assert waiting.is_alive(), "the second appender did not wait for the first"
                first.commit()
            waiting.join(timeout=30)
        finally:
            other.dispose()
        assert [(r.seq, r.prev_hash) for r in result] == [(2, mine.hash)]
        assert verify_now(UnitOfWorkFactory(engine)).count == 2


class TestIterRecords:
    def test_pages_newest_first(self, uow_factory):
        records = fill(uow_factory, 5)
        with uow_factory() as uow:
            first = iter_records(uow.session, limit=2)
            second = iter_records(uow.session, limit=2, before_seq=first[-1].seq)
            last = iter_records(uow.session, before_seq=second[-1].seq)
        assert [r.seq for r in first] == [5, 4]
        assert [r.seq for r in second] == [3, 2]
        assert [r.seq for r in last] == [1]
        assert last[0].message_id == records[0].message_id

    def test_an_empty_log_has_an_empty_page(self, uow_factory):
        with uow_factory() as uow:
            assert iter_records(uow.session) == []

    @pytest.mark.parametrize("limit", [0, -1, 1001])
    def test_refuses_a_page_size_out_of_range(self, uow_factory, limit):
        with uow_factory() as uow, pytest.raises(ValidationError, match="1 to 1000 records"):
            iter_records(uow.session, limit=limit)


class TestMigration:
    def test_upgrade_creates_the_log_with_its_head_at_genesis(self, engine):
        inspector = inspect(engine)
        assert set(inspector.get_table_names()) >= LOG_TABLES
        assert [ix["name"] for ix in inspector.get_indexes("exchange_log")] == [
            "ix_exchange_log_message_id"
        ]
        with engine.connect() as connection:
            assert list(connection.execute(select(HEAD))) == [(1, 0, GENESIS)]

    def test_the_migration_matches_the_model(self, engine):
        def ours(obj, name, type_, reflected, compare_to):
            return (name if type_ == "table" else obj.table.name) in LOG_TABLES

        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": ours}
            )
            assert compare_metadata(context, Base.metadata) == []

    def test_the_head_table_holds_one_row_only(self, uow_factory):
        with pytest.raises(IntegrityError, match="single_row"):
            tamper(uow_factory, insert(HEAD).values(id=2, seq=0, hash=GENESIS))

    def test_downgrade_removes_the_log(self, engine):
        config = migrate.alembic_config()
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
            connection.commit()
        assert not LOG_TABLES & set(inspect(engine).get_table_names())
        assert migrate.current_revision(engine) == "0001"
