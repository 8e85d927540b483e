"""``eaeu travel``: verify health certificates, make the offline bundle, import foreign signers.

``verify`` works fully offline: against ``--dsc`` certificates, a signed ``--bundle``, or the
union trust list of the data directory (``EAEU_DATA_DIR``). It exits 0 for a valid
certificate, 1 for an invalid one (or a batch with any invalid line) and 2 for a usage error;
``--json`` prints the same verdict document as ``POST /api/v1/travel/verify``, and
``--batch FILE.jsonl`` one verdict per line, for airline manifests.

``bundle`` and ``import-dsc`` act on a node's data (``--state``).
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from cryptography import x509

from eaeu.bootstrap import Platform, build
from eaeu.cli.common import EXIT_FAILED, EXIT_USAGE, cli_settings, fail
from eaeu.kernel.clock import SystemClock, utc
from eaeu.kernel.errors import PlatformError
from eaeu.services.travel.bundle import DEFAULT_MAX_AGE, build_bundle, parse_json, read_bundle
from eaeu.services.travel.errors import QrError
from eaeu.services.travel.hcert import kid_of
from eaeu.services.travel.qr import read_hc1
from eaeu.services.travel.rules import load_entry_rules
from eaeu.services.travel.service import Sources, result_json, verify_certificate
from eaeu.services.travel.trust import (
    Signer,
    TrustMaterial,
    country_of,
    external_signer,
    material,
)
from eaeu.services.travel.trust import read_certificates as read_signer_file
from eaeu.services.travel.value_sets import default_value_sets
from eaeu.services.travel.verifier import STAGES, VerificationResult
from eaeu.trust.trustlist import TrustList
from eaeu.trust.union import LocalUnion

app = typer.Typer(
    help="Travel certificates: verify (offline), the signed bundle, foreign signers.",
    no_args_is_help=True,
)

DATA_DIR = typer.Option(
    Path("var"), "--data-dir", envvar="EAEU_DATA_DIR", help="The data directory of the union."
)
STATE = typer.Option(None, "--state", envvar="EAEU_STATE", help="The node's member state.")
EXIT_VALID = 0


@contextmanager
def _errors() -> Iterator[None]:
    """Turn a platform error into ``error: message (reason)`` and exit code 1."""
    try:
        yield
    except PlatformError as exc:
        fail(f"{exc.message} ({exc.reason})")
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename}")


def _read(path: Path) -> bytes:
    if str(path) == "-":
        return sys.stdin.buffer.read()
    if not path.is_file():
        fail(f"no file at {path}", EXIT_USAGE)
    return path.read_bytes()


def _dsc_certificates(value: str) -> list[x509.Certificate]:
    """Read ``--dsc``: a file (PEM, DER, base64, JSON) or base64 DER given inline."""
    try:
        path: Path | None = Path(value) if Path(value).is_file() else None
    except OSError:  # base64 longer than a file name may be
        path = None
    if path is not None:
        return [certificate for certificate, _ in read_signer_file(path.read_bytes())]
    try:
        return [x509.load_der_x509_certificate(base64.b64decode(value, validate=True))]
    except (ValueError, binascii.Error):
        fail(f"--dsc {value[:40]!r} is neither a certificate file nor base64 DER", EXIT_USAGE)


def _signers(values: list[str]) -> list[Signer]:
    signers: list[Signer] = []
    for value in values:
        # A certificate given on the command line is trusted as given, whatever state it
        # names: the person running the check chose it.
        signers.extend(
            Signer(kid_of(c), country_of(c) or "--", "external", c)
            for c in _dsc_certificates(value)
        )
    return signers


def _trust_list(data_dir: Path) -> TrustList | None:
    union = LocalUnion(data_dir, b"")  # trust lists are public: no key is opened
    if not union.versions():
        return None
    return union.latest()


def _moment(value: str | None) -> datetime:
    if value is None:
        return SystemClock().now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--at {value!r} is not an ISO 8601 time", EXIT_USAGE)
    if moment.tzinfo is None:
        fail("--at needs a time zone, e.g. 2026-03-01T12:00:00Z", EXIT_USAGE)
    return utc(moment)


def _sources(
    data_dir: Path, dsc: list[str], bundle: Path | None, bundle_signer: Path | None
) -> Sources:
    extra = _signers(dsc)
    if bundle is not None:
        pinned = None
        trust = None
        if bundle_signer is not None:
            found = read_signer_file(_read(bundle_signer))
            pinned = found[0][0]
        else:
            trust = _trust_list(data_dir)
            if trust is None:
                fail(
                    f"no trust list in {data_dir / 'trust'} to check the bundle's signature; "
                    "give the signing node's certificate with --bundle-signer",
                    EXIT_USAGE,
                )
        loaded = read_bundle(parse_json(_read(bundle)), trust=trust, signer_certificate=pinned)
        sources = loaded.sources()
        if extra:
            base = sources.material
            merged = TrustMaterial((*base.signers, *extra), base.refused_kids)
            sources = Sources(
                merged, sources.revocation, sources.rules, sources.value_sets, sources.freshness
            )
        return sources
    if dsc:
        return Sources(TrustMaterial(tuple(extra)), None, load_entry_rules(), default_value_sets())
    trust = _trust_list(data_dir)
    if trust is None:
        fail(
            f"no trust list in {data_dir / 'trust'}: give --dsc, --bundle or --data-dir",
            EXIT_USAGE,
        )
    return Sources(material(trust), None, load_entry_rules(), default_value_sets())


def _print_human(result: VerificationResult, document: dict[str, Any]) -> None:
    typer.echo("VALID" if result.valid else f"NOT VALID: {result.reason}")
    if result.detail:
        typer.echo(f"  {result.detail}")
    holder = result.holder
    if holder is not None:
        typer.echo(f"holder   {holder['gn']} {holder['fn']}, born {holder['dob'] or '-'}")
    if result.issuer:
        typer.echo(f"issuer   {result.issuer}")
    if result.expires_at:
        typer.echo(f"expires  {document['expires_at']}")
    if result.failed_rules:
        typer.echo(f"rules    failed: {', '.join(result.failed_rules)}")
    bundle = document.get("bundle")
    if bundle:
        state = "STALE" if bundle["stale"] else "fresh"
        typer.echo(
            f"bundle   from {bundle['issuer']}, valid until {bundle['valid_until']} ({state})"
        )
    typer.echo("stages   " + " ".join(f"{s}={result.stages[s]}" for s in STAGES))


def _batch(path: Path, sources: Sources, at: datetime, arrival: str | None) -> int:
    invalid = 0
    for number, line in enumerate(_read(path).decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("qr"), str):
                msg = "a line needs a string 'qr'"
                raise TypeError(msg)  # noqa: TRY301 - one error path for every bad line
            line_at = _line_at(item.get("at"), at)
            line_sources = _with_signers(sources, item.get("dsc"))
            line_arrival = item.get("arrival", arrival)
        except (ValueError, TypeError, binascii.Error, PlatformError) as exc:
            invalid += 1
            message = exc.message if isinstance(exc, PlatformError) else str(exc)
            typer.echo(
                json.dumps({"line": number, "valid": False, "reason": "input", "detail": message})
            )
            continue
        result = verify_certificate(
            item["qr"], sources=line_sources, at=line_at, arrival=line_arrival
        )
        invalid += not result.valid
        document = result_json(result, at=line_at, arrival=line_arrival, sources=line_sources)
        typer.echo(json.dumps({"line": number, **document}, ensure_ascii=False))
    return EXIT_FAILED if invalid else EXIT_VALID


def _line_at(value: Any, default: datetime) -> datetime:
    if value is None:
        return default
    moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    if moment is None or moment.tzinfo is None:
        msg = "'at' must be an ISO 8601 time with a zone"
        raise ValueError(msg)
    return utc(moment)


def _with_signers(sources: Sources, dsc: Any) -> Sources:
    if dsc is None:
        return sources
    if not isinstance(dsc, list) or not all(isinstance(d, str) for d in dsc):
        msg = "'dsc' must be a list of base64 DER or PEM certificates"
        raise TypeError(msg)
    certificates: list[x509.Certificate] = []
    for text in dsc:
        data = text.encode("ascii", "replace")
        certificates.extend(c for c, _ in read_signer_file(data))
    extra = [Signer(kid_of(c), country_of(c) or "--", "external", c) for c in certificates]
    base = sources.material
    return Sources(
        TrustMaterial((*base.signers, *extra), base.refused_kids),
        sources.revocation,
        sources.rules,
        sources.value_sets,
        sources.freshness,
    )


@app.command("verify")
def verify(
    qr: str | None = typer.Argument(None, help="The QR code's text (HC1:…)."),
    file: Path | None = typer.Option(None, "--file", help="A file holding the text ('-': stdin)."),
    image: Path | None = typer.Option(None, "--image", help="A picture of the QR code."),
    batch: Path | None = typer.Option(
        None, "--batch", help="JSON lines {qr, dsc, at}: one verdict per line."
    ),
    dsc: list[str] = typer.Option(
        [], "--dsc", help="A signer certificate (PEM/DER file or base64 DER); repeat."
    ),
    bundle: Path | None = typer.Option(None, "--bundle", help="A signed offline bundle."),
    bundle_signer: Path | None = typer.Option(
        None, "--bundle-signer", help="The bundle's signing node certificate (pinned, offline)."
    ),
    at: str | None = typer.Option(
        None, "--at", help="The validation time (ISO 8601); now by default."
    ),
    arrival: str | None = typer.Option(
        None, "--arrival", help="Country of arrival: apply its entry rules."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the verdict as JSON."),  # noqa: FBT003
    data_dir: Path = DATA_DIR,
) -> None:
    """Verify an HC1 health certificate offline; exit 0 if valid, 1 if not, 2 on usage errors."""
    inputs = [value for value in (qr, file, image, batch) if value is not None]
    if len(inputs) != 1:
        fail("give exactly one of QR, --file, --image or --batch", EXIT_USAGE)
    country = arrival.upper() if arrival else None
    if country is not None and (len(country) != 2 or not country.isalpha()):  # noqa: PLR2004
        fail(f"--arrival {arrival!r} is not a country code such as RU", EXIT_USAGE)
    moment = _moment(at)
    with _errors():
        sources = _sources(data_dir, dsc, bundle, bundle_signer)
    if batch is not None:
        raise typer.Exit(_batch(batch, sources, moment, country))
    if image is not None:
        try:
            text = read_hc1(_read(image))
        except QrError as exc:
            fail(f"{exc.message} ({exc.reason})")
    elif file is not None:
        text = _read(file).decode("utf-8", "replace").strip()
    else:
        text = (qr or "").strip()
    result = verify_certificate(text, sources=sources, at=moment, arrival=country)
    document = result_json(result, at=moment, arrival=country, sources=sources)
    if as_json:
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        _print_human(result, document)
    raise typer.Exit(EXIT_VALID if result.valid else EXIT_FAILED)


def _node(data_dir: Path, state: str | None) -> Platform:
    if state is None:
        fail("give the node's state with --state (or EAEU_STATE)", EXIT_USAGE)
    return build(cli_settings(data_dir, state=state.upper()))


@app.command("bundle")
def bundle_command(
    state: str | None = STATE,
    out: Path | None = typer.Option(
        None, "--out", help="Write the bundle here (stdout by default)."
    ),
    max_age_hours: float = typer.Option(
        DEFAULT_MAX_AGE.total_seconds() / 3600,
        "--max-age-hours",
        help="How long it may be relied on.",
    ),
    data_dir: Path = DATA_DIR,
) -> None:
    """Make the node's signed offline bundle: signers, entry rules, value sets, revocations."""
    if not 0 < max_age_hours <= 7 * 24:
        fail("--max-age-hours must be more than 0 and at most 168", EXIT_USAGE)
    with _errors():
        platform = _node(data_dir, state)
        try:
            verifier, exchange = platform.travel_verifier, platform.exchange
            if verifier is None or exchange is None:
                fail(f"the {state} node has no exchange keys: run `eaeu trust init` first")
            revocations = verifier.revocations
            document = build_bundle(
                state=exchange.state,
                signer=exchange.signer,
                trust=verifier.trust(),
                material=verifier.material(),
                revoked=revocations.revoked_prefixes() if revocations is not None else [],
                rules=verifier.rules,
                value_sets=verifier.value_sets,
                now=platform.clock.now(),
                max_age=timedelta(hours=max_age_hours),
            )
        finally:
            platform.close()
    text = json.dumps(document, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    with _errors():
        out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}: signed by {exchange.state}, valid {max_age_hours:g} h", err=True)


@app.command("import-dsc")
def import_dsc(
    files: list[Path] = typer.Argument(..., help="PEM, DER or DCC Gateway JSON trust list files."),
    state: str | None = STATE,
    data_dir: Path = DATA_DIR,
) -> None:
    """Import document signers of countries outside the union (EU DCC / WHO network)."""
    with _errors():
        found: list[tuple[Signer, str]] = []
        for path in files:
            found.extend(
                (external_signer(certificate, country), path.name)
                for certificate, country in read_signer_file(_read(path))
            )
        platform = _node(data_dir, state)
        try:
            verifier = platform.travel_verifier
            if verifier is None or verifier.external is None:
                fail(f"the {state} node keeps no imported signers")
            added = []
            for signer, source in found:
                added.extend(
                    verifier.external.import_signers(
                        [signer], source=f"cli:{source}", now=platform.clock.now()
                    )
                )
        finally:
            platform.close()
    for signer in added:
        typer.echo(f"imported {signer.country} {base64.b64encode(signer.kid).decode()}")
    typer.echo(f"{len(added)} imported, {len(found) - len(added)} already known")
