"""Control groups for one sandboxed run: limits, accounting and a kill that reaches every process.

cgroup v2 (one unified hierarchy) is what most production hosts have; these build machines have
cgroup v1 (one hierarchy per controller). `detect()` picks whichever is usable and returns None
when neither is (not root, or not delegated): the runner then falls back to rlimits.

Everything here is written for the trusted side. `attach_paths` is written to from the child
between fork and exec, so it holds plain path strings prepared in advance.
"""

from __future__ import annotations

import errno
import functools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

V1_CONTROLLERS = ("memory", "pids", "cpuacct", "freezer")
V1_READ_ONLY = ("cpu",)  # read for its quota (a container's CPU limit, see capacity.py), never written
V2_CONTROLLERS = ("memory", "pids", "cpu")
_REMOVE_TIMEOUT = 2.0
_MEMORY_HELD_AT_MOST = 1 << 20  # bytes a run may leave charged to a v1 memory cgroup that serves the next


# Plain descriptors and string paths: these are read and written several times a run, where
# pathlib and text-mode files cost more than the kernel's work.
def _read(path: Path | str) -> str:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return _read_from(fd)
    finally:
        os.close(fd)


def _read_from(fd: int) -> str:
    """The whole file behind `fd`, from its start: a cgroup file read again from offset 0 shows
    its value now (the kernel renders it afresh)."""
    chunks, offset = [], 0
    while chunk := os.pread(fd, 65536, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks).decode()


