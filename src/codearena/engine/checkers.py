"""Checkers: does a program's output answer the test? Built-in comparisons, or a checker program.

A checker returns AC or WA, and IE when it cannot decide (a custom checker that crashed):
the system's failure is never the contestant's wrong answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from .verdicts import Verdict


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    message: str = ""


class Checker(Protocol):
    name: str

    def check(self, input_data: bytes, expected: bytes, output: bytes) -> CheckResult: ...


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
