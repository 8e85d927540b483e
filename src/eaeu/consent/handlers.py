"""Consent use cases: preview, give, withdraw (home node), request the data (requester).

Each is one unit of work: a consent given or withdrawn and the message that tells the
requesting node commit together (the exchange's transactional outbox), so a requester learns
of every consent and every revocation, and of nothing that was rolled back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from eaeu.consent import ledger, received, records
from eaeu.consent.errors import ConsentInvalid, ConsentNotFound
from eaeu.consent.guard import expired_refusal, revoked_refusal
from eaeu.consent.messages import DATA_REQUEST, GRANTED, REVOKED, SERVICE
from eaeu.consent.model import (
    BASIS,
    EXPIRED,
    ONE_TIME,
    Consent,
    ConsentTerms,
    ReceivedConsent,
    ReceivedData,
    check_terms,
    fields_of,
    normalise_categories,
    notice_hash,
)
from eaeu.consent.model import REVOKED as REVOKED_STATUS
from eaeu.consent.policy import TransferDecision, TransferPolicy, check_transfer, explain
from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.node import ExchangeNode
from eaeu.kernel.clock import utc


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    """What a requesting service asks a person to consent to (before the preview).

    Attributes:
        requester_state, requester_organisation, requester_service: who would receive it;
            the organisation by its legal identifier (``RU-OGRN-1157746013237``).
        requester_organisation_name: the organisation's name, shown with its identifier.
        purpose: a key of ``PURPOSES``.
        categories: the data categories asked for.
        valid_until: when the consent would end.
        mode: ``one-time`` or ``periodic``.
        data_life_days: how long the receiver would keep the data.
    """

    requester_state: str
    purpose: str
    categories: tuple[str, ...]
    valid_until: datetime
    mode: str = ONE_TIME
    data_life_days: int = 30
    requester_organisation: str | None = None
    requester_service: str | None = None
    requester_organisation_name: str | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    """What a person sees before consenting: who gets which data, why, and the law's duties.

    Attributes:
        ask: the request, with its categories normalised.
        fields: the fields the categories release.
        values: the person's data that would be sent, field by field.
        decision: the home state's transfer rules applied to this transfer.
        notice_hash: the hash of this notice (kept with the consent).
    """

    ask: ConsentRequest
    fields: tuple[str, ...]
    values: Mapping[str, Any]
    decision: TransferDecision
    notice_hash: str


def preview(
    exchange: ExchangeNode,
    policy: TransferPolicy,
    ask: ConsentRequest,
    *,
    person: Mapping[str, Any],
    language: str,
) -> Preview:
    """Show what a consent would release, and whether the home state's rules allow it.

    Raises:
        ConsentInvalid: the request breaks a rule of consent terms (its reason says which).
    """
    now = exchange.clock.now()
    ask = replace(ask, categories=normalise_categories(ask.categories))
    check_terms(
        ConsentTerms(
            subject_id="preview",
            subject_state=exchange.state,
            requester_state=ask.requester_state,
            requester_organisation=ask.requester_organisation,
            purpose=ask.purpose,
            categories=ask.categories,
            valid_from=min(now, ask.valid_until),
            valid_until=ask.valid_until,
            mode=ask.mode,
            data_life_days=ask.data_life_days,
            preview_hash="preview",
        )
    )
    with exchange.uow() as uow:
        notified = records.notified_destinations(uow.session)
    decision = check_transfer(
        policy,
        from_state=exchange.state,
        to_state=ask.requester_state,
        categories=ask.categories,
        basis=BASIS,
        at=now.date(),
        notified_destinations=notified,
    )
    fields = fields_of(ask.categories)
    return Preview(
        ask=ask,
        fields=fields,
        values={name: person[name] for name in fields if name in person},
        decision=decision,
        notice_hash=notice_hash(
            requester_state=ask.requester_state,
            requester_organisation=ask.requester_organisation,
            requester_service=ask.requester_service,
            purpose=ask.purpose,
            categories=ask.categories,
            valid_until=ask.valid_until,
            mode=ask.mode,
            data_life_days=ask.data_life_days,
            duties=tuple(duty.code for duty in decision.duties),
            language=language,
            requester_organisation_name=ask.requester_organisation_name,
        ),
    )


def confirm(
    exchange: ExchangeNode,
    policy: TransferPolicy,
    ask: ConsentRequest,
    *,
    person: Mapping[str, Any],
    subject_id: str,
    language: str,
    preview_hash: str,
    explicit_request: bool,
) -> Consent:
    """Give the consent the person saw in the preview (the *confirm* button).

    Raises:
        ConsentInvalid: ``consent.preview_changed`` (the notice is not the one the person
            saw), ``consent.policy_refused`` (the home state's rules refuse the transfer),
            ``consent.no_explicit_request``, or a rule of consent terms.
    """
    shown = preview(exchange, policy, ask, person=person, language=language)
    if shown.notice_hash != preview_hash:
        raise ConsentInvalid(
            "the details of the request changed since they were shown",
            reason="consent.preview_changed",
        )
    if not shown.decision.allowed:
        raise ConsentInvalid(
            explain(shown.decision, "en").replace("\n", " "), reason="consent.policy_refused"
        )
    ask = shown.ask
    return give(
        exchange,
        ConsentTerms(
            subject_id=subject_id,
            subject_state=exchange.state,
            requester_state=ask.requester_state,
            requester_organisation=ask.requester_organisation,
            requester_organisation_name=ask.requester_organisation_name,
            requester_service=ask.requester_service,
            purpose=ask.purpose,
            categories=ask.categories,
            valid_from=exchange.clock.now(),
            valid_until=ask.valid_until,
            mode=ask.mode,
            data_life_days=ask.data_life_days,
            explicit_request=explicit_request,
            preview_hash=shown.notice_hash,
        ),
    )


def give(exchange: ExchangeNode, terms: ConsentTerms) -> Consent:
    """Record the consent a person gives, and tell the requesting node (one transaction).

    Raises:
        ConsentInvalid: the terms break a rule.
    """
    with exchange.uow() as uow:
        consent = records.grant(
            uow.session, terms, signer=exchange.signer, now=exchange.clock.now()
        )
        exchange.enqueue(
            uow.session, consent.requester_state, SERVICE, GRANTED, {"token": consent.token}
        )
        uow.commit()
    return consent


def withdraw(exchange: ExchangeNode, consent_id: str, *, subject_id: str) -> Consent:
    """Revoke a person's consent, and tell the requesting node to delete the data.

    Raises:
        ConsentNotFound: the person has no consent with that id.
        ConsentNotActive: it was revoked before or has ended.
    """
    with exchange.uow() as uow:
        consent = records.revoke(
            uow.session, consent_id, subject_id=subject_id, now=exchange.clock.now()
        )
        revoked_at = consent.revoked_at or exchange.clock.now()
        exchange.enqueue(
            uow.session,
            consent.requester_state,
            SERVICE,
            REVOKED,
            {"consent_id": consent.id, "revoked_at": utc(revoked_at).isoformat()},
        )
        uow.commit()
    return consent


@dataclass(frozen=True, slots=True)
class MyData:
    """A person's consents and the ledger of every transfer of their data."""

    consents: list[Consent]
    transfers: list[ledger.Entry]


def my_data(exchange: ExchangeNode, subject_id: str) -> MyData:
    """Everything the home node knows about where a person's data went."""
    with exchange.uow() as uow:
        records.expire_due(uow.session, exchange.clock.now())
        uow.commit()
        return MyData(
            consents=records.for_subject(uow.session, subject_id),
            transfers=ledger.for_subject(uow.session, subject_id),
        )


@dataclass(frozen=True, slots=True)
class Fetched:
    """Data received under a consent, as kept on the requesting node."""

    consent: ReceivedConsent
    data: ReceivedData


def request_data(
    exchange: ExchangeNode,
    consent_id: str,
    *,
    organisation: str | None,
    categories: tuple[str, ...] | None = None,
) -> Fetched:
    """Ask the home node for the data a consent covers, and keep the answer.

    Args:
        exchange: the requesting node's exchange.
        consent_id: the consent granted to this node.
        organisation: the legal identifier of the organisation asking; the consent must
            name it. ``None`` only for the node operator's own call (the operator API).
        categories: the categories wanted (all the consent covers by default).

    Raises:
        ConsentNotFound: no consent with that id was granted to this node (for
            ``organisation``).
        ConsentRefused: the consent was revoked or has ended (known here already).
        MessageRefused: the home node refused, with its reason (``consent.*``, ``policy.*``).
        PeerUnavailable: the home node did not answer.
    """
    now = exchange.clock.now()
    with exchange.uow() as uow:
        received.purge_expired(uow.session, now)
        consent = received.find(uow.session, consent_id)
        uow.commit()
    if consent is None or (
        organisation is not None and consent.requester_organisation != organisation
    ):
        # Another organisation's consent is not even acknowledged to exist.
        raise ConsentNotFound("this node holds no consent with this reference")
    status = consent.status_at(now)
    if status == REVOKED_STATUS:
        raise revoked_refusal(consent.revoked_at)
    if status == EXPIRED:
        raise expired_refusal(consent.valid_until)
    asked = normalise_categories(categories or consent.categories)
    delivered = exchange.request(
        consent.issuer_state,
        SERVICE,
        DATA_REQUEST,
        {"consent": consent.token, "categories": list(asked)},
    )
    answer = delivered.response
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict):
        raise MessageRefused(
            f"{consent.issuer_state} answered without the data", reason="exchange.bad_response"
        )
    with exchange.uow() as uow:
        kept = received.keep_data(
            uow.session,
            consent,
            data,
            message_id=delivered.message_id,
            categories=asked,
            at=exchange.clock.now(),
        )
        uow.commit()
    return Fetched(consent=consent, data=kept)


@dataclass(frozen=True, slots=True)
class Received:
    """A consent granted to this node, with the data kept under it."""

    consent: ReceivedConsent
    data: list[ReceivedData]


def received_consents(exchange: ExchangeNode, *, organisation: str | None) -> list[Received]:
    """The consents granted to this node and the data kept under each (after purging).

    Args:
        exchange: the requesting node's exchange.
        organisation: only the consents naming this organisation (its legal identifier);
            ``None`` for every consent (the node operator's view).
    """
    with exchange.uow() as uow:
        received.purge_expired(uow.session, exchange.clock.now())
        uow.commit()
        return [
            Received(consent, received.data_for(uow.session, consent.id))
            for consent in received.consents(uow.session, organisation=organisation)
        ]
