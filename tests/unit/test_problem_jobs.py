"""A problem becomes a judge job in a fixed number of queries, whatever its number of tests
(each small test's data had been two queries of its own: 21 for 10 tests)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.orm import sessionmaker

from codearena.execution.contract import INLINE_TEST_BYTES
from codearena.platform_app.models import Base, Problem, ProblemTest
from codearena.platform_app.problems import judge_job

BIG = b"7" * (INLINE_TEST_BYTES + 1)


@pytest.fixture
def sessions():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    made = sessionmaker(engine)
    with made() as session:
        problem = Problem(slug="p", title="p", checker={})
        problem.tests = [ProblemTest(position=n, name=str(n), input=f"{n}\n".encode(), expected=f"{n * 2}\n".encode(),
                                     is_sample=n < 2) for n in range(10)]
        problem.tests.append(ProblemTest(position=10, name="big", input=BIG, expected=b"8\n"))
        session.add(problem)
        session.commit()
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    return made, statements


def test_a_submissions_job_holds_every_test_from_three_queries(sessions):
    made, statements = sessions
    with made() as session:
        problem = session.get(Problem, 1)
        job = judge_job(problem, "print(1)", "python", samples_only=False)
        assert {"input", "expected"} <= inspect(problem.tests[-1]).unloaded  # the big test's data stays in the database
    assert [(t.name, t.input, t.expected_output) for t in job.tests[:3]] == [
        ("0", "0\n", "0\n"), ("1", "1\n", "2\n"), ("2", "2\n", "4\n")]
    big = job.tests[-1]
    assert (big.name, big.encoding, len(job.tests)) == ("big", "sha256", 11)  # named by digest
    assert len(statements) <= 3, statements  # the problem, its tests, the small tests' data


def test_a_sample_run_holds_the_samples_alone(sessions):
    made, statements = sessions
    with made() as session:
        job = judge_job(session.get(Problem, 1), "print(1)", "python", samples_only=True)
    assert [(t.name, t.expected_output) for t in job.tests] == [("0", "0\n"), ("1", "2\n")]
    assert job.priority == "interactive" and len(statements) <= 3
