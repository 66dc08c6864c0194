"""``sandbox serve --data-dir`` when the world under it misbehaves: a full disk, a data directory made
read-only mid-run, one that cannot be used at all, a corrupt file. A write is answered 2xx only once it is
kept; an error means nothing changed, so a retry never makes a duplicate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.test_cli import Server

SLYK_AUTH = {"apikey": "k", "Content-Type": "application/json"}


def mounted(path: Path, *options: str) -> bool:
    return subprocess.run(["mount", *options, str(path)], capture_output=True).returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MiB tmpfs of our own: mounting is what makes a real ENOSPC and EROFS. Developers and CI run as root
    here (the project's machines are root); a machine that cannot mount fails these tests, never skips them."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not mounted(disk, "-t", "tmpfs", "-o", "size=3m", "tmpfs"):
        pytest.fail(f"cannot mount a tmpfs at {disk} (needs root): a full and a read-only disk cannot be made")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def send(server: Server, method: str, path: str, body: str | None = None, headers=None):
    request = urllib.request.Request(server.url + path, method=method, data=body.encode() if body else None,
                                     headers=headers or SLYK_AUTH)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def slyk_order_count(server: Server) -> int:
    return len(send(server, "GET", "/__sandbox/state?api=slyk", headers={})[1]["apis"]["slyk"]["orders"])


def first_create(server: Server) -> str:
    """A create body the seeded state accepts (a real user and product of the seed)."""
    state = send(server, "GET", "/__sandbox/state?api=slyk", headers={})[1]["apis"]["slyk"]
    return json.dumps({"userId": state["users"][0]["id"],
                       "lines": [{"productId": state["products"][0]["id"], "quantity": 1}]})


@contextmanager
def serving(data: Path):
    """``sandbox serve --data-dir data`` with a create body its seed accepts and its Slyk order count."""
    server = Server("--data-dir", str(data), "--quiet")
    try:
        yield server, first_create(server), slyk_order_count(server)
    finally:
        server.stop()


def test_a_full_disk_answers_503_in_the_apis_shape_and_a_retry_makes_one_order(small_disk):
    data = small_disk / "data"
    with serving(data) as (server, body, before):
        filler = small_disk / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)   # until full
        status, answer = send(server, "POST", "/slyk/orders", body)
        assert status == 503, answer
        assert set(answer) == {"code", "message"} and "No space left on device" in answer["message"]
        assert slyk_order_count(server) == before, "the refused create is not served to anyone"
        filler.unlink()
        status, answer = send(server, "POST", "/slyk/orders", body)
        assert status == 200, answer
        assert slyk_order_count(server) == before + 1
    again = Server("--data-dir", str(data), "--quiet")
    try:
        assert slyk_order_count(again) == before + 1, "exactly the acknowledged create is on disk"
    finally:
        again.stop()


def test_a_data_dir_made_read_only_mid_run_refuses_writes_and_keeps_the_state(small_disk):
    with serving(small_disk / "data") as (server, body, before):
        assert mounted(small_disk, "-o", "remount,ro")
        status, answer = send(server, "POST", "/slyk/orders", body)
        assert status == 503 and "Read-only file system" in answer["message"], answer
        status, answer = send(server, "POST", "/__sandbox/reset", headers={})
        assert status == 503 and answer["error"] == "Unavailable", answer
        assert slyk_order_count(server) == before
        assert mounted(small_disk, "-o", "remount,rw")
        assert send(server, "POST", "/slyk/orders", body)[0] == 200
        assert slyk_order_count(server) == before + 1


def serve_fails(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sandbox", "serve", "--port", "0", *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("data_dir", ["/proc/sandbox-x", "/dev/null/x"])
def test_an_unusable_data_dir_stops_the_start_with_one_line(data_dir):
    done = serve_fails("--data-dir", data_dir)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: data dir {data_dir}: cannot be used"), done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_a_corrupt_data_file_stops_the_start_naming_the_file_and_position(tmp_path):
    server = Server("--data-dir", str(tmp_path), "--quiet")
    server.stop()
    snapshot = tmp_path / "shop.json"
    snapshot.write_bytes(snapshot.read_bytes()[:1000])
    done = serve_fails("--data-dir", str(tmp_path))
    assert done.returncode == 1
    assert f"{snapshot}: not valid JSON at line 1 column" in done.stderr and "move the file away" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_data_dir_left_by_an_older_sandbox_still_loads(tmp_path):
    """A data file written whole by the previous release (no _meta table, no log) is generation 0."""
    server = Server("--data-dir", str(tmp_path), "--quiet")
    server.stop()
    for log in tmp_path.glob("*.log"):
        log.unlink()
    for snapshot in tmp_path.glob("*.json"):
        document = json.loads(snapshot.read_text())
        document.pop("_meta")
        snapshot.write_text(json.dumps(document))
    again = Server("--data-dir", str(tmp_path), "--quiet")
    try:
        assert again.get("/appx/api/v1/orders/15", {"Authorization": "Bearer t"})[0] == 200
    finally:
        again.stop()


def test_a_log_replaced_by_a_directory_refuses_the_write_until_a_reset(tmp_path):
    with serving(tmp_path) as (server, body, before):
        log = next(tmp_path.glob("slyk.*.log"))
        log.unlink()
        log.mkdir()
        status, answer = send(server, "POST", "/slyk/orders", body)
        assert status == 503 and "Is a directory" in answer["message"], answer
        assert slyk_order_count(server) == before
        log.rmdir()
        assert send(server, "POST", "/__sandbox/reset?api=slyk", headers={})[0] == 200
        assert send(server, "POST", "/slyk/orders", body)[0] == 200


def test_after_a_failed_fsync_health_says_degraded_and_writes_are_refused(tmp_path, monkeypatch):
    from sandbox import create_app
    from sandbox.config import TEST_CONFIG
    from sandbox.core import persistence

    client = create_app({**TEST_CONFIG, "DATA_DIR": str(tmp_path)}).test_client()
    body = json.loads(client.get("/__sandbox/state?api=slyk").get_data())["apis"]["slyk"]
    create = {"userId": body["users"][0]["id"], "lines": [{"productId": body["products"][0]["id"], "quantity": 1}]}
    real_fsync = os.fsync

    def broken(fd):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".log"):
            raise OSError(5, "Input/output error")
        return real_fsync(fd)
    monkeypatch.setattr(persistence.os, "fsync", broken)
    response = client.post("/slyk/orders", json=create, headers={"apikey": "k"})
    assert response.status_code == 503 and "fsync failed" in response.get_json()["message"]
    monkeypatch.undo()
    assert client.post("/slyk/orders", json=create, headers={"apikey": "k"}).status_code == 503
    health = client.get("/__sandbox/health")
    assert health.status_code == 503 and health.get_json()["status"] == "degraded"
