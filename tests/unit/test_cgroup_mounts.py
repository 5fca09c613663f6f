"""Finding this process's cgroup directory from /proc/self/mountinfo, on a host and in containers."""

from pathlib import Path

import pytest

from codearena.sandbox.cgroups import CgroupsUnusable, _cgroup_mounts

HOST_V1 = """\
30 23 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:4 - tmpfs tmpfs ro,mode=755
31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:5 - cgroup2 cgroup2 rw,nsdelegate
35 30 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory
36 30 0:32 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,pids
37 30 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpu,cpuacct
"""
# Docker 20.10 on cgroup v1: each hierarchy shows the container's own cgroup as its root, read-only.
DOCKER_V1 = """\
620 611 0:31 /docker/4f2a /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime master:14 - cgroup cgroup rw,memory
621 611 0:32 /docker/4f2a /sys/fs/cgroup/pids ro,nosuid,nodev,noexec,relatime master:15 - cgroup cgroup rw,pids
"""
DOCKER_V2_PRIVATE_NS = "700 690 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw\n"


def test_host_v1_controllers_and_directories():
    v2, v1 = _cgroup_mounts(HOST_V1)
    assert v2.point == "/sys/fs/cgroup/unified"
    assert v1["memory"].directory_of("/user.slice/session-1.scope") == Path("/sys/fs/cgroup/memory/user.slice/session-1.scope")
    assert v1["cpuacct"].point == "/sys/fs/cgroup/cpu,cpuacct"
    assert not v1["pids"].read_only


def test_in_a_docker_container_the_mount_root_is_the_containers_cgroup():
    _, v1 = _cgroup_mounts(DOCKER_V1)
    memory = v1["memory"]
    assert memory.read_only
    assert memory.directory_of("/docker/4f2a") == Path("/sys/fs/cgroup/memory/")
    assert memory.directory_of("/docker/4f2a/codearena-supervisor") == Path("/sys/fs/cgroup/memory/codearena-supervisor")
    with pytest.raises(CgroupsUnusable, match="outside the hierarchy"):
        memory.directory_of("/docker/other")


def test_a_private_cgroup_namespace_shows_its_root_as_slash():
    v2, v1 = _cgroup_mounts(DOCKER_V2_PRIVATE_NS)
    assert v1 == {} and v2.directory_of("/") == Path("/sys/fs/cgroup/")
