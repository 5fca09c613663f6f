"""Verdicts, and how a sandbox run's measured facts become one."""

from __future__ import annotations

import enum
import signal as signals

from ..sandbox import LimitHit, RunResult


class Verdict(str, enum.Enum):
    AC = "AC"  # accepted (for a plain run: it ran and exited 0)
    WA = "WA"  # wrong answer
    TLE = "TLE"  # time limit (CPU or wall)
    MLE = "MLE"  # memory limit
    OLE = "OLE"  # output limit
    RE = "RE"  # runtime error: non-zero exit or a signal
    CE = "CE"  # compilation error
    IE = "IE"  # internal error: the system's fault, never the user's


# Signals a program receives when an allocation fails at the memory limit.
_OUT_OF_MEMORY_SIGNALS = {signals.SIGKILL, signals.SIGABRT, signals.SIGSEGV, signals.SIGBUS}


def signal_name(number: int | None) -> str:
    if number is None:
        return ""
    try:
        return signals.Signals(number).name
    except ValueError:
        return f"signal {number}"


def classify_run(run: RunResult, memory_markers: tuple[str, ...] = ()) -> tuple[Verdict, str]:
    """The verdict of a run with no expected output, and a sentence that explains it."""
    if run.notes:
        return Verdict.IE, "; ".join(run.notes)
    if run.limit_hit == LimitHit.CANCELLED:
        return Verdict.IE, "stopped: nobody waits for this run any more"
    if run.limit_hit == LimitHit.OUTPUT:
        return Verdict.OLE, "output limit exceeded"
    if run.limit_hit == LimitHit.CPU_TIME:
        return Verdict.TLE, "time limit exceeded (CPU time)"
    if run.limit_hit == LimitHit.WALL_TIME:
        return Verdict.TLE, "time limit exceeded (wall time)"
    if run.limit_hit == LimitHit.MEMORY:
        return Verdict.MLE, "memory limit exceeded"
    failed = run.signal is not None or run.exit_code != 0
    if failed:
        stderr_tail = run.stderr[-4096:].decode("utf-8", "replace")
        if any(marker in stderr_tail for marker in memory_markers):
            return Verdict.MLE, "memory limit exceeded"
        if run.memory_pressure and (run.signal in _OUT_OF_MEMORY_SIGNALS or run.signal is None):
            return Verdict.MLE, "memory limit exceeded"
    if run.signal is not None:
        if run.signal == signals.SIGXFSZ:
            return Verdict.RE, "file size limit exceeded (SIGXFSZ)"
        return Verdict.RE, f"killed by {signal_name(run.signal)}"
    if run.exit_code != 0:
        return Verdict.RE, f"exited with code {run.exit_code}"
    return Verdict.AC, "ran successfully"
