"""Content-addressed compile cache: compile a (language, toolchain version, flags, source) once.

An entry is a directory `entries/KEY/` holding the artifacts (`files/`, the box's tree) and `meta.json` (compiler
output, whether it compiled). It is built in `staging/` and renamed into place, so a reader sees
a whole entry or none. A per-key lock makes concurrent identical compilations, in threads or in
other processes, wait for the first one instead of compiling again; the lock file is removed by
its holder, so none is left behind.

The cost of a run must not grow with the cache: `CacheIndex` (SQLite, shared by every process on
the machine) keeps each entry's size and last use, and the total, as they change. When the total
passes `max_bytes`, a background thread evicts the least recently used entries in batches down
to `LOW_WATER` of it; no run walks the cache. Only what is compiled or syntax-checked has an
entry: any other interpreted program's source is written straight into its box (compile.prepare).

Artifacts are copied out of the box with `Box.read_tree` (no links, regular files only, capped)
and copied into each later run's box (compile.put_artifacts): a program changes only its copy.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

from ..languages import Language

MAX_ARTIFACT_FILES = 256
# An entry keeps the program's files under `files/` (the box's tree), beside its meta.json.
ARTIFACTS_DIR = "files"
LAYOUT = 2
MAX_ARTIFACT_BYTES = 64 * 1024 * 1024
LOW_WATER = 0.9  # eviction stops at this fraction of max_bytes, so it runs in batches, not per entry
EVICTION_BATCH = 256
TOUCH_INTERVAL = 60.0  # seconds: a hit records its use at most this often (LRU to the minute)


@dataclass
class CacheEntry:
    key: str
    directory: Path | None  # None: nothing cached, the files are `inline` (interpreted languages)
    ok: bool
    compile_output: str
    files: list[str]
    failure: dict | None = None  # the CE/IE result when not ok
    inline: dict[str, bytes] = field(default_factory=dict)  # written into each box before the run

    def path(self, name: str) -> str:
        """Where the entry keeps the program's file `name` (a path relative to the box). A string:
        every run of the program asks for each of its files twice (pathlib costs more)."""
        assert self.directory is not None
        return f"{self.directory}/{ARTIFACTS_DIR}/{name}"


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    compilations: int = 0
    evictions: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def bump(self, name: str, by: int = 1) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + by)


def cache_key(language: Language, source: str, files: Mapping[str, bytes] | None = None,
              compiler_options: tuple[str, ...] = (), sandbox: str = "") -> str:
    """Everything that decides what a compilation produces (LAYOUT: how an entry is stored;
    `sandbox`: the sandbox's fingerprint, which the compiler ran in)."""
    file_digests = sorted((path, hashlib.sha256(data).hexdigest()) for path, data in (files or {}).items())
    material = json.dumps([LAYOUT, sandbox, language.id, language.version(), list(language.compile or ()),
                           list(language.check or ()), list(language.run), language.env, list(language.extra_binds),
                           source, file_digests, list(compiler_options)])
    return hashlib.sha256(material.encode()).hexdigest()


def _files_bytes(directory: Path) -> int:
    """The size of an entry: every file in it (an entry is written by us: it holds no links)."""
    return sum((Path(root) / name).stat().st_size for root, _dirs, names in os.walk(directory) for name in names)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, bytes INTEGER NOT NULL, last_used REAL NOT NULL);
CREATE INDEX IF NOT EXISTS entries_by_use ON entries (last_used);
CREATE TABLE IF NOT EXISTS totals (id INTEGER PRIMARY KEY CHECK (id = 1), bytes INTEGER NOT NULL, count INTEGER NOT NULL);
INSERT OR IGNORE INTO totals VALUES (1, 0, 0);
CREATE TRIGGER IF NOT EXISTS entry_added AFTER INSERT ON entries
  BEGIN UPDATE totals SET bytes = bytes + NEW.bytes, count = count + 1; END;
CREATE TRIGGER IF NOT EXISTS entry_removed AFTER DELETE ON entries
  BEGIN UPDATE totals SET bytes = bytes - OLD.bytes, count = count - 1; END;
