"""The bubblewrap command line for one run. Pure: builds an argv list, starts nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

INSIDE_UID = 1000  # what the program sees as its uid; mapped to the box's host uid
INIT_PATH = "/.codearena-init"
BOX_PATH = "/box"

# Top-level directories that are symlinks into /usr on merged-/usr systems (Debian 12+).
_USR_ALIASES = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")

BASE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": BOX_PATH,
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
}


@dataclass(frozen=True)
class Bind:
    """A host path shown inside the sandbox, read-only unless writable=True."""

    source: str
    target: str
    writable: bool = False
    optional: bool = False  # skip silently when the source does not exist


def system_binds() -> list[str]:
    """Read-only /usr plus the merged-/usr aliases, mirrored as they are on the host."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in _USR_ALIASES:
        host = Path("/", name)
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), f"/{name}"]
        elif host.is_dir():
            args += ["--ro-bind", str(host), f"/{name}"]
    args += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    # Debian's alternatives: links from /usr (cc, java, libblas.so.3) through here back into /usr.
    args += ["--ro-bind-try", "/etc/alternatives", "/etc/alternatives"]
    return args


def box_args(*, bwrap: str, box_root: Path, init_helper: str, binds: list[Bind]) -> list[str]:
    """bwrap's options for a box: namespaces, the read-only system, the box's writable
    directories, the init helper and the language's binds; what to run comes after them."""
    args = [
        bwrap,
        "--unshare-all",  # user, pid, net, ipc, uts, cgroup, mount: no network at all
        "--unshare-user",
        "--disable-userns",  # no nested user namespaces for the program
        "--cap-drop", "ALL",
        "--uid", str(INSIDE_UID),
        "--gid", str(INSIDE_UID),
        "--hostname", "codearena",
        "--die-with-parent",
        "--new-session",  # no TIOCSTI into a terminal
        "--as-pid-1",  # codearena-init is pid 1: bwrap then reaps it itself (no zombie left to the host)
        *system_binds(),
        "--proc", "/proc",
        "--ro-bind", "/dev/null", "/proc/cmdline",  # the host kernel's command line is the host's
        "--dev", "/dev",
        "--remount-ro", "/dev",  # /dev is an unsized tmpfs: nothing may be written there
        "--bind", str(box_root / "shm"), "/dev/shm",  # ...except /dev/shm, which lives in the sized box
        "--bind", str(box_root / "tmp"), "/tmp",
        "--bind", str(box_root / "work"), BOX_PATH,
        "--ro-bind", init_helper, INIT_PATH,
    ]
    for bind in binds:
        if bind.optional and not os.path.exists(bind.source):
            continue
        args += ["--bind" if bind.writable else "--ro-bind", bind.source, bind.target]
    return args + ["--remount-ro", "/"]


def program_env(env: dict[str, str]) -> dict[str, str]:
    """The whole environment a program starts with."""
    return {**BASE_ENV, **env}


def build_argv(
    *,
    bwrap: str,
    box_root: Path,
    init_helper: str,
    status_fd: int,
    seccomp: bool,
    argv: list[str],
    env: dict[str, str],
    binds: list[Bind],
    cwd: str = BOX_PATH,
) -> list[str]:
    """One run in a box of its own: codearena-init runs argv and reports on status_fd."""
    args = box_args(bwrap=bwrap, box_root=box_root, init_helper=init_helper, binds=binds)
    args += ["--chdir", cwd, "--clearenv"]
    for key, value in program_env(env).items():
        args += ["--setenv", key, value]
    args += [INIT_PATH, str(status_fd), "1" if seccomp else "0", *argv]
    return args


def serve_argv(*, bwrap: str, box_root: Path, init_helper: str, control_fd: int, seccomp: bool,
               binds: list[Bind]) -> list[str]:
    """A ready box: codearena-init --serve takes its runs over control_fd (see init.c)."""
    args = box_args(bwrap=bwrap, box_root=box_root, init_helper=init_helper, binds=binds)
    return args + ["--chdir", BOX_PATH, "--clearenv", INIT_PATH, "--serve", str(control_fd), "1" if seccomp else "0"]
