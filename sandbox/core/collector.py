"""Keeping CPython's cyclic garbage collector off the records the sandbox keeps: every use of ``gc`` is here.

Seeded and loaded states, and large imports, live until the process ends or the next import: once built
they go to the permanent generation (``gc.freeze()``, after a collection so no garbage goes with them), which
full collections never walk (``freeze_survivors``, ``refreeze_everything``, ``paused(freeze=True)``).

While the server serves, a create adds records that live until the next reset, and they are containers
(dicts), so the collector tracks them. Its full collection walks every tracked object that has not been
frozen, and it runs each time the heap has grown by a quarter: under a stream of creates it stopped every
request for 40, 100, then 135 ms in three 4 s runs (slyk creates at 32 clients), growing with the heap.

So while ``Server.serve`` runs, what survives a full collection is frozen (``gc.freeze``): the next one
walks only what came after it. A survivor that dies later, outside a reference cycle, is freed by its
reference count as before. One that dies inside a cycle (a request's objects caught half-way through: a
refused request's traceback is such a cycle) would stay frozen for good, so every ``FULL_WALK_EVERY``-th
full collection unfreezes everything instead, and the one after it walks, and frees, the lot: what the
freezing can keep beyond its time is bounded by what was alive at the last few dozen full collections.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

FULL_WALK_EVERY = 32    # full collections: after this many that froze their survivors, one walks everything


def freeze_survivors() -> None:
    """What is alive now lives as long as the process (an API's seeded state, once built): collect, so no
    garbage goes with it, and freeze the rest. Only the unfrozen heap is walked."""
    gc.collect()
    gc.freeze()


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
    finally:
        if enabled:
            gc.enable()


class SurvivorFreezer:
    """A ``gc.callbacks`` entry; ``install()`` / ``remove()``, or ``with freezing_survivors():``."""

    def __init__(self, full_walk_every: int = FULL_WALK_EVERY):
        self.full_walk_every = full_walk_every
        self.full_collections = 0

    def __call__(self, phase: str, info: dict) -> None:
        if phase != "stop" or info["generation"] != 2:
            return
        self.full_collections += 1
        if self.full_collections % self.full_walk_every == 0:
            gc.unfreeze()       # the next full collection walks the frozen heap too, and frees its dead cycles
        else:
            gc.freeze()

    def install(self) -> None:
        if self not in gc.callbacks:
            gc.callbacks.append(self)

    def remove(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)


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
