"""Direct mode's pool: interactive jobs go before bulk judging, arrival order within a priority;
what was not started when its caller left never runs."""

from __future__ import annotations

import asyncio
import threading
import time

from codearena.engine.judge import TestCase
from codearena.execution import Job
from codearena.execution.direct import DirectExecutor, PriorityThreadPool


def wait_until(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


def test_interactive_work_overtakes_bulk_work_waiting_before_it():
    pool = PriorityThreadPool(1, "test")
    release, order = threading.Event(), []
    blocker = pool.submit("bulk", release.wait)  # the only thread is busy until released
    wait_until(lambda: pool.waiting == 0)  # the blocker has been taken
    futures = [pool.submit(priority, lambda name=name: order.append(name))
               for priority, name in [("bulk", "bulk 1"), ("interactive", "run 1"), ("bulk", "bulk 2"),
                                      ("interactive", "run 2")]]
    release.set()
    for future in [blocker, *futures]:
        future.result(timeout=30)
    assert order == ["run 1", "run 2", "bulk 1", "bulk 2"]
    pool.shutdown()


def test_work_cancelled_before_it_starts_never_runs_and_shutdown_stops_the_threads():
    pool = PriorityThreadPool(1, "test")
    release, ran = threading.Event(), []
    blocker = pool.submit("interactive", release.wait)
    wait_until(lambda: pool.waiting == 0)
    cancelled = pool.submit("interactive", lambda: ran.append("cancelled"))
    assert cancelled.cancel()
    kept = pool.submit("interactive", lambda: ran.append("kept"))
    release.set()
    assert kept.result(timeout=30) is None and blocker.result(timeout=30) is True
    assert ran == ["kept"]
    pool.shutdown()
    assert not any(t.is_alive() for t in pool._threads)


def test_direct_executor_runs_sample_runs_before_waiting_submissions(sandbox):
    async def scenario() -> list[str]:
        executor = DirectExecutor(concurrency=1, max_waiting=10, sandbox=sandbox)
        release, finished = threading.Event(), []
        blocker = asyncio.wrap_future(executor._pool.submit("bulk", release.wait))
        await asyncio.to_thread(wait_until, lambda: executor._pool.waiting == 0)

        async def track(name, coroutine):
            result = await coroutine
            finished.append(name)
            return result

        tests = (TestCase("1", b"", b"judged\n"),)
        judged = asyncio.create_task(track("submission", executor.run(
            Job.for_judging("print('judged')", "python", tests, priority="bulk"))))
        await asyncio.to_thread(wait_until, lambda: executor._pool.waiting == 1)
        ran = asyncio.create_task(track("run", executor.run(Job.for_run("print('ran')", "python"))))
        await asyncio.to_thread(wait_until, lambda: executor._pool.waiting == 2)
        release.set()
        await blocker
        results = await asyncio.gather(judged, ran)
        await executor.aclose()
        assert results[0].verdict.value == "AC" and results[1].stdout == "ran\n"
        return finished

    assert asyncio.run(scenario()) == ["run", "submission"]
