"""Judging: compile once, run every test case in a fresh box, check each output, one verdict.

The overall verdict is the first failing test's (in test order), or AC. A compile error ends
judging with CE before any test runs. Tests may run in parallel up to `parallel` at once; the
sandbox's slot pool bounds how many boxes the machine holds whatever the callers ask.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from dataclasses import dataclass, field
from typing import Callable, Mapping

from ..languages import Language, get_language
from ..sandbox import Limits, Sandbox, get_sandbox
from .cache import CompileCache
from .checkers import Checker, CheckResult, StandardChecker
from .compile import prepare
from .execute import run_prepared
from .results import ExecutionResult, as_text, reported_memory_kb
from .verdicts import Verdict, classify_run

STORED_OUTPUT_BYTES = 4096  # how much of each test's output a result keeps


@dataclass(frozen=True)
class TestCase:
    """One test. Its data is bytes, or a trusted host file (a worker's cached test data: the
    input is streamed to the program from it, never read into memory)."""

    __test__ = False  # not a pytest test class

    name: str
    input: bytes | Path
    expected: bytes | Path
    points: float | None = None

    def expected_bytes(self) -> bytes:
        return self.expected.read_bytes() if isinstance(self.expected, Path) else self.expected


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    name: str
    verdict: Verdict
    message: str = ""
    time: float = 0.0
    wall_time: float = 0.0
    memory: int = 0
    exit_code: int | None = None
    signal: int | None = None
    stdout: str = ""
    stderr: str = ""
    points: float | None = None  # awarded, when the test has points

    def to_dict(self) -> dict:
        return {**vars(self), "verdict": self.verdict.value}  # every field a scalar: no deep copy (asdict)

    @classmethod
    def from_dict(cls, data: dict) -> "TestResult":
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**{**fields, "verdict": Verdict(data["verdict"])})


@dataclass
class JudgeResult:
    verdict: Verdict
    message: str
    compile_output: str = ""
    tests: list[TestResult] = field(default_factory=list)
    score: float | None = None
    max_score: float | None = None
    language: str = ""

    @property
    def time(self) -> float:
        return max((t.time for t in self.tests), default=0.0)

    @property
    def wall_time(self) -> float:
        return max((t.wall_time for t in self.tests), default=0.0)

    @property
    def memory(self) -> int:
        return max((t.memory for t in self.tests), default=0)

    def to_dict(self) -> dict:
        # The deciding test (first failure, else the last) fills the keys `codearena run` has.
        deciding = next((t for t in self.tests if t.verdict != Verdict.AC), self.tests[-1] if self.tests else None)
        return {
            "verdict": self.verdict.value, "message": self.message, "compile_output": self.compile_output,
            "stdout": deciding.stdout if deciding else "", "stderr": deciding.stderr if deciding else "",
            "exit_code": deciding.exit_code if deciding else None, "signal": deciding.signal if deciding else None,
            "time": self.time, "wall_time": self.wall_time, "memory": self.memory, "score": self.score,
            "max_score": self.max_score, "language": self.language, "tests": [t.to_dict() for t in self.tests],
        }


    @classmethod
    def from_dict(cls, data: dict) -> "JudgeResult":
        return cls(Verdict(data["verdict"]), data.get("message", ""), data.get("compile_output", ""),
                   [TestResult.from_dict(t) for t in data.get("tests", [])], data.get("score"),
                   data.get("max_score"), data.get("language", ""))


def _clip(data: bytes) -> str:
    return as_text(data[:STORED_OUTPUT_BYTES])


def judge(
    source: str,
    language: str | Language,
    tests: list[TestCase],
    limits: Limits | None = None,
    checker: Checker | None = None,
    stop_on_failure: bool = False,
    parallel: int = 1,
    sandbox: Sandbox | None = None,
    cache: CompileCache | None = None,
    on_test_done: Callable[[TestResult], None] | None = None,
    cancel: threading.Event | None = None,
    files: Mapping[str, bytes] | None = None,
    compiler_options: tuple[str, ...] = (),
) -> JudgeResult:
    """cancel: set by another thread when nobody waits for the verdict any more: the running test
    is stopped and no other starts. files, compiler_options: as execute's."""
    lang = language if isinstance(language, Language) else get_language(language)
    limits = (limits or Limits()).validate()
    sandbox = sandbox or get_sandbox()
    checker = checker or StandardChecker()
    entry = prepare(sandbox, lang, source, cache, files, compiler_options)
    if not entry.ok:
        failure = ExecutionResult.from_dict(entry.failure)
        return JudgeResult(failure.verdict, failure.message, failure.compile_output, language=lang.id)

    stop = threading.Event()

    def run_test(test: TestCase) -> TestResult | None:
        if stop.is_set() or (cancel is not None and cancel.is_set()):
            return None
        run = run_prepared(sandbox, entry, lang, source, test.input, limits, cancel=cancel)
        verdict, message = classify_run(run, lang.memory_error_markers)
        if verdict == Verdict.AC:
            checked = _safe_check(checker, test, run.stdout)
            verdict, message = checked.verdict, checked.message or "accepted"
        result = TestResult(
            name=test.name, verdict=verdict, message=message, time=run.cpu_time, wall_time=run.wall_time,
            memory=reported_memory_kb(verdict, run.memory_kb, limits.memory_mb), exit_code=run.exit_code,
            signal=run.signal,
            stdout=_clip(run.stdout), stderr=_clip(run.stderr),
            points=(test.points if verdict == Verdict.AC else 0.0) if test.points is not None else None,
        )
        if verdict != Verdict.AC and stop_on_failure:
            stop.set()
        if on_test_done:
            on_test_done(result)
        return result

    workers = max(1, min(parallel, len(tests) or 1))
    if workers == 1:
        results = []
        for test in tests:
            results.append(run_test(test))
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="judge") as pool:
            results = list(pool.map(run_test, tests))
    done = [r for r in results if r is not None]
    failed = next((r for r in done if r.verdict != Verdict.AC), None)
    pointed = [t for t in tests if t.points is not None]
    score = sum(r.points or 0.0 for r in done) if pointed else None
    max_score = sum(t.points for t in pointed) if pointed else None
    if failed:
        verdict, message = failed.verdict, f"{failed.verdict.value} on test {failed.name}: {failed.message}"
    else:
        verdict, message = Verdict.AC, f"all {len(done)} tests passed"
    return JudgeResult(verdict, message, entry.compile_output, done, score, max_score, lang.id)


def _safe_check(checker: Checker, test: TestCase, output: bytes) -> CheckResult:
    """A checker that raises is the system's failure: IE, never WA."""
    try:
        return checker.check(test.input, test.expected_bytes(), output)
    except Exception as exc:  # noqa: BLE001 - any checker failure must become IE
        return CheckResult(Verdict.IE, f"checker failed: {exc}")
