"""What every command shares: settings from options and environment, and error output."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer

from eaeu.kernel.errors import PlatformError
from eaeu.kernel.settings import DEVELOPMENT_MARKER, Settings, load_settings

#: Exit codes: 0 success, 1 the thing checked is invalid or the action failed, 2 usage.
EXIT_FAILED = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print ``error: message`` on standard error and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def platform_errors() -> Iterator[None]:
    """Turn a ``PlatformError`` raised inside the block into one line and exit code 1."""
    try:
        yield
    except PlatformError as exc:
        fail(exc.message)


def cli_settings(data_dir: Path | None = None, **overrides: object) -> Settings:
    """Settings for a command, from the environment, ``--data-dir`` and options.

    A data directory made by ``eaeu up`` (it holds the development marker) is a development
    federation: its keys are protected by the development passphrase, so commands on it
    need no ``EAEU_DEVELOPMENT=1``.

    Raises:
        ConfigurationError: a setting is invalid.
    """
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir.resolve()
    directory = Path(str(values.get("data_dir") or load_settings(development=True).data_dir))
    if (directory / DEVELOPMENT_MARKER).exists():
        values.setdefault("development", True)
    return load_settings(**values)


def port_in_use(host: str, port: int) -> bool:
    """Return whether something already listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def stderr_is_terminal() -> bool:
    """Return whether standard error is a terminal (for progress output)."""
    return sys.stderr.isatty()
