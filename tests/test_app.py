"""The app as a whole, for every API in the registry: error dispatch, limits, JSON, reset."""

from __future__ import annotations

import pytest

from sandbox import create_app
from sandbox.config import TEST_CONFIG
from tests.conftest import api_specs, auth_headers, sample_get_paths

SPECS = api_specs()
ids = [spec.name for spec in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=ids)
class TestErrorDispatch:
    def test_unknown_route_is_json_in_the_api_shape(self, client, spec):
        response = client.get(spec.url_prefix + "/no/such/route", headers=auth_headers(spec))
        assert response.status_code == 404
        assert response.is_json and response.get_json() == spec.render_error(
            _route_not_found(spec, "GET", spec.base_path + "/no/such/route"))[0]

    def test_paths_under_the_mount_but_outside_the_base_are_the_api_too(self, client, spec):
        response = client.get(spec.mount + "/elsewhere")
        assert response.status_code == 404 and response.is_json

    def test_wrong_method_is_json_405_with_allow(self, client, app, spec):
        path = sample_get_paths(app, spec)[0]
        response = client.open(path, method="TRACE", headers=auth_headers(spec))
        assert response.status_code == 405 and response.is_json
        assert "GET" in response.headers["Allow"]

    def test_missing_auth_is_401_in_the_api_shape(self, client, app, spec):
        for path in sample_get_paths(app, spec):
            response = client.get(path)
            assert response.status_code == 401 and response.is_json, path

    def test_an_unexpected_exception_is_the_api_500_not_html(self, app, client, spec, monkeypatch):
        def explode(*args, **kwargs):
            raise RuntimeError("boom")
        monkeypatch.setattr(spec.backend, "__init__", explode)
        response = client.get(sample_get_paths(app, spec)[0], headers=auth_headers(spec))
        assert response.status_code == 500 and response.is_json
        assert "boom" not in response.get_data(as_text=True)

    def test_a_body_over_one_mebibyte_is_413_in_the_api_shape(self, client, spec):
        response = client.post(spec.url_prefix + "/orders", data=b"x" * (1024 * 1024 + 1),
                               headers=auth_headers(spec), content_type="application/json")
        assert response.status_code == 413 and response.is_json

    def test_trailing_slash_is_served_without_redirect(self, client, app, spec):
        path = sample_get_paths(app, spec)[0]
        plain = client.get(path, headers=auth_headers(spec))
        slashed = client.get(path + "/", headers=auth_headers(spec))
        assert slashed.status_code == plain.status_code and slashed.status_code < 300


def _route_not_found(spec, method, path):
    from sandbox.core.errors import RouteNotFound
    return RouteNotFound("", method=method, path=path)


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_reset_restores_exactly_the_seeded_state(client, box, spec):
    seeded = box.store.state(spec.name).export()
    with box.store.state(spec.name).transaction() as state:
        for table in state.tables.values():
            for record in table.all()[:3]:
                table.delete(record[table.key])
    assert box.store.state(spec.name).export() != seeded
    assert client.post("/__sandbox/reset").status_code == 200
    assert box.store.state(spec.name).export() == seeded


def test_json_keeps_insertion_order(app):
    out = app.json.dumps({"b": 1, "a": 2})
    assert out.index('"b"') < out.index('"a"')


def test_paths_outside_every_api_answer_in_the_control_shape(client):
    response = client.get("/nowhere")
    assert response.status_code == 404 and response.get_json()["error"] == "RouteNotFound"


def test_environment_configures_the_app(monkeypatch):
    monkeypatch.setenv("SANDBOX_SEED", "7")
    monkeypatch.setenv("SANDBOX_TOKENS_APPX", "a, b")
    app = create_app(TEST_CONFIG)
    assert app.config["SEED"] == 7 and app.config["TOKENS"] == {"appx": ["a", "b"]}
    assert create_app({**TEST_CONFIG, "SEED": 9}).config["SEED"] == 9, "the mapping passed in wins"


def test_routes_are_found_once_per_method_and_path_and_routing_errors_are_never_kept(monkeypatch):
    import sandbox.app as app_module

    app = create_app(TEST_CONFIG)
    client, slyk = app.test_client(), {"apikey": "k"}
    orders = client.get("/slyk/orders", headers=slyk).get_json()["data"]
    first, second = orders[0]["id"], orders[1]["id"]
    routes = app._routes
    for _ in range(2):      # each answer is its own path's: the kept route's arguments are not shared
        assert client.get(f"/slyk/orders/{first}", headers=slyk).get_json()["data"]["id"] == first
        assert client.get(f"/slyk/orders/{second}", headers=slyk).get_json()["data"]["id"] == second
    assert ("GET", f"/slyk/orders/{first}") in routes and ("GET", f"/slyk/orders/{second}") in routes
    for _ in range(2):
        assert client.get("/slyk/no/such/route", headers=slyk).status_code == 404
        response = client.open(f"/slyk/orders/{first}", method="TRACE", headers=slyk)
        assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert ("GET", "/slyk/no/such/route") not in routes and ("TRACE", f"/slyk/orders/{first}") not in routes
    assert client.options(f"/slyk/orders/{first}", headers={"Origin": "http://x.test",
                          "Access-Control-Request-Method": "GET"}).status_code == 200

    monkeypatch.setattr(app_module, "ROUTES_KEPT", 3)       # the bound: past it, every kept route is forgotten
    for order in orders[:5]:
        assert client.get(f"/slyk/orders/{order['id']}", headers=slyk).status_code == 200
    assert len(routes) <= 3


def test_a_plain_answer_is_exactly_what_werkzeug_would_send_and_any_other_is_left_to_it():
    """SandboxFlask._end sends a response werkzeug would send as it stands (``_plain_headers``) without werkzeug's
    Response.__call__: the same status, headers and body; anything werkzeug changes or needs to see is its own."""
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Response

    from sandbox.app import _plain_headers

    def werkzeug_answer(response, environ):
        app_iter, status, headers = response.get_wsgi_response(environ)
        return status, headers, b"".join(app_iter)

    get, head = EnvironBuilder(method="GET").get_environ(), EnvironBuilder(method="HEAD").get_environ()
    plain = [Response(b'{"a":1}', status=200, mimetype="application/json"),
             Response(b"", status=201, headers={"X-Sandbox-Fault": "3"}),
             Response(b"x", status=422, headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]),
             Response([b"a", b"b"], status=404, headers={"Content-Length": "2"})]
    for response in plain:
        headers = _plain_headers(response, get)
        assert headers is not None
        assert (response.status, headers, b"".join(response.response)) == werkzeug_answer(response, get)

    redirect = Response(b"", status=302, headers={"Location": "/ä"})
    moved = Response(b"", status=200, headers={"Content-Location": "/ä"})
    no_length = Response([b"a"], status=200)
    del no_length.headers["Content-Length"]
    closing = Response(b"a")
    closing.call_on_close(lambda: None)
    streamed = Response(iter([b"a"]))
    passthrough = Response(b"a", direct_passthrough=True)
    text_chunks = Response(["a"], headers={"Content-Length": "1"})
    others = [(Response(b"", status=204), get), (Response(b"", status=304), get), (Response(b"", status=101), get),
              (Response(b"a"), head), (redirect, get), (moved, get), (no_length, get), (closing, get),
              (streamed, get), (passthrough, get), (text_chunks, get)]
    for response, environ in others:
        assert _plain_headers(response, environ) is None, response
