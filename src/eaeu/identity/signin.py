"""Sign-in: password, one-time code, sessions, lockout and the development mailbox.

A sign-in has two steps. The password starts a *pending* session (no second factor) and
sends a six-digit code to the person's mailbox; the code completes it, and the session id
is replaced so that an id seen before the second factor is worth nothing after it.
Failed passwords are counted per username and per client; past the limit both are locked
for a while, and the person is told until when.

A six-digit code is guessable only if guesses are cheap (OWASP ASVS 5.0 V6): wrong codes
are counted for the pending session, not for each code, so asking for a new code does not
give new guesses, and past the limit of wrong codes the pending session ends. New codes
are limited in frequency and in number; asking for one too many also ends the pending
session. An ended sign-in starts again with the password. Wrong codes also count towards
the username's lockout, which only a *completed* sign-in clears (a right password alone
does not, or knowing the password would reset the count between guesses).

Only SHA-256 digests of session ids and codes are stored, and the counters of failures
are keyed by digests too, so the tables hold no usernames or addresses of strangers.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NoReturn

from sqlalchemy import delete, select

from eaeu.identity.errors import CodeRefused, SessionInvalid, SignInFailed, SignInLocked
from eaeu.identity.model import CITIZEN, SessionView, SignInPolicy
from eaeu.identity.orm import (
    CodeRecord,
    FailureRecord,
    MailboxRecord,
    PersonRecord,
    SessionRecord,
)
from eaeu.identity.passwords import Passwords
from eaeu.kernel.clock import Clock
from eaeu.kernel.ids import uuid7
from eaeu.kernel.log import get_logger
from eaeu.storage.uow import UnitOfWork

log = get_logger("eaeu.identity")

#: Bytes of randomness in a session id (256 bits).
SESSION_BYTES = 32
CODE_DIGITS = 6
# Writing ``last_seen_at`` on every request would turn every page view into a write;
# once a minute is precise enough for a 30-minute idle limit.
_TOUCH_EVERY_S = 60
#: Hex digits of a session digest logged to follow one sign-in (never the account).
_LOG_DIGEST = 8


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """A correct password: the pending session's token and where the code went."""

    token: str
    person_id: str


@dataclass(frozen=True, slots=True)
class _Account:
    """What sign-in reads of a person, copied out of the unit of work."""

    id: str
    state: str
    display_name: str
    email: str
    roles: str
    password_hash: str

    @classmethod
    def of(cls, record: PersonRecord) -> _Account:
        return cls(
            id=record.id,
            state=record.state,
            display_name=f"{record.given_name} {record.family_name}",
            email=record.email,
            roles=record.roles,
            password_hash=record.password_hash,
        )


@dataclass(frozen=True, slots=True)
class MailItem:
    """A message in the development mailbox."""

    id: str
    recipient: str
    subject: str
    body: str
    created_at: datetime


