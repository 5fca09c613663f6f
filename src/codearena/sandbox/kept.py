"""Kept boxes: a long-lived thread keeps its box (slot, tmpfs) between runs, and the started box
(a ReadyServer: bwrap and `codearena-init --serve`) that serves its runs.

After a run its processes are killed at once; the rest of the clean-up (the started box's
reset, the run's cgroup recycled, the box's files wiped) and the arming of the next run (its
child forked by init and moved into its cgroup, waiting) wait until its thread is idle
(tidy_kept_boxes) or the box is needed again: neither is on the way of a result to its caller.
A started box is ended when anything about it is unexpected; the next run then starts another.
See docs/architecture.md, "A run in a kept box".
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .box import Box, SlotPool
from .bwrap import Bind
from .cgroups import Cgroup, CgroupHost
from .ready import ReadyBoxFailed, ReadyServer

log = logging.getLogger("codearena.sandbox")

_SERVER_MEMORY = 64 * 1024 * 1024  # bwrap and init, before a run's child moves to the run's cgroup
_SERVER_PIDS = 8


def cgroup_name(uid: int) -> str:
    """A box's cgroup is named by its uid, which no other box on the machine has at the same time:
    two sandboxes with their own state directories and uid ranges (a test run beside a
    developer's server) never share a cgroup."""
    return f"box-{uid}"


def ready_cgroup_name(uid: int) -> str:
    """The cgroup of a started box's own processes (bwrap and init), beside its runs' cgroup."""
    return f"box-{uid}-ready"


class _Keeping(threading.local):
    """Whether this thread keeps its boxes, and the KeptBoxes holding one for it."""

    on = False
    holders: list = []


_keeping = _Keeping()


@contextmanager
def keep_boxes() -> Iterator[None]:
    """This thread keeps its box between runs: started once and reset instead of built and torn
    down each time. For long-lived threads only (direct mode's pool, a worker's slots): bwrap
    dies with the thread that started it. The kept boxes end when the block does."""
    if _keeping.on:  # already keeping: the outer block ends them
        yield
        return
    _keeping.on, _keeping.holders = True, []
    try:
        yield
    finally:
        _keeping.on = False
        for holder in _keeping.holders:
            holder.drop()
        _keeping.holders = []


def tidy_kept_boxes() -> None:
    """This thread is idle: finish the clean-up its kept boxes' last runs left for later (a
    worker slot between jobs, direct mode's pool between runs). Never raises."""
    for holder in list(_keeping.holders):
        try:
            holder.tidy()
        except Exception:  # noqa: BLE001 - the box is dropped; the next run builds another
            log.exception("[SANDBOX] a kept box could not be tidied: dropped")
            holder.drop()


@dataclass
class Armed:
    """A run's child forked ahead of its run, in the run's cgroup, waiting on `launch` for it;
    `status_r` tells how it ended."""

    cgroup: Cgroup
    launch: socket.socket
    status_r: int

    def close(self) -> None:
        """Disarm: the child exits without running anything (its cgroup is the caller's)."""
        _disarm(self.launch, self.status_r)


def _disarm(launch: socket.socket, status_r: int) -> None:
    """A child asked for or armed, closed on our side: it exits without running anything."""
    launch.close()
    os.close(status_r)


class _ThreadBox(threading.local):
    box: Box | None = None
    server: ReadyServer | None = None
    in_use = False
    dirty = False  # holds the files of its last use: wiped before the next one
    finished: Cgroup | None = None  # the last run's cgroup (its processes killed): reset and recycled next
    spare: tuple[Cgroup, list[Path]] | None = None  # that cgroup recycled, and what renew makes again
    arming: tuple[socket.socket, int] | None = None  # asked for (launch socket, status pipe): not read yet
    armed: Armed | None = None  # the next run's child, waiting in the started box, in its cgroup


# (box, binds, the server's own cgroup) -> a started box; raises ReadyBoxFailed or OSError
StartServer = Callable[[Box, list[Bind], Cgroup], ReadyServer]


class KeptBoxes:
    """One sandbox's kept boxes: one per thread inside keep_boxes()."""

    def __init__(self, slots: SlotPool, boxes_dir: Path, cgroups: CgroupHost | None, start: StartServer):
        self._slots = slots
        self._boxes_dir = boxes_dir
        self._cgroups = cgroups
        self._start = start
        self._mine = _ThreadBox()

    # -- the box ----------------------------------------------------------------------------
    def available(self) -> bool:
        """This thread keeps its box, and is not using it already (a box inside a box's block)."""
        return _keeping.on and not self._mine.in_use

    def holds(self, box: Box) -> bool:
        return box is self._mine.box

    @contextmanager
    def box(self, disk_bytes: int) -> Iterator[Box]:
        """This thread's kept box, sized for the run, wiped when handed back."""
        mine = self._mine
        self.tidy()
        if mine.box is not None:
            try:
                mine.box.resize(disk_bytes)
            except OSError as exc:
                log.warning("[SANDBOX] kept box of slot %d could not be resized (%s): built again",
                            mine.box.slot.number, exc)
                self.drop()
        if mine.box is None:
            slot = self._slots.acquire()
            try:
                mine.box = Box(self._boxes_dir / str(slot.number), slot, use_tmpfs=True, disk_bytes=disk_bytes)
            except BaseException:
                slot.release()
                raise
            if self not in _keeping.holders:
                _keeping.holders.append(self)
        mine.in_use = True
        try:
            yield mine.box
        finally:
            mine.in_use, mine.dirty = False, True

    def tidy(self) -> None:
        """The clean-up left for later (the last run's reset and cgroup, the box's files), and
        the next run armed. init is asked for the reset and the next run's child first, without
        waiting: it does both while this thread wipes the box."""
        mine = self._mine
        server = mine.server
        if mine.finished is not None and server is not None and server.alive() and not mine.in_use:
            try:
                server.ask_reset()
                self._ask_arm(server)
            except OSError as exc:
                self.end_server(f"its reset could not be asked for: {exc}")
        if mine.dirty and mine.box is not None and not mine.in_use:
            mine.dirty = False
            try:
                mine.box.wipe()
            except (OSError, RuntimeError) as exc:
                log.warning("[SANDBOX] kept box of slot %d could not be wiped (%s): destroyed", mine.box.slot.number, exc)
                self.drop()
        self.settle()
        if not mine.in_use:
            self._arm()

    def finished(self, cgroup: Cgroup) -> None:
        """A run in the box ended and its processes were killed: its reset and its cgroup's
        recycling wait for settle()."""
        self.settle()
        self._mine.finished = cgroup

    def settle(self) -> None:
        """Before anything else runs in the box: the last run's reset, its cgroup recycled for
        the next run (what cannot be reset removed, counters reset)."""
        mine = self._mine
        if mine.finished is None:
            return
        cgroup, mine.finished = mine.finished, None
        self.reset()
        try:
            removed = cgroup.recycle()
        except OSError as exc:
            log.error("[SANDBOX] the cgroup of a run in slot %d could not be recycled (%s): box destroyed",
                      mine.box.slot.number if mine.box else -1, exc)
            self.drop()
            return
        if removed is not None:
            mine.spare = (cgroup, removed)

    # -- the next run's child ---------------------------------------------------------------
    def take_armed(self, box: Box, binds: list[Bind]) -> Armed | None:
        """The child for a run in `box` with this bind set: armed ahead, or now. None when the
        box could not be started or armed (the run is one-shot then)."""
        if self.server_for(box, binds) is None:
            return None
        self._arm()
        armed, self._mine.armed = self._mine.armed, None
        return armed

    def disarm(self) -> None:
        """The armed child, unused, ends (a run is one-shot after all): its cgroup is recycled."""
        armed = self._drop_children()
        if armed is not None:
            self._mine.finished = armed.cgroup
            self.settle()  # its cgroup's name is the one-shot run's

    def _drop_children(self) -> Armed | None:
        """Disarm the child asked for and the one armed; returns the armed one (its cgroup, with
        the child exiting in it, is the caller's)."""
        mine = self._mine
        armed, arming, mine.armed, mine.arming = mine.armed, mine.arming, None, None
        if arming is not None:
            _disarm(*arming)
        if armed is not None:
            armed.close()
        return armed

    def _ask_arm(self, server: ReadyServer) -> None:
        mine = self._mine
        if mine.arming is not None or mine.armed is not None:
            return
        status_r, status_w = os.pipe2(os.O_CLOEXEC)
        try:
            mine.arming = (server.arm(status_w), status_r)
        except BaseException:
            os.close(status_r)
            raise
        finally:
            os.close(status_w)

    def _arm(self) -> None:
        """The next run's child in its cgroup, waiting: asked for now unless it was already."""
        self.settle()
        mine = self._mine
        server = mine.server
        if mine.armed is not None or server is None or mine.box is None or not server.alive():
            return
        try:
            self._ask_arm(server)
            (launch, status_r), mine.arming = mine.arming, None
        except (ReadyBoxFailed, OSError) as exc:
            self.end_server(f"a run could not be armed: {exc}")
            return
        try:
            pid = server.armed_pid(launch)
        except (ReadyBoxFailed, OSError) as exc:
            _disarm(launch, status_r)
            self.end_server(f"a run could not be armed: {exc}")
            return
        cgroup = self.run_cgroup(cgroup_name(mine.box.slot.uid))
        armed = Armed(cgroup, launch, status_r)
        try:
            cgroup.attach(pid)
        except OSError as exc:
            armed.close()
            cgroup.remove()
            self.end_server(f"an armed run could not be moved into its cgroup: {exc}")
            return
        mine.armed = armed

    def run_cgroup(self, name: str) -> Cgroup:
        """The cgroup for the next run in this thread's kept box: its last one's, recycled and
        made whole again, or a new one."""
        mine = self._mine
        if mine.spare is not None:
            (cgroup, removed), mine.spare = mine.spare, None
            try:
                self._cgroups.renew(removed)
                return cgroup
            except OSError as exc:
                log.warning("[SANDBOX] a recycled cgroup could not be renewed (%s): made afresh", exc)
                cgroup.remove()
        return self._cgroups.create(name)

    def drop(self) -> None:
        """End this thread's kept box: its started box, its tmpfs, its slot."""
        mine = self._mine
        mine.dirty = False
        left = [cgroup for cgroup in (mine.finished, mine.spare and mine.spare[0]) if cgroup is not None]
        mine.finished = mine.spare = None
        for cgroup in left:
            try:
                cgroup.remove()
            except OSError as exc:  # left to the next start's sweep
                log.error("[SANDBOX] the cgroup of a run could not be removed: %s", exc)
        self.end_server()
        if mine.box is not None:
            box, mine.box = mine.box, None
            try:
                box.destroy()
            finally:
                box.slot.release()

    # -- the started box ----------------------------------------------------------------------
    @property
    def server(self) -> ReadyServer | None:
        return self._mine.server

    def server_for(self, box: Box, binds: list[Bind]) -> ReadyServer | None:
        """The started box serving `box` (this thread's kept box) with this bind set: started,
        or started again for another bind set. None when it could not start (a one-shot run)."""
        mine = self._mine
        if mine.server is not None and (mine.server.binds != tuple(binds) or not mine.server.alive()):
            self.end_server()
        if mine.server is None:
            holder = self._cgroups.create(ready_cgroup_name(box.slot.uid))
            try:
                holder.set_limits(_SERVER_MEMORY, _SERVER_PIDS)
                mine.server = self._start(box, binds, holder)
            except (ReadyBoxFailed, OSError) as exc:
                holder.remove()
                log.error("[SANDBOX] ready box of slot %d could not start: %s", box.slot.number, exc)
                return None
        return mine.server

    def reset(self) -> None:
        """After every run: its processes, IPC objects and sockets gone, or the started box ends."""
        server = self._mine.server
        if server is None:
            return
        try:
            server.reset()
        except (ReadyBoxFailed, OSError) as exc:
            self.end_server(f"reset failed: {exc}")

    def end_server(self, reason: str = "") -> None:
        mine = self._mine
        armed = self._drop_children()
        if mine.server is not None:
            server, mine.server = mine.server, None
            detail = server.close()
            if reason:
                log.warning("[SANDBOX] ready box of slot %d ended after %d runs: %s%s", mine.box.slot.number,
                            server.runs, reason, f" ({detail})" if detail else "")
        if armed is not None:
            try:
                armed.cgroup.remove()
            except OSError as exc:  # left to the next start's sweep
                log.error("[SANDBOX] the cgroup of an armed run could not be removed: %s", exc)
