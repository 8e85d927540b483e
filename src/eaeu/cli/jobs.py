"""``eaeu jobs``: ingest a national source's vacancies into a node.

``eaeu jobs ingest --format trudvsem|jobposting FILE`` reads the file with its adapter and
ingests it into the node of ``--state`` (``EAEU_STATE``): new vacancies are created,
changed ones updated, duplicates merged, and bad records rejected with their reasons. It
exits 0 when every record was taken, 1 when some were rejected, and 2 when the file cannot
be read at all (not JSON, not the format's shape, or — with ``--region`` — records outside
the region asked for, so that nothing was taken). ``--json`` prints the report as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from eaeu.bootstrap import build
from eaeu.cli.common import EXIT_FAILED, EXIT_USAGE, cli_settings, fail
from eaeu.kernel.errors import PlatformError
from eaeu.kernel.log import configure_logging
from eaeu.services.jobs.adapters import FORMATS
from eaeu.services.jobs.errors import FeedUnreadable
from eaeu.services.jobs.vacancies import IngestReport

app = typer.Typer(help="Jobs: ingest vacancies from national sources.", no_args_is_help=True)

DATA_DIR = typer.Option(
    Path("var"), "--data-dir", envvar="EAEU_DATA_DIR", help="The data directory of the union."
)
STATE = typer.Option(None, "--state", envvar="EAEU_STATE", help="The node's member state.")


@app.callback()
def jobs() -> None:
    """Jobs: ingest vacancies from national sources."""
    # The same as the top-level command does, so that ``--json`` output stays clean when
    # this group runs on its own.
    configure_logging("WARNING")


def _read(path: Path) -> bytes:
    if str(path) == "-":
        return sys.stdin.buffer.read()
    if not path.is_file():
        fail(f"no file at {path}", EXIT_USAGE)
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {path}", EXIT_USAGE)


def _print(report: IngestReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"{report.source}: created {len(report.created)}, updated {len(report.updated)}, "
        f"merged {len(report.merged)}, unchanged {len(report.unchanged)}, "
        f"rejected {len(report.rejected)}"
    )
    for source_id, into in report.merged:
        typer.echo(f"merged {source_id} into {into}")
    for rejection in report.rejected:
        problems = "; ".join(f"{field}: {text}" for field, text in rejection.problems.items())
        typer.echo(f"rejected {rejection.source_id}: {rejection.reason} ({problems})")


@app.command("ingest")
def ingest_command(
    file: Path = typer.Argument(..., help="The source file (JSON), or - for standard input."),
    fmt: str = typer.Option(..., "--format", help="trudvsem or jobposting."),
    state: str | None = STATE,
    region: str | None = typer.Option(
        None, "--region", help="trudvsem: the region code asked for; records elsewhere refuse it."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),  # noqa: FBT003
    data_dir: Path = DATA_DIR,
) -> None:
    """Ingest a source file into the node: create, update, merge or reject each record."""
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}", EXIT_USAGE)
    if state is None:
        fail("give the node's state with --state (or EAEU_STATE)", EXIT_USAGE)
    data = _read(file)
    try:
        platform = build(cli_settings(data_dir, state=state.upper()))
    except PlatformError as exc:
        fail(f"{exc.message} ({exc.reason})")
    try:
        if platform.jobs is None:
            fail(f"the {state.upper()} node has no exchange keys: run `eaeu trust init` first")
        report = platform.jobs.vacancies.ingest_file(fmt, data, expected_region=region)
    except FeedUnreadable as exc:
        if as_json:
            typer.echo(json.dumps({"error": exc.reason, "message": exc.message}))
        fail(f"{exc.message} ({exc.reason})", EXIT_USAGE)
    except PlatformError as exc:
        fail(f"{exc.message} ({exc.reason})")
    finally:
        platform.close()
    _print(report, as_json)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


__all__ = ["app"]
