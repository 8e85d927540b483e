"""Consent records on the person's home node: give, revoke, use, expire.

A consent is created only on the person's own action, after they have seen the preview:
:func:`grant` checks the terms, signs the token with the home node's exchange key and stores
both. Only the person revokes it (:func:`revoke`). A one-time consent is used up by its
first transfer (:func:`mark_used`, called by the guard when the transfer is recorded), and
any consent ends with its validity (:func:`expire_due`, and :meth:`Consent.status_at` for
the moment in between).

The node also keeps the notifications its state's authority requires before personal data
first leaves for a destination (:func:`record_notification`, :func:`notifications`); a
development node assumes them (:func:`assume_notified`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from eaeu.consent import tokens
from eaeu.consent.errors import ConsentInvalid, ConsentNotActive, ConsentNotFound, ConsentRefused
from eaeu.consent.model import (
    ACTIVE,
    BASIS,
    EXPIRED,
    ONE_TIME,
    PURPOSES,
    REVOKED,
    VERSION,
    Consent,
    ConsentTerms,
    check_terms,
    fields_of,
    normalise_categories,
)
from eaeu.consent.orm import AuthorityNotification, ConsentRecordRow
from eaeu.consent.policy import Text
from eaeu.kernel.clock import utc
from eaeu.kernel.ids import uuid7
from eaeu.kernel.log import get_logger
from eaeu.kernel.states import MEMBER_STATES
from eaeu.trust.keys import Signer

logger = get_logger("eaeu.consent")


def grant(session: Session, terms: ConsentTerms, *, signer: Signer, now: datetime) -> Consent:
    """Record the consent a person gives and sign its token (in the caller's transaction).

    Args:
        session: the caller's unit-of-work session.
        terms: what the person agreed to, after the preview.
        signer: the home node's exchange signer (its kid is in the trust list).
        now: the time of the person's confirmation.

    Returns:
        The stored consent, with its token.

    Raises:
        ConsentInvalid: the terms break a rule (its reason names which).
    """
    categories = normalise_categories(terms.categories)
    check_terms(replace(terms, categories=categories))
    now = _second(now)
    claims = tokens.ConsentClaims(
        consent_id=str(uuid7()),
        issuer_state=terms.subject_state,
        subject_ref=secrets.token_urlsafe(18),
        requester_state=terms.requester_state,
        requester_organisation=terms.requester_organisation,
        requester_service=terms.requester_service,
        purpose=terms.purpose,
        basis=BASIS,
        categories=categories,
        fields=fields_of(categories),
        mode=terms.mode,
        # Whole seconds: the token carries Unix seconds, and both must say the same.
        valid_from=_second(terms.valid_from),
        valid_until=_second(terms.valid_until),
        issued_at=now,
        data_life_days=terms.data_life_days,
        explicit_request=terms.explicit_request,
        preview_hash=terms.preview_hash,
        requester_organisation_name=terms.requester_organisation_name,
    )
    token = tokens.sign(claims, signer)
    purpose_text = PURPOSES[terms.purpose]
    row = ConsentRecordRow(
        id=claims.consent_id,
        version=VERSION,
        subject_id=terms.subject_id,
        subject_state=terms.subject_state,
        subject_ref=claims.subject_ref,
        requester_state=terms.requester_state,
        requester_organisation=terms.requester_organisation,
        requester_service=terms.requester_service,
        provider_state=terms.subject_state,
        purpose=terms.purpose,
        purpose_text_en=purpose_text.en,
        purpose_text_ru=purpose_text.ru,
        basis=BASIS,
        categories=",".join(categories),
        fields=",".join(claims.fields),
        valid_from=claims.valid_from,
        valid_until=claims.valid_until,
        mode=terms.mode,
        data_life_days=terms.data_life_days,
        explicit_request=terms.explicit_request,
        preview_shown=terms.preview_hash is not None,
        preview_hash=terms.preview_hash,
        status=ACTIVE,
        use_count=0,
        last_used_at=None,
        created_at=now,
        revoked_at=None,
        token=token,
    )
    session.add(row)
    session.flush()
    logger.info(
        "consent.granted", consent_id=row.id, requester=row.requester_state, purpose=row.purpose
    )
    return view(row)


def revoke(session: Session, consent_id: str, *, subject_id: str, now: datetime) -> Consent:
    """Revoke a consent on its person's action (in the caller's transaction).

    Raises:
        ConsentNotFound: no consent with that id belongs to ``subject_id``.
        ConsentNotActive: it was revoked before or has expired.
    """
    row = session.get(ConsentRecordRow, consent_id, with_for_update=True)
    if row is None or row.subject_id != subject_id:
        raise ConsentNotFound("you have no consent with this reference")
    current = view(row).status_at(now)
    if current != ACTIVE:
        raise ConsentNotActive(
            "this consent was already withdrawn"
            if current == REVOKED
            else "this consent has already ended"
        )
    row.status, row.revoked_at = REVOKED, utc(now)
    session.flush()
    logger.info("consent.revoked", consent_id=row.id, requester=row.requester_state)
    return view(row)


def find(session: Session, consent_id: str) -> Consent | None:
    """The consent with ``consent_id``, or ``None``."""
    row = session.get(ConsentRecordRow, consent_id)
    return None if row is None else view(row)


def for_subject(session: Session, subject_id: str) -> list[Consent]:
    """Every consent of one person, newest first."""
    rows = session.scalars(
        select(ConsentRecordRow)
        .where(ConsentRecordRow.subject_id == subject_id)
        .order_by(ConsentRecordRow.created_at.desc(), ConsentRecordRow.id.desc())
    )
    return [view(row) for row in rows]


def mark_used(session: Session, consent_id: str, at: datetime) -> bool:
    """Count one transfer under the consent, atomically; ``False`` if it was used up.

    The check and the count are one conditional ``UPDATE``, so that of two transfers racing
    under one one-time consent exactly one counts: on PostgreSQL the second waits for the
    first's row lock and then finds ``use_count`` no longer 0; on SQLite writers are
    serialised by the database lock and the second sees the committed count.

    Returns:
        ``True`` if the transfer was counted, ``False`` if a one-time consent had already
        been used (the caller must refuse the transfer).
    """
    result = session.execute(
        update(ConsentRecordRow)
        .where(
            ConsentRecordRow.id == consent_id,
            or_(ConsentRecordRow.mode != ONE_TIME, ConsentRecordRow.use_count == 0),
        )
        .values(use_count=ConsentRecordRow.use_count + 1, last_used_at=utc(at))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def expire_due(session: Session, now: datetime) -> int:
    """Mark every active consent past its end as expired; return how many."""
    result = session.execute(
        update(ConsentRecordRow)
        .where(ConsentRecordRow.status == ACTIVE, ConsentRecordRow.valid_until <= utc(now))
        .values(status=EXPIRED)
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        logger.info("consent.expired", count=count)
    return count


#: The reference of notifications a development node assumes were made (see
#: :func:`assume_notified`); a real node records the authority's own numbers.
ASSUMED_REFERENCE: Final = "DEV-ASSUMED"
_MAX_REFERENCE = 255


@dataclass(frozen=True, slots=True)
class Notification:
    """A notification of the home state's authority, as recorded on the node.

    Attributes:
        destination: the state transfers to which were notified, or ``*`` for every one.
        notified_at: when it was recorded.
        reference: the authority's registration number of the notification.
    """

    destination: str
    notified_at: datetime
    reference: str


def record_notification(
    session: Session,
    destination: str,
    *,
    reference: str,
    at: datetime,
    home: str | None = None,
) -> Notification:
    """Record that the authority was notified of transfers to ``destination`` (or ``*``).

    Recording it again replaces the reference and the time.

    Args:
        session: the caller's unit-of-work session.
        destination: a member state's code, or ``*`` for a notification that covers every
            destination.
        reference: the authority's number of the notification (``RKN-…``).
        at: when it is recorded.
        home: this node's state, which is never a destination.

    Raises:
        ConsentInvalid: ``consent.notification_invalid`` — not another member state, or no
            reference.
    """
    destination = destination.strip().upper()
    reference = reference.strip()
    if (destination != "*" and destination not in MEMBER_STATES) or destination == home:
        raise ConsentInvalid(
            "a notification names another member state, or * for every one",
            reason="consent.notification_invalid",
        )
    if not reference or len(reference) > _MAX_REFERENCE:
        raise ConsentInvalid(
            f"a notification needs the authority's reference (at most {_MAX_REFERENCE} characters)",
            reason="consent.notification_invalid",
        )
    row = session.get(AuthorityNotification, destination)
    if row is None:
        session.add(
            AuthorityNotification(destination=destination, notified_at=utc(at), reference=reference)
        )
    else:
        row.notified_at, row.reference = utc(at), reference
    session.flush()
    logger.info("consent.notification.recorded", destination=destination)
    return Notification(destination, utc(at), reference)


def notifications(session: Session) -> list[Notification]:
    """Every notification recorded, by destination."""
    rows = session.scalars(
        select(AuthorityNotification).order_by(AuthorityNotification.destination)
    )
    return [Notification(r.destination, _aware(r.notified_at), r.reference) for r in rows]


def assume_notified(session: Session, home: str, *, at: datetime) -> int:
    """Record, for a development node, a notification to every other member state.

    A development federation has no authority to notify, and without a notification a
    state whose law requires one (Russia) refuses every transfer abroad. The notifications
    are recorded with the reference ``DEV-ASSUMED``; one already recorded is kept. A real
    node never calls this: its operator records the authority's real notification numbers
    (``eaeu consent notify`` or ``POST /api/v1/consent/notifications``).

    Returns:
        How many notifications were recorded now.
    """
    known = notified_destinations(session)
    missing = [code for code in sorted(MEMBER_STATES) if code != home and code not in known]
    for code in missing:
        session.add(
            AuthorityNotification(
                destination=code, notified_at=utc(at), reference=ASSUMED_REFERENCE
            )
        )
    session.flush()
    return len(missing)


def notified_destinations(session: Session) -> frozenset[str]:
    """The destinations the authority has been notified of."""
    return frozenset(session.scalars(select(AuthorityNotification.destination)))


def view(row: ConsentRecordRow) -> Consent:
    """A detached view of a stored record."""
    return Consent(
        id=row.id,
        version=row.version,
        subject_id=row.subject_id,
        subject_state=row.subject_state,
        subject_ref=row.subject_ref,
        requester_state=row.requester_state,
        requester_organisation=row.requester_organisation,
        requester_service=row.requester_service,
        provider_state=row.provider_state,
        purpose=row.purpose,
        purpose_text=Text(row.purpose_text_en, row.purpose_text_ru),
        basis=row.basis,
        categories=_split(row.categories),
        fields=_split(row.fields),
        valid_from=_aware(row.valid_from),
        valid_until=_aware(row.valid_until),
        mode=row.mode,
        data_life_days=row.data_life_days,
        explicit_request=row.explicit_request,
        preview_shown=row.preview_shown,
        preview_hash=row.preview_hash,
        status=row.status,
        use_count=row.use_count,
        last_used_at=_aware(row.last_used_at) if row.last_used_at else None,
        created_at=_aware(row.created_at),
        revoked_at=_aware(row.revoked_at) if row.revoked_at else None,
        token=row.token,
        requester_organisation_name=organisation_name(row.token),
    )


def organisation_name(token: str) -> str | None:
    """The requester organisation's name a stored token carries (kept nowhere else)."""
    try:
        return tokens.peek(token).requester_organisation_name
    except ConsentRefused:  # pragma: no cover - this node signed every token it stored
        return None


def _split(value: str) -> tuple[str, ...]:
    return tuple(value.split(",")) if value else ()


def _second(value: datetime) -> datetime:
    return utc(value).replace(microsecond=0)


def _aware(value: datetime) -> datetime:
    # SQLite keeps no time zone and returns the stored UTC time as a naive datetime.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
