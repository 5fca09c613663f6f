"""What the facade is asked to do: a single run, or a judging against test cases."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine.checkers import CheckerConfig
from ..engine.judge import TestCase
from ..sandbox import Limits


@dataclass(frozen=True)
class RunJob:
    source: str
    language: str
    stdin: str = ""
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True)
class JudgeJob:
    source: str
    language: str
    tests: tuple[TestCase, ...]
    limits: Limits = field(default_factory=Limits)
    checker: CheckerConfig = field(default_factory=CheckerConfig)
    stop_on_failure: bool = False
