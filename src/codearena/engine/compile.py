"""Compilation through the cache: a program is compiled once, in the sandbox, then reused."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from ..sandbox.settings import sandbox_settings
from ..languages import Language, toolchain
from ..sandbox import Box, Limits, Sandbox
from ..validation import NAME_MAX
from ..archives import write_new_file
from .cache import ARTIFACTS_DIR, MAX_ARTIFACT_BYTES, MAX_ARTIFACT_FILES, CacheEntry, CompileCache, cache_key
from .results import ExecutionResult, as_text
from .verdicts import Verdict, classify_run

# Compilers are untrusted code's first reader: `#include </dev/random>` or a template bomb
# must end as CE within these, like a program ends at its own limits.
COMPILE_LIMITS = Limits(
    cpu_time=15.0, wall_time=30.0, memory_mb=512, processes=64,
    stdout_bytes=64 * 1024, stderr_bytes=64 * 1024, file_size_mb=64, open_files=256,
)
COMPILE_DISK_MB = 128  # room in the box for the compiler's temporary files and the artifact


@dataclass
class CompileOutcome:
    ok: bool
    output: str
    failure: ExecutionResult | None = None  # set when not ok: CE, or IE when the sandbox failed


def compile_limits(language: Language) -> Limits:
    """COMPILE_LIMITS with room for the language's runtime (a JVM compiler's own heap and threads)."""
    return COMPILE_LIMITS.with_changes(memory_mb=language.compile_memory_mb + language.memory_overhead_mb,
                                       processes=COMPILE_LIMITS.processes + language.extra_processes,
                                       open_files=max(COMPILE_LIMITS.open_files, language.min_open_files))


def compile_in_box(sandbox: Sandbox, box: Box, language: Language, source: str,
                   options: tuple[str, ...] = ()) -> CompileOutcome:
    """The language's compiler, or its syntax check (interpreted languages), on the source in the
    box; `options` are the job's compiler options (only for a language whose template takes them)."""
    limits = compile_limits(language)
    if language.compiled:
        argv = language.compile_argv(source, language.compile_memory_mb, options)
    else:
        argv = language.check_argv(source, language.compile_memory_mb)
    argv, env = toolchain.compile_command(language, argv, language.environment(language.compile_memory_mb))
    run = sandbox.run(
        box,
        argv,
        limits=limits,
        env=env,
        binds=toolchain.box_binds(language),
        address_space_fallback=language.address_space_fallback,
    )
    output = as_text(run.stdout + run.stderr)
    if run.ok:
        return CompileOutcome(ok=True, output=output)
    verdict, message = classify_run(run)
    if verdict == Verdict.IE:
        failure = ExecutionResult(Verdict.IE, f"compiler could not run: {message}", compile_output=output)
    elif verdict in (Verdict.TLE, Verdict.MLE, Verdict.OLE):
        failure = ExecutionResult(Verdict.CE, f"compilation stopped: {message}", compile_output=output)
    elif language.compiled:
        failure = ExecutionResult(Verdict.CE, "compilation failed", compile_output=output)
    else:
        failure = ExecutionResult(Verdict.CE, "syntax error", compile_output=output)
    failure.language = language.id
    return CompileOutcome(ok=False, output=output, failure=failure)


@lru_cache(maxsize=1)
def get_compile_cache() -> CompileCache:
    settings = sandbox_settings()
    return CompileCache(settings.state_dir / "cache", max_bytes=settings.compile_cache_mb * 1024 * 1024)


def _copy_artifacts(box: Box, staging: Path) -> list[str]:
    """Copy every regular file the compiler left in the box (subdirectories too): never a link,
    never a special file, within the cache's bounds."""
    names = []
    for name, data, _mode in box.read_tree(MAX_ARTIFACT_FILES, MAX_ARTIFACT_BYTES):
        write_new_file(staging, ARTIFACTS_DIR + "/" + name, data, 0o755)
        names.append(name)
    return names


def program_files(language: Language, name: str, source: str, files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The program as the files of its box: the source (named `name`), then the job's other
    files. A file never replaces the source (Judge0's `unzip -n`); a project's empty source is
    not a file (its files are the program)."""
    program = {name: source.encode()} if source or not language.project else {}
    program.update({path: data for path, data in files.items() if path not in program})
    return program


def prepare(sandbox: Sandbox, language: Language, source: str, cache: CompileCache | None = None,
            files: Mapping[str, bytes] | None = None, compiler_options: tuple[str, ...] = ()) -> CacheEntry:
    """The cache entry (artifacts, or the compile failure) for this program: the source, the
    job's other `files` (relative path -> bytes) and its compiler options. A language with
    neither a compiler nor a syntax check has nothing to cache: its files go straight into each
    box (`inline`)."""
    files = dict(files or {})
    name = language.source_name(source)
    if len(name.encode()) > NAME_MAX:
        failure = ExecutionResult(Verdict.CE, f"the source file would be named after a {len(name) - len(Path(name).suffix)}"
                                  f"-character class, and a file name holds at most {NAME_MAX} bytes: "
                                  "give the class a shorter name", language=language.id)
        return CacheEntry(key="", directory=None, ok=False, compile_output=failure.message, files=[],
                          failure=failure.to_dict())
    program = program_files(language, name, source, files)
    if not language.compiled and not language.check:
        return CacheEntry(key="", directory=None, ok=True, compile_output="", files=sorted(program), inline=program)
    cache = cache or get_compile_cache()

    def build(staging: Path):
        with sandbox.box(disk_mb=COMPILE_DISK_MB, extra_bytes=sum(map(len, program.values()))) as box:
            for path, data in program.items():  # before anything ran in the box
                box.write_file(path, data)
            outcome = compile_in_box(sandbox, box, language, source, compiler_options)
            if not outcome.ok:
                return False, outcome.output, [], outcome.failure.to_dict()
            if not language.compiled:  # checked: the program's own files are what runs
                for path, data in program.items():
                    write_new_file(staging, ARTIFACTS_DIR + "/" + path, data, 0o755)
                return True, "", sorted(program), None
            return True, outcome.output, _copy_artifacts(box, staging), None

    return cache.get_or_build(cache_key(language, source, files, compiler_options, sandbox.fingerprint), build)


def artifact_bytes(entry: CacheEntry) -> int:
    """Room the entry's files take in a box."""
    if entry.directory is None:
        return sum(len(data) for data in entry.inline.values())
    return sum(os.stat(entry.path(name)).st_size for name in entry.files)


def put_artifacts(box: Box, entry: CacheEntry) -> None:
    """The program's files, copied into its box where the run argv expects them. Copies, not bind
    mounts: a mount's host path shows in /proc/self/mountinfo; a copy is the box's own to change."""
    if entry.directory is None:
        for name, data in entry.inline.items():
            box.write_file(name, data)
        return
    for name in entry.files:
        box.copy_in(name, entry.path(name))
