"""Cross-border identity between real node processes (``eaeu up``).

A citizen signs in at the Kyrgyz node (password, then the one-time code from the
development mailbox) and continues to Russia, confirming on the Kyrgyz node's page: the
assertion the Kyrgyz node issues is accepted by the Russian node once, refused on replay,
and refused by the Belarusian node, for which it was not meant.
"""

import contextlib
import re
from html import unescape

import httpx
import pytest

from eaeu.testing import federation

pytestmark = pytest.mark.slow

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_CODE = re.compile(r"\b([0-9]{6})\b")
VERIFY = "/api/v1/identity/assertions/verify"


@pytest.fixture(scope="module")
def fed(tmp_path_factory):
    with federation(tmp_path_factory.mktemp("identity") / "var") as running:
        yield running


def csrf(page):
    match = _CSRF.search(page.text)
    assert match, page.text
    return unescape(match.group(1))


@contextlib.contextmanager
def signed_in(base):
    """A client of ``base`` signed in as kg-citizen, second factor included."""
    with httpx.Client(base_url=base, trust_env=False, follow_redirects=True, timeout=10) as client:
        yield _sign_in(client)


def _sign_in(client):
    form = client.get("/signin")
    code_page = client.post(
        "/signin",
        data={"username": "kg-citizen", "password": "demo-password", "csrf_token": csrf(form)},
    )
    assert code_page.status_code == 200, code_page.text
    code = _CODE.search(client.get("/dev/mailbox").text).group(1)
    done = client.post("/signin/code", data={"code": code, "csrf_token": csrf(code_page)})
    assert done.status_code == 200, done.text
    return client


def hidden(page, name):
    match = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    assert match, page.text
    return unescape(match.group(1))


def assertion_for(client, to):
    """Continue to ``to``: KG asks first (via ``to``'s nonce), and issues only on the POST."""
    confirm = client.get("/identity/continue", params={"to": to, "next": "/"})
    assert confirm.status_code == 200, confirm.text
    assert str(confirm.url).startswith(f"{client.base_url}/identity/continue?"), confirm.url
    assert 'name="assertion"' not in confirm.text
    fields = {name: hidden(confirm, name) for name in ("to", "next", "nonce", "csrf_token")}
    page = client.post("/identity/continue", data=fields)
    assert page.status_code == 200, page.text
    action = re.search(r'action="([^"]+)" id="identity-continue"', page.text).group(1)
    return unescape(action), hidden(page, "assertion")


def test_a_kyrgyz_assertion_is_accepted_once_by_russia_only(fed):
    with signed_in(fed.url("KG")) as kg, httpx.Client(trust_env=False, timeout=10) as peer:
        action, token = assertion_for(kg, "RU")
        assert action == f"{fed.url('RU')}/identity/arrive"

        accepted = peer.post(f"{fed.url('RU')}{VERIFY}", json={"token": token})
        assert accepted.status_code == 200, accepted.text
        body = accepted.json()
        assert body["issuer_state"] == "KG"
        assert body["subject"].startswith("KG/RU/")
        assert body["claims"]["loa"] == "http://eidas.europa.eu/LoA/substantial"
        assert body["claims"]["given_name"]["latin"].isupper()

        replayed = peer.post(f"{fed.url('RU')}{VERIFY}", json={"token": token})
        assert replayed.status_code == 401
        assert replayed.json()["reason"] == "identity.assertion_replayed"

        _, another = assertion_for(kg, "RU")
        elsewhere = peer.post(f"{fed.url('BY')}{VERIFY}", json={"token": another})
        assert elsewhere.status_code == 403
        assert elsewhere.json()["reason"] == "identity.assertion_audience"


def test_the_visitor_arrives_at_the_russian_node_with_a_foreign_session(fed):
    # One browser: KG sends it to RU for a nonce, RU back to KG, then the form posts to RU.
    with signed_in(fed.url("KG")) as browser:
        action, token = assertion_for(browser, "RU")
        arrived = browser.post(
            action, data={"assertion": token, "next": "/"}, follow_redirects=False
        )
        assert arrived.status_code == 303, arrived.text
        assert arrived.headers["location"] == "/"
        assert "eaeu-session-ru" in arrived.cookies
        again = browser.post(action, data={"assertion": token, "next": "/"})
        assert again.status_code == 401
        assert again.json()["reason"] == "identity.assertion_replayed"


def test_an_assertion_pushed_into_another_browser_is_refused(fed):
    with signed_in(fed.url("KG")) as attacker, httpx.Client(trust_env=False, timeout=10) as victim:
        action, token = assertion_for(attacker, "RU")
        pushed = victim.post(action, data={"assertion": token, "next": "/"})
        assert pushed.status_code == 403
        assert pushed.json()["reason"] == "identity.assertion_browser"
