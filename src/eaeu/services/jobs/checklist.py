"""The paperwork checklist generated from legal rules kept as data.

Scaffold: filled in by its owner.
"""

from __future__ import annotations

from eaeu.exchange.node import Handler
from eaeu.services.jobs.context import JobsContext


class Checklists:
    """The paperwork checklist generated from legal rules kept as data."""

    def __init__(self, ctx: JobsContext) -> None:
        self.ctx = ctx

    def handlers(self) -> dict[str, Handler]:
        """The exchange handlers of this part (message type → handler)."""
        return {}
