"""Structured logging with structlog: dotted event names, no personal data, no keys.

Events are named ``domain.thing.happened`` (``node.started``, ``exchange.message.refused``).
A processor drops values of keys that look like secrets, as a second line of defence:
the first is never passing them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SENSITIVE = ("password", "secret", "private", "passphrase", "token", "key_pem", "otp")


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for name in list(event):
        if any(marker in name.lower() for marker in _SENSITIVE):
            event[name] = "[redacted]"
    return event


def configure_logging(level: str = "INFO", fmt: str = "console", *, stream: Any = None) -> None:
    """Configure structlog and the standard library to write one line per event.

    Args:
        level: a standard level name.
        fmt: ``console`` for people, ``json`` for log shippers.
        stream: where to write (default standard error).
    """
    out = stream if stream is not None else sys.stderr
    # Plain tracebacks only: a pretty one prints local variables, which may hold message
    # bodies, tokens or keys, and none of those may reach a log.
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level.upper(), stream=out, format="%(name)s %(message)s", force=True)
    # Alembic announces its dialect at INFO on every start, and httpx logs every request's
    # full URL as unstructured text; only their warnings matter here.
    quiet = max(logging.WARNING, logging.getLevelName(level.upper()))
    for name in ("alembic", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(quiet)


def get_logger(name: str | None = None) -> Any:
    """Return a structlog logger (bound to ``name`` when given).

    The logger stays lazy: modules create theirs at import, before the CLI or the web app
    configures logging, and each event must still follow the configuration in force.
    """
    return _Named(name) if name else structlog.get_logger()


class _Named:
    """A logger that binds its name when it logs, under the configuration then in force."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, method: str) -> Any:
        return getattr(structlog.get_logger().bind(logger=self._name), method)
