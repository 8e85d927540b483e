"""``eaeu trust`` as an operator runs it: real processes, exit codes, one-line errors."""

import base64
import json
import os
import subprocess
import sys

import pytest
from exchange_steps import ok, one_line_error

pytestmark = pytest.mark.slow

DEV = {"EAEU_DEVELOPMENT": "1"}

COMMAND = [sys.executable, "-m", "eaeu", "trust"]


def trust(*args, env=DEV):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EAEU_")}
    return subprocess.run(
        [*COMMAND, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**environment, **env},
        check=False,
    )


@pytest.fixture(scope="module")
def union(tmp_path_factory):
    """A union taken through init, propose, three signatures and publish, once."""
    data_dir = tmp_path_factory.mktemp("var")
    out = ok(trust("init", "--data-dir", data_dir, "--base-port", 9100))
    assert f"created {data_dir / 'trust' / 'v1.json'}: version 1" in out
    assert "signed by AM, BY, KG, KZ, RU" in out
    digest = out.split("digest (pin this): ")[1].split()[0]
    out = ok(
        trust(
            "propose",
            "--data-dir",
            data_dir,
            "--join",
            "KZ:travel:issuer,verifier",
            "--leave",
            "BY:travel",
            "--endpoint",
            "KG=https://kg.example",
            "--threshold",
            4,
            "--validity-days",
            90,
        )
    )
    proposed = out
    signed = [ok(trust("sign", "--data-dir", data_dir, "--state", s)) for s in ("AM", "kz", "RU")]
    published = ok(trust("publish", "--data-dir", data_dir))
    return {
        "dir": data_dir,
        "digest": digest,
        "proposed": proposed,
        "signed": signed,
        "published": published,
    }


class TestInitProposeSignPublish:
    def test_init_creates_five_pkis_and_version_1(self, union):
        for state in ("AM", "BY", "KG", "KZ", "RU"):
            assert (union["dir"] / "keys" / state / "root.key.pem").exists()
        assert len(union["digest"]) == 64

    def test_propose_prints_what_changes(self, union):
        out = union["proposed"]
        assert "version 1 -> 2" in out
        assert "threshold 3 -> 4" in out
        assert "KZ joins travel as issuer, verifier" in out
        assert "BY leaves travel" in out
        assert "KG endpoint http://127.0.0.1:9103 -> https://kg.example" in out
        assert "needs signatures of 3 of AM, BY, KG, KZ, RU" in out

    def test_sign_counts_the_signatures(self, union):
        assert union["signed"][0].startswith("signed by AM; 1 signatures, 3 needed (AM)")
        assert "3 signatures, 3 needed (AM, KZ, RU)" in union["signed"][2]

    def test_publish_writes_version_2(self, union):
        assert "version 2, signed by AM, KZ, RU" in union["published"]
        assert (union["dir"] / "trust" / "v2.json").exists()
        assert not (union["dir"] / "trust" / "proposed.json").exists()

    def test_show_prints_the_latest_version_and_the_participation_matrix(self, union):
        out = ok(trust("show", "--data-dir", union["dir"]))
        assert "trust list version 2" in out
        assert "signed by AM, KZ, RU; the next version needs 4" in out
        assert "KG Kyrgyzstan  https://kg.example" in out
        rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[-6:]}
        assert rows["state"] == ["exchange", "jobs", "travel"]
        assert rows["KZ"] == ["member", "consumer,publisher", "issuer,verifier"]
        assert rows["BY"] == ["member", "consumer,publisher", "-"]

    def test_show_an_earlier_version_as_json(self, union):
        shown = json.loads(ok(trust("show", "--data-dir", union["dir"], "--version", 1, "--json")))
        assert shown["version"] == 1
        assert shown["digest"] == union["digest"]
        assert shown["signed_by"] == ["AM", "BY", "KG", "KZ", "RU"]
        assert shown["members"]["KG"]["node"]["endpoint"] == "http://127.0.0.1:9103"


