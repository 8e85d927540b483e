"""The root ``eaeu`` command."""

from __future__ import annotations

import typer

from eaeu import __version__
from eaeu.cli import consent, db, doc, exchange, ids, jobs, serve, travel, trust, up
from eaeu.kernel.log import configure_logging

app = typer.Typer(
    name="eaeu",
    help="EAEU Digital Platform: run national nodes and the union portal, manage their data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(serve.node_app, name="node")
app.add_typer(serve.portal_app, name="portal")
app.add_typer(ids.app, name="id")
app.add_typer(trust.app, name="trust")
app.add_typer(exchange.app, name="exchange")
app.add_typer(doc.app, name="doc")
app.add_typer(travel.app, name="travel")
app.add_typer(consent.app, name="consent")
app.add_typer(jobs.app, name="jobs")
app.command("up")(up.up)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"eaeu {__version__}")
        raise typer.Exit


@app.callback()
def root(
    version: bool = typer.Option(  # noqa: ARG001 - handled eagerly by the callback
        default=False,
        help="Print the version and exit.",
        callback=_version,
        is_eager=True,
    ),
) -> None:
    """EAEU Digital Platform command line."""
    configure_logging("WARNING")


def main() -> None:
    """Entry point of the ``eaeu`` console script."""
    app()
