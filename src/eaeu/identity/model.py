"""People, organisations and sessions of a node, as the rest of the platform sees them.

Only the standard library and ``eaeu.kernel`` here: these are the values handed to pages,
assertions, consent and signatures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

#: Roles a person can hold at their home node.
CITIZEN: Final = "citizen"
LAB: Final = "lab"
EMPLOYER: Final = "employer"
INSURER: Final = "insurer"
LANDLORD: Final = "landlord"
BORDER: Final = "border"
OPERATOR: Final = "operator"
ROLES: Final = (CITIZEN, LAB, EMPLOYER, INSURER, LANDLORD, BORDER, OPERATOR)

#: Roles that act on behalf of an organisation (the organisation's kind has the same name).
ORGANISATION_ROLES: Final = frozenset({LAB, EMPLOYER, INSURER, LANDLORD})


@dataclass(frozen=True, slots=True)
class Person:
    """A person registered at this node.

    Attributes:
        id: the node's opaque id of the person (a UUIDv7 string).
        state: the home state (ISO 3166-1 alpha-2).
        national_id_kind, national_id: the validated national identifier (``kg``/``pin``).
        family_name, given_name: names in the national script.
        family_name_latin, given_name_latin: ICAO 9303 transliteration, upper case.
        birth_date: date of birth.
        nationality: ISO 3166-1 alpha-2 code of nationality.
        email: where one-time codes are sent.
        roles: the roles the person holds.
        organisation_id: the organisation the person acts for, if any.
        tax_id: an additional taxpayer number (RU INN), if any.
    """

    id: str
    state: str
    national_id_kind: str
    national_id: str
    family_name: str
    given_name: str
    family_name_latin: str
    given_name_latin: str
    birth_date: date
    nationality: str
    email: str
    roles: frozenset[str]
    organisation_id: str | None = None
    tax_id: str | None = None

    @property
    def display_name(self) -> str:
        """Given name and family name in the national script."""
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True, slots=True)
class Organisation:
    """An organisation registered at this node.

    Attributes:
        id: the node's opaque id of the organisation.
        state: the state of registration.
        legal_id_kind, legal_id: the validated registration number (``ru``/``ogrn``).
        name: the registered name in the national script.
        name_latin: the name in Latin letters.
        kinds: what the organisation is (``employer``, ``lab``, ``insurer``, ``landlord``).
        licence: a licence or accreditation number, if it needs one (laboratories).
        tax_id: an additional taxpayer number (RU INN), if any.
    """

    id: str
    state: str
    legal_id_kind: str
    legal_id: str
    name: str
    name_latin: str
    kinds: frozenset[str]
    licence: str | None = None
    tax_id: str | None = None


@dataclass(frozen=True, slots=True)
class SessionView:
    """A live session, as read from the store.

    Attributes:
        person_id: the local person, or the persistent id of a foreign visitor.
        state: the person's home state.
        display_name: the name shown in the navigation.
        roles: roles granted for this session.
        second_factor: whether a one-time code was confirmed (or, for a visitor, the home
            node asserted a level of assurance that includes one).
        foreign: a visitor admitted by another node's identity assertion.
        persistent_id: the visitor's persistent id ``<HOME>/<DEST>/<opaque>``.
        expires_at: the earlier of the idle and the absolute expiry.
    """

    person_id: str
    state: str
    display_name: str
    roles: frozenset[str]
    second_factor: bool
    foreign: bool
    persistent_id: str | None
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """Limits of sign-in, sessions and one-time codes.

    Attributes:
        user_failures: failed sign-ins for one username before it is locked.
        client_failures: failed sign-ins from one client before it is locked; higher,
            because many people may share one address.
        failure_window: failures older than this are forgotten.
        lockout: how long a lock lasts.
        session_idle: a session unused this long ends.
        session_absolute: a session ends this long after sign-in, used or not.
        pending_session: how long a password-only session may wait for its code.
        code_lifetime: how long a one-time code is valid.
        code_attempts: wrong codes allowed for one pending session, over all its codes;
            the last one ends the sign-in.
        code_resends: new codes a pending session may ask for after the first; asking
            once more ends the sign-in.
        code_resend_interval: the least time between two codes of one pending session.
    """

    user_failures: int = 5
    client_failures: int = 20
    failure_window: timedelta = field(default=timedelta(minutes=15))
    lockout: timedelta = field(default=timedelta(minutes=15))
    session_idle: timedelta = field(default=timedelta(minutes=30))
    session_absolute: timedelta = field(default=timedelta(hours=12))
    pending_session: timedelta = field(default=timedelta(minutes=10))
    code_lifetime: timedelta = field(default=timedelta(minutes=5))
    code_attempts: int = 5
    code_resends: int = 3
    code_resend_interval: timedelta = field(default=timedelta(seconds=60))


def mask(identifier: str, visible: int = 4) -> str:
    """Return ``identifier`` with all but its last ``visible`` characters hidden."""
    if len(identifier) <= visible:
        return "•" * len(identifier)
    return "•" * (len(identifier) - visible) + identifier[-visible:]
