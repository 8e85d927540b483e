"""The lab registry: accreditation by the health authority, search, and replication.

A state's health authority (role ``operator`` on its node) accredits labs. Every change
makes a new :attr:`~eaeu.services.travel.model.Lab.version` and, in the same transaction,
puts a ``travel.labs.published`` message for each other node taking part in travel in the
outbox; a replica keeps a record only if its version is higher than the one it holds, so
redelivery and reordering change nothing. A lapse and a withdrawal are versions too, so
they replicate the same way (a withdrawn lab stays as a tombstone, so that an older version
arriving late cannot bring it back).

Participation decides everything, from the trust list in force: a state that has not joined
travel as ``issuer`` has no listed labs (not even on its own portal) and publishes none;
the exchange refuses travel messages to and from a state that has not joined at all. When a
state joins (a new trust list version), each node exchanges its whole registry with every
travel peer it has not exchanged with yet (:meth:`LabRegistry.reconcile`, a synchronous
``travel.labs.sync`` request carrying this node's labs and answered with the peer's).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from eaeu.exchange.errors import ExchangeError
from eaeu.exchange.node import ExchangeNode
from eaeu.identity.accounts import ORGANISATION_ID_KINDS
from eaeu.kernel import identifiers
from eaeu.kernel.clock import Clock
from eaeu.kernel.errors import InvalidIdentifier, PlatformError
from eaeu.kernel.log import get_logger
from eaeu.services.travel import repository
from eaeu.services.travel.commands import AccreditLab
from eaeu.services.travel.errors import (
    LabInvalid,
    LabNotAccredited,
    LabNotFound,
    NotParticipating,
)
from eaeu.services.travel.model import (
    ISSUER,
    KG_TIN,
    LEGAL_ID_CHECK,
    LEGAL_ID_FORMAT,
    NOT_ON_LIST,
    SERVICE,
    Lab,
    LabStatus,
    check_lab,
)
from eaeu.services.travel.value_sets import default_value_sets
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.trust.trustlist import TrustList

log = get_logger("eaeu.travel")

PUBLISHED: Final = "travel.labs.published"
SYNC: Final = "travel.labs.sync"
#: The value set of rapid antigen test devices (EU common list).
DEVICES: Final = "covid-19-lab-test-manufacturer-and-name"
#: A namespace for the ids of demonstration labs, so that seeding is idempotent.
LAB_NAMESPACE: Final = uuid.UUID("6f6b1d0e-5a3c-4a5e-9a53-0e3c6c1b2a10")


def validate_legal_id(state: str, value: str) -> tuple[str, str]:
    """Return ``(kind, normalised value)`` of an organisation's number in ``state``.

    Raises:
        LabInvalid: the number breaks its state's published rule (field ``legal_id``).
    """
    kind = ORGANISATION_ID_KINDS[state]
    if state == "KG":
        # The kernel has no rule for a Kyrgyz organisation's TIN yet; identity checks the
        # structure (14 digits, 0 for a legal entity), and so does this.
        normalised = value.replace(" ", "").replace("-", "")
        if len(normalised) != 14 or not normalised.isdigit() or normalised[0] != "0":  # noqa: PLR2004
            raise LabInvalid({"legal_id": KG_TIN})
        return kind, normalised
    try:
        return kind, identifiers.validate(state, kind, value).value
    except InvalidIdentifier as exc:
        text = LEGAL_ID_CHECK if exc.reason == identifiers.CHECKSUM else LEGAL_ID_FORMAT
        raise LabInvalid({"legal_id": text}) from None


@dataclass
class LabRegistry:
    """The lab registry as one node holds it.

    Args:
        state: this node's state.
        uow: the node's units of work.
        clock: the node's clock.
        trust: the trust list in force (participation).
        exchange: the node's exchange (replication); ``None`` replicates nothing.
    """

    state: str
    uow: UnitOfWorkFactory
    clock: Clock
    trust: Callable[[], TrustList]
    exchange: ExchangeNode | None = None

    # -- participation ------------------------------------------------------------------
    def issues(self, state: str) -> bool:
        """Whether ``state`` takes part in travel as an issuer under the trust list in force."""
        return self.trust().participates(state, SERVICE, ISSUER)

    def listed(self, lab: Lab, at: datetime | None = None) -> bool:
        """Whether ``lab`` is shown and bookable: accredited now, its state an issuer."""
        return lab.accredited_at(at or self.clock.now()) and self.issues(lab.state)

    def peers(self) -> list[str]:
        """The other states taking part in travel (any role), if this one takes part."""
        trust = self.trust()
        if not trust.participates(self.state, SERVICE):
            return []
        return [s for s in trust.participants(SERVICE) if s != self.state]

    # -- reading ------------------------------------------------------------------------
    def search(self, *, country: str | None = None, city: str | None = None) -> list[Lab]:
        """The listed labs of ``country`` (all issuing states when ``None``) in ``city``.

        ``city`` matches the English or the Russian name, ignoring case, from its start
        (``минск``, ``Min``).
        """
        trust = self.trust()
        states = [
            s
            for s in trust.participants(SERVICE, ISSUER)
            if country is None or s == country.upper()
        ]
        now = self.clock.now()
        with self.uow() as uow:
            labs = repository.find_labs(uow.session, states=states, city=city)
        return [lab for lab in labs if lab.accredited_at(now)]

    def lab(self, lab_id: str, *, listed_only: bool = True) -> Lab:
        """The lab with ``lab_id``.

        Args:
            lab_id: its id.
            listed_only: hide a lab that is not listed (lapsed, or of a state that has
                not joined travel as an issuer).

        Raises:
            LabNotFound: no such lab here, or hidden.
        """
        with self.uow() as uow:
            lab = repository.get_lab(uow.session, lab_id)
        if lab is None or (listed_only and not self.listed(lab)):
            raise LabNotFound("There is no accredited laboratory at this address.")
        return lab

    def own(self) -> list[Lab]:
        """This state's labs, whatever their status (for its health authority)."""
        with self.uow() as uow:
            return repository.labs_of_state(uow.session, self.state)

    def of_organisation(self, organisation_id: str) -> list[Lab]:
        """This state's labs that ``organisation_id``'s staff run."""
        with self.uow() as uow:
            return repository.labs_of_organisation(uow.session, self.state, organisation_id)

    def require_accredited(self, lab: Lab) -> None:
        """Return if ``lab`` may take bookings and issue certificates now.

        Raises:
            NotParticipating: its state has not joined travel as an issuer.
            LabNotAccredited: its accreditation lapsed, was withdrawn or is out of its days.
        """
        if not self.issues(lab.state):
            raise NotParticipating(
                "This state does not issue travel test certificates yet: it has not joined "
                "the travel service of the union."
            )
        if not lab.accredited_at(self.clock.now()):
            raise LabNotAccredited(
                "This laboratory's accreditation is not in force, so it cannot take bookings "
                "or issue certificates."
            )

    # -- the health authority -----------------------------------------------------------
    def accredit(self, command: AccreditLab, *, new_id: str | None = None) -> Lab:
        """Accredit a lab of this state, or change one; replicate it to the travel peers.

        Args:
            command: the lab's data (with ``lab_id`` to change an accredited lab).
            new_id: the id of a new lab (a random UUID by default).

        Raises:
            LabInvalid: the data breaks a rule (every problem, by field), or a rapid
                antigen device is not on the EU common list.
            LabNotFound: ``lab_id`` names no lab of this state.
        """
        kind, legal_id = validate_legal_id(self.state, command.legal_id)
        devices = set(default_value_sets().get(DEVICES, ()))
        for offer in command.tests:
            if offer.device is not None and offer.device not in devices:
                raise LabInvalid({f"tests.{offer.kind.value}": NOT_ON_LIST})
        now = self.clock.now()
        with self.uow() as uow:
            version = 1
            lab_id = command.lab_id or new_id or str(uuid.uuid4())
            if command.lab_id is not None:
                existing = repository.get_lab(uow.session, command.lab_id)
                if existing is None or existing.state != self.state:
                    raise LabNotFound("There is no laboratory of this state with this id.")
                version = existing.version + 1
            lab = Lab(
                id=lab_id,
                state=self.state,
                name=command.name.strip(),
                name_latin=command.name_latin.strip(),
                legal_id_kind=kind,
                legal_id=legal_id,
                licence=command.licence.strip(),
                address=command.address.strip(),
                city_en=command.city_en.strip(),
                city_ru=command.city_ru.strip(),
                latitude=command.latitude,
                longitude=command.longitude,
                tests=command.tests,
                hours=command.hours,
                slot_minutes=command.slot_minutes,
                seats=command.seats,
                accredited_from=command.accredited_from,
                accredited_until=command.accredited_until,
                status=LabStatus.ACTIVE,
                version=version,
                updated_at=now,
                organisation_id=command.organisation_id,
            )
            check_lab(lab)
            self._save(uow.session, lab)
            uow.commit()
        log.info("travel.lab.accredited", lab=lab.id, version=lab.version)
        return lab

    def lapse(self, lab_id: str) -> Lab:
        """Record that a lab's accreditation has lapsed: hidden everywhere, issues nothing.

        Raises:
            LabNotFound: no lab of this state has ``lab_id``.
        """
        return self._set_status(lab_id, LabStatus.LAPSED)

    def reinstate(self, lab_id: str) -> Lab:
        """Put a lapsed lab's accreditation back in force.

        Raises:
            LabNotFound: no lab of this state has ``lab_id``.
        """
        return self._set_status(lab_id, LabStatus.ACTIVE)

    def withdraw(self, lab_id: str) -> Lab:
        """Remove a lab from the registry (a tombstone replicates the removal).

        Raises:
            LabNotFound: no lab of this state has ``lab_id``.
        """
        return self._set_status(lab_id, LabStatus.WITHDRAWN)

    def _set_status(self, lab_id: str, status: LabStatus) -> Lab:
        now = self.clock.now()
        with self.uow() as uow:
            lab = repository.get_lab(uow.session, lab_id)
            if lab is None or lab.state != self.state:
                raise LabNotFound("There is no laboratory of this state with this id.")
            if lab.status is LabStatus.WITHDRAWN:
                raise LabNotFound("This laboratory was removed from the registry.")
            changed = replace(lab, status=status, version=lab.version + 1, updated_at=now)
            self._save(uow.session, changed)
            uow.commit()
        log.info("travel.lab.status", lab=lab_id, status=status.value, version=changed.version)
        return changed

    def _save(self, session: Session, lab: Lab) -> None:
        """Store an own lab and put its new version in the outbox for every travel peer."""
        repository.put_lab(session, lab)
        if self.exchange is None or not self.issues(self.state):
            return
        for peer in self.peers():
            self.exchange.enqueue(session, peer, SERVICE, PUBLISHED, {"lab": lab.to_json()})

    # -- replication --------------------------------------------------------------------
    def apply(self, session: Session, sender: str, record: Any, *, at: datetime) -> bool:
        """Keep a peer's lab record if it is newer than ours; return whether it was kept.

        Raises:
            LabInvalid: the record cannot be read or breaks a rule.
            NotParticipating: the sender publishes labs of another state, or its state
                does not issue travel certificates.
        """
        if not isinstance(record, dict):
            raise LabInvalid({"record": "a lab record is a JSON object"})
        lab = Lab.from_json(record)
        if lab.state != sender or sender == self.state:
            raise NotParticipating(
                f"the {sender} node may only publish the labs of its own state",
                reason="travel.lab_foreign",
            )
        if not self.issues(sender):
            raise NotParticipating(f"{sender} does not issue travel certificates")
        held = repository.stored_version(session, lab.id)
        if held is not None and held >= lab.version:
            return False
        repository.put_lab(session, lab, received_at=at)
        return True

    def snapshot(self) -> list[dict[str, Any]]:
        """This state's labs as replicated, tombstones included (empty unless an issuer)."""
        if not self.issues(self.state):
            return []
        return [lab.to_json() for lab in self.own()]

    def reconcile(self) -> dict[str, str]:
        """Exchange whole registries with every travel peer not exchanged with yet.

        Peers that left travel are forgotten, so that they are exchanged with again if
        they rejoin. A peer that refuses or does not answer is tried at the next call.

        Returns:
            Peer state → ``synced``, or the reason it was not (``exchange.unauthorised``…).
        """
        if self.exchange is None:
            return {}
        peers = self.peers()
        version = self.trust().version
        with self.uow() as uow:
            repository.forget_peers(uow.session, peers)
            done = repository.synced_peers(uow.session)
            uow.commit()
        outcome: dict[str, str] = {}
        for peer in peers:
            if peer in done:
                continue
            outcome[peer] = self._sync_with(peer, version)
        return outcome

    def _sync_with(self, peer: str, version: int) -> str:
        assert self.exchange is not None  # noqa: S101 - checked by reconcile
        try:
            delivered = self.exchange.request(peer, SERVICE, SYNC, {"labs": self.snapshot()})
        except ExchangeError as exc:
            log.info("travel.labs.sync_failed", peer=peer, reason=exc.reason)
            return exc.reason
        labs = delivered.response.get("labs") if isinstance(delivered.response, dict) else None
        now = self.clock.now()
        kept = 0
        with self.uow() as uow:
            for record in labs if isinstance(labs, list) else []:
                try:
                    kept += self.apply(uow.session, peer, record, at=now)
                except PlatformError as exc:
                    log.warning("travel.labs.sync_record_refused", peer=peer, reason=exc.reason)
            repository.mark_synced(uow.session, peer, version, now)
            uow.commit()
        log.info("travel.labs.synced", peer=peer, kept=kept)
        return "synced"


def demo_lab_id(state: str, key: str) -> str:
    """The stable id of a demonstration lab (the same on every start)."""
    return str(uuid.uuid5(LAB_NAMESPACE, f"{state}/{key}"))


__all__ = ["PUBLISHED", "SYNC", "LabRegistry", "demo_lab_id", "validate_legal_id"]
