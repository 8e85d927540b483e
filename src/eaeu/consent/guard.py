"""The consent guard: the exchange's transfer guard, built from consents and national rules.

``ConsentGuard`` implements :class:`eaeu.exchange.guard.TransferGuard`. Before personal data
leaves this node it must rest on a consent this node issued (or, for an answer going back to
the person's home, on the consent the home node issued) that is active, within its
validity, for the receiving state, the purpose and every category, and not used up; and the
home state's transfer policy must allow the categories to that destination on that basis.
Before personal data from a peer is handed to a handler, the consent token must verify
through the union trust list as issued by the sender's node, and cover this node, the
purpose, the categories and the time, and must not have been revoked.

Every refusal has its own reason code and a message the person understands (the policy's
own explanation for a policy refusal). Every transfer that crossed, and every refused
attempt, is appended to the transfer ledger; a refusal is written in its own transaction
once the refused one has ended, so that it survives the rollback.
"""

# Russian sentences for people are this module's data; Cyrillic letters are meant.
# ruff: noqa: RUF001

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from eaeu.consent import ledger, received, records, tokens
from eaeu.consent.errors import ConsentRefused
from eaeu.consent.model import BASIS, EXPIRED, REVOKED, Consent
from eaeu.consent.policy import (
    CATEGORIES,
    PolicyNotFound,
    Text,
    TransferPolicy,
    TransferRequestInvalid,
    check_transfer,
    explain,
    load_policy,
)
from eaeu.exchange.guard import Transfer
from eaeu.kernel.clock import utc
from eaeu.kernel.errors import NotFound
from eaeu.kernel.log import get_logger
from eaeu.kernel.states import MEMBER_STATES
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.trust.trustlist import TrustList

logger = get_logger("eaeu.consent")

#: Bases that need a consent token: claiming them without one is a missing consent.
_CONSENT_BASES: Final = frozenset({BASIS, "informed_consent"})
#: The basis of data a person sends abroad themselves (checked as their consent).
OWN_REQUEST: Final = "own_request"
_PENDING: Final = "eaeu.consent.pending_refusals"
_LISTENING: Final = "eaeu.consent.listening"


