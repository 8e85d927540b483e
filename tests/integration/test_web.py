import re

import pytest
from fastapi.testclient import TestClient

from eaeu.bootstrap import build
from eaeu.storage.engine import make_engine
from eaeu.web.app import create_app

#: The pages and APIs over stores whose own tests run on both engines: SQLite here,
#: PostgreSQL too for the journeys marked ``both_engines``.
pytestmark = pytest.mark.engine_neutral


@pytest.fixture
def node(make_settings, database_url):
    settings = make_settings(state="KZ", database_url=database_url, public_url="http://kz.test")
    platform = build(settings)
    with TestClient(create_app(settings, platform=platform)) as client:
        yield client
    platform.close()


@pytest.fixture
def portal(make_settings):
    settings = make_settings()
    with TestClient(create_app(settings)) as client:
        yield client


def assert_problem(response, status, reason):
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["reason"] == reason
    assert body["title"]
    assert body["detail"]
    assert body["type"].endswith(reason)
    return body


class TestHealth:
    @pytest.mark.both_engines
    def test_healthz_reports_state_and_database(self, node):
        body = node.get("/healthz").json()
        assert body == {
            "status": "ok",
            "state": "KZ",
            "role": "node",
            "version": "0.1.0",
            "checks": {"database": "ok", "trust_list": "not configured"},
        }

    @pytest.mark.both_engines
    def test_healthz_is_503_when_the_database_is_gone(self, node):
        platform = node.app.state.platform
        platform.engine.dispose()
        platform.engine = make_engine("sqlite:////nonexistent/dir/x.db")
        node.app.state.health_cache = None  # the last good answer is reused for a second
        body = assert_problem(node.get("/healthz"), 503, "node.unhealthy")
        assert body["checks"]["database"] == "unavailable"

    def test_healthz_reuses_a_fresh_answer(self, node):
        assert node.get("/healthz").status_code == 200
        node.app.state.platform.engine.dispose()
        node.app.state.platform.engine = make_engine("sqlite:////nonexistent/dir/x.db")
        assert node.get("/healthz").status_code == 200


class TestNodeDocument:
    def test_describes_state_version_endpoints_and_services(self, node):
        doc = node.get("/.well-known/eaeu-node").json()
        assert doc["state"] == "KZ"
        assert doc["names"]["kk"] == "Қазақстан"
        assert doc["endpoints"]["healthz"] == "http://kz.test/healthz"
        assert doc["endpoints"]["docs"] == "http://kz.test/api/docs"
        assert [s["id"] for s in doc["services"]] == [
            "identifiers",
            "travel",
            "travel-verify",
            "jobs",
        ]

    def test_openapi_document_and_local_docs_page(self, node):
        spec = node.get("/api/openapi.json").json()
        assert "/api/v1/identifiers/check" in spec["paths"]
        page = node.get("/api/docs").text
        assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
        assert "cdn" not in page.lower()
        assert node.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


class TestProblems:
    def test_unknown_route_is_a_404_problem(self, node):
        body = assert_problem(node.get("/api/v1/nothing-here"), 404, "route.not_found")
        assert body["instance"] == "/api/v1/nothing-here"

    def test_malformed_json_is_a_422_problem(self, node):
        response = node.post(
            "/api/v1/identifiers/check",
            content=b'{"state": "KZ", "kind": ',
            headers={"content-type": "application/json"},
        )
        assert_problem(response, 422, "request.malformed_json")

    def test_missing_fields_are_listed(self, node):
        body = assert_problem(
            node.post("/api/v1/identifiers/check", json={"state": "KZ"}), 422, "request.invalid"
        )
        assert {e["location"] for e in body["errors"]} == {"body.kind", "body.value"}

    def test_wrong_query_type_is_a_422_problem(self, portal):
        body = assert_problem(portal.get("/api/v1/federation?timeout=soon"), 422, "request.invalid")
        assert body["errors"][0]["location"] == "query.timeout"

    def test_json_nested_too_deep_is_refused_not_a_crash(self, node):
        deep = b"[" * 30000 + b"]" * 30000
        response = node.post("/exchange/v1/echo", content=deep)
        assert_problem(response, 400, "exchange.malformed")

    def test_wrong_method_is_a_405_problem_with_allow(self, node):
        response = node.delete("/healthz")
        assert_problem(response, 405, "method.not_allowed")
        assert "GET" in response.headers["allow"]

    def test_domain_not_found_maps_to_404(self, node):
        assert_problem(node.get("/api/v1/states/DE"), 404, "state.unknown")

    def test_a_browser_gets_an_html_error_page_in_its_language(self, node):
        response = node.get("/no-such-page", headers={"accept": "text/html"}, params={"lang": "ru"})
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "Страница не найдена" in response.text
        assert "По этому адресу ничего нет" in response.text

    def test_an_unexpected_error_is_a_500_problem_without_traceback(self, make_settings):
        settings = make_settings(state="AM")
        app = create_app(settings)

        @app.get("/api/v1/explode")
        def explode():
            raise ZeroDivisionError("secret internals")

        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/api/v1/explode")
        body = assert_problem(response, 500, "internal")
        assert "secret internals" not in response.text
        assert "Traceback" not in response.text
        assert body["detail"].startswith("Something went wrong")


