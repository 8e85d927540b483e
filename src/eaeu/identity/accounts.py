"""People and organisations of this node's state: registration and read-only views.

``Accounts(uow, clock)`` is what other capabilities and pages use to learn who a person or
organisation is; registration validates national identifiers with
:mod:`eaeu.kernel.identifiers` and hashes passwords with argon2id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eaeu.identity.errors import AccountNotFound, RegistrationRefused
from eaeu.identity.model import (
    ORGANISATION_ROLES,
    ROLES,
    Organisation,
    Person,
)
from eaeu.identity.orm import OrganisationRecord, PersonRecord
from eaeu.identity.passwords import MIN_LENGTH, Passwords
from eaeu.identity.translit import TransliterationError, transliterate
from eaeu.kernel import identifiers
from eaeu.kernel.clock import Clock
from eaeu.kernel.errors import InvalidIdentifier
from eaeu.kernel.ids import uuid7
from eaeu.kernel.states import MEMBER_STATES
from eaeu.storage.uow import UnitOfWork

__all__ = [
    "Accounts",
    "NewOrganisation",
    "NewPerson",
    "Organisation",
    "Person",
]

#: Kinds of identifier that name a person, and an organisation, per state.
PERSON_ID_KINDS = {"AM": "psn", "BY": "personal_number", "KG": "pin", "KZ": "iin", "RU": "snils"}
ORGANISATION_ID_KINDS = {"AM": "tin", "BY": "unp", "KG": "tin", "KZ": "bin", "RU": "ogrn"}
#: The language whose transliteration exceptions apply to names registered in a state.
NAME_LANGUAGES = {"AM": "hy", "BY": "be", "KG": "ky", "KZ": "kk", "RU": "ru"}

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# A Kyrgyz organisation's taxpayer number: 14 digits, 0 for a legal entity. The kernel's
# identifier rules have no Kyrgyz organisation kind yet, so only the structure is checked.
_KG_ORGANISATION_TIN = re.compile(r"0[0-9]{13}")


@dataclass(frozen=True, slots=True)
class NewOrganisation:
    """What registering an organisation needs (see :class:`Organisation`)."""

    state: str
    legal_id_kind: str
    legal_id: str
    name: str
    name_latin: str
    kinds: frozenset[str]
    licence: str | None = None
    tax_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewPerson:
    """What registering a person needs; Latin names default to the ICAO transliteration."""

    state: str
    national_id_kind: str
    national_id: str
    family_name: str
    given_name: str
    birth_date: date
    email: str
    username: str
    roles: frozenset[str]
    nationality: str | None = None
    family_name_latin: str | None = None
    given_name_latin: str | None = None
    organisation_id: str | None = None
    tax_id: str | None = None


class Accounts:
    """People and organisations registered at this node.

    Args:
        uow: makes a unit of work (``platform.uow``).
        clock: the node's clock.
        passwords: the password hasher (argon2id with default parameters if omitted).
    """

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        passwords: Passwords | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.passwords = passwords or Passwords()

    def with_passwords(self, passwords: Passwords) -> Accounts:
        """The same accounts, hashing passwords with ``passwords``."""
        return Accounts(self._uow, self._clock, passwords)

    # --- views ----------------------------------------------------------------------

    def person(self, person_id: str) -> Person:
        """Return the person with ``person_id``.

        Raises:
            AccountNotFound: no such person at this node.
        """
        with self._uow() as uow:
            record = uow.session.get(PersonRecord, person_id)
            if record is None:
                raise AccountNotFound("No person with this id is registered at this node.")
            return _person(record)

    def organisation(self, org_id: str) -> Organisation:
        """Return the organisation with ``org_id``.

        Raises:
            AccountNotFound: no such organisation at this node.
        """
        with self._uow() as uow:
            record = uow.session.get(OrganisationRecord, org_id)
            if record is None:
                raise AccountNotFound("No organisation with this id is registered at this node.")
            return _organisation(record)

    def person_by_username(self, username: str) -> Person | None:
        """Return the person who signs in as ``username``, if any."""
        with self._uow() as uow:
            record = uow.session.scalars(
                select(PersonRecord).where(PersonRecord.username == username.strip().lower())
            ).first()
            return _person(record) if record else None

    def organisation_by_legal_id(self, legal_id: str) -> Organisation | None:
        """Return the organisation registered under ``legal_id``, if any."""
        with self._uow() as uow:
            record = uow.session.scalars(
                select(OrganisationRecord).where(OrganisationRecord.legal_id == legal_id)
            ).first()
            return _organisation(record) if record else None

    def people(self) -> list[Person]:
        """Every person registered at this node, by username."""
        with self._uow() as uow:
            records = uow.session.scalars(select(PersonRecord).order_by(PersonRecord.username))
            return [_person(r) for r in records]

    def organisations(self) -> list[Organisation]:
        """Every organisation registered at this node, by name."""
        with self._uow() as uow:
            records = uow.session.scalars(
                select(OrganisationRecord).order_by(OrganisationRecord.name)
            )
            return [_organisation(r) for r in records]

    # --- registration -----------------------------------------------------------------

    def register_organisation(self, new: NewOrganisation) -> Organisation:
        """Register an organisation with a validated registration number.

        Raises:
            RegistrationRefused: unknown state or kind, invalid number, or one already
                registered.
        """
        state = _state(new.state)
        kind = new.legal_id_kind.strip().lower()
        legal_id = _organisation_id(state, kind, new.legal_id)
        tax_id = _validated(state, "inn", new.tax_id) if new.tax_id else None
        if not new.kinds <= ORGANISATION_ROLES:
            raise RegistrationRefused("An organisation kind is not one this node knows.")
        if not new.name.strip() or not new.name_latin.strip():
            raise RegistrationRefused("An organisation needs a name and a Latin name.")
        record = OrganisationRecord(
            id=str(uuid7()),
            state=state,
            legal_id_kind=kind,
            legal_id=legal_id,
            tax_id=tax_id,
            name=new.name.strip(),
            name_latin=new.name_latin.strip(),
            kinds=" ".join(sorted(new.kinds)),
            licence=new.licence,
            created_at=self._clock.now(),
        )
        with self._uow() as uow:
            uow.session.add(record)
            try:
                uow.commit()
            except IntegrityError:
                raise RegistrationRefused(
                    "An organisation with this registration number is already registered."
                ) from None
            return _organisation(record)

    def register_person(self, new: NewPerson, password: str) -> Person:
        """Register a person with a validated national identifier and a password.

        Raises:
            RegistrationRefused: unknown state, kind or role, invalid identifier, a weak
                password, a malformed username or e-mail address, or an identifier or
                username already registered.
        """
        state = _state(new.state)
        kind = new.national_id_kind.strip().lower()
        if PERSON_ID_KINDS.get(state) != kind:
            raise RegistrationRefused("This kind of identifier does not name a person here.")
        national_id = _validated(state, kind, new.national_id)
        tax_id = _validated(state, "inn", new.tax_id) if new.tax_id else None
        username = new.username.strip().lower()
        _check_person(new, username, password, today=self._clock.now().date())
        record = PersonRecord(
            id=str(uuid7()),
            state=state,
            national_id_kind=kind,
            national_id=national_id,
            tax_id=tax_id,
            family_name=new.family_name.strip(),
            given_name=new.given_name.strip(),
            family_name_latin=new.family_name_latin or _latin(state, new.family_name),
            given_name_latin=new.given_name_latin or _latin(state, new.given_name),
            birth_date=new.birth_date,
            nationality=_state(new.nationality or state),
            email=new.email,
            username=username,
            password_hash=self.passwords.hash(password),
            roles=" ".join(r for r in ROLES if r in new.roles),
            organisation_id=new.organisation_id,
            created_at=self._clock.now(),
        )
        with self._uow() as uow:
            if new.organisation_id is not None and (
                uow.session.get(OrganisationRecord, new.organisation_id) is None
            ):
                raise RegistrationRefused("The organisation is not registered at this node.")
            uow.session.add(record)
            try:
                uow.commit()
            except IntegrityError:
                raise RegistrationRefused(
                    "A person with this identifier or username is already registered."
                ) from None
            return _person(record)


def _state(code: str) -> str:
    state = code.strip().upper()
    if state not in MEMBER_STATES:
        raise RegistrationRefused("This is not a member state of the union.")
    return state


def _check_person(new: NewPerson, username: str, password: str, *, today: date) -> None:
    if not _USERNAME.fullmatch(username):
        raise RegistrationRefused(
            "A username has 3 to 64 lower-case letters, digits, dots, hyphens or underscores."
        )
    if not _EMAIL.fullmatch(new.email):
        raise RegistrationRefused("The e-mail address is not valid.")
    if len(password) < MIN_LENGTH:
        raise RegistrationRefused(f"A password needs at least {MIN_LENGTH} characters.")
    if not new.roles or not new.roles <= set(ROLES):
        raise RegistrationRefused("A role is not one this node knows.")
    if new.roles & ORGANISATION_ROLES and new.organisation_id is None:
        raise RegistrationRefused("This role acts for an organisation: name the organisation.")
    if not new.family_name.strip() or not new.given_name.strip():
        raise RegistrationRefused("A person needs a family name and a given name.")
    if new.birth_date >= today:
        raise RegistrationRefused("The date of birth must be in the past.")


def _latin(state: str, name: str) -> str:
    try:
        return transliterate(name, NAME_LANGUAGES[state])
    except TransliterationError:
        raise RegistrationRefused(
            "A name has letters that cannot be written in Latin letters; give the Latin form."
        ) from None


def _validated(state: str, kind: str, value: str) -> str:
    try:
        return identifiers.validate(state, kind, value).value
    except InvalidIdentifier as exc:
        raise RegistrationRefused(exc.message, reason=exc.reason) from None


def _organisation_id(state: str, kind: str, value: str) -> str:
    if ORGANISATION_ID_KINDS.get(state) != kind:
        raise RegistrationRefused("This kind of number does not register an organisation here.")
    if state == "KG":
        normalised = value.replace(" ", "").replace("-", "")
        if not _KG_ORGANISATION_TIN.fullmatch(normalised):
            raise RegistrationRefused(
                "A Kyrgyz organisation's TIN has 14 digits and starts with 0.",
                reason=identifiers.FORMAT,
            )
        return normalised
    return _validated(state, kind, value)


def _person(record: PersonRecord) -> Person:
    return Person(
        id=record.id,
        state=record.state,
        national_id_kind=record.national_id_kind,
        national_id=record.national_id,
        family_name=record.family_name,
        given_name=record.given_name,
        family_name_latin=record.family_name_latin,
        given_name_latin=record.given_name_latin,
        birth_date=record.birth_date,
        nationality=record.nationality,
        email=record.email,
        roles=frozenset(record.roles.split()),
        organisation_id=record.organisation_id,
        tax_id=record.tax_id,
    )


def _organisation(record: OrganisationRecord) -> Organisation:
    return Organisation(
        id=record.id,
        state=record.state,
        legal_id_kind=record.legal_id_kind,
        legal_id=record.legal_id,
        name=record.name,
        name_latin=record.name_latin,
        kinds=frozenset(record.kinds.split()),
        licence=record.licence,
        tax_id=record.tax_id,
    )
