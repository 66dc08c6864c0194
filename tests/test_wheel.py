"""The installed wheel, as a user gets it: its pytest plugin in a project of their own, and `sandbox serve` as the
Docker image's CMD starts it. The project is built once per test session (``installed_wheel`` in conftest.py)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.test_cli import free_port

ROOT = Path(__file__).resolve().parent.parent

# A user's project: two test files (xdist spreads them over two workers), run with -W error.
JOURNEY = '''
import json, os, pathlib, urllib.error, urllib.request
import pytest

AUTH = {"Authorization": "Bearer t"}

def get(url, headers=AUTH):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None

def test_the_plugin_and_the_package_come_from_the_wheel(sandbox, sandbox_server):
    import sandbox as package, order_sandbox_pytest
    site = os.environ["WHEEL_SITE"]
    assert package.__file__.startswith(site) and order_sandbox_pytest.__file__.startswith(site)
    status, body = get(sandbox.url("appx") + "/orders/15")
    assert status == 200 and body["data"]["attributes"]["value"] == 610     # packaged, not SANDBOX_FIXTURES_DIR
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (pathlib.Path(os.environ["PORTS_DIR"]) / worker).write_text(sandbox_server.url())

def test_the_journal_takes_method_and_path_filters(sandbox):
    get(sandbox.url("appx") + "/orders/15")
    get(sandbox.url("slyk") + "/orders", headers={})
    assert [e["status"] for e in sandbox.requests(api="slyk", method="GET", path="*/orders*")] == [401]

def test_a_session_handle_and_its_headers(sandbox):
    job = sandbox.session("job-1")
    get(job.url("appx") + "/orders/15", {**AUTH, **job.headers})
    assert len(job.requests()) == 1 and sandbox.requests() == []

def test_sessions_of_the_previous_test_are_gone(sandbox):
    assert sandbox.control("GET", "/sessions")["sessions"] == ["default"]

def test_writes_go_nowhere_near_the_data_dir_of_the_environment(sandbox):
    order = "/orders/fc78d28f-a8dd-49de-a22f-722fe3bd26c8/pay"
    request = urllib.request.Request(sandbox.url("slyk") + order, method="POST", data=b'{"amount": "2.50000000"}',
                                     headers={"apikey": "key", "Content-Type": "application/json"})
    assert urllib.request.urlopen(request, timeout=10).status < 300

@pytest.mark.sandbox_config(FIXTURES_DIR=os.environ["MY_FIXTURES"])
def test_a_marker_asks_for_my_fixture_files(sandbox):
    assert get(sandbox.url("appx") + "/orders/15")[1]["data"]["attributes"]["value"] == 1000

def test_sandbox_server_as_a_context_manager():
    from sandbox import SandboxServer
    with SandboxServer({"SEED": 7}) as server:
        assert get(server.url("appx") + "/orders/15")[0] == 200
    with pytest.raises(OSError):
        urllib.request.urlopen(server.url() + "/__sandbox/health", timeout=2)
'''

SECOND_FILE = '''
import os, pathlib

def test_this_worker_has_its_own_server(sandbox_server):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (pathlib.Path(os.environ["PORTS_DIR"]) / worker).write_text(sandbox_server.url())
'''

OWN_PACKAGE_TEST = '''
import sandbox

def test_my_own_sandbox_package():
    assert sandbox.NAME == "the project's own sandbox"

def test_the_fixtures_say_why_they_cannot_work_here(sandbox_server):
    pass
'''

FIXTURES = ["sandbox", "sandbox_server", "sandbox_server_config", "sandbox_app", "sandbox_client"]


# This environment's heavy plugins that a user's project need not have (they triple pytest's start-up here).
UNRELATED_PLUGINS = ("schemathesis", "hypothesispytest", "anyio", "flask")


def run_pytest(project: Path, site: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    blocked = [arg for name in UNRELATED_PLUGINS for arg in ("-p", f"no:{name}")]
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *blocked, *args], cwd=project,
                          env={**os.environ, "PYTHONPATH": str(site), "WHEEL_SITE": str(site), **(env or {})},
                          capture_output=True, text=True, timeout=300)


def tree_digest(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def test_the_plugin_in_a_users_project_with_xdist_and_a_data_dir_in_the_environment(installed_wheel, tmp_path):
    project, ports, data, bad, mine = (tmp_path / name for name in ("project", "ports", "data", "bad", "mine"))
    for directory in (project, ports, data, bad / "appx", mine / "appx"):
        directory.mkdir(parents=True)
    (project / "test_journey.py").write_text(JOURNEY)
    (project / "test_second.py").write_text(SECOND_FILE)
    # A developer's persisted state and fixture files: the test servers must neither read nor write them.
    (data / "appx.json").write_text('{"developer": "state"}')
    (data / "notes.txt").write_text("keep me")
    (bad / "appx" / "orders.json").write_text("not JSON: reading this fails the run")
    order = next(r for r in json.loads((ROOT / "fixtures/appx/orders.json").read_text()) if r["id"] == 15)
    order["devices"] = [{**order["devices"][0], "value": 1000}]
    (mine / "appx" / "orders.json").write_text(json.dumps([order]))
    before = tree_digest(data)
    os.utime(data / "appx.json", (1_000_000_000, 1_000_000_000))

    result = run_pytest(project, installed_wheel, "-q", "-W", "error", "-n", "2", "--dist", "loadfile", env={
        "SANDBOX_DATA_DIR": str(data), "SANDBOX_FIXTURES_DIR": str(bad), "MY_FIXTURES": str(mine),
        "PORTS_DIR": str(ports)})

    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 passed" in result.stdout and "warning" not in result.stdout.lower(), result.stdout
    assert tree_digest(data) == before and (data / "appx.json").stat().st_mtime == 1_000_000_000
    servers = {p.name: p.read_text() for p in ports.iterdir()}
    assert sorted(servers) == ["gw0", "gw1"] and len(set(servers.values())) == 2, servers


def test_fixtures_have_docstrings_and_a_project_with_its_own_sandbox_package_collects(installed_wheel, tmp_path):
    listing = run_pytest(tmp_path, installed_wheel, "--fixtures")
    assert listing.returncode == 0, listing.stdout + listing.stderr
    lines = listing.stdout.splitlines()
    for name in FIXTURES:
        index = next(i for i, line in enumerate(lines) if line.split(" ")[0] == name)
        assert "order_sandbox_pytest.py" in lines[index] and lines[index + 1].strip(), name
        assert "no docstring available" not in lines[index + 1], name

    project = tmp_path / "project"
    (project / "sandbox").mkdir(parents=True)
    (project / "sandbox" / "__init__.py").write_text('NAME = "the project\'s own sandbox"\n')
    (project / "test_mine.py").write_text(OWN_PACKAGE_TEST)
    result = run_pytest(project, installed_wheel, "-q")
    assert "1 passed, 1 error" in result.stdout, result.stdout + result.stderr
    assert "Error while loading plugin" not in result.stdout + result.stderr
    assert "order-sandbox's fixtures need its package `sandbox`" in result.stdout


def test_wheel_installs_and_serves_with_packaged_fixtures(installed_wheel, tmp_path):
    target = installed_wheel
    assert (target / "sandbox" / "_fixtures" / "appx" / "orders.json").is_file()
    assert (target / "sandbox" / "ui" / "templates" / "sandbox_ui" / "dashboard.html").is_file()

    port = free_port()
    # The image runs `sandbox serve` with SANDBOX_HOST/SANDBOX_PORT set; run from an empty directory so
    # nothing can come from the checkout.
    env = {**os.environ, "PYTHONPATH": str(target), "SANDBOX_HOST": "127.0.0.1", "SANDBOX_PORT": str(port),
           "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([str(target / "bin" / "sandbox"), "serve", "--quiet"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        body = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/__sandbox/health", timeout=2) as response:
                    body = json.loads(response.read())
            except OSError:
                time.sleep(0.1)
        assert body and body["status"] == "ok", process.stdout.read() if process.poll() is not None else ""
        request = urllib.request.Request(f"http://127.0.0.1:{port}/appx/api/v1/orders/15",
                                         headers={"Authorization": "Bearer t"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read())["data"]["attributes"]["value"] == 610
        # The dashboard's templates and assets, and Swagger UI's, come from installed packages too.
        for path, expected in [("/__sandbox/", b'id="api-appx"'), ("/__sandbox/docs", b'id="doc-appx"'),
                               ("/__sandbox/assets/dashboard.js", b"fetch("),
                               ("/__sandbox/docs/assets/swagger-ui-bundle.js", b"SwaggerUIBundle")]:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
                assert expected in response.read(), path
        probe = subprocess.run([sys.executable, "-c", "import sandbox; print(sandbox.__file__)"], env=env,
                               cwd=tmp_path, capture_output=True, text=True, check=True)
        assert probe.stdout.startswith(str(target))
    finally:
        process.terminate()
        process.wait(timeout=10)
