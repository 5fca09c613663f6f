"""Queue mode under faults and backlog (issue 14): every client gets exactly one answer, each
program runs once, no job is stuck, and the breaker counts only the service's faults.

Services the tests break are their own (a private redis-server on a free port); the machine's
shared Redis is only used under a private key prefix."""

from __future__ import annotations

import logging
import time
import uuid

import redis

from codearena.service.keys import Keys

from ..queue.conftest import Queue, ServiceServer, WorkerProcess, queue_settings, remove_prefix, service_app
from ..queue.test_redis_outage import PrivateRedis
from ..support import free_port
from .conftest import platform, queue_mode
from .test_fallback import fallback_reasons

SLEEPER = "import time\ntime.sleep({seconds})\nprint('slept {tag}')\n"


def wait_until(condition, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def jobs_of(queue: Queue) -> dict[str, dict]:
    return {key.rsplit(":", 1)[1]: queue.redis.hgetall(key) for key in queue.redis.scan_iter(match=queue.keys.job("*"))}


def run(server, user: str, body: dict) -> dict:
    with server.client(user) as client:
        answer = client.post("/api/execute", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_no_live_worker_goes_direct_at_once_and_health_says_so(sandbox, tmp_path, caplog):
    """No worker: the service refuses the job at once (nothing is queued for nobody), the user
    gets the direct answer without waiting EXECUTION_MAX_POLL_TIME, health says degraded and
    queueServiceAvailable false; a worker coming up turns both back."""
    caplog.set_level(logging.INFO)
    prefix = f"codearena-test-{uuid.uuid4().hex[:10]}"
    with ServiceServer(service_app(queue_settings(prefix))) as service:
        queue = Queue(prefix, service)
        try:
            with platform(tmp_path, sandbox, queue_mode(service.url, max_poll_time=120000)) as server, \
                    service.client() as direct_to_service:
                server.add_user("alice")
                assert direct_to_service.get("/health").json()["status"] == "degraded"
                body = run(server, "alice", {"code": "print('direct')", "language": "python"})
                assert body["verdict"] == "AC" and body["stdout"] == "direct\n"
                assert server.services.execution.executor.stats == {"fallback": 1}
                assert "no live worker" in fallback_reasons(caplog)[0]
                assert jobs_of(queue) == {}  # refused, not queued for a worker that may never come
                with server.client() as anonymous:
                    health = anonymous.get("/api/health").json()["services"]["execution"]
                    assert health["queueServiceAvailable"] is False
                    queue.start_worker()
                    wait_until(lambda: anonymous.get("/api/health").json()["services"]["execution"]
                               ["queueServiceAvailable"], what="the platform to see the worker")
                assert direct_to_service.get("/health").json()["status"] == "healthy"
                body = run(server, "alice", {"code": "print('queued')", "language": "python"})
                assert body["stdout"] == "queued\n"
                assert server.services.execution.executor.stats == {"fallback": 1, "queue": 1}
        finally:
            queue.stop_workers()
            remove_prefix(prefix)


def test_a_job_that_outlasts_max_poll_time_runs_once_on_its_worker(stack_with_short_poll):
    """Started before EXECUTION_MAX_POLL_TIME (2 s) but running longer (3 s): the platform waits
    for that run, instead of giving up and running the program a second time directly."""
    queue, server = stack_with_short_poll
    body = run(server, "alice", {"code": SLEEPER.format(seconds=3, tag="once"), "language": "python",
                                 "timeLimit": 2})
    assert body["verdict"] == "AC" and body["stdout"] == "slept once\n"
    assert server.services.execution.executor.stats == {"queue": 1}
    [job] = jobs_of(queue).values()
    assert job["state"] == "done" and job["attempts"] == "1"


def test_a_job_not_started_within_max_poll_time_is_cancelled_and_runs_once_directly(stack_with_short_poll, caplog):
    """The one slot is busy longer than EXECUTION_MAX_POLL_TIME: the waiting job is cancelled in
    the queue (it never starts) and answered directly; a backlog is load, not a fault."""
    caplog.set_level(logging.INFO)
    queue, server = stack_with_short_poll
    with queue.service.client() as direct_to_service:
        busy = direct_to_service.post("/jobs", json={"language": "python", "source": SLEEPER.format(seconds=5, tag="b"),
                                                     "limits": {"cpu_time": 3}}).json()["id"]
        wait_until(lambda: queue.job(busy).get("state") == "running", what="the slot to be busy")
        body = run(server, "alice", {"code": "print('waited')", "language": "python"})
        assert body["stdout"] == "waited\n"
        executor = server.services.execution.executor
        assert executor.stats == {"fallback": 1} and executor.breaker.failures == 0
        assert "no worker started the job within EXECUTION_MAX_POLL_TIME" in fallback_reasons(caplog)[0]
        assert direct_to_service.get(f"/jobs/{busy}", params={"wait": 60}).json()["state"] == "done"
    [given_up] = [job for job_id, job in jobs_of(queue).items() if job_id != busy]
    assert given_up["state"] == "cancelled" and given_up["attempts"] == "0"  # it never ran on a worker
    for stream in queue.keys.streams:
        assert queue.redis.xlen(stream) == 0


def test_a_result_finished_while_redis_is_down_is_stored_when_it_returns(sandbox, tmp_path):
    """Redis stops while a job runs and comes back (with its data, as a persistent Redis does):
    the worker keeps the result and stores it then. The program ran once."""
    private = PrivateRedis(free_port(), persist_dir=tmp_path)
    private.start()
    worker = WorkerProcess("outage", redis_url=private.url)
    try:
        with ServiceServer(service_app(queue_settings("outage", redis_url=private.url))) as service, \
                service.client() as client:
            job_id = client.post("/jobs", json={"language": "python", "source": SLEEPER.format(seconds=2, tag="r")}).json()["id"]
            store = redis.Redis.from_url(private.url, decode_responses=True)
            wait_until(lambda: store.hget(Keys("outage").job(job_id), "state") == "running", what="the job to start")
            private.stop()
            for line in worker.process.stderr:  # the worker says it cannot store the result yet
                if "cannot store its result yet" in line:
                    break
            private.start()
            record = client.get(f"/jobs/{job_id}", params={"wait": 60}).json()
            assert record["state"] == "done" and record["attempts"] == 1
            assert record["result"]["verdict"] == "AC" and record["result"]["stdout"] == "slept r\n"
    finally:
        worker.kill()
        if private.process.poll() is None:
            private.stop()


def test_a_problems_large_tests_go_to_the_queue_once_by_digest(stack):
    """Tests above the inline limit are uploaded beside the queue and named by digest; the
    submission is judged on the worker (no fallback) and a second one reuses the stored data."""
    import hashlib

    queue, server = stack
    big = "7 8\n" + " " * (200 * 1024) + "\n"  # 200 KiB: beyond the 64 KiB sent inline
    with server.client("admin") as admin, server.client("alice") as alice:
        problem = admin.post("/api/problems", json={"title": "Big", "timeLimit": 2, "tests": [
            {"name": "big", "input": big, "expectedOutput": "15\n"}, {"name": "small", "input": "1 1\n",
                                                                       "expectedOutput": "2\n"}]}).json()
        code = "import sys\na, b = map(int, sys.stdin.read().split())\nprint(a + b)\n"
        for _ in range(2):
            body = alice.post("/api/submissions", params={"wait": 60},
                              json={"problemId": problem["id"], "code": code, "language": "python"}).json()
            assert body["verdict"] == "AC", body
    assert server.services.execution.executor.stats == {"queue": 2}
    assert queue.redis.exists(queue.keys.data(hashlib.sha256(big.encode()).hexdigest()))
