"""EAEU Digital Platform: one codebase for the national nodes of the Eurasian Economic Union.

Each member state runs its own node (portal, API, database, keys); nodes exchange signed,
logged messages peer to peer under one union trust list. See ``ARCHITECTURE.md``.
"""

from __future__ import annotations

__version__ = "0.1.0"
