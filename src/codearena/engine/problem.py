"""Problem packages: a directory a course author writes by hand.

    problem.toml      title, statement, limits, checker, samples
    statement.md      optional
    tests/NAME.in     input of test NAME
    tests/NAME.out    expected output of test NAME

Loading validates everything and names the file and what to fix.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..languages import UnknownLanguage, get_language
from ..sandbox import Limits
from .bounds import MAX_CPU_SECONDS, MAX_MEMORY_MB, MIN_MEMORY_MB
from .checkers import BUILTIN_CHECKERS, Checker, CheckerConfig
from .judge import TestCase


class ProblemError(ValueError):
    """A problem package is invalid; the message names the file and the fix."""


class PackageChecker(BaseModel):
    """problem.toml's [checker]: like the CheckerConfig a job carries, but `source` is a path."""

    model_config = ConfigDict(extra="forbid")
    type: str = "standard"
    abs_tol: float = Field(1e-6, ge=0)
    rel_tol: float = Field(1e-6, ge=0)
    source: str | None = None  # custom: path of the checker program, relative to the package
    language: str | None = None  # custom: default from the source's extension


class ProblemSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    statement: str | None = None
    time_limit: float = Field(1.0, gt=0, le=MAX_CPU_SECONDS, description="CPU seconds per test")
    memory_limit: int = Field(256, ge=MIN_MEMORY_MB, le=MAX_MEMORY_MB, description="MB")
    checker: str | PackageChecker = "standard"
    samples: list[str] = Field(default_factory=list)
    points: dict[str, float] = Field(default_factory=dict)


@dataclass
class Problem:
    title: str
    statement: str
    limits: Limits
    checker_spec: PackageChecker
    tests: list[TestCase]
    samples: list[str]
    directory: Path
    checker_source: str | None = None
    _checker: Checker | None = field(default=None, repr=False)

    @property
    def sample_tests(self) -> list[TestCase]:
        return [t for t in self.tests if t.name in self.samples]

    def checker_config(self) -> CheckerConfig:
        spec = self.checker_spec
        return CheckerConfig(type=spec.type, abs_tol=spec.abs_tol, rel_tol=spec.rel_tol,
                             source=self.checker_source, language=spec.language if spec.type == "custom" else None)

    def checker(self) -> Checker:
        if self._checker is None:
            self._checker = self.checker_config().build()
        return self._checker


def _natural_key(name: str):
    return [int(part) if part.isascii() and part.isdigit() else part for part in re.split(r"(\d+)", name)]


def load_problem(directory: str | Path) -> Problem:
    root = Path(directory)
    toml_path = root / "problem.toml"
    if not toml_path.is_file():
        raise ProblemError(f"{toml_path}: missing (a problem package needs problem.toml)")
    try:
        raw = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProblemError(f"{toml_path}: not valid TOML: {exc}") from None
    try:
        spec = ProblemSpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())
        raise ProblemError(f"{toml_path}: {problems}") from None
    checker = spec.checker if isinstance(spec.checker, PackageChecker) else PackageChecker(type=spec.checker)
    checker_source = _validate_checker(root, toml_path, checker)

    statement = ""
    if spec.statement:
        statement_path = _inside(root, toml_path, spec.statement, "statement")
        if not statement_path.is_file():
            raise ProblemError(f"{toml_path}: statement file {spec.statement!r} does not exist")
        statement = statement_path.read_text(encoding="utf-8")

    tests = _load_tests(root, spec)
    names = {t.name for t in tests}
    for sample in spec.samples:
        if sample not in names:
            raise ProblemError(f"{toml_path}: sample {sample!r} is not a test in tests/ (have: {', '.join(sorted(names))})")
    for name in spec.points:
        if name not in names:
            raise ProblemError(f"{toml_path}: points given for unknown test {name!r}")
    return Problem(
        title=spec.title, statement=statement,
        limits=Limits(cpu_time=spec.time_limit, memory_mb=spec.memory_limit),
        checker_spec=checker, tests=tests, samples=list(spec.samples), directory=root,
        checker_source=checker_source,
    )


def _inside(root: Path, toml_path: Path, relative: str, what: str) -> Path:
    """A file the package names: inside the package, never elsewhere on this machine (an
    uploaded package must not read the server's files into its statement)."""
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ProblemError(f"{toml_path}: the {what} {relative!r} is outside the package: name a file in it")
    return path


def _validate_checker(root: Path, toml_path: Path, checker: PackageChecker) -> str | None:
    if checker.type == "custom":
        if not checker.source:
            raise ProblemError(f"{toml_path}: a custom checker needs `source` (the checker program's file)")
        path = _inside(root, toml_path, checker.source, "checker source")
        if not path.is_file():
            raise ProblemError(f"{toml_path}: custom checker source {checker.source!r} does not exist")
        try:
            language = get_language(checker.language) if checker.language else None
            if language is None:
                from ..languages import language_for_file

                language = language_for_file(path)
        except UnknownLanguage as exc:
            raise ProblemError(f"{toml_path}: custom checker: {exc}") from None
        checker.language = language.id
        return path.read_text(encoding="utf-8")
    if checker.type not in BUILTIN_CHECKERS:
        raise ProblemError(f"{toml_path}: unknown checker {checker.type!r}; choose one of: "
                           f"{', '.join([*BUILTIN_CHECKERS, 'custom'])}")
    return None


def _load_tests(root: Path, spec: ProblemSpec) -> list[TestCase]:
    tests_dir = root / "tests"
    if not tests_dir.is_dir():
        raise ProblemError(f"{tests_dir}: missing (put NAME.in / NAME.out pairs there)")
    inputs = {p.stem: p for p in tests_dir.glob("*.in")}
    outputs = {p.stem: p for p in tests_dir.glob("*.out")}
    for name in sorted(inputs.keys() - outputs.keys()):
        raise ProblemError(f"{tests_dir / (name + '.out')}: missing (test {name!r} has an input but no expected output)")
    for name in sorted(outputs.keys() - inputs.keys()):
        raise ProblemError(f"{tests_dir / (name + '.in')}: missing (test {name!r} has an expected output but no input)")
    if not inputs:
        raise ProblemError(f"{tests_dir}: no tests (expected NAME.in / NAME.out pairs)")
    return [
        TestCase(name=name, input=inputs[name].read_bytes(), expected=outputs[name].read_bytes(),
                 points=spec.points.get(name))
        for name in sorted(inputs, key=_natural_key)
    ]