class ConsentGuard:
    """The transfer guard of one node.

    Args:
        state: this node's member state.
        trust: returns the trust list in force (``TrustStore.current``).
        uow: the node's unit-of-work factory (refusals are ledgered in their own
            transaction).
        policy: the transfer policy (the packaged one by default).
    """

    def __init__(
        self,
        *,
        state: str,
        trust: Callable[[], TrustList],
        uow: UnitOfWorkFactory,
        policy: TransferPolicy | None = None,
    ) -> None:
        self.state = state
        self._trust = trust
        self._uow = uow
        self.policy = policy or load_policy()

    def __repr__(self) -> str:
        return f"ConsentGuard(state={self.state!r})"

    def trust(self) -> TrustList:
        """The trust list in force, which consent tokens verify against."""
        return self._trust()

    # -- the TransferGuard protocol ------------------------------------------------------
    def check(self, session: Session, transfer: Transfer) -> None:
        """Allow the transfer or raise :class:`ConsentRefused` (ledgered as refused).

        Raises:
            ConsentRefused: with a ``consent.*`` or ``policy.*`` reason and a message for
                the person the data is about.
        """
        try:
            self._check(session, transfer)
        except ConsentRefused as exc:
            self._refused(session, transfer, exc)
            logger.info(
                "consent.transfer.refused",
                direction=transfer.direction,
                message_id=transfer.message_id,
                reason=exc.reason,
            )
            raise

    def record(self, session: Session, transfer: Transfer) -> None:
        """Append the transfer to the ledger; a transfer out uses the consent once.

        The use is counted atomically (:func:`records.mark_used`): when two transfers race
        under one one-time consent, both may pass :meth:`check`, but only the first to
        count it goes; the other is refused here and ledgered as refused.

        A transfer on another legal basis than a consent carries no reference to the person
        (the exchange's ``Transfer`` has none), so its entry has no ``subject_id`` and does
        not appear in the person's **My data**; a release the home node makes on the
        person's own request is recorded with them (:meth:`release_on_request`).

        Raises:
            ConsentRefused: ``consent.used`` — a one-time consent was used meanwhile.
        """
        consent_id, subject_id = self._about(session, transfer)
        if (
            consent_id is not None
            and subject_id is not None
            and transfer.direction == "out"
            and not records.mark_used(session, consent_id, transfer.at)
        ):
            refusal = ConsentRefused(USED, reason="consent.used")
            self._refused(session, transfer, refusal)
            logger.info(
                "consent.transfer.refused",
                direction=transfer.direction,
                message_id=transfer.message_id,
                reason=refusal.reason,
            )
            raise refusal
        ledger.append(session, self._use(transfer, "allowed", consent_id, subject_id))

    def release_on_request(
        self,
        session: Session,
        *,
        subject_id: str,
        to_state: str,
        purpose: str,
        categories: tuple[str, ...],
        reference: str,
        message_type: str,
        at: datetime,
    ) -> None:
        """Check and record data the person sends abroad themselves, outside the exchange.

        When a person signs in to another state's service, their home node hands their
        identity to that state's node through their browser, at their explicit request.
        The home state's transfer rules still apply; the basis checked and the basis
        ledgered are the same, ``own_request``, which the rules treat as the person's
        consent (``policy.EQUIVALENT_BASES``). The release is written to the ledger with
        the person, so that **My data** lists it.

        Raises:
            ConsentRefused: the home state's rules do not let this data go there
                (``policy.refused``, with the rules' explanation).
        """
        self._policy(session, to_state, categories, OWN_REQUEST, at)
        ledger.append(
            session,
            ledger.Use(
                at=at,
                direction="out",
                outcome="allowed",
                counterpart_state=to_state,
                message_id=reference,
                message_type=message_type,
                categories=categories,
                purpose=purpose,
                basis=OWN_REQUEST,
                subject_id=subject_id,
            ),
        )

    # -- the checks ----------------------------------------------------------------------
    def _check(self, session: Session, t: Transfer) -> None:
        counterpart = _counterpart(t)
        if t.consent is None:
            if t.basis is None or t.basis in _CONSENT_BASES:
                raise ConsentRefused(MISSING, reason="consent.missing")
            if t.direction == "out":
                self._policy(session, counterpart, t.categories, t.basis, t.at)
            return
        claims = tokens.peek(t.consent)
        if claims.issuer_state == self.state:
            consent = self._local(session, t.consent)
            _cover_local(consent, counterpart, t, used_counts=t.direction == "out")
        elif claims.issuer_state == counterpart:
            claims = tokens.verify(t.consent, self.trust())
            _cover_foreign(session, claims, self.state, t)
        else:
            raise ConsentRefused(
                Text(
                    f"The consent was given in {_name(claims.issuer_state, 'en')}, so it "
                    f"does not cover data exchanged between {_name(self.state, 'en')} and "
                    f"{_name(counterpart, 'en')}.",
                    f"Согласие дано в государстве {_name(claims.issuer_state, 'ru')} и не "
                    f"распространяется на обмен данными между государствами "
                    f"{_name(self.state, 'ru')} и {_name(counterpart, 'ru')}.",
                ),
                reason="consent.issuer",
            )
        if t.direction == "out":
            self._policy(session, counterpart, t.categories, BASIS, t.at)

    def _local(self, session: Session, token: str) -> Consent:
        claims = tokens.verify(token, self.trust())
        consent = records.find(session, claims.consent_id)
        if consent is None or consent.token != token:
            raise ConsentRefused(UNKNOWN, reason="consent.unknown")
        return consent

    def _policy(
        self, session: Session, to: str, categories: Iterable[str], basis: str, at: datetime
    ) -> None:
        try:
            decision = check_transfer(
                self.policy,
                from_state=self.state,
                to_state=to,
                categories=tuple(categories),
                basis=basis,
                at=utc(at).date(),
                notified_destinations=records.notified_destinations(session),
            )
        except (PolicyNotFound, TransferRequestInvalid, NotFound) as exc:
            raise ConsentRefused(
                Text(
                    f"The transfer rules cannot be applied: {exc.message}.",
                    f"Правила передачи не удаётся применить: {exc.message}.",
                ),
                reason=exc.reason,
            ) from None
        if not decision.allowed:
            raise ConsentRefused(
                Text(_sentences(explain(decision, "en")), _sentences(explain(decision, "ru"))),
                reason="policy.refused",
            )

    # -- the ledger ----------------------------------------------------------------------
    def _about(self, session: Session, t: Transfer) -> tuple[str | None, str | None]:
        """The consent id and, when this node issued it, the person it is about."""
        if t.consent is None:
            return None, None
        try:
            claims = tokens.peek(t.consent)
        except ConsentRefused:
            return None, None
        if claims.issuer_state != self.state:
            return claims.consent_id, None
        consent = records.find(session, claims.consent_id)
        return claims.consent_id, consent.subject_id if consent else None

    def _use(
        self,
        t: Transfer,
        outcome: Any,
        consent_id: str | None,
        subject_id: str | None,
        refusal: ConsentRefused | None = None,
    ) -> ledger.Use:
        return ledger.Use(
            at=t.at,
            direction=t.direction,
            outcome=outcome,
            counterpart_state=_counterpart(t),
            message_id=t.message_id,
            message_type=t.message_type,
            categories=tuple(t.categories),
            purpose=t.purpose,
            consent_id=consent_id,
            basis=BASIS if t.consent is not None else t.basis,
            reason=refusal.reason if refusal else None,
            detail=refusal.text.en if refusal else None,
            detail_ru=refusal.text.ru if refusal else None,
            subject_id=subject_id,
        )

    def _refused(self, session: Session, t: Transfer, exc: ConsentRefused) -> None:
        consent_id, subject_id = self._about(session, t)
        use = self._use(t, "refused", consent_id, subject_id, exc)
        if not session.in_transaction():
            self._write(use)
            return
        # The refused transaction is about to roll back (or, if its owner goes on, to
        # commit): the refusal is written in a transaction of its own once it has ended,
        # so that it survives, and without waiting for a lock the caller still holds.
        session.info.setdefault(_PENDING, []).append(use)
        if not session.info.get(_LISTENING):
            session.info[_LISTENING] = True
            event.listen(session, "after_transaction_end", self._after_transaction)

    def _after_transaction(self, session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is not None:
            return
        for use in session.info.pop(_PENDING, []):
            self._write(use)

    def _write(self, use: ledger.Use) -> None:
        try:
            with self._uow() as uow:
                ledger.append(uow.session, use)
                uow.commit()
        except Exception:  # noqa: BLE001 - runs after a rollback; the refusal itself stands
            logger.warning(
                "consent.ledger.refusal_not_recorded", message_id=use.message_id, reason=use.reason
            )


# -- coverage of a consent -----------------------------------------------------------------


def _cover_local(consent: Consent, counterpart: str, t: Transfer, *, used_counts: bool) -> None:
    status = consent.status_at(t.at)
    if status == REVOKED:
        raise revoked_refusal(consent.revoked_at)
    if status == EXPIRED:
        raise expired_refusal(consent.valid_until)
    _cover(
        t,
        valid_from=consent.valid_from,
        receiver=consent.requester_state,
        counterpart=counterpart,
        purpose=consent.purpose,
        categories=consent.categories,
    )
    if used_counts and consent.used_up:
        raise ConsentRefused(USED, reason="consent.used")


def _cover_foreign(session: Session, claims: tokens.ConsentClaims, me: str, t: Transfer) -> None:
    if received.is_revoked(session, claims.consent_id, claims.issuer_state):
        raise revoked_refusal(None)
    if utc(t.at) >= claims.valid_until:
        raise expired_refusal(claims.valid_until)
    # Data in from the home node, or an answer going back to it: either way the consent
    # must name this node's state as the one allowed to hold the data.
    _cover(
        t,
        valid_from=claims.valid_from,
        receiver=claims.requester_state,
        counterpart=me,
        purpose=claims.purpose,
        categories=claims.categories,
    )


def _cover(
    t: Transfer,
    *,
    valid_from: datetime,
    receiver: str,
    counterpart: str,
    purpose: str,
    categories: tuple[str, ...],
) -> None:
    if utc(t.at) < utc(valid_from):
        raise ConsentRefused(
            Text(
                f"The consent only applies from {_day(valid_from)}.",
                f"Согласие действует только с {_day(valid_from)}.",
            ),
            reason="consent.not_yet_valid",
        )
    if counterpart != receiver:
        raise receiver_refusal(receiver)
    if t.purpose != purpose:
        raise ConsentRefused(
            Text(
                "The consent was given for a different purpose than this transfer names.",
                "Согласие дано для другой цели, чем указана в этой передаче.",
            ),
            reason="consent.purpose",
        )
    extra = sorted(set(t.categories) - set(categories))
    if extra:
        en = ", ".join(CATEGORIES[c][0] if c in CATEGORIES else c for c in extra)
        ru = ", ".join(CATEGORIES[c][1] if c in CATEGORIES else c for c in extra)
        raise ConsentRefused(
            Text(
                f"The consent does not cover these data: {en}.",
                f"Согласие не распространяется на эти данные: {ru}.",
            ),
            reason="consent.categories",
        )


def _counterpart(t: Transfer) -> str:
    return t.receiver_state if t.direction == "out" else t.sender_state


MISSING: Final = Text(
    "No consent was given for this transfer of personal data, and no other legal basis was named.",
    "На эту передачу персональных данных не дано согласие и не указано иное правовое основание.",
)
UNKNOWN: Final = Text(
    "This node holds no consent with that reference; it may have been issued elsewhere or deleted.",
    "На этом узле нет согласия с такой ссылкой; возможно, оно выдано в другом месте или удалено.",
)
USED: Final = Text(
    "The consent was for one transfer only, and that transfer has taken place.",
    "Согласие было дано на одну передачу, и она уже состоялась.",
)


def revoked_refusal(at: datetime | None) -> ConsentRefused:
    """The refusal of data under a consent the person withdrew."""
    when_en = f" on {_day(at)}" if at else ""
    when_ru = f" {_day(at)}" if at else ""
    return ConsentRefused(
        Text(
            f"The person withdrew this consent{when_en}, so their data may no longer be sent.",
            f"Человек отозвал это согласие{when_ru}, поэтому его данные больше нельзя передавать.",
        ),
        reason="consent.revoked",
    )


def expired_refusal(until: datetime) -> ConsentRefused:
    """The refusal of data under a consent past its end."""
    return ConsentRefused(
        Text(
            f"The consent ended on {_day(until)}.",
            f"Срок действия согласия истёк {_day(until)}.",
        ),
        reason="consent.expired",
    )


def receiver_refusal(receiver: str) -> ConsentRefused:
    """The refusal of data going to a state the consent does not name."""
    return ConsentRefused(
        Text(
            f"The consent allows the data to go to {_name(receiver, 'en')} only.",
            f"Согласие разрешает передачу данных только в государство {_name(receiver, 'ru')}.",
        ),
        reason="consent.receiver",
    )


def _name(state: str, language: str) -> str:
    member = MEMBER_STATES.get(state)
    return member.name(language) if member else state


def _day(value: datetime | None) -> str:
    return utc(value).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _sentences(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


__all__ = ["ConsentGuard", "expired_refusal", "receiver_refusal", "revoked_refusal"]
