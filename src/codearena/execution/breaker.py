"""A circuit breaker for the queue path: after `threshold` failures in a row it opens, and every
execution goes straight to direct mode (nobody waits for a timeout) while a background task
probes the service; the first healthy probe closes it again."""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

log = logging.getLogger("codearena.execution.breaker")


class CircuitBreaker:
    def __init__(self, threshold: int, probe: Callable[[], Awaitable[bool]], probe_interval: float):
        self.threshold = threshold
        self.probe = probe
        self.probe_interval = probe_interval
        self.failures = 0
        self.open = False
        self._prober: asyncio.Task | None = None

    def allows(self) -> bool:
        return not self.open

    def record_success(self) -> None:
        self.failures = 0

    def record_failure(self) -> None:
        self.failures += 1
        if not self.open and self.failures >= self.threshold:
            self.open = True
            log.warning("[EXEC-SERVICE] %d queue failures in a row: direct execution until the service "
                        "answers its health probe again", self.failures)
            self._prober = asyncio.create_task(self._probe_until_healthy(), name="queue-probe")

    async def _probe_until_healthy(self) -> None:
        while self.open:
            await asyncio.sleep(self.probe_interval)
            if await self.probe():
                self.open, self.failures = False, 0
                log.info("[EXEC-SERVICE] Execution service healthy again: queue mode resumes")

    async def close(self) -> None:
        if self._prober is not None:
            self._prober.cancel()
            await asyncio.gather(self._prober, return_exceptions=True)
