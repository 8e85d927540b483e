"""``eaeu node serve`` and ``eaeu portal serve``: one production-shaped process."""

from __future__ import annotations

import os
from pathlib import Path

import typer
import uvicorn

from eaeu.bootstrap import build
from eaeu.cli.common import cli_settings, fail, platform_errors, port_in_use

node_app = typer.Typer(help="Run one national node.", no_args_is_help=True)
portal_app = typer.Typer(help="Run the union portal.", no_args_is_help=True)


def _serve(
    state: str | None,
    host: str,
    port: int,
    workers: int | None,
    data_dir: Path | None,
    public_url: str | None,
) -> None:
    with platform_errors():
        settings = cli_settings(
            data_dir,
            state=state,
            workers=workers,
            public_url=public_url or f"http://{host}:{port}",
        )
        # Migrate and claim the database once, before any worker starts, so that a bad
        # EAEU_DATABASE_URL or another node's database is one clear line, not N tracebacks.
        build(settings).close()
    if port_in_use(host, port):
        fail(f"port {port} on {host} is already in use; stop what runs there or choose --port")
    # The uvicorn factory runs in each worker process and reads its settings from the
    # environment, so the options chosen here are handed down that way.
    os.environ["EAEU_PUBLIC_URL"] = settings.public_url
    os.environ["EAEU_DATA_DIR"] = str(settings.data_dir)
    if state:
        os.environ["EAEU_STATE"] = settings.state or ""
    else:
        os.environ.pop("EAEU_STATE", None)
    uvicorn.run(
        "eaeu.web.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
        access_log=False,
        proxy_headers=True,
        server_header=False,
    )


@node_app.command("serve")
def serve_node(
    state: str = typer.Option(..., help="The member state this node serves: AM, BY, KG, KZ, RU."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    workers: int | None = typer.Option(
        None, min=1, max=64, help="Web worker processes (default EAEU_WORKERS or 1)."
    ),
    data_dir: Path | None = typer.Option(
        None, help="Data directory (default EAEU_DATA_DIR or var)."
    ),
    public_url: str | None = typer.Option(
        None, help="Base URL peers use (default http://HOST:PORT)."
    ),
) -> None:
    """Serve one national node (API and portal) until stopped."""
    _serve(state, host, port, workers, data_dir, public_url)


@portal_app.command("serve")
def serve_portal(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8100, min=1, max=65535, help="Port to listen on."),
    workers: int | None = typer.Option(
        None, min=1, max=64, help="Web worker processes (default EAEU_WORKERS or 1)."
    ),
    data_dir: Path | None = typer.Option(
        None, help="Data directory (default EAEU_DATA_DIR or var)."
    ),
    public_url: str | None = typer.Option(
        None, help="Base URL people use (default http://HOST:PORT)."
    ),
) -> None:
    """Serve the union portal: the landing page listing every node and its services."""
    _serve(None, host, port, workers, data_dir, public_url)
