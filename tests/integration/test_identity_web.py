"""Sign-in pages, cookies, CSRF, roles and the development mailbox through the web app."""

import re
from datetime import timedelta

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from pydantic import SecretStr

from eaeu.bootstrap import build
from eaeu.identity.accounts import Accounts
from eaeu.identity.seed import DEMO_PASSWORD
from eaeu.testing import FrozenClock
from eaeu.web.app import create_app
from eaeu.web.auth import SignedIn, require_user

#: The pages and APIs over stores whose own tests run on both engines: SQLite here,
#: PostgreSQL too for the journeys marked ``both_engines``.
pytestmark = pytest.mark.engine_neutral

HTML = {"accept": "text/html"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def operator_only(user: SignedIn = Depends(require_user("operator"))) -> dict[str, str]:
    return {"person_id": user.person_id}


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def make_client(make_settings, database_url, clock):
    platforms = []

    def make(**overrides):
        settings = make_settings(state="KG", database_url=database_url, **overrides)
        platform = build(settings, clock=clock)
        platforms.append(platform)
        app = create_app(settings, platform=platform)
        app.router.add_api_route("/api/v1/test/operator", operator_only, methods=["GET"])
        app.router.add_api_route("/test/operator", operator_only, methods=["GET"])
        return TestClient(app, follow_redirects=False)

    yield make
    for platform in platforms:
        platform.close()


@pytest.fixture
def client(make_client):
    with make_client() as made:
        yield made


def csrf(client, path="/signin"):
    return TOKEN.search(client.get(path, headers=HTML).text).group(1)


def latest_code(client):
    return re.search(r'data-code="(\d{6})"', client.get("/dev/mailbox").text).group(1)


def post_password(client, username="kg-citizen", password=DEMO_PASSWORD, next_url="/account"):
    return client.post(
        "/signin",
        data={"username": username, "password": password, "next": next_url,
              "csrf_token": csrf(client)},
        headers=HTML,
    )  # fmt: skip


def sign_in(client, username="kg-citizen", next_url="/account"):
    response = post_password(client, username, next_url=next_url)
    assert response.status_code == 303
    token = csrf(client, response.headers["location"])
    return client.post(
        "/signin/code",
        data={"code": latest_code(client), "next": next_url, "csrf_token": token},
        headers=HTML,
    )


class TestSignIn:
    @pytest.mark.both_engines
    def test_password_then_code_then_account(self, client):
        response = post_password(client)
        assert response.headers["location"] == "/signin/code?next=/account"
        page = client.get("/signin/code?next=/account", headers=HTML)
        assert "k•••@demo.example" in page.text
        assert 'href="/dev/mailbox"' in page.text
        done = sign_in(client)
        assert done.status_code == 303
        assert done.headers["location"] == "/account"
        account = client.get("/account", headers=HTML)
        assert account.status_code == 200
        assert "Айгуль Асанова" in account.text
        assert "AIGUL ASANOVA" in account.text
        assert "••••••••••0123" in account.text
        assert "11504199000123" not in account.text
        assert 'id="nav-signout"' in account.text

    def test_organisation_member_sees_the_organisation(self, client):
        sign_in(client, "kg-employer")
        page = client.get("/account", headers=HTML).text
        assert "ОсОО «Ала-Тоо Курулуш»" in page
        assert "Employer" in page

    def test_session_cookie_is_http_only_and_lax(self, client):
        response = post_password(client)
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("eaeu-session-kg=")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Path=/" in cookie

    def test_https_node_uses_a_host_prefixed_secure_cookie(self, make_client):
        with make_client(public_url="https://kg.example") as client:
            response = client.get("/signin", headers=HTML)
            cookie = response.headers["set-cookie"]
            assert cookie.startswith("__Host-eaeu-csrf-kg=")
            assert "Secure" in cookie

    def test_wrong_password_and_unknown_user_read_the_same(self, client):
        wrong = post_password(client, password="wrong-password")
        unknown = post_password(client, username="kg-nobody", password="wrong-password")
        assert wrong.status_code == unknown.status_code == 401
        message = "The username or password is not right"
        assert message in wrong.text
        assert message in unknown.text
        assert "govuk-error-summary" in wrong.text
        assert "session" not in wrong.headers.get("set-cookie", "")

    def test_empty_fields_are_asked_for(self, client):
        response = post_password(client, password="")
        assert response.status_code == 422
        assert "Enter your username and password" in response.text

    @pytest.mark.both_engines
    def test_locks_after_five_failures_and_says_until_when(self, client, clock):
        for _ in range(4):
            assert post_password(client, password="wrong-password").status_code == 401
        locked = post_password(client, password="wrong-password")
        assert locked.status_code == 429
        assert "try again after 00:15 UTC" in locked.text
        assert post_password(client).status_code == 429
        clock.advance(minutes=15)
        assert post_password(client).status_code == 303

    def test_a_wrong_code_is_explained(self, client):
        post_password(client)
        code = latest_code(client)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        response = client.post(
            "/signin/code",
            data={"code": wrong, "csrf_token": csrf(client, "/signin/code")},
            headers=HTML,
        )
        assert response.status_code == 401
        assert "The code is not right" in response.text

    def test_an_expired_code_is_explained_and_a_new_one_can_be_sent(self, client, clock):
        post_password(client)
        code = latest_code(client)
        clock.advance(minutes=5)
        token = csrf(client, "/signin/code")
        response = client.post(
            "/signin/code", data={"code": code, "csrf_token": token}, headers=HTML
        )
        assert response.status_code == 401
        assert "This code has expired" in response.text
        resent = client.post("/signin/code/resend", data={"csrf_token": token}, headers=HTML)
        assert resent.headers["location"] == "/signin/code?next=/account&sent=1"
        assert latest_code(client)
        response = client.post(
            "/signin/code", data={"code": latest_code(client), "csrf_token": token}, headers=HTML
        )
        assert response.status_code == 303

    def test_a_new_code_too_soon_after_the_last_is_explained(self, client):
        post_password(client)
        token = csrf(client, "/signin/code")
        response = client.post("/signin/code/resend", data={"csrf_token": token}, headers=HTML)
        assert response.status_code == 429
        assert "Wait a minute before asking for another" in response.text
        assert 'name="code"' in response.text

    def test_after_three_new_codes_the_person_starts_again(self, client, clock):
        post_password(client)
        token = csrf(client, "/signin/code")
        for _ in range(3):
            clock.advance(minutes=1)
            sent = client.post("/signin/code/resend", data={"csrf_token": token}, headers=HTML)
            assert sent.status_code == 303
        clock.advance(minutes=1)
        ended = client.post("/signin/code/resend", data={"csrf_token": token}, headers=HTML)
        assert ended.status_code == 401
        assert "asked for a new code too many times" in ended.text
        assert 'name="password"' in ended.text
        assert 'eaeu-session-kg=""' in ended.headers["set-cookie"]

    def test_wrong_codes_lock_the_username_and_say_until_when(self, client):
        post_password(client)
        wrong = f"{(int(latest_code(client)) + 1) % 1_000_000:06d}"
        form = {"code": wrong, "csrf_token": csrf(client, "/signin/code")}
        for _ in range(4):
            assert client.post("/signin/code", data=form, headers=HTML).status_code == 401
        locked = client.post("/signin/code", data=form, headers=HTML)
        assert locked.status_code == 429
        assert "try again after 00:15 UTC" in locked.text
        assert 'eaeu-session-kg=""' in locked.headers["set-cookie"]
        assert post_password(client).status_code == 429

    def test_a_used_code_does_not_sign_in_again(self, client):
        post_password(client)
        code = latest_code(client)
        old_cookies = dict(client.cookies)
        token = csrf(client, "/signin/code")
        assert (
            client.post(
                "/signin/code", data={"code": code, "csrf_token": token}, headers=HTML
            ).status_code
            == 303
        )
        client.cookies.clear()
        client.cookies.update(old_cookies)
        replay = client.post("/signin/code", data={"code": code, "csrf_token": token}, headers=HTML)
        assert replay.status_code == 401
        assert "Your sign-in has expired" in replay.text

    def test_code_page_without_a_password_goes_to_sign_in(self, client):
        response = client.get("/signin/code?next=/account", headers=HTML)
        assert response.headers["location"] == "/signin?next=/account"

    def test_sign_out_ends_the_session(self, client):
        sign_in(client)
        token = csrf(client, "/account")
        response = client.post("/signout", data={"csrf_token": token}, headers=HTML)
        assert response.headers["location"] == "/signin?signed_out=1"
        assert "You have signed out" in client.get("/signin?signed_out=1", headers=HTML).text
        assert client.get("/account", headers=HTML).status_code == 303

    def test_signed_in_person_skips_the_sign_in_form(self, client):
        sign_in(client)
        assert client.get("/signin?next=/identifiers").headers["location"] == "/identifiers"


class TestRedirects:
    def test_a_page_needing_sign_in_sends_a_browser_to_sign_in(self, client):
        response = client.get("/account?tab=roles", headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"] == "/signin?next=/account%3Ftab%3Droles"

    def test_an_api_client_gets_a_401_problem(self, client):
        response = client.get("/api/v1/test/operator")
        assert response.status_code == 401
        assert response.json()["reason"] == "identity.unauthenticated"

    @pytest.mark.parametrize(
        "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"]
    )
    def test_next_never_leaves_the_node(self, client, target):
        done = sign_in(client, next_url=target)
        assert done.headers["location"] == "/account"

    def test_next_keeps_a_local_path(self, client):
        assert sign_in(client, next_url="/identifiers?x=1").headers["location"] == (
            "/identifiers?x=1"
        )

    def test_a_password_only_session_is_not_signed_in(self, client):
        post_password(client)
        assert client.get("/account", headers=HTML).status_code == 303
        assert client.get("/api/v1/test/operator").status_code == 401


class TestRoles:
    def test_a_citizen_is_refused_an_operator_page(self, client):
        sign_in(client)
        api = client.get("/api/v1/test/operator")
        assert api.status_code == 403
        assert api.json()["reason"] == "identity.forbidden"
        page = client.get("/test/operator", headers=HTML)
        assert page.status_code == 403
        assert "does not have the role" in page.text

    def test_an_operator_is_let_in(self, client):
        sign_in(client, "kg-operator")
        assert client.get("/api/v1/test/operator").status_code == 200


class TestCsrf:
    def test_missing_token_is_refused(self, client):
        client.get("/signin", headers=HTML)
        response = client.post(
            "/signin", data={"username": "kg-citizen", "password": DEMO_PASSWORD}, headers=HTML
        )
        assert response.status_code == 403
        assert "This form has expired or did not come from this site" in response.text

    def test_wrong_token_is_refused_as_a_problem(self, client):
        client.get("/signin", headers=HTML)
        response = client.post(
            "/signin",
            data={"username": "kg-citizen", "password": DEMO_PASSWORD, "csrf_token": "0" * 64},
        )
        assert response.status_code == 403
        assert response.json()["reason"] == "identity.csrf"

    def test_a_token_without_its_cookie_is_refused(self, client):
        token = csrf(client)
        client.cookies.clear()
        response = client.post(
            "/signin",
            data={"username": "kg-citizen", "password": DEMO_PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 403

    def test_a_token_from_before_sign_in_is_refused_after(self, client):
        anonymous = csrf(client)
        sign_in(client)
        response = client.post("/signout", data={"csrf_token": anonymous}, headers=HTML)
        assert response.status_code == 403

    def test_sign_out_needs_the_token(self, client):
        sign_in(client)
        assert client.post("/signout", headers=HTML).status_code == 403
        assert client.get("/account", headers=HTML).status_code == 200


class TestSessionExpiry:
    def test_an_idle_session_ends(self, client, clock):
        sign_in(client)
        clock.advance(timedelta(minutes=31).total_seconds())
        response = client.get("/account", headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin")


class TestMailbox:
    def test_shows_codes_on_a_development_node(self, client):
        post_password(client)
        page = client.get("/dev/mailbox", headers=HTML)
        assert page.status_code == 200
        assert "kg-citizen@demo.example" in page.text

    def test_does_not_exist_outside_development(self, make_client):
        secret = SecretStr("x" * 40)
        with make_client(development=False, secret_key=secret) as client:
            response = client.get("/dev/mailbox", headers=HTML)
            assert response.status_code == 404
            assert client.get("/api/v1/test/operator").status_code == 401

    def test_no_demo_accounts_outside_development(self, make_client):
        secret = SecretStr("x" * 40)
        with make_client(development=False, secret_key=secret) as client:
            platform = client.app.state.platform
            assert Accounts(platform.uow, platform.clock).people() == []
