"""Property tests: any job the contract accepts crosses the wire (its JSON, validated again, as a
worker reads it from Redis) and comes back equal, every field and every byte of test data."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from codearena.engine.checkers import CheckerConfig
from codearena.engine.judge import ExecutionResult, JudgeResult, TestCase, TestResult
from codearena.engine.verdicts import Verdict
from codearena.execution.contract import (MAX_CPU_SECONDS, MAX_MEMORY_MB, MAX_PROCESSES, MAX_RUNS, MAX_STACK_MB,
                                          MAX_WALL_SECONDS, MIN_MEMORY_MB, Job, LimitsSpec)

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)  # Unicode text (no lone surrogates)
limits = st.builds(LimitsSpec, cpu_time=st.floats(0.01, MAX_CPU_SECONDS),
                   wall_time=st.none() | st.floats(0.01, MAX_WALL_SECONDS), memory_mb=st.integers(MIN_MEMORY_MB, MAX_MEMORY_MB),
                   processes=st.integers(1, MAX_PROCESSES), stdout_bytes=st.integers(1, 1 << 26),
                   stack_mb=st.integers(1, MAX_STACK_MB))
checkers = st.one_of(st.builds(CheckerConfig, type=st.sampled_from(["standard", "exact", "lines", "unordered"])),
                     st.builds(CheckerConfig, type=st.just("float"), abs_tol=st.floats(0, 1), rel_tol=st.floats(0, 1)),
                     st.builds(CheckerConfig, type=st.just("custom"), source=text.filter(bool),
                               language=st.sampled_from(["python", "c", "cpp", "java", "javascript"])))
cases = st.builds(TestCase, name=st.text(min_size=1, max_size=20).filter(lambda n: not any(0xD800 <= ord(c) <= 0xDFFF for c in n)),
                  input=st.binary(max_size=64), expected=st.binary(max_size=64),
                  points=st.none() | st.floats(0, 100))
languages = st.sampled_from(["python", "py", "c", "cpp", "c++", "java", "javascript", "js", "node"])


def over_the_wire(job: Job) -> Job:
    return Job.model_validate_json(job.model_dump_json(exclude_none=True))


@settings(max_examples=200, deadline=None)
@given(source=text, language=languages, stdin=text, limits=limits, args=st.lists(text, max_size=5),
       merge_stderr=st.booleans(), runs=st.integers(1, MAX_RUNS), priority=st.none() | st.sampled_from(["interactive", "bulk"]))
def test_runs_cross_the_wire_whole(source, language, stdin, limits, args, merge_stderr, runs, priority):
    job = Job.for_run(source, language, stdin, limits, args=tuple(args), merge_stderr=merge_stderr, runs=runs,
                      priority=priority)
    assert over_the_wire(job) == job


@settings(max_examples=200, deadline=None)
@given(source=text, language=languages, tests=st.lists(cases, min_size=1, max_size=5), limits=limits,
       checker=checkers, stop_on_failure=st.booleans())
def test_judgings_cross_the_wire_whole_with_every_byte(source, language, tests, limits, checker, stop_on_failure):
    job = Job.for_judging(source, language, tests, limits, checker, stop_on_failure=stop_on_failure)
    again = over_the_wire(job)
    assert again == job
    assert again.test_cases() == tests  # bytes that are not UTF-8 included


outputs = st.text(max_size=30).filter(lambda t: not any(0xD800 <= ord(c) <= 0xDFFF for c in t))


@settings(max_examples=100, deadline=None)
@given(verdict=st.sampled_from(list(Verdict)), stdout=outputs, exit_code=st.none() | st.integers(-255, 255),
       time=st.floats(0, 60), memory=st.integers(0, 1 << 22))
def test_results_cross_the_wire_whole(verdict, stdout, exit_code, time, memory):
    run = ExecutionResult(verdict, "m", stdout=stdout, exit_code=exit_code, time=time, memory=memory, language="c")
    assert Job.for_run("x", "c").result_from_dict(run.to_dict()) == run
    judged = JudgeResult(verdict, "m", tests=[TestResult("1", verdict, stdout=stdout, time=time, memory=memory)],
                         language="c")
    assert Job.for_judging("x", "c", [TestCase("1", b"", b"")]).result_from_dict(judged.to_dict()) == judged
