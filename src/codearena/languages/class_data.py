"""A JVM compiler's own classes, shared between compiles (the JDK's class-data sharing, AppCDS).

Every compile starts a new JVM (nothing of one compile reaches the next), and javac loads,
parses and verifies some 1,500 of its own classes each time before it reads a line of the
source (kotlinc and scalac many more). A dynamic class-data archive holds them ready: made once
per toolchain on the host, by the language's own compile command (its exact JVM flags) on a
trusted training program, checked by a compile with it that must answer as one without, and
shown read-only in every box of the language, where each compile's JVM maps it (measured:
bench/warm_javac.py, docs/performance.md).

Nothing a user sends reaches the archive: it is written by this process, under the state
directory (which no box can write), atomically, and named by its own SHA-256, which a process
checks before its first use (a truncated archive would crash the JVM; a wrong one is ignored by
the JVM itself). Boxes bind it from a copy on a tmpfs of its own, as they bind the init helper:
a bind mount's source path shows in the program's /proc/self/mountinfo, and from a tmpfs that
path is the file's name, not a path of the host's disks. A process finds or makes it in a
thread of its own (one process at a time: a file lock), so no compile waits for it; until it is
there (or when making it failed) compiles run as before.

The language entries know nothing of this module: the engine asks it for a box's binds
(box_binds) and a compile's command (compile_command).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..sandbox import Bind
from ..sandbox.box import mount_tmpfs
from ..sandbox.settings import sandbox_settings

if TYPE_CHECKING:
    from .spec import Language

log = logging.getLogger("codearena.languages")

IN_BOX_DIRECTORY = "/opt/codearena-class-data"  # where a box shows the archive (the host's path stays the host's)
_BUILD_TIMEOUT = 120  # seconds, for each of the host compiles that make and check an archive
_DIGEST_CHARS = 32  # of the archive's SHA-256, in its file name
_SHOWN_BYTES = 256 * 1024 * 1024  # the tmpfs boxes bind archives from (javac's 11, kotlinc's 48, scalac's 32 MB seen)


def jvm_options(path: str) -> list[str]:
    """The JVM options that use the archive at `path`. Its warnings are off: an archive the JVM
    cannot use (a toolchain upgraded under a running server) is then skipped silently instead of
    showing in a compile's output."""
    return [f"-XX:SharedArchiveFile={path}", "-Xlog:cds*=off"]


def with_jvm_options(language: Language, argv: list[str], env: dict[str, str],
                     options: list[str]) -> tuple[list[str], dict[str, str]]:
    """A compile command (argv, environment) with these JVM options added the compiler's way:
    as arguments after its name (javac's -J...), or in its options variable (JAVA_OPTS)."""
    if language.compiler_jvm_option_prefix:
        return [argv[0], *(language.compiler_jvm_option_prefix + o for o in options), *argv[1:]], env
    name = language.compiler_jvm_options_env
    return argv, {**env, name: " ".join(filter(None, [env.get(name, ""), *options]))}


def _identity(language: Language, compiler: Path) -> str:
    """What an archive is only valid for: the JVM's files and the compiler's jars (an upgrade
    replaces them) and the compile command itself."""
    # javac lives in its JDK; a compiler started by a script (kotlinc, scalac) runs the `java` the
    # language's programs run with, which its run command names first, resolved on the host.
    jvm = Path(compiler if language.compiler_jvm_option_prefix else language.run_argv(language.self_test, 64)[0])
    home = jvm.resolve().parent.parent
    files = [home / name for name in ("lib/modules", "lib/server/libjvm.so", "lib/server/classes.jsa")]
    files += sorted(compiler.resolve().parent.parent.glob("lib/*.jar"))
    parts = [str(compiler), *language.compile, *(f"{name}={value}" for name, value in sorted(language.env.items()))]
    for path in files:
        stat = path.stat()
        parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
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