def digest(value: str) -> str:
    """The SHA-256 hex digest under which a session id, code or key is stored."""
    return hashlib.sha256(value.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns; they are UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class SignIn:
    """The sign-in service of a node.

    Args:
        uow: makes a unit of work (``platform.uow``).
        clock: the node's clock.
        passwords: the password hasher.
        policy: limits of failures, sessions and codes.
        token: a source of session ids (``secrets.token_urlsafe``; injected in tests).
        code: a source of one-time codes (six random digits; injected in tests).
    """

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        passwords: Passwords,
        policy: SignInPolicy | None = None,
        *,
        token: Callable[[], str] | None = None,
        code: Callable[[], str] | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._passwords = passwords
        self.policy = policy or SignInPolicy()
        self._token = token or (lambda: secrets.token_urlsafe(SESSION_BYTES))
        self._code = code or (lambda: f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}")

    # --- step 1: the password -------------------------------------------------------

    def password(self, username: str, password: str, *, client: str) -> PendingSignIn:
        """Check a username and password; on success start a pending session and send a code.

        Raises:
            SignInLocked: too many recent failures for this username or client (also
                raised by the failure that reaches the limit).
            SignInFailed: the username is unknown or the password wrong (one message).
        """
        now = self._clock.now()
        name = username.strip().lower()
        keys = (f"user:{digest(name)}", f"client:{digest(client)}")
        self._refuse_if_locked(keys, now)
        with self._uow() as uow:
            record = uow.session.scalars(
                select(PersonRecord).where(PersonRecord.username == name)
            ).first()
            person = _Account.of(record) if record else None
        # Verified even for an unknown username (against a fixed hash), so that the time
        # of the refusal does not tell whether the account exists.
        right = self._passwords.verify(person.password_hash if person else None, password)
        if person is None or not right:
            self._count_failure(keys, now)
            log.info("identity.signin.failed")
            raise SignInFailed("The username or password is not right. Check them and try again.")
        # The username's failures are cleared only when the code completes the sign-in.
        with self._uow() as uow:
            if self._passwords.needs_rehash(person.password_hash):
                fresh = uow.session.get(PersonRecord, person.id)
                if fresh is not None:
                    fresh.password_hash = self._passwords.hash(password)
            token = self._token()
            uow.session.add(
                SessionRecord(
                    id_hash=digest(token),
                    person_id=person.id,
                    state=person.state,
                    display_name=person.display_name,
                    roles=person.roles,
                    second_factor=False,
                    foreign=False,
                    persistent_id=None,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + self.policy.pending_session,
                )
            )
            self._send_code(uow, digest(token), person.id, person.email, now)
            uow.commit()
        log.info("identity.signin.password_ok", session=digest(token)[:_LOG_DIGEST])
        return PendingSignIn(token=token, person_id=person.id)

    def _refuse_if_locked(self, keys: tuple[str, ...], now: datetime) -> None:
        with self._uow() as uow:
            records = uow.session.scalars(select(FailureRecord).where(FailureRecord.key.in_(keys)))
            until = max(
                (
                    _aware(r.locked_until)
                    for r in records
                    if r.locked_until is not None and _aware(r.locked_until) > now
                ),
                default=None,
            )
        if until is not None:
            raise _locked(until)

    def _count_failure(self, keys: tuple[str, str], now: datetime) -> None:
        limits = {keys[0]: self.policy.user_failures, keys[1]: self.policy.client_failures}
        with self._uow() as uow:
            until = self._add_failures(uow, limits, now)
            uow.commit()
        if until is not None:
            log.info("identity.signin.locked")
            raise _locked(until)

    def _add_failures(
        self, uow: UnitOfWork, limits: dict[str, int], now: datetime
    ) -> datetime | None:
        """Count one failure for each key; return the end of a lock this one started."""
        until: datetime | None = None
        for key, limit in limits.items():
            record = uow.session.get(FailureRecord, key, with_for_update=True)
            if record is None:
                record = FailureRecord(key=key, failures=0, first_at=now)
                uow.session.add(record)
            elif now - _aware(record.first_at) > self.policy.failure_window:
                record.failures, record.first_at, record.locked_until = 0, now, None
            record.failures += 1
            if record.failures >= limit:
                record.locked_until = now + self.policy.lockout
                record.failures, record.first_at = 0, now
                until = max(until or record.locked_until, record.locked_until)
        return until

    @staticmethod
    def _user_key(uow: UnitOfWork, person_id: str) -> str | None:
        """The failure counter's key of a local person's username."""
        record = uow.session.get(PersonRecord, person_id)
        return f"user:{digest(record.username)}" if record is not None else None

    @staticmethod
    def _lock_of(uow: UnitOfWork, key: str | None, now: datetime) -> datetime | None:
        record = uow.session.get(FailureRecord, key) if key is not None else None
        if record is None or record.locked_until is None:
            return None
        until = _aware(record.locked_until)
        return until if until > now else None

    @staticmethod
    def _drop_session(uow: UnitOfWork, record: SessionRecord) -> None:
        uow.session.execute(delete(CodeRecord).where(CodeRecord.session_hash == record.id_hash))
        uow.session.delete(record)

    # --- step 2: the one-time code --------------------------------------------------

    def _send_code(
        self, uow: UnitOfWork, session_hash: str, person_id: str, email: str, now: datetime
    ) -> None:
        code = self._code()
        # Earlier codes of this session stop working when a new one is sent. They are
        # kept, expired, because together they are the session's record of how many codes
        # were sent and how many wrong ones were entered (no counters on the session).
        earlier = uow.session.scalars(
            select(CodeRecord).where(
                CodeRecord.session_hash == session_hash, CodeRecord.used_at.is_(None)
            )
        )
        for item in earlier:
            item.expires_at = min(_aware(item.expires_at), now)
        uow.session.add(
            CodeRecord(
                id=str(uuid7()),
                session_hash=session_hash,
                code_hash=digest(f"{session_hash}:{code}"),
                created_at=now,
                expires_at=now + self.policy.code_lifetime,
                attempts=0,
            )
        )
        minutes = int(self.policy.code_lifetime.total_seconds() // 60)
        uow.session.add(
            MailboxRecord(
                id=str(uuid7()),
                person_id=person_id,
                recipient=email,
                subject="Your sign-in code",
                body=(
                    f"Your sign-in code is {code}. It works once, for {minutes} minutes. "
                    "If you did not try to sign in, change your password."
                ),
                created_at=now,
            )
        )

    def resend_code(self, token: str) -> None:
        """Send a new code for a pending session (the previous one stops working).

        A pending session gets at most ``policy.code_resends`` new codes, each at least
        ``policy.code_resend_interval`` after the one before; wrong codes entered so far
        still count.

        Raises:
            SessionInvalid: no pending session for ``token``.
            CodeRefused: ``identity.code_resend_wait`` (too soon after the last code; the
                sign-in goes on) or ``identity.code_resends`` (no more new codes; the
                sign-in ended).
        """
        now = self._clock.now()
        with self._uow() as uow:
            record = self._live(uow, token, now)
            person = uow.session.get(PersonRecord, record.person_id) if record else None
            if record is None or record.second_factor or person is None:
                uow.commit()  # an expired session is deleted by _live
                raise SessionInvalid("Your sign-in has expired. Sign in again.")
            sent = list(
                uow.session.scalars(
                    select(CodeRecord)
                    .where(CodeRecord.session_hash == record.id_hash)
                    .with_for_update()
                )
            )
            if len(sent) > self.policy.code_resends:
                self._drop_session(uow, record)
                uow.commit()
                log.info("identity.signin.code_resends", session=record.id_hash[:_LOG_DIGEST])
                raise CodeRefused(
                    "You have asked for a new code too many times. "
                    "Sign in again with your password.",
                    reason="identity.code_resends",
                )
            last = max((_aware(c.created_at) for c in sent), default=None)
            if last is not None and now - last < self.policy.code_resend_interval:
                wait = math.ceil((self.policy.code_resend_interval - (now - last)).total_seconds())
                raise CodeRefused(
                    f"A new code was sent a moment ago. Wait {wait} seconds before asking "
                    "for another.",
                    reason="identity.code_resend_wait",
                )
            self._send_code(uow, record.id_hash, person.id, person.email, now)
            uow.commit()

    def confirm_code(self, token: str, code: str) -> str:
        """Complete a pending session with its one-time code; return the new session token.

        Every wrong code counts twice: for the pending session (``policy.code_attempts``
        in all, whatever new codes were sent) and towards the username's lockout.

        Raises:
            SessionInvalid: no pending session for ``token`` (expired or ended).
            SignInLocked: the username is locked (also raised by the wrong code that locks
                it); the sign-in ended.
            CodeRefused: ``identity.code_wrong``, ``identity.code_expired``,
                ``identity.code_used`` or ``identity.code_attempts`` (too many wrong codes
                for this sign-in, which ended).
        """
        now = self._clock.now()
        given = "".join(code.split())
        with self._uow() as uow:
            record = self._live(uow, token, now)
            if record is None:
                uow.commit()  # an expired session is deleted by _live
                raise SessionInvalid("Your sign-in has expired. Sign in again.")
            codes = list(
                uow.session.scalars(
                    select(CodeRecord)
                    .where(CodeRecord.session_hash == record.id_hash)
                    .with_for_update()
                )
            )
            pending = [c for c in codes if c.used_at is None]
            if record.second_factor or not pending:
                raise CodeRefused(
                    "This code has already been used. Sign in again to get a new one.",
                    reason="identity.code_used",
                )
            user_key = self._user_key(uow, record.person_id)
            # A username locked while this sign-in waited (by wrong passwords or codes
            # elsewhere) stops it too: parallel pending sessions give no extra guesses.
            locked = self._lock_of(uow, user_key, now)
            if locked is not None:
                self._drop_session(uow, record)
                uow.commit()
                raise _locked(locked)
            current = max(pending, key=lambda c: (_aware(c.created_at), c.id))
            if now >= _aware(current.expires_at):
                raise CodeRefused(
                    "This code has expired. Ask for a new code.", reason="identity.code_expired"
                )
            if not secrets.compare_digest(current.code_hash, digest(f"{record.id_hash}:{given}")):
                self._wrong_code(uow, record, current, codes, user_key, now)
            fresh = self._token()
            current.used_at = now
            for item in codes:
                item.session_hash = digest(fresh)
            if user_key is not None:
                uow.session.execute(delete(FailureRecord).where(FailureRecord.key == user_key))
            replacement = SessionRecord(
                id_hash=digest(fresh),
                person_id=record.person_id,
                state=record.state,
                display_name=record.display_name,
                roles=record.roles,
                second_factor=True,
                foreign=False,
                persistent_id=None,
                created_at=now,
                last_seen_at=now,
                expires_at=now + self.policy.session_absolute,
            )
            uow.session.delete(record)
            uow.session.add(replacement)
            uow.commit()
        log.info(
            "identity.signin.completed",
            pending=record.id_hash[:_LOG_DIGEST],
            session=replacement.id_hash[:_LOG_DIGEST],
        )
        return fresh

    def _wrong_code(
        self,
        uow: UnitOfWork,
        record: SessionRecord,
        current: CodeRecord,
        codes: list[CodeRecord],
        user_key: str | None,
        now: datetime,
    ) -> NoReturn:
        """Count a wrong code for the sign-in and the username; end the sign-in past a limit.

        Raises:
            SignInLocked: this wrong code locked the username.
            CodeRefused: ``identity.code_attempts`` or ``identity.code_wrong``.
        """
        current.attempts += 1
        wrong = sum(c.attempts for c in codes)
        until = (
            self._add_failures(uow, {user_key: self.policy.user_failures}, now)
            if user_key is not None
            else None
        )
        if until is None and wrong < self.policy.code_attempts:
            uow.commit()
            left = self.policy.code_attempts - wrong
            raise CodeRefused(
                f"The code is not right. You can try {left} more times.",
                reason="identity.code_wrong",
            )
        self._drop_session(uow, record)
        uow.commit()
        if until is not None:
            log.info("identity.signin.locked")
            raise _locked(until)
        log.info("identity.signin.code_attempts", session=record.id_hash[:_LOG_DIGEST])
        raise CodeRefused(
            "The code was entered wrongly too many times. Sign in again with your password.",
            reason="identity.code_attempts",
        )

    # --- sessions ---------------------------------------------------------------------

    def start_foreign(
        self,
        *,
        persistent_id: str,
        state: str,
        display_name: str,
        roles: frozenset[str] = frozenset({CITIZEN}),
        second_factor: bool = True,
    ) -> str:
        """Start a session for a visitor admitted by another node's identity assertion.

        Returns:
            The new session token (to be set as the session cookie).
        """
        now = self._clock.now()
        token = self._token()
        with self._uow() as uow:
            uow.session.add(
                SessionRecord(
                    id_hash=digest(token),
                    person_id=persistent_id,
                    state=state,
                    display_name=display_name,
                    roles=" ".join(sorted(roles)),
                    second_factor=second_factor,
                    foreign=True,
                    persistent_id=persistent_id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + self.policy.session_absolute,
                )
            )
            uow.commit()
        log.info("identity.session.foreign_started", state=state)
        return token

    def session(self, token: str) -> SessionView | None:
        """Return the live session for ``token``, or ``None`` (unknown, expired or ended)."""
        now = self._clock.now()
        with self._uow() as uow:
            record = self._live(uow, token, now)
            if record is None:
                uow.commit()  # an expired session is deleted by _live
                return None
            last_seen = _aware(record.last_seen_at)
            if (now - last_seen).total_seconds() >= _TOUCH_EVERY_S:
                record.last_seen_at = last_seen = now
            uow.commit()
            idle_end = last_seen + (
                self.policy.pending_session
                if not record.second_factor
                else self.policy.session_idle
            )
            return SessionView(
                person_id=record.person_id,
                state=record.state,
                display_name=record.display_name,
                roles=frozenset(record.roles.split()),
                second_factor=record.second_factor,
                foreign=record.foreign,
                persistent_id=record.persistent_id,
                expires_at=min(_aware(record.expires_at), idle_end),
            )

    def end(self, token: str) -> None:
        """End the session for ``token`` (nothing happens for an unknown token)."""
        with self._uow() as uow:
            hashed = digest(token)
            uow.session.execute(delete(CodeRecord).where(CodeRecord.session_hash == hashed))
            uow.session.execute(delete(SessionRecord).where(SessionRecord.id_hash == hashed))
            uow.commit()

    def _live(self, uow: UnitOfWork, token: str, now: datetime) -> SessionRecord | None:
        if not token:
            return None
        record = uow.session.get(SessionRecord, digest(token))
        if record is None:
            return None
        idle = self.policy.session_idle if record.second_factor else self.policy.pending_session
        if now >= _aware(record.expires_at) or now - _aware(record.last_seen_at) >= idle:
            self._drop_session(uow, record)
            return None
        return record

    # --- the development mailbox ------------------------------------------------------

    def mailbox(self, limit: int = 50) -> list[MailItem]:
        """The newest messages the node has sent, newest first."""
        with self._uow() as uow:
            records = uow.session.scalars(
                select(MailboxRecord)
                .order_by(MailboxRecord.created_at.desc(), MailboxRecord.id.desc())
                .limit(limit)
            )
            return [
                MailItem(r.id, r.recipient, r.subject, r.body, _aware(r.created_at))
                for r in records
            ]


def _locked(until: datetime) -> SignInLocked:
    return SignInLocked(
        "There have been too many failed attempts to sign in. "
        f"You can try again after {until:%H:%M} UTC.",
        until=until,
    )
