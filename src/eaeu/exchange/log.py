"""The message log: an append-only, hash-chained record of every exchange event.

In the spirit of the X-Road message log, every envelope a node sends, delivers, receives,
refuses, receipts or dead-letters adds one record. The log never contains payloads or
personal data: only the SHA-256 hashes of the signed envelope and receipt bytes, and routing
metadata (message and correlation ids, member and service identifiers, message type, event,
refusal reason code). The envelopes and receipts themselves are kept by the outbox and inbox;
the log proves which of them were exchanged, when, and that no record has been rewritten.

Each record's ``hash`` is SHA-256 over the canonical JSON of all its other fields, among them
its ``seq`` and the previous record's hash (``prev_hash``); the first record chains to
:data:`GENESIS`. A one-row head table holds the ``seq`` and ``hash`` of the last record, so
:func:`verify` detects a record that was altered, deleted, reordered or cut off the end, and
names the first broken one. Records are only ever inserted; nothing is updated or deleted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Integer,
    String,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import MappingResult, RowMapping
from sqlalchemy.orm import Mapped, Session, mapped_column

from eaeu.exchange.errors import LogTampered
from eaeu.kernel.clock import utc
from eaeu.kernel.errors import ValidationError
from eaeu.storage.orm import Base
from eaeu.trust.encoding import canonical_json

#: The ``prev_hash`` of the first record.
GENESIS: Final = "0" * 64
#: The largest page :func:`iter_records` returns.
MAX_PAGE: Final = 1000

ALTERED: Final = "log.altered"
BROKEN_CHAIN: Final = "log.broken_chain"
HEAD_MISMATCH: Final = "log.head_mismatch"

Direction = Literal["out", "in"]

#: The fields a record's hash covers, in the order of the table: all but ``hash`` itself.
HASHED_FIELDS: Final = (
    "seq",
    "at",
    "direction",
    "event",
    "message_id",
    "correlation_id",
    "sender",
    "receiver",
    "service",
    "message_type",
    "envelope_hash",
    "receipt_hash",
    "reason",
    "prev_hash",
)

_HEAD_ID: Final = 1
_VERIFY_BATCH: Final = 1000


class MessageLogRecord(Base):
    """One exchange event: hashes and routing metadata, never payloads or personal data."""

    __tablename__ = "exchange_log"
    __table_args__ = (CheckConstraint("direction IN ('out', 'in')", name="direction"),)

    # Allocated from the head under its lock rather than by a database sequence: the number
    # is known before the insert (it is part of the hash), and numbers have no gaps, because
    # a rolled-back append rolls back the head with it.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    direction: Mapped[str] = mapped_column(String(3))
    event: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str] = mapped_column(String(36), index=True)
    correlation_id: Mapped[str | None] = mapped_column(String(36))
    # Service identifiers reach 206 characters (EAEU/<STATE>/<CLASS>/<CODE>/<SUBSYSTEM>/
    # <SERVICE> with codes of up to 64), so 64 would overflow on PostgreSQL.
    sender: Mapped[str] = mapped_column(String(255))
    receiver: Mapped[str] = mapped_column(String(255))
    service: Mapped[str] = mapped_column(String(255))
    message_type: Mapped[str] = mapped_column(String(64))
    envelope_hash: Mapped[str | None] = mapped_column(String(64))
    receipt_hash: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class MessageLogHead(Base):
    """The one row that holds the last record's ``seq`` and ``hash``, and the append lock."""

    __tablename__ = "exchange_log_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True, slots=True)
class LogSummary:
    """The result of a successful :func:`verify`: how many records, and the last hash."""

    count: int
    head_hash: str


def record_hash(fields: Mapping[str, Any]) -> str:
    """Return the hex SHA-256 of a record's canonical JSON, over every field but ``hash``.

    Args:
        fields: at least the names in :data:`HASHED_FIELDS`; others (``hash``) are ignored.
            ``at`` is hashed as ISO 8601 in UTC with microseconds.

    Returns:
        64 lower-case hex digits.

    Raises:
        KeyError: a hashed field is missing.
        ValueError: ``at`` is a naive datetime.
    """
    document = {name: fields[name] for name in HASHED_FIELDS}
    document["at"] = utc(fields["at"]).isoformat(timespec="microseconds")
    return hashlib.sha256(canonical_json(document)).hexdigest()


