"""Keeping CPython's cyclic garbage collector off the records the sandbox keeps: every use of ``gc`` is here.

Seeded and loaded states, and large imports, live until the process ends or the next import: once built
they go to the permanent generation (``gc.freeze()``, after a collection so no garbage goes with them), which
full collections never walk (``freeze_survivors``, ``refreeze_everything``, ``paused(freeze=True)``).

While the server serves, a create adds records that live until the next reset, and they are containers
(dicts), so the collector tracks them. Its full collection walks every tracked object that has not been
frozen, and it runs each time the heap has grown by a quarter: under a stream of creates it stopped every
request for 40, 100, then 135 ms in three 4 s runs (slyk creates at 32 clients), growing with the heap.

So while ``Server.serve`` runs, what survives a collection of the middle generation is frozen there and then
(``SurvivorFreezer``): the oldest generation stays all but empty, and a full collection walks next to nothing.
Measured with slyk creates at 32 clients, 2 s runs: p99 13-18 ms (the floor's on waitress: 17-18 ms), against
21-112 ms when full collections walked what had come since the last one (20-37 ms each, once a second), and 9-13 ms
with no collector at all. A survivor that dies later, outside a reference cycle, is freed by its reference count
as before (a create leaves no cyclic garbage; a request refused by validation leaves 67 objects of it, freed by
the young collections unless it was still in flight at two of them). One that dies inside a cycle would stay
frozen for good, so once the frozen heap has grown by its size at the last full walk (and by ``FULL_WALK_FLOOR``
objects at least), everything is unfrozen and the next full collection walks, and frees, the lot: what the
freezing keeps beyond its time is at most what was alive at the last full walk (or ``FULL_WALK_FLOOR`` objects),
and each object is walked once per doubling of the heap. The walk (~100 ms at 100,000 objects) waits for a moment
when no request has come for a while (``Server`` asks ``walk_if_due``), up to twice that growth: under a load
that never pauses, the next full collection walks. Before, every 32nd full collection did that walk: 50-120 ms
every few seconds under a stream of creates, in whatever cell of ``make bench`` came next.

A collection stops whichever request allocated when it came due. The server tells a kind of request that is slow
from one the collector stopped (``seconds_collecting``): one 30 ms collection counted as a slow create sent the
next 55-66 creates to the thread pool, where they waited for the GIL behind granian's thread.
"""

from __future__ import annotations

import gc
import threading
import time
from contextlib import contextmanager
from typing import Iterator

FULL_WALK_GROWTH = 2.0      # the frozen heap may grow to this many times its size at the last full walk
FULL_WALK_FLOOR = 200_000   # ... and by this many objects at least, so that a small heap is not walked over and over
FULL_WALK_LATEST = 2.0      # grown by this many times that and still no idle moment to walk it in: walked anyway


def freeze_survivors() -> None:
    """What is alive now lives as long as the process (an API's seeded state, once built): collect, so no
    garbage goes with it, and freeze the rest. Only the unfrozen heap is walked."""
    gc.collect()
    gc.freeze()
    _rebase()


def _rebase() -> None:
    """After a freeze of its own here (seeding, an import): what it froze is the serving freezer's new baseline,
    not growth (a bench run's import of 20,000 carts, counted as growth, brought the next full walk into its load)."""
    for callback in gc.callbacks:
        if isinstance(callback, SurvivorFreezer):
            callback.rebase()


def refreeze_everything() -> None:
    """As ``freeze_survivors``, after unfreezing what earlier calls froze: what has died since in a cycle is
    freed, so any number of calls (one per large import) leaves nothing frozen behind
    (tests/robustness/test_bounds.py)."""
    gc.unfreeze()
    freeze_survivors()


@contextmanager
def paused(*, freeze: bool = False) -> Iterator[None]:
    """No collection while a large state is built (none would free anything); ``freeze``: what was built is
    long-lived, so it goes to the permanent generation (collected first, while the heap is small)."""
    if freeze:
        gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if freeze:
            gc.freeze()
            _rebase()
    finally:
        if enabled:
            gc.enable()


