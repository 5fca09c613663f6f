"""Ready boxes (issue 16): a box whose namespaces, mounts and seccomp filter outlive its runs.

A box is started once (bwrap, then `codearena-init --serve` as its pid 1) and then takes runs
as requests over a SOCK_SEQPACKET socket, one at a time. For each run:

  1. ahead of the run (when the box's thread is idle), the service arms the box: it sends two
     descriptors (the status pipe and a fresh launch socket); init forks a child, which sends
     its credentials on the launch socket: the kernel tells the service the child's pid as the
     host sees it (SCM_CREDENTIALS), and no one can forge it;
  2. the service moves that pid into the run's own cgroup; the child waits;
  3. the run: the service sends the argv, environment and rlimits, with stdin, stdout and
     stderr, on the launch socket; only then does the child take its limits and exec the program;
  4. after the run, the service kills the run's cgroup and asks for a reset: init kills and
     reaps anything left, removes every System V IPC object and checks that nothing survived.
     A reset that fails (or any protocol error) ends the box: a new one is started next time.

The box's files are wiped by the service when the box is handed back (Box.wipe). Runs whose
request would not fit one message, or where no box could be started, take the one-shot path
(a bwrap per run) on the same box directory, with the same result.
"""

from __future__ import annotations

import array
import logging
import os
import select
import signal
import socket
import struct
import subprocess
import tempfile
import time

from . import bwrap as bwrap_argv
from .box import Box
from .cgroups import Cgroup

log = logging.getLogger("codearena.sandbox")

REQUEST_LIMIT = 128 * 1024  # bytes of argv and environment in one request; past it, a one-shot run
_START_TIMEOUT = 10.0  # bwrap and init starting (a loaded host)
_REPLY_TIMEOUT = 5.0  # a launch's credentials, a reset's answer
_UCRED = struct.Struct("iII")  # struct ucred: pid, uid, gid


class ReadyBoxFailed(RuntimeError):
    """The ready box broke its protocol or did not answer: it is destroyed."""


def _receive(sock: socket.socket, size: int, ancillary: int, timeout: float) -> tuple[bytes, list]:
    if not wait_readable(sock.fileno(), timeout):
        raise ReadyBoxFailed("the box did not answer in time")
    data, ancdata, _flags, _address = sock.recvmsg(size, ancillary)
    if not data:
        raise ReadyBoxFailed("the box ended")
    return data, ancdata


def encode_run(cwd: str, rlimits: list[tuple[int, tuple[int, int]]], argv: list[str], env: dict[str, str]) -> bytes:
    """The run request's payload (init.c parse_run): NUL-separated fields. ValueError for a NUL
    inside a field (as subprocess refuses one)."""
    fields = ["run", cwd, str(len(rlimits))]
    fields += [str(part) for which, (soft, hard) in rlimits for part in (which, soft, hard)]
    fields += [str(len(argv)), *argv]
    entries = [f"{key}={value}" for key, value in env.items()]
    fields += [str(len(entries)), *entries]
    if any("\0" in field for field in fields):
        raise ValueError("embedded null byte")
    return b"".join(field.encode() + b"\0" for field in fields)


class ReadyServer:
    """One started box: its bwrap process, the control socket, the bind set it was started with."""

    def __init__(self, process: subprocess.Popen, control: socket.socket, binds: tuple, holder: Cgroup | None,
                 errors):
        self.process = process
        self.control = control
        self.binds = binds
        self.holder = holder
        self._errors = errors  # bwrap's and init's own messages (a file: nothing has to drain it)
        self.runs = 0
        self._reset_asked = False

    @classmethod
    def start(cls, *, bwrap: str, helper: str, launch_prefix: list[str], box: Box, seccomp: bool,
              binds: list[bwrap_argv.Bind], holder: Cgroup | None) -> "ReadyServer":
        host_end, box_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        errors = tempfile.TemporaryFile()
        command = launch_prefix + bwrap_argv.serve_argv(bwrap=bwrap, box_root=box.root, init_helper=helper,
                                                        control_fd=box_end.fileno(), seccomp=seccomp, binds=binds)
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
                                       pass_fds=(box_end.fileno(),), env={"PATH": "/usr/bin:/bin"},
                                       start_new_session=True)
        except OSError:
            host_end.close()
            errors.close()
            raise
        finally:
            box_end.close()
        server = cls(process, host_end, tuple(binds), holder, errors)
        try:
            data, _ = _receive(host_end, 64, 0, _START_TIMEOUT)
            if data != b"ready":
                raise ReadyBoxFailed(f"the box said {data[:64]!r} instead of ready")
        except (ReadyBoxFailed, OSError) as exc:
            detail = server.close()
            raise ReadyBoxFailed(f"the box did not start: {exc}: {detail}") from None
        return server

    def arm(self, status_fd: int) -> socket.socket:
        """Ask for the next run's child, forked ahead of its run; returns the launch socket its
        credentials (armed_pid) and then its run go to. Until `run`, it only waits: nothing of a
        program runs. The box serves nothing else until that child ended (run, or disarmed by
        closing the launch socket). Does not wait: init forks while the caller goes on."""
        host_end, box_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            host_end.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            self.control.sendmsg([b"arm\0"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                               array.array("i", [status_fd, box_end.fileno()]))])
            return host_end
        except BaseException:
            host_end.close()
            raise
        finally:
            box_end.close()

    @staticmethod
    def armed_pid(launch: socket.socket) -> int:
        """The armed child's pid as the host sees it (its credentials, which the kernel vouches for)."""
        _, ancdata = _receive(launch, 1, socket.CMSG_SPACE(_UCRED.size), _REPLY_TIMEOUT)
        for level, kind, data in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(data) >= _UCRED.size:
                pid, _uid, _gid = _UCRED.unpack(data[:_UCRED.size])
                return pid
        raise ReadyBoxFailed("the run's child sent no credentials")

    def run(self, launch: socket.socket, payload: bytes, fds: list[int]) -> None:
        """Hand the armed child its run (encode_run's payload; stdin, stdout, stderr): it execs
        the program (it is in the run's cgroup by now)."""
        try:
            launch.sendmsg([payload], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
            self.runs += 1
        finally:
            launch.close()

    def ask_reset(self) -> None:
        """Ask for the reset now, without waiting: init does it while the caller goes on, and
        `reset` reads its answer."""
        if not self._reset_asked:
            self.control.sendmsg([b"reset\0"])
            self._reset_asked = True

    def reset(self) -> None:
        """Kill and reap what is left, remove IPC objects, check: ReadyBoxFailed if not clean."""
        self.ask_reset()
        self._reset_asked = False
        data, _ = _receive(self.control, 256, 0, _REPLY_TIMEOUT)
        if data != b"clean":
            raise ReadyBoxFailed(data.decode(errors="replace"))

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> str:
        """End the box (its init sees the socket close; the namespace dies with it). Returns what
        bwrap and init printed, for the log."""
        self.control.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        if self.holder:
            self.holder.remove()
        self._errors.seek(0)
        detail = self._errors.read(4096).decode(errors="replace").strip()
        self._errors.close()
        return detail


def wait_readable(fd: int, timeout: float) -> bool:
    poller = select.poll()  # not a selector: no descriptor of its own to make and close
    poller.register(fd, select.POLLIN)
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        if poller.poll(left * 1000):
            return True
    return False
