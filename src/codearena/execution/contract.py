"""The job contract: one job shape, one set of bounds, one result shape, for every transport.

The platform builds a Job; direct mode runs it; queue mode sends it as JSON (POST /jobs), Redis
keeps that JSON, a worker validates it back into the same Job and runs it; the Judge0 adapter
converts its own protocol into a Job. Nothing converts a job into another job shape on the way.

A job is validated once, where it is made: its language is resolved to the catalog's id, its
checker checked, its limits held to the bounds below (the most any job may ask for, whatever
its front end; front ends may allow less).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from pathlib import Path
from typing import Callable, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from ..engine.checkers import CHECKER_CPU_SECONDS, CheckerConfig, UnknownChecker
from ..engine.compile import COMPILE_LIMITS
from ..engine.judge import JudgeResult, TestCase
from ..engine.results import ExecutionResult
from ..engine.verdicts import Verdict
from ..languages import UnknownLanguage, get_language
from ..sandbox import Limits
from ..validation import relative_path_parts

from ..engine.bounds import (MAX_ARGS, MAX_COMPILER_OPTIONS_CHARS, MAX_CPU_SECONDS,  # noqa: F401 (the contract's)
                             MAX_FILES, MAX_FILES_BYTES, MAX_MEMORY_MB, MAX_OUTPUT_BYTES, MAX_PROCESSES, MAX_RUNS,
                             MAX_STACK_MB, MAX_WALL_SECONDS, MIN_MEMORY_MB)

# The longest the execution service holds a request (`?wait=`) before answering what it has.
MAX_WAIT_SECONDS = 60.0

JobKind = Literal["run", "judge"]
# Someone is waiting for an interactive job (a run, a run on sample tests); bulk jobs (judging a
# stored submission) wait behind them, in direct mode as in the queue.
Priority = Literal["interactive", "bulk"]
Result = Union[ExecutionResult, JudgeResult]


class LimitsSpec(BaseModel):
    """What one run of the program may use (each test of a judging is one run)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    cpu_time: float = Field(2.0, gt=0, le=MAX_CPU_SECONDS, description="CPU seconds per run")
    wall_time: float | None = Field(None, gt=0, le=MAX_WALL_SECONDS, description="default: 2 x cpu_time + 1")
    memory_mb: int = Field(256, ge=MIN_MEMORY_MB, le=MAX_MEMORY_MB)
    processes: int = Field(64, ge=1, le=MAX_PROCESSES)
    stdout_bytes: int = Field(1024 * 1024, ge=1, le=MAX_OUTPUT_BYTES)
    stack_mb: int = Field(64, ge=1, le=MAX_STACK_MB)

    def to_limits(self) -> Limits:
        return Limits(cpu_time=self.cpu_time, wall_time=self.wall_time, memory_mb=self.memory_mb,
                      processes=self.processes, stdout_bytes=self.stdout_bytes, stack_mb=self.stack_mb).validate()


SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
# Test data larger than this travels by reference (encoding sha256): uploaded once to the
# execution service (PUT /data/{sha256}), named by its digest in every job that uses it.
INLINE_TEST_BYTES = 64 * 1024


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class TestSpec(BaseModel):
    """One test of a judging. Test data is bytes: text travels as text, anything that is not
    UTF-8 as base64, and large data as the SHA-256 of content stored once beside the queue
    (`encoding`), so every byte arrives as it was stored."""

    __test__ = False
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=100)
    input: str = ""
    expected_output: str = ""
    points: float | None = None
    encoding: Literal["text", "base64", "sha256"] = Field(
        "text", description="of input and expected_output: text, base64, or sha256 (each is the digest of data "
                            "uploaded with PUT /data/{sha256})")
    # Made in this process from data in memory: that data (digest -> bytes), so that a job run
    # here needs nothing fetched, and a job sent away knows what to upload. Never on the wire.
    _data: dict[str, bytes] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _decodable(self) -> "TestSpec":
        if self.encoding == "sha256":
            for name in ("input", "expected_output"):
                if not SHA256_HEX.match(getattr(self, name)):
                    raise ValueError(f"{name} is not a SHA-256 digest (64 lowercase hex digits; encoding is sha256)")
        if self.encoding == "base64":
            for name in ("input", "expected_output"):
                try:
                    base64.b64decode(getattr(self, name), validate=True)
                except (binascii.Error, ValueError):
                    raise ValueError(f"{name} is not valid base64 (encoding is base64)") from None
        return self

    @classmethod
    def from_case(cls, case: TestCase, threshold: int = INLINE_TEST_BYTES) -> "TestSpec":
        """Text when it can be, base64 when it is not UTF-8, and by digest when it is larger than
        `threshold` (the bytes kept here, beside the digests)."""
        if len(case.input) > threshold or len(case.expected) > threshold:
            spec = cls(name=case.name, input=digest(case.input), expected_output=digest(case.expected),
                       points=case.points, encoding="sha256")
            spec._data.update({spec.input: case.input, spec.expected_output: case.expected})
            return spec
        try:
            return cls(name=case.name, input=case.input.decode(), expected_output=case.expected.decode(),
                       points=case.points)
        except UnicodeDecodeError:
            return cls(name=case.name, input=base64.b64encode(case.input).decode(),
                       expected_output=base64.b64encode(case.expected).decode(), points=case.points,
                       encoding="base64")

    def references(self) -> tuple[str, ...]:
        return (self.input, self.expected_output) if self.encoding == "sha256" else ()

    def to_case(self, resolve: Callable[[str], Path] | None = None) -> TestCase:
        """The engine's test; data named by digest is a file `resolve` finds (a worker's cache)."""
        if self.encoding == "sha256" and self._data:
            return TestCase(self.name, self._data[self.input], self._data[self.expected_output], self.points)
        if self.encoding == "sha256":
            if resolve is None:
                raise ValueError(f"test {self.name} names its data by digest, and nothing here can fetch it")
            return TestCase(self.name, resolve(self.input), resolve(self.expected_output), self.points)
        if self.encoding == "base64":
            return TestCase(self.name, base64.b64decode(self.input), base64.b64decode(self.expected_output),
                            self.points)
        return TestCase(self.name, self.input.encode(), self.expected_output.encode(), self.points)


