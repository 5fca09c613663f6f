"""The guide's checklist, fallback: whatever breaks on the queue path, the user gets the right
answer from direct execution, and the log says why."""

from __future__ import annotations

import logging
import time

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route


from codearena.service.store import WorkerStore

from ..queue.conftest import Queue, ServiceServer, queue_settings, remove_prefix, service_app
from ..queue.test_redis_outage import private_redis  # noqa: F401 - fixture
from ..support import HangingServer, RunningServer, free_port
from .conftest import platform, queue_mode

FALLBACK = "[EXEC-SERVICE] Queue unavailable, falling back to direct execution"
PROGRAM = {"code": "print('right answer')", "language": "python"}


def execute_once(server) -> dict:
    with server.client("alice") as alice:
        answer = alice.post("/api/execute", json=PROGRAM)
    assert answer.status_code == 200
    body = answer.json()
    assert body["verdict"] == "AC" and body["stdout"] == "right answer\n"
    return body


def fallback_reasons(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(FALLBACK)]


def with_user(server):
    server.add_user("alice")
    return server


def test_service_stopped(sandbox, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    with platform(tmp_path, sandbox, queue_mode(f"http://127.0.0.1:{free_port()}")) as server:
        execute_once(with_user(server))
        assert server.services.execution.executor.stats["fallback"] == 1
    assert "service unreachable: ConnectError" in fallback_reasons(caplog)[0]


def test_redis_stopped_behind_a_running_service(private_redis, sandbox, tmp_path, caplog):  # noqa: F811
    caplog.set_level(logging.INFO)
    with ServiceServer(service_app(queue_settings("fallback", redis_url=private_redis.url))) as service, \
            platform(tmp_path, sandbox, queue_mode(service.url)) as server:
        private_redis.stop()
        execute_once(with_user(server))
    assert "service answered 503" in fallback_reasons(caplog)[0]


def test_service_hanging_until_the_timeout(sandbox, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    with HangingServer() as hanging, platform(tmp_path, sandbox, queue_mode(hanging.url, timeout=1000)) as server:
        execute_once(with_user(server))
    assert "no answer within EXECUTION_TIMEOUT=1000 ms" in fallback_reasons(caplog)[0]


def _misbehaving(kind: str) -> Starlette:
    async def jobs(_request):
        if kind == "500":
            return PlainTextResponse("Internal Server Error", status_code=500)
        if kind == "garbage":
            return PlainTextResponse("<html>surprise</html>", status_code=200)
        if kind == "not-a-job":
            return JSONResponse([1, 2, 3])
        return JSONResponse({"id": "j1", "state": "done", "result": {"verdict": "MAYBE", "stdout": 5}})

    return Starlette(routes=[Route("/jobs", jobs, methods=["POST"]), Route("/jobs/{id}", jobs, methods=["GET", "DELETE"])])


@pytest.mark.parametrize("kind, reason", [
    ("500", "service answered 500"),
    ("garbage", "not JSON"),
    ("not-a-job", "not a job"),
    ("invalid-result", "not a valid result"),
])
def test_service_answering_garbage_or_500(sandbox, tmp_path, caplog, kind, reason):
    caplog.set_level(logging.INFO)
    with RunningServer(_misbehaving(kind)) as fake, platform(tmp_path, sandbox, queue_mode(fake.url)) as server:
        execute_once(with_user(server))
    assert reason in fallback_reasons(caplog)[0]


def test_a_job_that_never_starts_is_cancelled_and_run_directly(sandbox, tmp_path, caplog):
    """A worker is live (its heartbeat) but never takes the job: it waits in the queue past
    EXECUTION_MAX_POLL_TIME; the user gets the direct answer, and the queued job is cancelled so
    that it never runs for nobody (one answer, not two). (With no live worker at all the job is
    not even queued: tests/integration/test_queue_faults.py.)"""
    caplog.set_level(logging.INFO)
    prefix = "codearena-test-never"
    try:
        with ServiceServer(service_app(queue_settings(prefix))) as service, \
                platform(tmp_path, sandbox, queue_mode(service.url, max_poll_time=1500)) as server:
            queue = Queue(prefix, service)
            WorkerStore(queue.redis, queue_settings(prefix, worker_heartbeat_ttl=600)).heartbeat("idle", {"name": "idle"})
            execute_once(with_user(server))
            jobs = [queue.redis.hgetall(k) for k in queue.redis.scan_iter(match=queue.keys.job("*"))]
            assert [job["state"] for job in jobs] == ["cancelled"]
        assert "no worker started the job within EXECUTION_MAX_POLL_TIME=1500 ms" in fallback_reasons(caplog)[0]
    finally:
        remove_prefix(prefix)


def test_circuit_breaker_skips_the_queue_then_probes_it_back(sandbox, tmp_path, caplog):
    """Connection refused twice: the breaker opens and the next execution does not try the queue;
    once a real service listens on that port, the background probe closes it and the queue is used."""
    caplog.set_level(logging.INFO)
    port = free_port()
    prefix = "codearena-test-breaker"
    settings = queue_mode(f"http://127.0.0.1:{port}", breaker_failures=2, breaker_probe_interval=100)
    try:
        with platform(tmp_path, sandbox, settings) as server:
            with_user(server)
            facade = server.services.execution.executor
            for _ in range(3):
                execute_once(server)
            reasons = fallback_reasons(caplog)
            assert "unreachable" in reasons[0] and "unreachable" in reasons[1]
            assert "circuit breaker open" in reasons[2]
            with ServiceServer(service_app(queue_settings(prefix)), port=port) as service:
                queue = Queue(prefix, service)
                queue.start_worker()
                deadline = time.monotonic() + 30
                while not facade.breaker.allows():  # the background probe's doing
                    assert time.monotonic() < deadline, "the breaker never closed"
                    time.sleep(0.02)
                execute_once(server)
                assert facade.stats["queue"] == 1 and facade.stats["fallback"] == 3
                queue.stop_workers()
    finally:
        remove_prefix(prefix)


def test_health_and_status_tell_the_truth_up_down_and_up(sandbox, tmp_path):
    port = free_port()
    prefix = "codearena-test-health"

    def available(server) -> tuple[bool, bool]:
        with server.client("admin") as admin:
            health = admin.get("/api/health").json()["services"]["execution"]
            status = admin.get("/api/execution/status").json()
        assert health["mode"] == status["mode"] == "queue"
        return health["queueServiceAvailable"], status["queueServiceAvailable"]

    try:
        with platform(tmp_path, sandbox, queue_mode(f"http://127.0.0.1:{port}")) as server:
            server.add_user("admin", role="admin")
            assert available(server) == (False, False)
            with ServiceServer(service_app(queue_settings(prefix)), port=port) as service:
                queue = Queue(prefix, service)
                assert available(server) == (False, False)  # a service, but no live worker: nothing would run
                queue.start_worker()
                assert available(server) == (True, True)
                queue.stop_workers()
            assert available(server) == (False, False)
            with ServiceServer(service_app(queue_settings(prefix)), port=port) as service:
                queue = Queue(prefix, service)
                queue.start_worker()
                assert available(server) == (True, True)
                queue.stop_workers()
    finally:
        remove_prefix(prefix)


def test_the_health_probe_is_cached_not_made_per_request(sandbox, tmp_path):
    with HangingServer() as hanging, \
            platform(tmp_path, sandbox, queue_mode(hanging.url, health_cache_ttl=60000, timeout=1000)) as server:
        with server.client() as anonymous:
            for _ in range(5):
                assert anonymous.get("/api/health").json()["services"]["execution"]["queueServiceAvailable"] is False
        assert [line.split()[:2] for line in hanging.request_lines] == [["GET", "/health"]]


def test_a_full_queue_falls_back_without_tripping_the_breaker(sandbox, tmp_path, caplog):
    """A full backlog is load, not a fault: the user still gets the direct answer, and the breaker
    (threshold 1 here) stays closed so the queue keeps being used once it has room."""
    caplog.set_level(logging.INFO)
    prefix = "codearena-test-full"
    try:
        with ServiceServer(service_app(queue_settings(prefix, queue_max_backlog=1))) as service, \
                platform(tmp_path, sandbox, queue_mode(service.url, breaker_failures=1)) as server:
            with service.client() as direct_to_service:
                assert direct_to_service.post("/jobs", json={"language": "python", "source": "1"}).status_code == 202
            with_user(server)
            execute_once(server)
            execute_once(server)
            breaker = server.services.execution.executor.breaker
            assert breaker.allows() and breaker.failures == 0
        assert all("service answered 503" in reason for reason in fallback_reasons(caplog))
    finally:
        remove_prefix(prefix)


def test_a_service_without_wait_is_polled_at_the_poll_interval(sandbox, tmp_path):
    """A service that answers at once, never holding a request: the client polls (paced by
    EXECUTION_POLL_INTERVAL) and takes the result when it is there, without falling back."""
    gets = []
    done = {"id": "j1", "state": "done", "result": {
        "verdict": "AC", "message": "ran successfully", "stdout": "from the queue\n", "stderr": "",
        "compile_output": "", "exit_code": 0, "signal": None, "time": 0.01, "wall_time": 0.02, "memory": 1000,
        "language": "python"}}

    async def submit(_request):
        return JSONResponse({"id": "j1", "state": "queued"}, status_code=202)

    async def read(_request):
        gets.append(time.monotonic())
        return JSONResponse(done if len(gets) >= 3 else {"id": "j1", "state": "queued"})

    app = Starlette(routes=[Route("/jobs", submit, methods=["POST"]), Route("/jobs/{id}", read, methods=["GET"])])
    with RunningServer(app) as fake, platform(tmp_path, sandbox, queue_mode(fake.url, poll_interval=200)) as server:
        with with_user(server).client("alice") as alice:
            body = alice.post("/api/execute", json=PROGRAM).json()
        assert body["stdout"] == "from the queue\n"
        assert server.services.execution.executor.stats == {"queue": 1}
    assert len(gets) == 3
    assert min(b - a for a, b in zip(gets, gets[1:])) >= 0.2  # paced, not a busy loop
