"""Replication of public vacancy data: a pull-based change feed over the exchange.

Every change to a vacancy of this state — posted, ingested, reconfirmed, changed, withdrawn,
blocked — gives it a new position ``seq`` in this node's feed (the vacancy store numbers
them). A peer asks ``jobs.feed.changes`` (a synchronous, public exchange request:
``{"since": n, "limit": k}``) and gets this node's own vacancies with ``seq > n`` in order,
tombstones included, a page at a time; it applies them with
:meth:`~eaeu.services.jobs.vacancies.VacancyStore.apply_replica` and keeps its cursor — the
last position applied — in ``jobs_feed_peers``, in the same transaction as the records. So a
pull that fails half-way loses nothing, a peer that was down is caught up from where it
stopped when it is back (deletions included, since they are changes too), and pulling a page
twice changes nothing.

Pulls run periodically (:meth:`Feed.sync_due`, called by the node's background worker: a
peer is claimed by moving its ``next_pull_at`` forward in one conditional update, so several
workers of one node never pull a peer at once) and on demand (:meth:`Feed.pull`,
:meth:`Feed.sync_all`: the operator's «sync now»). A failure is recorded with its reason and
never raised to the worker; :meth:`Feed.freshness` tells the search page how old each
country's data is.

Participation comes from the trust list in force: a node serves its feed only as a jobs
``publisher`` and only to a ``consumer``; it pulls only as a consumer and only from
publishers. Anything else is refused with ``jobs.not_participating``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from eaeu.exchange.errors import ExchangeError, MessageRefused
from eaeu.exchange.node import Handler, Incoming
from eaeu.kernel.errors import PlatformError
from eaeu.kernel.log import get_logger
from eaeu.services.jobs.context import CONSUMER, PUBLISHER, SERVICE, JobsContext
from eaeu.services.jobs.errors import JobsError
from eaeu.services.jobs.feed_orm import FeedPeerRow
from eaeu.services.jobs.vacancies import VacancyStore

log = get_logger("eaeu.jobs.feed")

#: The exchange message a node serves its feed with.
CHANGES: Final = "jobs.feed.changes"
#: Records per page asked for, and the most a node serves in one page.
PAGE: Final = 200
MAX_PAGE: Final = 500
#: The most JSON a page carries (an envelope is at most 1 MiB, and signing grows it by 4/3).
PAGE_BYTES: Final = 400_000
#: Pages one pull fetches at most; a longer backlog continues at the next pull.
MAX_PAGES: Final = 500
#: How often the periodic pull runs by default.
DEFAULT_EVERY: Final = timedelta(minutes=5)
#: How often the background loop looks for due peers, at most.
POLL_S: Final = 5.0
#: After a failed pull the peer is tried again sooner than usual: 15 s, 30 s, 1 min… up to
#: 15 min (never later than the usual time), so a peer that is back is caught up soon.
RETRY_BASE: Final = timedelta(seconds=15)
RETRY_CAP: Final = timedelta(minutes=15)


class FeedRefused(JobsError):
    """A pull or a page that cannot be made: ``jobs.not_participating``, ``jobs.feed_*``."""

    reason = "jobs.feed_refused"


@dataclass(frozen=True, slots=True)
class PeerStatus:
    """How this node's replica of one peer's vacancies stands.

    Attributes:
        state: the peer.
        participates: whether the peer publishes vacancies under the trust list in force
            (and this node consumes them), so it is pulled.
        cursor: the last feed position applied here.
        head: the peer's latest position as it last reported it.
        applied: records applied since the first pull.
        skipped: records refused (logged with their reason) since the first pull.
        last_attempt_at: when a pull last started.
        last_success_at: when a pull last caught up.
        last_failure_at: when a pull last failed.
        last_reason: why it last failed (an exchange or jobs reason code).
        failures: failed pulls in a row.
        next_pull_at: when the periodic pull is next due.
    """

    state: str
    participates: bool
    cursor: int = 0
    head: int | None = None
    applied: int = 0
    skipped: int = 0
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_reason: str | None = None
    failures: int = 0
    next_pull_at: datetime | None = None

    @property
    def behind(self) -> int | None:
        """How many positions the replica is behind the peer's last reported head."""
        return None if self.head is None else max(self.head - self.cursor, 0)

    @property
    def failing(self) -> bool:
        """Whether the last pull failed."""
        return self.failures > 0


