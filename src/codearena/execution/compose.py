"""The executor this process uses, composed from EXECUTION_* settings (the guide's
`executeCodeUnified` is `Execution.executor.run`).

    direct:  DirectExecutor
    queue:   FallbackExecutor(QueueExecutor -> DirectExecutor, with a CircuitBreaker)

Both modes keep a DirectExecutor (queue mode falls back to it) and report the execution
service's health (`health`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from ..sandbox import Sandbox
from .activity import Activity, RecordedExecutor
from .breaker import CircuitBreaker
from .direct import DirectExecutor
from .executor import Executor
from .fallback import FallbackExecutor
from .remote import QueueExecutor, ServiceClient, ServiceHealth
from .settings import ExecutionSettings

log = logging.getLogger("codearena.execution")


@dataclass
class Execution:
    settings: ExecutionSettings
    executor: RecordedExecutor  # the executor of the mode, counted in `activity`
    direct: DirectExecutor
    health: ServiceHealth
    _client: ServiceClient
    activity: Activity

    @property
    def breaker(self) -> CircuitBreaker | None:
        """Queue mode's circuit breaker (its FallbackExecutor's); None in direct mode."""
        inner = self.executor.inner
        return inner.breaker if isinstance(inner, FallbackExecutor) else None

    @property
    def stats(self) -> dict[str, int]:
        """How executions went since start: queue and fallback (queue mode), or direct."""
        inner = self.executor.inner
        return dict(inner.stats) if isinstance(inner, FallbackExecutor) else {"direct": self.activity.total}

    async def service_report(self) -> dict | None:
        """The execution service's own /health answer (workers, slots, backlog), None if unreachable."""
        return await self._client.health_report()

    @property
    def mode(self) -> str:
        return self.settings.mode

    async def aclose(self) -> None:
        await self.executor.aclose()
        if self.executor.inner is not self.direct:  # queue mode: its fallback too
            await self.direct.aclose()
        await self._client.aclose()


class MissingServiceToken(ValueError):
    pass


def compose(settings: ExecutionSettings, service_token: str | None, sandbox: Sandbox | None = None,
            fetch_test_data: Callable[[str], bytes | None] | None = None) -> Execution:
    """`service_token`: EXECUTION_SERVICE_TOKEN, which queue mode needs (the service refuses
    callers without it). `fetch_test_data`: digest -> test data, where jobs name theirs by digest
    (the platform's database): direct runs fetch it into a local cache, queue mode uploads it."""
    if settings.mode == "queue" and not service_token:
        raise MissingServiceToken("EXECUTION_SERVICE_TOKEN must be set when EXECUTION_MODE=queue "
                                  "(the execution service refuses callers without it)")
    direct = DirectExecutor(settings.direct_concurrency, settings.direct_max_waiting, sandbox, fetch_test_data,
                            settings.test_data_cache_mb)
    client = ServiceClient(settings, service_token)
    activity = Activity()
    executor: Executor = direct
    if settings.mode == "queue":
        breaker = CircuitBreaker(settings.breaker_failures, client.healthy, settings.breaker_probe_interval / 1000)
        executor = FallbackExecutor(QueueExecutor(client, settings, fetch_test_data), direct, breaker, activity)
    return Execution(settings, RecordedExecutor(executor, activity), direct,
                     ServiceHealth(client, settings.health_cache_ttl), client, activity)
