"""How much CPU and memory this process may use: the smaller of the machine's and its cgroup's.

In a container (Docker's --cpus/--memory, a Kubernetes pod's limits) `os.cpu_count()` and
/proc/meminfo still describe the whole host; the limits live in the cgroup. Slot counts are
derived from these figures so a worker in a 2-CPU pod on a 64-core node runs 2 jobs, not 64.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from .cgroups import CgroupsUnusable, _cgroup_mounts, _own_cgroup_paths

_UNLIMITED_V1 = 1 << 60  # v1 writes "no limit" as a huge number (PAGE_COUNTER_MAX pages)


def _cgroup_chains() -> dict[str, list[Path]]:
    """'' (v2), 'memory' and 'cpu' (v1) -> this process's cgroup directory and its parents up to
    the mount point (a limit set on a parent applies too), for the hierarchies mounted here."""
    try:
        v2, v1 = _cgroup_mounts(Path("/proc/self/mountinfo").read_text())
        own = _own_cgroup_paths()
        mounts = {"": v2} if v2 is not None else {}
        mounts |= {controller: v1[controller] for controller in ("memory", "cpu") if controller in v1}
        chains = {}
        for key, mount in mounts.items():
            if key in own:
                directory, top = mount.directory_of(own[key]), Path(mount.point)
                chains[key] = [directory, *(p for p in directory.parents if p.is_relative_to(top))]
        return chains
    except (OSError, CgroupsUnusable):
        return {}


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def cpu_limit() -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup CPU quota (rounded up)."""
    cpus = len(os.sched_getaffinity(0)) or os.cpu_count() or 1
    quota = _cpu_quota()
    return max(1, min(cpus, math.ceil(quota))) if quota else cpus


def _cpu_quota() -> float | None:
    chains = _cgroup_chains()
    quotas: list[float] = []
    for directory in chains.get("", []):
        text = _read(directory / "cpu.max")
        if text and not text.startswith("max"):
            quota, period = text.split()[:2]
            quotas.append(int(quota) / int(period))
    for directory in chains.get("cpu", []):
        quota, period = _read(directory / "cpu.cfs_quota_us"), _read(directory / "cpu.cfs_period_us")
        if quota and period and int(quota) > 0:
            quotas.append(int(quota) / int(period))
    return min(quotas) if quotas else None


def memory_limit_bytes() -> int:
    """Memory this process's cgroup may use (the machine's total when no cgroup limit is set)."""
    limits = [_mem_total()]
    chains = _cgroup_chains()
    for key, name in (("", "memory.max"), ("memory", "memory.limit_in_bytes")):
        for directory in chains.get(key, []):
            text = _read(directory / name)
            if text and text != "max" and int(text) < _UNLIMITED_V1:
                limits.append(int(text))
    return min(limits)


def _mem_total() -> int:
    for line in (_read(Path("/proc/meminfo")) or "").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 1 << 40
