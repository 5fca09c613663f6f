"""What a sandboxed run may use, and what it measurably did."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

MIB = 1024 * 1024


class LimitHit(str, enum.Enum):
    """Which limit ended a run (None in RunResult means no limit was hit)."""

    CPU_TIME = "cpu_time"
    WALL_TIME = "wall_time"
    MEMORY = "memory"
    OUTPUT = "output"
    CANCELLED = "cancelled"  # stopped because nobody waits for it any more (its client went away)


@dataclass(frozen=True)
class Limits:
    """Per-run limits. Times in seconds, sizes in MiB unless the name says bytes."""

    cpu_time: float = 2.0
    wall_time: float | None = None  # None: derived from cpu_time (see effective_wall_time)
    memory_mb: int = 256
    processes: int = 64  # processes *and* threads
    stdout_bytes: int = 1 * MIB
    stderr_bytes: int = 64 * 1024
    file_size_mb: int = 16  # largest single file the program may write
    disk_mb: int = 64  # everything written in the box, /tmp and /dev/shm together
    open_files: int = 64
    stack_mb: int = 64

    def effective_wall_time(self) -> float:
        # Generous enough for I/O and start-up, tight enough to stop sleepers quickly.
        return self.wall_time if self.wall_time is not None else self.cpu_time * 2 + 1.0

    def with_changes(self, **changes) -> "Limits":
        return replace(self, **changes)

    def validate(self) -> "Limits":
        problems = []
        if not 0 < self.cpu_time <= 60:
            problems.append("cpu_time must be in (0, 60] seconds")
        if self.wall_time is not None and not 0 < self.wall_time <= 120:
            problems.append("wall_time must be in (0, 120] seconds")
        if not 4 <= self.memory_mb <= 8192:
            problems.append("memory_mb must be in [4, 8192]")
        if not 1 <= self.processes <= 1024:
            problems.append("processes must be in [1, 1024]")
        for name in ("stdout_bytes", "stderr_bytes"):
            if not 0 < getattr(self, name) <= 64 * MIB:
                problems.append(f"{name} must be in (0, 64 MiB]")
        if not 1 <= self.disk_mb <= 4096 or not 1 <= self.file_size_mb <= 4096:
            problems.append("disk_mb and file_size_mb must be in [1, 4096]")
        if not 8 <= self.open_files <= 4096:
            problems.append("open_files must be in [8, 4096]")
        if not 1 <= self.stack_mb <= 1024:
            problems.append("stack_mb must be in [1, 1024]")
        if problems:
            raise ValueError("; ".join(problems))
        return self


@dataclass
class RunResult:
    """Measured facts about one sandboxed run. No verdicts here: that is the engine's job."""

    exit_code: int | None  # None when killed by a signal
    signal: int | None
    cpu_time: float  # seconds, whole process tree
    wall_time: float  # seconds
    memory_kb: int  # peak resident memory of the whole tree (0 when not measurable)
    stdout: bytes = b""
    stderr: bytes = b""
    limit_hit: LimitHit | None = None
    memory_pressure: bool = False  # the memory limit was reached at some point (an allocation failed)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.limit_hit is None and self.signal is None and self.exit_code == 0
