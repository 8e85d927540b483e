"""Member, subsystem and service identifiers in the X-Road style.

``EAEU/<STATE>/<CLASS>/<CODE>`` names a member (a state body or an organisation),
``…/<SUBSYSTEM>`` one of its systems, and ``…/<SUBSYSTEM>/<SERVICE>`` a service of that
system. Services always belong to a subsystem, as in X-Road, so every identifier has one
reading: 4 parts a member, 5 a subsystem, 6 a service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eaeu.exchange.errors import MessageRefused
from eaeu.kernel.states import MEMBER_STATES

INSTANCE = "EAEU"
#: Member classes: government bodies, companies, other organisations.
MEMBER_CLASSES = frozenset({"GOV", "COM", "ORG"})
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_MEMBER_PARTS, _SUBSYSTEM_PARTS, _SERVICE_PARTS = 4, 5, 6


@dataclass(frozen=True, slots=True, order=True)
class ExchangeId:
    """A parsed member, subsystem or service identifier."""

    state: str
    member_class: str
    code: str
    subsystem: str | None = None
    service: str | None = None

    def __str__(self) -> str:
        parts = [INSTANCE, self.state, self.member_class, self.code]
        parts += [p for p in (self.subsystem, self.service) if p is not None]
        return "/".join(parts)

    @property
    def member(self) -> ExchangeId:
        """The member this identifier belongs to."""
        return ExchangeId(self.state, self.member_class, self.code)

    @property
    def is_service(self) -> bool:
        """Whether this names a service."""
        return self.service is not None


def parse_id(text: str) -> ExchangeId:
    """Parse an identifier.

    Raises:
        MessageRefused: with reason ``exchange.bad_identifier`` naming what is wrong.
    """
    parts = text.split("/") if isinstance(text, str) else []
    if len(parts) not in (_MEMBER_PARTS, _SUBSYSTEM_PARTS, _SERVICE_PARTS) or parts[0] != INSTANCE:
        raise MessageRefused(
            f"{text!r} is not an identifier EAEU/<STATE>/<CLASS>/<CODE>[/<SUBSYSTEM>[/<SERVICE>]]",
            reason="exchange.bad_identifier",
        )
    state, member_class, *codes = parts[1:]
    if state not in MEMBER_STATES:
        raise MessageRefused(f"{state!r} is not a member state", reason="exchange.bad_identifier")
    if member_class not in MEMBER_CLASSES:
        raise MessageRefused(
            f"{member_class!r} is not a member class (GOV, COM, ORG)",
            reason="exchange.bad_identifier",
        )
    if not all(_CODE.fullmatch(code) for code in codes):
        raise MessageRefused(
            "identifier codes are 1-64 letters, digits, '.', '_' or '-'",
            reason="exchange.bad_identifier",
        )
    code, subsystem, service = [*codes, None, None][:3]
    assert code is not None  # noqa: S101 - guaranteed by the length check above
    return ExchangeId(state, member_class, code, subsystem, service)


def node_id(state: str) -> ExchangeId:
    """The identifier of a state's node itself: ``EAEU/<STATE>/GOV/NODE``."""
    return ExchangeId(state, "GOV", "NODE")


def node_service(state: str, subsystem: str, service: str) -> ExchangeId:
    """A service offered by a state's node: ``EAEU/<STATE>/GOV/NODE/<subsystem>/<service>``."""
    return ExchangeId(state, "GOV", "NODE", subsystem, service)
