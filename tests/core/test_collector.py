"""sandbox/core/collector.py: what a served sandbox does with CPython's cyclic collector."""

import gc

from sandbox.core import collector
from sandbox.core.collector import SurvivorFreezer, freezing_survivors


class Cycle:
    def __init__(self):
        self.me = self


def _full_collection(freezer):
    freezer("start", {"generation": 2})
    gc.collect()
    freezer("stop", {"generation": 2, "collected": 0, "uncollectable": 0})


def test_what_survives_a_full_collection_is_frozen_and_every_nth_unfreezes_it_all():
    gc.unfreeze()
    freezer = SurvivorFreezer(full_walk_every=3)
    try:
        _full_collection(freezer)
        assert gc.get_freeze_count() > 0
        frozen = gc.get_freeze_count()
        _full_collection(freezer)
        assert gc.get_freeze_count() >= frozen
        _full_collection(freezer)                  # the third: everything is walked again from here
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


def test_younger_collections_freeze_nothing():
    gc.unfreeze()
    freezer = SurvivorFreezer()
    for generation in (0, 1):
        freezer("stop", {"generation": generation, "collected": 0, "uncollectable": 0})
    assert gc.get_freeze_count() == 0


def test_a_cycle_frozen_alive_and_dropped_later_is_freed_after_the_next_full_walk():
    gc.unfreeze()
    freezer = SurvivorFreezer(full_walk_every=2)
    try:
        cycle = Cycle()
        _full_collection(freezer)                  # frozen, alive
        assert gc.get_freeze_count() > 0
        del cycle
        _full_collection(freezer)                  # the second: unfreezes
        assert gc.get_freeze_count() == 0
        assert any(type(obj) is Cycle for obj in gc.get_objects())       # still there: it was frozen
        gc.collect()                                                     # the next full collection frees it
        assert not any(type(obj) is Cycle for obj in gc.get_objects())
    finally:
        gc.unfreeze()


def test_the_freezer_is_installed_only_while_serving_and_only_when_enabled():
    before = list(gc.callbacks)
    with freezing_survivors(False) as freezer:
        assert freezer is None and gc.callbacks == before
    with freezing_survivors(True) as freezer:
        assert gc.callbacks == before + [freezer]
    assert gc.callbacks == before


def test_a_pause_collects_nothing_and_restores_the_collector_as_it_was():
    gc.unfreeze()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    try:
        with collector.paused(freeze=True):
            built = [{"n": n} for n in range(1000)]
        assert gc.get_freeze_count() >= len(built)
    finally:
        gc.unfreeze()
