"""The request journal: every request to an emulated API, newest last, per session, bounded in memory.

An entry keeps what crossed the wire as it came (epoch time, raw query string, the WSGI environ's header
pairs, body bytes) and is decoded, parsed, named and masked only when someone reads the journal, so
recording costs a few microseconds per request."""

from __future__ import annotations

import fnmatch
import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable
from urllib.parse import parse_qs

from sandbox.core.validation import int_id

SECRET_HEADERS = frozenset({"authorization", "x-api-key", "apikey", "x-access-token", "cookie",
                            "x-sandbox-admin-token", "proxy-authorization"})
BODY_LIMIT = 64 * 1024   # bytes of a body kept per entry


def mask(name: str, value: str, secret: Iterable[str] = SECRET_HEADERS) -> str:
    """``Bearer abc`` -> ``Bearer ***``; a bare key -> ``***``: enough to see what was sent, never the secret."""
    if name.lower() not in secret:
        return value
    scheme, _, rest = value.partition(" ")
    return f"{scheme} ***" if rest else "***"


def header_name(key: str) -> str:
    """``HTTP_X_API_KEY`` -> ``X-Api-Key`` (as Werkzeug names the environ's headers); names pass unchanged."""
    if key[:5] == "HTTP_":
        key = key[5:]
    elif key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        return key
    return key.replace("_", "-").title()


def _decode(raw: bytes, truncated: bool) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if not truncated:
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text + ("…" if truncated else "")


@dataclass
class Entry:
    seq: int
    time: float                         # epoch seconds
    api: str
    method: str
    path: str
    query: str                          # the raw query string (WSGI's latin-1)
    headers: list[tuple[str, str]]      # as the WSGI environ holds them: ("HTTP_X_API_KEY", value)
    secret: frozenset[str]              # lower-case names of the headers to mask when read
    request_body: bytes
    status: int
    response_body: bytes
    duration_ms: float
    truncated: tuple[bool, bool] = field(default=(False, False))

    def as_json(self) -> dict:
        return {
            "seq": self.seq,
            "time": datetime.fromtimestamp(self.time, timezone.utc).isoformat().replace("+00:00", "Z"),
            "api": self.api,
            "method": self.method,
            "path": self.path,
            "query": parse_qs(self.query, keep_blank_values=True),
            "headers": {name: mask(name, value, self.secret)
                        for name, value in ((header_name(key), value) for key, value in self.headers)},
            "body": _decode(self.request_body, self.truncated[0]),
            "status": self.status,
            "response": _decode(self.response_body, self.truncated[1]),
            "duration_ms": round(self.duration_ms, 3),
        }


class Journal:
    """Per session at most ``size`` entries and ``max_bytes`` of kept bodies, the oldest dropped first.
    Sessions are the store's: one the store evicts is cleared here too (``clear``)."""

    def __init__(self, size: int = 1000, max_bytes: int = 4 * 1024 * 1024):
        self.size = size
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: dict[str, deque[Entry]] = {}
        self._bytes: dict[str, int] = {}
        self._seq = itertools.count(1)

    def next_seq(self) -> int:
        """Taken when a request arrives, so the journal is in arrival order whatever order requests end in."""
        return next(self._seq)

    def record(self, session: str, **fields) -> None:
        request_body, response_body = fields.pop("request_body"), fields.pop("response_body")
        entry = Entry(request_body=request_body[:BODY_LIMIT],
                      response_body=response_body[:BODY_LIMIT],
                      truncated=(len(request_body) > BODY_LIMIT, len(response_body) > BODY_LIMIT), **fields)
        size = _weight(entry)
        with self._lock:
            entries = self._entries.get(session)
            if entries is None:
                entries = self._entries[session] = deque()
            entries.append(entry)
            kept = self._bytes.get(session, 0) + size
            while len(entries) > self.size or (kept > self.max_bytes and len(entries) > 1):
                kept -= _weight(entries.popleft())
            self._bytes[session] = kept

    def entries(self, session: str, *, api: str | None = None, method: str | None = None,
                path: str | None = None, status: int | None = None, since: str | None = None) -> list[Entry]:
        """Entries, oldest first; ``path`` is a glob; ``since`` a sequence number or an ISO time (exclusive)."""
        with self._lock:
            found = sorted(self._entries.get(session, ()), key=lambda e: e.seq)
        if api:
            found = [e for e in found if e.api == api]
        if method:
            found = [e for e in found if e.method == method.upper()]
        if path:
            found = [e for e in found if fnmatch.fnmatchcase(e.path, path)]
        if status is not None:
            found = [e for e in found if e.status == status]
        if since:
            if since.isdigit():
                after = int_id(since)           # None: more digits than any sequence number has
                found = [e for e in found if after is not None and e.seq > after]
            else:
                moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=timezone.utc)
                found = [e for e in found if e.time > moment.timestamp()]
        return found

    def clear(self, session: str) -> int:
        with self._lock:
            self._bytes.pop(session, None)
            return len(self._entries.pop(session, ()))


def _weight(entry: Entry) -> int:
    """What an entry costs against the byte bound: its bodies and headers, as kept."""
    return len(entry.request_body) + len(entry.response_body) + sum(len(n) + len(v) for n, v in entry.headers)
