"""The sandbox for tests: ``SandboxServer`` (a server in a thread) and ``Sandbox`` (a handle on its control plane).

The pytest fixtures built on them live in ``order_sandbox_pytest`` (the ``pytest11`` entry point), which loads
this module only once a test uses a fixture. Outside pytest::

    from sandbox import SandboxServer

    with SandboxServer() as server:
        client = SlykClient(base_url=server.url("slyk"))

A test server is isolated from the machine it runs on: SANDBOX_DATA_DIR and SANDBOX_FIXTURES_DIR in the
environment are ignored (a developer's persisted state is neither read nor overwritten), and only the
``config`` given names a data dir or fixture files.
"""

from __future__ import annotations

import threading
import urllib.parse
from typing import Any, Iterator

from sandbox.client import SESSION_HEADER, ControlError, ControlMethods, call

def isolated_app(config: dict | None = None):
    """A fresh in-process app with test settings (``sandbox_app``)."""
    from sandbox.app import create_app
    from sandbox.config import isolated_config

    return create_app(isolated_config(config))


class SandboxServer:
    """A sandbox served on a free loopback port from a background thread; a context manager.

    ``SandboxServer(config)`` starts serving at once (``config``: create_app settings such as ``{"SEED": 7}``);
    ``url(api)`` gives a client's base URL; ``stop()`` (or leaving the ``with`` block) waits for requests in
    flight, closes every socket from the server's own thread and ends its threads.
    """

    def __init__(self, config: dict | None = None):
        from waitress.server import create_server

        self.app = isolated_app(config)
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
        """Stop serving; calling it again does nothing."""
        if not self._thread.is_alive():
            return
        from waitress import wasyncore

        server = self._server
        trigger = server.trigger

        def close_sockets() -> None:
            # On the loop thread, so that its select() never meets a descriptor closed under it (EBADF, an
            # unhandled-thread-exception warning that fails `pytest -W error`). The trigger stays open: a
            # worker's earlier pull can wake the loop into this thunk before our own pull has written its byte,
            # and that write must still find the pipe. An empty map ends the loop.
            try:
                for dispatcher in list(server._map.values()):
                    if dispatcher is trigger:
                        continue
                    # The listening socket's own close() would close the trigger with it.
                    close = wasyncore.dispatcher.close if dispatcher is server else type(dispatcher).close
                    try:
                        close(dispatcher)
                    except OSError:
                        pass
            finally:
                server._map.clear()

        # Workers first, while the trigger they pull on finishing a response is still open.
        server.task_dispatcher.shutdown(timeout=5)
        trigger.pull_trigger(close_sockets)
        self._thread.join(timeout=5)
        trigger.close()                 # no loop is left to select on it

    def __enter__(self) -> "SandboxServer":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


class Sandbox(ControlMethods):
    """A test's handle on the running sandbox, through its HTTP control plane; one session's view of it."""

    def __init__(self, server: SandboxServer, session: str | None = None, *, touched: set[str] | None = None):
        self.server = server
        self.session_name = session
        # Named sessions handed out from this handle (and its siblings): the fixture drops them after the test.
        self._touched = set() if touched is None else touched

    def session(self, name: str) -> "Sandbox":
        """The same handle for the named session ``name``: send ``.headers`` with your API calls."""
        self._touched.add(name)
        return Sandbox(self.server, name, touched=self._touched)

    def url(self, api: str | None = None) -> str:
        return self.server.url(api)

    @property
    def headers(self) -> dict[str, str]:
        """Headers to add to API calls so they hit this handle's session (none for the default one)."""
        return {SESSION_HEADER: self.session_name} if self.session_name else {}

    # ``verb``, ``path`` and ``body`` are positional-only, so any query parameter may be named like them
    # (the journal's ``method`` and ``path`` filters).
    def control(self, verb: str, path: str, body: Any = None, /, **query) -> Any:
        """Call the control plane: ``control("GET", "/requests", api="slyk")``; an error status fails the test."""
        try:
            return call(self.server.base_url, verb, path, body, query=query, headers=self.headers)
        except ControlError as error:
            raise AssertionError(str(error)) from None

    def drop_sessions(self) -> None:
        """Drop every named session: those handed out by ``session()`` (even if nothing made them live yet)
        and those a client opened by sending the session header itself."""
        from sandbox.core.store import DEFAULT_SESSION

        for name in sorted(self._touched):
            Sandbox(self.server, name).reset()      # makes it live, so that dropping it forgets all of it
        self._touched.clear()
        for name in self.control("GET", "/sessions")["sessions"]:
            if name != DEFAULT_SESSION:
                self.control("DELETE", f"/sessions/{urllib.parse.quote(name)}")


def handle_for(server: SandboxServer) -> Iterator[Sandbox]:
    """The ``sandbox`` fixture's body: a clean default session before the test, no named sessions after it."""
    handle = Sandbox(server)
    handle.drop_sessions()
    handle.clean()
    yield handle
    handle.drop_sessions()
