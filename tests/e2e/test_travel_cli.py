"""``eaeu travel`` as a border officer and an operator run it: verify, bundle, import-dsc.

In process through typer's runner, on a union made with ``init_union`` in a temporary data
directory; the clock is the real one, so certificates are issued relative to now.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from eaeu.cli.main import app
from eaeu.kernel.settings import DEVELOPMENT_MARKER, DEVELOPMENT_SECRET
from eaeu.services.travel.hcert import Holder, LabResult, TestType, issue_test_certificate
from eaeu.services.travel.qr import render_png
from eaeu.services.travel.uvci import make_uvci
from eaeu.trust.union import LocalUnion, init_union

ENDPOINTS = {state: f"http://{state.lower()}.test" for state in ("AM", "BY", "KG", "KZ", "RU")}
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def union_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("var")
    init_union(
        path,
        passphrase=DEVELOPMENT_SECRET.encode(),
        now=NOW - timedelta(days=1),
        endpoints=ENDPOINTS,
    )
    (path / DEVELOPMENT_MARKER).write_text("test union\n", encoding="utf-8")
    return path


@pytest.fixture
def run(union_dir, monkeypatch):
    for name in ("EAEU_STATE", "EAEU_DATABASE_URL", "EAEU_DEVELOPMENT", "EAEU_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args, stdin=None):
        return runner.invoke(
            app, ["travel", *map(str, args)], input=stdin, env={"EAEU_DATA_DIR": str(union_dir)}
        )

    return invoke


def issue(union_dir, state="BY", *, hours_ago=3, serial="0001CLI"):
    signer, dsc = LocalUnion(union_dir, DEVELOPMENT_SECRET.encode()).document_signer(
        state, "health"
    )
    return issue_test_certificate(
        Holder("Мартиросян", "Нарек", "1975-12-01"),
        LabResult(
            TestType.NAAT,
            NOW - timedelta(hours=hours_ago),
            detected=False,
            country=state,
            issuer="MoH",
            centre="Lab",
        ),
        uvci=make_uvci(state, serial),
        signer=signer,
        certificate=dsc,
        issuer_country=state,
        issued_at=NOW - timedelta(hours=1),
    ), dsc


def pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM)


class TestVerify:
    def test_a_valid_certificate_exits_0_against_the_trust_list(self, run, union_dir):
        issued, _ = issue(union_dir)
        result = run("verify", issued.text, "--arrival", "RU", "--json")
        assert result.exit_code == 0, result.output
        verdict = json.loads(result.output)
        assert verdict["valid"] is True
        assert verdict["holder"] == {"fn": "Мартиросян", "gn": "Нарек", "dob": "1975-12-01"}
        assert set(verdict["stages"]) >= {
            "prefix", "base45", "zlib", "cose", "signature", "cbor", "schema", "expiry",
            "key_usage", "revocation", "rules",
        }  # fmt: skip
        assert verdict["stages"]["revocation"] == "skipped"

    def test_a_state_outside_travel_exits_1(self, run, union_dir):
        issued, _ = issue(union_dir, "KG")
        result = run("verify", issued.text, "--json")
        assert result.exit_code == 1
        assert json.loads(result.output)["reason"] == "issuer_not_participating"

    def test_given_signers_and_a_time(self, run, union_dir, tmp_path):
        issued, dsc = issue(union_dir, "KG")
        path = tmp_path / "dsc.pem"
        path.write_bytes(pem(dsc))
        der = base64.b64encode(dsc.public_bytes(serialization.Encoding.DER)).decode()
        assert run("verify", issued.text, "--dsc", str(path)).exit_code == 0
        inline = run("verify", issued.text, "--dsc", der)
        assert inline.exit_code == 0, inline.output
        later = (NOW + timedelta(days=5)).isoformat()
        result = run("verify", issued.text, "--dsc", der, "--at", later)
        assert result.exit_code == 1
        assert "NOT VALID: expired" in result.output

    def test_reads_a_file_stdin_and_a_picture(self, run, union_dir, tmp_path):
        issued, _ = issue(union_dir)
        text_file = tmp_path / "qr.txt"
        text_file.write_text(issued.text + "\n")
        picture = tmp_path / "qr.png"
        picture.write_bytes(render_png(issued.text))
        assert run("verify", "--file", text_file).exit_code == 0
        assert run("verify", "--file", "-", stdin=issued.text).exit_code == 0
        human = run("verify", "--image", picture)
        assert human.exit_code == 0
        assert human.output.startswith("VALID")
        assert "Нарек Мартиросян, born 1975-12-01" in human.output
        junk = tmp_path / "junk.png"
        junk.write_bytes(b"not an image")
        unreadable = run("verify", "--image", junk)
        assert unreadable.exit_code == 1
        assert "qr.unreadable" in unreadable.output

    def test_garbage_exits_1(self, run):
        result = run("verify", "HC1:not base45", "--json")
        assert result.exit_code == 1
        assert json.loads(result.output)["reason"] == "base45"

    @pytest.mark.parametrize(
        "args",
        [
            ("verify",),
            ("verify", "HC1:X", "--file", "x"),
            ("verify", "HC1:X", "--at", "yesterday"),
            ("verify", "HC1:X", "--at", "2026-01-01T00:00:00"),
            ("verify", "HC1:X", "--arrival", "Russia"),
            ("verify", "HC1:X", "--dsc", "not-a-certificate"),
            ("verify", "--file", "/nonexistent/file"),
            ("verify", "HC1:X", "--bundle", "/nonexistent/bundle.json"),
        ],
    )
    def test_usage_errors_exit_2(self, run, args):
        result = run(*args)
        assert result.exit_code == 2, result.output

    def test_no_trust_list_is_a_usage_error(self, tmp_path):
        result = CliRunner().invoke(
            app, ["travel", "verify", "HC1:X", "--data-dir", str(tmp_path)], env={}
        )
        assert result.exit_code == 2
        assert "no trust list" in result.output

    def test_a_batch_gives_one_verdict_per_line(self, run, union_dir, tmp_path):
        good, _ = issue(union_dir)
        foreign, dsc = issue(union_dir, "KG", serial="0002CLI")
        der = base64.b64encode(dsc.public_bytes(serialization.Encoding.DER)).decode()
        lines = [
            {"qr": good.text},
            {"qr": foreign.text},
            {"qr": foreign.text, "dsc": [der]},
            {"qr": good.text, "at": (NOW + timedelta(days=5)).isoformat()},
            {"nothing": True},
            "",
        ]
        path = tmp_path / "manifest.jsonl"
        path.write_text("\n".join(json.dumps(line) if line else "" for line in lines))
        result = run("verify", "--batch", path, "--arrival", "RU")
        assert result.exit_code == 1
        verdicts = [json.loads(line) for line in result.output.splitlines()]
        assert [v["valid"] for v in verdicts] == [True, False, True, False, False]
        assert [v["reason"] for v in verdicts] == [
            None, "issuer_not_participating", None, "expired", "input",
        ]  # fmt: skip
        assert [v["line"] for v in verdicts] == [1, 2, 3, 4, 5]


class TestBundleAndImport:
    def test_a_node_bundle_verifies_offline_and_reports_staleness(self, run, union_dir, tmp_path):
        issued, _ = issue(union_dir)
        out = tmp_path / "bundle.json"
        made = run("bundle", "--state", "RU", "--out", out, "--max-age-hours", "1")
        assert made.exit_code == 0, made.output
        result = run("verify", issued.text, "--bundle", out, "--json", "--arrival", "RU")
        assert result.exit_code == 0, result.output
        verdict = json.loads(result.output)
        assert verdict["stages"]["revocation"] == "pass"
        assert verdict["bundle"]["issuer"] == "RU"
        later = (NOW + timedelta(hours=2)).isoformat()
        stale = run("verify", issued.text, "--bundle", out, "--at", later, "--json")
        assert stale.exit_code == 1
        assert json.loads(stale.output)["reason"] == "bundle_stale"

    def test_a_pinned_node_certificate_checks_the_bundle(self, run, union_dir, tmp_path):
        issued, _ = issue(union_dir)
        out = tmp_path / "bundle.json"
        assert run("bundle", "--state", "RU", "--out", out).exit_code == 0
        pinned = union_dir / "keys" / "RU" / "node-signing.crt.pem"
        wrong = union_dir / "keys" / "BY" / "node-signing.crt.pem"
        ok = run("verify", issued.text, "--bundle", out, "--bundle-signer", pinned)
        assert ok.exit_code == 0, ok.output
        refused = run("verify", issued.text, "--bundle", out, "--bundle-signer", wrong)
        assert refused.exit_code == 1
        assert "travel.bundle.signature" in refused.output

    def test_a_tampered_bundle_is_refused(self, run, union_dir, tmp_path):
        issued, _ = issue(union_dir)
        out = tmp_path / "bundle.json"
        assert run("bundle", "--state", "RU", "--out", out).exit_code == 0
        document = json.loads(out.read_text())
        document["payload"] = document["payload"][:-4] + "AAAA"
        out.write_text(json.dumps(document))
        result = run("verify", issued.text, "--bundle", out)
        assert result.exit_code == 1
        assert "travel.bundle" in result.output

    def test_the_bundle_goes_to_stdout(self, run):
        result = run("bundle", "--state", "AM")
        assert result.exit_code == 0
        assert json.loads(result.output)["payload"]

    def test_bundle_usage_errors(self, run):
        assert run("bundle").exit_code == 2
        assert run("bundle", "--state", "RU", "--max-age-hours", "0").exit_code == 2

    def test_imports_foreign_signers_and_refuses_member_states(self, run, union_dir, tmp_path):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CH")])
        dsc = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(7)
            .not_valid_before(NOW - timedelta(days=1))
            .not_valid_after(NOW + timedelta(days=30))
            .sign(key, hashes.SHA256())
        )
        path = tmp_path / "ch.pem"
        path.write_bytes(pem(dsc))
        first = run("import-dsc", path, "--state", "RU")
        assert first.exit_code == 0, first.output
        assert "1 imported, 0 already known" in first.output
        assert "0 imported, 1 already known" in run("import-dsc", path, "--state", "RU").output
        _, member = issue(union_dir, "KZ")
        kz = tmp_path / "kz.pem"
        kz.write_bytes(pem(member))
        refused = run("import-dsc", kz, "--state", "RU")
        assert refused.exit_code == 1
        assert "travel.dsc.member_state" in refused.output
