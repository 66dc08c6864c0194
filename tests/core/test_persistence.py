"""The commit protocol and the data directory as units: a change counts only once it is kept on disk, a
failure to keep it changes nothing, and the files always load (snapshot + append-only log)."""

from __future__ import annotations

import errno
import os
import threading
import time

import pytest
from tinydb import TinyDB

from sandbox.core import persistence
from sandbox.core.errors import Unavailable
from sandbox.core.persistence import DataDirError, read_log
from sandbox.core.store import Store, Table

SEEDED = [{"id": 1, "user": 1}, {"id": 2, "user": 2}]


def store_in(data_dir, **options) -> Store:
    return Store({"shop": {"orders": ("user",)}}, {"shop": lambda: {"orders": list(SEEDED)}}, data_dir, **options)


def insert(store: Store, user: int, events: list | None = None) -> dict:
    with store.state("shop").transaction() as state:
        record = state["orders"].insert({"user": user})
        if events is not None:
            state.after_commit(lambda: events.append(record["id"]))
    return record


def orders(store: Store) -> list[dict]:
    return store.state("shop")["orders"].all()


def failing(monkeypatch, name: str, code: int = errno.ENOSPC):
    """Make ``os.<name>`` fail as a full (or broken) disk does, for the log's calls only."""
    real = getattr(os, name)

    def broken(fd, *args):
        if isinstance(fd, int) and os.readlink(f"/proc/self/fd/{fd}").endswith(".log"):
            raise OSError(code, os.strerror(code))
        return real(fd, *args)
    monkeypatch.setattr(persistence.os, name, broken)


def test_a_write_the_disk_refuses_changes_nothing_and_fires_nothing(tmp_path, monkeypatch):
    store = store_in(tmp_path)
    events: list = []
    failing(monkeypatch, "write")
    with pytest.raises(Unavailable, match="No space left on device"):
        insert(store, 3, events)
    assert orders(store) == SEEDED and events == []
    assert store.state("shop")["orders"].next_id() == 3
    monkeypatch.undo()
    assert insert(store, 3, events)["id"] == 3, "the retry makes the one order the failure did not"
    assert events == [3]
    assert orders(store_in(tmp_path)) == SEEDED + [{"id": 3, "user": 3}]


def test_a_failed_fsync_reverts_the_commit_and_refuses_later_writes(tmp_path, monkeypatch):
    store = store_in(tmp_path)
    events: list = []
    failing(monkeypatch, "fsync", errno.EIO)
    with pytest.raises(Unavailable, match="fsync failed"):
        insert(store, 3, events)
    assert orders(store) == SEEDED and events == []
    assert store.persistence_failure() is not None
    monkeypatch.undo()
    with pytest.raises(Unavailable):
        insert(store, 4)
    assert orders(store) == SEEDED


def test_a_failing_side_effect_never_fails_a_kept_commit(tmp_path):
    store = store_in(tmp_path)
    with store.state("shop").transaction() as state:
        state["orders"].insert({"user": 3})
        state.after_commit(lambda: 1 / 0)
    assert len(orders(store)) == 3


def test_a_torn_last_line_is_dropped_and_appending_goes_on_after_it(tmp_path):
    store = store_in(tmp_path)
    insert(store, 3)
    log = next(tmp_path.glob("shop.*.log"))
    with open(log, "ab") as handle:
        handle.write(b'0badc0de {"orders":{"put":[{"id":4')       # the process died mid-write
    again = store_in(tmp_path)
    assert orders(again) == SEEDED + [{"id": 3, "user": 3}]
    insert(again, 5)
    assert orders(store_in(tmp_path))[-1] == {"id": 4, "user": 5}


def test_a_corrupt_line_before_the_end_stops_the_start_naming_file_and_position(tmp_path):
    store = store_in(tmp_path)
    insert(store, 3)
    insert(store, 4)
    log = next(tmp_path.glob("shop.*.log"))
    raw = bytearray(log.read_bytes())
    raw[12] ^= 0x01                                               # a flipped bit in the first line
    log.write_bytes(bytes(raw))
    with pytest.raises(DataDirError, match=rf"{log}: corrupt log line at byte 0: move the file away"):
        store_in(tmp_path)


def test_a_truncated_snapshot_stops_the_start_naming_file_and_position(tmp_path):
    store_in(tmp_path).close()
    snapshot = tmp_path / "shop.json"
    snapshot.write_bytes(snapshot.read_bytes()[:30])
    with pytest.raises(DataDirError, match=r"shop.json: not valid JSON at line 1 column \d+ \(byte \d+\)"):
        store_in(tmp_path)


@pytest.mark.parametrize("content, message", [
    (b"", r"not valid JSON at line 1 column 1 \(byte 0\)"),           # an empty file cannot be mapped
    (b'{"orders": {"1": {"id": 1, "user": NaN}}}', r"not a sandbox data file \(ValueError: NaN is not"),
    (b'{"orders": {"1": {"id": 1, "user": 1e999}}}', r"not a sandbox data file \(ValueError: Number out of range"),
])
def test_a_snapshot_that_no_state_may_hold_stops_the_start(tmp_path, content, message):
    store_in(tmp_path).close()
    (tmp_path / "shop.json").write_bytes(content)
    with pytest.raises(DataDirError, match=rf"shop.json: {message}"):
        store_in(tmp_path)


