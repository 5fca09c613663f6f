"""A JVM compiler's own classes, shared between compiles (the JDK's class-data sharing, AppCDS).

Every compile starts a new JVM (nothing of one compile reaches the next), and javac loads,
parses and verifies some 1,500 of its own classes each time before it reads a line of the
source. A dynamic class-data archive holds them ready: made once per JDK on the host, by the
language's own compile command (its exact JVM flags) on a trusted training program, checked by a
second compile with it, and shown read-only in every box of the language, where each compile's
JVM maps it (measured: bench/warm_javac.py, docs/performance.md).

Nothing a user sends reaches the archive: it is written by this process, under the state
directory (which no box can write), atomically, and named by its own SHA-256, which a process
checks before its first use (a truncated archive would crash the JVM; a wrong one is ignored by
the JVM itself). Without an archive (not made yet, or making it failed) compiles run as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..sandbox import Bind
from ..sandbox.settings import sandbox_settings

if TYPE_CHECKING:
    from .spec import Language

log = logging.getLogger("codearena.languages")

IN_BOX_DIRECTORY = "/opt/codearena-class-data"  # where a box shows the archive (the host's path stays the host's)
_BUILD_TIMEOUT = 120  # seconds, for each of the two host compiles that make and check an archive
_DIGEST_CHARS = 32  # of the archive's SHA-256, in its file name


def archive_option(language: Language, path: str) -> str:
    """The compiler's argument that makes its JVM use (`path`) the archive."""
    return f"{language.compiler_jvm_option_prefix}-XX:SharedArchiveFile={path}"


def _jdk_identity(javac: Path, language: Language) -> str:
    """What an archive is only valid for: the JDK's files (an upgrade replaces them) and the
    compile command's JVM flags."""
    home = javac.resolve().parent.parent
    parts = [str(javac), *language.compile]
    for name in ("lib/modules", "lib/server/libjvm.so", "lib/server/classes.jsa"):
        stat = (home / name).stat()
        parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _digest(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()[:_DIGEST_CHARS]


def _verified(directory: Path, stem: str) -> Path | None:
    """An archive made for this JDK whose content is what its name says."""
    for candidate in sorted(directory.glob(f"{stem}-*.jsa")):
        if not candidate.is_symlink() and candidate.name == f"{stem}-{_digest(candidate)}.jsa":
            return candidate
        log.warning("[SANDBOX] class-data archive %s does not match its digest: removed", candidate)
        candidate.unlink(missing_ok=True)
    return None


def _host_compile(argv: list[str], work: Path, language: Language) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
           **language.environment(language.compile_memory_mb)}
    return subprocess.run(argv, cwd=work, env=env, capture_output=True, timeout=_BUILD_TIMEOUT, check=False)


def _make(language: Language, directory: Path, stem: str) -> Path:
    """Compile the training program on the host with the archive dumped at exit, compile it again
    with the archive (same exit, same output), then put the archive in place under its digest."""
    training = language.class_data_training or language.self_test
    with tempfile.TemporaryDirectory(prefix="codearena-class-data-", dir=directory) as scratch:
        work = Path(scratch)
        (work / language.source_name(training)).write_text(training)
        argv = language.template_argv(language.compile, training, language.compile_memory_mb)
        dumped = work / "archive.jsa"
        first = _host_compile([argv[0], f"{language.compiler_jvm_option_prefix}-XX:ArchiveClassesAtExit={dumped}",
                               *argv[1:]], work, language)
        if first.returncode != 0 or not dumped.is_file():
            raise RuntimeError(f"the training compile exited {first.returncode}: {(first.stdout + first.stderr)[-300:]!r}")
        second = _host_compile([argv[0], archive_option(language, str(dumped)), *argv[1:]], work, language)
        if (second.returncode, second.stdout, second.stderr) != (first.returncode, first.stdout, first.stderr):
            raise RuntimeError(f"a compile with the archive answered differently (exit {second.returncode}): "
                               f"{(second.stdout + second.stderr)[-300:]!r}")
        os.chmod(dumped, 0o644)  # the boxes' uids read it
        target = directory / f"{stem}-{_digest(dumped)}.jsa"
        os.replace(dumped, target)
    for stale in directory.glob(f"{language.id}-*.jsa"):  # an older JDK's
        if stale != target and not stale.name.startswith(f"{stem}-"):
            stale.unlink(missing_ok=True)
    return target


_found: dict[str, Path | None] = {}
_lock = threading.Lock()


def archive_for(language: Language) -> Path | None:
    """The language's compiler archive on the host, made on first need (a few seconds, once per
    JDK and machine); None when the language has none or it cannot be made. Answered once per
    process (a failure is logged once, and compiles go on without)."""
    if not language.compiler_jvm_option_prefix:
        return None
    with _lock:
        if language.id not in _found:
            _found[language.id] = _find_or_make(language)
        return _found[language.id]


def _find_or_make(language: Language) -> Path | None:
    try:
        javac = Path(language.template_argv(language.compile, language.self_test, language.compile_memory_mb)[0])
        directory = sandbox_settings().state_dir / "class-data"
        directory.mkdir(mode=0o755, parents=True, exist_ok=True)
        stem = f"{language.id}-{_jdk_identity(javac, language)}"
        found = _verified(directory, stem)
        if found is None:
            found = _make(language, directory, stem)
            log.info("[SANDBOX] class-data archive for %s's compiler made: %s", language.id, found)
        return found
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        log.warning("[SANDBOX] %s compiles without a class-data archive: %s", language.id, exc)
        return None


def binds(language: Language) -> list[Bind]:
    """The archive, read-only in the language's boxes (compiles and runs alike: one bind set keeps
    a slot's started box the same for both)."""
    found = archive_for(language)
    return [Bind(str(found), f"{IN_BOX_DIRECTORY}/{found.name}")] if found else []


def compile_arguments(language: Language) -> list[str]:
    """What the compile command gains: the archive's option, when there is an archive."""
    found = archive_for(language)
    return [archive_option(language, f"{IN_BOX_DIRECTORY}/{found.name}")] if found else []
