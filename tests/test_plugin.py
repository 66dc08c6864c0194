"""The pytest plugin, as a client's suite uses it (pytester runs a separate pytest session)."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
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


def _get(url: str, headers: dict | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_requests_takes_every_filter_the_journal_route_takes(sandbox):
    document = json.loads(urllib.request.urlopen(sandbox.url() + "/__sandbox/openapi.json", timeout=5).read())
    filters = {p["name"] for p in document["paths"]["/requests"]["get"]["parameters"] if p["in"] == "query"}
    assert _get(sandbox.url("slyk") + "/orders") == 401
    assert _get(sandbox.url("appx") + "/orders/15", {"Authorization": "Bearer t"}) == 200
    assert _get(sandbox.url("appx") + "/orders/999999", {"Authorization": "Bearer t"}) == 404
    first = sandbox.requests()[0]["seq"]
    samples = {"api": "appx", "method": "GET", "path": "*/orders/15", "status": 200, "since": first, "limit": 5}
    assert set(samples) == filters, "a new journal filter needs a sample here"
    for name, value in samples.items():          # each alone: `method` and `path` once clashed with control()
        assert sandbox.requests(**{name: value}), name
    assert [e["path"] for e in sandbox.requests(**samples)] == ["/appx/api/v1/orders/15"]
    assert sandbox.requests(method="POST") == []


def test_a_session_handle_sees_only_its_session(sandbox):
    job = sandbox.session("plugin-handle")
    assert job.headers == {"X-Sandbox-Session": "plugin-handle"} and sandbox.headers == {}
    assert _get(job.url("appx") + "/orders/15", {"Authorization": "Bearer t", **job.headers}) == 200
    assert [e["path"] for e in job.requests()] == ["/appx/api/v1/orders/15"] and sandbox.requests() == []
    job.fault(api="appx", status=503)
    assert _get(job.url("appx") + "/orders/15", {"Authorization": "Bearer t", **job.headers}) == 503
    assert _get(sandbox.url("appx") + "/orders/15", {"Authorization": "Bearer t"}) == 200


SESSION_SUITE = '''
import urllib.request

def call(sandbox, session):
    request = urllib.request.Request(sandbox.url("appx") + "/orders/15",
                                     headers={"Authorization": "Bearer t", "X-Sandbox-Session": session})
    urllib.request.urlopen(request).read()

def test_one_opens_sessions(sandbox):
    sandbox.session("from-the-handle").fault(api="appx", status=503)     # touched, never made live by a request
    call(sandbox, "from-a-header")
    assert "from-a-header" in sandbox.control("GET", "/sessions")["sessions"]

def test_two_finds_none_of_them(sandbox):
    assert sandbox.control("GET", "/sessions")["sessions"] == ["default"]
    assert sandbox.session("from-the-handle").faults() == []
    assert sandbox.session("from-a-header").requests() == []
'''


def test_every_session_a_test_touched_is_dropped_after_it(pytester):
    pytester.makepyfile(test_sessions=SESSION_SUITE)
    pytester.runpytest_subprocess("-p", "no:flask").assert_outcomes(passed=2)


def _hit(url: str) -> None:
    """A request that may still be queued when the server stops: being cut off then is its expected end."""
    try:
        _get(url)
    except OSError:
        pass


def test_sandbox_server_is_a_context_manager_that_ends_its_threads():
    from sandbox import SandboxServer
    failures = []
    previous_hook, threading.excepthook = threading.excepthook, failures.append
    before = set(threading.enumerate())
    try:
        # Requests in flight at stop() were what once made the loop's select() meet a closed socket (EBADF).
        for _ in range(5):
            with SandboxServer() as server:
                pending = [threading.Thread(target=_hit, args=(server.url() + "/__sandbox/health",))
                           for _ in range(4)]
                for thread in pending:
                    thread.start()
                assert _get(server.url("appx") + "/orders/15", {"Authorization": "Bearer t"}) == 200
            for thread in pending:
                thread.join(timeout=10)
            with pytest.raises(OSError):
                urllib.request.urlopen(server.url() + "/__sandbox/health", timeout=2)
        server.stop()                                               # a second stop does nothing
    finally:
        threading.excepthook = previous_hook
    assert failures == []
    assert [t.name for t in set(threading.enumerate()) - before] == []


def test_stop_survives_a_worker_pull_that_wakes_the_loop_before_its_own():
    """A response's worker pulls the trigger as it finishes; if the loop reads that byte after stop() queued its
    thunk but before stop() wrote its own, the thunk runs first, and stop()'s write must still find the pipe."""
    from sandbox import SandboxServer
    server = SandboxServer()
    trigger = server._server.trigger
    own_pull = trigger._physical_pull

    def pull_after_the_loop_ran_the_thunks():
        own_pull()                                      # the worker's byte
        deadline = time.monotonic() + 5
        while trigger.thunks and time.monotonic() < deadline:
            time.sleep(0.001)
        own_pull()                                      # stop()'s byte, after the thunk has run
    trigger._physical_pull = pull_after_the_loop_ran_the_thunks
    assert _get(server.url("appx") + "/orders/15", {"Authorization": "Bearer t"}) == 200
    server.stop()
    assert not server._thread.is_alive() and trigger._fds == []        # the pipe is closed once the loop is gone
    with pytest.raises(OSError):
        urllib.request.urlopen(server.url() + "/__sandbox/health", timeout=2)


def test_the_test_server_ignores_a_data_dir_and_fixtures_from_the_environment(tmp_path, monkeypatch):
    from sandbox import SandboxServer
    data, mine = tmp_path / "data", tmp_path / "mine"
    data.mkdir()
    (data / "appx.json").write_text('{"not": "yours to read"}')
    (mine / "appx").mkdir(parents=True)
    (mine / "appx" / "orders.json").write_text("this would not even parse")
    monkeypatch.setenv("SANDBOX_DATA_DIR", str(data))
    monkeypatch.setenv("SANDBOX_FIXTURES_DIR", str(mine))
    with SandboxServer() as server:
        assert server.app.config["DATA_DIR"] is None and server.app.config["FIXTURES_DIR"] is None
        assert _get(server.url("appx") + "/orders/15", {"Authorization": "Bearer t"}) == 200
    assert [p.name for p in data.iterdir()] == ["appx.json"]
    assert (data / "appx.json").read_text() == '{"not": "yours to read"}'


def test_the_entry_point_imports_nothing_from_the_sandbox_package():
    import subprocess
    import sys
    probe = ("import sys, order_sandbox_pytest; "
             "print(sorted(m for m in sys.modules if m == 'sandbox' or m.startswith('sandbox.')))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_the_control_plane_client_loads_neither_flask_nor_the_app():
    """``sandbox.client`` (the test handle's and ``sandbox wait``'s) is the standard library only, as it says."""
    import subprocess
    import sys
    probe = ("import sys, sandbox.client; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug', 'marshmallow', 'faker')"
             " or m == 'sandbox.app'))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_the_client_names_the_headers_as_the_server_does():
    from sandbox import app, client, control
    assert (client.SESSION_HEADER, client.ADMIN_HEADER) == (app.SESSION_HEADER, control.ADMIN_HEADER)
