"""Durable state with ``--data-dir``: per API, a compacted snapshot plus an append-only log of commits.

Why a log: a write must be on disk before it is acknowledged, and rewriting a whole state file per write
costs O(records) (1.3 s a write at 50k orders). A commit appends one line, the records it changed, and
is fsync'd before the answer; a background compaction folds the log into the snapshot.

Files of one API in the data directory:
- ``<api>.json``: the snapshot, a valid TinyDB database (one TinyDB table per sandbox table, documents
  numbered in order, plus ``_next_ids`` and ``_meta`` with the snapshot's ``generation``). Written whole
  to ``.<api>.json.tmp``, fsync'd and renamed, so a crash never leaves a half-written snapshot.
- ``<api>.<generation>.log``: the commits made since the snapshot of that generation, one line each,
  ``<crc32 hex> <json>``. A compaction starts the next generation's log, writes the snapshot of the new
  generation, then deletes the older logs, so at every instant snapshot + logs hold every commit.

At start the snapshot is loaded and the logs of its generation and later are replayed. A last line that
is incomplete or fails its checksum was being written when the process died (never acknowledged): it is
dropped. Anything else that does not read stops the start, naming the file, the position and a hint.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import re
import threading
import zlib
from pathlib import Path
from typing import Any, Iterable

import msgspec
from tinydb.storages import Storage

COMPACT_BYTES = 8 * 1024 * 1024     # a log larger than this is folded into the snapshot in the background
_LOG_NAME = re.compile(r"^(?P<api>[a-z0-9_-]+)\.(?P<generation>\d+)\.log$")
log = logging.getLogger("sandbox")
_HINT = ("move the file away (the API then starts from its seed), or restore it from a backup, "
         "and start again")


class PersistenceError(OSError):
    """The data directory could not keep a change (disk full, read-only, replaced by a directory ...)."""


class DataDirError(Exception):
    """The data directory cannot be used at all: one line that says why, for the start-up."""


def encode(value: Any) -> str:
    # allow_nan=False: a NaN that reached the state would make the file unreadable as JSON.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def decode(raw: bytes | memoryview) -> Any:
    """msgspec reads a 50k-order snapshot several times faster than json (and faster than orjson, in less
    memory: it sizes each dict once); json says where a broken file breaks. Both refuse NaN and Infinity,
    which no state may hold."""
    try:
        return _decoder.decode(raw)
    except msgspec.DecodeError as exc:
        json.loads(bytes(raw), parse_constant=_refuse_constant)   # raises JSONDecodeError with the position
        raise ValueError(str(exc)) from None                       # what json accepts and msgspec does not


_decoder = msgspec.json.Decoder()


def read_json(path: Path) -> Any:
    """The JSON document in ``path``, parsed from a read-only mapping of the file rather than a copy of it:
    the copy is fresh memory as large as the file, and on a VM a new page can cost more than the parse of
    its bytes (50k orders per API, five snapshots of 320 MB: parsed in 3.5 s instead of 4.3 s).
    A snapshot is only ever replaced by a rename, never truncated in place, so the mapping cannot shrink
    under the parse."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return decode(b"")                        # mmap refuses an empty file; json names the error
        try:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError:                               # a file system that cannot map files (some FUSE mounts)
            return decode(handle.read())
        with mapped:
            view = memoryview(mapped)
            try:
                return decode(view)
            finally:
                view.release()                       # before the mapping closes (it refuses while exported)


def _after_rename(step, path: Path) -> None:
    """A step after a snapshot's rename, which is the point it counts: its failure is logged, never raised,
    so that what counts on disk and what the store believes never differ."""
    try:
        step()
    except OSError as exc:
        log.warning("%s: written, but a step after it failed: %s", path, exc)


def fsync_dir(path: Path) -> None:
    """Make a file's creation, rename or removal in ``path`` durable (the directory entry itself)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicJSONStorage(Storage):
    """TinyDB storage that never leaves a half-written file: a temporary file, fsync, rename."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def read(self):
        try:
            return read_json(self.path)
        except FileNotFoundError:
            return None

    def write(self, data) -> None:
        # One fixed temporary name per file: a crash leaves at most one, removed at the next start.
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as handle:
                # One dumps then one write: json.dump writes chunk by chunk, about twice as slow.
                handle.write(encode(data))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _after_rename(lambda: fsync_dir(self.path.parent), self.path)


