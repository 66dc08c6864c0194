"""The only source of time. Everything time-dependent reads ``Clock.now()`` so that tests (and the control
plane) can freeze it or move it forward."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class Clock:
    def __init__(self):
        self._lock = threading.Lock()
        self._frozen_at: datetime | None = None
        self._offset = timedelta()

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        frozen = self._frozen_at
        if frozen is not None:
            return frozen
        return datetime.now(timezone.utc) + self._offset

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
