"""The platform's client of the execution service (queue mode): submit a job, wait for its result.

Waiting uses the service's `wait` (the answer comes as soon as the result exists); where a wait
comes back early without a result (a service without `wait`), polls are paced by
EXECUTION_POLL_INTERVAL. EXECUTION_MAX_POLL_TIME bounds the whole wait, EXECUTION_TIMEOUT each
request. Every way this can go wrong raises QueueFailure with a reason, for the facade to fall
back on; a job given up on is cancelled (best effort) so that it does not run for nobody.
"""

from __future__ import annotations

import asyncio
import uuid
import logging
import time

import httpx

from ..engine.judge import JudgeResult
from ..engine.results import ExecutionResult
from ..engine.verdicts import Verdict
from .jobs import JudgeJob, RunJob
from .settings import ExecutionSettings

log = logging.getLogger("codearena.execution.queue")
MAX_SERVICE_WAIT = 60.0  # the service holds a request at most this long
REQUEST_MARGIN = 1.0  # seconds of EXECUTION_TIMEOUT kept for the answer itself, past the wait
CLIENT_KEEP_ALIVE = 2.0  # seconds an idle pooled connection to the service is kept (< the service's 75 s)


class QueueFailure(Exception):
    """The queue path failed; `reason` says how (for the log and the fallback). `overload` is a
    healthy service that is full (backlog limit): load, not a fault, so it does not trip the
    circuit breaker."""

    def __init__(self, reason: str, job_id: str | None = None, overload: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.job_id = job_id
        self.overload = overload


def job_payload(job: RunJob | JudgeJob) -> dict:
    from ..queue.protocol import JobRequest  # the service's own request shape

    return JobRequest.from_job(job).model_dump(mode="json", exclude_none=True)


def parse_result(record: object, job: RunJob | JudgeJob) -> ExecutionResult | JudgeResult:
    """The record's result as the engine's type, or QueueFailure if it is not a valid one."""
    try:
        result = record["result"]  # type: ignore[index]
        Verdict(result["verdict"])
        if isinstance(job, RunJob):
            parsed = ExecutionResult.from_dict(result)
            if not isinstance(parsed.stdout, str) or not isinstance(parsed.time, (int, float)):
                raise TypeError("stdout or time of the wrong type")
            return parsed
        return JudgeResult.from_dict(result)
    except (KeyError, TypeError, ValueError) as exc:
        raise QueueFailure(f"the service answered something that is not a valid result ({exc})") from None


class QueueClient:
    def __init__(self, settings: ExecutionSettings):
        self.settings = settings
        headers = {"Authorization": f"Bearer {settings.service_token}"} if settings.service_token else {}
        # Each job in flight holds one connection while it waits; the gate keeps them within the
        # pool, so a burst waits here (its users' requests are open anyway) instead of failing.
        self.gate = asyncio.Semaphore(settings.queue_concurrency)
        self.http = httpx.AsyncClient(
            base_url=settings.queue_url, headers=headers, timeout=settings.timeout / 1000,
            # A pooled connection is dropped well before the service's keep-alive timeout
            # (SERVICE_KEEP_ALIVE): reusing one the server is closing at that moment loses the
            # request (ReadError), and a POST is not retried.
            limits=httpx.Limits(max_connections=settings.queue_concurrency + 16,
                                max_keepalive_connections=settings.queue_concurrency + 16,
                                keepalive_expiry=CLIENT_KEEP_ALIVE),
        )

    async def close(self) -> None:
        await self.http.aclose()

    def _wait_for(self, remaining: float) -> float:
        return max(0.0, min(remaining, MAX_SERVICE_WAIT, self.settings.timeout / 1000 - REQUEST_MARGIN))

    async def _request(self, method: str, path: str, **kwargs) -> dict:
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

    async def run(self, job: RunJob | JudgeJob) -> ExecutionResult | JudgeResult:
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

    async def _run(self, job: RunJob | JudgeJob, started: float) -> ExecutionResult | JudgeResult:
        budget = self.settings.max_poll_time / 1000
        remaining = lambda: budget - (time.monotonic() - started)  # noqa: E731
        wait = self._wait_for(remaining())
        job_id = uuid.uuid4().hex  # chosen here: a job can be cancelled even before the service answers
        submitted = False
        try:
            record = await self._request("POST", "/jobs", params={"wait": round(wait, 3), "id": job_id},
                                         json=job_payload(job))
            submitted = True
            while record.get("state") != "done":
                if record.get("state") == "cancelled":
                    raise QueueFailure("the job was cancelled in the queue", job_id)
                if remaining() <= 0:
                    raise QueueFailure(f"no result within EXECUTION_MAX_POLL_TIME={self.settings.max_poll_time} ms",
                                       job_id)
                wait = self._wait_for(remaining())
                asked = time.monotonic()
                record = await self._request("GET", f"/jobs/{job_id}", params={"wait": round(wait, 3)})
                if record.get("state") != "done" and time.monotonic() - asked < wait / 2:
                    # Came back early without a result: this service does not hold requests; poll.
                    await asyncio.sleep(min(self.settings.poll_interval / 1000, max(remaining(), 0)))
            return parse_result(record, job)
        except QueueFailure as failure:
            if submitted:  # (a service that failed to answer the POST is not asked again here)
                failure.job_id = job_id
                await self.cancel(job_id)
            raise
        except asyncio.CancelledError:
            # Nobody waits for it any more (its client went away): the worker stops it.
            await asyncio.shield(self.cancel(job_id))
            raise

    async def cancel(self, job_id: str) -> None:
        """Best effort: a job we stopped waiting for should not run for nobody."""
        try:
            await self.http.delete(f"/jobs/{job_id}", timeout=2.0)
        except httpx.HTTPError:
            pass

    async def healthy(self) -> bool:
        try:
            answer = await self.http.get("/health", timeout=min(2.0, self.settings.timeout / 1000))
            return answer.status_code == 200 and answer.json().get("status") == "healthy"
        except (httpx.HTTPError, ValueError):
            return False
