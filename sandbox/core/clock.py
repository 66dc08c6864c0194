"""The only source of time. Everything time-dependent reads ``Clock.now()`` so that tests (and the control
plane) can freeze it or move it forward."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

# Whether the request on this thread has read the time: an answer that depends on it is never replayed
# (core/replay.py). Per thread, since each request runs on one thread from its first step to its last.
_reads = threading.local()


class Clock:
    def __init__(self):
        self._lock = threading.Lock()
        self._frozen_at: datetime | None = None
        self._offset = timedelta()

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        _reads.seen = True
        frozen = self._frozen_at
        if frozen is not None:
            return frozen
        return datetime.now(timezone.utc) + self._offset

    @staticmethod
    def watch() -> None:
        """From here on (this thread), note whether the time is read."""
        _reads.seen = False

    @staticmethod
    def was_read() -> bool:
        """Whether the time was read on this thread since ``watch``."""
        return getattr(_reads, "seen", True)

    @staticmethod
    def unwatched(compute):
        """``compute()``, its reading of the time not noted (what core/replay.py recomputes on each replay)."""
        seen = getattr(_reads, "seen", True)
        try:
            return compute()
        finally:
            _reads.seen = seen

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self, at: datetime) -> None:
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        with self._lock:
            self._frozen_at = at.astimezone(timezone.utc)

    def advance(self, seconds: float) -> None:
        """Move time forward: a frozen clock stays frozen at the later instant; a running one runs ahead."""
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)

    def unfreeze(self) -> None:
        """Back to real time."""
        with self._lock:
            self._frozen_at = None
            self._offset = timedelta()
