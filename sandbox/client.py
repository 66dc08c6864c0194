"""A small client of the control plane (/__sandbox/), for the test handle and the ``sandbox wait|reset`` commands.

Standard library only: it runs wherever the sandbox is installed, and loads neither Flask nor the app.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

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
