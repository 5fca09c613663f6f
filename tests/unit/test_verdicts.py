"""Verdict classification and limit validation: pure functions, no sandbox."""

import signal

import pytest

from codearena.engine.verdicts import Verdict, classify_run
from codearena.sandbox import LimitHit, Limits, RunResult


def result(**kw):
    base = dict(exit_code=0, signal=None, cpu_time=0.1, wall_time=0.1, memory_kb=1000)
    return RunResult(**{**base, **kw})


@pytest.mark.parametrize("kwargs,verdict", [
    ({}, Verdict.AC),
    ({"exit_code": 1}, Verdict.RE),
    ({"exit_code": None, "signal": signal.SIGSEGV}, Verdict.RE),
    ({"exit_code": None, "signal": signal.SIGKILL, "limit_hit": LimitHit.CPU_TIME}, Verdict.TLE),
    ({"exit_code": None, "signal": signal.SIGKILL, "limit_hit": LimitHit.WALL_TIME}, Verdict.TLE),
    ({"exit_code": None, "signal": signal.SIGKILL, "limit_hit": LimitHit.MEMORY}, Verdict.MLE),
    ({"limit_hit": LimitHit.OUTPUT}, Verdict.OLE),
    ({"exit_code": 1, "memory_pressure": True}, Verdict.MLE),
    ({"exit_code": None, "signal": signal.SIGABRT, "memory_pressure": True}, Verdict.MLE),
    ({"exit_code": None, "signal": signal.SIGSEGV, "memory_pressure": False}, Verdict.RE),
    ({"exit_code": 0, "memory_pressure": True}, Verdict.AC),  # it coped with the limit
    ({"notes": ["sandbox failure: bwrap: oops"]}, Verdict.IE),
])
def test_classify_run(kwargs, verdict):
    assert classify_run(result(**kwargs))[0] == verdict


def test_memory_marker_only_counts_for_a_failing_run():
    markers = ("java.lang.OutOfMemoryError",)
    failing = result(exit_code=1, stderr=b"Exception in thread main java.lang.OutOfMemoryError: Java heap space")
    passing = result(exit_code=0, stderr=b"java.lang.OutOfMemoryError")
    assert classify_run(failing, markers)[0] == Verdict.MLE
    assert classify_run(passing, markers)[0] == Verdict.AC


@pytest.mark.parametrize("changes", [{"cpu_time": 0}, {"cpu_time": 1000}, {"memory_mb": 1}, {"processes": 0},
                                     {"stdout_bytes": 0}, {"open_files": 2}, {"wall_time": -1}])
def test_invalid_limits_are_rejected_with_the_field_name(changes):
    with pytest.raises(ValueError) as err:
        Limits(**changes).validate()
    assert next(iter(changes)) in str(err.value)


def test_wall_time_defaults_from_cpu_time():
    assert Limits(cpu_time=2).effective_wall_time() == 5.0
    assert Limits(cpu_time=2, wall_time=3).effective_wall_time() == 3
