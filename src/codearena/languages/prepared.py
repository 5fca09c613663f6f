"""Files a toolchain's compiles share, made once per machine on the host and shown read-only in
its boxes: a JVM compiler's class-data archive (class_data.py), a C++ compiler's precompiled
headers (headers.py).

Nothing a user sends reaches them: each is made by this process from our own input, under the
state directory (which no box can write), atomically, and named by its own SHA-256, which a
process checks before its first use (a truncated file could crash the compiler). Boxes bind a
copy on a tmpfs of the kind's own: a bind mount's source path shows in the program's
/proc/self/mountinfo, and from a tmpfs that path is the file's name, not a path of the host's
disks. A check record beside each file (its inode, size and times when its digest last
matched) spares a new process the digest while the file is unchanged. A process finds or makes
each in a thread of its own (one process at a time: a file lock), so no compile waits for it;
until it is there (or when making it failed) compiles go without.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Callable

from ..sandbox.box import mount_tmpfs
from ..sandbox.settings import sandbox_settings

log = logging.getLogger("codearena.languages")

IDENTITY_CHARS = 16  # of what a file is valid for (its toolchain, its command), in its name
DIGEST_CHARS = 32  # of the file's SHA-256, in its name
Found = tuple[Path, Path]  # (the file in the state directory, its copy that boxes bind)


def digest(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()[:DIGEST_CHARS]


class Prepared:
    """One kind of prepared file: made in `state_dir/kind`, shown from a tmpfs of `shown_bytes`
    at `state_dir/kind-shown`, each named `NAME-IDENTITY-DIGEST` + `suffix`."""

    generation = 0  # how many lookups, of any kind, have ended in this process (what box binds depend on)

    def __init__(self, kind: str, suffix: str, shown_bytes: int):
        self.kind, self.suffix, self.shown_bytes = kind, suffix, shown_bytes
        self._found: dict[str, Found | None] = {}  # name -> what was found, once looked for
        self._looking: dict[str, threading.Thread] = {}  # name -> the thread finding or making it
        self._lock = threading.Lock()

    def directory(self) -> Path:
        return sandbox_settings().state_dir / self.kind

    def get(self, name: str, identity: Callable[[], str], make: Callable[[Path], Path],
            wait: bool = False) -> Found | None:
        """The file `name`, found on disk or made by `make(scratch directory) -> the file made
        there`; `identity()` says what it is valid for (IDENTITY_CHARS hex). None when it cannot
        be made (logged once) or, unless `wait`, while it is being found or made."""
        with self._lock:
            if name in self._found:
                return self._found[name]
            looking = self._looking.get(name)
            if looking is None:
                looking = self._looking[name] = threading.Thread(
                    target=self._look_for, args=(name, identity, make), daemon=True, name=f"{self.kind}-{name}")
                looking.start()
        if wait:
            looking.join()
        return self._found.get(name)

    def found(self, name: str) -> Found | None:
        """The file `name` if this process has found it already; never starts looking for it."""
        return self._found.get(name)

    def _look_for(self, name: str, identity: Callable[[], str], make: Callable[[Path], Path]) -> None:
        found = self._find_or_make(name, identity, make)
        with self._lock:
            self._found[name] = found
            Prepared.generation += 1

    def _find_or_make(self, name: str, identity: Callable[[], str], make: Callable[[Path], Path]) -> Found | None:
        try:
            directory = self.directory()
            directory.mkdir(mode=0o755, parents=True, exist_ok=True)
            stem = f"{name}-{identity()}"
            with open(directory / f"{stem}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes (or its process dies)
                found = self.verified(directory, stem)
                if found is None:
                    found = self._make(directory, name, stem, make)
                    log.info("[SANDBOX] %s for %s made: %s", self.kind, name, found)
                return found, self._shown(name, found)
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            log.warning("[SANDBOX] %s compiles without its %s: %s", name, self.kind, exc)
            return None

    def verified(self, directory: Path, stem: str) -> Path | None:
        """A file made for this identity whose content is what its name says (others removed).
        A file checked before, and not changed since (its check record says), is not digested
        again: every new process (each worker) would otherwise read 124 MB of headers first."""
        for candidate in sorted(directory.glob(f"{stem}-*{self.suffix}")):
            if not candidate.is_symlink():
                if _checked_unchanged(candidate):
                    return candidate
                if candidate.name == f"{stem}-{digest(candidate)}{self.suffix}":
                    _record_checked(candidate)
                    return candidate
            log.warning("[SANDBOX] %s %s does not match its digest: removed", self.kind, candidate)
            _remove(candidate)
        return None

    def _make(self, directory: Path, name: str, stem: str, make: Callable[[Path], Path]) -> Path:
        # A scratch directory of this stem is only ever made by its lock's holder: one left now
        # is a killed process's (its make's files, up to 100 MB), removed before making again.
        for stale in directory.glob(f".{glob_escape(stem)}.making-*"):
            shutil.rmtree(stale, ignore_errors=True)
        with tempfile.TemporaryDirectory(prefix=f".{stem}.making-", dir=directory) as scratch:
            made = make(Path(scratch))
            os.chmod(made, 0o644)  # the boxes' uids read it
            target = directory / f"{stem}-{digest(made)}{self.suffix}"
            os.replace(made, target)
            _record_checked(target)
        self._remove_others(directory, name, keep=lambda other: other.startswith(f"{stem}-"))  # an older toolchain's
        return target

    def _remove_others(self, directory: Path, name: str, keep: Callable[[str], bool]) -> None:
        """Remove the files of `name` in `directory` whose name `keep` refuses (never another
        name's, even one that starts with this one)."""
        mine = re.compile(rf"{re.escape(name)}-[0-9a-f]{{{IDENTITY_CHARS}}}-[0-9a-f]{{{DIGEST_CHARS}}}"
                          rf"{re.escape(self.suffix)}")
        for other in directory.glob(f"{glob_escape(name)}-*{self.suffix}"):
            if mine.fullmatch(other.name) and not keep(other.name):
                _remove(other)

    def _shown(self, name: str, made: Path) -> Path:
        """The file's copy on the kind's tmpfs (mounted once per machine, root only), which boxes
        bind: its source path in a box's mountinfo is then `/FILE`. An older copy of the same
        name goes (the tmpfs holds memory)."""
        directory = made.parent.parent / f"{self.kind}-shown"
        directory.mkdir(mode=0o755, exist_ok=True)
        with open(made.parent / ".shown.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # processes (and names) starting together mount it once
            if not os.path.ismount(directory):
                mount_tmpfs(directory, self.shown_bytes, 64, 0, 0, mode=0o755, name=f"codearena-{self.kind}".encode())
            shown = directory / made.name
            if not shown.is_file():
                staging = directory / f".{made.name}.{os.getpid()}"
                shutil.copyfile(made, staging)
                os.chmod(staging, 0o644)
                os.replace(staging, shown)
            self._remove_others(directory, name, keep=lambda other: other == shown.name)
        return shown


def _check_record(path: Path) -> Path:
    return path.with_name(f"{path.name}.checked")


def _stat_identity(path: Path) -> str:
    """What changes whenever the file does: a write (size, mtime and ctime), an mtime set back
    by hand (ctime), a replacement (inode). Bit rot under an unchanged inode would not show;
    a process that has found the file trusts it from then on all the same."""
    stat = path.stat()
    return f"{stat.st_dev} {stat.st_ino} {stat.st_size} {stat.st_mtime_ns} {stat.st_ctime_ns}"


def _checked_unchanged(path: Path) -> bool:
    try:
        return _check_record(path).read_text() == _stat_identity(path)
    except OSError:
        return False


def _record_checked(path: Path) -> None:
    """Record that `path`, as it is now, matches its digest (only by its file lock's holder)."""
    record = _check_record(path)
    staging = record.with_name(f".{record.name}.{os.getpid()}")
    staging.write_text(_stat_identity(path))
    os.replace(staging, record)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    _check_record(path).unlink(missing_ok=True)


def glob_escape(name: str) -> str:
    """`name` as a glob pattern matching only itself (C++'s '+' is fine; '[' would not be)."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def host_environment(work: Path) -> dict[str, str]:
    """The clean environment of a compile on the host that makes or checks a prepared file (our
    own input, in the scratch directory `work`): none of this process's variables reach it."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


def file_identity(parts: list[str], files: list[Path]) -> str:
    """IDENTITY_CHARS hex naming these strings and these files as they are now (an upgrade
    replaces the files: their size or time changes)."""
    for path in files:
        stat = path.stat()
        parts = [*parts, f"{path}:{stat.st_size}:{stat.st_mtime_ns}"]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:IDENTITY_CHARS]
