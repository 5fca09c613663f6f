"""Shared fixtures: the real sandbox, and a check that nothing is left behind.

Tiers: tests/unit/ is the unit tier (`make test-unit`: no root, no network service, no
compiler, seconds); everything else is marked `integration` here and needs what it says
(root for the sandbox, Redis, PostgreSQL, the compilers). On a developer's machine a missing
service skips its tests with the reason; `make test` (CI) sets CODEARENA_TESTS_REQUIRE_ALL=1, so
there a missing service fails instead.

The tests' sandbox has its own state directory and its own range of box uids (so its own
cgroups): another CodeArena on this machine (a developer's `make run`) and this test run never
see each other's boxes, and the leftover checks look at this run's state only.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

import pytest

if os.geteuid() == 0:  # before any sandbox reads its settings (worker processes inherit them)
    os.environ.setdefault("CODEARENA_STATE_DIR", "/var/lib/codearena-tests")
    os.environ.setdefault("CODEARENA_UID_BASE", "63000")

from codearena.engine import execute  # noqa: E402
from codearena.sandbox import Limits, Sandbox, keep_boxes  # noqa: E402
from codearena.sandbox.kept import ready_cgroup_name  # noqa: E402
from codearena.sandbox.runner import cgroup_name  # noqa: E402

from .support import missing  # noqa: E402

UNIT_TIER = Path(__file__).parent / "unit"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if UNIT_TIER not in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    if os.geteuid() != 0:
        missing("the full sandbox needs root (it drops to a per-box uid itself)", "run the tests as root")
    with _only_run_in(Path(os.environ["CODEARENA_STATE_DIR"])):
        sandbox = Sandbox()
        sandbox.sweep_stale()  # what an interrupted earlier run of the tests left in their own state directory
        yield sandbox


@contextmanager
def _only_run_in(state_dir: Path) -> Iterator[None]:
    """One test run per state directory: a second one would sweep the first one's boxes away
    (sweep_stale) and both would fail for no reason of theirs. Refused at once, saying how to run
    beside it; the lock dies with its holder."""
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(state_dir / "test-run.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        pytest.exit(f"another test run is using CODEARENA_STATE_DIR={state_dir}; wait for it, or run beside it "
                    "with its own CODEARENA_STATE_DIR and CODEARENA_UID_BASE (say /var/lib/codearena-other and 64000)",
                    returncode=4)
    try:
        yield
    finally:
        os.close(fd)


@pytest.fixture
def box_mode() -> str:
    """How the test's thread gets its boxes: "ready" (kept, started once and reset between runs,
    as direct mode's pool and a worker's slots do) or "one-shot" (built per run). A module
    overrides this fixture to run its tests both ways."""
    return "ready"


@pytest.fixture
def boxes(sandbox, box_mode) -> Iterator[ExitStack]:
    """This thread's boxes in `box_mode`; closing the stack ends a kept box."""
    with ExitStack() as stack:
        if box_mode == "ready":
            stack.enter_context(keep_boxes())
        yield stack


@pytest.fixture
def run(sandbox, boxes):
    """run(language, source, stdin="", **limit_overrides) -> ExecutionResult"""

    def _run(language: str, source: str, stdin: str | bytes = "", **limits):
        return execute(source, language, stdin, Limits(**limits), sandbox=sandbox)

    return _run


def _held_slots(sandbox: Sandbox) -> set[int]:
    """Slots a live holder has: a run in progress, or a long-lived thread's kept box (a direct
    pool or a worker still running in this test session keeps its box started while idle)."""
    held = set()
    for number in range(sandbox.settings.slots):
        slot = sandbox.slots.try_acquire(number)
        if slot is None:
            held.add(number)
        else:
            slot.release()
    return held


def leftovers(sandbox: Sandbox) -> list[str]:
    """Everything a finished run of this sandbox could leave: its boxes, its cgroups, live
    processes of its box uids. A slot a live holder has is its holder's (see _held_slots);
    tests/test_ready_boxes.py checks what a kept box holds between runs.

    Zombies are dead and excluded: bwrap's outer process can exit before reaping the namespace's
    pid 1, which the host's init then reaps a moment later."""
    held = _held_slots(sandbox)
    found = [f"box {p}" for p in sandbox.boxes_dir.iterdir() if not (p.name.isdigit() and int(p.name) in held)]
    first = sandbox.settings.uid_base
    last = first + sandbox.settings.slots
    free_uids = [uid for uid in range(first, last) if uid - first not in held]
    if sandbox.cgroups:
        for base in sandbox.cgroups.bases.values():
            found += [f"cgroup {base / name(uid)}" for uid in free_uids for name in (cgroup_name, ready_cgroup_name)
                      if (base / name(uid)).exists()]
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status.read_text().splitlines()
            uid_line = next(line for line in lines if line.startswith("Uid:"))
            state = next(line for line in lines if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if state.split()[1] == "Z":
            continue
        uid = int(uid_line.split()[1])
        if first <= uid <= last and uid - first not in held:
            found.append(f"process {status.parent.name} (uid {uid})")
    return found


@pytest.fixture
def no_leftovers(sandbox, boxes):
    """Asserts, after the test, that its runs left nothing behind (a kept box is ended first:
    what is left then is what the runs left)."""
    yield
    boxes.close()
    assert leftovers(sandbox) == []
