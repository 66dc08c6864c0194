"""The access log: one line per request, ``09:30:15 GET /slyk/orders?page[size]=5 200 0.8ms``.

A request only puts a tuple on a bounded queue; a thread of its own formats the lines and writes them, as many
as are waiting (or arrive within ``GATHER_S``) in one write, so a watched terminal still shows each request at once. That thread is the only
one that can block on the stream: when its reader is slow or never reads (a parent's pipe nobody drains),
the queue fills and further lines are dropped and counted; when the reader is gone (``sandbox serve | head``),
lines are dropped too. Either way the requests answer as if nothing happened, and stderr says so once.
No logging records or formatters: they cost more per request than the sandbox's own work (make bench).
"""

from __future__ import annotations

import itertools
import os
import queue
import sys
import threading
import time
from typing import TextIO

CAPACITY = 10_000        # lines waiting to be written; beyond, lines are dropped (and counted)
GATHER_S = 0.02          # a batch of lines is written at most this long after its first request


class AccessLog:
    def __init__(self, stream: TextIO, *, capacity: int = CAPACITY, notices: TextIO | None = None):
        self.stream = stream
        self.notices = notices
        self.dropped = 0
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._capacity = capacity
        # Lines queued minus lines taken: next() on a count is atomic, a shared ``+=`` is not.
        self._queued = itertools.count(1)
        self._last_queued = 0
        self._taken = 0                # only the writer thread changes it
        self._told = False
        self._second = -1
        self._stamp = ""
        try:
            self._fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None            # a StringIO in a test: written with write()
        self._thread = threading.Thread(target=self._run, name="sandbox-access-log", daemon=True)
        self._thread.start()

    def write(self, method: str, path: str, query: str, status: int, elapsed_ms: float) -> None:
        """Called for every request: never blocks, never raises."""
        if self._last_queued - self._taken >= self._capacity:
            self._drop(1)
            return
        self._last_queued = next(self._queued)
        self._queue.put((time.time(), method, path, query, status, elapsed_ms))

    def close(self, timeout: float = 0.5) -> None:
        """Give the lines already queued ``timeout`` seconds to be written (a shutdown must not hang on them)."""
        self._queue.put(None)
        self._thread.join(timeout)

    # -- the writer thread ---------------------------------------------------------------------------
    def _line(self, when: float, method: str, path: str, query: str, status: int, elapsed_ms: float) -> str:
        second = int(when)
        if second != self._second:      # strftime once per second, not once per line
            self._second, self._stamp = second, time.strftime("%H:%M:%S", time.localtime(second))
        suffix = "?" + query if query else ""
        return f"{self._stamp} {method} {path}{suffix} {status} {elapsed_ms:.1f}ms\n"

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is not None:
                # Let the lines of the next few milliseconds gather: one wake-up of this thread (and one turn of
                # the GIL away from the requests) per batch, not per request; a terminal still shows them at once.
                time.sleep(GATHER_S)
            batch = [item]
            try:
                while len(batch) < 4096:
                    batch.append(self._queue.get_nowait())
            except queue.Empty:
                pass
            self._taken += len(batch)
            lines = [self._line(*entry) for entry in batch if entry is not None]
            if lines:
                try:
                    self._emit("".join(lines))
                except (OSError, ValueError):   # the reader is gone, or the stream was closed
                    self._drop(len(lines))
            if None in batch:
                return

    def _emit(self, text: str) -> None:
        if self._fd is None:
            self.stream.write(text)
            self.stream.flush()
            return
        data = text.encode("utf-8", "replace")
        while data:
            written = os.write(self._fd, data)
            data = data[written:]

    def _drop(self, count: int) -> None:
        self.dropped += count
        if not self._told:
            self._told = True
            # From a thread of its own: stderr may be a pipe nobody reads as well.
            threading.Thread(target=self._tell, name="sandbox-access-log-notice", daemon=True).start()

    def _tell(self) -> None:
        try:
            stream = self.notices or sys.stderr
            stream.write("order-sandbox: the access log's reader is gone or not reading: access-log lines are "
                         "being dropped; requests are unaffected\n")
            stream.flush()
        except (OSError, ValueError):
            pass
