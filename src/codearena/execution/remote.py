"""Queue mode's executor: the job goes to the execution service, which queues it for the workers.

One request, one run of the program:
- The job is refused at once when no worker is live (the service answers 503 X-No-Worker):
  nobody would run it.
- EXECUTION_MAX_POLL_TIME bounds the wait for a worker to *start* the job. Not started by then
  (a backlog): it is cancelled only if still queued (atomically, so it never starts), and the
  caller runs it elsewhere. Started: its result is waited for, up to the job's own time budget
  plus RUN_MARGIN, however long that is; past it the run is stopped on its worker.
- A submission whose answer was lost (a timeout) is cancelled by id; the service remembers a
  cancel that arrives before its job, so that job never runs for nobody.
Waiting uses the service's `wait` (the answer comes as soon as the result exists); where a wait
comes back early without a result (a service without `wait`), polls are paced by
EXECUTION_POLL_INTERVAL; EXECUTION_TIMEOUT bounds each request. Every way this can go wrong
raises QueueFailure with a reason, and says whether it is a fault of the queue path (for the
circuit breaker) or load (a full backlog, a slow start: not a fault).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Callable

import httpx

from ..engine.judge import TestResult
from .contract import MAX_WAIT_SECONDS, Job, Result
from .executor import OnTest
from .pools import PooledClient
from .settings import ExecutionSettings

log = logging.getLogger("codearena.execution.queue")
REQUEST_MARGIN = 1.0  # seconds of EXECUTION_TIMEOUT kept for the answer itself, past the wait
RUN_MARGIN = 10.0  # seconds past a started job's own budget before it is given up on
CLIENT_KEEP_ALIVE = 2.0  # seconds an idle pooled connection to the service is kept (< the service's 75 s)
HEALTH_TIMEOUT = 2.0


class QueueFailure(Exception):
    """The queue path failed; `reason` says how (for the log and the fallback). `fault`: the
    queue path is broken (unreachable, 5xx, an invalid answer, no live worker): the circuit
    breaker counts it; load (a full backlog, a job not started in time) and refusals (4xx) are
    not faults. `answered`: the service answered (else a submission may or may not have arrived)."""

    def __init__(self, reason: str, job_id: str | None = None, fault: bool = True, answered: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.job_id = job_id
        self.fault = fault
        self.answered = answered


class ServiceClient:
    """HTTP to the execution service: its job API and its health."""

    def __init__(self, settings: ExecutionSettings, token: str | None):
        self.settings = settings
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = PooledClient(
            settings.queue_concurrency + 16, base_url=settings.queue_url, headers=headers,
            timeout=settings.timeout / 1000,
            # A pooled connection is dropped well before the service's keep-alive timeout: reusing
            # one the server is closing at that moment loses the request (ReadError), and a POST
            # is not retried.
            keepalive_expiry=CLIENT_KEEP_ALIVE,
        )

    async def _send(self, method: str, path: str, **kwargs) -> httpx.Response:
        """The service's answer, or QueueFailure when there is none (a timeout, unreachable)."""
        try:
            return await self.http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise QueueFailure(f"no answer within EXECUTION_TIMEOUT={self.settings.timeout} ms",
                               answered=False) from None
        except httpx.TransportError as exc:
            raise QueueFailure(f"service unreachable: {exc.__class__.__name__}: {exc}", answered=False) from None

    @staticmethod
    def _body(answer: httpx.Response, what: str) -> dict:
        try:
            body = answer.json()
        except ValueError:
            raise QueueFailure(f"service answered {answer.status_code} with something that is not JSON") from None
        if not isinstance(body, dict):
            raise QueueFailure(f"service answered JSON that is not {what}")
        return body

    async def request(self, method: str, path: str, **kwargs) -> dict:
        """A job record (the service answered 200 or 202 with one), or QueueFailure saying why not."""
        answer = await self._send(method, path, **kwargs)
        if answer.status_code >= 500:
            raise QueueFailure(f"service answered {answer.status_code}: {answer.text[:200]}",
                               fault=answer.headers.get("X-Queue-Full") != "true")
        if answer.status_code not in (200, 202):
            raise QueueFailure(f"service refused the job ({answer.status_code}): {answer.text[:200]}", fault=False)
        body = self._body(answer, "a job")
        if not isinstance(body.get("id"), str):
            raise QueueFailure("service answered JSON that is not a job")
        return body

    async def upload(self, names: set[str], data: dict[str, bytes],
                     fetch: Callable[[str], bytes | None] | None) -> None:
        """Store the test data a job names beside the queue, only what is not there yet: from
        `data` (digest -> bytes) or, else, `fetch` (run in a thread: a database)."""
        if not names:
            return
        missing = await self._json("POST", "/data/missing", json={"sha256": sorted(names)})
        for name in missing.get("missing", []):
            blob = data.get(name)
            if blob is None and fetch is not None:
                blob = await asyncio.to_thread(fetch, name)
            if blob is None:
                raise QueueFailure(f"test data {name} the job names is nowhere to be found", fault=False)
            await self._json("PUT", f"/data/{name}", content=blob, headers={"Content-Type": "application/octet-stream"})

    async def _json(self, method: str, path: str, **kwargs) -> dict:
        answer = await self._send(method, path, **kwargs)
        if answer.status_code >= 300:
            raise QueueFailure(f"service answered {answer.status_code} to {method} {path.split('/')[1]}: "
                               f"{answer.text[:200]}", fault=answer.status_code >= 500)
        return self._body(answer, "an object")

    async def cancel(self, job_id: str) -> None:
        """Best effort: a job we stopped waiting for should not run for nobody (a queued one is
        cancelled, a running one stopped, an unknown one refused if it arrives later)."""
        try:
            await self.http.delete(f"/jobs/{job_id}", timeout=HEALTH_TIMEOUT)
        except httpx.HTTPError:
            pass

    async def cancel_if_queued(self, job_id: str) -> bool:
        """True if the job was still queued and is now cancelled (it will never start); False if
        a worker has it (or it ended)."""
        try:
            answer = await self.http.delete(f"/jobs/{job_id}", params={"if_queued": "true"}, timeout=HEALTH_TIMEOUT)
        except httpx.HTTPError as exc:
            raise QueueFailure(f"could not cancel a job that did not start: {exc.__class__.__name__}: {exc}",
                               job_id) from None
        return answer.status_code == 200 and answer.json().get("state") == "cancelled"

    async def healthy(self) -> bool:
        report = await self.health_report()
        return report is not None and report.get("status") == "healthy"

    async def health_report(self) -> dict | None:
        """The service's /health body (a 503 has one too: Redis down), None when it does not answer."""
        try:
            answer = await self.http.get("/health", timeout=min(HEALTH_TIMEOUT, self.settings.timeout / 1000))
            body = answer.json()
        except (httpx.HTTPError, ValueError):
            return None
        return body if isinstance(body, dict) else None

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
    def __init__(self, client: ServiceClient, settings: ExecutionSettings,
                 fetch_test_data: Callable[[str], bytes | None] | None = None):
        self.client = client
        self.settings = settings
        self.fetch_test_data = fetch_test_data
        # Each job in flight holds one connection while it waits; the gate keeps them within the
        # pool, so a burst waits here (its users' requests are open anyway) instead of failing.
        self.gate = asyncio.Semaphore(settings.queue_concurrency)

    def _wait_for(self, remaining: float) -> float:
        return max(0.0, min(remaining, MAX_WAIT_SECONDS, self.settings.timeout / 1000 - REQUEST_MARGIN))

    async def run(self, job: Job, on_test: OnTest | None = None) -> Result:
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.settings.max_poll_time / 1000):
                await self.gate.acquire()
        except TimeoutError:
            raise QueueFailure(f"no free queue slot within EXECUTION_MAX_POLL_TIME={self.settings.max_poll_time} ms",
                               fault=False) from None
        try:
            return await self._run(job, started, on_test if job.kind == "judge" else None)
        finally:
            self.gate.release()

    async def _run(self, job: Job, submitted_at: float, on_test: OnTest | None = None) -> Result:
        start_by = submitted_at + self.settings.max_poll_time / 1000  # a worker must have started it by then
        finish_by: float | None = None  # once started: its budget plus RUN_MARGIN
        job_id = uuid.uuid4().hex  # chosen here: a job can be cancelled even before the service answers
        submitted = False
        told = 0  # tests already told to on_test: the service answers those judged after them

        def progress() -> dict:
            return {"progress_after": told} if on_test is not None else {}

        def tell(record: dict) -> bool:
            nonlocal told
            for entry in record.get("progress") or []:
                try:
                    test = TestResult.from_dict(entry)
                except (KeyError, TypeError, ValueError) as exc:
                    raise QueueFailure(f"the service answered a test result that is not one ({exc})") from None
                told += 1
                on_test(test)
            return bool(record.get("progress"))

        try:
            # Large test data goes once, by digest: uploaded only where the service lacks it.
            await self.client.upload(job.references(), job.test_data(), self.fetch_test_data)
            record = await self.client.request(
                "POST", "/jobs", params={"wait": self._hold(start_by), "id": job_id, "require_worker": "true",
                                         **progress()},
                content=job.model_dump_json(exclude_none=True), headers={"Content-Type": "application/json"})
            submitted = True
            if on_test is not None:
                tell(record)
            while record.get("state") != "done":
                state = record.get("state")
                if state == "cancelled":
                    raise QueueFailure("the job was cancelled in the queue", job_id, fault=False)
                now = time.monotonic()
                if state == "running" and finish_by is None:
                    finish_by = now + job.budget_seconds() + RUN_MARGIN
                if finish_by is None and now >= start_by:
                    if await self.client.cancel_if_queued(job_id):
                        submitted = False  # cancelled for good: it never starts
                        raise QueueFailure(f"no worker started the job within EXECUTION_MAX_POLL_TIME="
                                           f"{self.settings.max_poll_time} ms (a backlog); it was cancelled in the "
                                           f"queue", job_id, fault=False)
                    finish_by = now + job.budget_seconds() + RUN_MARGIN  # a worker has it: wait for that run
                elif finish_by is not None and now >= finish_by:
                    raise QueueFailure(f"the job was still running {job.budget_seconds() + RUN_MARGIN:.0f} s after it "
                                       f"started, past its own time budget; it was stopped", job_id)
                hold = self._hold(finish_by or start_by)
                asked = time.monotonic()
                record = await self.client.request("GET", f"/jobs/{job_id}", params={"wait": hold, **progress()})
                told_some = on_test is not None and tell(record)
                if record.get("state") != "done" and not told_some and time.monotonic() - asked < hold / 2:
                    # Came back early without a result: this service does not hold requests; poll.
                    await asyncio.sleep(min(self.settings.poll_interval / 1000,
                                            max((finish_by or start_by) - time.monotonic(), 0)))
            try:
                return job.result_from_dict(record.get("result"))
            except ValueError as exc:
                raise QueueFailure(f"the service answered something that is not a valid result ({exc})") from None
        except QueueFailure as failure:
            failure.job_id = job_id
            if submitted or not failure.answered:  # (a submission whose answer was lost may have arrived)
                await self.client.cancel(job_id)
            raise
        except asyncio.CancelledError:
            # Nobody waits for it any more (its client went away): the worker stops it.
            await asyncio.shield(self.client.cancel(job_id))
            raise

    def _hold(self, deadline: float) -> float:
        """Seconds the service may hold the next request: up to `deadline`, within its own cap
        and EXECUTION_TIMEOUT."""
        return round(self._wait_for(deadline - time.monotonic()), 3)

    async def aclose(self) -> None:
        """The client is the composition's (it also probes the service's health)."""
