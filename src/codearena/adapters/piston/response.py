"""The engine's result as Piston v2 answers it: a `compile` stage for compiled languages, a `run`
stage unless the compilation failed (Piston then answers the compile stage alone)."""

from __future__ import annotations

import signal

from .request import Runtime

# Piston's run statuses: RE runtime error, SG killed by a signal, TO timed out, OL/EL output too long, XX internal.
STATUS = {"RE": "RE", "TLE": "TO", "MLE": "SG", "OLE": "OL", "IE": "XX"}


def _signal_name(number: int | None) -> str | None:
    if number is None:
        return None
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _stage(stdout: str, stderr: str, code: int | None, signal_number: int | None, size: int, **extra) -> dict:
    stdout, stderr = stdout[:size], stderr[:size]
    return {"stdout": stdout, "stderr": stderr, "output": stdout + stderr, "code": code,
            "signal": _signal_name(signal_number), **extra}


def execute_view(runtime: Runtime, result: dict, size: int) -> dict:
    view: dict = {"language": runtime.language.id, "version": runtime.version}
    verdict = result.get("verdict")
    if runtime.language.compile is not None:
        failed = verdict == "CE"
        view["compile"] = _stage("", result.get("compile_output", ""), 1 if failed else 0, None, size)
        if failed:
            return view
    status = STATUS.get(verdict)
    view["run"] = _stage(result.get("stdout", ""), result.get("stderr", ""), result.get("exit_code"),
                         result.get("signal"), size, message=result.get("message") if status else None,
                         status=status, cpu_time=round(result.get("time", 0) * 1000),
                         wall_time=round(result.get("wall_time", 0) * 1000), memory=result.get("memory", 0) * 1024)
    return view
