"""The access log: one line per request, ``09:30:15 GET /slyk/orders?page[size]=5 200 0.8ms``.

Written straight to the stream and flushed per line, so a watched terminal shows each request at once;
no logging records or formatters, which cost more per request than the sandbox's own work (make bench)."""

from __future__ import annotations

import threading
import time
from typing import TextIO


class AccessLog:
    def __init__(self, stream: TextIO):
        self.stream = stream
        self._lock = threading.Lock()
        self._second = -1
        self._stamp = ""

    def write(self, method: str, path: str, query: bytes, status: int, elapsed_ms: float) -> None:
        second = int(time.time())
        if second != self._second:      # strftime once per second, not once per request
            self._second, self._stamp = second, time.strftime("%H:%M:%S", time.localtime(second))
        suffix = "?" + query.decode("latin-1") if query else ""
        line = f"{self._stamp} {method} {path}{suffix} {status} {elapsed_ms:.1f}ms\n"
        with self._lock:
            self.stream.write(line)
            self.stream.flush()
