"""The store as a unit: tables, indexes, transactions, copies, persistence."""

from __future__ import annotations

import json
import threading
import time

import pytest

from sandbox.core.persistence import AtomicJSONStorage
from sandbox.core.store import ApiState, Store, Table


def make_table():
    return Table("orders", [{"id": 1, "customer": 7}, {"id": 2, "customer": 8}], indexes=("customer",))


def test_lookup_by_id_and_by_index():
    table = make_table()
    assert table.get(2) == {"id": 2, "customer": 8}
    assert table.get(3) is None
    assert table.where("customer", 7) == [{"id": 1, "customer": 7}]
    assert table.where("customer", 9) == []


def test_insert_assigns_auto_increment_ids_and_never_reuses_them():
    table = make_table()
    created = table.insert({"customer": 9})
    assert created == {"id": 3, "customer": 9} and list(created)[0] == "id"
    table.delete(3)
    assert table.insert({"customer": 9})["id"] == 4


def test_duplicate_id_is_refused():
    with pytest.raises(KeyError):
        make_table().insert({"id": 1})


def test_update_replaces_the_record_and_moves_the_index():
    table = make_table()
    before = table.get(1)
    after = table.update(1, {"customer": 8})
    assert before == {"id": 1, "customer": 7}, "records are never edited in place"
    assert after is table.get(1)
    assert [r["id"] for r in table.where("customer", 8)] == [2, 1]
    assert table.where("customer", 7) == []


def test_copy_is_an_independent_snapshot():
    table = make_table()
    snapshot = table.copy()
    table.update(1, {"customer": 99})
    table.insert({"customer": 5})
    assert snapshot.get(1) == {"id": 1, "customer": 7} and len(snapshot) == 2
    assert snapshot.where("customer", 99) == [] and snapshot.next_id() == 3


def state_with(table):
    return ApiState("test", {"orders": table}, threading.RLock())


def test_a_failed_transaction_changes_nothing():
    table = make_table()
    state = state_with(table)
    with pytest.raises(RuntimeError):
        with state.transaction():
            table.insert({"customer": 1})
            table.update(2, {"customer": 1})
            table.delete(1)
            raise RuntimeError("refused half-way")
    assert table.all() == [{"id": 1, "customer": 7}, {"id": 2, "customer": 8}]
    assert table.where("customer", 1) == [] and table.next_id() == 3


def test_a_committed_transaction_counts_as_a_write_only_when_it_changed_something():
    table = make_table()
    state = state_with(table)
    with state.transaction():
        pass
    assert state.writes == 0
    with state.transaction():
        table.insert({"customer": 1})
    assert state.writes == 1


def test_concurrent_read_modify_write_loses_nothing():
    table = Table("counters", [{"id": 1, "n": 0}])
    state = state_with(table)

    def bump():
        for _ in range(500):
            with state.transaction():
                table.update(1, {"n": table.get(1)["n"] + 1})

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert table.get(1)["n"] == 4000


def seeded_store(data_dir=None):
    return Store({"shop": {"orders": ("user",)}},
                 {"shop": lambda: {"orders": [{"id": 1, "user": 1}, {"id": 2, "user": 2}]}}, data_dir)


def test_reset_restores_exactly_the_seeded_state():
    store = seeded_store()
    seeded = store.state("shop").export()
    with store.state("shop").transaction() as state:
        state["orders"].insert({"user": 3})
        state["orders"].update(1, {"user": 9})
    assert store.state("shop").export() != seeded
    store.reset()
    assert store.state("shop").export() == seeded
    assert store.state("shop")["orders"].next_id() == 3


def test_unknown_table_in_build_is_refused():
    with pytest.raises(KeyError):
        seeded_store().build("shop", {"nope": []})


def test_persisted_state_survives_a_restart_as_a_tinydb_file(tmp_path):
    store = seeded_store(tmp_path)
    with store.state("shop").transaction() as state:
        state["orders"].insert({"user": 3})
        state["orders"].delete(3)
        state["orders"].insert({"user": 4})
    reopened = seeded_store(tmp_path)
    assert reopened.state("shop")["orders"].all() == [{"id": 1, "user": 1}, {"id": 2, "user": 2}, {"id": 4, "user": 4}]
    assert reopened.state("shop")["orders"].next_id() == 5
    reopened.close()                    # a clean shutdown folds the log into the snapshot
    from tinydb import TinyDB
    with TinyDB(tmp_path / "shop.json", storage=AtomicJSONStorage) as db:
        assert db.table("orders").get(doc_id=3) == {"id": 4, "user": 4}