class SurvivorFreezer:
    """A ``gc.callbacks`` entry; ``install()`` / ``remove()``, or ``with freezing_survivors():``.

    It acts after each collection of the middle generation, whose survivors CPython has just moved to the oldest:
    they are frozen there and then, so the oldest generation stays all but empty and its (automatic) collections
    cost next to nothing. What was frozen is counted from the oldest generation's list before it is frozen (only
    what was just moved there): ``gc.get_freeze_count()`` walks the whole frozen list, 16 times a second here."""

    def __init__(self, growth: float = FULL_WALK_GROWTH, floor: int = FULL_WALK_FLOOR):
        self.growth, self.floor = growth, floor
        self.walked = gc.get_freeze_count()     # frozen after the last full walk (the seeded states, at the start)
        self.frozen_since = 0                   # frozen since then (or since the walk came due)
        self.walk_due = False                   # grown enough: the next idle moment walks (``walk_if_due``)
        self.walking = False                    # the next full collection walks the frozen heap too
        self.full_walks = 0

    def __call__(self, phase: str, info: dict) -> None:
        if phase != "stop" or info["generation"] == 0:
            return
        if self.walking:
            if info["generation"] == 1:
                return          # left for the full collection that walks everything
            self.walking = False
            self.full_walks += 1
            self.walked, self.frozen_since = len(gc.get_objects(2)), 0
            gc.freeze()
            return
        self.frozen_since += len(gc.get_objects(2))
        gc.freeze()
        due = max(self.walked * (self.growth - 1), self.floor)
        if self.frozen_since >= due:
            # That count includes what has died since (the journal's and the outbox's rings churn): the frozen heap's
            # own size, walked once per ``due`` objects frozen, tells whether it has really grown that much.
            grown = gc.get_freeze_count() - self.walked
            if grown >= due * FULL_WALK_LATEST:
                self._walk_next()                   # no idle moment came: the next full collection walks
            elif grown >= due:
                self.walk_due, self.frozen_since = True, 0
            else:
                self.frozen_since = max(grown, 0)

    def walk_if_due(self) -> bool:
        """At an idle moment (the server's loop: no request came for a while): walk the frozen heap now, if it has
        grown enough; a request that comes meanwhile waits for it (~1 ms per 1,000 objects frozen)."""
        if not self.walk_due:
            return False
        self._walk_next()
        gc.collect()
        return True

    def _walk_next(self) -> None:
        gc.unfreeze()           # the next full collection walks the frozen heap too, and frees its dead cycles
        self.walking, self.walk_due = True, False

    def rebase(self) -> None:
        self.walking, self.walk_due, self.walked, self.frozen_since = False, False, gc.get_freeze_count(), 0

    def install(self) -> None:
        if self not in gc.callbacks:
            gc.callbacks.append(self)

    def remove(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)


_this_thread = threading.local()


def _time_collection(phase: str, info: dict) -> None:
    now = time.perf_counter()
    if phase == "start":
        _this_thread.started = now
    else:
        _this_thread.total = getattr(_this_thread, "total", 0.0) + now - getattr(_this_thread, "started", now)


def seconds_collecting() -> float:
    """Seconds the calling thread has spent in the cyclic collector while ``timing_collections`` was on."""
    return getattr(_this_thread, "total", 0.0)


@contextmanager
def timing_collections() -> Iterator[None]:
    gc.callbacks.append(_time_collection)
    try:
        yield
    finally:
        gc.callbacks.remove(_time_collection)


@contextmanager
def freezing_survivors(enabled: bool = True) -> Iterator[SurvivorFreezer | None]:
    if not enabled:
        yield None
        return
    freezer = SurvivorFreezer()
    freezer.install()
    try:
        yield freezer
    finally:
        freezer.remove()
