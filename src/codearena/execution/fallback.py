"""Queue mode as users see it: the queue executor, and direct execution whenever the queue path
fails for any reason (down, timeout, 5xx, an invalid answer, no result within
EXECUTION_MAX_POLL_TIME). A circuit breaker sends everything direct while the service is down,
so that nobody waits for a timeout. One answer either way, logged with its reason."""

from __future__ import annotations

import logging
from collections import Counter

from .activity import Activity
from .breaker import CircuitBreaker
from .contract import Job, Result
from .direct import DirectExecutor
from .executor import OnTest
from .remote import QueueExecutor, QueueFailure

log = logging.getLogger("codearena.execution")


class FallbackExecutor:
    def __init__(self, primary: QueueExecutor, fallback: DirectExecutor, breaker: CircuitBreaker,
                 activity: Activity | None = None):
        self.primary = primary
        self.fallback = fallback
        self.breaker = breaker
        self.activity = activity or Activity()  # each fallback, with its reason
        self.stats: Counter[str] = Counter()  # queue, fallback: how executions went

    async def run(self, job: Job, on_test: OnTest | None = None) -> Result:
        if self.breaker.allows():
            log.info("[EXEC-WRAPPER] Using execution service in queue mode")
            try:
                result = await self.primary.run(job, on_test)
                self.breaker.record_success()
                self.stats["queue"] += 1
                return result
            except QueueFailure as failure:
                if failure.fault:
                    self.breaker.record_failure()
                reason = failure.reason
        else:
            reason = "circuit breaker open after repeated failures"
        log.warning("[EXEC-SERVICE] Queue unavailable, falling back to direct execution (%s)", reason)
        self.stats["fallback"] += 1
        self.activity.note("fallback", reason)
        return await self.fallback.run(job, on_test)

    async def aclose(self) -> None:
        await self.breaker.close()
        await self.primary.aclose()
