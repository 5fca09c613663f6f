"""The execution service's answers: POST /jobs takes the job contract itself
(codearena.execution.contract.Job); these are what it answers about jobs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

JobState = Literal["queued", "running", "done", "cancelled"]


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
    progress: list[dict] | None = Field(None, description="asked for with progress_after=N: the tests of a judging "
                                                          "finished after the first N, as its worker finished them")
    progress_count: int | None = Field(None, description="asked for with progress_after: tests finished so far")