class JobFile(BaseModel):
    """One of the program's files beside its source (headers, modules, data it reads, a
    project's scripts): in every box of the job, at `path` under the program's directory."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    path: str = Field(description="relative, '/'-separated: 'lib/util.h'")
    content: str = ""
    encoding: Literal["text", "base64"] = "text"

    @field_validator("path")
    @classmethod
    def _safe_path(cls, value: str) -> str:
        return "/".join(relative_path_parts(value))  # ValueError says what is wrong

    @model_validator(mode="after")
    def _decodable(self) -> "JobFile":
        if self.encoding == "base64":
            try:
                base64.b64decode(self.content, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"{self.path}: content is not valid base64 (encoding is base64)") from None
        return self

    def data(self) -> bytes:
        return base64.b64decode(self.content) if self.encoding == "base64" else self.content.encode()


class Job(BaseModel):
    """A run (`kind=run`: the program once on `stdin`) or a judging (`kind=judge`: every test,
    checked). Field names are the engine's (snake_case): this is also the service's API."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: JobKind = "run"
    language: str = Field(description="a language id or alias; stored as the id")
    version: str | None = Field(None, description="a version within the language's family (pypy, clang, 3.9); "
                                "resolved into `language` and then dropped")
    source: str = Field(description="the program (a multi-file program's: its run script, or empty)")
    files: tuple[JobFile, ...] = Field((), max_length=MAX_FILES,
                                       description="the program's other files, beside its source; one never "
                                                   "replaces the source")
    compiler_options: tuple[str, ...] = Field(
        (), max_length=MAX_ARGS, description="extra compiler arguments (an argv, never a shell), for languages "
                                             "whose compiler takes them")
    stdin: str = Field("", description="run only")
    args: tuple[str, ...] = Field((), max_length=MAX_ARGS,
                                  description="run only: command-line arguments (an argv, never a shell)")
    merge_stderr: bool = Field(False, description="run only: stderr goes to stdout (2>&1)")
    runs: int = Field(1, ge=1, le=MAX_RUNS, description="run only: times to run; time and memory are averaged")
    tests: tuple[TestSpec, ...] = Field((), description="judge only")
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    checker: CheckerConfig = Field(default_factory=CheckerConfig)
    stop_on_failure: bool = False
    priority: Priority | None = Field(None, description="default: interactive for runs, bulk for judging")

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        return get_language(value).id  # UnknownLanguage is a ValueError naming the supported ones

    @field_validator("files")
    @classmethod
    def _bounded_files(cls, value: tuple[JobFile, ...]) -> tuple[JobFile, ...]:
        paths = [file.path for file in value]
        twice = sorted({path for path in paths if paths.count(path) > 1})
        if twice:
            raise ValueError(f"more than one file at {', '.join(twice)}")
        nested = sorted(path for path in paths if any(other.startswith(path + "/") for other in paths))
        if nested:
            raise ValueError(f"{nested[0]} is both a file and a directory")
        total = sum(len(file.data()) for file in value)
        if total > MAX_FILES_BYTES:
            raise ValueError(f"the files take {total} bytes; at most {MAX_FILES_BYTES} are allowed")
        return value

    @field_validator("compiler_options")
    @classmethod
    def _bounded_options(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if sum(len(option) + 1 for option in value) - 1 > MAX_COMPILER_OPTIONS_CHARS:
            raise ValueError(f"the compiler options are longer than {MAX_COMPILER_OPTIONS_CHARS} characters")
        if any("\x00" in option for option in value):
            raise ValueError("a compiler option holds a NUL character")
        return value

    @model_validator(mode="after")
    def _program_complete(self) -> "Job":
        language = get_language(self.language)
        if self.compiler_options and not language.takes_compiler_options:
            kind = "compiled languages" if not language.compiled else "languages whose compiler takes options"
            raise ValueError(f"compiler_options: {language.id} takes none (only {kind} do)")
        if language.project and not self.source and not self.files:
            raise ValueError("files: a multi-file program needs its files (a `run` script, and a `compile` "
                             "script if it is built)")
        return self

    @field_validator("checker")
    @classmethod
    def _valid_checker(cls, value: CheckerConfig) -> CheckerConfig:
        try:
            return value.validate()
        except (UnknownChecker, UnknownLanguage) as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="before")
    @classmethod
    def _chosen_version(cls, data):
        if isinstance(data, dict) and data.get("version") and isinstance(data.get("language"), str):
            try:
                data = {**data, "language": get_language(data["language"], str(data["version"])).id, "version": None}
            except UnknownLanguage:
                pass  # the language's own validator says so
        return data

    @model_validator(mode="before")
    @classmethod
    def _default_priority(cls, data):
        if isinstance(data, dict) and data.get("priority") is None:
            data = {**data, "priority": "bulk" if data.get("kind") == "judge" else "interactive"}
        return data

    # -- made by the front ends -------------------------------------------------------------
    @classmethod
    def for_run(cls, source: str, language: str, stdin: str = "", limits: LimitsSpec | None = None,
                **options) -> "Job":
        return cls(kind="run", source=source, language=language, stdin=stdin, limits=limits or LimitsSpec(),
                   **options)

    @classmethod
    def for_judging(cls, source: str, language: str, tests: list[TestCase] | tuple[TestCase, ...],
                    limits: LimitsSpec | None = None, checker: CheckerConfig | None = None, **options) -> "Job":
        return cls(kind="judge", source=source, language=language, tests=tuple(TestSpec.from_case(t) for t in tests),
                   limits=limits or LimitsSpec(), checker=checker or CheckerConfig(), **options)

    # -- what the executors need ------------------------------------------------------------
    def file_data(self) -> dict[str, bytes]:
        return {file.path: file.data() for file in self.files}

    def test_cases(self, resolve: Callable[[str], Path] | None = None) -> list[TestCase]:
        return [test.to_case(resolve) for test in self.tests]

    def references(self) -> set[str]:
        """The digests of the test data this job names (uploaded beside the queue)."""
        return {name for test in self.tests for name in test.references()}

    def test_data(self) -> dict[str, bytes]:
        """The data behind the digests this job names that this process holds (digest -> bytes):
        what a job made here from bytes in memory can upload. Empty for a job read off a wire."""
        return {name: blob for test in self.tests for name, blob in test._data.items()}

    def budget_seconds(self) -> float:
        """The longest this job can take when nothing is wrong (compile, then every run), in seconds."""
        compile_time = COMPILE_LIMITS.effective_wall_time()
        per_run = self.limits.to_limits().effective_wall_time()
        if self.kind == "run":
            return compile_time + per_run * self.runs
        if self.checker.type == "custom":  # compiled once, run after every test
            compile_time *= 2
            per_run += Limits(cpu_time=CHECKER_CPU_SECONDS).effective_wall_time()
        return compile_time + per_run * len(self.tests)

    def failure(self, message: str) -> Result:
        """The system's failure as this job's result: IE, never the user's fault."""
        result_type = JudgeResult if self.kind == "judge" else ExecutionResult
        return result_type(Verdict.IE, message, language=self.language)

    def result_from_dict(self, data: object) -> Result:
        """A result that crossed a wire, as the engine's type; ValueError if it is not one."""
        try:
            Verdict(data["verdict"])  # type: ignore[index]
            if self.kind == "run":
                parsed = ExecutionResult.from_dict(data)  # type: ignore[arg-type]
                if not isinstance(parsed.stdout, str) or not isinstance(parsed.time, (int, float)):
                    raise TypeError("stdout or time of the wrong type")
                return parsed
            return JudgeResult.from_dict(data)  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from None
