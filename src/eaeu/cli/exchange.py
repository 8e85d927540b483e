"""``eaeu exchange``: delivery workers, pings, status and the message log."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import typer
from sqlalchemy.exc import SQLAlchemyError

from eaeu.bootstrap import Federation, build
from eaeu.cli.common import EXIT_USAGE, cli_settings, fail, platform_errors
from eaeu.exchange import log
from eaeu.exchange.errors import LogTampered
from eaeu.kernel.log import configure_logging, get_logger
from eaeu.kernel.settings import load_settings
from eaeu.kernel.states import STATE_CODES
from eaeu.storage.engine import make_engine

app = typer.Typer(
    help="Exchange between nodes: workers, ping, status, message log.", no_args_is_help=True
)
log_app = typer.Typer(help="The hash-chained message log.", no_args_is_help=True)
app.add_typer(log_app, name="log")

DATA_DIR = typer.Option(
    Path("var"), envvar="EAEU_DATA_DIR", help="The federation's data directory."
)


def _node_url(data_dir: Path, state: str) -> str:
    federation = Federation.load(data_dir / "federation.json")
    url = federation.nodes.get(state)
    if url is None:
        fail(f"no {state} node in {data_dir / 'federation.json'}; is the federation running?")
    return url


def _operator_headers() -> dict[str, str]:
    settings = load_settings(development=True)
    token = settings.operator_token
    return {"authorization": f"Bearer {token.get_secret_value()}"} if token else {}


def _call(method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    try:
        reply = httpx.request(
            method, url, timeout=15, trust_env=False, headers=_operator_headers(), **kwargs
        )
        body = reply.json()
    except httpx.HTTPError as exc:
        fail(f"{url} did not answer ({type(exc).__name__}); is the federation running?")
    except ValueError:
        fail(f"{url} answered something that is not JSON")
    if reply.status_code >= 400:  # noqa: PLR2004
        fail(f"{body.get('detail', 'refused')} ({body.get('reason', reply.status_code)})")
    result: dict[str, Any] = body
    return result


@app.command("ping")
def ping(
    sender: str = typer.Option(..., "--from", help="The node that sends the ping."),
    receiver: str = typer.Option(..., "--to", help="The node that answers."),
    data_dir: Path = DATA_DIR,
) -> None:
    """Make a signed round trip from one running node to another and print its timing."""
    sender, receiver = sender.upper(), receiver.upper()
    for code in (sender, receiver):
        if code not in STATE_CODES:
            fail(f"{code!r} is not a member state ({', '.join(STATE_CODES)})", EXIT_USAGE)
    started = time.perf_counter()
    result = _call(
        "POST", f"{_node_url(data_dir, sender)}/api/v1/exchange/ping", json={"to": receiver}
    )
    total = (time.perf_counter() - started) * 1000
    typer.echo(
        f"{sender} → {receiver}: signed round trip {result['round_trip_ms']:.1f} ms "
        f"(with the CLI call {total:.1f} ms); receipt {result['receipt']['status']} "
        f"at {result['receipt']['received_at']}, message {result['message_id']}"
    )


@app.command("status")
def status(
    state: str | None = typer.Option(None, help="One node (default: every node)."),
    data_dir: Path = DATA_DIR,
) -> None:
    """Show each node's trust list version, outbox depth, dead letters and peers."""
    for code in [state.upper()] if state else list(STATE_CODES):
        result = _call("GET", f"{_node_url(data_dir, code)}/api/v1/exchange/status")
        outbox = result["outbox"]
        peers = ", ".join(f"{p['state']} {_peer_word(p)}" for p in result["peers"])
        trust = result["trust_list"]
        expired = " (EXPIRED: this node exchanges nothing)" if trust["expired"] else ""
        typer.echo(
            f"{code}: trust list v{trust['version']}{expired}, outbox {outbox['pending']} "
            f"pending / {outbox['delivered']} delivered / {outbox['dead']} dead; peers: {peers}"
        )
        for dead in result["dead_letters"]:
            typer.echo(
                f"    dead letter {dead['id']} to {dead['to']}: {dead['reason']} ({dead['error']})"
            )


def _peer_word(peer: dict[str, Any]) -> str:
    if not peer["reachable"]:
        return "DOWN"
    return "up" if peer.get("healthy", True) else "unhealthy"


@log_app.command("verify")
def verify(
    state: str = typer.Option(..., help="The node whose log to verify."),
    data_dir: Path = DATA_DIR,
) -> None:
    """Verify the node's message log; exit 0 if intact, 1 naming the first broken record."""
    with platform_errors():
        # Verifying reads the database only: no key is opened, so no secret is needed.
        settings = cli_settings(data_dir, state=state, development=True)
        url = settings.effective_database_url
        database = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
        if database is not None and not database.exists():
            fail(f"there is no {settings.state} node database at {database}")
        engine = make_engine(url)
        try:
            from eaeu.storage.uow import UnitOfWorkFactory  # noqa: PLC0415

            with UnitOfWorkFactory(engine)() as uow:
                summary = log.verify(uow.session)
        except LogTampered as exc:
            fail(f"{exc.message} ({exc.reason})")
        except SQLAlchemyError as exc:
            fail(f"the message log of {settings.state} cannot be read: {type(exc).__name__}")
        finally:
            engine.dispose()
    head = summary.head_hash[:16]
    typer.echo(f"{settings.state} message log intact: {summary.count} records, head {head}…")


@app.command("worker")
def worker(
    state: str = typer.Option(..., help="The node whose outbox this worker delivers."),
    data_dir: Path | None = typer.Option(None, help="Data directory (default var)."),
    once: bool = typer.Option(default=False, help="Deliver what is due now, then exit."),
) -> None:
    """Deliver the node's outbox and pull the jobs feeds until stopped (several may run)."""
    with platform_errors():
        settings = cli_settings(data_dir, state=state)
        configure_logging(settings.log_level, settings.log_format)
        # The node seeds its demonstration data; the worker starting beside it does not.
        platform = build(settings, demo_data=False)
    node = platform.exchange
    if node is None:
        fail(f"the {settings.state} node has no exchange keys; run `eaeu trust init` first")
    owner = f"{socket.gethostname()}:{os.getpid()}"
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger = get_logger("eaeu.exchange.worker")
    logger.info("exchange.worker.started", state=settings.state, owner=owner)
    # The jobs change feed is pulled in a thread of its own, so that a peer that is slow to
    # answer never holds up the delivery of the outbox.
    feed = platform.jobs.feed if platform.jobs is not None else None
    every = timedelta(seconds=settings.jobs_feed_interval_s)
    feed_stop = threading.Event()
    feed_thread = None
    if feed is not None and not once:
        alerts = platform.jobs.alerts if platform.jobs is not None else None
        feed_thread = threading.Thread(
            target=feed.run,
            args=(every, feed_stop),
            kwargs={"on_new": alerts.refresh_all if alerts is not None else None},
            name="jobs-feed",
            daemon=True,
        )
        feed_thread.start()
    try:
        while not stopping:
            claimed = node.claim(owner)
            for message_id in claimed:
                node.deliver(message_id, owner)
            if once:
                if feed is not None:
                    feed.sync_due(every)
                break
            if not claimed:
                time.sleep(settings.exchange_poll_s)
    finally:
        feed_stop.set()
        if feed_thread is not None:
            feed_thread.join(timeout=30)
        platform.close()
        logger.info("exchange.worker.stopped", state=settings.state)
