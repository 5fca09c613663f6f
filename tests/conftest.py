"""Shared fixtures: the real sandbox, and a check that nothing is left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codearena.engine import execute
from codearena.sandbox import Limits, Sandbox


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    if os.geteuid() != 0:
        pytest.skip("the full sandbox needs root (it drops to a per-box uid itself)")
    return Sandbox()


@pytest.fixture
def run(sandbox):
    """run(language, source, stdin="", **limit_overrides) -> ExecutionResult"""

    def _run(language: str, source: str, stdin: str | bytes = "", **limits):
        return execute(source, language, stdin, Limits(**limits), sandbox=sandbox)

    return _run


def leftovers(sandbox: Sandbox) -> list[str]:
    """Everything a finished run could leave: boxes, cgroups, live processes of box uids.

    Zombies are dead and excluded: bwrap's outer process can exit before reaping the namespace's
    pid 1, which the host's init then reaps a moment later."""
    found = [f"box {p}" for p in sandbox.boxes_dir.iterdir()]
    if sandbox.cgroups:
        for base in sandbox.cgroups.bases.values():
            found += [f"cgroup {p}" for p in base.glob("box-*")]
    first = sandbox.settings.uid_base
    last = first + sandbox.settings.slots
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status.read_text().splitlines()
            uid_line = next(line for line in lines if line.startswith("Uid:"))
            state = next(line for line in lines if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if state.split()[1] == "Z":
            continue
        if first <= int(uid_line.split()[1]) <= last:
            found.append(f"process {status.parent.name} (uid {uid_line.split()[1]})")
    return found


@pytest.fixture
def no_leftovers(sandbox):
    """Asserts, after the test, that its runs left nothing behind."""
    yield
    assert leftovers(sandbox) == []
