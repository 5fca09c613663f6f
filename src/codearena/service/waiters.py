"""Waiting for results without polling and without a Redis connection per waiter.

One subscription per service process to the `done` channel (workers publish a job's id when its
result is stored, followed by its record when the result is small: "ID" or "ID {record}");
waiters park on an asyncio future, which gets the record's JSON or None. A message lost while
the subscription reconnects costs a waiter at most RECHECK seconds: it re-reads the job then.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import TYPE_CHECKING

import redis
import redis.asyncio as aioredis

from .protocol import JobRecord

if TYPE_CHECKING:
    from ..execution.contract import Job
    from .store import ServiceStore

log = logging.getLogger("codearena.service.waiters")
RECHECK = 5.0  # seconds: the longest a missed notification can delay a waiter
# Seconds a waiter for a judging's progress holds its answer after a new test, for the tests that
# follow: quick tests come in one answer, not a round trip through the platform and this service
# each (10 tests of a few ms cost them 31 ms of CPU per submission).
PROGRESS_LINGER = 0.05


class Waiters:
    def __init__(self, client: aioredis.Redis, channel: str):
        self.client = client
        self.channel = channel
        self._futures: dict[str, set[asyncio.Future]] = defaultdict(set)
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="done-listener")

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def register(self, job_id: str) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self._futures[job_id].add(future)
        return future

    def unregister(self, job_id: str, future: asyncio.Future) -> None:
        waiting = self._futures.get(job_id)
        if waiting is not None:
            waiting.discard(future)
            if not waiting:
                del self._futures[job_id]

    def _wake(self, message: str) -> None:
        job_id, _, record_json = message.partition(" ")
        for future in self._futures.pop(job_id, ()):
            if not future.done():
                future.set_result(record_json or None)

    async def _listen(self) -> None:
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message and message["type"] == "message":
                        self._wake(message["data"])
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except (redis.RedisError, OSError) as exc:
                log.warning("[EXEC-SERVICE] result notifications interrupted (%s); resubscribing", exc)
                try:
                    await pubsub.aclose()
                except Exception:  # noqa: BLE001 - the connection is already broken
                    pass
                await asyncio.sleep(1.0)


async def wait_for_job(store: "ServiceStore", waiters: Waiters, job_id: str, seconds: float,
                       future=None, progress_after: int | None = None) -> JobRecord | None:
    """The job's record once it ended, or as it is after `seconds`. `future`: already registered
    (a job submitted a moment ago cannot have ended yet: wait before the first read).
    `progress_after` N: also answer once more than N of its tests are judged, PROGRESS_LINGER
    later (with the tests judged meanwhile) or at the job's end, whichever comes first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    answer_by = deadline  # moves up to PROGRESS_LINGER after the first new test seen
    read_first = future is None
    future = future or waiters.register(job_id)  # before reading: a result stored meanwhile still wakes us
    try:
        while True:
            if read_first:
                record = await store.record(job_id, progress_after)
                if record is None or record.state in ("done", "cancelled") or loop.time() >= answer_by:
                    return record
                if record.progress:
                    answer_by = min(answer_by, loop.time() + PROGRESS_LINGER)
            read_first = True
            await _park(future, min(max(answer_by - loop.time(), 0.0), RECHECK))
            if future.done():
                if (record_json := future.result()) is not None and progress_after is None:
                    return JobRecord.model_validate_json(record_json)  # it ended: its record came with the news
                future = waiters.register(job_id)
    finally:
        waiters.unregister(job_id, future)


async def _park(future, seconds: float) -> None:
    try:
        await asyncio.wait_for(asyncio.shield(future), timeout=seconds)
    except TimeoutError:
        pass


async def submit_then_wait(store: "ServiceStore", waiters: Waiters, job: "Job", job_id: str, seconds: float,
                           progress_after: int | None = None, **options) -> "JobRecord | None":
    """Queue the job (store.submit's `options`); with `seconds` > 0, wait up to that long for it
    to end and answer its record (None without waiting). The waiter is registered before the job
    exists, so its end cannot go unseen."""
    future = waiters.register(job_id) if seconds > 0 else None
    try:
        await store.submit(job, job_id, **options)
    except BaseException:
        if future is not None:
            waiters.unregister(job_id, future)
        raise
    if future is None:
        return None
    return await wait_for_job(store, waiters, job_id, seconds, future, progress_after)