@dataclass(frozen=True, slots=True)
class PullResult:
    """What one pull of one peer did.

    Attributes:
        state: the peer.
        ok: whether it caught up (or got as far as :data:`MAX_PAGES` allows).
        applied: records applied.
        skipped: records refused.
        pages: pages fetched.
        cursor: the cursor after the pull.
        reason: why it failed, when it did.
    """

    state: str
    ok: bool
    applied: int = 0
    skipped: int = 0
    pages: int = 0
    cursor: int = 0
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class _Page:
    changes: list[Any]
    next: int
    head: int
    more: bool


def _aware(value: datetime | None) -> datetime | None:
    """A stored time as UTC (SQLite gives it back without its zone)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _integer(value: Any) -> int | None:
    """``value`` if it is a non-negative JSON integer (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


class Feed:
    """This node's side of vacancy replication: serving its feed and pulling its peers'.

    Args:
        ctx: the node's wiring.
        vacancies: the node's vacancy store (a new one over ``ctx`` by default).
    """

    def __init__(self, ctx: JobsContext, vacancies: VacancyStore | None = None) -> None:
        self.ctx = ctx
        self.vacancies = vacancies or VacancyStore(ctx)

    def __repr__(self) -> str:
        return f"Feed(state={self.ctx.state!r})"

    def handlers(self) -> dict[str, Handler]:
        """The exchange handlers of this part (message type → handler)."""
        return {CHANGES: self._serve}

    # -- participation ------------------------------------------------------------------
    def publishes(self, state: str | None = None) -> bool:
        """Whether ``state`` (this node's by default) publishes vacancies in jobs."""
        return self.ctx.trust().participates(state or self.ctx.state, SERVICE, PUBLISHER)

    def consumes(self, state: str | None = None) -> bool:
        """Whether ``state`` (this node's by default) receives other states' vacancies."""
        return self.ctx.trust().participates(state or self.ctx.state, SERVICE, CONSUMER)

    def sources(self) -> list[str]:
        """The peers this node pulls: other publishers, if this node is a consumer."""
        if not self.consumes():
            return []
        return [peer for peer in self.ctx.peers() if self.publishes(peer)]

    # -- serving ------------------------------------------------------------------------
    def page(self, since: int, limit: int = PAGE) -> dict[str, Any]:
        """This node's own vacancy changes after position ``since``, as one feed page.

        The store gives out positions under a lock held until the writer commits, so what
        is committed is always a prefix of the feed: a page never skips a change that a
        later page would have to go back for.

        Returns:
            ``{"origin", "since", "changes", "next", "head", "more"}``: ``changes`` are
            ``Vacancy.to_json()`` records in position order (at least one when there are
            any, at most ``limit`` and about :data:`PAGE_BYTES` of JSON); ``next`` is the
            position to ask from next; ``head`` this node's latest position; ``more``
            whether there is anything after ``next``.
        """
        records = self.vacancies.changes_since(since, max(1, min(limit, MAX_PAGE)))
        changes: list[Any] = []
        size = 0
        for record in records:
            size += len(json.dumps(record, ensure_ascii=False).encode("utf-8"))
            if changes and size > PAGE_BYTES:
                break
            changes.append(record)
        position = int(changes[-1]["seq"]) if changes else since
        head = self.vacancies.last_seq()
        if changes:
            head = max(head, position)
        return {
            "origin": self.ctx.state,
            "since": since,
            "changes": changes,
            "next": position,
            "head": head,
            "more": head > position,
        }

    def _serve(self, incoming: Incoming) -> dict[str, Any]:
        sender = incoming.sender_state
        if not self.publishes():
            raise MessageRefused(
                f"the {self.ctx.state} node does not publish vacancies in the jobs service",
                reason="jobs.not_participating",
            )
        if not self.consumes(sender):
            raise MessageRefused(
                f"{sender} does not receive vacancies in the jobs service",
                reason="jobs.not_participating",
            )
        payload = incoming.payload if isinstance(incoming.payload, dict) else {}
        since = _integer(payload.get("since"))
        limit = _integer(payload.get("limit", PAGE))
        if since is None or limit is None or not 1 <= limit <= MAX_PAGE:
            raise MessageRefused(
                f"a feed request carries a position 'since' (an integer from 0) and a "
                f"'limit' from 1 to {MAX_PAGE}",
                reason="jobs.feed_malformed",
            )
        page = self.page(since, limit)
        log.info(
            "jobs.feed.served", peer=sender, since=since, count=len(page["changes"]),
            more=page["more"],
        )  # fmt: skip
        return page

    # -- pulling ------------------------------------------------------------------------
    def pull(self, peer: str) -> PullResult:
        """Pull ``peer``'s changes until caught up; record the outcome for the operator.

        A peer that does not answer or refuses is recorded as a failure with its reason,
        and the result says so; pages applied before the failure are kept.

        Raises:
            FeedRefused: this node has no exchange (``jobs.feed_unavailable``), or it does
                not consume or ``peer`` does not publish vacancies in jobs
                (``jobs.not_participating``).
        """
        peer = peer.upper()
        if self.ctx.exchange is None:
            raise FeedRefused(
                "This node has no exchange, so it cannot receive other states' vacancies.",
                reason="jobs.feed_unavailable",
            )
        if peer == self.ctx.state or peer not in self.sources():
            raise FeedRefused(
                f"{peer} is not a state whose vacancies this node receives: both must take "
                "part in the jobs service.",
                reason="jobs.not_participating",
            )
        started = self.ctx.clock.now()
        cursor = self._start(peer, started)
        applied = skipped = pages = 0
        more = True
        while more and pages < MAX_PAGES:
            try:
                page = self._fetch(peer, cursor)
                with self.ctx.uow() as uow:
                    kept, refused = self._apply(uow.session, peer, cursor, page)
                    self._advance(uow.session, peer, page, kept, refused)
                    uow.commit()
            except ExchangeError as exc:
                return self._failed(peer, exc.reason, applied, skipped, pages, cursor)
            except FeedRefused as exc:
                return self._failed(peer, exc.reason, applied, skipped, pages, cursor)
            except SQLAlchemyError as exc:
                # Another pull of the same peer (a second worker, «sync now») wrote the same
                # records first; nothing of this page was kept, the next pull goes on.
                log.warning("jobs.feed.store_failed", peer=peer, error=type(exc).__name__)
                return self._failed(peer, "jobs.feed_conflict", applied, skipped, pages, cursor)
            applied, skipped, pages = applied + kept, skipped + refused, pages + 1
            cursor, more = page.next, page.more
        self._succeeded(peer, self.ctx.clock.now())
        log.info(
            "jobs.feed.pulled", peer=peer, applied=applied, skipped=skipped, pages=pages,
            cursor=cursor,
        )  # fmt: skip
        return PullResult(
            peer, ok=True, applied=applied, skipped=skipped, pages=pages, cursor=cursor
        )

    def sync_all(self) -> dict[str, PullResult]:
        """Pull every peer this node receives vacancies from (peer → what happened)."""
        return {peer: self.pull(peer) for peer in self.sources()}

    def sync_due(self, every: timedelta = DEFAULT_EVERY) -> dict[str, PullResult]:
        """Pull the peers whose periodic pull is due, and schedule their next one.

        Safe to call often and from several workers of one node: each due peer is claimed
        by one conditional update, so only one caller pulls it.

        Args:
            every: the time between two periodic pulls of one peer.

        Returns:
            Peer → what happened, for the peers this call pulled.
        """
        sources = self.sources()
        if self.ctx.exchange is None or not sources:
            return {}
        now = self.ctx.clock.now()
        self._ensure_rows(sources)
        claimed: list[str] = []
        with self.ctx.uow() as uow:
            for peer in sources:
                result = uow.session.execute(
                    update(FeedPeerRow)
                    .where(
                        FeedPeerRow.state == peer,
                        or_(FeedPeerRow.next_pull_at.is_(None), FeedPeerRow.next_pull_at <= now),
                    )
                    .values(next_pull_at=now + every)
                )
                if getattr(result, "rowcount", 0) == 1:
                    claimed.append(peer)
            uow.commit()
        return {peer: self.pull(peer) for peer in claimed}

    def run(
        self,
        every: timedelta,
        stop: threading.Event,
        *,
        poll_s: float = POLL_S,
        on_new: Callable[[], object] | None = None,
    ) -> None:
        """Pull due peers until ``stop`` is set: the node's background worker runs this.

        It runs in a thread of its own, so that a peer that is slow to answer never holds up
        the delivery of the outbox. No failure ends it: a pull's failure is recorded on the
        peer, anything else is logged and tried again at the next round.

        Args:
            every: the time between two periodic pulls of one peer.
            stop: set to end the loop (it is checked between rounds).
            poll_s: the longest wait between two rounds.
            on_new: called after a round that applied new records (the saved searches'
                alerts run then); its failure is logged like a round's.
        """
        log.info("jobs.feed.started", every_s=every.total_seconds())
        while not stop.is_set():
            try:
                pulled = self.sync_due(every)
                if on_new is not None and any(r.applied for r in pulled.values()):
                    on_new()
            # The loop must outlive any one failure: it is logged and tried next round.
            except Exception:
                log.exception("jobs.feed.round_failed")
            stop.wait(min(every.total_seconds(), poll_s))
        log.info("jobs.feed.stopped")

    # -- what the operator and the search page see --------------------------------------
    def status(self) -> list[PeerStatus]:
        """Every other member state's feed status, in code order (pulled or not)."""
        trust = self.ctx.trust()
        sources = set(self.sources())
        with self.ctx.uow() as uow:
            rows = {row.state: row for row in uow.session.scalars(select(FeedPeerRow))}
            statuses = []
            for state in sorted(trust.members):
                if state == self.ctx.state:
                    continue
                row = rows.get(state)
                if row is None:
                    statuses.append(PeerStatus(state, participates=state in sources))
                    continue
                statuses.append(
                    PeerStatus(
                        state=state,
                        participates=state in sources,
                        cursor=row.cursor_seq,
                        head=row.head,
                        applied=row.applied,
                        skipped=row.skipped,
                        last_attempt_at=_aware(row.last_attempt_at),
                        last_success_at=_aware(row.last_success_at),
                        last_failure_at=_aware(row.last_failure_at),
                        last_reason=row.last_reason,
                        failures=row.failures,
                        next_pull_at=_aware(row.next_pull_at),
                    )
                )
        return statuses

    def freshness(self) -> dict[str, datetime | None]:
        """How fresh each publishing state's vacancies are on this node.

        Returns:
            Every state that publishes vacancies in jobs → when its vacancies were last
            pulled successfully (``None``: never); this node's own state → now.
        """
        now = self.ctx.clock.now()
        publishers = self.ctx.trust().participants(SERVICE, PUBLISHER)
        with self.ctx.uow() as uow:
            pulled = {
                row.state: row.last_success_at for row in uow.session.scalars(select(FeedPeerRow))
            }
        return {
            state: now if state == self.ctx.state else _aware(pulled.get(state))
            for state in publishers
        }

    # -- the steps of a pull ------------------------------------------------------------
    def _ensure_rows(self, peers: list[str]) -> None:
        with self.ctx.uow() as uow:
            held = set(uow.session.scalars(select(FeedPeerRow.state)))
            for peer in peers:
                if peer not in held:
                    uow.session.add(
                        FeedPeerRow(state=peer, cursor_seq=0, applied=0, skipped=0, failures=0)
                    )
            try:
                uow.commit()
            except IntegrityError:
                # Another worker added the row between the read and the write: it is there.
                uow.rollback()

    def _start(self, peer: str, now: datetime) -> int:
        self._ensure_rows([peer])
        with self.ctx.uow() as uow:
            row = uow.session.get(FeedPeerRow, peer)
            assert row is not None  # noqa: S101 - made by _ensure_rows
            row.last_attempt_at = now
            cursor = row.cursor_seq
            uow.commit()
        return cursor

    def _fetch(self, peer: str, cursor: int) -> _Page:
        assert self.ctx.exchange is not None  # noqa: S101 - checked by pull
        delivered = self.ctx.exchange.request(
            peer, SERVICE, CHANGES, {"since": cursor, "limit": PAGE}
        )
        answer = delivered.response
        if not isinstance(answer, dict) or answer.get("origin") != peer:
            raise FeedRefused(
                f"{peer} answered with something else than its feed", reason="jobs.feed_invalid"
            )
        changes, position = answer.get("changes"), _integer(answer.get("next"))
        head, more = _integer(answer.get("head")), answer.get("more")
        if (
            not isinstance(changes, list)
            or position is None
            or head is None
            or not isinstance(more, bool)
            or position < cursor
            or (more and not changes)
        ):
            raise FeedRefused(
                f"{peer} answered with a malformed feed page", reason="jobs.feed_invalid"
            )
        if head < cursor:
            # The peer's feed is behind what was applied here: its database was restored
            # or rebuilt. Start again from the beginning; newer records win on apply.
            log.warning("jobs.feed.peer_rewound", peer=peer, head=head, cursor=cursor)
            with self.ctx.uow() as uow:
                uow.session.execute(
                    update(FeedPeerRow).where(FeedPeerRow.state == peer).values(cursor_seq=0)
                )
                uow.commit()
            raise FeedRefused(f"{peer}'s feed was rewound", reason="jobs.feed_rewound")
        if head < position:
            raise FeedRefused(
                f"{peer} answered with a malformed feed page", reason="jobs.feed_invalid"
            )
        return _Page(changes, position, head, more)

    def _apply(self, session: Session, peer: str, cursor: int, page: _Page) -> tuple[int, int]:
        kept = refused = 0
        for record in page.changes:
            position = _integer(record.get("seq")) if isinstance(record, dict) else None
            if position is None or not cursor < position <= page.next:
                refused += 1
                log.warning("jobs.feed.record_refused", peer=peer, reason="jobs.feed_position")
                continue
            try:
                kept += self.vacancies.apply_replica(session, peer, record)
            except PlatformError as exc:
                refused += 1
                log.warning("jobs.feed.record_refused", peer=peer, reason=exc.reason)
        return kept, refused

    def _advance(self, session: Session, peer: str, page: _Page, kept: int, refused: int) -> None:
        row = session.get(FeedPeerRow, peer)
        assert row is not None  # noqa: S101 - made by _start
        row.cursor_seq = max(row.cursor_seq, page.next)
        row.head = page.head
        row.applied += kept
        row.skipped += refused

    def _succeeded(self, peer: str, now: datetime) -> None:
        with self.ctx.uow() as uow:
            row = uow.session.get(FeedPeerRow, peer)
            assert row is not None  # noqa: S101 - made by _start
            row.last_success_at = now
            row.failures = 0
            row.last_reason = None
            uow.commit()

    def _failed(
        self, peer: str, reason: str, applied: int, skipped: int, pages: int, cursor: int
    ) -> PullResult:
        with self.ctx.uow() as uow:
            row = uow.session.get(FeedPeerRow, peer)
            assert row is not None  # noqa: S101 - made by _start
            now = self.ctx.clock.now()
            row.last_failure_at = now
            row.last_reason = reason[:64]
            row.failures += 1
            retry = now + min(RETRY_BASE * 2 ** min(row.failures - 1, 16), RETRY_CAP)
            due = _aware(row.next_pull_at)
            row.next_pull_at = retry if due is None or retry < due else due
            uow.commit()
        log.info("jobs.feed.pull_failed", peer=peer, reason=reason, pages=pages)
        return PullResult(
            peer, ok=False, applied=applied, skipped=skipped, pages=pages, cursor=cursor,
            reason=reason,
        )  # fmt: skip


__all__ = ["CHANGES", "DEFAULT_EVERY", "Feed", "FeedRefused", "PeerStatus", "PullResult"]
