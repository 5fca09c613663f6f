"""Engine results -> API shapes. One place, so every endpoint and both modes answer alike."""

from __future__ import annotations

from ..engine.judge import JudgeResult, TestCase, TestResult
from ..engine.results import ExecutionResult, as_text
from ..engine.verdicts import Verdict
from .models import Submission
from .schemas import ExecutionResultOut, SubmissionOut, TestResultOut, TestsRunOut

# What a user reads of a hidden test's verdict: fixed words, so nothing the program chose
# (its output, exit code, signal, the checker's quote of the expected answer) gets through.
VERDICT_WORDS = {
    "AC": "accepted", "WA": "wrong answer", "TLE": "time limit exceeded", "MLE": "memory limit exceeded",
    "OLE": "output limit exceeded", "RE": "runtime error", "CE": "compilation error", "IE": "internal error",
}


def execution_out(result: ExecutionResult) -> ExecutionResultOut:
    return ExecutionResultOut(
        success=result.verdict == Verdict.AC, verdict=result.verdict.value, message=result.message,
        stdout=result.stdout, stderr=result.stderr, compile_output=result.compile_output,
        exit_code=result.exit_code, signal=result.signal, time=round(result.time, 4),
        wall_time=round(result.wall_time, 4), memory=result.memory, language=result.language,
        raw_stdout=result.raw_stdout, raw_stderr=result.raw_stderr,
    )


def test_result_out(result: TestResult, case: TestCase | None = None, show_io: bool = False,
                    sample: bool | None = None) -> TestResultOut:
    """`show_io` adds the test's input, expected output and the program's output (samples only)."""
    out = TestResultOut(
        name=result.name, verdict=result.verdict.value, message=result.message, time=round(result.time, 4),
        wall_time=round(result.wall_time, 4), memory=result.memory, exit_code=result.exit_code,
        signal=result.signal, points=result.points, sample=sample,
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


def hidden_test_out(stored: dict, number: int) -> TestResultOut:
    """A hidden test as a non-admin sees it: its number, verdict, time, memory and points."""
    verdict = stored["verdict"]
    return TestResultOut(name=str(number), verdict=verdict, message=VERDICT_WORDS.get(verdict, verdict),
                         time=stored.get("time", 0.0), wall_time=stored.get("wallTime", 0.0),
                         memory=stored.get("memory", 0), points=stored.get("points"), sample=False)


def submission_out(submission: Submission, admin: bool) -> SubmissionOut:
    """A stored submission for its reader. Admins see every detail; anyone else sees sample tests in
    full and hidden tests only as `hidden_test_out` (a test stored before tests were marked counts
    as hidden), and a message that names the deciding hidden test by its number alone."""
    stored = list(submission.tests or [])
    if admin:
        tests = [TestResultOut.model_validate(t) for t in stored]
        message = submission.message
    else:
        tests = [TestResultOut.model_validate(t) if t.get("sample") else hidden_test_out(t, number)
                 for number, t in enumerate(stored, start=1)]
        message = _public_message(submission, stored)
    return SubmissionOut(
        id=submission.id, problem_id=submission.problem_id, user_id=submission.user_id,
        language=submission.language, status=submission.status, verdict=submission.verdict, message=message,
        compile_output=submission.compile_output, score=submission.score, max_score=submission.max_score,
        time=submission.time, memory=submission.memory, tests=tests, code=submission.code,
        created_at=submission.created_at, judged_at=submission.judged_at,
    )


def _public_message(submission: Submission, stored: list[dict]) -> str:
    deciding = next(((n, t) for n, t in enumerate(stored, start=1) if t.get("verdict") != "AC"), None)
    if deciding is None or deciding[1].get("sample"):
        return submission.message  # accepted, a compile error, or decided by a sample test
    number, test = deciding
    return f"{test['verdict']} on test {number} ({VERDICT_WORDS.get(test['verdict'], test['verdict'])})"