def test_an_atomic_write_that_fails_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "db.json"
    storage = AtomicJSONStorage(path)
    storage.write({"orders": {"1": {"id": 1}}})

    def broken_dumps(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(json, "dumps", broken_dumps)
    with pytest.raises(OSError):
        storage.write({"orders": {}})
    monkeypatch.undo()
    assert storage.read() == {"orders": {"1": {"id": 1}}}
    assert [p.name for p in tmp_path.iterdir()] == ["db.json"], "no temporary file is left behind"


def test_a_named_session_starts_from_the_seed_and_stays_isolated():
    store = seeded_store()
    with store.state("shop").transaction() as state:
        state["orders"].insert({"user": 3})
    ci_job = store.state("shop", "job-1")
    assert ci_job.export() == store.seeded("shop").export()
    with ci_job.transaction():
        ci_job["orders"].delete(1)
    assert len(store.state("shop")["orders"]) == 3 and len(store.state("shop", "job-1")["orders"]) == 1


def test_sessions_beyond_the_cap_evict_the_least_recently_used():
    evicted = []
    store = Store({"shop": {"orders": ()}}, {"shop": lambda: {"orders": []}}, max_sessions=2,
                  on_evict=evicted.append)
    store.state("shop", "a")
    store.state("shop", "b")
    store.state("shop", "a")          # a is now the most recently used
    store.state("shop", "c")
    assert evicted == ["b"] and store.sessions() == ["default", "a", "c"]


def test_snapshot_and_restore():
    store = seeded_store()
    saved = store.snapshot(["shop"])
    with store.state("shop").transaction() as state:
        state["orders"].delete(1)
    store.restore(saved)
    assert store.state("shop").export() == store.seeded("shop").export()
    with store.state("shop").transaction() as state:
        state["orders"].delete(2)
    assert len(saved["shop"]["orders"]) == 2, "a restored snapshot can be restored again"


def test_nested_transactions_join_the_outer_one():
    table = make_table()
    state = state_with(table)
    with pytest.raises(RuntimeError):
        with state.transaction():
            with state.transaction():
                table.insert({"customer": 1})
            table.update(1, {"customer": 2})
            raise RuntimeError("the outer one fails")
    assert table.all() == [{"id": 1, "customer": 7}, {"id": 2, "customer": 8}]


def test_after_commit_runs_only_when_the_transaction_commits():
    state = state_with(make_table())
    ran = []
    with state.transaction():
        state.after_commit(lambda: ran.append("committed"))
        assert ran == []
    assert ran == ["committed"]
    with pytest.raises(RuntimeError):
        with state.transaction():
            state.after_commit(lambda: ran.append("rolled back"))
            raise RuntimeError
    assert ran == ["committed"]
    state.after_commit(lambda: ran.append("outside"))
    assert ran == ["committed", "outside"]


def test_a_rollback_puts_updated_and_deleted_records_back_in_their_places():
    table = Table("t", [{"id": i} for i in range(1, 6)])
    state = state_with(table)
    with pytest.raises(RuntimeError):
        with state.transaction():
            table.update(2, {"x": 1})
            table.delete(4)
            table.delete(1)
            table.insert({"id": 9})
            table.delete(9)
            raise RuntimeError
    assert [r["id"] for r in table.all()] == [1, 2, 3, 4, 5] and table.get(2) == {"id": 2}


def test_copies_share_until_one_writes_and_never_leak_writes_either_way():
    original = Table("t", [{"id": i, "group": i % 2} for i in range(1, 7)], indexes=("group",))
    first, second = original.copy(), original.copy()
    first.insert({"id": 7, "group": 1})
    second.update(2, {"group": 1})
    original.delete(1)
    assert [r["id"] for r in original.where("group", 1)] == [3, 5]
    assert [r["id"] for r in first.where("group", 1)] == [1, 3, 5, 7]
    assert [r["id"] for r in second.where("group", 1)] == [1, 3, 5, 2]
    assert [r["id"] for r in second.where("group", 0)] == [4, 6] and len(first) == 7 and len(original) == 5
    third = first.copy()
    third.delete(7)
    assert first.get(7) == {"id": 7, "group": 1} and [r["id"] for r in first.where("group", 1)] == [1, 3, 5, 7]


def test_derived_results_last_until_the_next_write_of_that_table():
    table = make_table()
    calls = []

    def ids():
        calls.append(1)
        return [r["id"] for r in table.all()]
    assert table.derived("ids", ids) == [1, 2] and table.derived("ids", ids) == [1, 2] and len(calls) == 1
    snapshot = table.copy()
    table.insert({"customer": 3})
    assert table.derived("ids", ids) == [1, 2, 3] and len(calls) == 2
    assert snapshot.derived("ids", lambda: "recomputed") == [1, 2], "a copy keeps the results of its rows"


def loaded_orders() -> tuple[Table, dict]:
    rows = {1: {"id": 1, "user": 1}, 2: {"id": 2, "user": 2}, 3: {"id": 3, "user": 1}}
    return Table.loaded("orders", dict(rows), indexes=("user",)), rows


def test_a_loaded_table_builds_its_indexes_when_first_needed():
    table, rows = loaded_orders()
    assert table.where("user", 1) == [rows[1], rows[3]] and table.next_id() == 4
    written, _ = loaded_orders()
    written.insert({"user": 1})                     # the first write builds the indexes, then keeps them
    assert [r["id"] for r in written.where("user", 1)] == [1, 3, 4]
    original, _ = loaded_orders()
    clone = original.copy()
    clone.update(1, {"user": 2})
    assert original.where("user", 1) == [rows[1], rows[3]]
    assert clone.where("user", 1) == [rows[3]] and [r["id"] for r in clone.where("user", 2)] == [2, 1]


def test_a_copy_of_a_loaded_table_builds_no_index_until_a_side_needs_one():
    original, rows = loaded_orders()
    frozen = original.copy()                        # as a compaction copies the state, under the store's lock
    assert frozen.all() == list(rows.values())
    assert original._unindexed and frozen._unindexed, "reading the rows built an index"
    original.insert({"user": 1})
    assert [r["id"] for r in original.where("user", 1)] == [1, 3, 4]
    assert frozen.where("user", 1) == [rows[1], rows[3]] and len(frozen) == 3


def test_a_loaded_table_continues_after_its_highest_integer_id():
    assert Table.loaded("t", {"b": {"id": "b"}, "a": {"id": "a"}}).next_id() == 1
    assert Table.loaded("t", {"a": {"id": "a"}, 7: {"id": 7}, 2: {"id": 2}}).next_id() == 8


def test_threads_that_race_to_a_loaded_tables_first_lookup_all_see_the_whole_index():
    rows = {i: {"id": i, "user": i % 7} for i in range(1, 20001)}
    table = Table.loaded("orders", rows, indexes=("user",))
    start, found = threading.Barrier(8), []

    def look():
        start.wait()
        found.append(len(table.where("user", 3)))
    threads = [threading.Thread(target=look) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert found == [len([i for i in rows if i % 7 == 3])] * 8


def test_after_a_start_from_a_data_dir_the_loaded_indexes_are_built_in_the_background(tmp_path, monkeypatch):
    import sandbox.core.store as store_module

    many = [{"id": i, "user": i % 10} for i in range(1, 12001)]
    schemas = {"shop": {"orders": ("user",)}}
    Store(schemas, {"shop": lambda: {"orders": many}}, tmp_path).close()
    monkeypatch.setattr(store_module, "INDEX_WARMUP_DELAY_S", 0.0)
    orders = Store(schemas, {}, tmp_path).state("shop")["orders"]
    deadline = time.monotonic() + 10
    while orders.indexes_pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not orders.indexes_pending, "no request asked, yet the indexes should have been built"
    assert [r["id"] for r in orders.where("user", 3)][:2] == [3, 13]

    few = Store(schemas, {"shop": lambda: {"orders": many[:50]}}, tmp_path / "few")
    few.close()
    small = Store(schemas, {}, tmp_path / "few").state("shop")["orders"]
    time.sleep(0.05)
    assert small.indexes_pending, "a small table is left to the first request that needs it"
