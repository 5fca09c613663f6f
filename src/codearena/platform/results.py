"""Engine results -> API shapes. One place, so every endpoint and both modes answer alike."""

from __future__ import annotations

from ..engine.judge import JudgeResult, TestCase, TestResult
from ..engine.results import ExecutionResult, as_text
from ..engine.verdicts import Verdict
from .schemas import ExecutionResultOut, TestResultOut, TestsRunOut


def execution_out(result: ExecutionResult) -> ExecutionResultOut:
    return ExecutionResultOut(
        success=result.verdict == Verdict.AC, verdict=result.verdict.value, message=result.message,
        stdout=result.stdout, stderr=result.stderr, compile_output=result.compile_output,
        exit_code=result.exit_code, signal=result.signal, time=round(result.time, 4),
        wall_time=round(result.wall_time, 4), memory=result.memory, language=result.language,
    )


def test_result_out(result: TestResult, case: TestCase | None = None, show_io: bool = False) -> TestResultOut:
    """`show_io` adds the test's input, expected output and the program's output (samples only)."""
    out = TestResultOut(
        name=result.name, verdict=result.verdict.value, message=result.message, time=round(result.time, 4),
        wall_time=round(result.wall_time, 4), memory=result.memory, exit_code=result.exit_code,
        signal=result.signal, points=result.points,
    )
    if show_io:
        out.stdout, out.stderr = result.stdout, result.stderr
        if case is not None:
            out.input, out.expected_output = as_text(case.input), as_text(case.expected)
    return out


def tests_run_out(result: JudgeResult, cases: list[TestCase], show_io: bool) -> TestsRunOut:
    by_name = {case.name: case for case in cases}
    return TestsRunOut(
        verdict=result.verdict.value, message=result.message, compile_output=result.compile_output,
        passed=sum(1 for t in result.tests if t.verdict == Verdict.AC), total=len(cases),
        tests=[test_result_out(t, by_name.get(t.name), show_io) for t in result.tests], language=result.language,
    )
