"""Compile (when the language needs it), then run once: (source, language, stdin, limits) -> result."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..languages import Language, get_language
from ..sandbox import Box, Limits, RunResult, Sandbox, get_sandbox
from .verdicts import Verdict, classify_run

# Compilers are untrusted code's first reader: `#include </dev/random>` or a template bomb
# must end as CE within these, like a program ends at its own limits.
COMPILE_LIMITS = Limits(
    cpu_time=15.0, wall_time=30.0, memory_mb=512, processes=64,
    stdout_bytes=64 * 1024, stderr_bytes=64 * 1024, file_size_mb=64, open_files=256,
)
COMPILE_DISK_MB = 128  # room in the box for the compiler's temporary files and the artifact


def _text(data: bytes) -> str:
    # Program output may be any bytes; the API carries valid UTF-8 only.
    return data.decode("utf-8", "replace")


@dataclass
class ExecutionResult:
    verdict: Verdict
    message: str
    stdout: str = ""
    stderr: str = ""
    compile_output: str = ""
    exit_code: int | None = None
    signal: int | None = None
    time: float = 0.0  # CPU seconds of the run
    wall_time: float = 0.0  # seconds
    memory: int = 0  # peak KB
    language: str = ""

    def to_dict(self) -> dict:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        return data


@dataclass
class CompileOutcome:
    ok: bool
    output: str
    failure: ExecutionResult | None = None  # set when not ok: CE, or IE when the sandbox failed


def runtime_limits(language: Language, limits: Limits) -> Limits:
    """The sandbox limits for a program: the user's, plus the runtime's own needs."""
    return limits.with_changes(
        memory_mb=limits.memory_mb + language.memory_overhead_mb,
        processes=limits.processes + language.extra_processes,
    )


def compile_in_box(sandbox: Sandbox, box: Box, language: Language, source: str) -> CompileOutcome:
    if not language.compiled:
        return CompileOutcome(ok=True, output="")
    limits = COMPILE_LIMITS.with_changes(memory_mb=language.compile_memory_mb + language.memory_overhead_mb)
    run = sandbox.run(
        box,
        language.compile_argv(source, language.compile_memory_mb),
        limits=limits,
        env=language.env,
        binds=language.binds(),
        address_space_fallback=language.address_space_fallback,
    )
    output = _text(run.stdout + run.stderr)
    if run.ok:
        return CompileOutcome(ok=True, output=output)
    verdict, message = classify_run(run)
    if verdict == Verdict.IE:
        failure = ExecutionResult(Verdict.IE, f"compiler could not run: {message}", compile_output=output)
    elif verdict in (Verdict.TLE, Verdict.MLE, Verdict.OLE):
        failure = ExecutionResult(Verdict.CE, f"compilation stopped: {message}", compile_output=output)
    else:
        failure = ExecutionResult(Verdict.CE, "compilation failed", compile_output=output)
    failure.language = language.id
    return CompileOutcome(ok=False, output=output, failure=failure)


def run_in_box(sandbox: Sandbox, box: Box, language: Language, source: str, stdin: bytes, limits: Limits) -> RunResult:
    return sandbox.run(
        box,
        language.run_argv(source, limits.memory_mb),
        limits=runtime_limits(language, limits),
        stdin=stdin,
        env=language.env,
        binds=language.binds(),
        address_space_fallback=language.address_space_fallback,
    )


def to_execution_result(run: RunResult, language: Language, compile_output: str = "") -> ExecutionResult:
    verdict, message = classify_run(run, language.memory_error_markers)
    return ExecutionResult(
        verdict=verdict,
        message=message,
        stdout=_text(run.stdout),
        stderr=_text(run.stderr),
        compile_output=compile_output,
        exit_code=run.exit_code,
        signal=run.signal,
        time=run.cpu_time,
        wall_time=run.wall_time,
        memory=run.memory_kb,
        language=language.id,
    )


def execute(
    source: str,
    language: str | Language,
    stdin: str | bytes = b"",
    limits: Limits | None = None,
    sandbox: Sandbox | None = None,
) -> ExecutionResult:
    """Compile if needed, then run once with stdin. Never raises for anything the program does."""
    lang = language if isinstance(language, Language) else get_language(language)
    limits = (limits or Limits()).validate()
    sandbox = sandbox or get_sandbox()
    stdin_bytes = stdin.encode() if isinstance(stdin, str) else stdin
    disk_mb = limits.disk_mb + (COMPILE_DISK_MB if lang.compiled else 0)
    with sandbox.box(disk_mb=disk_mb) as box:
        box.write_file(lang.source_name(source), source.encode())
        compiled = compile_in_box(sandbox, box, lang, source)
        if not compiled.ok:
            return compiled.failure
        run = run_in_box(sandbox, box, lang, source, stdin_bytes, limits)
        return to_execution_result(run, lang, compiled.output)
