"""Checkers: does a program's output answer the test? Built-in comparisons, or a checker program.

A checker returns AC or WA, and IE when it cannot decide (a custom checker that crashed):
the system's failure is never the contestant's wrong answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import ConfigDict

from .verdicts import Verdict


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    message: str = ""


class Checker(Protocol):
    name: str

    def check(self, input_data: bytes | Path, expected: bytes, output: bytes) -> CheckResult: ...


def _lines(data: bytes) -> list[bytes]:
    lines = [line.rstrip() for line in data.split(b"\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _first_difference(expected: list[bytes], got: list[bytes], unit: str) -> str:
    for i, (e, g) in enumerate(zip(expected, got)):
        if e != g:
            return f"{unit} {i + 1}: expected {_show(e)}, got {_show(g)}"
    return f"expected {len(expected)} {unit}s, got {len(got)}"


def _show(token: bytes, width: int = 40) -> str:
    text = token.decode("utf-8", "replace")
    return repr(text if len(text) <= width else text[:width] + "...")


@dataclass(frozen=True)
class StandardChecker:
    """Tokens separated by any whitespace must match."""

    name: str = "standard"

    def check(self, input_data: bytes, expected: bytes, output: bytes) -> CheckResult:
        want, got = expected.split(), output.split()
        if want == got:
            return CheckResult(Verdict.AC)
        return CheckResult(Verdict.WA, _first_difference(want, got, "token"))


@dataclass(frozen=True)
class ExactChecker:
    name: str = "exact"

    def check(self, input_data: bytes, expected: bytes, output: bytes) -> CheckResult:
        if expected == output:
            return CheckResult(Verdict.AC)
        return CheckResult(Verdict.WA, "output differs byte for byte" + (
            f" (expected {len(expected)} bytes, got {len(output)})" if len(expected) != len(output) else ""))


@dataclass(frozen=True)
class LinesChecker:
    """Line by line, trailing whitespace of each line and blank lines at the end ignored."""

    name: str = "lines"

    def check(self, input_data: bytes, expected: bytes, output: bytes) -> CheckResult:
        want, got = _lines(expected), _lines(output)
        if want == got:
            return CheckResult(Verdict.AC)
        return CheckResult(Verdict.WA, _first_difference(want, got, "line"))


@dataclass(frozen=True)
class UnorderedChecker:
    """The same lines (right-stripped) in any order."""

    name: str = "unordered"

    def check(self, input_data: bytes, expected: bytes, output: bytes) -> CheckResult:
        if sorted(_lines(expected)) == sorted(_lines(output)):
            return CheckResult(Verdict.AC)
        return CheckResult(Verdict.WA, "the sets of lines differ")


@dataclass(frozen=True)
class FloatChecker:
    """Tokens match; where both are numbers they may differ by abs_tol or rel_tol (either suffices)."""

    abs_tol: float = 1e-6
    rel_tol: float = 1e-6
    name: str = "float"

    def check(self, input_data: bytes, expected: bytes, output: bytes) -> CheckResult:
        want, got = expected.split(), output.split()
        if len(want) != len(got):
            return CheckResult(Verdict.WA, f"expected {len(want)} tokens, got {len(got)}")
        for i, (w, g) in enumerate(zip(want, got)):
            if w == g:
                continue
            try:
                a, b = float(w), float(g)
            except ValueError:
                return CheckResult(Verdict.WA, f"token {i + 1}: expected {_show(w)}, got {_show(g)}")
            if not (math.isfinite(a) and math.isfinite(b)):
                return CheckResult(Verdict.WA, f"token {i + 1}: expected {_show(w)}, got {_show(g)}")
            if abs(a - b) > self.abs_tol and abs(a - b) > self.rel_tol * abs(a):
                return CheckResult(Verdict.WA, f"token {i + 1}: expected {w.decode()}, got {g.decode()} "
                                               f"(tolerance {self.abs_tol:g} abs / {self.rel_tol:g} rel)")
        return CheckResult(Verdict.AC)


BUILTIN_CHECKERS = {c.name: c for c in (StandardChecker(), ExactChecker(), LinesChecker(), UnorderedChecker(),
                                        FloatChecker())}


CHECKER_CPU_SECONDS = 5.0  # a custom checker's own CPU limit per test


class UnknownChecker(ValueError):
    pass


def builtin_checker(name: str, **options) -> Checker:
    if name == "float":
        return FloatChecker(**{k: float(v) for k, v in options.items() if k in ("abs_tol", "rel_tol")})
    try:
        return BUILTIN_CHECKERS[name]
    except KeyError:
        raise UnknownChecker(f"unknown checker {name!r}; choose one of: "
                             f"{', '.join([*BUILTIN_CHECKERS, 'custom'])}") from None


class CustomChecker:
    """A checker program in any of the five languages, run in the sandbox like a submission.

    It is called testlib-style, `checker input.txt output.txt answer.txt`, in a box holding those
    three files, and decides by its exit code: 0 accepted, 1 wrong answer, anything else (a
    crash, a limit, a compile error, an uncaught exception) is the checker's own failure: IE.
    """

    name = "custom"

    def __init__(self, source: str, language: str, limits=None, sandbox=None, cache=None):
        from ..languages import get_language
        from ..sandbox import Limits

        self.source = source
        self.language = get_language(language)
        self.limits = limits or Limits(cpu_time=CHECKER_CPU_SECONDS, memory_mb=256)
        self._sandbox = sandbox
        self._cache = cache
        self._entry = None

    def _prepared(self):
        from ..sandbox import get_sandbox
        from .compile import prepare

        if self._entry is None:
            self._sandbox = self._sandbox or get_sandbox()
            self._entry = prepare(self._sandbox, self.language, self.source, self._cache)
        return self._entry

    def check(self, input_data: bytes, expected: bytes, output: bytes) -> CheckResult:
        from .execute import run_prepared

        entry = self._prepared()
        if not entry.ok:
            return CheckResult(Verdict.IE, "checker does not compile: " + entry.compile_output[-500:])
        run = run_prepared(
            self._sandbox, entry, self.language, self.source, b"", self.limits,
            args=["input.txt", "output.txt", "answer.txt"],
            files={"input.txt": input_data, "output.txt": output, "answer.txt": expected},
        )
        message = (run.stdout + run.stderr).decode("utf-8", "replace").strip()[:1000]
        stderr = run.stderr.decode("utf-8", "replace")
        crashed = any(marker in stderr for marker in self.language.crash_markers)
        if run.limit_hit is None and run.signal is None and run.exit_code == 0:
            return CheckResult(Verdict.AC, message)
        if run.limit_hit is None and run.signal is None and run.exit_code == 1 and not crashed:
            return CheckResult(Verdict.WA, message or "rejected by the checker")
        return CheckResult(Verdict.IE, f"checker failed (exit {run.exit_code}, signal {run.signal}, "
                                       f"limit {run.limit_hit}): {message}")


@dataclass(frozen=True)
class CheckerConfig:
    """A checker as data: what a problem stores and a job carries, built into a Checker when needed.

    `source` is the custom checker's code (not a path); `language` its language id. The one
    checker shape: jobs carry it (pydantic validates it there, unknown keys refused), problems
    store its dict."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    type: str = "standard"
    abs_tol: float = 1e-6
    rel_tol: float = 1e-6
    source: str | None = None
    language: str | None = None

    def validate(self) -> "CheckerConfig":
        if self.type == "custom":
            if not self.source or not self.language:
                raise UnknownChecker("a custom checker needs its source code and its language")
            from ..languages import get_language

            get_language(self.language)  # raises UnknownLanguage, listing the supported ones
        elif self.type not in BUILTIN_CHECKERS:
            builtin_checker(self.type)  # raises UnknownChecker naming the choices
        if self.abs_tol < 0 or self.rel_tol < 0:
            raise UnknownChecker("checker tolerances must be >= 0")
        return self

    def build(self, sandbox=None, cache=None) -> Checker:
        if self.type == "custom":
            return CustomChecker(self.source or "", self.language or "", sandbox=sandbox, cache=cache)
        return builtin_checker(self.type, abs_tol=self.abs_tol, rel_tol=self.rel_tol)

    def to_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict | None) -> "CheckerConfig":
        return cls(**(data or {}))
