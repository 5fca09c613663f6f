"""Queue mode's executor: the job goes to the execution service, which queues it for the workers.

Waiting uses the service's `wait` (the answer comes as soon as the result exists); where a wait
comes back early without a result (a service without `wait`), polls are paced by
EXECUTION_POLL_INTERVAL. EXECUTION_MAX_POLL_TIME bounds the whole wait, EXECUTION_TIMEOUT each
request. Every way this can go wrong raises QueueFailure with a reason, for the fallback to act
on; a job given up on is cancelled (best effort) so that it does not run for nobody.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

import httpx

from .contract import MAX_WAIT_SECONDS, Job, Result
from .settings import ExecutionSettings

log = logging.getLogger("codearena.execution.queue")
REQUEST_MARGIN = 1.0  # seconds of EXECUTION_TIMEOUT kept for the answer itself, past the wait
CLIENT_KEEP_ALIVE = 2.0  # seconds an idle pooled connection to the service is kept (< the service's 75 s)
HEALTH_TIMEOUT = 2.0


class QueueFailure(Exception):
    """The queue path failed; `reason` says how (for the log and the fallback). `overload` is a
    healthy service that is full (backlog limit): load, not a fault, so it does not trip the
    circuit breaker."""

    def __init__(self, reason: str, job_id: str | None = None, overload: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.job_id = job_id
        self.overload = overload


class ServiceClient:
    """HTTP to the execution service: its job API and its health."""

    def __init__(self, settings: ExecutionSettings, token: str | None):
        self.settings = settings
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        connections = settings.queue_concurrency + 16
        self.http = httpx.AsyncClient(
            base_url=settings.queue_url, headers=headers, timeout=settings.timeout / 1000,
            # A pooled connection is dropped well before the service's keep-alive timeout: reusing
            # one the server is closing at that moment loses the request (ReadError), and a POST
            # is not retried.
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections,
                                keepalive_expiry=CLIENT_KEEP_ALIVE),
        )

    async def request(self, method: str, path: str, **kwargs) -> dict:
        """A job record (the service answered 200 or 202 with one), or QueueFailure saying why not."""
        try:
            answer = await self.http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise QueueFailure(f"no answer within EXECUTION_TIMEOUT={self.settings.timeout} ms") from None
        except httpx.TransportError as exc:
            raise QueueFailure(f"service unreachable: {exc.__class__.__name__}: {exc}") from None
        if answer.status_code >= 500:
            raise QueueFailure(f"service answered {answer.status_code}: {answer.text[:200]}",
                               overload=answer.headers.get("X-Queue-Full") == "true")
        if answer.status_code not in (200, 202):
            raise QueueFailure(f"service refused the job ({answer.status_code}): {answer.text[:200]}")
        try:
            body = answer.json()
        except ValueError:
            raise QueueFailure(f"service answered {answer.status_code} with something that is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise QueueFailure("service answered JSON that is not a job")
        return body

    async def cancel(self, job_id: str) -> None:
        """Best effort: a job we stopped waiting for should not run for nobody."""
        try:
            await self.http.delete(f"/jobs/{job_id}", timeout=HEALTH_TIMEOUT)
        except httpx.HTTPError:
            pass

    async def healthy(self) -> bool:
        try:
            answer = await self.http.get("/health", timeout=min(HEALTH_TIMEOUT, self.settings.timeout / 1000))
            return answer.status_code == 200 and answer.json().get("status") == "healthy"
        except (httpx.HTTPError, ValueError):
            return False

    async def aclose(self) -> None:
        await self.http.aclose()


class ServiceHealth:
    """The service's health, probed at most once per EXECUTION_HEALTH_CACHE_TTL (both modes
    report it)."""

    def __init__(self, client: ServiceClient, ttl_ms: int):
        self.client = client
        self.ttl = ttl_ms / 1000
        self._last: tuple[float, bool] = (float("-inf"), False)
        self._lock = asyncio.Lock()

    async def available(self) -> bool:
        checked_at, healthy = self._last
        if time.monotonic() - checked_at < self.ttl:
            return healthy
        async with self._lock:  # one probe at a time; the others reuse its answer
            checked_at, healthy = self._last
            if time.monotonic() - checked_at >= self.ttl:
                healthy = await self.client.healthy()
                self._last = (time.monotonic(), healthy)
            return healthy


class QueueExecutor:
    def __init__(self, client: ServiceClient, settings: ExecutionSettings):
        self.client = client
        self.settings = settings
        # Each job in flight holds one connection while it waits; the gate keeps them within the
        # pool, so a burst waits here (its users' requests are open anyway) instead of failing.
        self.gate = asyncio.Semaphore(settings.queue_concurrency)

    def _wait_for(self, remaining: float) -> float:
        return max(0.0, min(remaining, MAX_WAIT_SECONDS, self.settings.timeout / 1000 - REQUEST_MARGIN))

    async def run(self, job: Job) -> Result:
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.settings.max_poll_time / 1000):
                await self.gate.acquire()
        except TimeoutError:
            raise QueueFailure(f"no free queue slot within EXECUTION_MAX_POLL_TIME={self.settings.max_poll_time} ms",
                               overload=True) from None
        try:
            return await self._run(job, started)
        finally:
            self.gate.release()

    async def _run(self, job: Job, started: float) -> Result:
        budget = self.settings.max_poll_time / 1000
        remaining = lambda: budget - (time.monotonic() - started)  # noqa: E731
        wait = self._wait_for(remaining())
        job_id = uuid.uuid4().hex  # chosen here: a job can be cancelled even before the service answers
        submitted = False
        try:
            record = await self.client.request("POST", "/jobs", params={"wait": round(wait, 3), "id": job_id},
                                               content=job.model_dump_json(exclude_none=True),
                                               headers={"Content-Type": "application/json"})
            submitted = True
            while record.get("state") != "done":
                if record.get("state") == "cancelled":
                    raise QueueFailure("the job was cancelled in the queue", job_id)
                if remaining() <= 0:
                    raise QueueFailure(f"no result within EXECUTION_MAX_POLL_TIME={self.settings.max_poll_time} ms",
                                       job_id)
                wait = self._wait_for(remaining())
                asked = time.monotonic()
                record = await self.client.request("GET", f"/jobs/{job_id}", params={"wait": round(wait, 3)})
                if record.get("state") != "done" and time.monotonic() - asked < wait / 2:
                    # Came back early without a result: this service does not hold requests; poll.
                    await asyncio.sleep(min(self.settings.poll_interval / 1000, max(remaining(), 0)))
            try:
                return job.result_from_dict(record.get("result"))
            except ValueError as exc:
                raise QueueFailure(f"the service answered something that is not a valid result ({exc})") from None
        except QueueFailure as failure:
            if submitted:  # (a service that failed to answer the POST is not asked again here)
                failure.job_id = job_id
                await self.client.cancel(job_id)
            raise
        except asyncio.CancelledError:
            # Nobody waits for it any more (its client went away): the worker stops it.
            await asyncio.shield(self.client.cancel(job_id))
            raise

    async def aclose(self) -> None:
        """The client is the composition's (it also probes the service's health)."""
