"""`codearena worker`: take jobs from the queue and run them in this machine's sandbox.

One consumer per process (name: host:pid:random), `concurrency` long-lived slot threads (each
run's bwrap dies with the thread that spawned it, so threads must outlive their runs), one
heartbeat thread, one reclaimer thread. SIGTERM/SIGINT: stop taking jobs, finish the running
ones, drop the heartbeat; anything read but not started stays pending and is reclaimed by the
other workers as soon as they see the heartbeat gone.
"""

from __future__ import annotations

import logging
import os
import queue as queues
import socket
import threading
import time
import uuid
from collections import deque
from typing import Callable

import redis
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, stop_when_event_set, wait_fixed

from ..execution.run import run_job
from ..logs import shorten
from ..sandbox import Sandbox, get_sandbox, keep_boxes, tidy_kept_boxes
from .metrics import WorkerMetrics
from .settings import QueueSettings
from .store import Delivery, Started, Taken, WorkerStore, ensure_groups, redis_options
from ..execution.testdata import TestDataCache

log = logging.getLogger("codearena.service.worker")
READ_BLOCK_MS = 1000
RECLAIM_INTERVAL = 1.0  # seconds between looks for lost jobs
# A stop request that arrives before its job's slot registered it is kept this long (the slot
# registers it within milliseconds), and at most this many (every worker hears every stop).
EARLY_STOP_SECONDS = 60.0
EARLY_STOPS_KEPT = 1000
# A slot's next job: its delivery, the job if started already (else START comes first), and how
# many times it was started before (a reclaimed one's).
Work = tuple[Delivery, Started | None, int]
# After a job: the next one if it was taken along with the result, and whether the queue was
# looked at then (found empty when nothing was taken).
Next = tuple[Taken | None, bool]