class Log:
    """One generation's append-only log. ``append`` runs under the store's lock (it only hands the line
    to the kernel); ``sync`` runs outside it, so readers never wait for the disk, and one fsync covers
    every line appended before it (group commit).

    The file is opened for each commit and closed once it is synced, never held open between commits:
    a data directory made read-only, full, or replaced while the sandbox runs fails the next commit
    (which then changes nothing) instead of acknowledging writes into a file nobody will read again."""

    def __init__(self, path: Path):
        self.path = path
        self._size = path.stat().st_size if path.exists() else 0
        self._appended = 0
        self._synced = 0
        self._tail = (0, self._size)               # (lines appended, bytes): set at once, read by sync
        self._synced_size = self._size
        self._sync_lock = threading.Lock()
        self.failed: OSError | None = None      # an fsync failed: nothing appended since can be trusted
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))
            fsync_dir(path.parent)                  # the new file's name survives a crash too

    @property
    def size(self) -> int:
        return self._size

    @property
    def synced(self) -> int:
        return self._synced

    def append(self, change: Any) -> tuple[int, int]:
        """Write one commit; returns the ticket ``sync`` takes. On failure the file is as before."""
        if self.failed is not None:
            raise PersistenceError(f"{self.path}: an earlier fsync failed ({self.failed.strerror}); "
                                   "restart the sandbox") from self.failed
        body = encode(change).encode("utf-8")
        line = b"%08x " % zlib.crc32(body) + body + b"\n"
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        except OSError as exc:
            raise PersistenceError(exc.errno, f"{self.path}: {exc.strerror}") from exc
        try:
            start = os.fstat(fd).st_size
            if start != self._size:
                raise PersistenceError(f"{self.path} was changed by something else while the sandbox ran; "
                                       "a reset writes the state anew")
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view):]
        except OSError as exc:
            try:
                if not isinstance(exc, PersistenceError):
                    os.ftruncate(fd, self._size)        # no torn line in the middle of the log
            except OSError:
                self.failed = exc
            os.close(fd)
            if isinstance(exc, PersistenceError):
                raise
            raise PersistenceError(exc.errno, f"{self.path}: {exc.strerror}") from exc
        self._size += len(line)
        self._appended += 1
        self._tail = (self._appended, self._size)
        return fd, self._appended

    def sync(self, ticket: tuple[int, int]) -> None:
        """Return once the ticket's line is on disk; closes the ticket's file."""
        fd, number = ticket
        try:
            with self._sync_lock:
                if self._synced >= number:
                    return                              # another commit's fsync covered this one
                if self.failed is not None:
                    raise PersistenceError(f"{self.path}: fsync failed ({self.failed.strerror})") from self.failed
                target, target_size = self._tail
                try:
                    os.fsync(fd)
                except OSError as exc:
                    # After a failed fsync the kernel may have dropped the dirty pages: trust nothing more.
                    # The commits behind the unsynced lines are undone and answered 503, so their lines go too
                    # (as far as the disk still lets us), lest a restart bring them back.
                    self.failed = exc
                    try:
                        os.ftruncate(fd, self._synced_size)
                        os.fsync(fd)
                    except OSError:
                        pass
                    raise PersistenceError(exc.errno, f"{self.path}: fsync failed: {exc.strerror}") from exc
                self._synced = max(self._synced, target)
                self._synced_size = max(self._synced_size, target_size)
        finally:
            try:
                os.close(fd)
            except OSError:         # the line is on disk (or the error was raised above): nothing to add
                pass

    def sync_all(self) -> None:
        """Every line appended so far on disk (before the log is folded into a snapshot)."""
        with self._sync_lock:
            if self.failed is not None:     # its lines may be lost, and the commits behind them were undone
                raise PersistenceError(f"{self.path}: fsync failed ({self.failed.strerror})") from self.failed
            target, target_size = self._tail
            if self._synced >= target:
                return
            fd = os.open(self.path, os.O_WRONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            self._synced, self._synced_size = target, target_size


def read_log(path: Path) -> tuple[list[dict], int]:
    """The commits in a log, and the length of its valid part (a torn last line is left out)."""
    raw = path.read_bytes()
    changes, position = [], 0
    while position < len(raw):
        end = raw.find(b"\n", position)
        line = raw[position:end] if end >= 0 else raw[position:]
        last = end < 0 or end == len(raw) - 1
        change = _parse_line(line)
        if change is None or end < 0:
            if last:
                break                                 # the line being written when the process died
            raise DataDirError(f"{path}: corrupt log line at byte {position}: {_HINT}")
        changes.append(change)
        position = end + 1
    return changes, position


def _parse_line(line: bytes) -> dict | None:
    if len(line) < 10 or line[8:9] != b" ":
        return None
    body = line[9:]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return None
        change = decode(body)
    except ValueError:
        return None
    return change if isinstance(change, dict) else None


class ApiFiles:
    """Snapshot and logs of one API in the data directory."""

    def __init__(self, data_dir: Path, api: str):
        self.dir = data_dir
        self.api = api
        self.snapshot_path = data_dir / f"{api}.json"
        self.generation = 0
        self.log: Log | None = None
        # (log, line number) -> what the commit changed, until its line is fsync'd: a failed fsync undoes them.
        self.unsynced: dict[tuple[Log, int], list] = {}
        self.compacting = threading.Lock()   # one snapshot write at a time; taken before the store's lock

    def _log_path(self, generation: int) -> Path:
        return self.dir / f"{self.api}.{generation}.log"

    def _logs(self) -> list[tuple[int, Path]]:
        found = []
        for path in self.dir.iterdir():
            match = _LOG_NAME.match(path.name)
            if match and match["api"] == self.api:
                found.append((int(match["generation"]), path))
        return sorted(found)

    # -- start ---------------------------------------------------------------------------------------
    def load(self, tables: Iterable[str]) -> tuple[dict[str, dict], dict[str, int]] | None:
        """table -> {id: record} (in order) and table -> next id, from the snapshot and the logs; None
        when this API has no files yet. Raises DataDirError naming the file that does not read."""
        tables = list(tables)
        logs = self._logs()
        if not self.snapshot_path.exists():
            if logs:
                raise DataDirError(f"{logs[0][1]}: a log without its snapshot {self.snapshot_path.name}: {_HINT}")
            return None
        data = self._read_snapshot(tables)
        rows, next_ids, self.generation = data
        for generation, path in logs:
            if generation < self.generation:
                continue                              # already folded into the snapshot
            changes, valid = read_log(path)
            for change in changes:
                apply_change(rows, next_ids, change)
            if valid < path.stat().st_size:           # drop the torn tail before appending after it
                with open(path, "r+b") as handle:
                    handle.truncate(valid)
            self.generation = max(self.generation, generation)
        return rows, next_ids

    def _read_snapshot(self, tables: list[str]):
        path = self.snapshot_path
        try:
            # Read as the JSON it is, once: TinyDB's API would parse the whole file again for every table.
            document = AtomicJSONStorage(path).read()
            meta = document.get("_meta", {}).get("1", {})
            next_ids = dict(document.get("_next_ids", {}).get("1", {}))
            rows = {name: {record["id"]: record for record in document[name].values()}
                    for name in tables if name in document}
        except json.JSONDecodeError as exc:
            raise DataDirError(f"{path}: not valid JSON at line {exc.lineno} column {exc.colno} "
                               f"(byte {exc.pos}): {_HINT}") from None
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise DataDirError(f"{path}: not a sandbox data file ({type(exc).__name__}: {exc}): {_HINT}") from None
        except OSError as exc:
            raise DataDirError(f"{path}: cannot be read: {exc.strerror}") from None
        for name in tables:
            rows.setdefault(name, {})
        return rows, next_ids, int(meta.get("generation", 0))

    def open_log(self) -> None:
        self.log = Log(self._log_path(self.generation))

    def new_log(self, generation: int) -> Log:
        return Log(self._log_path(generation))

    # -- snapshots -----------------------------------------------------------------------------------
    def start_generation(self) -> Log:
        """Under the store's lock: further commits go to a new log; returns the old one."""
        old, self.generation = self.log, self.generation + 1
        self.log = Log(self._log_path(self.generation))
        return old

    def write_snapshot(self, data: dict[str, list[dict]], next_ids: dict[str, int], generation: int) -> None:
        """Outside the lock: the state as of the start of ``generation``, then drop the older logs."""
        document = {name: {str(i): record for i, record in enumerate(records, start=1)}
                    for name, records in data.items()}
        document["_next_ids"] = {"1": next_ids}
        document["_meta"] = {"1": {"generation": generation}}
        AtomicJSONStorage(self.snapshot_path).write(document)

        def drop_older_logs():
            for old, path in self._logs():
                if old < generation:
                    path.unlink(missing_ok=True)
            fsync_dir(self.dir)
        _after_rename(drop_older_logs, self.snapshot_path)


def apply_change(rows: dict[str, dict], next_ids: dict[str, int], change: dict) -> None:
    """Replay one logged commit, ``{table: {"del": [ids], "put": [records], "next": n}}``: deletions first,
    then each record put (in its place when it exists, else at the end), as the commit left them."""
    for name, table_change in change.items():
        table = rows.setdefault(name, {})
        for record_id in table_change.get("del", ()):
            table.pop(record_id, None)
        for record in table_change.get("put", ()):
            table[record["id"]] = record
        if "next" in table_change:
            next_ids[name] = table_change["next"]


def check_data_dir(path: Path) -> None:
    """Create the directory and prove it takes a durable file; DataDirError in one line otherwise.
    Leftover temporary files of a snapshot interrupted by a crash are removed."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".sandbox-write-test"
        with open(probe, "wb") as handle:
            handle.write(b"ok")
            handle.flush()
            os.fsync(handle.fileno())
        probe.unlink()
        for leftover in path.glob(".*.json.tmp"):
            leftover.unlink()
    except OSError as exc:
        raise DataDirError(f"data dir {path}: cannot be used: {exc.strerror or exc}") from None
