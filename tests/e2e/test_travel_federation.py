"""The lab registry across five real nodes (``eaeu up``): replication and a state joining.

The development nodes seed their demonstration labs at start. Belarusian labs reach the
Russian portal through the outbox; Kazakh labs, accredited at home from the start, stay
hidden until Kazakhstan joins travel through the trust-list workflow (propose, three
signatures, publish) — then every travel node exchanges registries with it.
"""

import os
import subprocess
import sys
import time

import httpx
import pytest

from eaeu.services.travel.labs import demo_lab_id
from eaeu.testing import federation

pytestmark = pytest.mark.slow

FAST_RETRIES = {"EAEU_EXCHANGE_RETRY_BASE_S": "0.2", "EAEU_EXCHANGE_RETRY_CAP_S": "1"}
MINSK = demo_lab_id("BY", "minsk-centre")
ALMATY = demo_lab_id("KZ", "almaty")
#: How long replication through the outbox may take.
DELIVERY_S = 30


def eaeu(*args):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EAEU_")}
    result = subprocess.run(
        [sys.executable, "-m", "eaeu", *map(str, args)],
        capture_output=True, text=True, timeout=120, env=environment, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def labs(node, **query):
    reply = httpx.get(f"{node}/api/v1/travel/labs", params=query, timeout=10, trust_env=False)
    assert reply.status_code == 200, reply.text
    return {lab["id"] for lab in reply.json()["labs"]}


def eventually(check, timeout=DELIVERY_S):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def fed(tmp_path_factory):
    with federation(tmp_path_factory.mktemp("travel") / "var", env=FAST_RETRIES) as running:
        yield running


class TestTheRegistryAcrossNodes:
    def test_a_belarusian_lab_is_found_on_the_russian_portal(self, fed):
        ru = fed.url("RU")
        eventually(lambda: MINSK in labs(ru, country="BY", city="Минск"))
        assert MINSK in labs(ru, country="BY", city="minsk")
        page = httpx.get(f"{ru}/travel/labs/{MINSK}", timeout=10, trust_env=False)
        assert page.status_code == 200
        assert "Book at the portal of Belarus" in page.text

    def test_kazakh_labs_appear_once_kazakhstan_joins_travel(self, fed):
        ru, by, kz = fed.url("RU"), fed.url("BY"), fed.url("KZ")
        eventually(lambda: MINSK in labs(ru, country="BY"))
        assert labs(ru, country="KZ") == set()
        assert labs(kz, country="KZ") == set()  # hidden at home as well
        assert labs(kz, country="BY") == set()  # and Kazakhstan receives nothing yet

        eaeu("trust", "propose", "--data-dir", fed.data_dir, "--join", "KZ:travel:issuer,verifier")
        for state in ("AM", "BY", "RU"):
            eaeu("trust", "sign", "--data-dir", fed.data_dir, "--state", state)
        out = eaeu("trust", "publish", "--data-dir", fed.data_dir, "--via", "BY")
        assert "accepted version 2" in out

        for node in (ru, by, fed.url("AM")):
            eventually(lambda node=node: ALMATY in labs(node, country="KZ", city="Almaty"))
        eventually(lambda: MINSK in labs(kz, country="BY", city="Минск"))
        assert ALMATY in labs(kz, country="KZ")
        # Kyrgyzstan has not joined: it neither shows nor receives anyone's labs.
        assert labs(fed.url("KG")) == set()
