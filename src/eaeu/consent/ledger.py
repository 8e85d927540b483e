"""The transfer ledger: an append-only, hash-chained record of every personal-data transfer.

Every transfer the guard allows, and every attempt it refuses, adds one entry: the consent
(or the legal basis) it rests on, the direction, the other state, the purpose, the data
categories, the exchange message id, the time, and the outcome with its reason. Entries
hold no personal data; on the person's home node they carry the person's account id, so
that **My data** can list them. This is the Account Aggregator's ``ConsentUse`` log and the
audit trail the design notes ask every use to be appended to.

Each entry's ``hash`` is SHA-256 over the canonical JSON of all its other fields, among them
its ``seq`` and the previous entry's hash; the first entry chains to :data:`GENESIS`. A
one-row head holds the last ``seq`` and ``hash``, so :func:`verify` detects an entry that was
altered, deleted, reordered or cut off the end. Entries are only ever inserted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from eaeu.consent.errors import LedgerTampered
from eaeu.consent.orm import LedgerEntryRow, LedgerHead
from eaeu.kernel.clock import utc
from eaeu.storage.orm import Base
from eaeu.trust.encoding import canonical_json

#: The ``prev_hash`` of the first entry.
GENESIS: Final = "0" * 64

ALLOWED: Final = "allowed"
REFUSED: Final = "refused"

ALTERED: Final = "ledger.altered"
BROKEN_CHAIN: Final = "ledger.broken_chain"
HEAD_MISMATCH: Final = "ledger.head_mismatch"

#: The fields an entry's hash covers: all but ``hash`` itself.
HASHED_FIELDS: Final = (
    "seq",
    "at",
    "direction",
    "outcome",
    "reason",
    "detail",
    "detail_ru",
    "consent_id",
    "basis",
    "counterpart_state",
    "purpose",
    "categories",
    "message_id",
    "message_type",
    "subject_id",
    "prev_hash",
)

_HEAD_ID: Final = 1
_BATCH: Final = 1000
_HEAD = Base.metadata.tables[LedgerHead.__tablename__]
_ENTRIES = Base.metadata.tables[LedgerEntryRow.__tablename__]
_ADVANCE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == _HEAD_ID)
    .values(seq=_HEAD.c.seq + 1)
    .returning(_HEAD.c.seq, _HEAD.c.hash)
)
_SET_HEAD_HASH = update(_HEAD).where(_HEAD.c.id == _HEAD_ID).values(hash=bindparam("hash"))
_INSERT = insert(_ENTRIES)


@dataclass(frozen=True, slots=True)
class Use:
    """What an entry says about one transfer attempt (everything but its place in the chain).

    Attributes:
        at: when.
        direction: ``out`` (this node sent it) or ``in`` (this node received it).
        outcome: ``allowed`` or ``refused``.
        counterpart_state: the other state.
        message_id, message_type: the exchange message that carried (or would carry) it.
        categories: the data categories.
        purpose: the purpose code.
        consent_id: the consent it rests on, if any.
        basis: the legal basis claimed instead of a consent.
        reason: the refusal's reason code.
        detail, detail_ru: the refusal's explanation for people.
        subject_id: the person's account id (home node only).
    """

    at: datetime
    direction: Literal["out", "in"]
    outcome: Literal["allowed", "refused"]
    counterpart_state: str
    message_id: str
    message_type: str
    categories: tuple[str, ...]
    purpose: str | None = None
    consent_id: str | None = None
    basis: str | None = None
    reason: str | None = None
    detail: str | None = None
    detail_ru: str | None = None
    subject_id: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored ledger entry."""

    seq: int
    at: datetime
    direction: str
    outcome: str
    reason: str | None
    detail: str | None
    detail_ru: str | None
    consent_id: str | None
    basis: str | None
    counterpart_state: str
    purpose: str | None
    categories: tuple[str, ...]
    message_id: str
    message_type: str
    subject_id: str | None
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class LedgerSummary:
    """The result of a successful :func:`verify`: how many entries, and the last hash."""

    count: int
    head_hash: str


def entry_hash(fields: Mapping[str, Any]) -> str:
    """Return the hex SHA-256 of an entry's canonical JSON, over every field but ``hash``.

    Raises:
        KeyError: a hashed field is missing.
        ValueError: ``at`` is a naive datetime.
    """
    document = {name: fields[name] for name in HASHED_FIELDS}
    document["at"] = utc(fields["at"]).isoformat(timespec="microseconds")
    return hashlib.sha256(canonical_json(document)).hexdigest()


