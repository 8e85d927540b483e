"""The requesting node's side: consents granted to it, revocations, and the data received.

Personal data received under a consent is kept in ``consent_received_data``, tied to the
consent, so that a revocation really deletes it (:func:`revoke`) and a copy past its data
life is purged (:func:`purge_expired`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from eaeu.consent.errors import ConsentRefused
from eaeu.consent.model import ACTIVE, REVOKED, ReceivedConsent, ReceivedData
from eaeu.consent.orm import ReceivedConsentRow, ReceivedDataRow, RevocationRow
from eaeu.consent.tokens import ConsentClaims, peek
from eaeu.kernel.clock import utc
from eaeu.kernel.ids import uuid7
from eaeu.kernel.log import get_logger

logger = get_logger("eaeu.consent")


def store_consent(session: Session, claims: ConsentClaims, token: str, *, at: datetime) -> bool:
    """Keep a consent granted to this node; return ``False`` if it was kept before.

    A consent whose revocation arrived first is stored as revoked.
    """
    if session.get(ReceivedConsentRow, claims.consent_id) is not None:
        return False
    revocation = session.get(RevocationRow, claims.consent_id)
    if revocation is not None and revocation.issuer_state != claims.issuer_state:
        revocation = None  # only the issuing node can revoke its consent
    session.add(
        ReceivedConsentRow(
            id=claims.consent_id,
            issuer_state=claims.issuer_state,
            subject_ref=claims.subject_ref,
            requester_organisation=claims.requester_organisation,
            requester_service=claims.requester_service,
            purpose=claims.purpose,
            categories=",".join(claims.categories),
            valid_from=claims.valid_from,
            valid_until=claims.valid_until,
            mode=claims.mode,
            data_life_days=claims.data_life_days,
            status=REVOKED if revocation else ACTIVE,
            received_at=utc(at),
            revoked_at=revocation.revoked_at if revocation else None,
            token=token,
        )
    )
    session.flush()
    logger.info("consent.received", consent_id=claims.consent_id, issuer=claims.issuer_state)
    return True


def revoke(
    session: Session, consent_id: str, *, issuer_state: str, revoked_at: datetime, at: datetime
) -> int:
    """Apply a revocation from the issuing node: stop using the consent, delete its data.

    Returns:
        How many pieces of received data were deleted.
    """
    if session.get(RevocationRow, consent_id) is None:
        session.add(
            RevocationRow(
                consent_id=consent_id,
                issuer_state=issuer_state,
                revoked_at=utc(revoked_at),
                received_at=utc(at),
            )
        )
    row = session.get(ReceivedConsentRow, consent_id)
    if row is not None and row.status != REVOKED:
        row.status, row.revoked_at = REVOKED, utc(revoked_at)
    deleted = session.execute(
        delete(ReceivedDataRow).where(ReceivedDataRow.consent_id == consent_id)
    )
    session.flush()
    count = int(getattr(deleted, "rowcount", 0) or 0)
    logger.info("consent.revocation.applied", consent_id=consent_id, deleted=count)
    return count


def is_revoked(session: Session, consent_id: str, issuer_state: str) -> bool:
    """Whether the issuing node revoked the consent."""
    row = session.get(RevocationRow, consent_id)
    return row is not None and row.issuer_state == issuer_state


def find(session: Session, consent_id: str) -> ReceivedConsent | None:
    """The received consent with ``consent_id``, or ``None``."""
    row = session.get(ReceivedConsentRow, consent_id)
    return None if row is None else _consent(row)


def consents(
    session: Session, *, organisation: str | None = None, limit: int = 200
) -> list[ReceivedConsent]:
    """The consents granted to this node, newest first.

    Args:
        session: the caller's session.
        organisation: only the consents naming this organisation (its legal identifier);
            ``None`` for every one (the node operator's view).
        limit: at most this many.
    """
    query = select(ReceivedConsentRow)
    if organisation is not None:
        query = query.where(ReceivedConsentRow.requester_organisation == organisation)
    rows = session.scalars(
        query.order_by(ReceivedConsentRow.received_at.desc(), ReceivedConsentRow.id.desc()).limit(
            limit
        )
    )
    return [_consent(row) for row in rows]


def keep_data(
    session: Session,
    consent: ReceivedConsent,
    payload: Any,
    *,
    message_id: str,
    categories: tuple[str, ...],
    at: datetime,
) -> ReceivedData:
    """Keep data received under ``consent`` until its data life ends."""
    row = ReceivedDataRow(
        id=str(uuid7()),
        consent_id=consent.id,
        message_id=message_id,
        categories=",".join(sorted(categories)),
        payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
        received_at=utc(at),
        delete_after=utc(at) + timedelta(days=consent.data_life_days),
    )
    session.add(row)
    session.flush()
    return _data(row)


def data_for(session: Session, consent_id: str) -> list[ReceivedData]:
    """The data kept under one consent, newest first."""
    rows = session.scalars(
        select(ReceivedDataRow)
        .where(ReceivedDataRow.consent_id == consent_id)
        .order_by(ReceivedDataRow.received_at.desc(), ReceivedDataRow.id.desc())
    )
    return [_data(row) for row in rows]


def purge_expired(session: Session, now: datetime) -> int:
    """Delete received data past its data life; return how many pieces."""
    result = session.execute(
        delete(ReceivedDataRow).where(ReceivedDataRow.delete_after <= utc(now))
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        logger.info("consent.data.purged", count=count)
    return count


def _consent(row: ReceivedConsentRow) -> ReceivedConsent:
    return ReceivedConsent(
        id=row.id,
        issuer_state=row.issuer_state,
        subject_ref=row.subject_ref,
        requester_organisation=row.requester_organisation,
        requester_service=row.requester_service,
        purpose=row.purpose,
        categories=tuple(row.categories.split(",")) if row.categories else (),
        valid_from=_aware(row.valid_from),
        valid_until=_aware(row.valid_until),
        mode=row.mode,
        data_life_days=row.data_life_days,
        status=row.status,
        received_at=_aware(row.received_at),
        revoked_at=_aware(row.revoked_at) if row.revoked_at else None,
        token=row.token,
        requester_organisation_name=_organisation_name(row.token),
    )


def _organisation_name(token: str) -> str | None:
    try:
        return peek(token).requester_organisation_name
    except ConsentRefused:  # pragma: no cover - stored only after the token verified
        return None


def _data(row: ReceivedDataRow) -> ReceivedData:
    return ReceivedData(
        id=row.id,
        consent_id=row.consent_id,
        message_id=row.message_id,
        categories=tuple(row.categories.split(",")) if row.categories else (),
        payload=json.loads(row.payload),
        received_at=_aware(row.received_at),
        delete_after=_aware(row.delete_after),
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
