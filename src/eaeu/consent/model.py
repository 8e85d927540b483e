"""The consent model: purposes, the fields of each category, the terms a person agrees to.

A consent is the person's answer to one request: *this* organisation in *that* state may
receive *these* categories of my data for *this* purpose, from a date to a date, once or
repeatedly, and keep them for so many days. The record shape follows the merged Account
Aggregator / OOTS / Kantara proposal of the design notes (``ConsentDetail``, explicit request
and preview from the SDGR, Kantara's consent receipt).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final, Literal

from eaeu.consent.errors import ConsentInvalid
from eaeu.consent.policy import CATEGORIES, Text
from eaeu.kernel.clock import utc
from eaeu.kernel.states import MEMBER_STATES

#: The version of the consent record and token format.
VERSION: Final = 1

ACTIVE: Final = "active"
REVOKED: Final = "revoked"
EXPIRED: Final = "expired"
STATUSES: Final = (ACTIVE, REVOKED, EXPIRED)

ONE_TIME: Final = "one-time"
PERIODIC: Final = "periodic"
MODES: Final = (ONE_TIME, PERIODIC)

#: The legal basis of every consent record.
BASIS: Final = "consent"

#: How a consent names the organisation that may receive the data: its state, the kind of
#: its registration number and the number (``RU-OGRN-1157746013237``), as registered on its
#: node. The requesting node lets only that organisation's people use the consent.
ORGANISATION_REF: Final = re.compile(r"(?P<state>[A-Z]{2})-(?P<kind>[A-Z]{2,16})-[0-9A-Z]{1,32}")


def organisation_ref(state: str, kind: str, legal_id: str) -> str:
    """The reference a consent names an organisation by (``RU-OGRN-1157746013237``)."""
    return f"{state.upper()}-{kind.upper()}-{legal_id.upper()}"


#: The longest validity a person can give at once.
MAX_VALIDITY: Final = timedelta(days=366)
#: The longest time a receiver may keep the data.
MAX_DATA_LIFE_DAYS: Final = 3650

Status = Literal["active", "revoked", "expired"]

#: The purposes a consent can be given for, with the words people read.
PURPOSES: Mapping[str, Text] = MappingProxyType(
    {
        "jobs.application": Text(
            "applying for a job with an employer in another member state",
            "отклик на вакансию работодателя в другом государстве-члене",
        ),
        "jobs.employment_contract": Text(
            "concluding an employment contract", "заключение трудового договора"
        ),
        "travel.verification": Text(
            "checking a travel health certificate",
            "проверка медицинского сертификата для поездки",
        ),
        "housing.rental": Text("renting a home", "аренда жилья"),
        "insurance.policy": Text("taking out an insurance policy", "оформление страхового полиса"),
        "migration.pre_arrival": Text(
            "notifying the migration authority of a worker's arrival before the move",
            "предварительное уведомление миграционной службы о прибытии работника",  # noqa: RUF001
        ),
        "identity.sign_in": Text(
            "signing in to a service of another member state",
            "вход в сервис другого государства-члена",
        ),
        "health.test_result": Text(
            "sharing a laboratory test result", "передача результата лабораторного анализа"
        ),
    }
)

#: The fields of the person's record each category releases, in the order shown.
CATEGORY_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "identity": (
            "family_name",
            "given_name",
            "family_name_latin",
            "given_name_latin",
            "birth_date",
            "nationality",
            "national_id_kind",
            "national_id",
        ),
        "contact": ("email",),
        "health": (),
        "employment": (),
        "documents": (),
        "location": (),
    }
)


def fields_of(categories: tuple[str, ...]) -> tuple[str, ...]:
    """The fields the categories release, identity first (the order of ``CATEGORY_FIELDS``)."""
    chosen = set(categories)
    return tuple(
        name for category, names in CATEGORY_FIELDS.items() if category in chosen for name in names
    )


def normalise_categories(categories: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Sort and de-duplicate categories (the stored and signed form)."""
    return tuple(sorted({c.strip() for c in categories if c.strip()}))