def append(session: Session, use: Use) -> Entry:
    """Append one entry, chained to the current head, in the caller's transaction.

    Appenders are serialised by the UPDATE of the single head row (a row lock on PostgreSQL,
    the writer lock on SQLite), held until the caller's transaction ends, as for the
    exchange's message log; append as the last step of a unit of work.

    Raises:
        LedgerTampered: the head row is missing (``ledger.head_mismatch``).
        ValueError: ``at`` is a naive datetime.
    """
    connection = session.connection()
    head = connection.execute(_ADVANCE_HEAD).one_or_none()
    if head is None:
        raise _missing_head(session)
    seq, prev_hash = head
    fields: dict[str, Any] = asdict(use)
    fields.update(
        seq=seq,
        at=utc(use.at),
        categories=",".join(sorted(use.categories)),
        prev_hash=prev_hash,
    )
    fields["hash"] = entry_hash(fields)
    connection.execute(_SET_HEAD_HASH, {"hash": fields["hash"]})
    connection.execute(_INSERT, fields)
    return _entry(fields)


def verify(session: Session) -> LedgerSummary:
    """Walk the chain in ``seq`` order and check every entry and the head.

    Returns:
        The number of entries and the hash of the last one (:data:`GENESIS` when empty).

    Raises:
        LedgerTampered: with ``seq`` the first broken entry, and reason ``ledger.altered``
            (an entry's hash does not match its content), ``ledger.broken_chain`` (an entry
            does not link to the one before: deleted or reordered) or
            ``ledger.head_mismatch`` (entries cut off the end or written past the head).
    """
    head = session.execute(
        select(LedgerHead.seq, LedgerHead.hash).where(LedgerHead.id == _HEAD_ID)
    ).one_or_none()
    if head is None:
        raise _missing_head(session)
    head_seq, head_hash = head
    previous, last_seq, count = GENESIS, 0, 0
    rows = session.execute(
        select(_ENTRIES)
        .where(_ENTRIES.c.seq <= head_seq)
        .order_by(_ENTRIES.c.seq)
        .execution_options(yield_per=_BATCH)
    ).mappings()
    with rows:
        for row in rows:
            fields = _as_stored(row)
            seq = fields["seq"]
            if entry_hash(fields) != fields["hash"]:
                raise LedgerTampered(
                    f"entry {seq} of the transfer ledger was altered", seq=seq, reason=ALTERED
                )
            if fields["prev_hash"] != previous:
                raise LedgerTampered(
                    f"entry {seq} of the transfer ledger does not follow entry {last_seq}: "
                    "an entry was deleted or entries were reordered",
                    seq=seq,
                    reason=BROKEN_CHAIN,
                )
            previous, last_seq, count = fields["hash"], seq, count + 1
    if last_seq != head_seq or previous != head_hash:
        raise LedgerTampered(
            f"the transfer ledger ends at entry {last_seq} but its head is at entry "
            f"{head_seq}: entries at the end were deleted or the head was altered",
            seq=last_seq + 1,
            reason=HEAD_MISMATCH,
        )
    beyond = session.scalar(select(func.min(_ENTRIES.c.seq)).where(_ENTRIES.c.seq > head_seq))
    if beyond is not None:
        now = session.scalar(select(LedgerHead.seq).where(LedgerHead.id == _HEAD_ID))
        if now is None or now < beyond:
            raise LedgerTampered(
                f"entry {beyond} of the transfer ledger lies past its head",
                seq=beyond,
                reason=HEAD_MISMATCH,
            )
    return LedgerSummary(count=count, head_hash=previous)


def for_subject(session: Session, subject_id: str, *, limit: int = 200) -> list[Entry]:
    """The newest entries about one person (home node), newest first."""
    return _select(session, _ENTRIES.c.subject_id == subject_id, limit)


def for_consent(session: Session, consent_id: str, *, limit: int = 200) -> list[Entry]:
    """The newest entries under one consent, newest first."""
    return _select(session, _ENTRIES.c.consent_id == consent_id, limit)


def recent(session: Session, *, limit: int = 100) -> list[Entry]:
    """The newest entries, newest first (for operators)."""
    return _select(session, None, limit)


def _select(session: Session, where: Any, limit: int) -> list[Entry]:
    query = select(_ENTRIES).order_by(_ENTRIES.c.seq.desc()).limit(limit)
    if where is not None:
        query = query.where(where)
    return [_entry(_as_stored(row)) for row in session.execute(query).mappings()]


def _entry(fields: Mapping[str, Any]) -> Entry:
    values = dict(fields)
    categories = values["categories"]
    values["categories"] = tuple(categories.split(",")) if categories else ()
    return Entry(**values)


def _as_stored(row: RowMapping) -> dict[str, Any]:
    fields = dict(row)
    # SQLite keeps no time zone and returns the stored UTC time as a naive datetime.
    if fields["at"].tzinfo is None:
        fields["at"] = fields["at"].replace(tzinfo=UTC)
    return fields


def _missing_head(session: Session) -> LedgerTampered:
    last = session.scalar(select(func.max(_ENTRIES.c.seq))) or 0
    return LedgerTampered(
        f"the head of the transfer ledger is missing (the entries end at {last})",
        seq=last + 1,
        reason=HEAD_MISMATCH,
    )
