"""A small client of the control plane (/__sandbox/), for the test handle and the ``sandbox wait|reset`` commands.

Standard library only: it runs wherever the sandbox is installed, and loads neither Flask nor the app.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable

# The server's own names for these headers (sandbox.app.SESSION_HEADER, sandbox.control.ADMIN_HEADER; a test
# checks they agree), repeated here so that a client never imports the server.
SESSION_HEADER = "X-Sandbox-Session"
ADMIN_HEADER = "X-Sandbox-Admin-Token"


class ControlError(Exception):
    """The control plane answered with an error status."""

    def __init__(self, verb: str, path: str, status: int, body: str):
        super().__init__(f"sandbox control {verb} {path}: {status} {body}")
        self.status, self.body = status, body

    @property
    def message(self) -> str:
        """The control plane's own ``message``, else its whole body."""
        try:
            return json.loads(self.body)["message"]
        except (ValueError, KeyError, TypeError):
            return self.body


def call(base_url: str, verb: str, path: str, body: Any = None, *, query: dict | None = None,
         headers: dict[str, str] | None = None, timeout: float = 30) -> Any:
    """``verb`` ``base_url``/__sandbox``path``; the decoded JSON answer (None when empty). Raises ControlError
    for an error status and OSError when the sandbox cannot be reached."""
    query = {k: v for k, v in (query or {}).items() if v is not None}
    url = f"{base_url.rstrip('/')}/__sandbox{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=verb,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raise ControlError(verb, path, error.code, error.read().decode(errors="replace")) from None
    return json.loads(raw) if raw else None


class ControlMethods:
    """The control plane's calls as methods, for a handle class that defines ``control(verb, path, body, /,
    **query)``: the pytest plugin's ``Sandbox`` (over HTTP) and ``sandbox.mock()``'s ``Mock`` (in process)."""

    control: Callable[..., Any]     # defined by the handle class

    def reset(self, api: str | None = None) -> None:
        """Back to the seeded state (one API, or all)."""
        self.control("POST", "/reset", api=api)

    def clean(self) -> None:
        """This session back to the seeded state (webhook subscriptions and outbox go with a reset), with an
        empty journal, no fault rules, no snapshots and real time."""
        self.reset()
        for resource in ("/requests", "/faults", "/snapshots", "/clock"):
            self.control("DELETE", resource)

    def requests(self, **filters) -> list[dict]:
        """The journal, oldest first, filtered as GET /__sandbox/requests filters it:
        ``requests(api="slyk", method="POST", path="*/orders*", status=409, since=12, limit=5)``."""
        return self.control("GET", "/requests", **filters)["requests"]

    def fault(self, **rule) -> dict:
        """Add a fault rule: ``fault(api="shop", path="*/orders", status=503, times=1)``."""
        return self.control("POST", "/faults", rule)

    def faults(self) -> list[dict]:
        return self.control("GET", "/faults")["faults"]

    def freeze(self, now: str) -> None:
        self.control("PUT", "/clock", {"now": now})

    def advance(self, seconds: float) -> None:
        self.control("PUT", "/clock", {"advance_seconds": seconds})

    def unfreeze(self) -> None:
        self.control("DELETE", "/clock")

    def state(self, api: str | None = None) -> dict:
        return self.control("GET", "/state", api=api)["apis"]

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

    def make(self, api: str, table: str, count: int = 1, **overrides) -> list[dict]:
        """Records made the way the API makes them: ``make("shop", "orders", 3, status="processing")``."""
        path = f"/factories/{urllib.parse.quote(api)}/{urllib.parse.quote(table)}"
        return self.control("POST", path, overrides, count=count)["records"]

    def scenario(self, api: str, name: str) -> dict[str, list[dict]]:
        """A named arrangement (``GET /__sandbox/scenarios``): table -> the records it made."""
        return self.control("POST", f"/scenarios/{urllib.parse.quote(api)}/{urllib.parse.quote(name)}", {})["records"]