@dataclass(frozen=True, slots=True)
class ConsentTerms:
    """What a person agrees to when they confirm a consent (the *give consent* command).

    Attributes:
        subject_id: the person's account id on the home node (never leaves it).
        subject_state: the person's home state (the provider of the data).
        requester_state: the state whose node may receive the data.
        requester_organisation: the organisation there that may receive it, by its legal
            identifier (:func:`organisation_ref`); only its people can use the consent.
        requester_service: the service there (``jobs``…).
        requester_organisation_name: the organisation's name as the request gave it and
            the person saw it (the legal identifier is what binds).
        purpose: a key of :data:`PURPOSES`.
        categories: data categories (keys of ``policy.CATEGORIES``).
        valid_from, valid_until: the window in which the data may be sent.
        mode: ``one-time`` (used up by one transfer) or ``periodic``.
        data_life_days: how long the receiver may keep the data.
        explicit_request: the person asked for the transfer themself (SDGR Art. 14(3)(a)).
        preview_hash: the hash of the notice the person saw (:func:`notice_hash`).
    """

    subject_id: str
    subject_state: str
    requester_state: str
    purpose: str
    categories: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime
    mode: str = ONE_TIME
    data_life_days: int = 30
    explicit_request: bool = True
    preview_hash: str | None = None
    requester_organisation: str | None = None
    requester_service: str | None = None
    requester_organisation_name: str | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields the categories release."""
        return fields_of(self.categories)


def check_terms(terms: ConsentTerms) -> None:
    """Return if the terms can be signed.

    Raises:
        ConsentInvalid: with a reason naming the broken rule.
    """
    if terms.purpose not in PURPOSES:
        raise ConsentInvalid(
            "this purpose is not one a consent can be given for", reason="consent.unknown_purpose"
        )
    if not terms.categories or not set(terms.categories) <= CATEGORIES.keys():
        raise ConsentInvalid(
            "name at least one known category of data", reason="consent.categories_invalid"
        )
    if terms.requester_state not in MEMBER_STATES or terms.requester_state == terms.subject_state:
        raise ConsentInvalid(
            "the data can only be sent to another member state", reason="consent.requester_invalid"
        )
    check_organisation(terms.requester_organisation, terms.requester_state)
    start, end = utc(terms.valid_from), utc(terms.valid_until)
    if end <= start or end - start > MAX_VALIDITY:
        raise ConsentInvalid(
            "a consent is valid for at least a moment and at most a year",
            reason="consent.validity_invalid",
        )
    if terms.mode not in MODES:
        raise ConsentInvalid("a consent is one-time or periodic", reason="consent.mode_invalid")
    if not 1 <= terms.data_life_days <= MAX_DATA_LIFE_DAYS:
        raise ConsentInvalid(
            f"the receiver may keep the data for 1 to {MAX_DATA_LIFE_DAYS} days",
            reason="consent.data_life_invalid",
        )
    if not terms.explicit_request:
        raise ConsentInvalid(
            "a consent is given only at the person's explicit request",
            reason="consent.no_explicit_request",
        )
    if not terms.preview_hash:
        raise ConsentInvalid(
            "a consent is given only after the person has seen what would be sent",
            reason="consent.no_preview",
        )


def check_organisation(reference: str | None, requester_state: str) -> None:
    """Return if ``reference`` names an organisation of ``requester_state``.

    Raises:
        ConsentInvalid: ``consent.organisation_invalid`` — no organisation, or not a legal
            identifier of one registered in the requesting state.
    """
    found = ORGANISATION_REF.fullmatch(reference or "")
    if found is None or found["state"] != requester_state:
        raise ConsentInvalid(
            "the request must name the receiving organisation by its registration number "
            "in the requesting state",
            reason="consent.organisation_invalid",
        )


def notice_hash(
    *,
    requester_state: str,
    requester_organisation: str | None,
    requester_service: str | None,
    purpose: str,
    categories: tuple[str, ...],
    valid_until: datetime,
    mode: str,
    data_life_days: int,
    duties: tuple[str, ...],
    language: str,
    requester_organisation_name: str | None = None,
) -> str:
    """The SHA-256 of the notice a person saw before consenting (the preview's hash).

    It covers what the notice says (who, what, why, how long, the duties of the sender and
    the language), not the person's data, so that the hash cannot be turned back into it.
    """
    notice: dict[str, object] = {
        "v": VERSION,
        "requester": [requester_state, requester_organisation, requester_service],
        "purpose": purpose,
        "categories": list(normalise_categories(categories)),
        "fields": list(fields_of(normalise_categories(categories))),
        "valid_until": utc(valid_until).replace(microsecond=0).isoformat(),
        "mode": mode,
        "data_life_days": data_life_days,
        "duties": list(duties),
        "language": language,
    }
    if requester_organisation_name is not None:
        notice["requester_name"] = requester_organisation_name
    canonical = json.dumps(notice, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Consent:
    """A consent record as the home node keeps it (a detached view).

    ``status`` is as stored; :meth:`status_at` also turns a record past its end into
    ``expired``.
    """

    id: str
    version: int
    subject_id: str
    subject_state: str
    subject_ref: str
    requester_state: str
    requester_organisation: str | None
    requester_service: str | None
    provider_state: str
    purpose: str
    purpose_text: Text
    basis: str
    categories: tuple[str, ...]
    fields: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime
    mode: str
    data_life_days: int
    explicit_request: bool
    preview_shown: bool
    preview_hash: str | None
    status: str
    use_count: int
    last_used_at: datetime | None
    created_at: datetime
    revoked_at: datetime | None
    token: str
    requester_organisation_name: str | None = None

    def status_at(self, now: datetime) -> str:
        """``active``, ``revoked`` or ``expired`` at ``now``."""
        if self.status == ACTIVE and utc(now) >= utc(self.valid_until):
            return EXPIRED
        return self.status

    @property
    def used_up(self) -> bool:
        """Whether a one-time consent has been used."""
        return self.mode == ONE_TIME and self.use_count > 0


@dataclass(frozen=True, slots=True)
class ReceivedConsent:
    """A consent another state's node granted to this node (the requester's copy).

    ``requester_organisation`` is the legal identifier of the only organisation whose
    people may see it and ask for the data (the node operator sees every one).
    """

    id: str
    issuer_state: str
    subject_ref: str
    requester_organisation: str | None
    requester_service: str | None
    purpose: str
    categories: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime
    mode: str
    data_life_days: int
    status: str
    received_at: datetime
    revoked_at: datetime | None
    token: str
    requester_organisation_name: str | None = None

    def status_at(self, now: datetime) -> str:
        """``active``, ``revoked`` or ``expired`` at ``now``."""
        if self.status == ACTIVE and utc(now) >= utc(self.valid_until):
            return EXPIRED
        return self.status


@dataclass(frozen=True, slots=True)
class ReceivedData:
    """Personal data this node received under a consent (kept until its data life ends)."""

    id: str
    consent_id: str
    message_id: str
    categories: tuple[str, ...]
    payload: Mapping[str, object]
    received_at: datetime
    delete_after: datetime
