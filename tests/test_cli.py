"""The server as a user starts it: ``python -m sandbox serve`` on a real port, in its own process."""

from __future__ import annotations

import json
import os
import shutil
import signal
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
    def __init__(self, *args: str, start_timeout: float = 20):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "serve", "--port", str(self.port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + start_timeout
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


# -- what a CI script relies on: validated ports, `sandbox wait`, `sandbox reset`, `make run PORT=N` ---------------
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAID_ORDER = "/slyk/orders/fc78d28f-a8dd-49de-a22f-722fe3bd26c8"   # the docs' pay example's order


def sandbox_command(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sandbox", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("args, env, named", [
    (["--port", "70000"], {}, "--port"),
    (["--port", "-1"], {}, "--port"),
    ([], {"SANDBOX_PORT": "abc"}, "SANDBOX_PORT"),
    ([], {"SANDBOX_PORT": "70000"}, "SANDBOX_PORT"),
    ([], {"SANDBOX_THREADS": "0"}, "SANDBOX_THREADS"),
    ([], {"SANDBOX_JOURNAL_SIZE": "lots"}, "SANDBOX_JOURNAL_SIZE"),
])
def test_a_bad_port_or_setting_is_a_usage_error_naming_it(args, env, named):
    result = sandbox_command("serve", *args, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    error = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and named in error[0], result.stderr


def test_serve_help_lists_every_sandbox_variable_with_its_default():
    from sandbox.config import DEFAULTS, from_environment

    help_text = sandbox_command("serve", "--help").stdout
    # Every setting the environment can set, found by asking the reader itself, not the list the help is made from.
    read = [key for key in DEFAULTS if key in from_environment({f"SANDBOX_{key}": "1"})]
    assert {"PORT", "HOST", "SEED", "DATA_DIR", "ADMIN_TOKEN", "JOURNAL_SIZE"} <= set(read)
    for key in read:
        default = DEFAULTS[key]
        shown = ("true" if default else "false") if isinstance(default, bool) else \
            "(unset)" if default in (None, {}) else str(default)
        assert f"SANDBOX_{key}={shown}" in help_text, key
    assert "SANDBOX_TOKENS_<API>=" in help_text


def test_wait_returns_once_the_sandbox_answers(server):
    result = sandbox_command("wait", "--url", server.url, "--timeout", "20")
    assert result.returncode == 0, result.stderr
    assert f"ready at {server.url}" in result.stdout


def test_wait_follows_a_server_that_is_still_starting():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--quiet"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env={**os.environ, "SANDBOX_PORT": str(port)})
    try:
        # No --url: the same SANDBOX_PORT tells `wait` where `serve` listens.
        result = sandbox_command("wait", "--timeout", "30", env={"SANDBOX_PORT": str(port)})
        assert result.returncode == 0, result.stderr
        assert f"ready at http://127.0.0.1:{port}" in result.stdout
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_wait_fails_after_its_timeout_when_nothing_answers():
    url = f"http://127.0.0.1:{free_port()}"
    result = sandbox_command("wait", "--url", url, "--timeout", "0.5")
    assert result.returncode == 1
    assert f"not ready at {url} after 0.5 s" in result.stderr and "Traceback" not in result.stderr


def test_wait_refuses_a_url_that_is_not_one():
    result = sandbox_command("wait", "--url", "localhost:8080")
    assert result.returncode == 2 and "--url" in result.stderr


def _pay(server, session: str | None = None) -> None:
    request = urllib.request.Request(server.url + PAID_ORDER + "/pay", method="POST",
                                     data=json.dumps({"amount": "2.50000000"}).encode(),
                                     headers={"apikey": "key", "Content-Type": "application/json",
                                              **({"X-Sandbox-Session": session} if session else {})})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status < 300


def test_reset_puts_every_api_back_to_its_seeded_state(server):
    seeded = server.get(PAID_ORDER, {"apikey": "key"})
    _pay(server)
    assert server.get(PAID_ORDER, {"apikey": "key"}) != seeded
    result = sandbox_command("reset", "--url", server.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "reset appx, shop, slyk, mittwald, formations (session default)"
    assert server.get(PAID_ORDER, {"apikey": "key"}) == seeded


def test_reset_of_one_api_in_a_named_session(server):
    seeded = server.get(PAID_ORDER, {"apikey": "key"})
    _pay(server, session="ci-job")
    in_session = {"apikey": "key", "X-Sandbox-Session": "ci-job"}
    assert server.get(PAID_ORDER, in_session) != seeded and server.get(PAID_ORDER, {"apikey": "key"}) == seeded
    result = sandbox_command("reset", "--url", server.url, "--api", "slyk", "--session", "ci-job")
    assert result.returncode == 0 and result.stdout.strip() == "reset slyk (session ci-job)", result.stderr
    assert server.get(PAID_ORDER, in_session) == seeded


def test_reset_names_an_unknown_api_and_a_missing_server(server):
    result = sandbox_command("reset", "--url", server.url, "--api", "nope")
    assert result.returncode == 1 and "404" in result.stderr and "nope" in result.stderr
    assert "Traceback" not in result.stderr
    missing = sandbox_command("reset", "--url", f"http://127.0.0.1:{free_port()}")
    assert missing.returncode == 1 and "no sandbox at" in missing.stderr and "Traceback" not in missing.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("how", ["make run PORT=N", "SANDBOX_PORT=N make run"])
def test_make_run_serves_on_the_port_asked_for(how):
    port = free_port()
    # BIN: the environment running these tests; -o: its install stamp counts as up to date, so make only serves.
    command = ["make", "-s", "-C", ROOT, "-o", ".venv/.installed-stamp", "run",
               f"BIN={os.path.dirname(sys.executable)}"]
    env = {**os.environ}
    if how.startswith("make"):
        command.append(f"PORT={port}")
    else:
        env["SANDBOX_PORT"] = str(port)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                               start_new_session=True)
    try:
        result = sandbox_command("wait", "--url", f"http://127.0.0.1:{port}", "--timeout", "30")
        assert result.returncode == 0, result.stderr
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
