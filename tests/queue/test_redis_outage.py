"""Redis stops and comes back: the service answers 503 (fast, never 500, never a hang) while it is
down, and serves again after. The test runs its own redis-server on a free port; the machine's
shared one is never touched."""

from __future__ import annotations

import shutil
import time

import pytest

from ..support import free_port
from .conftest import PrivateRedis, ServiceServer, WorkerProcess, queue_settings, service_app


@pytest.fixture
def private_redis():
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed (scripts/ensure-services.sh installs it)")
    server = PrivateRedis(free_port())
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def test_service_answers_503_while_redis_is_down_and_recovers(private_redis, sandbox):
    settings = queue_settings("outage", redis_url=private_redis.url)
    job = {"language": "python", "source": "print('after')"}
    worker = WorkerProcess("outage", redis_url=private_redis.url)
    with ServiceServer(service_app(settings)) as service, service.client() as client:
        before = client.post("/jobs", params={"wait": 60}, json=job).json()
        assert before["state"] == "done"
        private_redis.stop()
        for method, path, body in [("post", "/jobs", job), ("get", "/jobs/abc", None), ("get", "/health", None),
                                   ("delete", "/jobs/abc", None), ("get", "/metrics", None),
                                   ("get", "/readyz", None)]:
            started = time.monotonic()
            answer = client.request(method.upper(), path, json=body, timeout=30)
            assert answer.status_code == 503, (path, answer.text)
            assert answer.headers["Retry-After"]
            assert time.monotonic() - started < 10  # an error within seconds, not a hang
        waiting = client.get("/jobs/abc", params={"wait": 5}, timeout=30)
        assert waiting.status_code == 503
        private_redis.start()  # an empty Redis: what a restarted one without persistence looks like
        try:
            # The same worker, alive through the outage, takes the new job (it recreates the group).
            record = client.post("/jobs", params={"wait": 60}, json=job).json()
            assert record["state"] == "done" and record["result"]["stdout"] == "after\n"
            assert f":{worker.pid}:" in record["worker"]
            assert client.get("/health").json()["status"] == "healthy"
            assert client.get("/readyz").json() == {"status": "ready"}
        finally:
            worker.kill()
            sandbox.sweep_stale()  # its kept box: a killed worker cannot end it
