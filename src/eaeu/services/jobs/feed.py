"""Replication of public vacancy data between the nodes taking part in jobs.

Scaffold: filled in by its owner.
"""

from __future__ import annotations

from eaeu.exchange.node import Handler
from eaeu.services.jobs.context import JobsContext


class Feed:
    """Replication of public vacancy data between the nodes taking part in jobs."""

    def __init__(self, ctx: JobsContext) -> None:
        self.ctx = ctx

    def handlers(self) -> dict[str, Handler]:
        """The exchange handlers of this part (message type → handler)."""
        return {}
