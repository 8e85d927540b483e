"""Exchange messages of consent: grant, revocation, and the request for the data.

``consent.granted`` (home → requester) carries the signed token, so that the requesting node
can use it; it holds no personal data. ``consent.revoked`` (home → requester) tells the
requesting node to stop: it marks the consent revoked and deletes the data it received under
it. ``consent.data.request`` (requester → home) asks for the categories under a consent; the
home node answers with the person's data as a guarded :class:`Personal` answer, fetched
through the data source the composition root injects (consent does not know identity).

All three travel in the ``exchange`` service, which every member of the union takes part in.
"""

# Russian sentences for people are this module's data; Cyrillic letters are meant.
# ruff: noqa: RUF001

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from eaeu.consent import received, records, tokens
from eaeu.consent.errors import ConsentRefused
from eaeu.consent.guard import ConsentGuard, receiver_refusal
from eaeu.consent.model import fields_of, normalise_categories
from eaeu.consent.policy import Text
from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.guard import Personal, Transfer
from eaeu.exchange.messages import EXCHANGE_SERVICE
from eaeu.exchange.node import Handler, Incoming
from eaeu.kernel.clock import utc
from eaeu.kernel.errors import PlatformError

#: The service consent messages travel in (every member takes part in it).
SERVICE: Final = EXCHANGE_SERVICE
GRANTED: Final = "consent.granted"
REVOKED: Final = "consent.revoked"
DATA_REQUEST: Final = "consent.data.request"

#: Returns the fields of a person's record by account id (``family_name``, ``email``…),
#: as JSON values; raises a ``PlatformError`` when the person is unknown.
PersonData = Callable[[str], Mapping[str, Any]]

SUBJECT_UNKNOWN: Final = Text(
    "The person this consent is about no longer has an account on their home node.",
    "У человека, давшего это согласие, больше нет учётной записи на узле его государства.",
)


def handlers(guard: ConsentGuard, person_data: PersonData) -> dict[str, Handler]:
    """The consent message handlers a node registers."""
    return {
        GRANTED: consent_granted(guard),
        REVOKED: consent_revoked(),
        DATA_REQUEST: data_request(guard, person_data),
    }


def consent_granted(guard: ConsentGuard) -> Handler:
    """Keep a consent another state's node granted to this node, once its token verifies."""

    def handle(incoming: Incoming) -> dict[str, Any]:
        token = _field(incoming.payload, "token")
        claims = tokens.verify(token, guard.trust())
        if claims.issuer_state != incoming.sender_state:
            raise ConsentRefused(
                Text(
                    "The consent was not issued by the node that sent it.",
                    "Согласие выдано не тем узлом, который его прислал.",
                ),
                reason="consent.issuer",
            )
        if claims.requester_state != guard.state:
            raise receiver_refusal(claims.requester_state)
        stored = received.store_consent(incoming.session, claims, token, at=incoming.at)
        return {"consent_id": claims.consent_id, "stored": stored}

    return handle


def consent_revoked() -> Handler:
    """Apply a revocation: the consent is no longer used and its data are deleted."""

    def handle(incoming: Incoming) -> dict[str, Any]:
        consent_id = _field(incoming.payload, "consent_id")
        try:
            revoked_at = datetime.fromisoformat(_field(incoming.payload, "revoked_at"))
            revoked_at = utc(revoked_at)
        except ValueError:
            raise MessageRefused(
                "the revocation has no valid time", reason="exchange.malformed"
            ) from None
        known = received.find(incoming.session, consent_id)
        if known is not None and known.issuer_state != incoming.sender_state:
            raise MessageRefused(
                "only the node that issued a consent can revoke it", reason="consent.issuer"
            )
        deleted = received.revoke(
            incoming.session,
            consent_id,
            issuer_state=incoming.sender_state,
            revoked_at=revoked_at,
            at=incoming.at,
        )
        return {"consent_id": consent_id, "deleted": deleted}

    return handle


def data_request(guard: ConsentGuard, person_data: PersonData) -> Handler:
    """Answer a request for data under a consent with the person's data (guarded)."""

    def handle(incoming: Incoming) -> Personal:
        token = _field(incoming.payload, "consent")
        claims = tokens.peek(token)
        asked = incoming.payload.get("categories") or list(claims.categories)
        if not isinstance(asked, list) or not all(isinstance(c, str) for c in asked):
            raise MessageRefused("categories must be a list of names", reason="exchange.malformed")
        categories = normalise_categories(asked)
        # The guard checks the answer before it is made, so that nothing about a person is
        # looked up for a request that may not have it; the exchange checks it again as it
        # leaves, and records it then.
        guard.check(
            incoming.session,
            Transfer(
                direction="out",
                sender_state=guard.state,
                receiver_state=incoming.sender_state,
                service=incoming.envelope.service,
                message_type=incoming.envelope.type,
                message_id=incoming.envelope.id,
                consent=token,
                purpose=claims.purpose,
                categories=categories,
                basis=None,
                at=incoming.at,
            ),
        )
        consent = records.find(incoming.session, claims.consent_id)
        if consent is None:  # pragma: no cover - the guard refused an unknown consent
            raise ConsentRefused(SUBJECT_UNKNOWN, reason="consent.unknown")
        try:
            record = person_data(consent.subject_id)
        except PlatformError:
            raise ConsentRefused(SUBJECT_UNKNOWN, reason="consent.subject_unknown") from None
        data = {name: record[name] for name in fields_of(categories) if name in record}
        answer = {
            "consent_id": consent.id,
            "subject_ref": consent.subject_ref,
            "categories": list(categories),
            "data": data,
        }
        return Personal(answer, purpose=consent.purpose, categories=categories, consent=token)

    return handle


def _field(payload: Any, name: str) -> str:
    value = payload.get(name) if isinstance(payload, dict) else None
    if not isinstance(value, str) or not value:
        raise MessageRefused(f"the message has no {name}", reason="exchange.malformed")
    return value