class TestReferenceApi:
    def test_lists_member_states(self, node):
        states = node.get("/api/v1/states").json()
        assert [s["code"] for s in states] == ["AM", "BY", "KG", "KZ", "RU"]
        assert states[0]["names"]["hy"] == "Հայաստան"

    def test_checks_a_valid_identifier(self, node):
        body = node.post(
            "/api/v1/identifiers/check",
            json={"state": "kz", "kind": "iin", "value": "900101300017"},
        ).json()
        assert body["valid"] is True
        assert body["checksum_verified"] is True

    def test_refuses_an_invalid_identifier_with_its_reason(self, node):
        response = node.post(
            "/api/v1/identifiers/check", json={"state": "RU", "kind": "inn", "value": "7707083894"}
        )
        assert_problem(response, 422, "identifier.checksum")

    def test_identifier_kinds_of_an_unknown_state_are_not_found(self, node):
        assert_problem(
            node.get("/api/v1/identifiers/kinds", params={"state": "ZZ"}), 404, "state.unknown"
        )

    def test_lists_identifier_kinds(self, node):
        kinds = node.get("/api/v1/identifiers/kinds", params={"state": "ru"}).json()
        assert {"state": "RU", "kind": "snils"} in kinds


class TestPortalPages:
    def test_node_home_in_english_and_russian(self, node):
        english = node.get("/")
        assert english.status_code == 200
        assert "Republic of Kazakhstan" in english.text
        russian = node.get("/?lang=ru")
        assert "Республика Казахстан" in russian.text
        assert '<html lang="ru"' in russian.text
        assert russian.cookies.get("lang") == "ru"

    def test_security_headers_on_every_response(self, node):
        for path in ("/", "/healthz", "/api/v1/nothing"):
            response = node.get(path)
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "same-origin"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["content-security-policy"] == "frame-ancestors 'none'"

    def test_accept_language_chooses_russian(self, node):
        assert '<html lang="ru"' in node.get("/", headers={"accept-language": "ru-RU"}).text

    def test_language_choice_is_remembered(self, node):
        node.get("/?lang=ru")
        assert '<html lang="ru"' in node.get("/").text

    def test_identifier_page_explains_a_refusal(self, node):
        response = node.get(
            "/identifiers",
            params={"state": "KZ", "kind": "iin", "value": "900101300018", "lang": "ru"},
        )
        assert response.status_code == 422
        assert "govuk-error-summary" in response.text
        assert "Контрольная цифра не совпадает" in response.text

    def test_identifier_page_shows_a_valid_result(self, node):
        response = node.get(
            "/identifiers", params={"state": "RU", "kind": "snils", "value": "112-233-445 95"}
        )
        assert response.status_code == 200
        assert "11223344595" in response.text

    def test_portal_lists_every_node_even_when_none_answers(self, portal):
        page = portal.get("/").text
        rows = re.findall(r'data-state="([A-Z]{2})"', page)
        assert rows == ["AM", "BY", "KG", "KZ", "RU"]
        assert "Not connected" in page
