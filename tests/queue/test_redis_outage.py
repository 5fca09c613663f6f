"""Redis stops and comes back: the service answers 503 (fast, never 500, never a hang) while it is
down, and serves again after. The test runs its own redis-server on a free port; the machine's
shared one is never touched."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import redis


from ..support import free_port
from .conftest import ServiceServer, WorkerProcess, queue_settings, service_app


class PrivateRedis:
    """A redis-server of the test's own. `persist_dir`: with an append-only file there (fsync on
    every write), so a restart comes back with what it held, as a production Redis does."""

    def __init__(self, port: int, persist_dir=None):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None
        self.persistence = (["--appendonly", "yes", "--appendfsync", "always", "--dir", str(persist_dir)]
                            if persist_dir else ["--appendonly", "no"])

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", *self.persistence], stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.02)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


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
