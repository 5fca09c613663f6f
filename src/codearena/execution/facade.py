"""The execution facade (the guide's `executeCodeUnified`): every execution endpoint calls this.

EXECUTION_MODE=direct runs jobs on this server's sandbox pool. EXECUTION_MODE=queue sends them
to the execution service and falls back to direct execution when that fails for any reason
(down, timeout, 5xx, an invalid answer, no result within EXECUTION_MAX_POLL_TIME), with a
circuit breaker so that, while the service is down, nobody waits for a timeout. Either way the
caller gets the engine's result types, once. A system failure becomes an IE result, never a 500.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import Awaitable, Callable, TypeVar

from ..engine.judge import JudgeResult
from ..engine.results import ExecutionResult
from ..engine.verdicts import Verdict
from .breaker import CircuitBreaker
from .direct import DirectExecutor, ExecutorBusy, shorten
from .jobs import JudgeJob, RunJob
from .queue_client import QueueClient, QueueFailure
from .settings import ExecutionSettings

log = logging.getLogger("codearena.execution")
R = TypeVar("R", ExecutionResult, JudgeResult)


class ExecutionFacade:
    def __init__(self, settings: ExecutionSettings, direct: DirectExecutor):
        self.settings = settings
        self.direct = direct
        self.queue = QueueClient(settings)  # also probes the service's health in direct mode
        self.breaker = CircuitBreaker(settings.breaker_failures, self.queue.healthy,
                                      settings.breaker_probe_interval / 1000)
        self.stats: Counter[str] = Counter()  # queue, fallback, direct: how executions went
        self._health: tuple[float, bool] = (float("-inf"), False)
        self._health_lock = asyncio.Lock()

    @property
    def mode(self) -> str:
        return self.settings.mode

    async def execute(self, job: RunJob) -> ExecutionResult:
        """executeCodeUnified for a single run."""
        return await self._unified(job, self.direct.run)

    async def judge(self, job: JudgeJob) -> JudgeResult:
        return await self._unified(job, self.direct.judge)

    async def _unified(self, job: RunJob | JudgeJob, run_direct: Callable[[R], Awaitable[R]]) -> R:
        if self.mode == "queue":
            if self.breaker.allows():
                log.info("[EXEC-WRAPPER] Using execution service in queue mode")
                try:
                    result = await self.queue.run(job)
                    self.breaker.record_success()
                    self.stats["queue"] += 1
                    return result
                except QueueFailure as failure:
                    if not failure.overload:
                        self.breaker.record_failure()
                    reason = failure.reason
            else:
                reason = "circuit breaker open after repeated failures"
            log.warning("[EXEC-SERVICE] Queue unavailable, falling back to direct execution (%s)", reason)
            self.stats["fallback"] += 1
        else:
            log.debug("[EXEC-WRAPPER] Using direct execution")
            self.stats["direct"] += 1
        return await self._direct(job, run_direct)

    async def _direct(self, job: RunJob | JudgeJob, run_direct):
        try:
            return await run_direct(job)
        except ExecutorBusy:
            raise
        except Exception as exc:  # noqa: BLE001 - the system's failure is IE, never a 500
            log.exception("[DIRECT-EXEC] Execution failed inside the system: %s", shorten(job.source))
            result_type = JudgeResult if isinstance(job, JudgeJob) else ExecutionResult
            return result_type(Verdict.IE, f"internal error: {exc}", language=job.language)

    async def queue_service_available(self) -> bool:
        """The service's health, probed at most once per EXECUTION_HEALTH_CACHE_TTL."""
        ttl = self.settings.health_cache_ttl / 1000
        checked_at, healthy = self._health
        if time.monotonic() - checked_at < ttl:
            return healthy
        async with self._health_lock:  # one probe at a time; the others reuse its answer
            checked_at, healthy = self._health
            if time.monotonic() - checked_at >= ttl:
                healthy = await self.queue.healthy()
                self._health = (time.monotonic(), healthy)
            return healthy

    async def aclose(self) -> None:
        await self.breaker.close()
        await self.queue.close()
        self.direct.shutdown()
