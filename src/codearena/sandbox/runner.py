"""Run one argv in a box under bubblewrap and the limits, and measure what it did.

The sequence for a run:
  1. a fresh cgroup gets the memory and process limits;
  2. bwrap is forked; between fork and exec the child joins the cgroup, takes the rlimits and
     drops to the box's unprivileged uid (bwrap started by root would hand the program root);
  3. the parent watches stdout, stderr and the process through one selector, and stops the
     run at the CPU, wall or output limit;
  4. whatever ended the run, every process in the cgroup is killed, then the cgroup is removed.
The program's exit status comes from codearena-init (see init.c) over a pipe.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import resource
import select
import shutil
import signal
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, NamedTuple

from .settings import SandboxSettings, sandbox_settings
from . import bwrap as bwrap_argv
from .box import Box, SlotPool, clear_stale_box
from .cgroups import Cgroup, CgroupHost, detect
from .errors import SandboxUnavailable
from .helper import InitHelper, build_init_helper, publish_on_tmpfs
from .limits import MIB, LimitHit, Limits, RunResult
from .kept import Armed, KeptBoxes, cgroup_name, ready_cgroup_name
from .ready import REQUEST_LIMIT, ReadyBoxFailed, ReadyServer, encode_run, wait_readable
from .statedir import state_dir_problem

log = logging.getLogger("codearena.sandbox")

_READ_CHUNK = 64 * 1024
_DRAIN_TIMEOUT = 0.5  # after the run ended, how long leftover pipe data may take to arrive
_CANCEL_CHECK = 0.1  # seconds between looks at a run's cancel event
_PROCESS_OVERHEAD = 3  # bwrap's two processes and codearena-init count against pids.max
_BWRAP_ENV = {"PATH": "/usr/bin:/bin"}  # bwrap's own environment: it is what /proc/1/environ shows
_READY_STATUS_TIMEOUT = 2.0  # a ready box's init reporting a run it saw killed
# A box built for its run holds bwrap and init in the run's cgroup, and its wall clock starts
# before bwrap: while it runs, the watcher cannot yet tell their share (building the box, some
# 10 ms of CPU and 10-40 ms of wall here) from the program's, which init reports only at the end.
# It lets the run go this much past its limits, and the end's figures, the program's own, decide.
_BOX_START_ALLOWANCE = 0.1  # seconds
# What a ready box itself may never raise for its runs (each run lowers the others itself).
_READY_BOX_RLIMITS = [(resource.RLIMIT_CORE, (0, 0)), (resource.RLIMIT_MEMLOCK, (0, 0)),
                      (resource.RLIMIT_MSGQUEUE, (0, 0))]


def _rlimits(limits: Limits, address_space: bool) -> list[tuple[int, tuple[int, int]]]:
    cpu = math.ceil(limits.cpu_time) + 1  # a backstop: the cgroup counter is the real CPU limit
    values = [
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_FSIZE, (limits.file_size_mb * MIB,) * 2),
        (resource.RLIMIT_NOFILE, (limits.open_files,) * 2),
        (resource.RLIMIT_STACK, (limits.stack_mb * MIB,) * 2),
        (resource.RLIMIT_NPROC, (limits.processes + _PROCESS_OVERHEAD,) * 2),
        (resource.RLIMIT_MEMLOCK, (0, 0)),
        (resource.RLIMIT_MSGQUEUE, (0, 0)),
    ]
    if address_space:
        values.append((resource.RLIMIT_AS, (limits.memory_mb * MIB,) * 2))
    return values


@functools.lru_cache(maxsize=32)  # (a request holds up to REQUEST_LIMIT bytes)
def _ready_request(argv: tuple[str, ...], env: tuple[tuple[str, str], ...], limits: Limits) -> bytes | None:
    """A ready box's run request, or None past what one request holds. Made once for each
    command, environment and limits: a language's runs mostly send the same one."""
    payload = encode_run(bwrap_argv.BOX_PATH, _rlimits(limits, address_space=False), list(argv),
                         bwrap_argv.program_env(dict(env)))
    return payload if len(payload) <= REQUEST_LIMIT else None


