"""What the engine answers: one run's result, in the shape every API serializes."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from ..languages import Language
from ..sandbox import RunResult
from .verdicts import Verdict, classify_run


def as_text(data: bytes) -> str:
    # Program output may be any bytes; the API carries valid UTF-8 only.
    return data.decode("utf-8", "replace")


def raw_unless_text(data: bytes) -> str | None:
    """The bytes in base64 when they are not valid UTF-8 (so `as_text` lost some), else None."""
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError:
        return base64.b64encode(data).decode()


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
    # Only when the output is not valid UTF-8: its exact bytes, base64 (the Judge0 API returns them).
    raw_stdout: str | None = None
    raw_stderr: str | None = None

    def to_dict(self) -> dict:
        data = dict(vars(self))  # every field is a scalar: asdict's deep copy would cost more than the rest
        data["verdict"] = self.verdict.value
        for name in ("raw_stdout", "raw_stderr"):
            if data[name] is None:
                del data[name]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "ExecutionResult":
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**{**fields, "verdict": Verdict(data["verdict"])})


def reported_memory_kb(verdict: Verdict, peak_kb: int, memory_mb: int) -> int:
    """The peak to report. A runtime (the JVM, V8) gets room above the user's limit for itself, so
    a program stopped for memory can peak above that limit; it is reported at the limit that
    stopped it, never above."""
    return min(peak_kb, memory_mb * 1024) if verdict == Verdict.MLE else peak_kb


def to_execution_result(run: RunResult, language: Language, compile_output: str = "",
                        memory_mb: int | None = None) -> ExecutionResult:
    verdict, message = classify_run(run, language.memory_error_markers)
    return ExecutionResult(
        verdict=verdict,
        message=message,
        stdout=as_text(run.stdout),
        stderr=as_text(run.stderr),
        compile_output=compile_output,
        exit_code=run.exit_code,
        signal=run.signal,
        time=run.cpu_time,
        wall_time=run.wall_time,
        memory=reported_memory_kb(verdict, run.memory_kb, memory_mb) if memory_mb else run.memory_kb,
        language=language.id,
        raw_stdout=raw_unless_text(run.stdout),
        raw_stderr=raw_unless_text(run.stderr),
    )