def _write(path: Path | str, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _first_int(text: str) -> int:
    try:
        return int(text.split()[0])
    except (ValueError, IndexError):
        return 0


def _keyed(text: str, key: str) -> int:
    """Value of `key N` in a flat-keyed cgroup file's text (memory.events, cpu.stat, oom_control)."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key:
            try:
                return int(parts[1])
            except ValueError:
                return 0
    return 0


def _own_cgroup_paths() -> dict[str, str]:
    """Controller name (or '' for v2) -> this process's cgroup path."""
    paths: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            paths[name] = path
    return paths


@dataclass(frozen=True)
class CgroupMount:
    """A mounted cgroup hierarchy: where it is mounted, and which cgroup its root shows (in a
    container, often the container's own cgroup, not the host's root)."""

    point: str
    root: str
    read_only: bool

    def directory_of(self, cgroup: str) -> Path:
        """The directory of `cgroup` (a path as /proc/self/cgroup gives it) in this mount."""
        if self.root != "/" and cgroup != self.root and not cgroup.startswith(self.root + "/"):
            raise CgroupsUnusable(f"this process's cgroup {cgroup} is outside the hierarchy mounted at "
                                  f"{self.point} (which shows {self.root})")
        relative = cgroup[len(self.root):] if self.root != "/" else cgroup
        return Path(self.point + (relative or "/"))


class CgroupsUnusable(OSError):
    """A reason the cgroups cannot be used here, for `doctor`."""


def _cgroup_mounts(mountinfo: str) -> tuple[CgroupMount | None, dict[str, CgroupMount]]:
    """(the v2 mount or None, {v1 controller: its mount}) from /proc/self/mountinfo's text."""
    v2 = None
    v1: dict[str, CgroupMount] = {}
    for line in mountinfo.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        separator = fields.index("-")
        if len(fields) < separator + 4 or separator < 6:
            continue
        fstype, super_options = fields[separator + 1], fields[separator + 3].split(",")
        mount = CgroupMount(point=fields[4], root=fields[3], read_only="ro" in fields[5].split(","))
        if fstype == "cgroup2" and v2 is None:
            v2 = mount
        elif fstype == "cgroup":
            for option in super_options:
                if option in V1_CONTROLLERS + V1_READ_ONLY:
                    v1[option] = mount
    return v2, v1


def _writable(mount: CgroupMount) -> None:
    if mount.read_only:
        raise CgroupsUnusable(f"the cgroup hierarchy at {mount.point} is mounted read-only (in a container: "
                              "deploy/entrypoint.sh remounts it; see docs/deployment.md)")


class Cgroup:
    """One run's cgroup (a directory per controller on v1, one directory on v2)."""

    version: int
    # Whether the cgroup may serve the next run of the same kept box, its state put back by
    # recycle(): v1's can (its CPU counter, memory peaks and failure counts reset; a pid limit
    # and a thawed freezer have none); v2's cannot (memory.peak cannot be reset on the kernels
    # this supports), so each run gets a new cgroup there.
    RECYCLABLE = False

    def __init__(self, dirs: dict[str, Path]):
        self.dirs = dirs
        # Prepared for the child between fork and exec: no allocation-heavy work there.
        self.attach_paths = [str(d / "cgroup.procs") for d in dict.fromkeys(dirs.values())]
        self._paths: dict[tuple[str, str], str] = {}
        # Files read or written every run, opened once while their directory lives (an open
        # and a close cost more than the read or write). Reading cgroup.procs is not among them:
        # v1 keeps showing an open descriptor the pid list it made, for up to a second.
        self._open: dict[tuple[str, int], int] = {}  # (path, O_RDONLY or O_WRONLY) -> descriptor
        self._written: dict[str, str] = {}  # limits as last written: not written again

    def file(self, controller: str, name: str) -> str:
        """The path of one of this cgroup's files, as a string made once."""
        key = (controller, name)
        path = self._paths.get(key)
        if path is None:
            path = self._paths[key] = f"{self.dirs[controller]}/{name}"
        return path

    def _descriptor(self, path: str, access: int) -> int:
        fd = self._open.get((path, access))
        if fd is None:
            fd = self._open[(path, access)] = os.open(path, access | os.O_CLOEXEC)
        return fd

    def _value(self, path: str) -> str:
        """A file's text now, through its kept descriptor."""
        return _read_from(self._descriptor(path, os.O_RDONLY))

    def _number(self, path: str) -> int:
        try:
            return _first_int(self._value(path))
        except OSError:
            return 0

    def _field(self, path: str, key: str) -> int:
        try:
            return _keyed(self._value(path), key)
        except OSError:
            return 0

    def _put(self, path: str, value: str) -> None:
        """Write `value` through the file's kept descriptor."""
        os.pwrite(self._descriptor(path, os.O_WRONLY), value.encode(), 0)

    def _limit(self, path: str, value: str) -> None:
        """Set a limit, unless it holds that value already (only the sandbox writes them)."""
        if self._written.get(path) != value:
            self._put(path, value)
            self._written[path] = value

    def _close_files(self, directory: Path | str) -> None:
        """Close the kept descriptors of files in `directory`: it goes (a file of a removed
        cgroup reads ENODEV, and one made again under its name is another file)."""
        prefix = f"{directory}/"
        for key in [key for key in self._open if key[0].startswith(prefix)]:
            os.close(self._open.pop(key))
            self._written.pop(key[0], None)

    # -- setup, from the trusted parent --------------------------------------------------
    def set_limits(self, memory_bytes: int, pids: int) -> None:
        raise NotImplementedError

    def attach(self, pid: int) -> None:
        """Move process `pid` (a ready box's child, before its program starts) into this cgroup."""
        for path in self.attach_paths:
            self._put(path, str(pid))

    # -- measurements ----------------------------------------------------------------------
    def cpu_seconds(self) -> float:
        raise NotImplementedError

    def memory_peak_bytes(self) -> int:
        raise NotImplementedError

    def oom_killed(self) -> bool:
        raise NotImplementedError

    def memory_limit_reached(self) -> bool:
        raise NotImplementedError

    def pids(self) -> list[int]:
        raise NotImplementedError

    # -- teardown --------------------------------------------------------------------------
    def kill_all(self) -> None:
        raise NotImplementedError

    def remove(self) -> None:
        """Kill whatever is left, then delete the cgroup directories."""
        self.kill_all()
        self._remove_dirs(dict.fromkeys(self.dirs.values()))

    def recycle(self) -> list[Path] | None:
        """After a run in a kept box (its processes killed): keep what may serve its next run,
        counters reset, and remove the rest. Returns the directories removed (CgroupHost.renew
        makes them again), or None when nothing was kept (the cgroup is gone)."""
        if not self.RECYCLABLE:
            self.remove()
            return None
        self.kill_all()
        removed = self._reset_counters()
        self._remove_dirs(removed)
        return removed

    def _reset_counters(self) -> list[Path]:
        """Put back the state of the directories kept for the next run; returns those whose
        state cannot be (removed, and made again, instead)."""
        raise NotImplementedError

    def _remove_dirs(self, directories) -> None:
        deadline = time.monotonic() + _REMOVE_TIMEOUT
        for directory in directories:
            while True:
                self._close_files(directory)  # (kill_all may have opened some again)
                try:
                    os.rmdir(directory)
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    # EBUSY while killed tasks finish exiting; the kernel settles this quickly.
                    if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                        raise
                    self.kill_all()
                    time.sleep(0.002)

    def _kill_listed(self) -> int:
        pids = self.pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return len(pids)


@functools.lru_cache(maxsize=None)
def _swap_accounting(memory_base: str) -> bool:
    """Whether this memory hierarchy accounts swap (memsw files): a boot-time setting."""
    return os.path.exists(f"{memory_base}/memory.memsw.limit_in_bytes")


class CgroupV1(Cgroup):
    version = 1
    RECYCLABLE = True

    def __init__(self, dirs: dict[str, Path]):
        super().__init__(dirs)
        # A memory cgroup kept for the next run still holds a little of the runs before it:
        # the kernel objects of their exited processes (freed a moment later), charges taken
        # ahead in batches, pages they were first to read. The next run's limit is raised by
        # that much and its peak counted from it. Its count of OOM kills cannot be reset.
        self._held = 0
        self._oom_kills = 0

    def _reset_counters(self) -> list[Path]:
        self._put(self.file("cpuacct", "cpuacct.usage"), "0")
        memory = self.dirs["memory"]
        try:
            held = self._number(self.file("memory", "memory.usage_in_bytes"))
            if held > _MEMORY_HELD_AT_MOST:
                # More than a little (a runtime's libraries read for the first time): a new
                # cgroup, which hands these charges to the parent and leaves the pages cached.
                return [memory]
            hit = [name for name in self._failure_counts if self._number(self.file("memory", name))]
            # (an OOM kill does not always show in failcnt: the kernel's count is read each time)
            self._oom_kills = self._field(self.file("memory", "memory.oom_control"), "oom_kill")
            for name in self._peaks + hit:
                self._put(self.file("memory", name), "0")  # a peak restarts at the usage now
        except OSError:
            return [memory]
        self._held = held
        return []

    def _remove_dirs(self, directories) -> None:
        super()._remove_dirs(directories)
        if self.dirs["memory"] in directories:
            self._held = self._oom_kills = 0

    def set_limits(self, memory_bytes: int, pids: int) -> None:
        memory, with_swap = self.file("memory", "memory.limit_in_bytes"), self.file("memory", "memory.memsw.limit_in_bytes")
        value = str(memory_bytes + self._held)
        if not self._swap_accounted:
            self._limit(memory, value)
        elif memory in self._written and int(value) > int(self._written[memory]):
            self._limit(with_swap, value)  # raised: memsw's limit is never below memory's
            self._limit(memory, value)
        else:
            self._limit(memory, value)
            self._limit(with_swap, value)
        self._limit(self.file("pids", "pids.max"), str(pids))

    @functools.cached_property
    def _swap_accounted(self) -> bool:
        return _swap_accounting(str(self.dirs["memory"].parent))

    # The memory files kept per counter (memory alone; memory and swap, when swap is accounted).
    @functools.cached_property
    def _peaks(self) -> list[str]:
        return ["memory.max_usage_in_bytes"] + (["memory.memsw.max_usage_in_bytes"] if self._swap_accounted else [])

    @functools.cached_property
    def _failure_counts(self) -> list[str]:
        return ["memory.failcnt"] + (["memory.memsw.failcnt"] if self._swap_accounted else [])

    def cpu_seconds(self) -> float:
        return self._number(self.file("cpuacct", "cpuacct.usage")) / 1e9

    def memory_peak_bytes(self) -> int:
        return max(self._number(self.file("memory", self._peaks[-1])) - self._held, 0)  # with swap, when counted

    def oom_killed(self) -> bool:
        return self._field(self.file("memory", "memory.oom_control"), "oom_kill") > self._oom_kills

    def memory_limit_reached(self) -> bool:
        return any(self._number(self.file("memory", name)) > 0 for name in self._failure_counts)

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in _read(self.file("pids", "cgroup.procs")).split()]
        except FileNotFoundError:
            return []

    def kill_all(self) -> None:
        # v1 has no cgroup.kill: freeze so nothing can fork, kill every task, thaw so the
        # kills are delivered, and repeat until the group is empty.
        state = self.file("freezer", "freezer.state")
        for _ in range(1000):
            if not self.pids():
                return
            try:
                self._put(state, "FROZEN")
                for _ in range(200):
                    if self._value(state).strip() != "FREEZING":
                        break
                    time.sleep(0.0005)
            except FileNotFoundError:
                return
            try:
                self._kill_listed()
            finally:  # never leave a group frozen: a failed kill (no CAP_KILL) must not hang it for good
                self._put(state, "THAWED")
            if self.pids():
                time.sleep(0.0005)


