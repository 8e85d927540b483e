"""The node's copy of the union trust list: pinned first version, then the chain.

A node accepts version 1 once (optionally checked against a pinned digest) and afterwards
only successors that ``eaeu.trust.trustlist.accept_successor`` accepts. Every accepted
version is kept, so the chain can be audited; the newest is the one in force.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from eaeu.exchange.errors import MessageRefused
from eaeu.exchange.orm import AcceptedTrustList
from eaeu.kernel.clock import Clock
from eaeu.storage.uow import UnitOfWorkFactory
from eaeu.trust import trustlist
from eaeu.trust.errors import TrustListRejected
from eaeu.trust.trustlist import TrustList

#: How long the list in force is reused before the database is asked again.
_CACHE_S = 1.0


class TrustStore:
    """Accepted trust list versions in the node's database.

    Args:
        uow: the node's unit-of-work factory.
        clock: the node's clock.
        pinned_digest: the SHA-256 digest version 1 must have, if the operator pinned it.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, pinned_digest: str | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._pinned = pinned_digest
        self._cached: tuple[float, TrustList] | None = None

    def current(self) -> TrustList:
        """Return the newest accepted version.

        Raises:
            MessageRefused: with reason ``exchange.no_trust_list`` before any was accepted.
        """
        now = self._clock.monotonic()
        if self._cached is not None and now - self._cached[0] < _CACHE_S:
            return self._cached[1]
        with self._uow() as uow:
            # Another process of this node may have accepted a newer version: ask for the
            # newest version number (cheap) and parse the list only when it changed.
            newest = uow.session.scalar(select(func.max(AcceptedTrustList.version)))
            if newest is None:
                raise MessageRefused(
                    "this node has not accepted a union trust list yet",
                    reason="exchange.no_trust_list",
                )
            if self._cached is not None and self._cached[1].version == newest:
                current = self._cached[1]
            else:
                signed = json.loads(uow.session.get_one(AcceptedTrustList, newest).signed)
                # Versions were verified when accepted; keep who signed them for operators.
                current = replace(
                    trustlist.parse(signed), signed_by=tuple(trustlist.signing_states(signed))
                )
        self._cached = (now, current)
        return current

    @staticmethod
    def _reparse(stored: str) -> TrustList:
        signed = json.loads(stored)
        return replace(trustlist.parse(signed), signed_by=tuple(trustlist.signing_states(signed)))

    def digest(self, version: int) -> str | None:
        """The digest of an accepted version, or ``None`` if it was not accepted here."""
        with self._uow() as uow:
            row = uow.session.get(AcceptedTrustList, version)
            return row.digest if row is not None else None

    def versions(self) -> list[int]:
        """The accepted version numbers, oldest first."""
        with self._uow() as uow:
            return list(
                uow.session.scalars(
                    select(AcceptedTrustList.version).order_by(AcceptedTrustList.version)
                )
            )

    def accept(self, signed: dict[str, Any]) -> TrustList:
        """Accept a new version (the first one, or a successor of the one in force).

        Raises:
            TrustListRejected: the version must not be accepted; the reason says why.
        """
        now = self._clock.now()
        candidate = trustlist.parse(signed)
        with self._uow() as uow:
            # Read the newest version first: whatever it shows, the lookup of the same
            # version after it sees too, so a version that another process of this node
            # just accepted is recognised instead of being refused as a rollback.
            newest = uow.session.scalars(
                select(AcceptedTrustList).order_by(AcceptedTrustList.version.desc()).limit(1)
            ).first()
            same = uow.session.get(AcceptedTrustList, candidate.version)
            if same is not None and same.digest == candidate.digest:
                # Already accepted here (by another process of this node, or from a file):
                # the same version again is not a rollback, it is nothing to do.
                return self._reparse(same.signed)
            if newest is None:
                accepted = trustlist.accept_first(signed, at=now, pinned_digest=self._pinned)
            else:
                current = trustlist.parse(json.loads(newest.signed))
                accepted = trustlist.accept_successor(current, signed, at=now)
            uow.session.add(
                AcceptedTrustList(
                    version=accepted.version,
                    digest=accepted.digest,
                    signed=json.dumps(signed, sort_keys=True),
                    accepted_at=now,
                )
            )
            try:
                uow.commit()
            except IntegrityError:
                # Another process of this node (a web worker, a delivery worker) accepted
                # the same version at the same moment; that is only fine if it is the same.
                uow.rollback()
                stored = uow.session.get(AcceptedTrustList, accepted.version)
                if stored is None or stored.digest != accepted.digest:
                    raise TrustListRejected(
                        f"another version {accepted.version} was accepted here",
                        reason="trustlist.conflict",
                    ) from None
        self._cached = None
        return accepted

    def bootstrap(self, directory: Path) -> TrustList | None:
        """Accept the ``v<N>.json`` files in ``directory`` newer than the list in force.

        Returns the list in force afterwards, or ``None`` when there is none at all.

        Raises:
            TrustListRejected: a file in the directory must not be accepted.
        """
        accepted = set(self.versions())
        files = sorted(
            (int(p.stem[1:]), p) for p in directory.glob("v*.json") if p.stem[1:].isdigit()
        )
        for number, path in files:
            if number in accepted or (accepted and number < max(accepted)):
                continue
            try:
                signed = json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                raise TrustListRejected(
                    f"{path} is not JSON", reason="trustlist.malformed"
                ) from None
            self.accept(signed)
            accepted.add(number)
        return self.current() if accepted else None
