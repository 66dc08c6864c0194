"""A console counter for slow start-up work (seeding tens of thousands of orders takes seconds).

Silent when the work is quick: nothing is printed until it has taken ``after`` seconds, so a default start
stays as terse as ever. On a terminal one line is redrawn in place; elsewhere (a log, a pipe) one line per
finished step."""

from __future__ import annotations

import sys
import threading
import time
from typing import Callable, TextIO, TypeVar

T = TypeVar("T")


class Progress:
    def __init__(self, label: str, total: int, stream: TextIO | None = None, *, after: float = 1.0,
                 tick: float = 0.25):
        self.label, self.total, self.after, self.tick = label, total, after, tick
        self.stream = stream or sys.stdout
        self.done = 0
        self.current = ""
        self.shown = False
        self._started = time.perf_counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._live = self.stream.isatty()
        self._ticker = threading.Thread(target=self._run, name="progress", daemon=True)

    def __enter__(self) -> "Progress":
        self._started = time.perf_counter()
        self._ticker.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._ticker.join()
        if self.shown:
            self._write(f"{self.label}: {self.done}/{self.total} done in {self.elapsed():.1f}s", final=True)

    def elapsed(self) -> float:
        return time.perf_counter() - self._started

    def track(self, name: str, work: Callable[[], T]) -> T:
        """Run one step of the work under ``name``."""
        with self._lock:
            self.current = name
        try:
            return work()
        finally:
            with self._lock:
                self.done += 1
                self.current = ""
            if not self._live and self.elapsed() >= self.after:
                self._write(f"{self.label}: {self.done}/{self.total} ({name} done) {self.elapsed():.1f}s")

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            if self._live and self.elapsed() >= self.after:
                with self._lock:
                    doing = f" ({self.current}...)" if self.current else ""
                    line = f"{self.label}: {self.done}/{self.total}{doing} {self.elapsed():.1f}s"
                self._write(line)

    def _write(self, line: str, final: bool = False) -> None:
        self.shown = True
        if self._live:
            self.stream.write("\r\033[K" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
