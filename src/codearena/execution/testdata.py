"""A local copy of the test data that jobs name by digest: fetched once from where it is stored
(a worker: Redis; the platform in direct mode: its database), kept on this machine's disk within
a size budget (least recently used evicted), and handed to the engine as files (the input is
streamed to the program from the file).

Files are written by this process only (0600, root's when it runs as root) in its state
directory, never in a place a sandbox can reach; each is checked against its digest before it is
renamed into place, so a file's name is always its content's SHA-256.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path

from typing import Callable

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
        self._lock = threading.Lock()
        for entry in sorted(directory.iterdir(), key=lambda p: p.stat().st_mtime):
            if len(entry.name) == 64 and entry.is_file():
                self._sizes[entry.name] = entry.stat().st_size
            else:
                entry.unlink(missing_ok=True)  # an interrupted download
        self._evict()

    @property
    def size(self) -> int:
        return sum(self._sizes.values())

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
        if hashlib.sha256(data).hexdigest() != digest:
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
            self._sizes[digest] = len(data)
            self._sizes.move_to_end(digest)
            self._evict(keep=digest)
        return target

    def _evict(self, keep: str | None = None) -> None:
        total = sum(self._sizes.values())
        for digest in list(self._sizes):
            if total <= self.max_bytes:
                return
            if digest == keep:
                continue
            total -= self._sizes.pop(digest)
            (self.directory / digest).unlink(missing_ok=True)
            log.info("test data %s evicted from the local cache", digest)
