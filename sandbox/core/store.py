"""State of every emulated API: in memory, indexed, transactional, optionally persisted with TinyDB.

Why not TinyDB tables for the live state: TinyDB's ``Table`` re-reads and rewrites the whole table on every
insert or update (``Table._update_table``), so a write costs O(records), and its JSON storage re-reads the
file on every query. The live state is therefore plain dicts (a lookup by id is one dict access, a write
costs the same with 50k records as with 1k), and TinyDB is the on-disk format: with a data directory each
API's state is one TinyDB database file, written whole through ``AtomicJSONStorage`` (new file, fsync,
rename) after every write transaction, so a crash can never leave a file that fails to load.

Records are immutable by convention: a change replaces the record with a new dict (``Table.update``) and
never edits one in place. That is what makes a copy of a whole API's state cheap (a shallow copy of each
table is a full snapshot: sessions, snapshots and reset rely on it) and lets a view render a record it
read without holding the lock.

One re-entrant lock serialises every transaction across the store: backend work is microseconds, and a
single lock makes lost updates impossible by construction.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from tinydb import TinyDB
from tinydb.storages import Storage

Record = dict[str, Any]
_MISSING = object()
DEFAULT_SESSION = "default"
DERIVED_PER_TABLE = 32      # results Table.derived keeps per table (each can be a full sorted list)


class Table:
    """Records by id in insertion order, with optional secondary indexes (field -> value -> ids).

    Copies are copy-on-write: ``copy()`` shares the row and index dicts, and whichever table writes first
    takes its own (rows and the outer index dicts at once, each index's id set when it touches it). Reset,
    snapshots and new sessions therefore cost the same with 50k records as with 100."""

    __slots__ = ("name", "key", "_rows", "_indexes", "_next_id", "_undo", "_shared", "_owned", "_derived")

    def __init__(self, name: str, records: Iterable[Record] = (), *, key: str = "id",
                 indexes: Iterable[str] = ()):
        self.name = name
        self.key = key
        self._rows: dict[Any, Record] = {}
        self._indexes: dict[str, dict[Any, dict[Any, None]]] = {field: {} for field in indexes}
        self._next_id = 1
        self._undo: list | None = None
        self._shared = False                                # _rows and _indexes are another table's too
        self._derived: dict | None = None                   # results computed from the rows, until a write
        self._owned: dict[str, set] | None = None           # per index, values whose id set is ours; None: all
        for record in records:
            self.insert(record)

    # -- reads -------------------------------------------------------------------------------------
    def get(self, record_id: Any) -> Record | None:
        return self._rows.get(record_id)

    def all(self) -> list[Record]:
        return list(self._rows.values())

    def where(self, field: str, value: Any) -> list[Record]:
        """Records whose ``field`` equals ``value``, via the index when there is one."""
        index = self._indexes.get(field)
        if index is not None:
            rows = self._rows
            return [rows[i] for i in index.get(value, ())]
        return [r for r in self._rows.values() if r.get(field) == value]

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, record_id: Any) -> bool:
        return record_id in self._rows

    def __iter__(self) -> Iterator[Record]:
        return iter(list(self._rows.values()))

    def derived(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` (a pure function of the rows, e.g. a filtered and sorted list) remembered until the
        next write to this table. Call it holding the state's lock."""
        cache = self._derived
        if cache is None:
            cache = self._derived = {}
        if key not in cache:
            if len(cache) >= DERIVED_PER_TABLE:     # many distinct queries between writes: forget the oldest
                del cache[next(iter(cache))]
            cache[key] = compute()
        return cache[key]

    def next_id(self) -> int:
        """The id an auto-increment column would give the next record (never reused, as in MySQL)."""
        return self._next_id

    def reserve_ids(self, next_id: int) -> None:
        """Make auto-increment continue at ``next_id`` at the earliest (ids of deleted records stay used)."""
        self._next_id = max(self._next_id, next_id)

    # -- writes ------------------------------------------------------------------------------------
    def insert(self, record: Record) -> Record:
        """Add a record; without a key it gets the next auto-increment id (placed first in the dict)."""
        if self.key not in record:
            record = {self.key: self._next_id, **record}
        record_id = record[self.key]
        if record_id in self._rows:
            raise KeyError(f"{self.name}: duplicate {self.key} {record_id!r}")
        self._writable()
        self._remember(record_id, _MISSING)
        self._rows[record_id] = record
        self._index_add(record_id, record)
        if isinstance(record_id, int) and record_id >= self._next_id:
            self._next_id = record_id + 1
        return record

    def update(self, record_id: Any, changes: Mapping[str, Any]) -> Record:
        """Replace the record with a copy carrying ``changes``; returns the new record."""
        old = self._rows[record_id]
        return self.replace(record_id, {**old, **changes})

    def replace(self, record_id: Any, record: Record) -> Record:
        old = self._rows[record_id]
        self._writable()
        self._remember(record_id, old)
        self._index_remove(record_id, old)
        self._rows[record_id] = record
        self._index_add(record_id, record)
        return record

    def delete(self, record_id: Any) -> None:
        self._writable()
        if self._undo is not None:      # remember where it stood, so a rollback puts it back in place
            self._undo.append(("__position__", (record_id, list(self._rows).index(record_id))))
        old = self._rows.pop(record_id)
        self._remember(record_id, old)
        self._index_remove(record_id, old)

    # -- copies and transactions -------------------------------------------------------------------
    def copy(self) -> "Table":
        """A snapshot in O(1): both tables share everything until one writes (records are never edited
        in place, so shared records are safe)."""
        clone = Table.__new__(Table)
        clone.name, clone.key = self.name, self.key
        clone._rows, clone._indexes = self._rows, self._indexes
        clone._next_id = self._next_id
        clone._undo = None
        clone._derived = self._derived     # same rows, same results; a write replaces only the writer's
        for table in (self, clone):
            table._shared = True
            table._owned = {field: set() for field in self._indexes}
        return clone

    def _writable(self) -> None:
        """Before a write: forget derived results; take our own row and outer index dicts if shared."""
        self._derived = None
        if self._shared:
            self._rows = dict(self._rows)
            self._indexes = {field: dict(index) for field, index in self._indexes.items()}
            self._shared = False

    def _ids(self, field: str, value: Any, create: bool) -> dict | None:
        """The id set of ``value`` in an index, our own copy of it if it was shared."""
        index = self._indexes[field]
        ids = index.get(value)
        owned = self._owned
        if owned is not None and value not in owned[field]:
            owned[field].add(value)
            if ids is not None:
                ids = index[value] = dict(ids)
        if ids is None and create:
            ids = index[value] = {}
        return ids

    def _remember(self, record_id: Any, old: Any) -> None:
        if self._undo is not None:
            self._undo.append((record_id, old))

    def begin(self) -> None:
        self._undo = [("__next_id__", self._next_id)]

    def commit(self) -> bool:
        """End the transaction; True if anything changed."""
        changed = self._undo is not None and len(self._undo) > 1
        self._undo = None
        return changed

    def rollback(self) -> None:
        """Undo every change of the transaction, records back in their places."""
        undo, self._undo = self._undo or [], None
        if len(undo) > 1:
            self._writable()
        positions = {}
        for record_id, old in reversed(undo[1:]):
            if record_id == "__position__":
                positions[old[0]] = old[1]
                continue
            current = self._rows.get(record_id)
            if current is not None:
                self._index_remove(record_id, current)
                if old is _MISSING:
                    del self._rows[record_id]
            if old is not _MISSING:
                self._rows[record_id] = old      # in place when it still exists, at the end otherwise
                self._index_add(record_id, old)
        if positions:
            ordered = [key for key in self._rows if key not in positions]
            for record_id, index in sorted(positions.items(), key=lambda item: item[1]):
                if record_id in self._rows:     # not a record the transaction itself created
                    ordered.insert(index, record_id)
            self._rows = {key: self._rows[key] for key in ordered}
        if undo:
            self._next_id = undo[0][1]

    def _index_add(self, record_id: Any, record: Record) -> None:
        for field in self._indexes:
            value = record.get(field)
            if isinstance(value, (list, dict)):
                continue
            self._ids(field, value, create=True)[record_id] = None

    def _index_remove(self, record_id: Any, record: Record) -> None:
        for field, index in self._indexes.items():
            value = record.get(field)
            if isinstance(value, (list, dict)):
                continue
            ids = self._ids(field, value, create=False)
            if ids is not None:
                ids.pop(record_id, None)
                if not ids:
                    del index[value]


class ApiState:
    """The whole state of one API in one session: its tables by name."""

    def __init__(self, api: str, tables: dict[str, Table], lock: threading.RLock,
                 on_commit: Callable[["ApiState"], None] | None = None):
        self.api = api
        self.tables = tables
        self.lock = lock
        self._on_commit = on_commit
        self._after_commit: list[Callable[[], None]] | None = None   # not None while a transaction is open
        # Facts a backend derives once from this state instead of per request; a copy starts empty, so
        # only facts that the backend's own writes keep true belong here (shop: item ids taken ahead).
        self.memo: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]

    @contextmanager
    def transaction(self) -> Iterator["ApiState"]:
        """All or nothing: an exception rolls every table back, so a refused request changes nothing.

        Re-entrant: a transaction opened inside another joins it, and only the outermost commits."""
        with self.lock:
            if self._after_commit is not None:      # already inside a transaction of this state
                yield self
                return
            tables = list(self.tables.values())
            for table in tables:
                table.begin()
            self._after_commit = []
            try:
                yield self
            except BaseException:
                for table in tables:
                    table.rollback()
                self._after_commit = None
                raise
            changed = [table.commit() for table in tables]
            callbacks, self._after_commit = self._after_commit, None
            if any(changed) and self._on_commit is not None:
                self._on_commit(self)
        for callback in callbacks:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current transaction has committed (never if it rolls back);
        outside a transaction, at once. Used for side effects such as webhook events."""
        if self._after_commit is None:
            callback()
        else:
            self._after_commit.append(callback)

    def copy(self, on_commit: Callable[["ApiState"], None] | None = None) -> "ApiState":
        with self.lock:
            return ApiState(self.api, {n: t.copy() for n, t in self.tables.items()}, self.lock, on_commit)

    def export(self) -> dict[str, list[Record]]:
        """The state as plain JSON data: table name -> records in order."""
        with self.lock:
            return {name: table.all() for name, table in self.tables.items()}


class AtomicJSONStorage(Storage):
    """TinyDB storage that never leaves a half-written file: write a temporary file, fsync, rename."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def read(self):
        try:
            with open(self.path, encoding="utf-8") as handle:
                return json.load(handle)
        except FileNotFoundError:
            return None

    def write(self, data) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                # One dumps then one write: json.dump writes chunk by chunk, about twice as slow (make bench).
                handle.write(json.dumps(data, separators=(",", ":")))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class Store:
    """Every API's state, per session, seeded once and restorable.

    ``schemas`` maps api -> table name -> indexed fields; ``seeders`` maps api -> a function returning
    table name -> records. The seeded state is kept as a snapshot, so reset is a copy, not a re-seed.

    Sessions: the default session is what a client sees without ``X-Sandbox-Session``; any other name gets
    its own copy of the seeded state on first use. At most ``max_sessions`` named sessions live at once; the
    least recently used goes first (``on_evict`` tells the journal and fault registries). Only the default
    session is persisted with a data directory: named sessions are scratch state for one test run.
    """

    def __init__(self, schemas: Mapping[str, Mapping[str, Iterable[str]]],
                 seeders: Mapping[str, Callable[[], Mapping[str, list[Record]]]],
                 data_dir: str | os.PathLike | None = None, *, max_sessions: int = 64,
                 on_evict: Callable[[str], None] | None = None, on_rebuilt: Callable[[], None] | None = None):
        self.lock = threading.RLock()
        self._on_rebuilt = on_rebuilt or (lambda: None)
        self._schemas = {api: {t: tuple(ix) for t, ix in tables.items()} for api, tables in schemas.items()}
        self._seeders = dict(seeders)
        self._data_dir = Path(data_dir) if data_dir else None
        self._max_sessions = max_sessions
        self._on_evict = on_evict
        self._seeded: dict[str, ApiState] = {api: self._build(api, self._seeders[api]()) for api in self._schemas}
        self._live: OrderedDict[str, dict[str, ApiState]] = OrderedDict()
        self._live[DEFAULT_SESSION] = {
            api: self._load_persisted(api) or self._seeded[api].copy(self._persister(api)) for api in self._schemas}
        self._on_rebuilt()

    @property
    def apis(self) -> list[str]:
        return list(self._schemas)

    def tables(self, api: str) -> dict[str, tuple[str, ...]]:
        return dict(self._schemas[api])

    def state(self, api: str, session: str = DEFAULT_SESSION) -> ApiState:
        return self._session(session)[api]

    def sessions(self) -> list[str]:
        with self.lock:
            return list(self._live)

    def drop_session(self, session: str) -> bool:
        """Forget a named session (the default one cannot be dropped, only reset)."""
        with self.lock:
            if session == DEFAULT_SESSION or session not in self._live:
                return False
            del self._live[session]
        if self._on_evict:
            self._on_evict(session)
        return True

    def reset(self, api: str | None = None, session: str = DEFAULT_SESSION) -> None:
        """Back to exactly the seeded state, for one API or all."""
        with self.lock:
            states = self._session(session)
            for name in [api] if api else self.apis:
                restored = self._seeded[name].copy(self._persister(name, session))
                states[name] = restored
                self._persist(restored, session)
        self._on_rebuilt()

    def seeded(self, api: str) -> ApiState:
        return self._seeded[api]

    def snapshot(self, apis: Iterable[str], session: str = DEFAULT_SESSION) -> dict[str, ApiState]:
        """Copies of the named APIs' states: cheap, since records are never edited in place."""
        with self.lock:
            states = self._session(session)
            return {api: states[api].copy() for api in apis}

    def restore(self, snapshot: Mapping[str, ApiState], session: str = DEFAULT_SESSION) -> None:
        with self.lock:
            states = self._session(session)
            for api, saved in snapshot.items():
                restored = saved.copy(self._persister(api, session))
                states[api] = restored
                self._persist(restored, session)
        self._on_rebuilt()

    def build(self, api: str, data: Mapping[str, list[Record]]) -> ApiState:
        """A detached state from plain data (table -> records); raises KeyError/TypeError on bad data."""
        return self._build(api, data)

    # -- internals ---------------------------------------------------------------------------------
    def _session(self, session: str) -> dict[str, ApiState]:
        if session == DEFAULT_SESSION:
            return self._live[DEFAULT_SESSION]
        evicted: list[str] = []
        with self.lock:
            states = self._live.get(session)
            if states is None:
                states = {api: seeded.copy() for api, seeded in self._seeded.items()}
                self._live[session] = states
                named = [name for name in self._live if name != DEFAULT_SESSION]
                evicted = named[:max(0, len(named) - self._max_sessions)]
                for name in evicted:
                    del self._live[name]
            else:
                self._live.move_to_end(session)
        for name in evicted:
            if self._on_evict:
                self._on_evict(name)
        return states

    def _build(self, api: str, data: Mapping[str, list[Record]], on_commit=None) -> ApiState:
        unknown = set(data) - set(self._schemas[api])
        if unknown:
            raise KeyError(f"{api}: unknown tables {sorted(unknown)}")
        tables = {name: Table(name, data.get(name, ()), indexes=indexes)
                  for name, indexes in self._schemas[api].items()}
        return ApiState(api, tables, self.lock, on_commit)

    def _persister(self, api: str, session: str = DEFAULT_SESSION):
        if self._data_dir is None or session != DEFAULT_SESSION:
            return None
        return self._persist

    def _persist(self, state: ApiState, session: str = DEFAULT_SESSION) -> None:
        if self._data_dir is None or session != DEFAULT_SESSION:
            return
        # A valid TinyDB database: one TinyDB table per sandbox table, documents numbered in order.
        data = {name: {str(i): record for i, record in enumerate(table.all(), start=1)}
                for name, table in state.tables.items()}
        data["_next_ids"] = {"1": {name: table.next_id() for name, table in state.tables.items()}}
        AtomicJSONStorage(self._data_dir / f"{state.api}.json").write(data)

    def _load_persisted(self, api: str) -> ApiState | None:
        path = self._data_dir / f"{api}.json" if self._data_dir else None
        if path is None or not path.exists():
            return None
        with TinyDB(path, storage=AtomicJSONStorage) as db:
            next_ids = db.table("_next_ids").get(doc_id=1) or {}
            data = {name: [dict(r) for r in db.table(name).all()]
                    for name in self._schemas[api] if name in db.tables()}
        state = self._build(api, data, self._persister(api))
        for name, table in state.tables.items():
            table.reserve_ids(next_ids.get(name, 1))
        return state
