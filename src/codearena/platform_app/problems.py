"""Problems in the database: create/update from the API or a problem package, turn into judge jobs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, sessionmaker

from ..common_settings import CommonSettings
from ..engine.checkers import CheckerConfig
from ..engine.judge import TestCase
from ..engine.problem import load_problem
from ..engine.results import as_text
from ..execution import Job, LimitsSpec, TestSpec
from ..execution.contract import INLINE_TEST_BYTES
from .models import Problem, ProblemTest
from .schemas import CheckerIn, CheckerOut, ProblemIn, ProblemOut, ProblemPatch, TestIn, TestOut


class ProblemConflict(ValueError):
    pass


class ProblemTooLarge(ValueError):
    """A test, or all of a problem's tests together, above MAX_TEST_BYTES or MAX_PROBLEM_BYTES (413)."""


def check_sizes(tests: list[ProblemTest], sizes: CommonSettings) -> None:
    """Test data within the limits every process enforces; the message names the limit."""
    total = 0
    for test in tests:
        for what, data in (("input", test.input), ("expected output", test.expected)):
            if len(data) > sizes.max_test_bytes:
                raise ProblemTooLarge(f"test {test.name}'s {what} is {len(data)} bytes; MAX_TEST_BYTES is "
                                      f"{sizes.max_test_bytes}")
            total += len(data)
    if total > sizes.max_problem_bytes:
        raise ProblemTooLarge(f"the problem's tests are {total} bytes together; MAX_PROBLEM_BYTES is "
                              f"{sizes.max_problem_bytes}")


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:100]
    return slug or "problem"


def checker_config(problem: Problem) -> CheckerConfig:
    return CheckerConfig.from_dict(problem.checker)


def test_cases(problem: Problem, samples_only: bool = False) -> list[TestCase]:
    return [TestCase(t.name, t.input, t.expected, t.points) for t in problem.tests
            if t.is_sample or not samples_only]


def judge_job(problem: Problem, code: str, language: str, samples_only: bool) -> Job:
    """Sample tests are a run someone waits for (interactive); a submission is judged in bulk.
    Large test data is named by digest and not loaded here (test_data_fetcher finds it)."""
    chosen = [t for t in problem.tests if t.is_sample or not samples_only]
    inline = _inline_data(problem, chosen)
    tests = tuple(_test_spec(t, inline.get(t.id)) for t in chosen)
    return Job(kind="judge", source=code, language=language, tests=tests,
               limits=LimitsSpec(cpu_time=problem.time_limit, memory_mb=problem.memory_limit),
               checker=checker_config(problem), priority="interactive" if samples_only else "bulk")


def _inline_data(problem: Problem, tests: list[ProblemTest]) -> dict[int, tuple[bytes, bytes]]:
    """test id -> (input, expected) of the tests a job carries inline, in one query: read test by
    test, each deferred column was a query of its own (21 for a problem of 10 small tests). By id:
    a filter on data_bytes would make SQLite walk every big test's blobs to reach that column."""
    small = [test.id for test in tests if test.data_bytes <= INLINE_TEST_BYTES]
    if not small:
        return {}
    query = select(ProblemTest.id, ProblemTest.input, ProblemTest.expected).where(ProblemTest.id.in_(small))
    return {test_id: (given, expected) for test_id, given, expected in object_session(problem).execute(query)}


def _test_spec(test: ProblemTest, inline: tuple[bytes, bytes] | None) -> TestSpec:
    if inline is not None:  # small: inline
        return TestSpec.from_case(TestCase(test.name, *inline, test.points))
    return TestSpec(name=test.name, input=test.input_sha256, expected_output=test.expected_sha256, points=test.points,
                    encoding="sha256")


def test_data_fetcher(sessions: sessionmaker[Session]) -> Callable[[str], bytes | None]:
    """digest -> the test data of that SHA-256 in the database (None if no test has it)."""

    def fetch(name: str) -> bytes | None:
        with sessions() as session:
            for data, digest_column in ((ProblemTest.input, ProblemTest.input_sha256),
                                        (ProblemTest.expected, ProblemTest.expected_sha256)):
                found = session.scalar(select(data).where(digest_column == name).limit(1))
                if found is not None:
                    return found
        return None

    return fetch


