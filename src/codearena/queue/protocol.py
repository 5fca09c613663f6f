"""The execution service's job shapes: what POST /jobs takes, what GET /jobs/{id} answers.

The same request travels to the worker as the stream entry's payload, so a worker runs exactly
what the service validated. Field names are the engine's (snake_case): this is a service API.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..engine.checkers import CheckerConfig
from ..engine.judge import TestCase
from ..execution.jobs import JudgeJob, RunJob
from ..languages import get_language
from ..sandbox import Limits

JobState = Literal["queued", "running", "done", "cancelled"]


class LimitsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cpu_time: float = Field(2.0, gt=0, le=30, description="CPU seconds per run")
    wall_time: float | None = Field(None, gt=0, le=60, description="default: 2 x cpu_time + 1")
    memory_mb: int = Field(256, ge=16, le=2048)
    processes: int = Field(64, ge=1, le=256)
    stdout_bytes: int = Field(1024 * 1024, ge=1, le=64 * 1024 * 1024)
    stack_mb: int = Field(64, ge=1, le=1024)

    def to_limits(self) -> Limits:
        return Limits(cpu_time=self.cpu_time, wall_time=self.wall_time, memory_mb=self.memory_mb,
                      processes=self.processes, stdout_bytes=self.stdout_bytes, stack_mb=self.stack_mb).validate()


class TestSpec(BaseModel):
    __test__ = False
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    input: str = ""
    expected_output: str = ""
    points: float | None = None


class CheckerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["standard", "exact", "lines", "float", "unordered", "custom"] = "standard"
    abs_tol: float = Field(1e-6, ge=0)
    rel_tol: float = Field(1e-6, ge=0)
    source: str | None = None
    language: str | None = None

    def to_config(self) -> CheckerConfig:
        return CheckerConfig(self.type, self.abs_tol, self.rel_tol, self.source, self.language)


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["run", "judge"] = "run"
    language: str
    source: str
    stdin: str = Field("", description="run only")
    args: list[str] = Field(default_factory=list, max_length=256, description="run only: command-line arguments")
    merge_stderr: bool = Field(False, description="run only: stderr goes to stdout (2>&1)")
    runs: int = Field(1, ge=1, le=20, description="run only: times to run; time and memory are averaged")
    tests: list[TestSpec] = Field(default_factory=list, description="judge only")
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    checker: CheckerSpec = Field(default_factory=CheckerSpec)
    stop_on_failure: bool = False
    priority: Literal["interactive", "bulk"] | None = Field(
        None, description="default: interactive for runs, bulk for judging")

    @property
    def effective_priority(self) -> str:
        return self.priority or ("interactive" if self.kind == "run" else "bulk")

    def to_job(self) -> RunJob | JudgeJob:
        language = get_language(self.language).id
        limits = self.limits.to_limits()
        if self.kind == "run":
            return RunJob(self.source, language, self.stdin, limits, tuple(self.args), self.merge_stderr, self.runs,
                          self.effective_priority)
        tests = tuple(TestCase(t.name, t.input.encode(), t.expected_output.encode(), t.points) for t in self.tests)
        return JudgeJob(self.source, language, tests, limits, self.checker.to_config(), self.stop_on_failure,
                        self.effective_priority)

    @classmethod
    def from_job(cls, job: RunJob | JudgeJob) -> "JobRequest":
        """The facade's side: an engine job as a service request."""
        priority = job.priority
        limits = LimitsSpec(cpu_time=job.limits.cpu_time, wall_time=job.limits.wall_time,
                            memory_mb=job.limits.memory_mb, processes=job.limits.processes,
                            stdout_bytes=job.limits.stdout_bytes)
        if isinstance(job, RunJob):
            return cls(kind="run", language=job.language, source=job.source, stdin=job.stdin, limits=limits,
                       priority=priority)
        return cls(kind="judge", language=job.language, source=job.source, limits=limits, priority=priority,
                   tests=[TestSpec(name=t.name, input=t.input.decode("utf-8", "replace"),
                                   expected_output=t.expected.decode("utf-8", "replace"), points=t.points)
                          for t in job.tests],
                   checker=CheckerSpec(**job.checker.to_dict()), stop_on_failure=job.stop_on_failure)


class JobCreated(BaseModel):
    id: str
    state: JobState


class JobRecord(BaseModel):
    id: str
    kind: Literal["run", "judge"]
    state: JobState
    priority: str
    language: str
    attempts: int = Field(description="times a worker started it")
    worker: str | None = Field(None, description="the worker that ran it (last one)")
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    result: dict | None = Field(None, description="the engine's result: ExecutionResult (run) or JudgeResult (judge)")