def _host_compile(language: Language, argv: list[str], work: Path,
                  options: list[str] = ()) -> tuple[int, bytes, bytes]:
    """The compile command on the host (trusted: our own training program), in `work`."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
           **language.environment(language.compile_memory_mb)}
    argv, env = with_jvm_options(language, argv, env, list(options))
    done = subprocess.run(argv, cwd=work, env=env, capture_output=True, timeout=_BUILD_TIMEOUT, check=False)
    return done.returncode, done.stdout, done.stderr


def _make(language: Language, directory: Path, stem: str) -> Path:
    """Compile the training program on the host: as it is, with the archive dumped at exit, and
    with the archive (which must answer as the first did); then put the archive in place under
    its digest."""
    training = language.class_data_training or language.self_test
    with tempfile.TemporaryDirectory(prefix="codearena-class-data-", dir=directory) as scratch:
        work = Path(scratch)
        (work / language.source_name(training)).write_text(training)
        argv = language.template_argv(language.compile, training, language.compile_memory_mb)
        plain = _host_compile(language, argv, work)
        if plain[0] != 0:
            raise RuntimeError(f"the training compile exited {plain[0]}: {(plain[1] + plain[2])[-300:]!r}")
        dumped = work / "archive.jsa"
        _host_compile(language, argv, work, [f"-XX:ArchiveClassesAtExit={dumped}"])
        if not dumped.is_file():
            raise RuntimeError("the training compile dumped no archive")
        shared = _host_compile(language, argv, work, jvm_options(str(dumped)))
        if shared != plain:
            raise RuntimeError(f"a compile with the archive answered differently (exit {shared[0]}): "
                               f"{(shared[1] + shared[2])[-300:]!r}")
        os.chmod(dumped, 0o644)  # the boxes' uids read it
        target = directory / f"{stem}-{_digest(dumped)}.jsa"
        os.replace(dumped, target)
    _remove_others(language, directory, keep=lambda name: name.startswith(f"{stem}-"))  # an older toolchain's
    return target


def _remove_others(language: Language, directory: Path, keep) -> None:
    """Remove the language's archives in `directory` whose name `keep` refuses (never another
    language's, even one whose id starts with this one's)."""
    mine = re.compile(rf"{re.escape(language.id)}-[0-9a-f]{{16}}-[0-9a-f]{{{_DIGEST_CHARS}}}\.jsa")
    for other in directory.glob(f"{language.id}-*.jsa"):
        if mine.fullmatch(other.name) and not keep(other.name):
            other.unlink(missing_ok=True)


_found: dict[str, tuple[Path, Path] | None] = {}  # language id -> (its archive, the copy boxes bind), once looked for
_looking: dict[str, threading.Thread] = {}  # language id -> the thread finding or making it
_lock = threading.Lock()


def archive_for(language: Language, wait: bool = False) -> Path | None:
    """The language's compiler archive on the host; None when the language has none, when it
    cannot be made (logged once), or, unless `wait`, while it is being found or made. That
    happens once per process, in a thread of its own, so no compile waits for it: the first
    compiles of a process (all of them, while an archive is made: seconds, once per toolchain
    and machine) go without."""
    found = _lookup(language, wait)
    return found[0] if found else None


def shares_classes(language: Language) -> bool:
    """Whether the language's compiler is one whose classes an archive can share (a JVM's)."""
    return bool(language.compiler_jvm_option_prefix or language.compiler_jvm_options_env)


def _lookup(language: Language, wait: bool = False) -> tuple[Path, Path] | None:
    """(the archive, the copy boxes bind), as archive_for() answers."""
    if not shares_classes(language):
        return None
    with _lock:
        if language.id in _found:
            return _found[language.id]
        looking = _looking.get(language.id)
        if looking is None:
            looking = _looking[language.id] = threading.Thread(target=_look_for, args=(language,), daemon=True,
                                                               name=f"class-data-{language.id}")
            looking.start()
    if wait:
        looking.join()
    return _found.get(language.id)


def _look_for(language: Language) -> None:
    found = _find_or_make(language)
    with _lock:
        _found[language.id] = found


def _find_or_make(language: Language) -> tuple[Path, Path] | None:
    """The archive on disk, else made now (one process makes it while the others wait for it),
    and its copy that boxes bind."""
    try:
        compiler = Path(language.template_argv(language.compile, language.self_test, language.compile_memory_mb)[0])
        directory = sandbox_settings().state_dir / "class-data"
        directory.mkdir(mode=0o755, parents=True, exist_ok=True)
        stem = f"{language.id}-{_identity(language, compiler)}"
        with open(directory / f"{stem}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes (or its process dies)
            found = _verified(directory, stem)
            if found is None:
                found = _make(language, directory, stem)
                log.info("[SANDBOX] class-data archive for %s's compiler made: %s", language.id, found)
            return found, _shown(language, found)
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        log.warning("[SANDBOX] %s compiles without a class-data archive: %s", language.id, exc)
        return None


def _shown(language: Language, archive: Path) -> Path:
    """The archive's copy on a tmpfs of its own (mounted once per machine, root only), which boxes
    bind: its source path in a box's mountinfo is then `/NAME`. An older copy of the language's
    goes (the tmpfs holds memory)."""
    directory = archive.parent.parent / "class-data-shown"
    directory.mkdir(mode=0o755, exist_ok=True)
    with open(archive.parent / ".shown.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # processes (and languages) starting together mount it once
        if not os.path.ismount(directory):
            mount_tmpfs(directory, _SHOWN_BYTES, 64, 0, 0, mode=0o755, name=b"codearena-class-data")
        shown = directory / archive.name
        if not shown.is_file():
            staging = directory / f".{archive.name}.{os.getpid()}"
            shutil.copyfile(archive, staging)
            os.chmod(staging, 0o644)
            os.replace(staging, shown)
        _remove_others(language, directory, keep=lambda name: name == shown.name)
    return shown


def box_binds(language: Language) -> list[Bind]:
    """Every bind of the language's boxes: its own, and its compiler's archive (from its copy on
    the tmpfs), read-only. Compiles and runs alike: one bind set keeps a slot's started box the
    same for both."""
    found = _lookup(language)
    return language.binds() + ([Bind(str(found[1]), _in_box(found[0]))] if found else [])


def compile_command(language: Language, argv: list[str], env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """A compile command (argv, environment) as the language's boxes run it: with its compiler's
    archive, when there is one."""
    options = in_box_options(language)
    return with_jvm_options(language, argv, env, options) if options else (argv, env)


def in_box_options(language: Language) -> list[str]:
    """The JVM options that make a compile in a box use the archive (none without one)."""
    found = archive_for(language)
    return jvm_options(_in_box(found)) if found else []


def _in_box(archive: Path) -> str:
    """Where a box shows the archive."""
    return f"{IN_BOX_DIRECTORY}/{archive.name}"
