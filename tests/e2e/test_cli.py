"""The ``eaeu`` command as a person runs it: real processes, exit codes, one-line errors."""

import os
import socket
import subprocess
import sys

import pytest
from exchange_steps import one_line_error

from eaeu.storage import migrate
from eaeu.storage.engine import make_engine
from eaeu.testing import free_port_block

pytestmark = pytest.mark.slow


def eaeu(*args, env=None, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "eaeu", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


class TestVersionAndHelp:
    def test_prints_the_version(self):
        result = eaeu("--version")
        assert result.returncode == 0
        assert result.stdout.strip() == "eaeu 0.1.0"

    def test_lists_the_command_groups(self):
        result = eaeu("--help")
        for group in ("db", "node", "portal", "up", "id"):
            assert group in result.stdout


class TestDatabaseUpgrade:
    def test_applies_migrations_to_a_new_sqlite_file(self, tmp_path):
        result = eaeu(
            "db",
            "upgrade",
            "--state",
            "KZ",
            "--data-dir",
            str(tmp_path),
            env={"EAEU_DEVELOPMENT": "1"},
        )
        assert result.returncode == 0, result.stderr
        assert f"is at revision {migrate.head_revision()}" in result.stdout
        assert (tmp_path / "kz.db").exists()

    def test_a_bad_database_url_is_one_line_and_exit_1(self, tmp_path):
        result = eaeu(
            "db",
            "upgrade",
            "--data-dir",
            str(tmp_path),
            env={"EAEU_DEVELOPMENT": "1", "EAEU_DATABASE_URL": "oracle://x@y/z"},
        )
        assert result.returncode == 1
        one_line_error(result, "unsupported backend 'oracle'", code=None)

    def test_an_unreachable_server_is_one_line(self, tmp_path):
        url = "postgresql://nobody:pw@127.0.0.1:1/none"
        result = eaeu(
            "db",
            "upgrade",
            "--data-dir",
            str(tmp_path),
            env={"EAEU_DEVELOPMENT": "1", "EAEU_DATABASE_URL": url},
        )
        one_line_error(result, "cannot connect to the database", code=None)
        assert ":pw@" not in result.stderr


class TestNodeServe:
    def test_a_taken_port_is_one_line_and_exit_1(self, tmp_path):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            result = eaeu(
                "node",
                "serve",
                "--state",
                "AM",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path),
                env={"EAEU_DEVELOPMENT": "1"},
            )
        assert result.returncode == 1
        one_line_error(result, f"port {port}", "already in use", code=None)

    def test_refuses_the_placeholder_secret_in_production(self, tmp_path):
        result = eaeu(
            "node",
            "serve",
            "--state",
            "AM",
            "--port",
            str(free_port_block(1)),
            "--data-dir",
            str(tmp_path),
            env={"EAEU_DEVELOPMENT": "0", "EAEU_SECRET_KEY": ""},
        )
        one_line_error(result, code=None)

    def test_an_unknown_state_is_one_line(self, tmp_path):
        result = eaeu(
            "node",
            "serve",
            "--state",
            "XX",
            "--data-dir",
            str(tmp_path),
            env={"EAEU_DEVELOPMENT": "1"},
        )
        one_line_error(result, "unknown member state 'XX'", code=None)

    def test_refuses_another_states_database(self, tmp_path):
        url = f"sqlite:///{tmp_path}/kz.db"
        engine = make_engine(url)
        migrate.upgrade(engine)
        migrate.claim_for_node(engine, "KZ")
        engine.dispose()
        result = eaeu(
            "node",
            "serve",
            "--state",
            "RU",
            "--port",
            str(free_port_block(1)),
            env={"EAEU_DEVELOPMENT": "1", "EAEU_DATABASE_URL": url},
        )
        one_line_error(result, "belongs to the KZ node, not RU", code=None)


class TestBadEnvironment:
    @pytest.mark.parametrize(
        ("variable", "value", "fragment"),
        [
            ("EAEU_LOG_LEVEL", "nonsense", "EAEU_LOG_LEVEL"),
            ("EAEU_WORKERS", "0", "EAEU_WORKERS"),
            ("EAEU_WORKERS", "abc", "EAEU_WORKERS"),
        ],
    )
    def test_a_bad_setting_is_one_line_naming_it(self, tmp_path, variable, value, fragment):
        result = eaeu(
            "node",
            "serve",
            "--state",
            "AM",
            "--port",
            str(free_port_block(1)),
            "--data-dir",
            str(tmp_path),
            env={"EAEU_DEVELOPMENT": "1", variable: value},
        )
        one_line_error(result, fragment, code=None)

    def test_log_verify_without_a_node_database_is_one_line(self, tmp_path):
        result = eaeu("exchange", "log", "verify", "--state", "KZ", "--data-dir", str(tmp_path))
        one_line_error(result, "there is no KZ node database", code=None)
        assert not (tmp_path / "kz.db").exists()

    def test_commands_on_a_development_federation_need_no_development_flag(self, tmp_path):
        (tmp_path / "DEVELOPMENT").write_text("made by eaeu up\n")
        result = eaeu(
            "db",
            "upgrade",
            "--state",
            "KZ",
            "--data-dir",
            str(tmp_path),
            env={"EAEU_DEVELOPMENT": "0"},
        )
        assert result.returncode == 0, result.stderr


class TestDataDirectoryFromTheEnvironment:
    def test_trust_commands_use_eaeu_data_dir(self, tmp_path):
        env = {"EAEU_DATA_DIR": str(tmp_path), "EAEU_DEVELOPMENT": "1"}
        assert eaeu("trust", "init", env=env).returncode == 0
        assert (tmp_path / "trust" / "v1.json").exists()
        # The union is marked as a development one: no EAEU_DEVELOPMENT=1 needed any more.
        shown = eaeu("trust", "show", env={"EAEU_DATA_DIR": str(tmp_path)})
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.startswith("trust list version 1")


class TestIdentifierCheck:
    def test_valid_number_exit_0(self):
        result = eaeu("id", "check", "RU", "inn", "7707083893")
        assert result.returncode == 0
        assert "valid: RU inn 7707083893 (check digit verified" in result.stdout

    def test_invalid_number_exit_1_with_reason(self):
        result = eaeu("id", "check", "RU", "inn", "7707083894")
        one_line_error(result, "identifier.checksum", code=None)
