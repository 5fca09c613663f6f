"""Builds `codearena-init` (init.c) once per source version, with seccomp when libseccomp is there."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .box import mount_tmpfs
from .errors import SandboxUnavailable


@dataclass(frozen=True)
class InitHelper:
    path: Path
    seccomp: bool


BUILD_VERSION = b"static-first"  # part of the helper's name: a change of build flags rebuilds it


class HelperBuildError(SandboxUnavailable):
    pass


def _compile(source: Path, output: Path, with_seccomp: bool) -> bool:
    # Static first: it is exec'd twice per run (launcher, then pid 1), and skipping the dynamic
    # loader saves close to a millisecond a run. Dynamic where static libraries are missing.
    for static in (["-static"], []):
        argv = ["gcc", "-O2", "-Wall", *static, "-o", str(output), str(source)]
        if with_seccomp:
            argv[1:1] = ["-DHAVE_SECCOMP"]
            argv.append("-lseccomp")
        if subprocess.run(argv, capture_output=True, timeout=60).returncode == 0:
            return True
    return False


def build_init_helper(bin_dir: Path) -> InitHelper:
    """Return the helper for this source, compiling it if needed (atomic against racing builders)."""
    source_text = resources.files("codearena.sandbox").joinpath("init.c").read_bytes()
    digest = hashlib.sha256(source_text + BUILD_VERSION).hexdigest()[:16]
    for seccomp in (True, False):
        candidate = bin_dir / f"codearena-init-{digest}{'-seccomp' if seccomp else ''}"
        if candidate.is_file():
            return InitHelper(candidate, seccomp)
    if shutil.which("gcc") is None:
        raise HelperBuildError("gcc is needed to build the sandbox's init helper")
    bin_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(bin_dir, 0o755)  # the unprivileged box uid must reach the helper
    with tempfile.TemporaryDirectory(dir=bin_dir) as tmp:
        src = Path(tmp, "init.c")
        src.write_bytes(source_text)
        for seccomp in (True, False):
            built = Path(tmp, "init")
            if _compile(src, built, seccomp):
                os.chmod(built, 0o755)
                final = bin_dir / f"codearena-init-{digest}{'-seccomp' if seccomp else ''}"
                os.replace(built, final)
                return InitHelper(final, seccomp)
    raise HelperBuildError("could not compile the sandbox's init helper (init.c)")


def publish_on_tmpfs(helper: InitHelper, directory: Path) -> InitHelper:
    """The helper, copied onto a small tmpfs of its own at `directory` (root only). Every box
    bind-mounts it, and a bind mount's source path shows in the program's /proc/self/mountinfo:
    from a tmpfs that path is `/codearena-init-...`, not a path of the host's disks."""
    directory.mkdir(mode=0o755, exist_ok=True)
    with open(directory.parent / ".init-publish.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # processes starting together mount it once
        if not os.path.ismount(directory):
            mount_tmpfs(directory, 16 * 1024 * 1024, 64, 0, 0, mode=0o755, name=b"codearena-init")
        published = directory / helper.path.name
        if not published.is_file():
            staging = directory / f".{helper.path.name}.{os.getpid()}"
            shutil.copyfile(helper.path, staging)
            os.chmod(staging, 0o755)
            os.replace(staging, published)
    return InitHelper(published, helper.seccomp)
