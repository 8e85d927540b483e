"""``eaeu doc``: sign a JSON document (JAdES) or a PDF (PAdES), and verify signed documents.

``sign`` uses a key and certificate from files (``--key``, ``--cert``) or, in a local union,
a state's document signer (``--as-node KG``, role ``--role migration``). ``verify`` checks
every signature against the union trust list of the data directory (``EAEU_DATA_DIR``):
exit 0 when the document is ``TOTAL-PASSED``, 1 when it failed or is indeterminate (or
is not a signed document), 2 for a usage error. Revocation is read from each state's CRL
(``--crl FILE``, or fetched from the node the trust list names); without any, the result
is ``INDETERMINATE / TRY_LATER`` unless ``--no-revocation-check`` is given.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from eaeu.cli.common import EXIT_FAILED, EXIT_USAGE, cli_settings, fail
from eaeu.documents.handlers import sign_document
from eaeu.documents.jades import COMMITMENTS
from eaeu.documents.keys import CertifiedKey
from eaeu.documents.model import Indication, ValidationReport
from eaeu.documents.revocation import GOOD, CrlCache, HttpCrlFetcher, RevocationStatus
from eaeu.documents.validation import ValidationService
from eaeu.kernel.clock import SystemClock
from eaeu.kernel.errors import PlatformError
from eaeu.trust import keys
from eaeu.trust.keys import EcSigner
from eaeu.trust.trustlist import TrustList
from eaeu.trust.union import ROLES, LocalUnion

app = typer.Typer(
    help="Signed documents: sign JSON (JAdES) and PDF (PAdES), verify signatures.",
    no_args_is_help=True,
)

DATA_DIR = typer.Option(
    Path("var"), "--data-dir", envvar="EAEU_DATA_DIR", help="The data directory of the union."
)


@contextmanager
def _errors(code: int = EXIT_FAILED) -> Iterator[None]:
    try:
        yield
    except PlatformError as exc:
        fail(f"{exc.message} ({exc.reason})", code)
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename}", EXIT_USAGE)


def _union(data_dir: Path) -> LocalUnion:
    settings = cli_settings(data_dir)
    passphrase = keys.key_passphrase(
        settings.secret_key.get_secret_value(), development=settings.development
    )
    return LocalUnion(data_dir, passphrase)


def _read(path: Path, what: str) -> bytes:
    if not path.is_file():
        fail(f"no {what} at {path}", EXIT_USAGE)
    return path.read_bytes()


def _key_from_files(key_path: Path, cert_path: Path) -> CertifiedKey:
    try:
        private = serialization.load_pem_private_key(_read(key_path, "key"), password=None)
        chain = x509.load_pem_x509_certificates(_read(cert_path, "certificate"))
    except (ValueError, TypeError):
        fail("--key must be an unencrypted PEM key and --cert PEM certificates", EXIT_USAGE)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        fail("--key must be an EC P-256 key (ES256)", EXIT_USAGE)
    if chain[0].public_key() != private.public_key():
        fail("the first certificate in --cert is not the one of --key", EXIT_USAGE)
    return CertifiedKey(EcSigner(private), chain[0], tuple(chain[1:]))


@app.command("sign")
def sign(
    file: Path = typer.Argument(..., help="The JSON document or PDF to sign."),
    as_node: str | None = typer.Option(
        None, "--as-node", help="Sign with this state's document signer (a local union)."
    ),
    role: str = typer.Option("migration", help=f"The document signer's role: {', '.join(ROLES)}."),
    key: Path | None = typer.Option(None, "--key", help="A PEM EC private key."),
    cert: Path | None = typer.Option(None, "--cert", help="Its PEM certificate (then chain)."),
    out: Path | None = typer.Option(None, "--out", help="Where to write (FILE.signed.*)."),
    commitment: str | None = typer.Option(
        None, help=f"What the signature means (JSON): {', '.join(COMMITMENTS)}."
    ),
    data_dir: Path = DATA_DIR,
) -> None:
    """Sign FILE: a JSON document becomes JAdES (or gets one more signature), a PDF PAdES."""
    from_files = key is not None and cert is not None
    if (as_node is None) != from_files:
        fail("give either --as-node STATE or both --key and --cert", EXIT_USAGE)
    if commitment is not None and commitment not in COMMITMENTS:
        fail(f"--commitment must be one of {', '.join(COMMITMENTS)}", EXIT_USAGE)
    document = _read(file, "file")
    with _errors(EXIT_USAGE):
        if key is not None and cert is not None:
            certified = _key_from_files(key, cert)
        else:
            if role not in ROLES:
                fail(f"--role must be one of {', '.join(ROLES)}", EXIT_USAGE)
            signer, certificate = _union(data_dir).document_signer(str(as_node).upper(), role)
            certified = CertifiedKey(signer, certificate)
    with _errors():
        signed = sign_document(
            document, certified, signing_time=SystemClock().now(), commitment=commitment
        )
    target = out or file.with_name(
        f"{file.stem}.signed.{'pdf' if signed.kind == 'pdf' else 'json'}"
    )
    target.write_bytes(signed.content)
    subject = certified.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = str(subject[0].value) if subject else "the certificate's subject"
    typer.echo(f"signed {file} as {name}: {target}")


class _NoRevocationCheck:
    """Every certificate counts as not revoked (``--no-revocation-check``)."""

    def status(
        self,
        state: str,  # noqa: ARG002 - the protocol
        cert: x509.Certificate,  # noqa: ARG002
        root: x509.Certificate,  # noqa: ARG002
    ) -> RevocationStatus:
        """Return ``GOOD``."""
        return GOOD


class _Crls:
    """CRL files given on the command line by state, then each node's published CRL."""

    def __init__(self, files: list[Path], trust: TrustList) -> None:
        self._by_state: dict[str, bytes] = {}
        for path in files:
            der = _read(path, "CRL")
            try:
                crl = x509.load_der_x509_crl(der)
            except ValueError:
                fail(f"{path} is not a DER CRL", EXIT_USAGE)
            country = crl.issuer.get_attributes_for_oid(NameOID.COUNTRY_NAME)
            self._by_state[str(country[0].value) if country else ""] = der
        self._http = HttpCrlFetcher(lambda: trust)

    def __call__(self, state: str) -> bytes:
        if state in self._by_state:
            return self._by_state[state]
        return self._http(state)