def _launch_prefix(helper: str, uid: int | None, cgroup: Cgroup | None, rlimits) -> list[str]:
    """codearena-init --launch: join the cgroup, set rlimits, drop to the box uid, exec the rest.

    Done by a tiny exec'd program rather than a Python pre-exec hook so that Popen can vfork:
    a fork of a large Python process costs milliseconds and is unsafe with threads."""
    ids = ["-1", "-1"] if uid is None else [str(uid), str(uid)]
    attach = cgroup.attach_paths if cgroup else []
    flat = [str(part) for which, (soft, hard) in rlimits for part in (which, soft, hard)]
    return [helper, "--launch", *ids, str(len(attach)), *attach, str(len(rlimits)), *flat]


def _stdin_fd(data: bytes | Path) -> int:
    """The program's stdin: the bytes in a memfd, or a trusted host file (test data from the
    worker's cache, never a path the sandbox can write) opened read-only: streamed, not copied."""
    if isinstance(data, Path):
        return os.open(data, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    fd = os.memfd_create("codearena-stdin", os.MFD_CLOEXEC)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class _Status(NamedTuple):
    """codearena-init's line. exec_errno: the program could not be started (its exec failed
    with that errno); max_rss_kb: the largest resident set of the program and what it waited
    for; from a one-shot box, setup_cpu: init's own CPU seconds (bwrap's building of the box
    before it exec'd init, and init's), and program_wall: seconds from the program's fork to its
    end."""

    exit_code: int | None
    signal: int | None
    exec_errno: int | None
    max_rss_kb: int
    setup_cpu: float | None = None
    program_wall: float | None = None


def _parse_status(raw: bytes) -> _Status | None:
    """codearena-init's line, or None when there is none."""
    for line in raw.decode("ascii", "replace").splitlines()[:1]:
        parts = line.split()
        if not (2 <= len(parts) <= 5 and len(parts) != 4 and all(part.isdigit() for part in parts[1:])):
            return None
        max_rss = int(parts[2]) if len(parts) >= 3 else 0
        own = (int(parts[3]) / 1e6, int(parts[4]) / 1e6) if len(parts) == 5 else (None, None)
        if parts[0] == "exit":
            return _Status(int(parts[1]), None, None, max_rss, *own)
        if parts[0] == "signal":
            return _Status(None, int(parts[1]), None, max_rss, *own)
        if parts[0] == "noexec":
            return _Status(127, None, int(parts[1]), 0)
    return None


def _own_cpu_of_exited(pid: int) -> float | None:
    """The CPU seconds an exited, not yet reaped, process spent itself (not its children's):
    /proc/PID/schedstat's first field, in ns. None where the kernel does not keep it."""
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as file:
            return int(file.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


class _Capture:
    """Reads one pipe up to a cap; the service never holds more than cap bytes of it."""

    def __init__(self, fd: int, cap: int):
        self.fd = fd
        self.cap = cap
        self.data = bytearray()
        self.overflow = False
        self.closed = False

    def read(self) -> None:
        try:
            chunk = os.read(self.fd, min(_READ_CHUNK, self.cap + 1 - len(self.data)))
        except BlockingIOError:
            return
        if not chunk:
            self.closed = True
            return
        self.data += chunk
        if len(self.data) > self.cap:
            del self.data[self.cap :]
            self.overflow = True


class Sandbox:
    """Runs untrusted argv lists in boxes. One instance per process; it is thread-safe."""

    def __init__(self, settings: SandboxSettings | None = None):
        self.settings = settings or sandbox_settings()
        state = self.settings.state_dir
        state.mkdir(parents=True, exist_ok=True)
        os.chmod(state, 0o711)  # box uids must traverse it; nobody may list it
        self.root_mode = os.geteuid() == 0
        self.bwrap = shutil.which("bwrap")
        self.cgroups: CgroupHost | None
        self.cgroups, self.cgroup_note = detect()
        self.boxes_dir = state / "boxes"
        self.boxes_dir.mkdir(exist_ok=True)
        os.chmod(self.boxes_dir, 0o711)
        self.slots = SlotPool(state / "locks", self.settings.uid_base, self.settings.slots)
        self.unsafe = False
        problem = self.isolation_problem()
        if problem:
            if not self.settings.unsafe_dev_mode:
                raise SandboxUnavailable(problem)
            self.unsafe = True
            log.warning("[SANDBOX] UNSAFE DEVELOPMENT MODE: %s; untrusted code runs WITHOUT isolation", problem)
        if self.root_mode and not self.unsafe and (unreachable := state_dir_problem(state)):
            raise SandboxUnavailable(unreachable)  # else every run would fail with bwrap's "Permission denied"
        self.helper: InitHelper = build_init_helper(state / "bin")  # raises SandboxUnavailable
        if self.root_mode and not self.unsafe:
            self.helper = publish_on_tmpfs(self.helper, state / "init")
        self.kept = KeptBoxes(self.slots, self.boxes_dir, self.cgroups, self._start_server)

    # -- what protects a run --------------------------------------------------------------
    @functools.cached_property
    def fingerprint(self) -> str:
        """What decides how a box runs a program on this machine: the init helper's build (its
        name carries its source's digest), seccomp, the system's binds, the mode. A compile's
        outcome is kept per fingerprint, so a change here compiles again instead of reusing a
        failure the old sandbox caused."""
        material = json.dumps([self.helper.path.name, bool(self.helper.seccomp and self.settings.seccomp), self.unsafe,
                               self.root_mode, bwrap_argv.system_binds()])
        return hashlib.sha256(material.encode()).hexdigest()[:16]

    def isolation_problem(self) -> str | None:
        """Why bwrap cannot isolate here, or None when it can."""
        if not self.bwrap:
            return "bubblewrap (bwrap) is not installed"
        probe = subprocess.run(
            [self.bwrap, "--unshare-all", "--unshare-user", *bwrap_argv.system_binds(), "/usr/bin/true"],
            capture_output=True,
            preexec_fn=self._drop_privileges_only if self.root_mode else None,
            env=_BWRAP_ENV,
        )
        if probe.returncode != 0:
            return f"bwrap cannot create namespaces: {probe.stderr.decode(errors='replace').strip()}"
        return None

    def _drop_privileges_only(self) -> None:
        uid = self.settings.uid_base + self.settings.slots  # a uid no box uses
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)

    def protections(self) -> dict[str, str]:
        return {
            "isolation": "NONE (unsafe development mode)" if self.unsafe else f"bubblewrap ({self.bwrap})",
            "namespaces": "user, pid, network, ipc, uts, mount, cgroup" if not self.unsafe else "none",
            "privileges": "unprivileged uid per box" if self.root_mode else "the service's own uid (not root)",
            "cgroups": self.cgroup_note,
            "seccomp": "on" if self.helper.seccomp and self.settings.seccomp else "off",
            "box": "size-limited tmpfs per run" if self.root_mode else "plain directory (no disk quota)",
            "kept boxes": ("on: long-lived threads keep their box started, reset and checked between runs"
                           if self.ready_supported else "off: a box is built for every run"),
        }

    # -- boxes ------------------------------------------------------------------------------
    def sweep_stale(self) -> int:
        """Clear the boxes and cgroups of slots no process holds (left by a process killed mid-run,
        e.g. a worker lost to kill -9); slots in use are not touched. Returns how many were cleared."""
        cleared = 0
        for number in range(self.settings.slots):
            slot = self.slots.try_acquire(number)
            if slot is None:
                continue
            try:
                found = clear_stale_box(self.boxes_dir / str(number))
                if self.cgroups:
                    uid = self.settings.uid_base + number
                    found = self.cgroups.remove_stale(cgroup_name(uid)) or found
                    found = self.cgroups.remove_stale(ready_cgroup_name(uid)) or found
                cleared += found
            finally:
                slot.release()
        if cleared:
            log.info("[SANDBOX] cleared %d stale boxes left by a process that died mid-run", cleared)
        return cleared

    @property
    def ready_supported(self) -> bool:
        """Kept boxes need what makes their reset complete: root (a box uid), cgroups (to move
        and kill a run's processes), isolation, and the seccomp filter (without it a run could
        leave keys in its user's keyring, which outlives the run in a namespace that is kept)."""
        return (self.settings.ready_boxes and self.root_mode and self.cgroups is not None and not self.unsafe
                and self.helper.seccomp and self.settings.seccomp)

    @contextmanager
    def box(self, disk_mb: int = 64, extra_bytes: int = 0) -> Iterator[Box]:
        """A box with nothing in it: `disk_mb` for the run to write, plus `extra_bytes` for files
        put in before it. A thread in keep_boxes() gets its kept box, wiped; others a new one."""
        if self.ready_supported and self.kept.available():
            with self.kept.box(disk_mb * MIB + extra_bytes) as box:
                yield box
            return
        slot = self.slots.acquire()
        try:
            box = Box(self.boxes_dir / str(slot.number), slot, use_tmpfs=self.root_mode,
                      disk_bytes=disk_mb * MIB + extra_bytes)
            try:
                yield box
            finally:
                box.destroy()
        finally:
            slot.release()

    # -- running ----------------------------------------------------------------------------
    def run(
        self,
        box: Box,
        argv: list[str],
        *,
        limits: Limits,
        stdin: bytes | Path = b"",
        env: dict[str, str] | None = None,
        binds: list[bwrap_argv.Bind] | None = None,
        address_space_fallback: bool = True,
        cancel: threading.Event | None = None,
    ) -> RunResult:
        """Run argv (paths as seen inside the sandbox) in box under limits.

        cancel: when set (by another thread), the run is stopped within ~0.1 s (LimitHit.CANCELLED).

        address_space_fallback: where no memory cgroup exists, limit RLIMIT_AS instead
        (runtimes that reserve huge address space, the JVM and V8, set this to False).
        """
        kept = self.ready_supported and self.kept.holds(box)
        armed = None
        if kept:
            self.kept.settle()  # the box's last run: reset, its cgroup recycled
            payload = _ready_request(tuple(argv), tuple((env or {}).items()), limits)
            armed = self.kept.take_armed(box, binds or []) if payload else None
            if armed is None:
                self.kept.disarm()
            cgroup = armed.cgroup if armed else self.kept.run_cgroup(cgroup_name(box.slot.uid))
        else:
            cgroup = self.cgroups.create(cgroup_name(box.slot.uid)) if self.cgroups and not self.unsafe else None
        try:
            result = None
            if armed:  # the run's cgroup holds the program alone: bwrap and init are the box's
                result = self._serve_and_watch(armed, payload, limits, stdin, cgroup, cancel)
            if result is None:
                if armed:
                    cgroup.kill_all()  # the armed child, whose box failed before its run
                if cgroup:
                    cgroup.set_limits(limits.memory_mb * MIB, limits.processes + _PROCESS_OVERHEAD)
                result = self._spawn_and_watch(box, argv, limits, stdin, env or {}, binds or [], cgroup,
                                               address_space_fallback and cgroup is None, cancel)
        finally:
            if cgroup:
                cgroup.kill_all()
                if kept:
                    self.kept.finished(cgroup)  # reset and recycled once the result is handed back
                else:
                    cgroup.remove()
        return result

    # -- ready boxes ------------------------------------------------------------------------
    def _start_server(self, box: Box, binds: list[bwrap_argv.Bind], holder: Cgroup) -> ReadyServer:
        prefix = _launch_prefix(str(self.helper.path), box.slot.uid, holder, _READY_BOX_RLIMITS)
        return ReadyServer.start(bwrap=self.bwrap, helper=str(self.helper.path), launch_prefix=prefix, box=box,
                                 seccomp=self.helper.seccomp and self.settings.seccomp, binds=binds, holder=holder)

    def _serve_and_watch(self, armed: Armed, payload: bytes, limits: Limits, stdin: bytes | Path,
                         cgroup: Cgroup, cancel: threading.Event | None) -> RunResult | None:
        """The run through the ready box's armed child; None when the box failed before the
        program started (the box is ended, and the caller runs it one-shot instead)."""
        status_r = armed.status_r
        pipes: list[int] = []  # ours to close
        try:
            cgroup.set_limits(limits.memory_mb * MIB, limits.processes)
            out_r, out_w = os.pipe2(os.O_CLOEXEC)
            pipes += (out_r, out_w)
            err_r, err_w = os.pipe2(os.O_CLOEXEC)
            pipes += (err_r, err_w)
            stdin_fd = _stdin_fd(stdin)
            try:
                started = time.monotonic()
                self.kept.server.run(armed.launch, payload, [stdin_fd, out_w, err_w])
            except (ReadyBoxFailed, OSError) as exc:
                self.kept.end_server(f"a run could not start: {exc}")
                return None
            finally:
                os.close(stdin_fd)
                for fd in (out_w, err_w):  # the child has them: the pipes end with it
                    os.close(fd)
                    pipes.remove(fd)
            stdout, stderr = _Capture(out_r, limits.stdout_bytes), _Capture(err_r, limits.stderr_bytes)
            exited, limit_hit = self._watch_until(status_r, stdout, stderr, limits, cgroup, started, cancel)
            if not exited:
                cgroup.kill_all()
                wait_readable(status_r, _READY_STATUS_TIMEOUT)  # init reports the kill
            wall = time.monotonic() - started
            cgroup.kill_all()  # orphans (daemons, double forks) die with the run
            self._drain(stdout, stderr, limit_hit)
            if limit_hit is None and (stdout.overflow or stderr.overflow):
                limit_hit = LimitHit.OUTPUT
            result = self._result(None, status_r, limits, cgroup, None, wall, limit_hit, stdout, stderr)
            if result.exit_code is None and result.signal == signal.SIGKILL and limit_hit is None and result.notes:
                self.kept.end_server("its init did not report the run")
            return result
        finally:
            armed.close()  # its launch socket (closed already once the run was sent) and status pipe
            for fd in pipes:
                os.close(fd)

    def _command(self, box: Box, argv, env, binds, status_fd: int) -> tuple[list[str], str | None]:
        if self.unsafe:
            log.warning("[SANDBOX] UNSAFE DEVELOPMENT MODE: running %s without isolation", argv[0])
            for bind in binds:  # no mount namespace: copy what would be bound into the box
                target = Path(bind.target)
                if target.parent == Path(bwrap_argv.BOX_PATH) and not os.path.lexists(box.work / target.name):
                    box.write_file(target.name, Path(bind.source).read_bytes(), 0o755)
            return [str(self.helper.path), str(status_fd), "0", *argv], str(box.work)
        command = bwrap_argv.build_argv(
            bwrap=self.bwrap,
            box_root=box.root,
            init_helper=str(self.helper.path),
            status_fd=status_fd,
            seccomp=self.helper.seccomp and self.settings.seccomp,
            argv=argv,
            env=env,
            binds=binds,
        )
        return command, None

    def _spawn_and_watch(self, box, argv, limits, stdin, env, binds, cgroup: Cgroup | None, rlimit_as,
                         cancel: threading.Event | None = None) -> RunResult:
        status_r, status_w = os.pipe2(os.O_CLOEXEC)
        stdin_fd = _stdin_fd(stdin)
        command, cwd = self._command(box, argv, env, binds, status_w)
        uid = box.slot.uid if self.root_mode else None
        command = _launch_prefix(str(self.helper.path), uid, cgroup, _rlimits(limits, rlimit_as)) + command
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                command,
                stdin=stdin_fd,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(status_w,),
                env={**_BWRAP_ENV, **env} if self.unsafe else _BWRAP_ENV,
                cwd=cwd,
                start_new_session=True,
            )
        finally:
            os.close(status_w)
            os.close(stdin_fd)
        try:
            return self._watch(proc, status_r, limits, cgroup, started, cancel)
        finally:
            os.close(status_r)
            proc.stdout.close()
            proc.stderr.close()

    def _watch(self, proc: subprocess.Popen, status_r: int, limits: Limits, cgroup: Cgroup | None, started: float,
               cancel: threading.Event | None = None) -> RunResult:
        stdout = _Capture(proc.stdout.fileno(), limits.stdout_bytes)
        stderr = _Capture(proc.stderr.fileno(), limits.stderr_bytes)
        pidfd = os.pidfd_open(proc.pid)
        try:
            exited, limit_hit = self._watch_until(pidfd, stdout, stderr, limits, cgroup, started, cancel,
                                                  allowance=0.0 if self.unsafe else _BOX_START_ALLOWANCE)
            if not exited:
                self._stop(proc, cgroup)
            launcher_cpu = None if self.unsafe else _own_cpu_of_exited(proc.pid)  # bwrap's, before it is reaped
            _, wait_status, rusage = os.wait4(proc.pid, 0)
        finally:
            os.close(pidfd)
        proc.returncode = os.waitstatus_to_exitcode(wait_status)
        wall = time.monotonic() - started
        if cgroup:
            cgroup.kill_all()  # orphans (daemons, double forks) die with the run
        self._drain(stdout, stderr, limit_hit)
        if limit_hit is None and (stdout.overflow or stderr.overflow):
            limit_hit = LimitHit.OUTPUT
        return self._result(proc.returncode, status_r, limits, cgroup, rusage, wall, limit_hit, stdout, stderr,
                            launcher_cpu)

    @staticmethod
    def _watch_until(exit_fd: int, stdout: _Capture, stderr: _Capture, limits: Limits, cgroup: Cgroup | None,
                     started: float, cancel: threading.Event | None,
                     allowance: float = 0.0) -> tuple[bool, LimitHit | None]:
        """Read the program's output until `exit_fd` is readable (it ended) or a limit is hit
        (`allowance` seconds past each of the CPU and wall limits: see _BOX_START_ALLOWANCE).
        Returns (ended, the limit hit)."""
        # poll, not a selector: no descriptor of its own to make and close each run.
        captures = {stdout.fd: stdout, stderr.fd: stderr}
        poller = select.poll()
        for fd in (stdout.fd, stderr.fd, exit_fd):
            poller.register(fd, select.POLLIN)
        wall_deadline = started + limits.effective_wall_time() + allowance
        cpu_limit = limits.cpu_time + allowance
        cpus = max(os.cpu_count() or 1, 1)
        limit_hit: LimitHit | None = None
        exited = False
        while not exited and limit_hit is None:
            now = time.monotonic()
            if now >= wall_deadline:
                limit_hit = LimitHit.WALL_TIME
                break
            if cancel is not None and cancel.is_set():
                limit_hit = LimitHit.CANCELLED
                break
            timeout = wall_deadline - now if cancel is None else min(wall_deadline - now, _CANCEL_CHECK)
            if cgroup:
                cpu_left = cpu_limit - cgroup.cpu_seconds()
                if cpu_left <= 0:
                    limit_hit = LimitHit.CPU_TIME
                    break
                # The earliest moment the CPU limit could be crossed, with every core busy.
                timeout = min(timeout, max(cpu_left / cpus, 0.002))
            for fd, _ in poller.poll(timeout * 1000):
                capture = captures.get(fd)
                if capture is None:
                    exited = True
                else:
                    capture.read()
                    if capture.closed:
                        poller.unregister(fd)
                        del captures[fd]
                    elif capture.overflow:
                        limit_hit = LimitHit.OUTPUT
        return exited, limit_hit

    @staticmethod
    def _stop(proc: subprocess.Popen, cgroup: Cgroup | None) -> None:
        if cgroup:
            cgroup.kill_all()
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # bwrap leads its own session
        except ProcessLookupError:
            pass

    @staticmethod
    def _drain(stdout: _Capture, stderr: _Capture, limit_hit: LimitHit | None) -> None:
        """Collect what is still in the pipes. Never waits for EOF past a short deadline:
        without a cgroup an orphan could hold a pipe open."""
        if limit_hit == LimitHit.OUTPUT:
            return
        deadline = time.monotonic() + _DRAIN_TIMEOUT
        captures = {capture.fd: capture for capture in (stdout, stderr) if not capture.closed and not capture.overflow}
        poller = select.poll()
        for fd in captures:
            poller.register(fd, select.POLLIN)
        while captures and (left := deadline - time.monotonic()) > 0:
            for fd, _ in poller.poll(left * 1000):
                capture = captures[fd]
                capture.read()
                if capture.closed or capture.overflow:
                    poller.unregister(fd)
                    del captures[fd]

    def _without_host_paths(self, text: str) -> str:
        state = str(self.settings.state_dir)
        return text.replace(str(self.settings.state_dir.resolve()), "<state>").replace(state, "<state>")

    def _result(self, returncode: int | None, status_r, limits, cgroup, rusage, wall, limit_hit, stdout,
                stderr, launcher_cpu: float | None = None) -> RunResult:
        """returncode: bwrap's, or None for a ready box's run (whose init is the only witness).
        launcher_cpu: a one-shot box's bwrap's own CPU seconds (its cgroup holds bwrap and init
        beside the program: their share, the box's start, is left out of the run's figures, as a
        kept box's run cgroup holds the program alone)."""
        os.set_blocking(status_r, False)
        try:
            raw_status = os.read(status_r, 256)
        except BlockingIOError:
            raw_status = b""
        status = _parse_status(raw_status)
        notes: list[str] = []
        max_rss_kb = 0
        if status is None:
            # codearena-init did not report: it was killed with the run, or bwrap failed.
            rc = returncode if returncode is not None else -signal.SIGKILL
            exit_code, sig = (None, -rc) if rc < 0 else (None, signal.SIGKILL) if limit_hit else (rc, None)
            if limit_hit is None and not (cgroup and cgroup.oom_killed()):
                # bwrap's own message: the operator's log gets it whole; the result, which users
                # read, gets it without this machine's paths.
                detail = bytes(stderr.data).decode(errors="replace").strip()[-500:]
                log.error("[SANDBOX] sandbox failure: %s", detail)
                notes.append("sandbox failure: " + self._without_host_paths(detail))
                stderr.data = bytearray(self._without_host_paths(bytes(stderr.data).decode(errors="replace")).encode())
        else:
            exit_code, sig, exec_errno, max_rss_kb = status[:4]
            if exec_errno is not None:  # no such compiler or interpreter here: the system's failure
                notes.append(f"the program could not be started: {os.strerror(exec_errno)}")
        if cgroup:
            cpu = cgroup.cpu_seconds()
            # The cgroup's peak counts every process and the files they wrote, the largest
            # process's resident set the pages it mapped that others charged first (a shared
            # library): the larger is what the program held at most.
            memory_kb = max(cgroup.memory_peak_bytes() // 1024, max_rss_kb)
            oom = cgroup.oom_killed()
            pressure = oom or cgroup.memory_limit_reached()
        else:
            cpu = rusage.ru_utime + rusage.ru_stime
            memory_kb = rusage.ru_maxrss
            oom = False
            pressure = False
        if status is not None and status.setup_cpu is not None and launcher_cpu is not None:
            cpu = max(cpu - status.setup_cpu - launcher_cpu, 0.0)
            wall = status.program_wall
        if limit_hit is None:
            if oom:
                limit_hit = LimitHit.MEMORY
            elif cpu > limits.cpu_time or sig == signal.SIGXCPU:
                limit_hit = LimitHit.CPU_TIME
            elif wall > limits.effective_wall_time():  # within a one-shot box's allowance
                limit_hit = LimitHit.WALL_TIME
        return RunResult(
            exit_code=exit_code,
            signal=sig,
            cpu_time=round(cpu, 4),
            wall_time=round(wall, 4),
            memory_kb=memory_kb,
            stdout=bytes(stdout.data),
            stderr=bytes(stderr.data),
            limit_hit=limit_hit,
            memory_pressure=pressure,
            notes=notes,
        )


_instance: Sandbox | None = None


def get_sandbox() -> Sandbox:
    """The process-wide sandbox (detecting cgroups and building the helper happen once)."""
    global _instance
    if _instance is None:
        _instance = Sandbox()
    return _instance
