"""The logger of documents, resolved when used so it follows the configuration made later.

The command line configures logging only once its options are read, after every module
has been imported; a logger bound at import would keep the default configuration. Events
carry ids, reason codes and indications only — never a name, an identifier or a key.
"""

from __future__ import annotations

from typing import Any

from eaeu.kernel.log import get_logger


class _LazyLogger:
    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, method: str) -> Any:
        return getattr(get_logger(self._name), method)


logger: Any = _LazyLogger("eaeu.documents")
