"""Answers kept for replay: a GET sent again, byte for byte, to a state that has not changed gets the answer it
got before, without running the app again.

Why: a client polls (an order's status, a list page) far more often than it writes, and the app's request path
(Flask's request set-up, routing, auth, the view, its JSON) costs a few hundred microseconds of the one GIL for
an answer that a state that has not changed already gave. The server (sandbox/server.py) looks the request up on
its event loop before it would hand it to a thread; a hit is answered there, journaled and logged like any
request (core/lifecycle.py), and costs a dict lookup.

When an answer is kept, and when it is served again:
- only a GET to an emulated API (never the control plane or the pages), with no body, that fired no fault rule,
  answered 2xx, set no cookie, and did not read the clock (``Clock.was_read``): an answer that depends on the time
  is recomputed on each request;
- the key is the whole request as it came: method, path, query string and every header in order (so the
  credentials, ``Host``, ``Origin`` and ``X-Sandbox-Session`` are in it), so two requests share an answer only if
  the app could not tell them apart;
- it is kept under the store's change count (``store.Changes``), read before the app ran and again after it;
  every change (a commit, a rollback, a reset or restore, an evicted session) and every request that is not a GET
  (the control plane's too: faults, the clock, tokens) moves the count on, and nothing is served while a change
  is under way. So a replayed answer is always the one the app would give now.
- what an API computes on every request whatever the state (mittwald's rate-limit headers) is registered with
  ``per_request`` and recomputed on each replay;
- bounded (README "Bounds"): ``SANDBOX_REPLAY_ENTRIES`` answers and ``SANDBOX_REPLAY_BYTES`` of bodies; beyond
  either the oldest go first; ``SANDBOX_REPLAY_ENTRIES=0`` turns replay off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Mapping

from sandbox.core.clock import Clock
from sandbox.core.store import Changes

# Set in the environ by core/lifecycle.py when an answer may be kept: what the journal needs to record a replay.
REPLAYABLE = "sandbox.replayable"
PER_REQUEST = "sandbox.per_request"


@dataclass(frozen=True)
class Replayable:
    """What the journal and the access log record for each replay of an answer (core/lifecycle.py)."""
    api: str
    session: str                            # a named one is touched (kept alive) by each replay
    path: str
    query: str
    headers: list                           # the journal's raw header pairs (the key holds the same headers)
    secret: frozenset


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    request: Replayable
    per_request: tuple[Callable[[], Mapping[str, str]], ...] = ()

    def headers_now(self) -> list[tuple[str, str]]:
        """The kept headers, with what ``per_request`` computes for this replay in their places."""
        if not self.per_request:
            return self.headers
        fresh: dict[str, str] = {}
        for compute in self.per_request:
            fresh.update(compute())
        return [(name, fresh.get(name, value)) for name, value in self.headers]


def per_request(environ: dict, clock: Clock, compute: Callable[[], Mapping[str, str]]) -> Mapping[str, str]:
    """Headers that an API computes on every request whatever its state (a rate-limit counter): computed now,
    and again on each replay of this answer. The time ``compute`` reads does not make the answer unkeepable."""
    environ.setdefault(PER_REQUEST, []).append(compute)
    return clock.unwatched(compute)


class Replays:
    """The kept answers of one app. ``lookup`` runs on the server's event loop, ``keep`` on the app's threads."""

    def __init__(self, changes: Changes, max_entries: int, max_bytes: int):
        self.changes = changes
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        # The change count the kept answers belong to, and the answers: one tuple, replaced whole, so that a
        # lookup never reads answers of one count under another.
        self._kept: tuple[int | None, OrderedDict[tuple, Answer]] = (None, OrderedDict())
        self._bytes = 0
        self.hits = 0                           # answers given again (only the event loop counts them)

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0

    def lookup(self, key: tuple) -> Answer | None:
        stamp = self.changes.stamp()
        kept_at, answers = self._kept
        if stamp is None or stamp != kept_at:
            return None
        answer = answers.get(key)
        if answer is not None:
            self.hits += 1
        return answer

    def keep(self, key: tuple, stamp: int | None, answer: Answer) -> None:
        """Keep ``answer`` if the state has not changed since ``stamp`` (taken before the app ran)."""
        size = len(answer.body)
        if stamp is None or size > self.max_bytes:
            return
        with self._lock:
            if self.changes.stamp() != stamp:
                return                          # it changed while the app ran: the answer may mix both states
            kept_at, answers = self._kept
            if kept_at != stamp:
                answers, self._bytes = OrderedDict(), 0
                self._kept = (stamp, answers)
            old = answers.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            while answers and (len(answers) >= self.max_entries or self._bytes + size > self.max_bytes):
                _, dropped = answers.popitem(last=False)
                self._bytes -= len(dropped.body)
            answers[key] = answer
            self._bytes += size

    def __len__(self) -> int:
        return len(self._kept[1])
