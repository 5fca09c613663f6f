"""The job contract: one shape that crosses every wire whole."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from codearena.engine.checkers import CheckerConfig
from codearena.engine.judge import TestCase
from codearena.engine.problem import ProblemSpec
from codearena.execution.contract import MAX_CPU_SECONDS, MAX_MEMORY_MB, Job, LimitsSpec, TestSpec, digest


def over_the_wire(job: Job) -> Job:
    """What a worker gets back from Redis: the JSON the platform sent, validated again."""
    return Job.model_validate_json(job.model_dump_json(exclude_none=True))


def test_every_field_of_a_run_survives_the_wire():
    job = Job.for_run("print(1)", "py", "in", LimitsSpec(cpu_time=1.5, wall_time=4, memory_mb=64, processes=8,
                                                           stdout_bytes=1000, stack_mb=16),
                      args=("a", "b c"), merge_stderr=True, runs=3)
    assert over_the_wire(job) == job
    assert job.language == "python" and job.priority == "interactive"  # resolved once, where it was made


def test_test_data_that_is_not_utf8_arrives_byte_for_byte():
    cases = [TestCase("bin", b"\xff\x00\xfe", b"\x80ok", 2.5), TestCase("text", "ü\n".encode(), b"3\n")]
    job = Job.for_judging("x", "c", cases, checker=CheckerConfig("float", abs_tol=0.5))
    again = over_the_wire(job)
    assert again.test_cases() == cases
    assert [t.encoding for t in again.tests] == ["base64", "text"]
    assert again.checker == CheckerConfig("float", abs_tol=0.5) and again.priority == "bulk"


@pytest.mark.parametrize("body, words", [
    ({"language": "whitespace", "source": "x"}, "unknown language"),
    ({"language": "python", "source": "x", "checker": {"type": "custom"}}, "custom checker"),
    ({"language": "python", "source": "x", "checker": {"type": "fuzzy"}}, "unknown checker"),
    ({"language": "python", "source": "x", "checker": {"type": "standard", "extra": 1}}, "extra"),
    ({"language": "python", "source": "x", "limits": {"cpu_time": MAX_CPU_SECONDS + 1}}, "cpu_time"),
    ({"language": "python", "source": "x", "limits": {"memory_mb": MAX_MEMORY_MB + 1}}, "memory_mb"),
    ({"kind": "judge", "language": "python", "source": "x",
      "tests": [{"name": "1", "input": "not base64!", "encoding": "base64"}]}, "base64"),
])
def test_invalid_jobs_say_what_is_wrong(body, words):
    with pytest.raises(ValidationError) as raised:
        Job.model_validate(body)
    assert words in str(raised.value)


def test_problem_packages_are_held_to_the_same_bounds():
    """A package a worker could not run is refused when it is loaded, not when it is judged."""
    with pytest.raises(ValidationError):
        ProblemSpec(title="t", time_limit=MAX_CPU_SECONDS + 1)
    with pytest.raises(ValidationError):
        ProblemSpec(title="t", memory_limit=MAX_MEMORY_MB + 1)
    ProblemSpec(title="t", time_limit=MAX_CPU_SECONDS, memory_limit=MAX_MEMORY_MB)


def test_the_budget_covers_compiling_and_every_run():
    run = Job.for_run("x", "c", limits=LimitsSpec(cpu_time=1), runs=2)
    judged = Job.for_judging("x", "c", [TestCase(str(i), b"", b"") for i in range(3)], LimitsSpec(cpu_time=1))
    assert judged.budget_seconds() > run.budget_seconds() > 2 * 3.0  # two runs of 2 x 1 + 1 s wall, plus compiling


def test_results_that_are_not_results_are_refused():
    job = Job.for_run("x", "python")
    with pytest.raises(ValueError):
        job.result_from_dict({"verdict": "maybe"})
    assert job.result_from_dict({"verdict": "AC", "message": "ok", "stdout": "1\n"}).stdout == "1\n"
    assert job.failure("lost").verdict.value == "IE"


def test_a_test_spec_is_text_when_it_can_be():
    assert TestSpec.from_case(TestCase("1", b"1 2\n", b"3\n")).input == "1 2\n"


def test_large_test_data_travels_by_digest_and_comes_back_as_files(tmp_path):
    big, small = b"\xff" * (70 * 1024), b"1 2\n"
    job = Job.for_judging("x", "c", [TestCase("big", big, b"ok\n"), TestCase("small", small, b"3\n")])
    assert [t.encoding for t in job.tests] == ["sha256", "text"]
    data = job.test_data()
    assert data == {digest(big): big, digest(b"ok\n"): b"ok\n"} and job.references() == set(data)
    assert job.test_cases()[0].input == big  # run here (direct mode): the bytes it was made from, nothing fetched
    again = Job.model_validate_json(job.model_dump_json())  # what a worker reads: digests only
    assert again.test_data() == {} and again.references() == set(data)
    for name, blob in data.items():
        (tmp_path / name).write_bytes(blob)
    [first, second] = again.test_cases(resolve=lambda name: tmp_path / name)
    assert first.input == tmp_path / digest(big) and first.expected_bytes() == b"ok\n"
    assert second == TestCase("small", small, b"3\n")
    small_job = Job.for_judging("x", "c", [TestCase("small", small, b"3\n")])
    assert small_job.test_data() == {} and small_job.references() == set()  # small jobs go as they are


def test_a_digest_must_be_one():
    with pytest.raises(ValidationError) as raised:
        Job.model_validate({"kind": "judge", "language": "c", "source": "x",
                            "tests": [{"name": "1", "input": "abc", "expected_output": "0" * 64, "encoding": "sha256"}]})
    assert "SHA-256" in str(raised.value)
