"""State a crashed service leaves behind is cleaned up by the next run in the same slot."""

import os

from codearena.sandbox import Limits
from codearena.sandbox.box import Box, is_mount_point, mount_tmpfs
from codearena.sandbox.runner import cgroup_name


def test_stale_box_and_cgroup_of_a_crashed_service_are_cleared(sandbox, no_leftovers):
    slot = sandbox.slots.acquire()
    try:
        stale = sandbox.boxes_dir / str(slot.number)
        stale.mkdir()
        mount_tmpfs(stale, 1 << 20, 64, slot.uid, slot.gid)
        os.symlink("/etc", stale / "planted")  # cleanup must not walk into this
        cgroup = sandbox.cgroups.create(f"box-{slot.number}")
        assert is_mount_point(stale)
        box = Box(stale, slot, use_tmpfs=True, disk_bytes=1 << 20)  # what the next run in this slot does
        fresh_cgroup = sandbox.cgroups.create(f"box-{slot.number}")
        try:
            assert sorted(p.name for p in box.root.iterdir()) == ["shm", "tmp", "work"]
            result = sandbox.run(box, ["/bin/true"], limits=Limits())
            assert result.ok
        finally:
            fresh_cgroup.remove()
            box.destroy()
        assert cgroup.pids() == []
    finally:
        slot.release()
    assert os.path.isdir("/etc")


def test_slots_are_exclusive_across_holders(sandbox):
    held = [sandbox.slots.acquire() for _ in range(5)]
    try:
        assert len({s.number for s in held}) == 5
        assert len({s.uid for s in held}) == 5
    finally:
        for slot in held:
            slot.release()


def test_sweep_clears_slots_nobody_holds_and_spares_held_ones(sandbox, no_leftovers):
    """What a process killed mid-run leaves (a mounted box, a cgroup with a live process) is
    cleared by sweep_stale(); a slot another process still holds is not touched."""
    import subprocess

    crashed = sandbox.slots.acquire()
    stale = sandbox.boxes_dir / str(crashed.number)
    stale.mkdir()
    mount_tmpfs(stale, 1 << 20, 64, crashed.uid, crashed.gid)
    os.symlink("/etc", stale / "planted")
    cgroup = sandbox.cgroups.create(cgroup_name(crashed.uid))
    orphan = subprocess.Popen(["sleep", "600"])
    for procs in dict.fromkeys(d / "cgroup.procs" for d in cgroup.dirs.values()):
        procs.write_text(str(orphan.pid))
    crashed.release()  # the process "died": its flock is gone, its box and cgroup are not

    held = sandbox.slots.acquire()
    with sandbox.box():
        held_box = sandbox.boxes_dir / str(held.number)
        held_box.mkdir()
        try:
            assert sandbox.sweep_stale() >= 1
            assert held_box.exists()  # held by us: spared
        finally:
            held_box.rmdir()
            held.release()
    assert orphan.wait(timeout=10) == -9  # killed with its cgroup
    assert not os.path.lexists(stale)
    assert os.path.isdir("/etc")
