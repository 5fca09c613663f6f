"""What the engine answers: one run's result, in the shape every API serializes."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..languages import Language
from ..sandbox import RunResult
from .verdicts import Verdict, classify_run


def as_text(data: bytes) -> str:
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

    @classmethod
    def from_dict(cls, data: dict) -> "ExecutionResult":
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**{**fields, "verdict": Verdict(data["verdict"])})


def to_execution_result(run: RunResult, language: Language, compile_output: str = "") -> ExecutionResult:
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
        memory=run.memory_kb,
        language=language.id,
    )
