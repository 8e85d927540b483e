"""``eaeu trust``: the union trust list — create a local union, inspect, verify, change it.

A change is proposed (``propose``), signed by the governance key of one state at a time
(``sign``) and published once a threshold of the current members has signed (``publish``).
``verify`` checks a trust list file offline, as a border officer's device would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from eaeu.cli.common import EXIT_USAGE, cli_settings, fail
from eaeu.kernel.clock import SystemClock, utc
from eaeu.kernel.errors import PlatformError
from eaeu.kernel.settings import DEVELOPMENT_MARKER
from eaeu.kernel.states import STATE_CODES
from eaeu.trust import keys, trustlist
from eaeu.trust.proposals import Change, Join, Leave, SetEndpoint, SetThreshold, describe_changes
from eaeu.trust.union import LocalUnion, init_union, publish, read_json

app = typer.Typer(
    help="The union trust list: create, show, verify, propose, sign and publish versions.",
    no_args_is_help=True,
)

DATA_DIR = typer.Option(
    Path("var"), "--data-dir", envvar="EAEU_DATA_DIR", help="The data directory of the union."
)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn a platform error into ``error: message (reason)`` and exit code 1."""
    try:
        yield
    except PlatformError as exc:
        fail(f"{exc.message} ({exc.reason})")
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename}")


def _passphrase(data_dir: Path) -> bytes:
    # A data directory made by `eaeu up` is a development union: its keys are protected by
    # the development passphrase, so its commands need no EAEU_DEVELOPMENT=1.
    settings = cli_settings(data_dir)
    return keys.key_passphrase(
        settings.secret_key.get_secret_value(), development=settings.development
    )


def _now() -> datetime:
    return SystemClock().now()


@app.command("init")
def init(
    data_dir: Path = DATA_DIR,
    threshold: int = typer.Option(3, help="How many states must sign the next version."),
    base_port: int = typer.Option(8100, help="Nodes listen on base+1 … base+5 (AM … RU)."),
    validity_days: int = typer.Option(365, help="How long version 1 is valid."),
) -> None:
    """Create the five national PKIs and the signed version 1 of the trust list."""
    with _errors():
        endpoints = {
            state: f"http://127.0.0.1:{base_port + i}" for i, state in enumerate(STATE_CODES, 1)
        }
        settings = cli_settings(data_dir)
        accepted = init_union(
            data_dir,
            passphrase=_passphrase(data_dir),
            now=_now(),
            endpoints=endpoints,
            validity_days=validity_days,
            threshold=threshold,
        )
        if settings.development:
            # Mark the union as a development one, as `eaeu up` does, so that later
            # commands on it open its keys without EAEU_DEVELOPMENT=1.
            (data_dir / DEVELOPMENT_MARKER).write_text(
                "Made by `eaeu trust init` in development mode.\n", encoding="utf-8"
            )
    for state in STATE_CODES:
        typer.echo(f"created {data_dir / 'keys' / state}: root CA, node keys, document signers")
    typer.echo(
        f"created {data_dir / 'trust' / 'v1.json'}: version 1, signed by {_states(accepted)}"
    )
    typer.echo(f"digest (pin this): {accepted.digest}")


def _states(accepted: trustlist.TrustList) -> str:
    return ", ".join(accepted.signed_by) or "nobody"


def _matrix(accepted: trustlist.TrustList) -> list[str]:
    services = sorted({s for m in accepted.members.values() for s in m.services})
    cells = [
        [state, *(",".join(sorted(member.services.get(s, ()))) or "-" for s in services)]
        for state, member in accepted.members.items()
    ]
    rows = [["state", *services], *cells]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