@functools.lru_cache(maxsize=None)
def _v2_has(base: str, name: str) -> bool:
    return os.path.exists(f"{base}/{name}")


class CgroupV2(Cgroup):
    version = 2

    def _has(self, name: str) -> bool:
        """Whether this kernel's cgroups have `name` (the parent has every file a child has)."""
        return _v2_has(str(self.dirs["unified"].parent), name)

    def set_limits(self, memory_bytes: int, pids: int) -> None:
        self._limit(self.file("unified", "memory.max"), str(memory_bytes))
        if self._has("memory.swap.max"):
            self._limit(self.file("unified", "memory.swap.max"), "0")
        self._limit(self.file("unified", "pids.max"), str(pids))

    def cpu_seconds(self) -> float:
        return self._field(self.file("unified", "cpu.stat"), "usage_usec") / 1e6

    def memory_peak_bytes(self) -> int:
        name = "memory.peak" if self._has("memory.peak") else "memory.current"  # memory.peak: kernel 5.19+
        return self._number(self.file("unified", name))

    def oom_killed(self) -> bool:
        return self._field(self.file("unified", "memory.events"), "oom_kill") > 0

    def memory_limit_reached(self) -> bool:
        return self._field(self.file("unified", "memory.events"), "max") > 0

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in _read(self.file("unified", "cgroup.procs")).split()]
        except FileNotFoundError:
            return []

    def kill_all(self) -> None:
        for _ in range(1000):
            if not self.pids():
                return
            if self._has("cgroup.kill"):  # kernel 5.14+
                self._put(self.file("unified", "cgroup.kill"), "1")
            else:
                self._kill_listed()
            time.sleep(0.0005)


