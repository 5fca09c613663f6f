"""The job store on Redis streams with one consumer group: what the service and the workers do
to jobs. The service side is asyncio (redis.asyncio); the worker side is threads (redis).

At-least-once: a worker reads an entry (it becomes pending for that worker), runs the job, and
stores the result, acks and deletes the entry in one step (COMPLETE). A worker that dies leaves
its entries pending; another worker claims them (XCLAIM with a min-idle guard, so two cannot
both take one) once the owner's heartbeat is gone, or once the entry has been pending longer than
the job's own time budget plus a margin (a worker alive but stuck). A job started
`max_attempts` times ends as IE. The result is stored with SET NX, so a duplicate run cannot
change an answer already given.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.retry import Retry as SyncRetry

from ..engine.verdicts import Verdict
from ..execution.contract import Job
from . import scripts
from .keys import GROUP, PRIORITIES, Keys
from .protocol import JobRecord
from .settings import QueueSettings

QUEUED_TTL = 7 * 24 * 3600  # a queued job's record outlives any sane backlog
# A result up to this size travels in the done message (every service process receives it), so a
# waiter answers without reading the job back; a bigger one is read back by its waiter alone.
INLINE_RESULT_BYTES = 64 * 1024


class JobExists(Exception):
    """A client chose a job id that is taken."""


def new_job_id() -> str:
    return uuid.uuid4().hex


class NoLiveWorker(Exception):
    """No worker has a live heartbeat: a job queued now would wait for nobody."""

    def __init__(self):
        super().__init__("no live worker serves this queue")


class CancelledBeforeSubmit(Exception):
    """Its client cancelled this job id before the submission arrived (a tombstone)."""


class BacklogFull(Exception):
    def __init__(self, backlog: int, retry_after: int = 5):
        super().__init__(f"the queue holds {backlog} unfinished jobs, its limit; retry after {retry_after} s")
        self.retry_after = retry_after


def redis_options(asynchronous: bool = False) -> dict:
    """Bounded waits everywhere: an unreachable Redis is an error within seconds, never a hang.
    A few quick retries on connection errors absorb a Redis restart (stale pooled connections)."""
    retry_class = AsyncRetry if asynchronous else SyncRetry
    return {"socket_connect_timeout": 2, "socket_timeout": 10, "health_check_interval": 15,
            "retry": retry_class(ExponentialBackoff(cap=0.4, base=0.05), retries=3),
            "retry_on_error": [redis.ConnectionError], "decode_responses": True}


def ensure_groups(client: redis.Redis, keys: Keys) -> None:
    for stream in keys.streams:
        try:
            client.xgroup_create(stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise


def failure_result(kind: str, reason: str) -> dict:
    """The result of a job the system failed (IE), in the shape of its kind."""
    result = {"verdict": Verdict.IE.value, "message": reason}
    if kind == "judge":
        result.update(compile_output="", tests=[], score=None, max_score=None)
    return result


@dataclass(frozen=True)
class StoredJob:
    """A job as the store holds it: what front ends read (the service's records, an adapter's
    own views). `meta` is the submitter's own data, kept as given."""

    id: str
    state: str
    job_json: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    attempts: int
    worker: str | None
    meta: str | None
    result_json: str | None
    kind: str
    language: str
    priority: str

    @property
    def job(self) -> dict:
        """The job as submitted ({} once it ended, unless it was submitted with keep_request)."""
        return json.loads(self.job_json)

    @property
    def result(self) -> dict | None:
        return json.loads(self.result_json) if self.result_json else None

    def record(self) -> JobRecord:
        return JobRecord(id=self.id, kind=self.kind, state=self.state, priority=self.priority,
                         language=self.language, attempts=self.attempts, worker=self.worker,
                         created_at=self.created_at, started_at=self.started_at, finished_at=self.finished_at,
                         result=self.result)


_STORED_FIELDS = ("state", "request", "created_at", "started_at", "finished_at", "attempts", "worker", "meta", "kind",
                  "language", "priority")


