"""The transfer ledger on real SQLite and PostgreSQL databases.

Tampering is done as an intruder or a careless operator would: with SQL statements that go
around ``append``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, update

from eaeu.consent import ledger
from eaeu.consent.errors import LedgerTampered
from eaeu.consent.orm import LedgerEntryRow, LedgerHead
from eaeu.kernel.ids import uuid7
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWorkFactory

START = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=UTC)
ENTRIES = LedgerEntryRow.__table__
HEAD = LedgerHead.__table__


@pytest.fixture
def uow(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield UnitOfWorkFactory(engine)
    engine.dispose()


def use(n=0, **overrides):
    values = {
        "at": START + timedelta(seconds=n),
        "direction": "out",
        "outcome": "allowed",
        "counterpart_state": "RU",
        "message_id": str(uuid7()),
        "message_type": "consent.data.request.response",
        "categories": ("identity", "contact"),
        "purpose": "jobs.application",
        "consent_id": str(uuid7()),
        "basis": "consent",
        "subject_id": "person-1",
    }
    return ledger.Use(**{**values, **overrides})


def fill(uow, count=3):
    with uow() as u:
        made = [ledger.append(u.session, use(n)) for n in range(count)]
        u.commit()
    return made


def tamper(uow, statement):
    with uow() as u:
        u.session.execute(statement)
        u.commit()


def verify(uow):
    with uow() as u:
        return ledger.verify(u.session)


class TestTheLedger:
    def test_an_empty_ledger_verifies(self, uow):
        summary = verify(uow)
        assert (summary.count, summary.head_hash) == (0, ledger.GENESIS)

    def test_entries_chain_to_each_other_and_to_the_head(self, uow):
        first, second, third = fill(uow)
        assert first.prev_hash == ledger.GENESIS
        assert second.prev_hash == first.hash
        assert third.prev_hash == second.hash
        assert (first.seq, second.seq, third.seq) == (1, 2, 3)
        summary = verify(uow)
        assert (summary.count, summary.head_hash) == (3, third.hash)

    def test_stores_what_it_was_given(self, uow):
        refusal = use(
            outcome="refused",
            reason="consent.revoked",
            detail="The person withdrew this consent.",
            detail_ru="Человек отозвал это согласие.",
            categories=("contact",),
        )
        with uow() as u:
            ledger.append(u.session, refusal)
            u.commit()
        with uow() as u:
            [entry] = ledger.for_consent(u.session, refusal.consent_id)
        assert (entry.outcome, entry.reason, entry.detail_ru) == (
            "refused",
            "consent.revoked",
            "Человек отозвал это согласие.",
        )
        assert entry.categories == ("contact",)
        assert entry.at == refusal.at

    def test_lists_a_persons_entries_newest_first(self, uow):
        with uow() as u:
            ledger.append(u.session, use(0))
            ledger.append(u.session, use(1, subject_id="person-2"))
            ledger.append(u.session, use(2))
            u.commit()
        with uow() as u:
            mine = ledger.for_subject(u.session, "person-1")
        assert [e.seq for e in mine] == [3, 1]

    def test_a_rolled_back_append_leaves_no_trace(self, uow):
        with uow() as u:
            ledger.append(u.session, use())
            u.rollback()
        fill(uow, 1)
        assert verify(uow).count == 1

    @pytest.mark.parametrize(
        ("column", "value"),
        [
            ("outcome", "refused"),
            ("reason", "consent.used"),
            ("detail_ru", "иначе"),
            ("counterpart_state", "KZ"),
            ("categories", "health"),
            ("subject_id", "person-9"),
            ("at", START + timedelta(days=1)),
        ],
    )
    def test_detects_an_altered_entry(self, uow, column, value):
        fill(uow)
        tamper(uow, update(ENTRIES).where(ENTRIES.c.seq == 2).values({column: value}))
        with pytest.raises(LedgerTampered, match=r"entry 2 .* was altered") as raised:
            verify(uow)
        assert (raised.value.reason, raised.value.seq) == ("ledger.altered", 2)

    def test_detects_a_deleted_entry(self, uow):
        fill(uow)
        tamper(uow, delete(ENTRIES).where(ENTRIES.c.seq == 2))
        with pytest.raises(LedgerTampered, match="does not follow entry 1") as raised:
            verify(uow)
        assert (raised.value.reason, raised.value.seq) == ("ledger.broken_chain", 3)

    def test_detects_entries_cut_off_the_end(self, uow):
        fill(uow)
        tamper(uow, delete(ENTRIES).where(ENTRIES.c.seq == 3))
        with pytest.raises(LedgerTampered, match="ends at entry 2") as raised:
            verify(uow)
        assert raised.value.reason == "ledger.head_mismatch"

    def test_detects_an_entry_written_past_the_head(self, uow):
        [entry] = fill(uow, 1)
        forged = {
            **{name: getattr(entry, name) for name in ledger.HASHED_FIELDS},
            "seq": 2,
            "categories": "identity",
            "prev_hash": entry.hash,
        }
        forged["hash"] = ledger.entry_hash(forged)
        tamper(uow, ENTRIES.insert().values(forged))
        with pytest.raises(LedgerTampered, match="lies past its head") as raised:
            verify(uow)
        assert (raised.value.reason, raised.value.seq) == ("ledger.head_mismatch", 2)

    def test_detects_a_missing_head(self, uow):
        fill(uow, 2)
        tamper(uow, delete(HEAD))
        with pytest.raises(LedgerTampered, match="head of the transfer ledger is missing"):
            verify(uow)
        with uow() as u, pytest.raises(LedgerTampered, match="entries end at 2"):
            ledger.append(u.session, use())
