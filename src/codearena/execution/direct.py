"""Direct mode: run jobs in this process's sandbox, on a bounded pool of long-lived threads.

Long-lived threads matter: bwrap's --die-with-parent follows the thread that spawned it, so a
run must not be started from a thread that may exit mid-run. The pool also bounds how many
programs run at once; up to `max_waiting` more wait their turn, interactive jobs before bulk
judging, beyond that ExecutorBusy (503). The event loop only awaits: it is never blocked by a
running program.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Callable, TypeVar

from ..logs import shorten
from ..sandbox import Sandbox, SandboxUnavailable, get_sandbox, keep_boxes, tidy_kept_boxes
from .contract import Job, Priority, Result
from .executor import ExecutorBusy, OnTest
from .run import run_job
from .testdata import TestDataCache

log = logging.getLogger("codearena.execution.direct")
T = TypeVar("T")


class PriorityThreadPool:
    """Long-lived threads that take work interactive first, in arrival order within a priority."""

    _RANK = {"interactive": 0, "bulk": 1}
    _STOP = 2  # ranks after all work

    def __init__(self, threads: int, name: str):
        self._work: queue.PriorityQueue = queue.PriorityQueue()
        self._arrival = itertools.count()
        self._threads = [threading.Thread(target=self._serve, name=f"{name}-{i}", daemon=True) for i in range(threads)]
        for thread in self._threads:
            thread.start()

    @property
    def waiting(self) -> int:
        return self._work.qsize()

    def submit(self, priority: Priority, work: Callable[[], T]) -> Future:
        future: Future = Future()
        self._work.put((self._RANK[priority], next(self._arrival), work, future))
        return future

    def _serve(self) -> None:
        with keep_boxes():  # a long-lived thread: its box stays started between runs
            while True:
                rank, _, work, future = self._work.get()
                if rank == self._STOP:
                    return
                if not future.set_running_or_notify_cancel():  # its caller went away before it started
                    continue
                try:
                    future.set_result(work())
                except BaseException as exc:  # noqa: BLE001 (handed to the caller)
                    future.set_exception(exc)
                tidy_kept_boxes()  # the last run's clean-up, now that its caller has the result

    def shutdown(self) -> None:
        """Cancel what has not started, let running work finish, stop the threads."""
        while True:
            try:
                _, _, _, future = self._work.get_nowait()
            except queue.Empty:
                break
            if future is not None:
                future.cancel()
        for _ in self._threads:
            self._work.put((self._STOP, next(self._arrival), None, None))
        for thread in self._threads:
            thread.join()


class DirectExecutor:
    def __init__(self, concurrency: int, max_waiting: int, sandbox: Sandbox | None = None,
                 fetch_test_data: Callable[[str], bytes | None] | None = None, test_data_mb: int = 4096):
        self.fetch_test_data = fetch_test_data
        self.test_data_mb = test_data_mb
        self._test_data: TestDataCache | None = None
        self.concurrency = concurrency
        self.max_waiting = max_waiting
        self._sandbox = sandbox
        self._pool = PriorityThreadPool(concurrency, "direct-exec")
        self._admitted = 0
        self._lock = threading.Lock()

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            self._sandbox = get_sandbox()
        return self._sandbox

    def _resolve(self, name: str) -> Path:
        """Test data named by digest, as a file of this machine's cache."""
        if self.fetch_test_data is None:
            raise LookupError(f"a job names test data {name} by digest, and this server has nowhere to fetch it from")
        with self._lock:
            if self._test_data is None:
                self._test_data = TestDataCache(self.fetch_test_data, self.sandbox.settings.state_dir / "testdata-direct",
                                                self.test_data_mb * 1024 * 1024)
        return self._test_data.path(name)

    def sweep_stale(self) -> int:
        try:
            return self.sandbox.sweep_stale()
        except SandboxUnavailable as exc:
            log.error("[DIRECT-EXEC] no sandbox on this machine, every direct run will be IE: %s", exc)
            return 0

    @property
    def in_flight(self) -> int:
        return self._admitted

    async def run(self, job: Job, on_test: OnTest | None = None) -> Result:
        tell = None
        if on_test is not None:  # judged in a pool thread, told on the loop
            loop = asyncio.get_running_loop()
            tell = lambda test: loop.call_soon_threadsafe(on_test, test)  # noqa: E731
        if job.kind == "run":
            log.info("[DIRECT-EXEC] Executing %s code: %s", job.language, shorten(job.source))
        else:
            log.info("[DIRECT-EXEC] Judging %s code on %d tests (%s): %s", job.language, len(job.tests),
                     job.priority, shorten(job.source))
        try:
            return await self._submit(job.priority, lambda cancel: run_job(job, self.sandbox, cancel, self._resolve, tell))
        except (ExecutorBusy, asyncio.CancelledError):
            raise
        except Exception as exc:  # noqa: BLE001 - the system's failure is IE, never a 500
            log.exception("[DIRECT-EXEC] Execution failed inside the system: %s", shorten(job.source))
            return job.failure(f"internal error: {exc}")

    async def _submit(self, priority: Priority, work: Callable[[threading.Event], T]) -> T:
        """Run `work(cancel)` on the pool. If the awaiting task is cancelled (its client went
        away), the work is dropped if it has not started, and stopped (`cancel` set) if it has."""
        with self._lock:
            if self._admitted >= self.concurrency + self.max_waiting:
                raise ExecutorBusy(retry_after=1)
            self._admitted += 1
        cancel = threading.Event()
        future = self._pool.submit(priority, lambda: work(cancel))
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            cancel.set()
            log.info("[DIRECT-EXEC] Stopped a run nobody waits for any more")
            raise
        finally:
            with self._lock:
                self._admitted -= 1

    async def aclose(self) -> None:
        await asyncio.to_thread(self._pool.shutdown)
