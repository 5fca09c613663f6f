"""The one interface every executor implements: run a job, answer its result.

Direct (this process's sandbox), Queue (the execution service) and Fallback (Queue, falling back
to Direct, with a circuit breaker) are composed by configuration (compose.py); callers never
know which one answers.
"""

from __future__ import annotations

from typing import Callable, Protocol

from ..engine.judge import TestResult
from .contract import Job, Result

# Told each test's result as a judging finishes it (on the event loop): how a verdict arrives
# test by test. A run that starts again elsewhere (a fallback) tells its tests again.
OnTest = Callable[[TestResult], None]


class ExecutorBusy(Exception):
    """Every slot is running and the waiting line is full: try again after `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"the execution capacity is exhausted; retry after {retry_after} s")
        self.retry_after = retry_after


class Executor(Protocol):
    async def run(self, job: Job, on_test: OnTest | None = None) -> Result:
        """The job's result. Program failures are verdicts; the system's failures are IE results;
        only ExecutorBusy (no capacity now) and cancellation are raised."""

    async def aclose(self) -> None: ...