@dataclass
class CgroupHost:
    """Where this host's sandbox cgroups live, and how to make one."""

    version: int
    bases: dict[str, Path]  # controller (or "unified") -> parent directory of the box cgroups

    def create(self, name: str) -> Cgroup:
        cgroup = self._cgroup(name)
        try:
            self._make(cgroup)
        except FileExistsError:  # left by a crashed service: killed and removed, then made afresh
            cgroup.remove()
            self._make(cgroup)
        return cgroup

    @staticmethod
    def _make(cgroup: Cgroup) -> None:
        for directory in dict.fromkeys(cgroup.dirs.values()):
            os.mkdir(directory)

    @staticmethod
    def renew(removed: list[Path]) -> None:
        """Make again the directories a recycled cgroup removed (Cgroup.recycle)."""
        for directory in removed:
            os.mkdir(directory)

    def remove_stale(self, name: str) -> bool:
        """Kill and remove a cgroup left by a crashed service. True if there was one."""
        cgroup = self._cgroup(name)
        if not any(d.exists() for d in cgroup.dirs.values()):
            return False
        cgroup.remove()
        return True

    def _cgroup(self, name: str) -> Cgroup:
        cls = CgroupV1 if self.version == 1 else CgroupV2
        return cls({key: base / name for key, base in self.bases.items()})

    def describe(self) -> str:
        return f"cgroup v{self.version} ({', '.join(sorted(self.bases))})"


def _setup_v1(v1_mounts: dict[str, CgroupMount], own: dict[str, str]) -> CgroupHost | None:
    if not all(c in v1_mounts for c in V1_CONTROLLERS):
        return None
    bases = {}
    for controller in V1_CONTROLLERS:
        mount = v1_mounts[controller]
        _writable(mount)
        base = mount.directory_of(own.get(controller, "/")) / "codearena"
        base.mkdir(exist_ok=True)
        bases[controller] = base
    return CgroupHost(version=1, bases=bases)


def _setup_v2(mount: CgroupMount, own: dict[str, str]) -> CgroupHost | None:
    parent = mount.directory_of(own.get("", "/"))
    available = _read(parent / "cgroup.controllers").split()
    if not all(c in available for c in V2_CONTROLLERS):
        return None
    _writable(mount)
    wanted = " ".join(f"+{c}" for c in V2_CONTROLLERS)
    try:
        _write(parent / "cgroup.subtree_control", wanted)
    except OSError as exc:
        if exc.errno != errno.EBUSY:
            raise
        # "No internal processes": move this service into a leaf of its own first.
        leaf = parent / "codearena-supervisor"
        leaf.mkdir(exist_ok=True)
        _write(leaf / "cgroup.procs", "0")
        _write(parent / "cgroup.subtree_control", wanted)
    base = parent / "codearena"
    base.mkdir(exist_ok=True)
    _write(base / "cgroup.subtree_control", wanted)
    return CgroupHost(version=2, bases={"unified": base})


def detect() -> tuple[CgroupHost | None, str]:
    """Find a usable cgroup hierarchy. Returns (host or None, a sentence for `doctor`)."""
    if os.geteuid() != 0:
        return None, "cgroups unavailable: the service is not root (rlimits only)"
    try:
        v2_mount, v1_mounts = _cgroup_mounts(Path("/proc/self/mountinfo").read_text())
        own = _own_cgroup_paths()
        if v2_mount and Path(v2_mount.point, "cgroup.controllers").exists():
            host = _setup_v2(v2_mount, own)
            if host:
                return host, host.describe()
        host = _setup_v1(v1_mounts, own)
        if host:
            return host, host.describe()
    except OSError as exc:
        return None, f"cgroups unavailable: {exc} (rlimits only)"
    return None, "cgroups unavailable: memory/pids/cpu controllers not found (rlimits only)"