@app.command("show")
def show(
    data_dir: Path = DATA_DIR,
    version: int | None = typer.Option(None, "--version", help="A version; the latest by default."),
    as_json: bool = typer.Option(False, "--json", help="Print the version as JSON."),  # noqa: FBT003
) -> None:
    """Show a version of the trust list: validity, signers, members, participation."""
    with _errors():
        union = LocalUnion(data_dir, _passphrase(data_dir))
        shown = union.latest() if version is None else union.version(version)
    if as_json:
        typer.echo(
            json.dumps(
                {"digest": shown.digest, "signed_by": list(shown.signed_by), **shown.document},
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    typer.echo(f"trust list version {shown.version}")
    typer.echo(f"issued   {trustlist.format_time(shown.issued_at)}")
    expired = " (expired)" if _now() >= shown.expires_at else ""
    typer.echo(f"expires  {trustlist.format_time(shown.expires_at)}{expired}")
    typer.echo(f"digest   {shown.digest}")
    typer.echo(f"signed by {_states(shown)}; the next version needs {shown.threshold}")
    typer.echo("members:")
    for state, member in shown.members.items():
        typer.echo(f"  {state} {member.name}  {member.node.endpoint}")
    typer.echo("participation:")
    for line in _matrix(shown):
        typer.echo(f"  {line}")


def _load(path: Path) -> Any:
    if not path.is_file():
        fail(f"no file at {path}", EXIT_USAGE)
    return read_json(path)


@app.command("verify")
def verify(
    file: Path = typer.Argument(..., help="The signed trust list to verify."),
    previous: list[Path] = typer.Option(
        [],
        "--previous",
        help="The versions before FILE, version 1 first (repeat the option for each).",
    ),
    at: str | None = typer.Option(None, "--at", help="Verify at this ISO time (default now)."),
    pin: str | None = typer.Option(None, "--pin", help="The pinned digest of version 1."),
) -> None:
    """Verify a trust list offline; exit 0 if valid, 1 if not, 2 for a usage error."""
    try:
        moment = _now() if at is None else utc(datetime.fromisoformat(at))
    except ValueError:
        fail(f"--at must be an ISO time with a zone, like 2026-01-01T00:00:00Z, not {at!r}", 2)
    with _errors():
        chain = [_load(path) for path in [*previous, file]]
        accepted = trustlist.verify_chain(chain, at=moment, pinned_digest=pin)
    typer.echo(
        f"valid: trust list version {accepted.version}, signed by {_states(accepted)}, "
        f"expires {trustlist.format_time(accepted.expires_at)}, digest {accepted.digest}"
    )


def _split(value: str, sep: str, parts: int, option: str, form: str) -> list[str]:
    pieces = value.split(sep, parts - 1)
    if len(pieces) != parts or not all(pieces):
        fail(f"{option} takes {form}, not {value!r}", EXIT_USAGE)
    return pieces


def _changes(
    join: list[str], leave: list[str], endpoint: list[str], threshold: int | None
) -> list[Change]:
    changes: list[Change] = []
    for value in join:
        state, service, roles = _split(value, ":", 3, "--join", "XX:service:role,role")
        changes.append(Join(state.upper(), service, tuple(roles.split(","))))
    for value in leave:
        state, service = _split(value, ":", 2, "--leave", "XX:service")
        changes.append(Leave(state.upper(), service))
    for value in endpoint:
        state, url = _split(value, "=", 2, "--endpoint", "XX=url")
        changes.append(SetEndpoint(state.upper(), url))
    if threshold is not None:
        changes.append(SetThreshold(threshold))
    return changes


@app.command("propose")
def propose(
    data_dir: Path = DATA_DIR,
    join: list[str] = typer.Option([], "--join", help="XX:service:role,role — take part."),
    leave: list[str] = typer.Option([], "--leave", help="XX:service — stop taking part."),
    endpoint: list[str] = typer.Option([], "--endpoint", help="XX=url — move a node."),
    threshold: int | None = typer.Option(None, "--threshold", help="A new signing threshold."),
    validity_days: int = typer.Option(365, help="How long the new version is valid."),
) -> None:
    """Propose the next version; the current members then sign it with ``eaeu trust sign``."""
    changes = _changes(join, leave, endpoint, threshold)
    with _errors():
        union = LocalUnion(data_dir, _passphrase(data_dir))
        current, proposed = union.propose(
            changes, now=_now(), validity=timedelta(days=validity_days)
        )
    typer.echo(f"proposed {union.proposal_path}:")
    for line in describe_changes(current, proposed):
        typer.echo(f"  {line}")
    typer.echo(f"needs signatures of {current.threshold} of {', '.join(current.members)}")


@app.command("sign")
def sign(
    data_dir: Path = DATA_DIR,
    state: str = typer.Option(..., "--state", help="The signing member state."),
) -> None:
    """Add a state's governance signature to the pending proposal."""
    with _errors():
        union = LocalUnion(data_dir, _passphrase(data_dir))
        signers = union.sign_proposal(state.upper())
        needed = union.latest().threshold
    typer.echo(
        f"signed by {state.upper()}; {len(signers)} signatures, {needed} needed "
        f"({', '.join(signers)})"
    )


@app.command("publish")
def publish_command(
    data_dir: Path = DATA_DIR,
    via: str | None = typer.Option(
        None, help="The node that sends it to the others (default: the first signer)."
    ),
) -> None:
    """Publish the pending proposal once a threshold of the current members has signed it.

    The new version is written to ``trust/v<N>.json`` and, when the federation is running,
    handed to one member's node, which accepts it and sends it to every other node over the
    exchange (a node that is down receives it when it is back).
    """
    with _errors():
        accepted, path = publish(data_dir, _passphrase(data_dir), _now())
    typer.echo(
        f"published {path}: version {accepted.version}, signed by {_states(accepted)}, "
        f"digest {accepted.digest}"
    )
    sender = (via or accepted.signed_by[0]).upper()
    typer.echo(_distribute(data_dir, sender, read_json(path)))


def _distribute(data_dir: Path, sender: str, signed: dict[str, Any]) -> str:
    import httpx  # noqa: PLC0415 - only publishing talks to running nodes

    from eaeu.bootstrap import Federation  # noqa: PLC0415

    url = Federation.load(data_dir / "federation.json").nodes.get(sender)
    if url is None:
        return "no running federation found: nodes accept the new version when they next start"
    try:
        reply = httpx.post(
            f"{url}/api/v1/exchange/trust-list", json=signed, timeout=15, trust_env=False
        )
        body = reply.json()
    except (httpx.HTTPError, ValueError):
        return (
            f"the {sender} node did not answer: nodes accept the new version when they next start"
        )
    if reply.status_code != 200:  # noqa: PLR2004
        detail, reason = body.get("detail"), body.get("reason")
        fail(f"the {sender} node refused the new version: {detail} ({reason})")
    return (
        f"the {sender} node accepted version {body['version']} and is sending it to "
        f"{', '.join(body['queued_to'])}"
    )