def test_a_snapshot_on_a_file_system_that_cannot_map_files_is_read_all_the_same(tmp_path, monkeypatch):
    store = store_in(tmp_path)
    insert(store, 3)
    store.close()

    def unmappable(*args, **kwargs):
        raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))
    monkeypatch.setattr(persistence.mmap, "mmap", unmappable)
    assert orders(store_in(tmp_path)) == SEEDED + [{"id": 3, "user": 3}]


def test_a_snapshot_loads_exactly_as_written_and_stays_a_tinydb_database(tmp_path):
    store = store_in(tmp_path)
    with store.state("shop").transaction() as state:
        state["orders"].insert({"user": 10**30, "note": "ü \u2028 \"", "price": 0.1})   # past 64 bits, exact
    store.close()
    loaded = orders(store_in(tmp_path))
    assert loaded == SEEDED + [{"id": 3, "user": 10**30, "note": "ü \u2028 \"", "price": 0.1}]
    assert type(loaded[-1]["user"]) is int
    with TinyDB(tmp_path / "shop.json") as db:
        assert db.table("orders").all() == loaded


@pytest.mark.parametrize("data_dir", ["/proc/sandbox-data", "/dev/null/data"])
def test_a_data_dir_that_cannot_be_created_or_written_is_refused_at_start(data_dir):
    with pytest.raises(DataDirError, match=f"data dir {data_dir}: cannot be used"):
        store_in(data_dir)


def test_a_temporary_file_left_by_a_crash_is_removed_at_start(tmp_path):
    store_in(tmp_path).close()
    (tmp_path / ".shop.json.tmp").write_text("half a snapshot")
    store_in(tmp_path)
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


def test_the_log_is_folded_into_the_snapshot_in_the_background_and_nothing_is_lost(tmp_path):
    store = store_in(tmp_path, compact_bytes=2000)
    for user in range(3, 200):
        insert(store, user)
    store.close()
    logs = list(tmp_path.glob("shop.*.log"))
    assert len(logs) == 1 and logs[0].stat().st_size == 0, "a clean shutdown leaves one empty log"
    reopened = store_in(tmp_path)
    assert orders(reopened) == SEEDED + [{"id": u, "user": u} for u in range(3, 200)]
    assert reopened.state("shop")["orders"].next_id() == 200


def test_writes_during_a_compaction_land_in_the_next_generation(tmp_path):
    store = store_in(tmp_path)
    insert(store, 3)
    writers = [threading.Thread(target=lambda u=u: insert(store, u)) for u in range(4, 40)]
    for thread in writers:
        thread.start()
    store.compact("shop")
    for thread in writers:
        thread.join()
    assert sorted(r["user"] for r in orders(store_in(tmp_path))) == [1, 2, *range(3, 40)]


def test_a_reset_that_cannot_be_written_keeps_the_state(tmp_path, monkeypatch):
    store = store_in(tmp_path)
    insert(store, 3)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(persistence.AtomicJSONStorage, "write", full)
    with pytest.raises(Unavailable):
        store.reset("shop")
    assert len(orders(store)) == 3
    monkeypatch.undo()
    store.reset("shop")
    assert orders(store) == SEEDED and orders(store_in(tmp_path)) == SEEDED


def test_a_log_line_is_replayed_as_committed_deletes_and_moves_included(tmp_path):
    store = store_in(tmp_path)
    with store.state("shop").transaction() as state:
        state["orders"].delete(1)
        state["orders"].update(2, {"user": 20})
        state["orders"].insert({"user": 3})
    expected = orders(store)
    changes, valid = read_log(next(tmp_path.glob("shop.*.log")))
    assert len(changes) == 1 and valid > 0
    assert orders(store_in(tmp_path)) == expected == [{"id": 2, "user": 20}, {"id": 3, "user": 3}]


def test_a_replaced_record_keeps_its_place_in_the_indexes_it_stays_in():
    table = Table("lines", [{"id": 1, "order": 7, "n": 0}, {"id": 2, "order": 7, "n": 0}], indexes=("order",))
    table.update(1, {"n": 1})
    assert [r["id"] for r in table.where("order", 7)] == [1, 2]
    table.update(1, {"order": 8})
    assert [r["id"] for r in table.where("order", 7)] == [2]
    assert [r["id"] for r in table.where("order", 8)] == [1]


# -- found by review: races and partial failures around resets, compactions and grouped fsyncs -----------
def two_api_store(data_dir) -> Store:
    return Store({api: {"orders": ("user",)} for api in ("a", "b")},
                 {api: (lambda: {"orders": list(SEEDED)}) for api in ("a", "b")}, data_dir)


