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

import redis
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, stop_when_event_set, wait_fixed

from ..execution.run import run_job
from ..logs import shorten
from ..sandbox import Sandbox, get_sandbox, keep_boxes, tidy_kept_boxes
from .metrics import WorkerMetrics
from .settings import QueueSettings
from .store import Delivery, Started, WorkerStore, ensure_groups, redis_options
from ..execution.testdata import TestDataCache

log = logging.getLogger("codearena.service.worker")
READ_BLOCK_MS = 1000
RECLAIM_INTERVAL = 1.0  # seconds between looks for lost jobs


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
        self._held: set[str] = set()  # entry ids this process's slots have read or claimed, until done
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
                        if message and (stop := self._stops.get(message["data"])):
                            log.info("[WORKER] stopping job %s: its client gave up on it", message["data"])
                            stop.set()
            except redis.RedisError as exc:
                log.warning("[WORKER] stop channel: %s; resubscribing", exc)
                self.stopping.wait(1.0)

    def _slot(self) -> None:
        """Never dies of an error: a slot thread that ended would leave the worker alive and idle
        (or exit it with status 0, and no supervisor would restart it)."""
        with keep_boxes():  # its box stays started between jobs
            self._serve_slot()

    def _serve_slot(self) -> None:
        own: deque[Delivery] = deque()
        while not self.stopping.is_set():
            try:
                try:
                    delivery, attempts = self.reclaimed.get_nowait()
                except queues.Empty:
                    if not own:
                        own.extend(self._hold(self.store.read(self.name, READ_BLOCK_MS)))
                    if not own:
                        continue
                    delivery, attempts = own.popleft(), 0
                try:
                    self._process(delivery, attempts)
                finally:
                    with self._lock:
                        self._held.discard(delivery.entry_id)
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

    # -- one job --------------------------------------------------------------------------
    def _store_result(self, delivery: Delivery, data: dict, outcome: str) -> bool:
        """Store a finished job's result, retrying while Redis is unreachable (bounded by the
        result's TTL): a result computed is never dropped for an outage. If Redis stays away
        that long, the entry stays pending and is reclaimed."""
        try:  # tried once before the retry machinery, which costs more than the store itself
            return self.store.complete(delivery, data, outcome)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("[WORKER] job %s: cannot store its result yet (%s); retrying", delivery.job_id, exc)
        retrying = Retrying(retry=retry_if_exception_type((redis.ConnectionError, redis.TimeoutError)),
                            wait=wait_fixed(1.0), stop=stop_after_delay(self.settings.queue_result_ttl), reraise=True,
                            before_sleep=lambda state: log.warning(
                                "[WORKER] job %s: cannot store its result yet (%s); retrying", delivery.job_id,
                                state.outcome.exception()))
        return retrying(self.store.complete, delivery, data, outcome)

    def _process(self, delivery: Delivery, attempts: int) -> None:
        if attempts >= self.settings.queue_max_attempts:
            reason = (f"internal error: the job was started {attempts} times and each time its worker was lost "
                      f"before it finished; giving up")
            kind = self.client.hget(self.store.keys.job(delivery.job_id), "kind") or "run"
            self.store.fail(delivery, kind, reason)
            self.metrics.jobs.labels("IE").inc()
            log.warning("[WORKER] job %s failed after %d attempts", delivery.job_id, attempts)
            return
        stop = self._stops[delivery.job_id] = threading.Event()  # before START: no stop request is missed
        try:
            self._run_started(delivery, stop)
        finally:
            self._stops.pop(delivery.job_id, None)

    def _tell_progress(self, job_id: str, test: dict) -> None:
        """A test judged: its waiters may show it now. Redis failing here costs only the live
        view (the result still carries every test), never the judging."""
        try:
            self.store.progress(job_id, test)
        except redis.RedisError as exc:
            log.warning("[WORKER] job %s: could not record a test's progress (%s)", job_id, exc)

    def _run_started(self, delivery: Delivery, stop: threading.Event) -> None:
        started = self.store.start(delivery, self.name)
        if not isinstance(started, Started):
            log.info("[WORKER] job %s skipped: %s", delivery.job_id, started)
            return
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
                self.store.clear_progress(delivery.job_id)
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
        stored = self._store_result(delivery, data, outcome)
        if stored:
            self.metrics.jobs.labels(outcome).inc()
            self.metrics.run_seconds.observe(time.time() - started.started_at)
        log.info("[WORKER] job %s %s: %s", delivery.job_id, "done" if stored else "duplicate, discarded", outcome)
