"""Compile (through the cache) then run: (source, language, stdin, limits) -> result."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Mapping

from ..languages import Language, get_language, toolchain
from ..sandbox import Limits, RunResult, Sandbox, get_sandbox
from .cache import CacheEntry, CompileCache
from .compile import artifact_bytes, prepare, put_artifacts
from .results import ExecutionResult, to_execution_result
from .verdicts import Verdict

# `2>&1` without a shell string built from request data: the program's argv follows as "$@".
MERGE_STDERR_PREFIX = ["/bin/sh", "-c", 'exec "$@" 2>&1', "sh"]


def runtime_limits(language: Language, limits: Limits) -> Limits:
    """The sandbox limits for a program: the user's, plus the runtime's own needs."""
    return limits.with_changes(
        memory_mb=limits.memory_mb + language.memory_overhead_mb,
        processes=limits.processes + language.extra_processes,
        open_files=max(limits.open_files, language.min_open_files),
    )


def run_prepared(
    sandbox: Sandbox,
    entry: CacheEntry,
    language: Language,
    source: str,
    stdin: bytes | Path,
    limits: Limits,
    args: list[str] | None = None,
    files: dict[str, bytes | Path] | None = None,
    merge_stderr: bool = False,
    cancel: threading.Event | None = None,
) -> RunResult:
    """Run a prepared (compiled) program in a fresh box; `files` are written into the box first.
    merge_stderr: the program's stderr goes to its stdout, interleaved as written."""
    argv = language.run_argv(source, limits.memory_mb) + list(args or ())
    if merge_stderr:
        argv = MERGE_STDERR_PREFIX + argv
        limits = limits.with_changes(processes=limits.processes + 1)
    # The box holds the program's files besides the run's own disk allowance.
    with sandbox.box(disk_mb=limits.disk_mb, extra_bytes=artifact_bytes(entry)) as box:
        put_artifacts(box, entry)
        for name, data in (files or {}).items():
            if isinstance(data, Path):
                box.copy_in(name, data, 0o644)  # a trusted host file (test data), copied in the kernel
            else:
                box.write_file(name, data)
        return sandbox.run(
            box,
            argv,
            limits=runtime_limits(language, limits),
            stdin=stdin,
            env=language.environment(limits.memory_mb),
            binds=toolchain.box_binds(language),
            address_space_fallback=language.address_space_fallback,
            cancel=cancel,
        )


def execute(
    source: str,
    language: str | Language,
    stdin: str | bytes = b"",
    limits: Limits | None = None,
    sandbox: Sandbox | None = None,
    cache: CompileCache | None = None,
    args: tuple[str, ...] | list[str] = (),
    merge_stderr: bool = False,
    runs: int = 1,
    cancel: threading.Event | None = None,
    files: Mapping[str, bytes] | None = None,
    compiler_options: tuple[str, ...] = (),
) -> ExecutionResult:
    """Compile if needed, then run with stdin and args. Never raises for anything the program does.
    files: the program's other files (relative path -> bytes), beside its source in every box.

    runs > 1: run up to `runs` times, stopping at the first run that does not succeed; the result
    is the last run's, with time, wall time and memory averaged over the runs made."""
    lang = language if isinstance(language, Language) else get_language(language)
    limits = (limits or Limits()).validate()
    sandbox = sandbox or get_sandbox()
    stdin_bytes = stdin.encode() if isinstance(stdin, str) else stdin
    entry = prepare(sandbox, lang, source, cache, files, compiler_options)
    if not entry.ok:
        return ExecutionResult.from_dict(entry.failure)
    results = []
    for _ in range(max(1, runs)):
        run = run_prepared(sandbox, entry, lang, source, stdin_bytes, limits, list(args), merge_stderr=merge_stderr,
                           cancel=cancel)
        results.append(to_execution_result(run, lang, entry.compile_output, limits.memory_mb))
        if results[-1].verdict != Verdict.AC:
            break
    return average_runs(results)


def average_runs(results: list[ExecutionResult]) -> ExecutionResult:
    if len(results) == 1:
        return results[0]
    count = len(results)
    return replace(results[-1], time=sum(r.time for r in results) / count,
                   wall_time=sum(r.wall_time for r in results) / count,
                   memory=int(sum(r.memory for r in results) / count))