def apply_problem(session: Session, body: ProblemIn | ProblemPatch, problem: Problem | None = None,
                  sizes: CommonSettings | None = None) -> Problem:
    """Create (problem=None), replace (a ProblemIn) or update (a ProblemPatch: only the fields it
    sets) a problem from an API body."""
    given = body.model_fields_set if isinstance(body, ProblemPatch) else set(type(body).model_fields)
    checker = _checker(body.checker) if "checker" in given and body.checker is not None else None
    tests = _tests(body.tests) if "tests" in given and body.tests is not None else None
    if tests is not None:
        check_sizes(tests, sizes or CommonSettings())
    slug = body.slug or (problem.slug if problem else slugify(body.title))
    _ensure_free_slug(session, slug, problem)
    problem = problem or Problem()
    problem.slug = slug
    for name in ("title", "statement", "time_limit", "memory_limit"):
        if name in given and getattr(body, name) is not None:
            setattr(problem, name, getattr(body, name))
    if checker is not None:
        problem.checker = checker.to_dict()
    if tests is not None:
        problem.tests = tests
    session.add(problem)
    return problem


def _checker(spec: CheckerIn) -> CheckerConfig:
    checker = CheckerConfig(type=spec.type, abs_tol=spec.abs_tol, rel_tol=spec.rel_tol, source=spec.source,
                            language=spec.language)
    return checker.validate()  # raises ValueError subclasses with a message naming the fix


def _tests(tests: list[TestIn]) -> list[ProblemTest]:
    names = [t.name or str(i) for i, t in enumerate(tests, start=1)]
    if len(set(names)) != len(names):
        raise ValueError("test names must be unique")
    return [ProblemTest(position=i, name=name, input=t.input.encode(), expected=t.expected_output.encode(),
                        is_sample=t.sample, points=t.points)
            for i, (name, t) in enumerate(zip(names, tests))]


def import_package(session: Session, directory: str | Path, slug: str | None = None,
                   replace: bool = False, sizes: CommonSettings | None = None, slug_from_title: bool = False) -> Problem:
    """Store a problem package (see engine/problem.py); `replace` updates the problem of that slug.
    The slug defaults to the directory's name (or, `slug_from_title`, the title's)."""
    package = load_problem(directory)  # raises ProblemError naming the file and the fix
    slug = slug or slugify(package.title if slug_from_title else Path(directory).resolve().name)
    existing = session.scalar(select(Problem).where(Problem.slug == slug))
    if existing is not None and not replace:
        raise ProblemConflict(f"a problem with slug {slug!r} exists (id {existing.id}); pass --replace to update it")
    problem = existing or Problem(slug=slug)
    problem.title, problem.statement = package.title, package.statement
    problem.time_limit, problem.memory_limit = package.limits.cpu_time, package.limits.memory_mb
    problem.checker = package.checker_config().to_dict()
    samples = set(package.samples)
    problem.tests = [
        ProblemTest(position=i, name=t.name, input=t.input, expected=t.expected, is_sample=t.name in samples,
                    points=t.points)
        for i, t in enumerate(package.tests)
    ]
    check_sizes(problem.tests, sizes or CommonSettings())
    session.add(problem)
    return problem


def _ensure_free_slug(session: Session, slug: str, problem: Problem | None) -> None:
    owner = session.scalar(select(Problem.id).where(Problem.slug == slug))
    if owner is not None and (problem is None or owner != problem.id):
        raise ProblemConflict(f"slug {slug!r} is used by problem {owner}; choose another")


def _test_out(test: ProblemTest) -> TestOut:
    return TestOut(name=test.name, input=as_text(test.input), expected_output=as_text(test.expected),
                   sample=test.is_sample, points=test.points)


def problem_out(problem: Problem, admin: bool) -> ProblemOut:
    """Hidden tests and a custom checker's source are shown to admins only."""
    checker = checker_config(problem)
    return ProblemOut(
        id=problem.id, slug=problem.slug, title=problem.title, time_limit=problem.time_limit,
        memory_limit=problem.memory_limit, statement=problem.statement,
        checker=CheckerOut(type=checker.type, abs_tol=checker.abs_tol if checker.type == "float" else None,
                           rel_tol=checker.rel_tol if checker.type == "float" else None,
                           language=checker.language, source=checker.source if admin else None),
        samples=[_test_out(t) for t in problem.tests if t.is_sample],
        tests=[_test_out(t) for t in problem.tests] if admin else None,
        test_count=len(problem.tests),
    )