"""


class CacheIndex:
    """Sizes and last uses of the cache's entries, and their total, kept by triggers: every
    question the cache asks is answered from an index, whatever the number of entries."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._pid = -1
        self._connection: sqlite3.Connection | None = None

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._pid != os.getpid():  # a connection never crosses a fork
                self._connection = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                                   check_same_thread=False)
                self._connection.execute("PRAGMA journal_mode=WAL")
                self._connection.execute("PRAGMA synchronous=NORMAL")
                self._pid = os.getpid()
            yield self._connection

    def create(self) -> bool:
        """Create the tables; True when the index is new (its entries must be counted once)."""
        with self._db() as db:
            new = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'entries'").fetchone()[0] == 0
            db.executescript(_SCHEMA)
        os.chmod(self.path, 0o600)
        return new

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction taken at once (BEGIN IMMEDIATE): writers in other processes wait."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def add(self, key: str, size: int, now: float | None = None) -> None:
        # Not INSERT OR REPLACE: its implicit delete would not fire the trigger that keeps the total.
        with self._transaction() as db:
            db.execute("DELETE FROM entries WHERE key = ?", (key,))
            db.execute("INSERT INTO entries VALUES (?, ?, ?)", (key, size, now or time.time()))

    def touch(self, key: str, now: float) -> None:
        with self._db() as db:
            db.execute("UPDATE entries SET last_used = ? WHERE key = ?", (now, key))

    def totals(self) -> tuple[int, int]:
        """(bytes, entries)"""
        with self._db() as db:
            return db.execute("SELECT bytes, count FROM totals").fetchone()

    def take_oldest(self, free_bytes: int, limit: int) -> list[tuple[str, int]]:
        """Remove and return the least recently used entries that free `free_bytes` (at most
        `limit` of them), in one transaction, so evictors in several processes never take the
        same entry."""
        with self._transaction() as db:
            taken, freed = [], 0
            for key, size in db.execute("SELECT key, bytes FROM entries ORDER BY last_used LIMIT ?", (limit,)):
                if freed >= free_bytes:
                    break
                taken.append((key, size))
                freed += size
            db.executemany("DELETE FROM entries WHERE key = ?", [(key,) for key, _ in taken])
        return taken


