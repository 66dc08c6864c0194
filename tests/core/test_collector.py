"""sandbox/core/collector.py: what a served sandbox does with CPython's cyclic collector."""

import gc
import threading

from sandbox.core import collector
from sandbox.core.collector import SurvivorFreezer, freezing_survivors


class Cycle:
    def __init__(self):
        self.me = self


def _installed(freezer):
    """gc.collect(n) with the freezer as a real gc.callbacks entry."""
    class Installed:
        def __enter__(self):
            freezer.install()
            return freezer

        def __exit__(self, *exc):
            freezer.remove()
    return Installed()


def _frozen_start() -> int:
    """As a served sandbox starts: everything alive frozen (its seeded states), the oldest generation empty."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def test_what_survives_a_middle_collection_is_frozen_there_and_then():
    start = _frozen_start()
    try:
        with _installed(SurvivorFreezer(growth=1.0, floor=10**9)) as freezer:
            kept = [{"n": [n]} for n in range(5000)]
            gc.collect(1)                              # survivors go to the oldest generation, and on to frozen
            assert gc.get_freeze_count() >= start + 2 * len(kept)
            assert len(gc.get_objects(2)) < 100         # the oldest generation stays all but empty
            assert freezer.frozen_since >= 2 * len(kept) and not freezer.walking
    finally:
        gc.unfreeze()


def test_younger_collections_freeze_nothing():
    gc.unfreeze()
    freezer = SurvivorFreezer()
    freezer("stop", {"generation": 0, "collected": 0, "uncollectable": 0})
    assert gc.get_freeze_count() == 0


def test_once_the_frozen_heap_has_grown_by_its_size_the_next_full_collection_walks_and_frees_it():
    _frozen_start()
    try:
        with _installed(SurvivorFreezer(growth=1.0, floor=1000)) as freezer:
            cycle = Cycle()
            kept = [{"n": [n]} for n in range(2000)]
            gc.collect(1)                              # frozen: the cycle alive, and 4,000 more than at the start
            assert freezer.walking and gc.get_freeze_count() == 0     # grown past the floor: unfrozen
            del cycle
            gc.collect(1)                              # a middle collection leaves it to the full one
            assert freezer.walking and any(type(obj) is Cycle for obj in gc.get_objects())
            gc.collect()
            assert freezer.full_walks == 1 and not freezer.walking
            assert not any(type(obj) is Cycle for obj in gc.get_objects())
            assert gc.get_freeze_count() >= 2 * len(kept) and freezer.frozen_since == 0
    finally:
        gc.unfreeze()


def test_what_was_frozen_and_died_since_does_not_count_as_growth():
    # The journal's and the outbox's rings: each request freezes a few objects that die a thousand requests later.
    start = _frozen_start()
    try:
        with _installed(SurvivorFreezer(growth=1.0, floor=6000)) as freezer:
            for _ in range(8):                       # 16,000 frozen in all, each round's dead by the next
                churn = [{"n": [n]} for n in range(1000)]
                gc.collect(1)
                del churn
            assert freezer.full_walks == 0 and not freezer.walking
            assert gc.get_freeze_count() < start + 6000 and freezer.frozen_since < 6000
    finally:
        gc.unfreeze()


def test_a_threads_time_in_the_collector_is_its_own():
    with collector.timing_collections():
        before = collector.seconds_collecting()
        heap = [[n] for n in range(200_000)]
        gc.collect()
        mine = collector.seconds_collecting() - before
        assert mine > 0

        others = []
        other = threading.Thread(target=lambda: (gc.collect(), others.append(collector.seconds_collecting())))
        other.start()
        other.join()
        assert others[0] > 0 and collector.seconds_collecting() - before == mine
        del heap
    assert _time_collection_removed()


def _time_collection_removed() -> bool:
    return collector._time_collection not in gc.callbacks


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


def test_a_freeze_of_its_own_here_is_the_serving_freezers_new_baseline_not_growth():
    # A bench run imports 20,000 carts (store.py: refreeze_everything); counted as growth, they brought the next
    # walk of the whole frozen heap into the run's load.
    _frozen_start()
    try:
        with _installed(SurvivorFreezer(floor=10**9)) as freezer:
            imported = [{"n": [n]} for n in range(5000)]
            collector.refreeze_everything()
            assert not freezer.walking and freezer.frozen_since == 0
            assert freezer.walked == gc.get_freeze_count() >= 2 * len(imported)
    finally:
        gc.unfreeze()


def test_a_walk_that_has_come_due_waits_for_an_idle_moment_up_to_twice_the_growth():
    _frozen_start()
    try:
        with _installed(SurvivorFreezer(growth=1.0, floor=10_000)) as freezer:
            cycle = Cycle()
            kept = [{"n": [n]} for n in range(6000)]        # 12,000 frozen: due (10,000), not yet overdue
            gc.collect(1)
            assert freezer.walk_due and not freezer.walking and gc.get_freeze_count() > 0
            del cycle
            assert freezer.walk_if_due()                    # the idle moment: walked now, the dead cycle freed
            assert freezer.full_walks == 1 and not freezer.walk_due and not freezer.walking
            assert not any(type(obj) is Cycle for obj in gc.get_objects())
            assert not freezer.walk_if_due()                # nothing due any more
            more = [{"n": [n]} for n in range(20_000)]      # 40,000 more: past twice the growth with no idle moment
            gc.collect(1)
            # walked by the next full collection, or already by one that came due while the list was built
            assert (freezer.walking and gc.get_freeze_count() == 0) or freezer.full_walks == 2
            del kept, more
    finally:
        gc.unfreeze()