class Worker:
    def __init__(self, settings: QueueSettings, concurrency: int, sandbox: Sandbox | None = None,
                 test_data_mb: int = 4096):
        self.settings = settings
        self.test_data_mb = test_data_mb
        self.test_data: TestDataCache | None = None
        self.concurrency = concurrency
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.client = redis.Redis.from_url(settings.redis_url, max_connections=concurrency + 8, **redis_options())
        self.store = WorkerStore(self.client, settings)
        self.sandbox = sandbox
        self.stopping = threading.Event()
        self.reclaimed: queues.Queue[tuple[Delivery, int]] = queues.Queue()
        self.running = 0
        self.done = 0
        self._lock = threading.Lock()
        self.started_at = time.time()
        self._stops: dict[str, threading.Event] = {}  # job id -> set to stop its run (DELETE /jobs/ID)
        # Stop requests for ids no slot had registered yet (a job started inside a script is
        # registered just after): job id -> when it came; a registration looks here first.
        self._early_stops: dict[str, float] = {}
        self._held: set[str] = set()  # entry ids this process's slots have read or claimed, until done
        self._slot_local = threading.local()  # a slot thread's own store (its own connection)
        self.metrics = WorkerMetrics()

    # -- lifecycle ------------------------------------------------------------------------
    def run(self) -> None:
        """Serve until stop() (or a signal handler calling it); returns when in-flight jobs ended."""
        self.sandbox = self.sandbox or get_sandbox()
        binary = redis.Redis.from_url(self.settings.redis_url, **{**redis_options(), "decode_responses": False})
        self.test_data = TestDataCache(lambda name: binary.get(self.store.keys.data(name)),
                                       self.sandbox.settings.state_dir / "testdata", self.test_data_mb * 1024 * 1024)
        self._retry_redis(lambda: ensure_groups(self.client, self.store.keys))
        self._beat()
        threads = [threading.Thread(target=self._heartbeats, name="heartbeat", daemon=True),
                   threading.Thread(target=self._reclaimer, name="reclaimer", daemon=True),
                   threading.Thread(target=self._stop_listener, name="stops", daemon=True)]
        slots = [threading.Thread(target=self._slot, name=f"slot-{i}") for i in range(self.concurrency)]
        for thread in threads + slots:
            thread.start()
        log.info("[WORKER] %s ready with %d slots", self.name, self.concurrency)
        # Joined with a timeout: a signal the kernel hands to another thread runs its Python
        # handler (stop) only when the main thread runs bytecode, which a plain join never lets it.
        while any(thread.is_alive() for thread in slots):
            for thread in slots:
                thread.join(timeout=0.2)
        try:
            self.store.forget(self.name)  # others reclaim what we read but did not start, at once
        except redis.RedisError:
            pass
        log.info("[WORKER] %s stopped after %d jobs", self.name, self.done)

    def stop(self) -> None:
        self.stopping.set()

    def _retry_redis(self, action) -> None:
        """`action` once Redis answers, retried every second until then (or until stopped)."""
        retrying = Retrying(retry=retry_if_exception_type(redis.ConnectionError), wait=wait_fixed(1.0),
                            stop=stop_when_event_set(self.stopping), sleep=self.stopping.wait, reraise=False,
                            before_sleep=lambda state: log.warning("[WORKER] Redis unreachable (%s); retrying",
                                                                   state.outcome.exception()),
                            retry_error_callback=lambda _state: None)
        retrying(action)

    # -- threads --------------------------------------------------------------------------
    def _beat(self) -> None:
        self.store.heartbeat(self.name, {"name": self.name, "host": socket.gethostname(), "pid": os.getpid(),
                                         "concurrency": self.concurrency, "running": self.running,
                                         "done": self.done, "started_at": self.started_at})

    def _heartbeats(self) -> None:
        while not self.stopping.wait(self.settings.worker_heartbeat_interval):
            try:
                self._beat()
            except redis.RedisError as exc:
                log.warning("[WORKER] heartbeat failed: %s", exc)

    def _hold(self, deliveries: list[Delivery]) -> list[Delivery]:
        with self._lock:
            self._held.update(d.entry_id for d in deliveries)
        return deliveries

    def _reclaimer(self) -> None:
        """Takes over entries nobody works on (a dead owner's, a stuck owner's past its budget,
        our own that no slot holds), and ends running jobs whose entry was lost."""
        while not self.stopping.wait(RECLAIM_INTERVAL):
            try:
                with self._lock:
                    held = frozenset(self._held)
                for delivery, attempts in self.store.reclaimable(self.name, held):
                    self._hold([delivery])
                    log.warning("[WORKER] reclaimed job %s (started %d times before): it may run again",
                                delivery.job_id, attempts)
                    self.metrics.reclaimed.inc()
                    self.reclaimed.put((delivery, attempts))
                for job_id in self.store.end_overdue():
                    log.warning("[WORKER] job %s ran past its budget and its queue entry was lost: ended as IE", job_id)
                    self.metrics.jobs.labels("IE").inc()
                self.store.forget_dead_consumers()
            except redis.RedisError as exc:
                log.warning("[WORKER] reclaim failed: %s", exc)

    def _stop_listener(self) -> None:
        """Stops the runs whose client gave up (their ids arrive on the stop channel)."""
        while not self.stopping.is_set():
            try:
                with self.client.pubsub(ignore_subscribe_messages=True) as subscription:
                    subscription.subscribe(self.store.keys.stop_channel)
                    while not self.stopping.is_set():
                        message = subscription.get_message(timeout=1.0)
                        if message:
                            self._stop_requested(message["data"])
            except redis.RedisError as exc:
                log.warning("[WORKER] stop channel: %s; resubscribing", exc)
                self.stopping.wait(1.0)

    def _stop_requested(self, job_id: str) -> None:
        """The stop channel named this job: its run's event is set, or, when no slot holds the id
        (another worker's job, or one of ours not registered yet), the request is kept a while."""
        with self._lock:
            stop = self._stops.get(job_id)
            if stop is None:
                now = time.monotonic()
                early = self._early_stops
                early.pop(job_id, None)
                early[job_id] = now  # last: the dict's order is the requests' order
                while len(early) > EARLY_STOPS_KEPT or now - next(iter(early.values())) > EARLY_STOP_SECONDS:
                    del early[next(iter(early))]  # the oldest
                return
        log.info("[WORKER] stopping job %s: its client gave up on it", job_id)
        stop.set()

    def _register_stop(self, job_id: str) -> threading.Event:
        """The event that stops this job's run, set already if its stop request came first."""
        stop = threading.Event()
        with self._lock:
            self._stops[job_id] = stop
            if self._early_stops.pop(job_id, None) is not None:
                stop.set()
        return stop

    def _slot(self) -> None:
        """Never dies of an error: a slot thread that ended would leave the worker alive and idle
        (or exit it with status 0, and no supervisor would restart it)."""
        self._slot_local.store = self.store.on_own_connection()
        try:
            with keep_boxes():  # its box stays started between jobs
                self._serve_slot()
        finally:
            self._slot_local.store.close()

    @property
    def _jobs(self) -> WorkerStore:
        """The store for a job's calls: this slot's own (its connection), or the shared one."""
        return getattr(self._slot_local, "store", None) or self.store

    def _serve_slot(self) -> None:
        own: deque[Delivery] = deque()  # read by a blocking read, not started yet
        work: Work | None = None
        looked = False  # the queue was found empty along with the last result: block at once

        def may_take() -> bool:
            """The next job is started along with a result only when it is what runs next."""
            return not self.stopping.is_set() and not own and self.reclaimed.empty()

        while not self.stopping.is_set() or work is not None:  # a job started already runs even when stopping
            try:
                work = work or self._next_work(own, looked)
                looked = False
                if work is None:
                    continue
                (delivery, started, attempts), work = work, None
                try:
                    if started is None:
                        taken, looked = self._process(delivery, attempts, may_take)
                    else:
                        taken, looked = self._run(delivery, started, may_take)
                finally:
                    with self._lock:
                        self._held.discard(delivery.entry_id)
                work = (taken.delivery, taken.started, 0) if taken else None
                tidy_kept_boxes()  # the job's result is stored: its box's clean-up now
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("[WORKER] Redis unreachable (%s); retrying", exc)
                self.stopping.wait(1.0)
            except redis.ResponseError as exc:
                if "NOGROUP" not in str(exc) and "no longer exists" not in str(exc):
                    log.exception("[WORKER] unexpected answer from Redis; retrying")
                    self.stopping.wait(1.0)
                    continue
                # The stream or its group is gone (deleted, FLUSHALL, a failover to an empty
                # replica, a restart without persistence): recreate them and go on.
                log.warning("[WORKER] queue stream or consumer group missing (%s); recreating them", exc)
                self._retry_redis(lambda: ensure_groups(self.client, self.store.keys))
                # The heartbeat went with them: beat now, not at the next interval, or the
                # service refuses jobs meanwhile (no live worker) and says "degraded".
                self._retry_redis(self._beat)
            except Exception:  # noqa: BLE001 - logged; the slot goes on serving
                log.exception("[WORKER] slot error; going on")
                self.stopping.wait(1.0)

    def _next_work(self, own: deque[Delivery], looked: bool) -> Work | None:
        """What this slot runs next: a reclaimed entry, an entry read before, or a new one (read
        and started in one step); waits up to READ_BLOCK_MS for one when there is none (at once
        when the queue was `looked` at, and found empty, with the last result)."""
        try:
            delivery, attempts = self.reclaimed.get_nowait()
            return delivery, None, attempts
        except queues.Empty:
            pass
        if not own:
            taken = None if looked else self._jobs.take(self.name)
            if taken is not None:
                self._hold([taken.delivery])
                return taken.delivery, taken.started, 0
            own.extend(self._hold(self._jobs.wait_new(self.name, READ_BLOCK_MS)))
        return (own.popleft(), None, 0) if own else None

    # -- one job --------------------------------------------------------------------------
    def _store_result(self, delivery: Delivery, data: dict, outcome: str,
                      take_next: bool) -> tuple[bool, Taken | None]:
        """Store a finished job's result, retrying while Redis is unreachable (bounded by the
        result's TTL): a result computed is never dropped for an outage. If Redis stays away
        that long, the entry stays pending and is reclaimed. `take_next`: the next job is read
        and started in the same round trip as the first try (the retries only store)."""
        try:  # tried once before the retry machinery, which costs more than the store itself
            if take_next:
                stored, taken = self._jobs.complete_then_take(delivery, data, outcome, self.name)
                if taken is not None:
                    self._hold([taken.delivery])
                return stored, taken
            return self._jobs.complete(delivery, data, outcome), None
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("[WORKER] job %s: cannot store its result yet (%s); retrying", delivery.job_id, exc)
        retrying = Retrying(retry=retry_if_exception_type((redis.ConnectionError, redis.TimeoutError)),
                            wait=wait_fixed(1.0), stop=stop_after_delay(self.settings.queue_result_ttl), reraise=True,
                            before_sleep=lambda state: log.warning(
                                "[WORKER] job %s: cannot store its result yet (%s); retrying", delivery.job_id,
                                state.outcome.exception()))
        return retrying(self._jobs.complete, delivery, data, outcome), None

    def _process(self, delivery: Delivery, attempts: int, may_take: Callable[[], bool]) -> Next:
        """A delivery read but not started: start it, run it (see _run_started for the answer)."""
        if attempts >= self.settings.queue_max_attempts:
            reason = (f"internal error: the job was started {attempts} times and each time its worker was lost "
                      f"before it finished; giving up")
            kind = self.client.hget(self.store.keys.job(delivery.job_id), "kind") or "run"
            self._jobs.fail(delivery, kind, reason)
            self.metrics.jobs.labels("IE").inc()
            log.warning("[WORKER] job %s failed after %d attempts", delivery.job_id, attempts)
            return None, False
        self._register_stop(delivery.job_id)  # before START: a stop asked after it is not missed
        try:
            started = self._jobs.start(delivery, self.name)
        except BaseException:
            self._stops.pop(delivery.job_id, None)
            raise
        if not isinstance(started, Started):
            self._stops.pop(delivery.job_id, None)
            log.info("[WORKER] job %s skipped: %s", delivery.job_id, started)
            return None, False
        return self._run(delivery, started, may_take)

    def _tell_progress(self, job_id: str, test: dict) -> None:
        """A test judged: its waiters may show it now. Redis failing here costs only the live
        view (the result still carries every test), never the judging."""
        try:
            self._jobs.progress(job_id, test)
        except redis.RedisError as exc:
            log.warning("[WORKER] job %s: could not record a test's progress (%s)", job_id, exc)

    def _run(self, delivery: Delivery, started: Started, may_take: Callable[[], bool]) -> Next:
        """Run a started job and store its result (see _run_started for the answer)."""
        stop = self._stops.get(delivery.job_id)  # registered before its START, or (taken) now
        if stop is None:
            stop = self._register_stop(delivery.job_id)
        try:
            return self._run_started(delivery, started, stop, may_take)
        finally:
            self._stops.pop(delivery.job_id, None)

    def _run_started(self, delivery: Delivery, started: Started, stop: threading.Event,
                     may_take: Callable[[], bool]) -> Next:
        """-> (the next job, taken along with the result, whether the queue was looked at then)."""
        if started.stop_requested:
            stop.set()  # asked before this START (a stop asked since reaches `stop` through the listener)
        job = started.job
        log.info("[WORKER] running job %s: %s %s: %s", delivery.job_id, job.kind, job.language, shorten(job.source))
        self.metrics.wait_seconds.observe(max(0.0, started.started_at - started.created_at))
        with self._lock:
            self.running += 1
        try:
            on_test = None
            if job.kind == "judge":
                self._jobs.clear_progress(delivery.job_id)
                on_test = lambda test: self._tell_progress(delivery.job_id, test.to_dict())  # noqa: E731
            result = run_job(job, self.sandbox, stop, resolve=self.test_data.path, on_test=on_test)
            data, outcome = result.to_dict(), result.verdict.value
        except Exception as exc:  # noqa: BLE001 - any failure of ours is IE for this job, never a lost job
            log.exception("[WORKER] job %s failed inside the worker", delivery.job_id)
            data, outcome = {"verdict": "IE", "message": f"internal error: {exc}"}, "IE"
        finally:
            with self._lock:
                self.running -= 1
                self.done += 1
        take_next = may_take()
        stored, taken = self._store_result(delivery, data, outcome, take_next)
        if stored:
            self.metrics.jobs.labels(outcome).inc()
            self.metrics.run_seconds.observe(time.time() - started.started_at)
        log.info("[WORKER] job %s %s: %s", delivery.job_id, "done" if stored else "duplicate, discarded", outcome)
        return taken, take_next
