"""The pytest plugin, as a client's suite uses it (pytester runs a separate pytest session)."""

from __future__ import annotations

import http.client
import json
import time
import urllib.request

import pytest

CLIENT_SUITE = '''
import json, urllib.request

def get(url, headers):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
        return response.status, json.loads(response.read())

def test_server_and_journal(sandbox):
    status, body = get(sandbox.url("appx") + "/orders/15", {"Authorization": "Bearer t"})
    assert status == 200 and body["data"]["id"] == 15
    assert [e["path"] for e in sandbox.requests(api="appx")] == ["/appx/api/v1/orders/15"]

def test_each_test_starts_clean(sandbox):
    assert sandbox.requests() == []
    assert sandbox.control("GET", "/snapshots") == {"snapshots": []}

def test_faults_and_clock(sandbox):
    sandbox.fault(api="appx", status=503, times=1)
    try:
        get(sandbox.url("appx") + "/orders/15", {"Authorization": "Bearer t"})
        raise AssertionError("expected 503")
    except urllib.error.HTTPError as error:
        assert error.code == 503
    sandbox.freeze("2025-03-31T09:00:00Z")
    sandbox.advance(60)
    assert sandbox.control("GET", "/clock")["now"] == "2025-03-31T09:01:00Z"

def test_snapshot_restore(sandbox):
    name = sandbox.snapshot()
    sandbox.restore(name)
    assert set(sandbox.state()) >= {"appx"}

def test_snapshots_do_not_leak_into_the_next_test(sandbox):
    assert sandbox.control("GET", "/snapshots") == {"snapshots": []}

def test_in_process(sandbox_client):
    assert sandbox_client.get("/__sandbox/health").status_code == 200

def test_no_collision_with_user_fixtures(app, client):
    assert (app, client) == ("mine", "mine too")
'''

USER_CONFTEST = '''
import pytest

@pytest.fixture
def app():
    return "mine"

@pytest.fixture
def client():
    return "mine too"
'''


def test_the_plugin_serves_a_client_suite(pytester):
    pytester.makeconftest(USER_CONFTEST)
    pytester.makepyfile(test_client=CLIENT_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:flask")
    result.assert_outcomes(passed=7)


def test_a_fault_can_drop_the_connection(sandbox):
    sandbox.fault(api="appx", drop=True, times=1)
    host, port = sandbox.url().removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    connection.request("GET", "/appx/api/v1/orders/15", headers={"Authorization": "Bearer t"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        connection.getresponse()
    request = urllib.request.Request(sandbox.url("appx") + "/orders/15", headers={"Authorization": "Bearer t"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200 and json.loads(response.read())["data"]["id"] == 15
    # The dropped request's thread may still be finishing when the client has moved on: wait for it.
    deadline = time.monotonic() + 5
    while len(sandbox.requests()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [e["status"] for e in sandbox.requests()] == [499, 200]


def test_sessions_through_the_handle(sandbox_server):
    from sandbox.pytest_plugin import Sandbox
    job, default = Sandbox(sandbox_server, session="plugin-job"), Sandbox(sandbox_server)
    job.clean()
    default.clean()
    request = urllib.request.Request(job.url("appx") + "/orders/15",
                                     headers={"Authorization": "Bearer t", **job.headers})
    urllib.request.urlopen(request, timeout=5).read()
    assert len(job.requests()) == 1
    assert default.requests() == []


def test_the_handle_gives_each_api_the_base_url_its_clients_use(sandbox_server):
    from sandbox.pytest_plugin import Sandbox
    handle = Sandbox(sandbox_server)
    base = sandbox_server.base_url
    assert handle.url("appx") == base + "/appx/api/v1"          # docs: GET /orders/{id} below /api/v1
    assert handle.url("shop") == base + "/shop"                 # docs: GET /api/v1/shop/orders
    assert handle.url("mittwald") == base + "/mittwald"         # the clients add /v2/...
    assert handle.url("slyk") == base + "/slyk" and handle.url("formations") == base + "/formations"
