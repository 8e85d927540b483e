"""``python -m eaeu`` is the ``eaeu`` command."""

from __future__ import annotations

from eaeu.cli.main import main

main()
