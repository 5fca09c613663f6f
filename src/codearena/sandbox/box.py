"""Boxes: the one writable place of a run, and the unprivileged uid that owns it.

Each box holds a slot, found by taking an exclusive lock on `locks/slot-N`: the lock works across
processes (several workers on one machine) and dies with its holder. Slot N runs as uid
`uid_base + N`, so concurrent boxes never share a uid (separate RLIMIT_NPROC counts, no
signalling each other, no reading each other's files).

As root, a box is a size- and inode-limited tmpfs mounted at `boxes/N`: it bounds the disk a
program can fill, and deleting it is a lazy unmount, which never walks (let alone follows) what
the program left there. Without root it is a plain directory removed with `shutil.rmtree`,
whose fd-based walk does not follow symlinks on Linux.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import random
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from ..validation import MAX_PATH_DEPTH, relative_path_parts

MNT_DETACH = 2
MS_NOSUID, MS_NODEV, MS_REMOUNT = 2, 4, 32

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]

# Sub-directories of a box: the working directory, /tmp, and /dev/shm inside the sandbox.
BOX_SUBDIRS = ("work", "tmp", "shm")


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount_tmpfs(target: Path, size_bytes: int, inodes: int, uid: int, gid: int, mode: int = 0o700,
                name: bytes = b"codearena-box") -> None:
    options = f"size={size_bytes},nr_inodes={inodes},mode={mode:04o},uid={uid},gid={gid}"
    _check(
        _libc.mount(name, str(target).encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options.encode()),
        f"mount tmpfs on {target}",
    )


def resize_tmpfs(target: Path, size_bytes: int, inodes: int) -> None:
    options = f"size={size_bytes},nr_inodes={inodes}"
    _check(_libc.mount(None, str(target).encode(), None, MS_REMOUNT | MS_NOSUID | MS_NODEV, options.encode()),
           f"resize tmpfs on {target}")


def unmount(target: Path) -> None:
    ret = _libc.umount2(str(target).encode(), MNT_DETACH)
    if ret != 0 and ctypes.get_errno() not in (22, 2):  # EINVAL: not a mount point; ENOENT
        _check(ret, f"umount {target}")


def is_mount_point(path: Path) -> bool:
    return os.path.ismount(path)


@dataclass
class Slot:
    number: int
    uid: int
    gid: int
    lock_fd: int

    def release(self) -> None:
        os.close(self.lock_fd)  # closing drops the flock


class SlotPool:
    """Hands out slots (and their uids) that no other process on this machine holds."""

    def __init__(self, locks_dir: Path, uid_base: int, size: int):
        self.locks_dir = locks_dir
        self.uid_base = uid_base
        self.size = size
        locks_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    def try_acquire(self, number: int) -> Slot | None:
        """Slot `number` if no process holds it, else None."""
        fd = os.open(self.locks_dir / f"slot-{number}", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        uid = self.uid_base + number
        return Slot(number=number, uid=uid, gid=uid, lock_fd=fd)

    def acquire(self) -> Slot:
        start = random.randrange(self.size)  # spread contention across slots
        for i in range(self.size):
            slot = self.try_acquire((start + i) % self.size)
            if slot is not None:
                return slot
        raise RuntimeError(f"all {self.size} sandbox slots are busy")


def clear_stale_box(root: Path) -> bool:
    """A box left by a crashed process that held its slot: remove it without walking it (a tmpfs
    box is unmounted first, so nothing the program wrote is followed). True if there was one."""
    if not os.path.lexists(root):
        return False
    if is_mount_point(root):
        unmount(root)
    if os.path.islink(root):
        os.unlink(root)
    elif root.is_dir():
        shutil.rmtree(root)
    return True


def _read_exactly(fd: int, size: int) -> bytes:
    """Up to `size` bytes of an open file (fewer if it is shorter: it may have shrunk)."""
    chunks, left = [], size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Box:
    """The writable directory tree of one run: `work` (cwd), `tmp` and `shm`."""

    def __init__(self, root: Path, slot: Slot, use_tmpfs: bool, disk_bytes: int, inodes: int = 4096):
        self.root = root
        self.slot = slot
        self.use_tmpfs = use_tmpfs
        self.disk_bytes = disk_bytes
        self.inodes = inodes
        # Its directories as strings made once: they are opened several times a run.
        self._subdirs = {name: f"{root}/{name}" for name in BOX_SUBDIRS}
        self._clear_stale()
        root.mkdir(mode=0o700)
        if use_tmpfs:
            mount_tmpfs(root, disk_bytes, inodes, slot.uid, slot.gid)
        else:
            os.chmod(root, 0o700)
        for name in BOX_SUBDIRS:
            sub = root / name
            sub.mkdir(mode=0o755)
            if os.geteuid() == 0:
                os.chown(sub, slot.uid, slot.gid)
        if os.geteuid() == 0:
            os.chown(root, slot.uid, slot.gid)

    @property
    def work(self) -> Path:
        return Path(self._subdirs["work"])

    def write_file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        """Write a file before anything untrusted ran in the box (so no link can be planted yet)."""
        fd = self._create(name, mode)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def copy_in(self, name: str, source: Path | str, mode: int = 0o755) -> None:
        """Copy a trusted host file (a cached artifact) into the box, in the kernel (no bind mount:
        a mount would show its host path in the program's /proc/self/mountinfo)."""
        src = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fd = self._create(name, mode)
            try:
                size = os.fstat(src).st_size
                copied = 0
                while copied < size:
                    sent = os.sendfile(fd, src, copied, size - copied)
                    if sent == 0:
                        break
                    copied += sent
            finally:
                os.close(fd)
        finally:
            os.close(src)

    def _create(self, name: str, mode: int) -> int:
        """A new file at `name` (a relative path: its directories are made as needed). Only
        before anything untrusted ran in the box: nothing in it can be a planted link yet, and
        O_NOFOLLOW and O_EXCL refuse one anyway."""
        parts = relative_path_parts(name)
        directory = self._subdirs["work"]
        for part in parts[:-1]:
            directory = f"{directory}/{part}"
            try:
                os.mkdir(directory, 0o755)
                if os.geteuid() == 0:
                    os.chown(directory, self.slot.uid, self.slot.gid, follow_symlinks=False)
            except FileExistsError:
                if not stat.S_ISDIR(os.lstat(directory).st_mode):
                    raise ValueError(f"{name!r}: {part!r} is already a file, not a directory") from None
        fd = os.open(f"{directory}/{parts[-1]}", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
        if os.geteuid() == 0:
            os.fchown(fd, self.slot.uid, self.slot.gid)
        return fd

    def read_tree(self, max_files: int, max_bytes: int, skip: tuple[str, ...] = ()) -> list[tuple[str, bytes, int]]:
        """Every regular file under the working directory, as (relative path, data, mode), read
        after untrusted code ran: through directory descriptors, never following a link,
        skipping special files. RuntimeError past `max_files` files or `max_bytes` bytes."""
        found: list[tuple[str, bytes, int]] = []
        total = 0
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC

        def walk(dir_fd: int, prefix: str, depth: int) -> None:
            nonlocal total
            with os.scandir(dir_fd) as entries:
                names = sorted((e.name, e.is_dir(follow_symlinks=False), e.is_file(follow_symlinks=False))
                               for e in entries)
            for name, is_dir, is_file in names:
                path = prefix + name
                if path in skip or not (is_dir or is_file):
                    continue
                if is_dir:
                    if depth >= MAX_PATH_DEPTH:
                        raise RuntimeError(f"the program's files nest deeper than {MAX_PATH_DEPTH} directories")
                    child = os.open(name, flags | os.O_DIRECTORY, dir_fd=dir_fd)
                    try:
                        walk(child, path + "/", depth + 1)
                    finally:
                        os.close(child)
                    continue
                if len(found) >= max_files:
                    raise RuntimeError(f"the program has more than {max_files} files")
                fd = os.open(name, flags | os.O_NONBLOCK, dir_fd=dir_fd)
                try:
                    st = os.fstat(fd)
                    if not stat.S_ISREG(st.st_mode):
                        continue  # replaced by something else since the listing
                    if total + st.st_size > max_bytes:
                        raise RuntimeError(f"the program's files take more than {max_bytes} bytes")
                    data = _read_exactly(fd, st.st_size)
                finally:
                    os.close(fd)
                total += len(data)
                found.append((path, data, stat.S_IMODE(st.st_mode)))

        top = os.open(self._subdirs["work"], flags | os.O_DIRECTORY)
        try:
            walk(top, "", 0)
        finally:
            os.close(top)
        return found

    def resize(self, disk_bytes: int) -> None:
        """A kept box, sized for its next run (a remount: the mounts in the box see it too)."""
        if self.use_tmpfs and disk_bytes != self.disk_bytes:
            resize_tmpfs(self.root, disk_bytes, self.inodes)
        self.disk_bytes = disk_bytes

    def wipe(self) -> None:
        """Empty a kept box for its next run, once nothing runs in it any more: every entry of
        work, tmp and shm removed (through directory descriptors, never following a link), and
        the directories' own mode, owner, extended attributes and times put back, so that
        nothing one run left reaches the next. RuntimeError if anything is left."""
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
        for name in BOX_SUBDIRS:
            fd = os.open(self._subdirs[name], flags)
            try:
                with os.scandir(fd) as entries:
                    found = [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in entries]
                for entry, is_dir in found:
                    if is_dir:
                        shutil.rmtree(entry, dir_fd=fd)
                    else:
                        os.unlink(entry, dir_fd=fd)
                if found and os.listdir(fd):  # nothing runs in the box: an empty listing stays empty
                    raise RuntimeError(f"the box's {name} could not be emptied")
                for attribute in os.listxattr(fd):
                    os.removexattr(fd, attribute)
                if os.geteuid() == 0:
                    os.fchown(fd, self.slot.uid, self.slot.gid)
                os.fchmod(fd, 0o755)
                os.utime(fd)  # now: not a time the last run chose
            finally:
                os.close(fd)

    def destroy(self) -> None:
        if self.use_tmpfs:
            unmount(self.root)
            os.rmdir(self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def _clear_stale(self) -> None:
        clear_stale_box(self.root)