def test_two_imports_naming_the_apis_in_opposite_orders_never_deadlock(tmp_path, monkeypatch):
    store = two_api_store(tmp_path)
    real = persistence.ApiFiles.write_snapshot

    def slow(self, *args):
        time.sleep(0.05)
        return real(self, *args)
    monkeypatch.setattr(persistence.ApiFiles, "write_snapshot", slow)
    runs = [threading.Thread(target=store.restore, args=(order,), daemon=True) for order in (
        {"a": store.seeded("a"), "b": store.seeded("b")}, {"b": store.seeded("b"), "a": store.seeded("a")})]
    for run in runs:
        run.start()
    for run in runs:
        run.join(10)
    assert not any(run.is_alive() for run in runs)


def test_a_request_that_began_before_a_reset_cannot_commit_into_the_reset_state(tmp_path):
    store = store_in(tmp_path)
    before = store.state("shop")            # what a request's backend holds from its start
    store.reset("shop")
    with pytest.raises(Unavailable, match="reset or replaced while this request ran"):
        with before.transaction() as state:
            state["orders"].insert({"user": 99})
    assert orders(store) == SEEDED and orders(store_in(tmp_path)) == SEEDED


def test_a_restore_that_fails_for_one_api_changes_no_api(tmp_path, monkeypatch):
    store = two_api_store(tmp_path)
    for api in ("a", "b"):
        with store.state(api).transaction() as state:
            state["orders"].insert({"user": 3})
    real = persistence.AtomicJSONStorage.write

    def full_for_b(self, data):
        if self.path.name == "b.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, data)
    monkeypatch.setattr(persistence.AtomicJSONStorage, "write", full_for_b)
    with pytest.raises(Unavailable):
        store.reset()
    monkeypatch.undo()
    assert {api: len(store.state(api)["orders"]) for api in "ab"} == {"a": 3, "b": 3}
    again = two_api_store(tmp_path)
    assert {api: len(again.state(api)["orders"]) for api in "ab"} == {"a": 3, "b": 3}


def test_a_failing_step_after_the_snapshot_rename_loses_no_later_commit(tmp_path, monkeypatch):
    store = store_in(tmp_path)
    real = persistence.fsync_dir
    calls = []

    def once_broken(path):
        calls.append(path)
        if len(calls) == 2:                 # the directory fsync after the snapshot's rename
            raise OSError(errno.EIO, "Input/output error")
        return real(path)
    monkeypatch.setattr(persistence, "fsync_dir", once_broken)
    store.reset("shop")
    monkeypatch.undo()
    insert(store, 3)
    assert orders(store_in(tmp_path)) == SEEDED + [{"id": 3, "user": 3}]


def test_grouped_commits_whose_fsync_fails_are_all_undone_newest_first(tmp_path, monkeypatch):
    store = store_in(tmp_path)
    second_appended, first_failed = threading.Event(), threading.Event()
    real_sync = persistence.Log.sync

    def grouped(self, ticket):              # both lines are appended before either fsync runs
        (second_appended if ticket[1] == 1 else first_failed).wait(5)
        return real_sync(self, ticket)
    monkeypatch.setattr(persistence.Log, "sync", grouped)
    failing(monkeypatch, "fsync", errno.EIO)
    outcome = {}

    def create():
        try:
            insert(store, 7)
        except Unavailable:
            outcome["create"] = 503
        first_failed.set()

    def update():
        try:
            with store.state("shop").transaction() as state:
                state["orders"].update(3, {"user": 8})
                second_appended.set()
        except Unavailable:
            outcome["update"] = 503
    creating = threading.Thread(target=create)
    creating.start()
    while store.state("shop")["orders"].get(3) is None:
        time.sleep(0.01)
    updating = threading.Thread(target=update)
    updating.start()
    creating.join(10)
    updating.join(10)
    assert outcome == {"create": 503, "update": 503}
    assert orders(store) == SEEDED, "a commit whose client got 503 is gone from memory too"


def test_a_compaction_never_keeps_a_commit_whose_fsync_failed(tmp_path, monkeypatch):
    store = store_in(tmp_path)
    failing(monkeypatch, "fsync", errno.EIO)
    with pytest.raises(Unavailable):
        insert(store, 7)
    with pytest.raises(OSError):
        store.compact("shop")
    monkeypatch.undo()
    assert orders(store_in(tmp_path)) == SEEDED


def test_records_moved_to_the_end_are_replayed_in_their_final_order(tmp_path):
    store = store_in(tmp_path)
    with store.state("shop").transaction() as state:
        table = state["orders"]
        first = table.get(1)
        table.delete(1)
        table.insert({"user": 3})
        table.insert({**first, "user": 5})
    with store.state("shop").transaction() as state:
        second = state["orders"].get(2)
        state["orders"].delete(2)
        state["orders"].insert(second)        # the same record, now last
    expected = [r["id"] for r in orders(store)]
    assert expected == [3, 1, 2]
    assert [r["id"] for r in orders(store_in(tmp_path))] == expected