def _print(report: ValidationReport) -> None:
    typer.echo(f"{report.indication.value}" + (
        f" / {report.sub_indication.value}" if report.sub_indication else ""
    ))  # fmt: skip
    for signature in report.signatures:
        who = signature.signer
        signer = f"{who.name} ({who.state}, certificate {who.certificate_serial})" if who else "?"
        status = signature.indication.value + (
            f" / {signature.sub_indication.value}" if signature.sub_indication else ""
        )
        when = signature.signing_time.isoformat() if signature.signing_time else "no time"
        typer.echo(f"  {signature.id} {signature.format} {status}: {signer}, signed {when}")
        typer.echo(f"    {signature.detail}")


@app.command("verify")
def verify(
    file: Path = typer.Argument(..., help="The signed document (JSON, PDF or .p7s)."),
    detached: Path | None = typer.Option(
        None, "--detached", help="The signed file, for a detached CMS signature."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),  # noqa: FBT003
    crl: list[Path] = typer.Option([], "--crl", help="A state's CRL (DER); repeat for more."),
    no_revocation_check: bool = typer.Option(
        False,  # noqa: FBT003
        "--no-revocation-check",
        help="Do not check revocation (the result says nothing about revoked certificates).",
    ),
    data_dir: Path = DATA_DIR,
) -> None:
    """Verify every signature of FILE; exit 0 if TOTAL-PASSED, 1 if not, 2 for a usage error."""
    document = _read(file, "file")
    signed_data = _read(detached, "signed file") if detached is not None else None
    clock = SystemClock()
    with _errors(EXIT_USAGE):
        trust = _union(data_dir).latest()
    revocation = _NoRevocationCheck() if no_revocation_check else CrlCache(_Crls(crl, trust), clock)
    service = ValidationService(
        state="", trust=lambda: trust, revocation=revocation, clock=clock, signer=None
    )
    with _errors():
        report = service.validate(document, detached=signed_data)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        _print(report)
    if report.indication is not Indication.TOTAL_PASSED:
        raise typer.Exit(EXIT_FAILED)
