"""``eaeu id``: check national identifiers from the command line."""

from __future__ import annotations

import typer

from eaeu.cli.common import fail
from eaeu.kernel import identifiers
from eaeu.kernel.errors import InvalidIdentifier

app = typer.Typer(
    help="National identifiers: check them by their published rules.", no_args_is_help=True
)


@app.command("check")
def check(
    state: str = typer.Argument(..., help="Member state: AM, BY, KG, KZ, RU."),
    kind: str = typer.Argument(..., help="Identifier kind, e.g. iin, bin, inn, snils, unp."),
    value: str = typer.Argument(..., help="The identifier."),
) -> None:
    """Check one identifier; exit 0 when valid, 1 when not, with the reason."""
    try:
        result = identifiers.validate(state.upper(), kind, value)
    except InvalidIdentifier as exc:
        fail(f"{exc.message} ({exc.reason})")
    checked = "check digit verified" if result.checksum_verified else "structure only"
    typer.echo(f"valid: {result.state} {result.kind} {result.value} ({checked}; {result.rule})")


@app.command("kinds")
def kinds(state: str | None = typer.Argument(None, help="Limit to one member state.")) -> None:
    """List the supported identifier kinds."""
    for code, kind in identifiers.kinds(state.upper() if state else None):
        typer.echo(f"{code} {kind}")
