"""A JVM compiler's own classes, shared between compiles (the JDK's class-data sharing, AppCDS).

Every compile starts a new JVM (nothing of one compile reaches the next), and javac loads,
parses and verifies some 1,500 of its own classes each time before it reads a line of the
source (kotlinc and scalac many more). A dynamic class-data archive holds them ready: made once
per toolchain on the host, by the language's own compile command (its exact JVM flags) on a
trusted training program, checked by a compile with it that must answer as one without, and
shown read-only in every box of the language, where each compile's JVM maps it (measured:
bench/warm_javac.py, docs/performance.md).

Made, verified, named and shown as every prepared file is (prepared.py): nothing a user sends
reaches it, a box only reads it, and until it is there compiles run as before.

The language entries know nothing of this module: the engine asks it (through toolchain.py) for
a box's binds (binds) and a compile's command (compile_command).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from ..sandbox import Bind
from .prepared import Found, Prepared, file_identity, host_environment

if TYPE_CHECKING:
    from .spec import Language

IN_BOX_DIRECTORY = "/opt/codearena-class-data"  # where a box shows the archive (the host's path stays the host's)
_BUILD_TIMEOUT = 120  # seconds, for each of the host compiles that make and check an archive
# The tmpfs boxes bind archives from: javac's 11, kotlinc's 48, scalac's 32 MB seen.
ARCHIVES = Prepared("class-data", ".jsa", shown_bytes=256 * 1024 * 1024)


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


def _identity(language: Language) -> str:
    """What an archive is only valid for: the JVM's files and the compiler's jars (an upgrade
    replaces them) and the compile command itself."""
    compiler = Path(language.template_argv(language.compile, language.self_test, language.compile_memory_mb)[0])
    # javac lives in its JDK; a compiler started by a script (kotlinc, scalac) runs the `java` the
    # language's programs run with, which its run command names first, resolved on the host.
    jvm = Path(compiler if language.compiler_jvm_option_prefix else language.run_argv(language.self_test, 64)[0])
    home = jvm.resolve().parent.parent
    files = [home / name for name in ("lib/modules", "lib/server/libjvm.so", "lib/server/classes.jsa")]
    files += sorted(compiler.resolve().parent.parent.glob("lib/*.jar"))
    return file_identity([str(compiler), *language.compile,
                          *(f"{name}={value}" for name, value in sorted(language.env.items()))], files)


def _host_compile(language: Language, argv: list[str], work: Path,
                  options: list[str] = ()) -> tuple[int, bytes, bytes]:
    """The compile command on the host (trusted: our own training program), in `work`."""
    env = {**host_environment(work), **language.environment(language.compile_memory_mb)}
    argv, env = with_jvm_options(language, argv, env, list(options))
    done = subprocess.run(argv, cwd=work, env=env, capture_output=True, timeout=_BUILD_TIMEOUT, check=False)
    return done.returncode, done.stdout, done.stderr


def _make(language: Language, work: Path) -> Path:
    """Compile the training program on the host, in `work`: as it is, with the archive dumped
    at exit, and with the archive (which must answer as the first did); -> the archive."""
    training = language.class_data_training or language.self_test
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
    return dumped


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


def _lookup(language: Language, wait: bool = False) -> Found | None:
    """(the archive, the copy boxes bind), as archive_for() answers."""
    if not shares_classes(language):
        return None
    return ARCHIVES.get(language.id, lambda: _identity(language), lambda work: _make(language, work), wait)


def binds(language: Language, look: bool = True) -> list[Bind]:
    """The compiler's archive (from its copy on the tmpfs), read-only, once there is one; unless
    `look`, only if this process has found it already (it is not looked for)."""
    if not shares_classes(language):
        return []
    found = _lookup(language) if look else ARCHIVES.found(language.id)
    return [Bind(str(found[1]), _in_box(found[0]))] if found else []


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
