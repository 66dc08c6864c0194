"""State of every emulated API: in memory, indexed, transactional, optionally persisted with TinyDB.

Why not TinyDB tables for the live state: TinyDB's ``Table`` re-reads and rewrites the whole table on every
insert or update (``Table._update_table``), so a write costs O(records), and its JSON storage re-reads the
file on every query. The live state is therefore plain dicts (a lookup by id is one dict access, a write
costs the same with 50k records as with 1k), and TinyDB is the snapshot format on disk: with a data
directory each API's default-session state is a TinyDB snapshot plus an append-only log of commits
(``core/persistence.py``), so a write costs one log line, not one file.

The commit protocol (``ApiState.transaction``): the change is made in memory under the lock; with a data
directory its log line is handed to the kernel, still under the lock; the lock is released (readers never
wait for the disk) and the line is fsync'd; only then does the caller answer 2xx and are the commit's side
effects (webhook events) run. A failure to keep the change rolls it back and raises ``Unavailable``, so an
error always means nothing changed and a client may retry.

Records are immutable by convention: a change replaces the record with a new dict (``Table.update``) and
never edits one in place. That is what makes a copy of a whole API's state cheap (a shallow copy of each
table is a full snapshot: sessions, snapshots and reset rely on it) and lets a view render a record it
read without holding the lock.

One re-entrant lock serialises every transaction across the store: backend work is microseconds, and a
single lock makes lost updates impossible by construction.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from sandbox.core import collector
from sandbox.core.afterwards import later
from sandbox.core.errors import Unavailable
from sandbox.core.persistence import COMPACT_BYTES, ApiFiles, PersistenceError, check_data_dir

Record = dict[str, Any]
_MISSING = object()
DEFAULT_SESSION = "default"
DERIVED_PER_TABLE = 32      # results Table.derived keeps per table (each can be a full sorted list)
EVICTIONS_KEPT = 32         # evicted sessions GET /__sandbox/sessions still reports
_INDEXING = threading.Lock()    # a loaded table's indexes are built once, by whichever thread needs them first
INDEX_WARMUP_DELAY_S = 1.0      # after a start from a data dir, when the loaded tables' indexes are built anyway
INDEX_WARMUP_ROWS = 10_000      # loaded rows below which they are left to the first request that needs them
log = logging.getLogger("sandbox")


class Changes:
    """A count of the store's changes, read without a lock: an answer computed while it stood still, with no
    change under way, is an answer of that state (core/replay.py keeps such answers for replay).

    ``begin``/``end`` bracket a change: while one is under way nothing is replayed or kept, and its end moves
    the count on, so what was kept before it is never served again."""

    def __init__(self):
        self._lock = threading.Lock()
        self.count = 0
        self.under_way = 0

    def begin(self) -> None:
        with self._lock:
            self.under_way += 1

    def end(self, changed: bool = True) -> None:
        with self._lock:
            if changed:
                self.count += 1        # before under_way drops: a reader never sees "no change" with the old count
            self.under_way -= 1

    def stamp(self) -> int | None:
        """The count now, or None while a change is under way."""
        return None if self.under_way else self.count

    @contextmanager
    def changing(self) -> Iterator[None]:
        self.begin()
        try:
            yield
        finally:
            self.end()


class Table:
    """Records by id in insertion order, with optional secondary indexes (field -> value -> ids).

    Copies are copy-on-write: ``copy()`` shares the row and index dicts, and whichever table writes first
    takes its own (rows and the outer index dicts at once, each index's id set when it touches it). Reset,
    snapshots and new sessions therefore cost the same with 50k records as with 100."""

    __slots__ = ("name", "key", "_rows", "_indexes", "_next_id", "_undo", "_shared", "_owned", "_derived",
                 "_unindexed")

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
        self._unindexed = False                             # loaded: the indexes are built when first needed
        records = records if isinstance(records, list) else list(records)
        if all(key in record for record in records):
            self._load(records)                             # a start from a data dir: 500k records in ~1 s
        else:
            for record in records:
                self.insert(record)

    @classmethod
    def loaded(cls, name: str, rows: dict[Any, Record], *, indexes: Iterable[str] = ()) -> "Table":
        """A table over ``rows`` (id -> record, in order), as a start from a data dir has built it while
        reading the snapshot: the dict becomes the table's own, not copied (50k orders: one pass less).

        Its indexes are built when first needed (a lookup by an indexed field, the first write), not
        at start: a start from 50k orders per API built 700k index entries (0.5 s) before health could
        answer, most of them for tables a test run never filters; the first request that needs one pays
        its table's share once (0.1-0.2 s at 50k)."""
        table = cls(name, indexes=indexes)
        table._adopt(rows, index=False)
        return table

    def _load(self, records: list[Record]) -> None:
        """Fill an empty table with records that carry their ids, in one pass per index."""
        key = self.key
        rows = {record[key]: record for record in records}
        if len(rows) != len(records):
            seen = set()
            duplicate = next(record[key] for record in records if record[key] in seen or seen.add(record[key]))
            raise KeyError(f"{self.name}: duplicate {key} {duplicate!r}")
        self._adopt(rows)

    def _adopt(self, rows: dict[Any, Record], index: bool = True) -> None:
        self._rows = rows
        if index:
            self._build_indexes()
        else:
            self._unindexed = True
        try:
            top = max(rows, default=0)          # at C speed when every id is an int, as auto-increment ones are
        except TypeError:                       # ints and strings mixed
            top = None
        if type(top) is not int:
            top = max((i for i in rows if type(i) is int), default=0)
        self._next_id = top + 1

    def _build_indexes(self) -> None:
        """One pass per index over the rows, into the (empty) index dicts."""
        rows = self._rows
        for field, index in self._indexes.items():
            for record_id, record in rows.items():
                value = record.get(field)
                if not isinstance(value, (list, dict)):
                    ids = index.get(value)
                    if ids is None:
                        ids = index[value] = {}
                    ids[record_id] = None

    def ensure_indexes(self) -> None:
        """Build a loaded table's indexes before their first use. Lookups may run without the state's lock,
        so the build has a lock of its own, and the flag drops only once every index is complete."""
        if self._unindexed:
            with _INDEXING:
                if self._unindexed:
                    self._build_indexes()
                    self._unindexed = False

    @property
    def indexes_pending(self) -> bool:
        """A loaded table whose indexes are not built yet."""
        return self._unindexed

    # -- reads -------------------------------------------------------------------------------------
    def get(self, record_id: Any) -> Record | None:
        return self._rows.get(record_id)

    def all(self) -> list[Record]:
        return list(self._rows.values())

    def where(self, field: str, value: Any) -> list[Record]:
        """Records whose ``field`` equals ``value``, via the index when there is one."""
        index = self._indexes.get(field)
        if index is not None:
            if self._unindexed:
                self.ensure_indexes()
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
        self._rows[record_id] = record
        self._reindex(record_id, old, record)
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
        clone._unindexed = self._unindexed
        if clone._unindexed:
            # Loaded indexes not built yet: each side builds its own if it ever needs them, so a copy for a
            # compaction (which reads only the rows) never builds them under the store's lock.
            clone._indexes = {field: {} for field in self._indexes}
        clone._next_id = self._next_id
        clone._undo = None
        clone._derived = self._derived     # same rows, same results; a write replaces only the writer's
        for table in (self, clone):
            table._shared = True
            table._owned = {field: set() for field in self._indexes}
        return clone

    def _writable(self) -> None:
        """Before a write: forget derived results; take our own row and outer index dicts if shared."""
        if self._unindexed:
            self.ensure_indexes()                # a write keeps the indexes up to date: they must exist first
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

    def pending(self) -> tuple[list, dict | None]:
        """What the open transaction changed: ``[(id, old, new)]`` in first-touch order (``old``/``new`` is
        ``_MISSING`` for a record that did not exist before / does not exist now) and the log entry that
        replays it (``{"put": [...], "del": [...], "next": n}``), None when nothing changed."""
        undo = self._undo
        if not undo or len(undo) <= 1:
            return [], None
        first: dict[Any, Any] = {}
        moved = set()
        for record_id, old in undo[1:]:
            if record_id == "__position__":
                moved.add(old[0])
            elif record_id not in first:
                first[record_id] = old
        touched, puts, dels, appended = [], [], [], set()
        for record_id, old in first.items():
            new = self._rows.get(record_id, _MISSING)
            if new is old and record_id not in moved:
                continue
            touched.append((record_id, old, new))
            if new is _MISSING or record_id in moved:
                dels.append(record_id)          # a record deleted and put back goes to the end, as here
            if new is not _MISSING:
                if old is _MISSING or record_id in moved:
                    appended.add(record_id)     # at the end of the table now, in the order replay must keep
                else:
                    puts.append(new)            # replaced in its place
        if appended:
            tail = []
            for record_id in reversed(self._rows):      # the appended records are the table's last ones
                if record_id in appended:
                    tail.append(self._rows[record_id])
                    if len(tail) == len(appended):
                        break
            puts.extend(reversed(tail))
        entry = {}
        if puts:
            entry["put"] = puts
        if dels:
            entry["del"] = dels
        if self._next_id != undo[0][1]:
            entry["next"] = self._next_id
        return touched, entry or None

    def revert(self, touched: list) -> None:
        """Outside a transaction: put back the records ``pending`` reported, where no later commit has
        replaced them since (used when a commit could not be kept on disk after the lock was released)."""
        for record_id, old, new in reversed(touched):
            current = self._rows.get(record_id, _MISSING)
            if current is not new:
                continue
            if old is _MISSING:
                self.delete(record_id)
            elif current is _MISSING:
                self.insert(old)
            else:
                self.replace(record_id, old)

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
            if current is not None and old is not _MISSING:
                self._rows[record_id] = old      # in place, and in place in the indexes it stays in
                self._reindex(record_id, current, old)
                continue
            if current is not None:
                self._index_remove(record_id, current)
                del self._rows[record_id]
            if old is not _MISSING:
                self._rows[record_id] = old      # a deleted record comes back at the end, then moves
                self._index_add(record_id, old)
        if positions:
            ordered = [key for key in self._rows if key not in positions]
            for record_id, index in sorted(positions.items(), key=lambda item: item[1]):
                if record_id in self._rows:     # not a record the transaction itself created
                    ordered.insert(index, record_id)
            self._rows = {key: self._rows[key] for key in ordered}
        if undo:
            self._next_id = undo[0][1]

    def _reindex(self, record_id: Any, old: Record, new: Record) -> None:
        """A replaced record keeps its place in every index whose value it keeps (records created
        together stay in creation order after a write to one of them)."""
        for field in self._indexes:
            before, after = old.get(field), new.get(field)
            if before == after and type(before) is type(after):
                continue
            if not isinstance(before, (list, dict)):
                ids = self._ids(field, before, create=False)
                if ids is not None:
                    ids.pop(record_id, None)
                    if not ids:
                        del self._indexes[field][before]
            if not isinstance(after, (list, dict)):
                self._ids(field, after, create=True)[record_id] = None

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
    """The whole state of one API in one session: its tables by name.

    ``files`` (the default session with a data directory) keeps each commit durable before it counts."""

    def __init__(self, api: str, tables: dict[str, Table], lock: threading.RLock,
                 files: ApiFiles | None = None, on_logged: Callable[["ApiState"], None] | None = None,
                 *, changes: Changes | None = None):
        self.api = api
        self.tables = tables
        self.lock = lock
        self.changes = changes or Changes()         # the store's: one count for every state it holds
        self.files = files
        self._on_logged = on_logged                 # after a logged commit (the store may compact)
        self._after_commit: list[Callable[[], None]] | None = None   # not None while a transaction is open
        self.writes = 0                             # commits that changed something
        self.detached = False                       # replaced by a reset or restore: takes no more commits
        # Facts a backend derives once from this state instead of per request; a copy starts empty, so
        # only facts that the backend's own writes keep true belong here (shop: item ids taken ahead).
        self.memo: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]

    @contextmanager
    def transaction(self) -> Iterator["ApiState"]:
        """All or nothing: an exception rolls every table back, so a refused request changes nothing; a
        change that cannot be kept on disk is rolled back too and raises ``Unavailable``. Returns only
        once the change is durable; its side effects (``after_commit``) run after that and can never
        fail it (core/afterwards.py: once the answer has gone out, when the server allows it).

        Re-entrant: a transaction opened inside another joins it, and only the outermost commits."""
        pending = None
        with self.lock:
            if self._after_commit is not None:      # already inside a transaction of this state
                yield self
                return
            tables = list(self.tables.values())
            for table in tables:
                table.begin()
            self._after_commit = []
            self.changes.begin()
            changed = [True]
            try:
                if self.detached:
                    raise Unavailable("The state was reset or replaced while this request ran, so nothing "
                                      "changed; send it again.")
                yield self
                pending = self._log_changes(tables)
            except BaseException as exc:
                for table in tables:
                    table.rollback()
                self._after_commit = None
                if isinstance(exc, PersistenceError):
                    raise Unavailable(_not_kept(exc)) from exc
                raise
            else:
                changed = [table.commit() for table in tables]
            finally:
                self.changes.end(any(changed))
            callbacks, self._after_commit = self._after_commit, None
            if any(changed):
                self.writes += 1
        if pending is not None:
            self._sync(*pending)
        for callback in callbacks:
            later(partial(self._side_effect, callback))

    def _side_effect(self, callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception:       # the change is kept and answered: a side effect cannot undo that
            log.exception("%s: a side effect of a kept commit failed", self.api)

    def _log_changes(self, tables: list[Table]):
        """Under the lock: hand the commit's log line to the kernel (raises PersistenceError)."""
        if self.files is None:
            return None
        touched, entry = {}, {}
        for table in tables:
            records, change = table.pending()
            if change is not None:
                touched[table], entry[table.name] = records, change
        if not entry:
            return None
        log_file = self.files.log
        ticket = log_file.append(entry)
        self.files.unsynced[(log_file, ticket[1])] = [(table, records) for table, records in touched.items()]
        return log_file, ticket, touched

    def _sync(self, log_file, ticket: tuple[int, int], touched: dict) -> None:
        try:
            log_file.sync(ticket)
        except PersistenceError as exc:
            with self.lock, self.changes.changing():
                # Every commit not yet on disk goes, newest first (one fsync covers a group: a commit built on
                # another one of the group must be undone before it), whichever of them sees the failure.
                unsynced = self.files.unsynced
                for key in sorted((k for k in unsynced if k[0] is log_file), key=lambda k: k[1], reverse=True):
                    for table, records in unsynced.pop(key):
                        table.revert(records)
            raise Unavailable(_not_kept(exc)) from exc
        with self.lock:
            unsynced = self.files.unsynced
            for key in [k for k in unsynced if k[0] is log_file and k[1] <= log_file.synced]:
                del unsynced[key]
        if self._on_logged is not None:
            try:
                self._on_logged(self)
            except Exception:       # a compaction that cannot start is retried after the next commit
                log.exception("%s: could not start a compaction", self.api)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current transaction has committed and is kept (never if it rolls
        back); outside a transaction, at once. Used for side effects such as webhook events."""
        if self._after_commit is None:
            callback()
        else:
            self._after_commit.append(callback)

    def copy(self, files: ApiFiles | None = None, on_logged=None) -> "ApiState":
        with self.lock:
            return ApiState(self.api, {n: t.copy() for n, t in self.tables.items()}, self.lock, files, on_logged,
                            changes=self.changes)

    def export(self) -> dict[str, list[Record]]:
        """The state as plain JSON data: table name -> records in order."""
        with self.lock:
            return {name: table.all() for name, table in self.tables.items()}

    def next_ids(self) -> dict[str, int]:
        return {name: table.next_id() for name, table in self.tables.items()}


FREEZE_IMPORTS_OF = 1000   # records: an import at least this large goes to the permanent generation (Store.imported)


def _not_kept(exc: BaseException) -> str:
    return f"The sandbox could not keep the change on disk, so nothing changed: {exc}"


class Store:
    """Every API's state, per session, seeded once and restorable.

    ``schemas`` maps api -> table name -> indexed fields; ``seeders`` maps api -> a function returning
    table name -> records. An API is seeded when first needed (a start from a data directory loads its
    files and seeds nothing), and the seeded state is kept, so reset is a copy, not a re-seed.

    Sessions: the default session is what a client sees without ``X-Sandbox-Session``; any other name gets
    its own copy of the seeded state on first use. At most ``max_sessions`` named sessions live at once,
    whatever created them (an API call, the control plane, the journal); the least recently used goes
    first, ``on_evict`` clears what other registries keep for it, and an eviction that loses writes is
    logged and listed in ``evictions``. Only the default session is persisted with a data directory: named
    sessions are scratch state for one test run.
    """

    def __init__(self, schemas: Mapping[str, Mapping[str, Iterable[str]]],
                 seeders: Mapping[str, Callable[[], Mapping[str, list[Record]]]],
                 data_dir: str | Path | None = None, *, max_sessions: int = 64,
                 on_evict: Callable[[str], None] | None = None, on_seeded: Callable[[], None] | None = None,
                 freeze_loaded: bool = False,
                 compact_bytes: int = COMPACT_BYTES):
        self.lock = threading.RLock()
        self.changes = Changes()
        self._seeding = threading.Lock()
        self._on_seeded = on_seeded or (lambda: None)
        self._freeze_loaded = freeze_loaded
        self._schemas = {api: {t: tuple(ix) for t, ix in tables.items()} for api, tables in schemas.items()}
        self._seeders = dict(seeders)
        self._data_dir = Path(data_dir) if data_dir else None
        self._max_sessions = max_sessions
        self._on_evict = on_evict
        self._compact_bytes = compact_bytes
        self._seeded: dict[str, ApiState] = {}
        self._files: dict[str, ApiFiles] = {}
        self._compactions: dict[str, threading.Thread] = {}
        self.evictions: deque[dict] = deque(maxlen=EVICTIONS_KEPT)
        self._live: OrderedDict[str, dict[str, ApiState]] = OrderedDict()
        self._live[DEFAULT_SESSION] = {api: self._open_default(api) for api in self._schemas}
        if self._data_dir is not None:
            self._warm_indexes_later()

    def _warm_indexes_later(self) -> None:
        """After a start from a data dir, build the loaded tables' indexes in the background once the server
        has had time to answer health, so that the first request that filters or writes a 50k-order table
        does not pay the build either (0.17 s for slyk's). A request that needs a table meanwhile builds
        it itself or waits for it, never sees half an index."""
        tables = [table for state in self._live[DEFAULT_SESSION].values() for table in state.tables.values()
                  if table.indexes_pending]
        if sum(len(table) for table in tables) < INDEX_WARMUP_ROWS:
            return                      # the first request's build is too short to matter
        timer = threading.Timer(INDEX_WARMUP_DELAY_S, lambda: [table.ensure_indexes() for table in tables])
        timer.name, timer.daemon = "sandbox-index-warmup", True
        timer.start()

    @property
    def apis(self) -> list[str]:
        return list(self._schemas)

    @property
    def max_sessions(self) -> int:
        return self._max_sessions

    def tables(self, api: str) -> dict[str, tuple[str, ...]]:
        return dict(self._schemas[api])

    def state(self, api: str, session: str = DEFAULT_SESSION) -> ApiState:
        states = self._session(session)
        state = states.get(api)
        if state is None:
            seeded = self.seeded(api)
            with self.lock:
                state = states.get(api)
                if state is None:
                    state = states[api] = seeded.copy()
        return state

    def touch_session(self, session: str) -> None:
        """Make ``session`` live (counted under the cap) before anything is kept for it."""
        self._session(session)

    def sessions(self) -> list[str]:
        with self.lock:
            return list(self._live)

    def drop_session(self, session: str) -> bool:
        """Forget a named session (the default one cannot be dropped, only reset)."""
        with self.lock, self.changes.changing():
            if session == DEFAULT_SESSION or session not in self._live:
                return False
            del self._live[session]
        if self._on_evict:
            self._on_evict(session)
        return True

    def reset(self, api: str | None = None, session: str = DEFAULT_SESSION) -> None:
        """Back to exactly the seeded state, for one API or all."""
        self.restore({name: self.seeded(name) for name in ([api] if api else self.apis)}, session)

    def seeded(self, api: str) -> ApiState:
        state = self._seeded.get(api)
        if state is None:
            with self._seeding:
                state = self._seeded.get(api)
                if state is None:
                    state = self._seeded[api] = self._build(api, self._seeders[api]())
                    self._on_seeded()
        return state

    def snapshot(self, apis: Iterable[str], session: str = DEFAULT_SESSION) -> dict[str, ApiState]:
        """Copies of the named APIs' states: cheap, since records are never edited in place."""
        return {api: self.state(api, session).copy() for api in apis}

    def imported(self, records: int) -> None:
        """After an import (PUT /__sandbox/state) of ``records`` records: they live until the next reset or import,
        as long as a load's, so with ``freeze_loaded`` a large import goes to the permanent generation too.
        Otherwise the first full collection under load walks all of it while every request waits (make bench,
        shop's creates over 5,000 imported carts: one 16-30 ms pause in a 2 s run, p99 at 32 clients 1.6x the
        median). Everything frozen before is unfrozen and collected with it: what was alive at an earlier freeze
        and has since died in a cycle is freed here, so imports leave nothing behind however many there are
        (tests/robustness/test_bounds.py). A small import (a test's few carts) is not worth a full collection."""
        if self._freeze_loaded and records >= FREEZE_IMPORTS_OF:
            collector.refreeze_everything()

    def restore(self, snapshot: Mapping[str, ApiState], session: str = DEFAULT_SESSION) -> None:
        """Replace whole states; with a data directory each is on disk before this returns, and if one
        cannot be written, no state is replaced (``Unavailable``)."""
        states = self._session(session)
        if self._data_dir is None or session != DEFAULT_SESSION:
            with self.lock, self.changes.changing():
                for api, saved in snapshot.items():
                    if api in states:
                        states[api].detached = True
                    states[api] = saved.copy()
            return
        with ExitStack() as held:
            for api in sorted(snapshot):            # the compaction locks first, in one order, then the store's
                held.enter_context(self._files[api].compacting)
            held.enter_context(self.lock)
            held.enter_context(self.changes.changing())
            written: dict[str, ApiState] = {}
            for api, saved in snapshot.items():
                state = self._attach(api, saved.copy())
                try:
                    self._write_snapshot(api, state)
                except OSError as exc:
                    self._unwrite(list(written), states)
                    raise Unavailable(_not_kept(exc)) from exc
                written[api] = state
            for api, state in written.items():          # the very states written: disk and memory agree
                states[api].detached = True
                states[api] = state

    def _unwrite(self, written: list[str], states: dict[str, ApiState]) -> None:
        """A multi-API restore failed part-way: put the APIs already written back on disk as they are in
        memory, so that memory and disk agree and the error means nothing changed."""
        for api in written:
            try:
                self._write_snapshot(api, states[api])
            except OSError as exc:     # disk and memory now differ: the disk is what a restart shows
                log.error("%s: could not put the snapshot back after a failed restore: %s", api, exc)

    def build(self, api: str, data: Mapping[str, list[Record]]) -> ApiState:
        """A detached state from plain data (table -> records); raises KeyError/TypeError on bad data."""
        return self._build(api, data)

    def persistence_failure(self) -> str | None:
        """Why the data directory stopped keeping changes (an fsync failed), or None."""
        for files in self._files.values():
            if files.log is not None and files.log.failed is not None:
                return f"{files.log.path}: {files.log.failed.strerror}"
        return None

    def close(self) -> None:
        """At a clean shutdown: fold every log into its snapshot, so the next start reads one file."""
        for api, files in list(self._files.items()):
            running = self._compactions.get(api)
            if running is not None:
                running.join()
            try:
                self.compact(api)
            except OSError as exc:
                log.warning("%s: could not compact %s at shutdown: %s", api, files.snapshot_path, exc)

    def compact(self, api: str) -> None:
        """Fold the API's log into a new snapshot. Writers go on meanwhile: they append to the next
        generation's log, which the new snapshot does not include."""
        files = self._files[api]
        with files.compacting:
            with self.lock:
                state = self._live[DEFAULT_SESSION][api]
                if files.log is not None and files.log.size == 0:
                    return
                frozen = state.copy()                       # O(1); nobody writes to the copy
                old_log = files.start_generation()
                generation = files.generation
            if old_log is not None:
                old_log.sync_all()                          # every line of it is durable before it goes
            files.write_snapshot({n: t.all() for n, t in frozen.tables.items()}, frozen.next_ids(), generation)

    # -- internals ---------------------------------------------------------------------------------
    def _open_default(self, api: str) -> ApiState:
        """The default session's state: loaded from the data directory when it has this API's files."""
        if self._data_dir is None:
            return self.seeded(api).copy()
        if not self._files:
            check_data_dir(self._data_dir)
        files = self._files[api] = ApiFiles(self._data_dir, api)
        # Hundreds of thousands of new containers: no collection would free any, and with ``freeze_loaded``
        # they go straight to the permanent generation (the collector never walks them again).
        with collector.paused(freeze=self._freeze_loaded):
            loaded = files.load(self._schemas[api])
            if loaded is not None:
                rows, next_ids = loaded
                state = self._attach(api, self._build(api, rows, loaded=True))
                del rows
        if loaded is None:
            state = self._attach(api, self.seeded(api).copy())
            self._write_snapshot(api, state)
            return state
        for name, table in state.tables.items():
            table.reserve_ids(next_ids.get(name, 1))
        files.open_log()
        return state

    def _attach(self, api: str, state: ApiState) -> ApiState:
        state.files, state._on_logged = self._files[api], self._maybe_compact
        return state

    def _write_snapshot(self, api: str, state: ApiState) -> None:
        """Holding the API's compaction lock and the store's: ``state`` becomes the API's whole persisted
        state (a new generation). A failure leaves the files as they were."""
        files = self._files[api]
        generation = files.generation + 1
        new_log = files.new_log(generation)                 # before the snapshot: a failure changes nothing
        files.write_snapshot(state.export(), state.next_ids(), generation)
        files.generation, files.log = generation, new_log

    def _maybe_compact(self, state: ApiState) -> None:
        files = state.files
        if files is None or files.log is None or files.log.size < self._compact_bytes:
            return
        with self.lock:
            running = self._compactions.get(state.api)
            if running is not None and running.is_alive():
                return
            thread = threading.Thread(target=self._compact_quietly, args=(state.api,),
                                      name=f"compact-{state.api}", daemon=True)
            self._compactions[state.api] = thread
        thread.start()

    def _compact_quietly(self, api: str) -> None:
        try:
            self.compact(api)
        except OSError as exc:      # the log still holds every commit: nothing is lost, retried later
            log.warning("%s: background compaction failed: %s", api, exc)

    def _session(self, session: str) -> dict[str, ApiState]:
        if session == DEFAULT_SESSION:
            return self._live[DEFAULT_SESSION]
        evicted: list[tuple[str, dict]] = []
        with self.lock:
            states = self._live.get(session)
            if states is None:
                states = self._live[session] = {}
                named = [name for name in self._live if name != DEFAULT_SESSION]
                over = named[:max(0, len(named) - self._max_sessions)]
                if over:
                    with self.changes.changing():
                        evicted.extend((name, self._live.pop(name)) for name in over)
            else:
                self._live.move_to_end(session)
        for name, lost in evicted:
            writes = sum(state.writes for state in lost.values())
            if writes:
                log.warning("session %r evicted with %d kept writes (more than %d sessions live; "
                            "SANDBOX_MAX_SESSIONS raises the cap)", name, writes, self._max_sessions)
            self.evictions.append({"name": name, "writes": writes,
                                   "evicted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
            if self._on_evict:
                self._on_evict(name)
        return states

    def _build(self, api: str, data: Mapping[str, list[Record]] | Mapping[str, dict[Any, Record]], *,
               loaded: bool = False) -> ApiState:
        """``loaded``: the tables are the rows by id a data dir's files were read into (``Table.loaded``)."""
        unknown = set(data) - set(self._schemas[api])
        if unknown:
            raise KeyError(f"{api}: unknown tables {sorted(unknown)}")
        if loaded:
            tables = {name: Table.loaded(name, data.get(name, {}), indexes=indexes)
                      for name, indexes in self._schemas[api].items()}
        else:
            tables = {name: Table(name, data.get(name, ()), indexes=indexes)
                      for name, indexes in self._schemas[api].items()}
        return ApiState(api, tables, self.lock, changes=self.changes)
