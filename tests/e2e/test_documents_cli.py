"""``eaeu doc`` as a person runs it: real processes, exit codes, reports."""

import json
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization

from eaeu.documents import pades
from eaeu.documents.keys import CertificateAuthority
from eaeu.kernel.clock import SystemClock
from eaeu.kernel.settings import DEVELOPMENT_SECRET
from eaeu.trust import pki
from eaeu.trust.keys import generate_ec_key
from eaeu.trust.union import LocalUnion

pytestmark = pytest.mark.slow

DEV = {"EAEU_DEVELOPMENT": "1"}


def run(*args, data_dir):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EAEU_")}
    return subprocess.run(
        [sys.executable, "-m", "eaeu", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**environment, **DEV, "EAEU_DATA_DIR": str(data_dir)},
        check=False,
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("var")
    result = run("trust", "init", "--base-port", 9300, data_dir=path)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def contract(tmp_path):
    path = tmp_path / "contract.json"
    path.write_text(json.dumps({"contract": "employment", "salary": 1000}))
    return path


def test_sign_as_node_and_verify(data_dir, contract):
    signed = run("doc", "sign", contract, "--as-node", "KG", "--commitment", "proof-of-origin",
                 data_dir=data_dir)  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    out = contract.with_name("contract.signed.json")
    assert f"signed {contract}" in signed.stdout
    result = run("doc", "verify", out, "--json", "--no-revocation-check", data_dir=data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["indication"] == "TOTAL-PASSED"
    assert report["signatures"][0]["signer"]["state"] == "KG"
    assert report["signatures"][0]["commitments"] == ["proof-of-origin"]


def test_verify_without_revocation_data_is_indeterminate(data_dir, contract):
    run("doc", "sign", contract, "--as-node", "RU", data_dir=data_dir)
    result = run("doc", "verify", contract.with_name("contract.signed.json"), data_dir=data_dir)
    assert result.returncode == 1
    assert "INDETERMINATE / TRY_LATER" in result.stdout


def test_verify_with_a_crl_file(data_dir, contract, tmp_path):
    union = LocalUnion(data_dir, DEVELOPMENT_SECRET.encode())
    now = SystemClock().now()
    der = CertificateAuthority(union.root_certificate("KG"), union.governance_signer("KG")).crl(
        [], now=now, next_update=now.replace(year=now.year + 1), number=1
    )
    (tmp_path / "kg.crl").write_bytes(der)
    run("doc", "sign", contract, "--as-node", "KG", data_dir=data_dir)
    result = run("doc", "verify", contract.with_name("contract.signed.json"),
                 "--crl", tmp_path / "kg.crl", data_dir=data_dir)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("TOTAL-PASSED")


def test_sign_pdf_with_key_and_certificate_files(data_dir, tmp_path):
    union = LocalUnion(data_dir, DEVELOPMENT_SECRET.encode())
    key = generate_ec_key()
    cert = CertificateAuthority(union.root_certificate("KZ"), union.governance_signer("KZ")).issue(
        key.public_key(), common_name="Test Person", identifier="KZ-1", profile=pki.PERSON,
        now=SystemClock().now(),
    )  # fmt: skip
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "contract.pdf").write_bytes(pades.simple_pdf("Contract", ["Salary: 1000"]))
    signed = run("doc", "sign", tmp_path / "contract.pdf", "--key", tmp_path / "key.pem",
                 "--cert", tmp_path / "cert.pem", "--out", tmp_path / "out.pdf",
                 data_dir=data_dir)  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    result = run("doc", "verify", tmp_path / "out.pdf", "--no-revocation-check",
                 data_dir=data_dir)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PAdES-B-B TOTAL-PASSED: Test Person (KZ" in result.stdout


def test_tampered_document_fails(data_dir, contract):
    run("doc", "sign", contract, "--as-node", "KG", data_dir=data_dir)
    out = contract.with_name("contract.signed.json")
    document = json.loads(out.read_text())
    document["payload"] = "e30"
    out.write_text(json.dumps(document))
    result = run("doc", "verify", out, "--no-revocation-check", data_dir=data_dir)
    assert result.returncode == 1
    assert "TOTAL-FAILED / SIG_CRYPTO_FAILURE" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("doc", "verify", "/nonexistent/file.json"),
        ("doc", "sign", "/nonexistent/file.json", "--as-node", "KG"),
        ("doc", "sign", "README.md"),
        ("doc", "sign", "README.md", "--as-node", "KG", "--commitment", "promise"),
    ],
)
def test_usage_errors_exit_2(data_dir, args):
    result = run(*args, data_dir=data_dir)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ")


def test_unreadable_file_exits_1(data_dir, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    result = run("doc", "verify", tmp_path / "notes.txt", data_dir=data_dir)
    assert result.returncode == 1
    assert "not a signed document" in result.stderr
