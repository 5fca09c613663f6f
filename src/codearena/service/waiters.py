"""Waiting for results without polling and without a Redis connection per waiter.

One subscription per service process to two channels: `done` (workers publish a job's id when
its result is stored, followed by its record when the result is small: "ID" or "ID {record}")
and `tested` (a judging's id when one more of its tests is judged). Each waiter has a Mailbox,
registered for its whole wait, so no news is lost between two wake-ups; news of a test needs no
read (the waiter answers PROGRESS_LINGER later), news of an end does unless the record came with
it. A message lost while the subscription reconnects costs a waiter at most RECHECK seconds: it
re-reads the job then.
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


class Mailbox:
    """What one waiter heard since it last looked: its job's record (it ended, and the record
    came with the news), that it must read the job (it ended, or changed: a bare id on `done`),
    or that a test was judged."""

    __slots__ = ("_event", "record_json", "changed", "tested")

    def __init__(self):
        self._event = asyncio.Event()
        self.record_json: str | None = None
        self.changed = self.tested = False

    def ended(self, record_json: str | None) -> None:
        if record_json:
            self.record_json = record_json
        else:
            self.changed = True
        self._event.set()

    def test_judged(self) -> None:
        self.tested = True
        self._event.set()

    async def wait(self, seconds: float) -> tuple[str | None, bool, bool]:
        """Up to `seconds` for news; then (record_json, changed, tested), all heard until now, emptied."""
        if not self._event.is_set():
            try:
                async with asyncio.timeout(seconds):
                    await self._event.wait()
            except TimeoutError:
                pass
        heard = self.record_json, self.changed, self.tested
        self._event.clear()
        self.record_json, self.changed, self.tested = None, False, False
        return heard


class Waiters:
    def __init__(self, client: aioredis.Redis, done_channel: str, tested_channel: str):
        self.client = client
        self.done_channel = done_channel
        self.tested_channel = tested_channel
        self._mailboxes: dict[str, set[Mailbox]] = defaultdict(set)
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="done-listener")

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def register(self, job_id: str) -> Mailbox:
        mailbox = Mailbox()
        self._mailboxes[job_id].add(mailbox)
        return mailbox

    def unregister(self, job_id: str, mailbox: Mailbox) -> None:
        waiting = self._mailboxes.get(job_id)
        if waiting is not None:
            waiting.discard(mailbox)
            if not waiting:
                del self._mailboxes[job_id]

    def _deliver(self, channel: str, message: str) -> None:
        if channel == self.tested_channel:
            for mailbox in self._mailboxes.get(message, ()):
                mailbox.test_judged()
            return
        job_id, _, record_json = message.partition(" ")
        for mailbox in self._mailboxes.get(job_id, ()):
            mailbox.ended(record_json or None)

    async def _listen(self) -> None:
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.done_channel, self.tested_channel)
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message and message["type"] == "message":
                        self._deliver(message["channel"], message["data"])
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
                       mailbox: Mailbox | None = None, progress_after: int | None = None) -> JobRecord | None:
    """The job's record once it ended, or as it is after `seconds`. `mailbox`: already registered
    (a job submitted a moment ago cannot have ended yet: wait before the first read).
    `progress_after` N: also answer once more than N of its tests are judged, PROGRESS_LINGER
    later (with the tests judged meanwhile) or at the job's end, whichever comes first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    answer_by = deadline  # moves up to PROGRESS_LINGER after the first new test seen
    read = mailbox is None
    mailbox = mailbox or waiters.register(job_id)  # before reading: a result stored meanwhile still wakes us
    try:
        while True:
            if read:
                record = await store.record(job_id, progress_after)
                if record is None or record.state in ("done", "cancelled") or loop.time() >= answer_by:
                    return record
                if record.progress:
                    answer_by = min(answer_by, loop.time() + PROGRESS_LINGER)
            record_json, changed, tested = await mailbox.wait(min(max(answer_by - loop.time(), 0.0), RECHECK))
            if record_json is not None and progress_after is None:
                return JobRecord.model_validate_json(record_json)  # it ended: its record came with the news
            # A test judged alone needs no read: a progress waiter answers PROGRESS_LINGER later
            # (with every test judged by then), any other waits on for the end.
            read = changed or record_json is not None or not tested
            if tested and progress_after is not None:
                answer_by = min(answer_by, loop.time() + PROGRESS_LINGER)
    finally:
        waiters.unregister(job_id, mailbox)


async def submit_then_wait(store: "ServiceStore", waiters: Waiters, job: "Job", job_id: str, seconds: float,
                           progress_after: int | None = None, **options) -> "JobRecord | None":
    """Queue the job (store.submit's `options`); with `seconds` > 0, wait up to that long for it
    to end and answer its record (None without waiting). The waiter is registered before the job
    exists, so its end cannot go unseen."""
    mailbox = waiters.register(job_id) if seconds > 0 else None
    try:
        await store.submit(job, job_id, **options)
    except BaseException:
        if mailbox is not None:
            waiters.unregister(job_id, mailbox)
        raise
    if mailbox is None:
        return None
    return await wait_for_job(store, waiters, job_id, seconds, mailbox, progress_after)
