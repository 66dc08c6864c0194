"""The installed wheel seeds itself and serves, started exactly as the Docker image's CMD starts it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.test_cli import free_port

ROOT = Path(__file__).resolve().parent.parent


import pytest

PLUGIN_SUITE = """
import json, urllib.request
import sandbox

def test_the_plugin_comes_from_the_wheel_and_seeds(sandbox, tmp_path):
    import sandbox as package
    assert package.__file__.startswith({target!r})
    request = urllib.request.Request(sandbox.url("appx") + "/orders/15", headers={{"Authorization": "Bearer t"}})
    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read())["data"]["id"] == 15
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The project built as a wheel and installed (without its dependencies) into an empty directory."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(wheels.glob("order_sandbox-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    return target


def test_the_pytest_plugin_works_from_the_installed_wheel(installed, tmp_path):
    (tmp_path / "test_client.py").write_text(PLUGIN_SUITE.format(target=str(installed)))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_client.py"],
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(installed)},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_wheel_installs_and_serves_with_packaged_fixtures(installed, tmp_path):
    target = installed
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
