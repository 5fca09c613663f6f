"""What the facade is asked to do: a single run, or a judging against test cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..engine.checkers import CHECKER_CPU_SECONDS, CheckerConfig
from ..engine.compile import COMPILE_LIMITS
from ..engine.judge import TestCase
from ..sandbox import Limits


# Someone is waiting for an interactive job (a run, a run on sample tests); bulk jobs (judging a
# stored submission) wait behind them, in direct mode as in the queue.
Priority = Literal["interactive", "bulk"]


@dataclass(frozen=True)
class RunJob:
    source: str
    language: str
    stdin: str = ""
    limits: Limits = field(default_factory=Limits)
    args: tuple[str, ...] = ()  # command-line arguments, passed as argv (never through a shell)
    merge_stderr: bool = False  # stderr into stdout (2>&1)
    runs: int = 1  # run this many times (stopping at a failure); time and memory are averaged
    priority: Priority = "interactive"

    def budget_seconds(self) -> float:
        """The longest this job can take when nothing is wrong (compile + run), in seconds."""
        return COMPILE_LIMITS.effective_wall_time() + self.limits.effective_wall_time() * self.runs


@dataclass(frozen=True)
class JudgeJob:
    source: str
    language: str
    tests: tuple[TestCase, ...]
    limits: Limits = field(default_factory=Limits)
    checker: CheckerConfig = field(default_factory=CheckerConfig)
    stop_on_failure: bool = False
    priority: Priority = "bulk"

    def budget_seconds(self) -> float:
        compile_time = COMPILE_LIMITS.effective_wall_time()
        per_test = self.limits.effective_wall_time()
        if self.checker.type == "custom":  # compiled once, run after every test
            compile_time *= 2
            per_test += Limits(cpu_time=CHECKER_CPU_SECONDS).effective_wall_time()
        return compile_time + per_test * len(self.tests)