_HEAD_TABLE = Base.metadata.tables[MessageLogHead.__tablename__]
_LOG_TABLE = Base.metadata.tables[MessageLogRecord.__tablename__]
_ADVANCE_HEAD = (
    update(_HEAD_TABLE)
    .where(_HEAD_TABLE.c.id == _HEAD_ID)
    .values(seq=_HEAD_TABLE.c.seq + 1)
    .returning(_HEAD_TABLE.c.seq, _HEAD_TABLE.c.hash)
)
_SET_HEAD_HASH = (
    update(_HEAD_TABLE).where(_HEAD_TABLE.c.id == _HEAD_ID).values(hash=bindparam("hash"))
)
_INSERT_RECORD = insert(_LOG_TABLE)


def append(
    session: Session,
    *,
    at: datetime,
    direction: Direction,
    event: str,
    message_id: str,
    sender: str,
    receiver: str,
    service: str,
    message_type: str,
    envelope_hash: str | None = None,
    receipt_hash: str | None = None,
    reason: str | None = None,
    correlation_id: str | None = None,
) -> MessageLogRecord:
    """Append one record, chained to the current head, to the caller's transaction.

    The caller commits: a message and its log record are written together or not at all.
    Concurrent appenders wait for each other until the earlier one commits or rolls back.

    Args:
        session: the caller's unit-of-work session.
        at: when the event happened (timezone-aware).
        direction: ``out`` for messages this node sends, ``in`` for those it receives.
        event: what happened (``sent``, ``delivered``, ``received``, ``refused``, …).
        message_id: the envelope's message id.
        sender: the sender's member or subsystem identifier.
        receiver: the receiver's member or subsystem identifier.
        service: the service identifier.
        message_type: the envelope's message type.
        envelope_hash: hex SHA-256 of the signed envelope bytes; ``None`` only for a
            refusal of input that could not be decoded.
        receipt_hash: hex SHA-256 of the signed receipt bytes, once there is one.
        reason: the refusal or dead-letter reason code.
        correlation_id: the message id this one answers.

    Returns:
        The new record, added to the session.

    Raises:
        LogTampered: the head row is missing (``log.head_mismatch``).
        ValueError: ``at`` is a naive datetime.
    """
    at = utc(at)
    # Concurrency: web workers and delivery workers append from several processes. Every
    # append first UPDATEs the single head row, which serialises appenders on both engines
    # before anyone reads the head:
    # - PostgreSQL: the UPDATE takes the row lock, held to the end of the transaction. A
    #   second appender's UPDATE waits for it, then (READ COMMITTED) re-reads the row as the
    #   first committed it, so RETURNING gives the new head. Under REPEATABLE READ or
    #   SERIALIZABLE the second appender gets a serialisation failure instead, to be retried.
    # - SQLite: the UPDATE is a write, so it takes the database's single writer lock (waiting
    #   up to the busy timeout) before it reads; no other writer can move the head until this
    #   transaction ends. The driver (pysqlite's default) begins the transaction at its
    #   first write, so no older read snapshot is held whose upgrade to a writer could fail.
    # One row lock is enough, so no advisory lock is needed; and because it is taken in the
    # caller's transaction, a rolled-back append releases the lock and leaves no trace. The
    # lock is held until the caller commits, so append as the last step of a unit of work.
    # Core statements on the session's connection: the ORM's unit of work would cost more
    # than the rest of a message exchange, and records are never loaded back here.
    connection = session.connection()
    head = connection.execute(_ADVANCE_HEAD).one_or_none()
    if head is None:
        raise _missing_head(session)
    seq, prev_hash = head
    fields: dict[str, Any] = {
        "seq": seq,
        "at": at,
        "direction": direction,
        "event": event,
        "message_id": message_id,
        "correlation_id": correlation_id,
        "sender": sender,
        "receiver": receiver,
        "service": service,
        "message_type": message_type,
        "envelope_hash": envelope_hash,
        "receipt_hash": receipt_hash,
        "reason": reason,
        "prev_hash": prev_hash,
    }
    fields["hash"] = record_hash(fields)
    connection.execute(_SET_HEAD_HASH, {"hash": fields["hash"]})
    connection.execute(_INSERT_RECORD, fields)
    return MessageLogRecord(**fields)


