"""The execution facade: every execution endpoint calls this, never the engine directly.

Today it runs everything in direct mode; the queue client and the fallback to direct plug in
here (EXECUTION_MODE=queue) without a route changing.
"""

from __future__ import annotations

import logging

from ..engine.judge import JudgeResult
from ..engine.results import ExecutionResult
from ..engine.verdicts import Verdict
from .direct import DirectExecutor, ExecutorBusy
from .jobs import JudgeJob, RunJob
from .settings import ExecutionSettings

log = logging.getLogger("codearena.execution")


class ExecutionFacade:
    def __init__(self, settings: ExecutionSettings, direct: DirectExecutor):
        self.settings = settings
        self.direct = direct

    @property
    def mode(self) -> str:
        return self.settings.mode

    async def execute(self, job: RunJob) -> ExecutionResult:
        """executeCodeUnified for a single run."""
        log.debug("[EXEC-WRAPPER] Using direct execution (mode=%s)", self.mode)
        try:
            return await self.direct.run(job)
        except ExecutorBusy:
            raise
        except Exception as exc:  # noqa: BLE001 - the system's failure is IE, never a 500
            log.exception("[EXEC-WRAPPER] Execution failed inside the system")
            return ExecutionResult(Verdict.IE, f"internal error: {exc}", language=job.language)

    async def judge(self, job: JudgeJob) -> JudgeResult:
        log.debug("[EXEC-WRAPPER] Using direct execution for judging (mode=%s)", self.mode)
        try:
            return await self.direct.judge(job)
        except ExecutorBusy:
            raise
        except Exception as exc:  # noqa: BLE001
            log.exception("[EXEC-WRAPPER] Judging failed inside the system")
            return JudgeResult(Verdict.IE, f"internal error: {exc}", language=job.language)

    async def queue_service_available(self) -> bool:
        # The queue client (EXECUTION_MODE=queue) replaces this with a cached probe of its /health.
        return False

    def close(self) -> None:
        self.direct.shutdown()
