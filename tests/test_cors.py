"""CORS for browsers: preflight and simple requests on every API and the control plane."""

from __future__ import annotations

import pytest

from sandbox import create_app
from sandbox.config import TEST_CONFIG
from tests.conftest import api_specs, auth_headers, sample_get_paths

SPECS = api_specs()


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_preflight_allows_the_api_auth_headers_without_credentials(client, app, spec):
    path = sample_get_paths(app, spec)[0]
    response = client.options(path, headers={
        "Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": ", ".join([*spec.auth.headers(), "X-Sandbox-Session"])})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "http://localhost:5173")
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    for header in [*spec.auth.headers(), "X-Sandbox-Session"]:
        assert header.lower() in allowed


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_responses_and_errors_carry_cors_headers(client, app, spec):
    path = sample_get_paths(app, spec)[0]
    for headers in (auth_headers(spec), {}):
        response = client.get(path, headers={"Origin": "http://localhost:5173", **headers})
        assert response.headers.get("Access-Control-Allow-Origin"), response.status_code
        assert "X-Pagination-TotalCount" in response.headers.get("Access-Control-Expose-Headers", "")


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_a_request_without_origin_gets_no_cors_headers_even_when_refused(client, app, spec):
    for headers in (auth_headers(spec), {}):
        response = client.get(sample_get_paths(app, spec)[0], headers=headers)
        assert "Access-Control-Allow-Origin" not in response.headers, response.status_code


def test_the_control_plane_answers_cors_only_for_its_allow_list():
    """The APIs are open to every origin; the control plane only to SANDBOX_CONTROL_ORIGINS (tests/test_trust.py)."""
    client = create_app({**TEST_CONFIG, "CONTROL_ORIGINS": "http://localhost:3000"}).test_client()
    response = client.post("/__sandbox/reset", headers={"Origin": "http://localhost:3000"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    preflight = client.options("/__sandbox/faults", headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type, X-Sandbox-Admin-Token"})
    assert preflight.status_code == 200 and "x-sandbox-admin-token" in preflight.headers[
        "Access-Control-Allow-Headers"].lower()
    refused = client.post("/__sandbox/reset", headers={"Origin": "http://localhost:5173"})
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers


def test_api_origins_can_be_restricted(app):
    spec = SPECS[0]
    path = sample_get_paths(app, spec)[0]
    client = create_app({**TEST_CONFIG, "CORS_ORIGINS": "http://ok.test"}).test_client()
    assert client.get(path, headers={"Origin": "http://ok.test", **auth_headers(spec)}).headers[
        "Access-Control-Allow-Origin"] == "http://ok.test"
    assert "Access-Control-Allow-Origin" not in client.get(
        path, headers={"Origin": "http://evil.test", **auth_headers(spec)}).headers