def verify(session: Session) -> LogSummary:
    """Walk the chain in ``seq`` order and check every record and the head.

    The walk covers the records up to the head as read at the start, so appends committed
    meanwhile neither disturb it nor are counted.

    Returns:
        The number of records and the hash of the last one (:data:`GENESIS` when empty).

    Raises:
        LogTampered: with ``seq`` the first broken record, and reason ``log.altered`` (a
            record's hash does not match its content), ``log.broken_chain`` (a record does
            not link to the one before it: a record was deleted, or records were reordered)
            or ``log.head_mismatch`` (the head disagrees with the records: records were cut
            off the end or written past the head, or the head itself is missing or altered).
    """
    head = session.execute(
        select(MessageLogHead.seq, MessageLogHead.hash).where(MessageLogHead.id == _HEAD_ID)
    ).one_or_none()
    if head is None:
        raise _missing_head(session)
    head_seq, head_hash = head
    previous, last_seq, count = GENESIS, 0, 0
    # Plain rows, streamed in batches: the log grows without bound, and ORM objects would
    # fill the session's identity map. The ``with`` closes the server-side cursor on
    # PostgreSQL when a broken record ends the walk early.
    with _records_up_to(session, head_seq) as rows:
        for row in rows:
            fields = _as_stored(row)
            seq = fields["seq"]
            if record_hash(fields) != fields["hash"]:
                raise LogTampered(
                    f"record {seq} of the message log was altered", seq=seq, reason=ALTERED
                )
            if fields["prev_hash"] != previous:
                raise LogTampered(
                    f"record {seq} of the message log does not follow record {last_seq}: "
                    "a record was deleted or records were reordered",
                    seq=seq,
                    reason=BROKEN_CHAIN,
                )
            previous, last_seq, count = fields["hash"], seq, count + 1
    if last_seq != head_seq:
        raise LogTampered(
            f"the message log ends at record {last_seq} but its head is at record {head_seq}: "
            "records at the end were deleted",
            seq=last_seq + 1,
            reason=HEAD_MISMATCH,
        )
    if previous != head_hash:
        raise LogTampered(
            f"the head of the message log does not match record {last_seq}",
            seq=last_seq,
            reason=HEAD_MISMATCH,
        )
    _check_nothing_past(session, head_seq)
    return LogSummary(count=count, head_hash=previous)


def iter_records(
    session: Session, *, limit: int = 100, before_seq: int | None = None
) -> list[MessageLogRecord]:
    """Return a page of records, newest first, for the operator's log page.

    The records are detached from the session, so they stay readable after the unit of
    work ends (its rollback would otherwise expire them).

    Args:
        session: a session.
        limit: the page size, 1 to :data:`MAX_PAGE`.
        before_seq: only records older than this one (the last ``seq`` of the previous page).

    Raises:
        ValidationError: ``limit`` is out of range.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"a page of the message log holds 1 to {MAX_PAGE} records")
    query = select(MessageLogRecord).order_by(MessageLogRecord.seq.desc()).limit(limit)
    if before_seq is not None:
        query = query.where(MessageLogRecord.seq < before_seq)
    records = list(session.scalars(query))
    for record in records:
        session.expunge(record)
    return records


def _records_up_to(session: Session, head_seq: int) -> MappingResult:
    table = MessageLogRecord.__table__
    return session.execute(
        select(table)
        .where(table.c.seq <= head_seq)
        .order_by(table.c.seq)
        .execution_options(yield_per=_VERIFY_BATCH)
    ).mappings()


def _as_stored(row: RowMapping) -> dict[str, Any]:
    fields = dict(row)
    # SQLite keeps no time zone and returns the stored UTC time as a naive datetime.
    if fields["at"].tzinfo is None:
        fields["at"] = fields["at"].replace(tzinfo=UTC)
    return fields


def _check_nothing_past(session: Session, head_seq: int) -> None:
    # A record past the head read at the start is either a concurrent append, which moved
    # the head in the same transaction, or a record written around append(): the head as
    # it is now tells them apart.
    table = MessageLogRecord.__table__
    beyond = session.scalar(select(func.min(table.c.seq)).where(table.c.seq > head_seq))
    if beyond is None:
        return
    now = session.scalar(select(MessageLogHead.seq).where(MessageLogHead.id == _HEAD_ID))
    if now is None or now < beyond:
        raise LogTampered(
            f"record {beyond} of the message log lies past its head: "
            "it was written without moving the head",
            seq=beyond,
            reason=HEAD_MISMATCH,
        )


def _missing_head(session: Session) -> LogTampered:
    table = MessageLogRecord.__table__
    last = session.scalar(select(func.max(table.c.seq))) or 0
    return LogTampered(
        f"the head of the message log is missing (the records end at {last})",
        seq=last + 1,
        reason=HEAD_MISMATCH,
    )