class TestVerify:
    def test_a_valid_chain_exits_0_with_a_summary(self, union):
        trust_dir = union["dir"] / "trust"
        result = trust(
            "verify",
            trust_dir / "v2.json",
            "--previous",
            trust_dir / "v1.json",
            "--pin",
            union["digest"],
        )
        assert ok(result).startswith("valid: trust list version 2, signed by AM, KZ, RU")
        assert len(result.stdout.strip().splitlines()) == 1

    def test_a_first_version_verifies_on_its_own(self, union):
        assert "version 1" in ok(trust("verify", union["dir"] / "trust" / "v1.json"))

    def test_a_later_version_needs_its_predecessors(self, union):
        result = trust("verify", union["dir"] / "trust" / "v2.json")
        one_line_error(result, "(trustlist.not_first)")

    def test_a_tampered_file_exits_1(self, union, tmp_path):
        signed = json.loads((union["dir"] / "trust" / "v2.json").read_text())
        payload = base64.urlsafe_b64decode(signed["payload"] + "==")
        payload = payload.replace(b"https://kg.example", b"https://kg.exampla")
        signed["payload"] = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        (tmp_path / "v2.json").write_text(json.dumps(signed))
        result = trust(
            "verify", tmp_path / "v2.json", "--previous", union["dir"] / "trust" / "v1.json"
        )
        one_line_error(result, "does not verify", "(trustlist.tampered)")

    def test_an_expired_list_exits_1(self, union):
        result = trust("verify", union["dir"] / "trust" / "v1.json", "--at", "2099-01-01T00:00Z")
        one_line_error(result, "expired", "(trustlist.expired)")

    def test_a_wrong_pin_exits_1(self, union):
        result = trust("verify", union["dir"] / "trust" / "v1.json", "--pin", "0" * 64)
        one_line_error(result, "(trustlist.pinned)")

    def test_a_file_that_is_not_json_exits_1(self, tmp_path):
        (tmp_path / "v1.json").write_text("{")
        one_line_error(trust("verify", tmp_path / "v1.json"), "(trustlist.malformed)")

    def test_a_missing_file_is_a_usage_error(self, tmp_path):
        result = trust("verify", tmp_path / "absent.json")
        one_line_error(result, "no file at", code=2)

    @pytest.mark.parametrize("at", ["yesterday", "2026-01-01T00:00:00"])
    def test_a_time_without_a_zone_is_a_usage_error(self, union, at):
        result = trust("verify", union["dir"] / "trust" / "v1.json", "--at", at)
        one_line_error(result, "--at must be an ISO time with a zone", code=2)


class TestOperatorErrors:
    def test_init_refuses_an_existing_union(self, union):
        result = trust("init", "--data-dir", union["dir"])
        one_line_error(result, "a union exists already", "(trust.exists)")

    @pytest.mark.parametrize(
        ("option", "value", "form"),
        [
            ("--join", "KZ:travel", "XX:service:role,role"),
            ("--leave", "KZ", "XX:service"),
            ("--endpoint", "KZ:https://kz", "XX=url"),
        ],
    )
    def test_propose_explains_its_option_forms(self, union, option, value, form):
        result = trust("propose", "--data-dir", union["dir"], option, value)
        one_line_error(result, f"{option} takes {form}", code=2)

    def test_propose_names_an_unknown_state(self, union):
        result = trust("propose", "--data-dir", union["dir"], "--join", "UZ:jobs:consumer")
        one_line_error(result, "'UZ' is not a member", "(trust.unknown_member)")

    def test_a_second_signature_by_one_state_and_a_short_publish_are_refused(self, tmp_path):
        ok(trust("init", "--data-dir", tmp_path))
        ok(trust("propose", "--data-dir", tmp_path, "--threshold", 2))
        ok(trust("sign", "--data-dir", tmp_path, "--state", "KG"))
        again = trust("sign", "--data-dir", tmp_path, "--state", "KG")
        one_line_error(again, "KG has already signed", "(trustlist.duplicate_signer)")
        short = trust("publish", "--data-dir", tmp_path)
        one_line_error(short, "signed by 1 of the 3", "(trustlist.threshold)")
        pending = trust("propose", "--data-dir", tmp_path)
        one_line_error(pending, "a proposal is pending", "(trust.exists)")

    def test_commands_on_a_missing_union_say_so(self, tmp_path):
        result = trust("show", "--data-dir", tmp_path)
        one_line_error(result, "run eaeu trust init", "(trust.missing)")
        result = trust("publish", "--data-dir", tmp_path)
        one_line_error(result, "no proposal is pending", "(trust.no_proposal)")

    def test_a_data_dir_that_cannot_be_written_is_one_line(self, tmp_path):
        (tmp_path / "file").write_text("not a folder")
        result = trust("init", "--data-dir", tmp_path / "file")
        one_line_error(result, str(tmp_path / "file"))

    def test_the_development_passphrase_is_refused_in_production(self, tmp_path):
        result = trust("init", "--data-dir", tmp_path, env={})
        one_line_error(result, "EAEU_SECRET_KEY", "(config.invalid)")
        assert not (tmp_path / "keys").exists()
