"""``eaeu up``: the portal and five nodes as real processes, started and stopped cleanly."""

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from eaeu.kernel.states import STATE_CODES
from eaeu.testing import federation
from eaeu.testing import process_alive as alive
from eaeu.testing import process_cmdline as cmdline
from eaeu.testing import process_descendants as descendants
from eaeu.web.services import NODE_SERVICES

pytestmark = pytest.mark.slow


# Class scope: stopped before TestFederationStop starts federations of its own.
@pytest.fixture(scope="class")
def running(tmp_path_factory):
    with federation(tmp_path_factory.mktemp("fed") / "var") as fed:
        yield fed


class TestFederationUp:
    def test_every_node_answers_healthz_with_its_state(self, running):
        for code, url in running.nodes.items():
            body = httpx.get(f"{url}/healthz", trust_env=False).json()
            assert body["status"] == "ok"
            assert body["state"] == code

    def test_every_node_publishes_its_node_document(self, running):
        for code, url in running.nodes.items():
            doc = httpx.get(f"{url}/.well-known/eaeu-node", trust_env=False).json()
            assert doc["state"] == code
            assert doc["endpoints"]["portal"] == f"{url}/"

    def test_writes_the_federation_file(self, running):
        written = json.loads((running.data_dir / "federation.json").read_text())
        assert written == {"portal": running.portal, "nodes": running.nodes}

    def test_each_node_has_its_own_sqlite_database(self, running):
        for code in STATE_CODES:
            assert (running.data_dir / f"{code.lower()}.db").exists()

    def test_portal_lists_the_five_nodes_online(self, running):
        status = httpx.get(f"{running.portal}/api/v1/federation", trust_env=False).json()
        assert [n["state"] for n in status["nodes"]] == list(STATE_CODES)
        assert all(n["online"] for n in status["nodes"])
        catalogue = [entry.id for entry in NODE_SERVICES]
        assert all(n["services"] == catalogue for n in status["nodes"])

    def test_a_second_runner_on_the_same_data_dir_says_so(self, running):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "eaeu",
                "up",
                "--data-dir",
                str(running.data_dir),
                "--base-port",
                str(int(running.portal.rsplit(":", 1)[1])),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 1
        assert "already running" in result.stderr
        assert "Traceback" not in result.stderr

    def test_a_second_runner_on_busy_ports_says_so(self, running, tmp_path):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "eaeu",
                "up",
                "--data-dir",
                str(tmp_path),
                "--base-port",
                str(int(running.portal.rsplit(":", 1)[1])),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 1
        assert "already in use" in result.stderr
        assert "Traceback" not in result.stderr


class TestFederationStop:
    @pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
    def test_a_signal_stops_every_process(self, tmp_path, how):
        with federation(tmp_path / "var") as fed:
            children = descendants(fed.process.pid)
            # The portal, five nodes and each node's delivery worker.
            assert len(children) >= 11
            fed.process.send_signal(how)
            fed.process.wait(timeout=30)
        assert fed.process.returncode == 0
        assert "Federation stopped." in fed.output[-1]
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [pid for pid in children if alive(pid)] == []

    def test_killing_the_runner_outright_still_ends_the_nodes(self, tmp_path):
        with federation(tmp_path / "var") as fed:
            children = descendants(fed.process.pid)
            fed.process.kill()
            fed.process.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [pid for pid in children if alive(pid)] == []

    def test_a_node_that_dies_stops_the_federation_with_an_error(self, tmp_path):
        with federation(tmp_path / "var") as fed:
            # Every node answers /healthz a moment before the runner, which asks them one
            # after the other, says the federation is up and starts watching its children.
            for line in fed.process.stdout:
                if line.startswith("Press Ctrl-C to stop."):
                    break
            victims = [
                pid
                for pid in descendants(fed.process.pid)
                if {"KG", "node", "serve"} <= set(cmdline(pid))
            ]
            assert len(victims) == 1
            os.kill(victims[0], signal.SIGKILL)
            fed.process.wait(timeout=30)
        assert fed.process.returncode == 1
        assert "KG stopped unexpectedly" in fed.output[-1]
