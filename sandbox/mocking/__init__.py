"""``sandbox.mock()``: the vendors' own hosts answered in process, with no server and no base URL changed.

Inside ``with sandbox.mock() as mock:`` (or under ``@sandbox.mock()``), every call that requests or httpx
makes to https://api.slyk.io, https://api.mittwald.de, https://appx-api.mysticky.co.uk/api/v1 or
https://appx-api2.mysticky.co.uk/api/v1 (and to the shop's and formations' hosts once named) is answered by
a sandbox app of the mock's own (``create_app``, test configuration, seeded state), called through WSGI
with the vendor's scheme, host and paths, so links in answers point at the host the client called.

Not emulated: TLS, DNS, sockets and timeouts (a call never leaves the process); a fault's ``delay_ms``
blocks the calling thread (an async client's event loop too). A fault that drops the connection raises the
client's own disconnect error; the journal shows it as 499, as under a server.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any
from urllib.parse import quote

from sandbox.client import ControlMethods
from sandbox.control.base import bp as control_plane
from sandbox.mocking.clients import Dropped, HostBlocked, Reply, interceptors
from sandbox.mocking.hosts import HOSTS_VARIABLE, ApiPlace, HostsArgument, VendorHosts

__all__ = ["Mock", "mock", "HostBlocked", "HOSTS_VARIABLE"]

# The WSGI environ carries these itself (from the URL and the body): a client's copies would disagree.
SET_BY_WSGI = {"host", "content-length", "transfer-encoding"}


class Mock(ControlMethods):
    """The handle of one in-process sandbox and the interception of its vendors' hosts.

    ``start()``/``stop()`` (or ``with``, or the decorator) switch interception on and off. The first
    activation starts from the seeded state (plus whatever was arranged on the handle before it); every
    later one starts clean again (state, journal, faults, snapshots, webhooks, sessions, clock). The
    control methods (``sandbox.client.ControlMethods``: reset, requests, fault, freeze, make, scenario, ...)
    work at any time, inside or outside an activation; ``control()`` reaches every /__sandbox route.
    """

    def __init__(self, hosts: HostsArgument | None = None, *, block_other_hosts: bool = False,
                 config: dict | None = None):
        from sandbox.config import isolated_config
        from sandbox.registry import load_apis

        self.config = isolated_config(config)
        specs = load_apis(self.config.get("APIS"))
        self.hosts = VendorHosts.build([ApiPlace(s.name, s.mount, s.base_path, s.public_urls) for s in specs],
                                       hosts)
        self.block_other_hosts = block_other_hosts
        self._app = None
        self._client = None
        self._active: list = []
        self._used = False

    # -- activation ---------------------------------------------------------------------------------
    def start(self) -> "Mock":
        if self._active:
            raise RuntimeError("this sandbox.mock() is already active; stop it first, or make another")
        if self._used:
            self.clean()
        self._used = True
        started = []
        try:
            for interceptor in interceptors(self.hosts, self.serve, self.block_other_hosts):
                interceptor.start()
                started.append(interceptor)
        except BaseException:
            for interceptor in reversed(started):
                interceptor.stop()
            raise
        self.client      # the app exists before the first call, so no call pays for seeding
        self._active = started
        return self

    def stop(self) -> None:
        active, self._active = self._active, []
        for interceptor in reversed(active):
            interceptor.stop()

    @property
    def active(self) -> bool:
        return bool(self._active)

    def __enter__(self) -> "Mock":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __call__(self, func):
        """``@sandbox.mock()``: each call of ``func`` (sync or async) runs inside its own activation."""
        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def run_async(*args, **kwargs):
                with self:
                    return await func(*args, **kwargs)
            return run_async

        @functools.wraps(func)
        def run(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return run

    # -- the in-process sandbox ---------------------------------------------------------------------
    @property
    def app(self):
        """The Flask app that answers (built on first use)."""
        if self._app is None:
            from sandbox.app import create_app

            self._app = create_app(self.config)
        return self._app

    @property
    def client(self):
        if self._client is None:
            self._client = self.app.test_client(use_cookies=False)
        return self._client

    def serve(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes) -> Reply:
        """One intercepted call, answered by the app as the vendor's host (see ``VendorHosts.resolve``)."""
        from sandbox.core.api import DROP_CONNECTION, PUBLIC_MOUNT

        target = self.hosts.resolve(url)
        dropped = []
        response = self.client.open(
            target.path, base_url=target.origin, query_string=target.query, method=method,
            headers=[(name, value) for name, value in headers if name.lower() not in SET_BY_WSGI],
            data=body or None,
            environ_overrides={PUBLIC_MOUNT: target.public_mount, DROP_CONNECTION: lambda: dropped.append(True)})
        try:
            if dropped:          # the app journaled the call (499); the client gets no answer at all
                raise Dropped(url)
            return Reply(response.status_code, response.headers.to_wsgi_list(), response.get_data())
        finally:
            response.close()

    def url(self, api: str) -> str:
        """The base URL a client of ``api`` uses (its first served host): ``url("slyk")`` -> https://api.slyk.io."""
        urls = self.hosts.urls(api)
        if not urls:
            raise LookupError(f"sandbox.mock() serves no host for {api!r}: name one with "
                              f"sandbox.mock(hosts={{{api!r}: 'https://...'}}) or {HOSTS_VARIABLE}")
        return urls[0]

    # -- the control plane, in process ---------------------------------------------------------------
    # ``verb``, ``path`` and ``body`` are positional-only, so a query parameter may have any name (the
    # journal's ``method`` and ``path`` filters); the same signature as the pytest plugin's handle.
    def control(self, verb: str, path: str, body: Any = None, /, **query) -> Any:
        """Any /__sandbox call: ``control("GET", "/rules", api="slyk")``; an error status fails the test."""
        query = {key: value for key, value in query.items() if value is not None}
        response = self.client.open(control_plane.url_prefix + path, method=verb, json=body, query_string=query)
        if response.status_code >= 400:
            raise AssertionError(f"sandbox control {verb} {path}: {response.status_code} {response.get_data(True)}")
        return response.get_json(silent=True)

    def clean(self) -> None:
        """Seeded state, empty journal, no faults, snapshots, webhooks or named sessions, real time."""
        from sandbox.core.store import DEFAULT_SESSION

        for session in self.control("GET", "/sessions")["sessions"]:
            if session != DEFAULT_SESSION:
                self.control("DELETE", f"/sessions/{quote(session)}")
        super().clean()


def mock(hosts: HostsArgument | None = None, *, block_other_hosts: bool = False, config: dict | None = None) -> Mock:
    """Serve the vendors' own hosts from an in-process sandbox: ``with sandbox.mock() as mock:`` or
    ``@sandbox.mock()``.

    ``hosts`` names or replaces an API's base URLs (``{"shop": "https://shop.example.com"}``, a list for
    several, ``()`` for none); ``SANDBOX_MOCK_HOSTS`` does the same from the environment (``hosts`` wins).
    Calls to any other host go on as they would without the mock, unless ``block_other_hosts`` refuses
    them with ``HostBlocked``. ``config`` goes to ``create_app`` over the test configuration."""
    return Mock(hosts, block_other_hosts=block_other_hosts, config=config)


mock.HostBlocked = HostBlocked   # pytest.raises(sandbox.mock.HostBlocked)