class CompileCache:
    def __init__(self, root: Path, max_bytes: int = 1 << 30):
        self.root = root
        self.entries = root / "entries"
        self.locks = root / "locks"
        self.staging = root / "staging"
        self.trash = root / "trash"
        self.max_bytes = max_bytes
        self.stats = CacheStats()
        for directory, mode in ((root, 0o711), (self.entries, 0o711), (self.locks, 0o700),
                                (self.staging, 0o700), (self.trash, 0o700)):
            directory.mkdir(parents=True, exist_ok=True)
            os.chmod(directory, mode)  # box uids read artifacts through bind mounts only
        self.index = CacheIndex(root / "index.sqlite")
        if self.index.create():
            self._count_existing_entries()
        self._touched: OrderedDict[str, float] = OrderedDict()
        self._touched_lock = threading.Lock()
        self._evict_wanted = threading.Event()
        self._evictor: threading.Thread | None = None
        self._evictor_lock = threading.Lock()
        self._empty_trash()

    # -- reading ----------------------------------------------------------------------------
    def lookup(self, key: str) -> CacheEntry | None:
        # Plain descriptors and strings: every run of a compiled program looks its entry up.
        directory = f"{self.entries}/{key}"
        try:
            fd = os.open(f"{directory}/meta.json", os.O_RDONLY | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            with os.fdopen(fd, "rb") as file:
                meta = json.loads(file.read())
        except json.JSONDecodeError:
            return None
        self._record_use(key)
        return CacheEntry(key, Path(directory), meta["ok"], meta["compile_output"], meta["files"], meta.get("failure"))

    def _record_use(self, key: str) -> None:
        now = time.time()
        with self._touched_lock:
            last = self._touched.get(key, 0.0)
            if now - last < TOUCH_INTERVAL:
                return
            self._touched[key] = now
            self._touched.move_to_end(key)
            while len(self._touched) > 10_000:
                self._touched.popitem(last=False)
        self.index.touch(key, now)

    def size_bytes(self) -> int:
        return self.index.totals()[0]

    def entry_count(self) -> int:
        return self.index.totals()[1]

    # -- building ---------------------------------------------------------------------------
    def get_or_build(self, key: str, build) -> CacheEntry:
        """Return the entry for key; build(tmp_dir) -> (ok, output, files, failure) only if absent.
        A failure of the system (`failure` an IE result: the compiler could not run) is answered
        and not kept: the next compilation of that program tries again."""
        entry = self.lookup(key)
        if entry:
            self.stats.bump("hits")
            return entry
        with self._key_lock(key):
            entry = self.lookup(key)
            if entry:
                self.stats.bump("hits")
                return entry
            self.stats.bump("misses")
            staging = self.staging / f"{os.getpid()}-{uuid.uuid4().hex}"
            staging.mkdir(mode=0o700)
            try:
                self.stats.bump("compilations")
                ok, output, files, failure = build(staging)
                if failure is not None and failure.get("verdict") == "IE":
                    shutil.rmtree(staging, ignore_errors=True)
                    return CacheEntry(key="", directory=None, ok=False, compile_output=output, files=[],
                                      failure=failure)
                (staging / "meta.json").write_text(json.dumps(
                    {"ok": ok, "compile_output": output, "files": files, "failure": failure, "created": time.time()}))
                size = _files_bytes(staging)  # only what build() just wrote
                os.chmod(staging, 0o755)
                self.index.add(key, size)  # before the rename: an entry on disk is always counted
                if (self.entries / key).exists():  # an unreadable leftover (lookup found no meta)
                    os.rename(self.entries / key, self.trash / f"{key}-{uuid.uuid4().hex[:8]}")
                os.rename(staging, self.entries / key)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        if self.size_bytes() > self.max_bytes:
            self._wake_evictor()
        return CacheEntry(key, self.entries / key, ok, output, files, failure)

    @contextlib.contextmanager
    def _key_lock(self, key: str) -> Iterator[None]:
        """An exclusive flock on `locks/KEY.lock`, whose holder unlinks it before letting go. A
        waiter that wakes up holding a file no longer at that path retries on the new one."""
        path = self.locks / f"{key}.lock"
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    current = os.stat(path).st_ino == os.fstat(fd).st_ino
                except FileNotFoundError:
                    current = False
            except BaseException:
                os.close(fd)
                raise
            if current:
                break
            os.close(fd)
        try:
            yield
        finally:
            os.unlink(path)
            os.close(fd)

    # -- eviction, off the run's path ---------------------------------------------------------
    def _wake_evictor(self) -> None:
        with self._evictor_lock:
            if self._evictor is None or not self._evictor.is_alive():
                self._evictor = threading.Thread(target=self._evict_loop, name="cache-evictor", daemon=True)
                self._evictor.start()
        self._evict_wanted.set()

    def _evict_loop(self) -> None:
        while self._evict_wanted.wait(timeout=60):
            self._evict_wanted.clear()
            try:
                self.evict()
            except Exception:  # noqa: BLE001 - eviction is best effort; the next build retries
                pass

    def evict(self) -> int:
        """Evict least recently used entries, in batches, until the total is at most LOW_WATER of
        max_bytes. Returns how many went."""
        evicted = 0
        target = int(self.max_bytes * LOW_WATER)
        while (excess := self.size_bytes() - target) > 0:
            batch = self.index.take_oldest(excess, EVICTION_BATCH)
            if not batch:
                break
            for key, _size in batch:
                # Renamed away first, so a reader sees a whole entry or none; removed without
                # following links (shutil.rmtree does not follow them).
                doomed = self.trash / f"{key}-{uuid.uuid4().hex[:8]}"
                try:
                    os.rename(self.entries / key, doomed)
                except FileNotFoundError:
                    continue
                shutil.rmtree(doomed, ignore_errors=True)
                evicted += 1
        self.stats.bump("evictions", evicted)
        return evicted

    def _empty_trash(self) -> None:
        """What an eviction interrupted by the end of its process left; staging dirs of dead builders."""
        for doomed in self.trash.iterdir():
            shutil.rmtree(doomed, ignore_errors=True)
        for partial in self.staging.iterdir():
            pid = partial.name.split("-", 1)[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                shutil.rmtree(partial, ignore_errors=True)

    def _count_existing_entries(self) -> None:
        """A cache made before the index existed: counted once, when the index is created."""
        for directory in self.entries.iterdir():
            if directory.name.startswith(".") or not directory.is_dir():
                shutil.rmtree(directory, ignore_errors=True)
                continue
            self.index.add(directory.name, _files_bytes(directory), directory.stat().st_mtime)
        for stale in self.locks.iterdir():
            stale.unlink(missing_ok=True)
