"""A local copy of the test data that jobs name by digest: fetched once from where it is stored
(a worker: Redis; the platform in direct mode: its database), kept on this machine's disk within
a size budget (least recently used evicted), and handed to the engine as files (the input is
streamed to the program from the file).

Files are written by this process only (0600, root's when it runs as root) in its state
directory, never in a place a sandbox can reach; each is checked against its digest before it is
renamed into place, so a file's name is always its content's SHA-256.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path

from typing import Callable

from .contract import digest as sha256_of

log = logging.getLogger("codearena.execution.testdata")


class TestDataMissing(LookupError):
    """A job names test data that is not stored (it expired, or was never uploaded)."""


class TestDataCache:
    __test__ = False  # not a pytest test class

    def __init__(self, fetch: Callable[[str], bytes | None], directory: Path, max_bytes: int):
        self.fetch = fetch  # digest -> the data, or None when it is not stored
        self.directory = directory
        self.max_bytes = max_bytes
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._sizes: OrderedDict[str, int] = OrderedDict()  # digest -> bytes, least recently used first
        self._total = 0  # their sum, kept as they change: no walk of the cache per fetch
        self._lock = threading.Lock()
        for entry in sorted(directory.iterdir(), key=lambda p: p.stat().st_mtime):
            if len(entry.name) == 64 and entry.is_file():
                self._sizes[entry.name] = entry.stat().st_size
                self._total += self._sizes[entry.name]
            else:
                entry.unlink(missing_ok=True)  # an interrupted download
        self._evict()

    def path(self, digest: str) -> Path:
        """The file holding the data of this digest: here already, or fetched now."""
        target = self.directory / digest
        with self._lock:
            if digest in self._sizes and target.exists():
                self._sizes.move_to_end(digest)
                return target
        data = self.fetch(digest)
        if data is None:
            raise TestDataMissing(f"test data {digest} is not stored (it expired, or was never uploaded)")
        if sha256_of(data) != digest:
            raise TestDataMissing(f"test data {digest} is stored with other content; refusing it")
        partial = self.directory / f".{digest}.{os.getpid()}.{threading.get_ident()}"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(partial, target)
        with self._lock:
            self._total += len(data) - self._sizes.pop(digest, 0)  # (another thread may have fetched it too)
            self._sizes[digest] = len(data)
            self._evict(keep=digest)
        return target

    def _evict(self, keep: str | None = None) -> None:
        """Least recently used first, down to the budget (`keep`, just fetched, stays)."""
        while self._total > self.max_bytes:
            oldest = next(iter(self._sizes))
            if oldest == keep:
                return  # the only entry left is the one just fetched
            self._total -= self._sizes.pop(oldest)
            (self.directory / oldest).unlink(missing_ok=True)
            log.info("test data %s evicted from the local cache", oldest)
