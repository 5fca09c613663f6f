"""Content-addressed compile cache: compile a (language, toolchain version, flags, source) once.

An entry is a directory `entries/KEY/` holding the artifact files and `meta.json` (compiler
output, whether it compiled). It is built in a temporary directory and renamed into place, so a
reader sees a whole entry or none. A per-key `flock` makes concurrent identical compilations,
in threads or in other processes, wait for the first one instead of compiling again. The
cache is bounded: when it grows past `max_bytes`, the least recently used entries go first
(use is recorded in each entry's mtime).

Artifacts are copied out of the box with `Box.read_file` (no links, regular files only, capped)
and handed back to later runs as read-only bind mounts: a program cannot change them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..languages import Language

MAX_ARTIFACT_FILES = 256
MAX_ARTIFACT_BYTES = 64 * 1024 * 1024


@dataclass
class CacheEntry:
    key: str
    directory: Path
    ok: bool
    compile_output: str
    files: list[str]
    failure: dict | None = None  # the CE/IE result when not ok


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    compilations: int = 0
    evictions: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def bump(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


def _entry_size(directory: Path) -> int:
    return sum(f.stat().st_size for f in directory.iterdir() if f.is_file())


def cache_key(language: Language, source: str) -> str:
    material = json.dumps([language.id, language.version(), list(language.compile or ()), list(language.run), source])
    return hashlib.sha256(material.encode()).hexdigest()


class CompileCache:
    def __init__(self, root: Path, max_bytes: int = 1 << 30):
        self.root = root
        self.entries = root / "entries"
        self.locks = root / "locks"
        self.max_bytes = max_bytes
        self.stats = CacheStats()
        for directory, mode in ((root, 0o711), (self.entries, 0o711), (self.locks, 0o700)):
            directory.mkdir(parents=True, exist_ok=True)
            os.chmod(directory, mode)  # box uids read artifacts through bind mounts only

    def lookup(self, key: str) -> CacheEntry | None:
        directory = self.entries / key
        try:
            meta = json.loads((directory / "meta.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        try:
            os.utime(directory)  # mark as recently used
        except FileNotFoundError:
            return None  # evicted in between
        return CacheEntry(key, directory, meta["ok"], meta["compile_output"], meta["files"], meta.get("failure"))

    def get_or_build(self, key: str, build) -> CacheEntry:
        """Return the entry for key; build(tmp_dir) -> (ok, output, files, failure) only if absent."""
        entry = self.lookup(key)
        if entry:
            self.stats.bump("hits")
            return entry
        lock_fd = os.open(self.locks / f"{key}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)  # a concurrent identical compilation finishes first
            entry = self.lookup(key)
            if entry:
                self.stats.bump("hits")
                return entry
            self.stats.bump("misses")
            staging = Path(tempfile.mkdtemp(prefix=".build-", dir=self.entries))
            try:
                self.stats.bump("compilations")
                ok, output, files, failure = build(staging)
                (staging / "meta.json").write_text(json.dumps(
                    {"ok": ok, "compile_output": output, "files": files, "failure": failure, "created": time.time()}))
                os.chmod(staging, 0o755)
                os.rename(staging, self.entries / key)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        finally:
            os.close(lock_fd)
        self._evict_if_needed(keep=key)
        return self.lookup(key) or CacheEntry(key, self.entries / key, ok, output, files, failure)

    def size_bytes(self) -> int:
        return sum(_entry_size(d) for d in self.entries.iterdir() if not d.name.startswith("."))

    def _evict_if_needed(self, keep: str) -> None:
        entries = []
        total = 0
        for directory in self.entries.iterdir():
            if directory.name.startswith("."):
                continue
            size = _entry_size(directory)
            entries.append((directory.stat().st_mtime, size, directory))
            total += size
        for _, size, directory in sorted(entries):
            if total <= self.max_bytes:
                break
            if directory.name == keep:
                continue
            # Rename first so readers never see a half-deleted entry.
            doomed = self.entries / f".evict-{directory.name}-{os.getpid()}-{threading.get_ident()}"
            try:
                os.rename(directory, doomed)
            except FileNotFoundError:
                continue
            shutil.rmtree(doomed, ignore_errors=True)
            total -= size
            self.stats.bump("evictions")
