"""Running a job in this process's sandbox: what direct mode and the queue's workers both do.

The one place where the job contract meets the engine's calls.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from ..engine.execute import execute
from ..engine.judge import TestResult, judge
from ..sandbox import Sandbox
from .contract import Job, Result


def run_job(job: Job, sandbox: Sandbox, cancel: threading.Event | None = None,
            resolve: Callable[[str], Path] | None = None,
            on_test: Callable[[TestResult], None] | None = None) -> Result:
    """Run `job` in this thread. Setting `cancel` (from another thread) stops it: nobody waits
    for its result any more. `resolve`: where test data named by digest is (a worker's cache).
    `on_test`: told each test's result as it is judged (in this thread). Raises only for the
    system's own failures."""
    limits = job.limits.to_limits()
    program = {"files": job.file_data(), "compiler_options": job.compiler_options}
    if job.kind == "run":
        return execute(job.source, job.language, job.stdin, limits, sandbox=sandbox, args=job.args,
                       merge_stderr=job.merge_stderr, runs=job.runs, cancel=cancel, **program)
    return judge(job.source, job.language, job.test_cases(resolve), limits, checker=job.checker.build(sandbox=sandbox),
                 stop_on_failure=job.stop_on_failure, sandbox=sandbox, cancel=cancel, on_test_done=on_test, **program)