def _stored(job_id: str, fields: dict, result_json: str | None) -> StoredJob | None:
    if not fields.get("state"):
        return None
    as_float = lambda name: float(fields[name]) if fields.get(name) else None  # noqa: E731
    return StoredJob(job_id, fields["state"], fields.get("request") or "{}", as_float("created_at") or 0.0,
                     as_float("started_at"), as_float("finished_at"), int(fields.get("attempts") or 0),
                     fields.get("worker"), fields.get("meta"), result_json, fields.get("kind") or "run",
                     fields.get("language") or "", fields.get("priority") or "")


# -- the service's side ---------------------------------------------------------------------

class ServiceStore:
    """The jobs as the service and its front ends see them: submit, read, cancel, delete."""

    def __init__(self, client: aioredis.Redis, settings: QueueSettings):
        self.client = client
        self.settings = settings
        self.keys = Keys(settings.queue_prefix)
        self._submit = client.register_script(scripts.SUBMIT)
        self._cancel = client.register_script(scripts.CANCEL)

    async def ensure_groups(self) -> None:
        for stream in self.keys.streams:
            await self.ensure_group(stream, GROUP)

    async def ensure_group(self, stream: str, group: str) -> None:
        """Create the stream's consumer group (and the stream) unless it exists."""
        try:
            await self.client.xgroup_create(stream, group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def submit(self, job: Job, job_id: str, *, retention: int | None = None, announce: bool = False,
                     meta: str | None = None, require_live_worker: bool = False, keep_request: bool = False) -> None:
        """Queue a job. `retention`: seconds its result is kept (default QUEUE_RESULT_TTL);
        `announce`: add its id to the announcements stream when it ends; `meta`: the submitter's
        own data, kept with the job; `require_live_worker`: refuse (NoLiveWorker) when no worker
        has a live heartbeat, instead of queueing for later; `keep_request`: the job itself (its
        source and tests) stays readable after it ended (else only its result does)."""
        fields = {"request": job.model_dump_json(), "kind": job.kind, "language": job.language,
                  "priority": job.priority, "created_at": f"{time.time():.6f}", "budget": f"{job.budget_seconds():.3f}"}
        if retention is not None:
            fields["retention"] = str(retention)
        if announce:
            fields["announce"] = "1"
        if meta is not None:
            fields["meta"] = meta
        if keep_request:
            fields["keep_request"] = "1"
        accepted, backlog = await self._submit(
            keys=[*self.keys.streams, self.keys.job(job_id), self.keys.stream(job.priority), self.keys.live_workers,
                  self.keys.tombstone(job_id)],
            args=[self.settings.queue_max_backlog, job_id, QUEUED_TTL,
                  f"{time.time():.6f}" if require_live_worker else "", *sum(fields.items(), ())],
        )
        if accepted == -1:
            raise JobExists(job_id)
        if accepted == -2:
            raise NoLiveWorker()
        if accepted == -3:
            raise CancelledBeforeSubmit(job_id)
        if not accepted:
            raise BacklogFull(int(backlog))

    async def read(self, job_ids: list[str], with_job: bool = True) -> list[StoredJob | None]:
        """Each job as stored (None: unknown or expired), in one round trip. `with_job`: read the
        job itself too (its source and tests; a record does without)."""
        names = _STORED_FIELDS if with_job else tuple(name for name in _STORED_FIELDS if name != "request")
        async with self.client.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.hmget(self.keys.job(job_id), names)
                pipe.get(self.keys.result(job_id))
            replies = await pipe.execute()
        return [_stored(job_id, dict(zip(names, values)), result)
                for job_id, values, result in zip(job_ids, replies[::2], replies[1::2])]

    async def record(self, job_id: str, progress_after: int | None = None) -> JobRecord | None:
        """The job's record; with `progress_after` N, the tests its worker finished after the first N too."""
        [stored] = await self.read([job_id], with_job=False)
        if stored is None:
            return None
        record = stored.record()
        if progress_after is not None:
            key = self.keys.progress(job_id)
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.llen(key)
                pipe.lrange(key, progress_after, -1)
                count, entries = await pipe.execute()
            record.progress_count, record.progress = count, [json.loads(entry) for entry in entries]
        return record

    async def delete_job(self, job_id: str) -> None:
        """Delete a finished job, its result and its tests' progress."""
        await self.client.delete(self.keys.job(job_id), self.keys.result(job_id), self.keys.progress(job_id))

    async def cancel(self, job_id: str, only_queued: bool = False) -> str:
        """'cancelled' (it was queued: it never starts), 'stopping' (running: its worker kills it),
        'running' (only_queued: left running), 'missing', or the state that cannot be cancelled."""
        return await self._cancel(keys=[self.keys.job(job_id), self.keys.tombstone(job_id)],
                                  args=[GROUP, f"{time.time():.6f}", self.settings.queue_result_ttl,
                                        self.keys.done_channel, job_id, self.keys.stop_channel,
                                        "1" if only_queued else "0"])

    async def missing_data(self, digests: set[str] | list[str]) -> list[str]:
        """Which of these test data digests are not stored (sorted); the stored ones are kept
        another QUEUE_DATA_TTL from now (a job is about to use them)."""
        names = sorted(digests)
        if not names:
            return []
        async with self.client.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.expire(self.keys.data(name), self.settings.queue_data_ttl)
            kept = await pipe.execute()
        return [name for name, found in zip(names, kept) if not found]

    async def put_data(self, digest: str, data: bytes) -> None:
        await self.client.set(self.keys.data(digest), data, ex=self.settings.queue_data_ttl)

    async def live_workers(self) -> int:
        return await self.client.zcount(self.keys.live_workers, time.time(), "+inf")

    async def backlog(self) -> dict[str, int]:
        async with self.client.pipeline(transaction=False) as pipe:
            for stream in self.keys.streams:
                pipe.xlen(stream)
            lengths = await pipe.execute()
        return dict(zip(PRIORITIES, lengths))

    async def workers(self) -> list[dict]:
        found = []
        async for key in self.client.scan_iter(match=self.keys.workers_pattern, count=500):
            info = await self.client.get(key)
            if info:
                found.append(json.loads(info))
        return found


# -- the workers' side ----------------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    stream: str
    entry_id: str
    job_id: str


@dataclass(frozen=True)
class Started:
    job: Job
    attempts: int
    created_at: float
    started_at: float
    stop_requested: bool = False  # asked to stop before this start (a reclaimed job's earlier run was)


@dataclass(frozen=True)
class Taken:
    """A new entry read and its job started, in one step (WorkerStore.take)."""

    delivery: Delivery
    started: Started


class WorkerStore:
    def __init__(self, client: redis.Redis, settings: QueueSettings):
        self.client = client
        self.settings = settings
        self.keys = Keys(settings.queue_prefix)
        self._start = client.register_script(scripts.START)
        self._take = client.register_script(scripts.TAKE)
        self._complete = client.register_script(scripts.COMPLETE)
        self._complete_then_take = client.register_script(scripts.COMPLETE_THEN_TAKE)
        self._overdue = client.register_script(scripts.OVERDUE)

    def on_own_connection(self) -> "WorkerStore":
        """This store on one connection of its pool, held until close(): for a worker slot's
        calls, which then skip taking a pooled connection and giving it back each time."""
        return WorkerStore(redis.Redis(connection_pool=self.client.connection_pool, single_connection_client=True),
                           self.settings)

    def close(self) -> None:
        self.client.close()

    def take(self, consumer: str) -> Taken | None:
        """The next new entry whose job may run, interactive before bulk, already started for
        `consumer` (one round trip, where read() and start() take two); None when there is none.
        The entries of jobs that must not run are acked and deleted on the way."""
        now = time.time()
        reply = self._take(keys=[self.keys.running, *self.keys.streams],
                           args=[GROUP, consumer, f"{now:.6f}", self.settings.queue_reclaim_margin, self.keys.job("")])
        return self._taken(reply, now, strict=True)

    def wait_new(self, consumer: str, block_ms: int) -> list[Delivery]:
        """Block up to block_ms for new entries (after take() found none): one per stream at most,
        interactive first. Their jobs are not started: start() them."""
        got = self.client.xreadgroup(GROUP, consumer, {s: ">" for s in self.keys.streams}, count=1, block=block_ms)
        return sorted(self._deliveries(got or []), key=lambda d: self.keys.streams.index(d.stream))

    @staticmethod
    def _taken(reply, now: float, strict: bool) -> Taken | None:
        if not reply:
            return None
        if reply[0] == "error":  # the read failed: a stream or its group is gone
            if strict:
                raise redis.ResponseError(reply[1])
            return None  # (after a result was stored: the next read meets it and recovers)
        stream, entry_id, job_id, request, attempts, created_at, stop_requested = reply
        return Taken(Delivery(stream, entry_id, job_id),
                     Started(Job.model_validate_json(request), int(attempts), float(created_at or now), now,
                             stop_requested=bool(stop_requested)))

    @staticmethod
    def _deliveries(response) -> list[Delivery]:
        found = []
        for stream, entries in response:
            for entry_id, fields in entries:
                if fields:  # an entry deleted (cancelled) after delivery has no fields
                    found.append(Delivery(stream, entry_id, fields["job"]))
        return found

    def start(self, delivery: Delivery, worker: str) -> Started | str:
        """Mark the job running; returns why not ('cancelled', 'done', 'missing') when it must not run."""
        now = time.time()
        outcome = self._start(keys=[self.keys.job(delivery.job_id), self.keys.running],
                              args=[worker, f"{now:.6f}", self.settings.queue_reclaim_margin, delivery.job_id])
        if outcome[0] != "run":
            self.client.xack(delivery.stream, GROUP, delivery.entry_id)
            self.client.xdel(delivery.stream, delivery.entry_id)
            return outcome[0]
        job = Job.model_validate_json(outcome[1])
        return Started(job, int(outcome[2]), float(outcome[3] or now), now,
                       stop_requested=len(outcome) > 4 and bool(outcome[4]))

    def complete(self, delivery: Delivery, result: dict, outcome: str) -> bool:
        """Store the result (first one wins), ack and delete the entry, wake waiters. True if stored."""
        stored = self._complete(
            keys=[self.keys.job(delivery.job_id), self.keys.result(delivery.job_id), delivery.stream,
                  self.keys.announcements, self.keys.running],
            args=[json.dumps(result), self.settings.queue_result_ttl, delivery.entry_id, GROUP, f"{time.time():.6f}",
                  outcome, self.keys.done_channel, delivery.job_id, INLINE_RESULT_BYTES],
        )
        return bool(stored)

    def complete_then_take(self, delivery: Delivery, result: dict, outcome: str,
                           consumer: str) -> tuple[bool, Taken | None]:
        """complete(), and take() for `consumer`, in one round trip: (stored, the next job started)."""
        now = time.time()
        stored, reply = self._complete_then_take(
            keys=[self.keys.job(delivery.job_id), self.keys.result(delivery.job_id), delivery.stream,
                  self.keys.announcements, self.keys.running, *self.keys.streams],
            args=[json.dumps(result), self.settings.queue_result_ttl, delivery.entry_id, GROUP, f"{now:.6f}",
                  outcome, self.keys.done_channel, delivery.job_id, INLINE_RESULT_BYTES,
                  consumer, self.settings.queue_reclaim_margin, self.keys.job("")],
        )
        return bool(stored), self._taken(reply, now, strict=False)

    def clear_progress(self, job_id: str) -> None:
        """A judging starts (again): the tests of an earlier attempt are not this one's."""
        self.client.delete(self.keys.progress(job_id))

    def progress(self, job_id: str, test: dict) -> None:
        """One more test judged: kept beside the job for as long as a result is, and its waiters woken."""
        key = self.keys.progress(job_id)
        with self.client.pipeline(transaction=False) as pipe:
            pipe.rpush(key, json.dumps(test))
            pipe.expire(key, self.settings.queue_result_ttl)
            pipe.publish(self.keys.tested_channel, job_id)
            pipe.execute()

    def fail(self, delivery: Delivery, kind: str, reason: str) -> bool:
        """End a job as IE (the system's failure, e.g. retried too often)."""
        return self.complete(delivery, failure_result(kind, reason), Verdict.IE.value)

    def heartbeat(self, name: str, info: dict) -> None:
        ttl = self.settings.worker_heartbeat_ttl
        with self.client.pipeline(transaction=False) as pipe:
            pipe.set(self.keys.worker(name), json.dumps(info), px=int(ttl * 1000))
            pipe.zadd(self.keys.live_workers, {name: time.time() + ttl})
            pipe.zremrangebyscore(self.keys.live_workers, "-inf", time.time())
            pipe.execute()

    def forget(self, name: str) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            pipe.delete(self.keys.worker(name))
            pipe.zrem(self.keys.live_workers, name)
            pipe.execute()

    def reclaimable(self, consumer: str, held: set[str] | frozenset[str] = frozenset(),
                    limit: int = 50) -> list[tuple[Delivery, int]]:
        """Claim entries whose owner is dead, that outlived their job's budget, or that are this
        consumer's own but none of its slots holds (`held`: the entry ids they hold; a reply
        lost to a Redis outage can leave such an entry): (delivery, attempts)."""
        claimed: list[tuple[Delivery, int]] = []
        alive: dict[str, bool] = {}
        for stream in self.keys.streams:
            idle_floor_ms = int(self.settings.worker_heartbeat_ttl * 1000)
            for entry in self.client.xpending_range(stream, GROUP, min="-", max="+", count=limit, idle=idle_floor_ms):
                owner, entry_id = entry["consumer"], entry["message_id"]
                if owner == consumer and entry_id in held:
                    continue  # a slot of this process has it
                if owner not in alive:
                    alive[owner] = owner == consumer or bool(self.client.exists(self.keys.worker(owner)))
                threshold_ms = idle_floor_ms
                if alive[owner] and owner != consumer:
                    budget = self._budget(stream, entry_id)
                    threshold_ms = int((budget + self.settings.queue_reclaim_margin) * 1000)
                if entry["time_since_delivered"] < threshold_ms:
                    continue
                taken = self.client.xclaim(stream, GROUP, consumer, min_idle_time=threshold_ms,
                                           message_ids=[entry_id])
                for claimed_id, fields in taken:
                    if not fields:  # deleted meanwhile (cancelled): just drop it from the pending list
                        self.client.xack(stream, GROUP, claimed_id)
                        continue
                    job_id = fields["job"]
                    attempts = int(self.client.hget(self.keys.job(job_id), "attempts") or 0)
                    claimed.append((Delivery(stream, claimed_id, job_id), attempts))
        return claimed

    def end_overdue(self, now: float | None = None, limit: int = 50) -> list[str]:
        """Running jobs past their deadline whose stream entry nobody holds (the stream or the
        entry was lost): each ends IE with the reason. Entries still pending are left to the
        reclaim (their owner is dead or stuck). Returns the ids ended."""
        now = time.time() if now is None else now
        ended = []
        for job_id in self.client.zrangebyscore(self.keys.running, "-inf", now, start=0, num=limit):
            stream, entry, kind = self.client.hmget(self.keys.job(job_id), ("stream", "entry", "kind"))
            if stream and entry and self.client.xpending_range(stream, GROUP, min=entry, max=entry, count=1):
                continue
            reason = ("internal error: the job was still running past its time budget and its queue entry was "
                      "lost (the queue's stream was deleted or replaced); it was ended")
            if self._overdue(keys=[self.keys.job(job_id), self.keys.result(job_id), self.keys.running,
                                   self.keys.announcements],
                             args=[json.dumps(failure_result(kind or "run", reason)), self.settings.queue_result_ttl,
                                   f"{now:.6f}", self.keys.done_channel, job_id]):
                ended.append(job_id)
        return ended

    def _budget(self, stream: str, entry_id: str) -> float:
        entries = self.client.xrange(stream, min=entry_id, max=entry_id)
        if not entries:
            return 0.0
        return float(self.client.hget(self.keys.job(entries[0][1]["job"]), "budget") or 0.0)

    def forget_dead_consumers(self) -> None:
        """Remove consumers with no heartbeat and nothing pending (their history is in the jobs)."""
        for stream in self.keys.streams:
            for info in self.client.xinfo_consumers(stream, GROUP):
                if info["pending"] == 0 and not self.client.exists(self.keys.worker(info["name"])):
                    self.client.xgroup_delconsumer(stream, GROUP, info["name"])
