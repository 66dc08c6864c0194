"""pytest plugin (entry point ``pytest11``): the sandbox as fixtures for a client's own test suite.

- ``sandbox_server`` (session): a real server (waitress, threads) on a free loopback port.
- ``sandbox`` (function): that server, reset before each test (state, journal, faults, clock), with
  ``.url(api)``, ``.reset()``, ``.requests(...)``, ``.fault(...)``, ``.freeze(...)``, ``.snapshot()`` ...
- ``sandbox_app`` / ``sandbox_client``: a fresh in-process app and its Flask test client.

Every fixture name starts with ``sandbox`` so none collides with pytest-flask's or a suite's ``app``/
``client``. Importing this module imports nothing heavy: Flask and the app load when a fixture is used.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest


class SandboxServer:
    """A sandbox served on a free loopback port from a background thread."""

    def __init__(self, config: dict | None = None):
        from waitress.server import create_server

        from sandbox import create_app
        from sandbox.config import TEST_CONFIG

        self.app = create_app({**TEST_CONFIG, **(config or {})})
        self._server = create_server(self.app, host="127.0.0.1", port=0, threads=int(self.app.config["THREADS"]))
        self.base_url = f"http://127.0.0.1:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._server.run, name="order-sandbox", daemon=True)
        self._thread.start()

    def url(self, api: str | None = None) -> str:
        """The base URL to point a client at: ``url("slyk")`` -> ``http://127.0.0.1:PORT/slyk``."""
        if api is None:
            return self.base_url
        return self.base_url + self.app.extensions["sandbox"].apis[api].client_base

    def stop(self) -> None:
        self._server.close()
        self._thread.join(timeout=5)


class Sandbox:
    """A test's handle on the running sandbox, through its HTTP control plane."""

    def __init__(self, server: SandboxServer, session: str | None = None):
        self.server = server
        self.session = session

    def url(self, api: str | None = None) -> str:
        return self.server.url(api)

    @property
    def headers(self) -> dict[str, str]:
        """Headers to add to API calls so they hit this handle's session (none for the default one)."""
        return {"X-Sandbox-Session": self.session} if self.session else {}

    def control(self, method: str, path: str, body: Any = None, **query) -> Any:
        query = {k: v for k, v in query.items() if v is not None}
        url = f"{self.server.base_url}/__sandbox{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={"Content-Type": "application/json", **self.headers})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise AssertionError(f"sandbox control {method} {path}: {error.code} {error.read().decode()}") from None
        return json.loads(raw) if raw else None

    def reset(self, api: str | None = None) -> None:
        self.control("POST", "/reset", api=api)

    def requests(self, **filters) -> list[dict]:
        """The journal: ``requests(api="slyk", method="POST", path="/slyk/orders*", status=409)``."""
        return self.control("GET", "/requests", **filters)["requests"]

    def fault(self, **rule) -> dict:
        """Add a fault rule: ``fault(api="shop", path="*/orders", status=503, times=1)``."""
        return self.control("POST", "/faults", rule)

    def freeze(self, now: str) -> None:
        self.control("PUT", "/clock", {"now": now})

    def advance(self, seconds: float) -> None:
        self.control("PUT", "/clock", {"advance_seconds": seconds})

    def unfreeze(self) -> None:
        self.control("DELETE", "/clock")

    def snapshot(self, name: str = "snapshot", api: str | None = None) -> str:
        self.control("POST", f"/snapshots/{urllib.parse.quote(name)}", api=api)
        return name

    def restore(self, name: str = "snapshot") -> None:
        self.control("POST", f"/snapshots/{urllib.parse.quote(name)}/restore")

    def subscribe(self, api: str, url: str, events: list[str] | None = None) -> dict:
        """Subscribe a URL to an API's webhooks (all its events when ``events`` is None)."""
        return self.control("POST", "/webhooks", {"api": api, "url": url, **({"events": events} if events else {})})

    def outbox(self, **filters) -> list[dict]:
        return self.control("GET", "/webhooks/outbox", **filters)["events"]

    def flush(self) -> list[dict]:
        """Deliver every pending webhook now; returns the outbox."""
        return self.control("POST", "/webhooks/flush")["events"]

    def state(self, api: str | None = None) -> dict:
        return self.control("GET", "/state", api=api)["apis"]

    def make(self, api: str, table: str, count: int = 1, **overrides) -> list[dict]:
        """Records made the way the API makes them: ``make("shop", "orders", 3, status="processing")``."""
        path = f"/factories/{urllib.parse.quote(api)}/{urllib.parse.quote(table)}"
        return self.control("POST", path, overrides, count=count)["records"]

    def scenario(self, api: str, name: str) -> dict[str, list[dict]]:
        """A named arrangement (``GET /__sandbox/scenarios``): table -> the records it made."""
        return self.control("POST", f"/scenarios/{urllib.parse.quote(api)}/{urllib.parse.quote(name)}", {})["records"]

    def clean(self) -> None:
        """Seeded state, empty journal, no faults, no snapshots, no webhooks, real time."""
        self.reset()
        self.control("DELETE", "/requests")
        self.control("DELETE", "/faults")
        self.control("DELETE", "/snapshots")
        self.control("DELETE", "/clock")


@pytest.fixture(scope="session")
def sandbox_server():
    server = SandboxServer()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    handle = Sandbox(sandbox_server)
    handle.clean()
    return handle


@pytest.fixture
def sandbox_app():
    from sandbox import create_app
    from sandbox.config import TEST_CONFIG

    return create_app(TEST_CONFIG)


@pytest.fixture
def sandbox_client(sandbox_app):
    return sandbox_app.test_client()
