"""The server as a user starts it: ``python -m sandbox serve`` on a real port, in its own process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, *args: str):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "serve", "--port", str(self.port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if self.get("/__sandbox/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not start:\n{self.process.stdout.read()}")

    def request(self, method: str, path: str, headers=None):
        request = urllib.request.Request(self.url + path, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def get(self, path, headers=None):
        return self.request("GET", path, headers)

    def stop(self) -> str:
        self.process.terminate()
        try:
            output, _ = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        return output


@pytest.fixture
def server():
    running = Server()
    yield running
    running.stop()


def test_serves_health_and_an_api_and_logs_each_request(server):
    assert server.get("/__sandbox/health")[0] == 200
    status, body = server.get("/appx/api/v1/orders/15", {"Authorization": "Bearer t"})
    assert status == 200
    assert body["data"]["links"]["self"] == f"{server.url}/appx/api/v1/orders/15"
    output = server.stop()
    assert f"on {server.url}" in output
    assert "GET /appx/api/v1/orders/15 200" in output and "ms" in output


def test_quiet_turns_the_access_log_off():
    running = Server("--quiet")
    running.get("/__sandbox/health")
    assert "GET /__sandbox/health" not in running.stop()


def test_seed_changes_the_generated_data():
    outputs = []
    for seed in ("1", "2"):
        running = Server("--seed", seed, "--quiet")
        outputs.append(running.get("/appx/api/v1/customers/1/orders?page=2", {"Authorization": "Bearer t"}))
        running.stop()
    assert outputs[0][0] == outputs[1][0] == 200 and outputs[0][1] != outputs[1][1]


def test_data_dir_persists_state_files(tmp_path):
    running = Server("--data-dir", str(tmp_path), "--quiet")
    assert running.request("POST", "/__sandbox/reset")[0] == 200
    running.stop()
    assert (tmp_path / "appx.json").is_file()
    again = Server("--data-dir", str(tmp_path), "--quiet")
    try:
        assert again.get("/appx/api/v1/orders/15", {"Authorization": "Bearer t"})[0] == 200
    finally:
        again.stop()


def test_routes_lists_every_api_route():
    output = subprocess.run([sys.executable, "-m", "sandbox", "routes"], capture_output=True, text=True, check=True)
    assert "/appx/api/v1/orders/<order_id>" in output.stdout


def test_kill_9_during_writes_never_leaves_an_unreadable_store(tmp_path):
    """Acknowledged writes survive a kill -9 and the file always loads (write new file, fsync, rename)."""
    import signal
    import threading

    running = Server("--data-dir", str(tmp_path), "--quiet")
    status, exported = running.get("/__sandbox/state?api=appx")
    orders = exported["apis"]["appx"]["orders"]
    acknowledged = []
    stop = threading.Event()

    def write_loop():
        for keep in range(len(orders), 0, -1):
            if stop.is_set():
                return
            body = json.dumps({"apis": {"appx": {"orders": orders[:keep]}}}).encode()
            request = urllib.request.Request(running.url + "/__sandbox/state", data=body, method="PUT",
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=5):
                    acknowledged.append(keep)
            except OSError:
                return

    writer = threading.Thread(target=write_loop)
    writer.start()
    deadline = time.monotonic() + 10
    while len(acknowledged) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    running.process.send_signal(signal.SIGKILL)
    running.process.wait(timeout=10)
    stop.set()
    writer.join(timeout=10)
    assert len(acknowledged) >= 20

    again = Server("--data-dir", str(tmp_path), "--quiet")
    try:
        status, state = again.get("/__sandbox/state?api=appx")
        count = len(state["apis"]["appx"]["orders"])
        # The last acknowledged write is on disk; at most the one in flight went further.
        assert status == 200 and count in (acknowledged[-1], acknowledged[-1] - 1)
    finally:
        again.stop()


def test_check_replays_every_documented_example_without_drift():
    result = subprocess.run([sys.executable, "-m", "sandbox", "check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 drifts" in result.stdout


def test_check_reports_drift_as_a_json_path_and_fails(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from sandbox import cli
    from sandbox.core import examples

    original = examples.load_examples

    def tampered(api, root=None):
        found = original(api, root)
        for example in found:
            if example["name"] == "appx/get-order":
                example["response"]["body"]["data"]["attributes"]["value"] = 611
        return found
    monkeypatch.setattr(examples, "load_examples", tampered)
    result = CliRunner().invoke(cli.main, ["check", "--api", "appx"])
    assert result.exit_code == 1
    assert "DRIFT appx/get-order $.data.attributes.value: expected 611, got 610" in result.output
