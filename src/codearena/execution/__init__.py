"""Layer 4: the one execution facade the apps call (the guide's `executeCodeUnified`).

Routes hand it a RunJob or a JudgeJob and get the engine's result types back, whatever the
mode: direct (this process's sandbox) or, later, queue (the execution service).
"""

from .direct import DirectExecutor, ExecutorBusy
from .facade import ExecutionFacade
from .jobs import JudgeJob, RunJob
from .settings import ExecutionSettings

__all__ = ["DirectExecutor", "ExecutionFacade", "ExecutionSettings", "ExecutorBusy", "JudgeJob", "RunJob"]
