"""``eaeu db``: database migrations."""

from __future__ import annotations

from pathlib import Path

import typer

from eaeu.cli.common import cli_settings, platform_errors
from eaeu.storage import migrate
from eaeu.storage.engine import describe, make_engine

app = typer.Typer(help="Database schema: apply migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(
    state: str | None = typer.Option(None, help="The node's member state (AM, BY, KG, KZ, RU)."),
    data_dir: Path | None = typer.Option(None, help="Node data directory (default var)."),
) -> None:
    """Apply every migration to the node's database (EAEU_DATABASE_URL or its SQLite file)."""
    with platform_errors():
        settings = cli_settings(data_dir, state=state)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        url = settings.effective_database_url
        engine = make_engine(url)
        try:
            revision = migrate.upgrade(engine)
        finally:
            engine.dispose()
    typer.echo(f"{describe(url)} is at revision {revision}")
