"""``eaeu consent``: the authority notifications a node's law requires before data leaves.

Russian law (152-FZ Art. 12) requires the operator to notify Roskomnadzor before personal
data is first sent to a state; until that notification is recorded, the node refuses every
transfer there (``policy.refused``). ``eaeu consent notify`` records it with the authority's
reference, ``eaeu consent notifications`` lists what is recorded. The node's operator API
(``/api/v1/consent/notifications``) does the same over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from eaeu.cli.common import cli_settings, fail, platform_errors
from eaeu.consent import records
from eaeu.kernel.clock import SystemClock
from eaeu.kernel.states import STATE_CODES
from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.storage.uow import UnitOfWorkFactory

app = typer.Typer(
    help="Consent: the authority notifications required before data leaves.",
    no_args_is_help=True,
)

STATE = typer.Option(..., "--state", help="The node's member state (AM, BY, KG, KZ, RU).")
DATA_DIR = typer.Option(None, "--data-dir", help="Node data directory (default var).")


@contextmanager
def _node_uow(state: str, data_dir: Path | None) -> Iterator[UnitOfWorkFactory]:
    """The unit-of-work factory of ``state``'s node database (migrated, checked as its own)."""
    code = state.strip().upper()
    if code not in STATE_CODES:
        fail(f"{state!r} is not a member state ({', '.join(STATE_CODES)})")
    settings = cli_settings(data_dir, state=code)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    try:
        migrate.upgrade(engine)
        migrate.claim_for_node(engine, code)
        yield UnitOfWorkFactory(engine)
    finally:
        engine.dispose()


@app.command("notify")
def notify(
    state: str = STATE,
    to: str = typer.Option(
        ..., "--to", help="The destination state notified, or * for every destination."
    ),
    reference: str = typer.Option(
        ..., "--reference", help="The authority's reference of the notification (RKN-…)."
    ),
    data_dir: Path | None = DATA_DIR,
) -> None:
    """Record that the authority was notified of transfers from STATE to a destination."""
    with platform_errors(), _node_uow(state, data_dir) as uow_factory, uow_factory() as uow:
        recorded = records.record_notification(
            uow.session,
            to,
            reference=reference,
            at=SystemClock().now(),
            home=state.strip().upper(),
        )
        uow.commit()
    typer.echo(
        f"{state.strip().upper()} → {recorded.destination}: notification {recorded.reference} "
        "recorded"
    )


@app.command("notifications")
def notifications(state: str = STATE, data_dir: Path | None = DATA_DIR) -> None:
    """List the authority notifications recorded on STATE's node."""
    with platform_errors(), _node_uow(state, data_dir) as uow_factory, uow_factory() as uow:
        found = records.notifications(uow.session)
    if not found:
        typer.echo("no notifications recorded")
        return
    for item in found:
        typer.echo(f"{item.destination}\t{item.reference}\t{item.notified_at:%Y-%m-%dT%H:%M:%SZ}")
