"""Compile (through the cache) then run once: (source, language, stdin, limits) -> result."""

from __future__ import annotations

from ..languages import Language, get_language
from ..sandbox import Limits, RunResult, Sandbox, get_sandbox
from .cache import CacheEntry, CompileCache
from .compile import artifact_binds, prepare
from .results import ExecutionResult, to_execution_result


def runtime_limits(language: Language, limits: Limits) -> Limits:
    """The sandbox limits for a program: the user's, plus the runtime's own needs."""
    return limits.with_changes(
        memory_mb=limits.memory_mb + language.memory_overhead_mb,
        processes=limits.processes + language.extra_processes,
    )


def run_prepared(
    sandbox: Sandbox,
    entry: CacheEntry,
    language: Language,
    source: str,
    stdin: bytes,
    limits: Limits,
    args: list[str] | None = None,
    files: dict[str, bytes] | None = None,
) -> RunResult:
    """Run a prepared (compiled) program in a fresh box; `files` are written into the box first."""
    with sandbox.box(disk_mb=limits.disk_mb) as box:
        for name, data in (files or {}).items():
            box.write_file(name, data)
        return sandbox.run(
            box,
            language.run_argv(source, limits.memory_mb) + list(args or ()),
            limits=runtime_limits(language, limits),
            stdin=stdin,
            env=language.env,
            binds=language.binds() + artifact_binds(entry),
            address_space_fallback=language.address_space_fallback,
        )


def execute(
    source: str,
    language: str | Language,
    stdin: str | bytes = b"",
    limits: Limits | None = None,
    sandbox: Sandbox | None = None,
    cache: CompileCache | None = None,
) -> ExecutionResult:
    """Compile if needed, then run once with stdin. Never raises for anything the program does."""
    lang = language if isinstance(language, Language) else get_language(language)
    limits = (limits or Limits()).validate()
    sandbox = sandbox or get_sandbox()
    stdin_bytes = stdin.encode() if isinstance(stdin, str) else stdin
    entry = prepare(sandbox, lang, source, cache)
    if not entry.ok:
        return ExecutionResult.from_dict(entry.failure)
    run = run_prepared(sandbox, entry, lang, source, stdin_bytes, limits)
    return to_execution_result(run, lang, entry.compile_output)
