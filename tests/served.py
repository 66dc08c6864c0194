"""``ServedInThread``: the app on the sandbox's own server (sandbox/server.py, as ``sandbox serve`` runs it) in a
thread of the test process, so a test can reach the app's internals (``app.extensions["sandbox"]``) while it
talks HTTP to the real server. The pytest plugin's ``SandboxServer`` serves on waitress instead."""

from __future__ import annotations

import threading
import time

import requests

from sandbox.pytest_plugin import isolated_app
from sandbox.server import Server


class ServedInThread:
    def __init__(self, config: dict | None = None, *, app=None):
        self.app = app if app is not None else isolated_app(config)
        self.box = self.app.extensions["sandbox"]
        self.server = Server(self.app, "127.0.0.1", 0, int(self.app.config["THREADS"]))
        self.base_url = self.server.url
        self._thread = threading.Thread(target=self.server.serve, kwargs={"handle_signals": False},
                                        name="sandbox-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(self.base_url + "/__sandbox/health", timeout=2).raise_for_status()
                return
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        self.server.stop()
        self._thread.join(timeout=10)

    def __enter__(self) -> "ServedInThread":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
