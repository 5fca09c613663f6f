"""Redis over a unix socket (REDIS_URL=unix:///PATH?db=N), as a Redis on the service's own
machine can be reached: the service and a worker take a job through it. The test runs its own
redis-server, listening on a socket in its temporary directory only."""

from __future__ import annotations

import shutil

import pytest

from .conftest import TOKEN, PrivateRedis, ServiceServer, WorkerProcess, queue_settings, service_app

HELLO = '#include <stdio.h>\nint main(void){puts("over the socket");return 0;}\n'


@pytest.fixture
def socket_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed (scripts/ensure-services.sh installs it)")
    server = PrivateRedis(0, unix_socket=tmp_path / "redis.sock")
    server.start()
    yield server
    server.stop()


def test_a_job_goes_through_a_redis_on_a_unix_socket(socket_redis, sandbox):
    assert socket_redis.url.startswith("unix://")
    with ServiceServer(service_app(queue_settings("unix", redis_url=socket_redis.url))) as service:
        worker = WorkerProcess("unix", redis_url=socket_redis.url)
        try:
            with service.client(TOKEN) as client:
                answer = client.post("/jobs", params={"wait": 60},
                                     json={"language": "c", "source": HELLO})
                assert answer.status_code == 200, answer.text
                assert answer.json()["result"]["stdout"] == "over the socket\n"
                health = client.get("/health").json()
                assert health["redis"] == "connected" and health["workers"] == 1, health
        finally:
            worker.terminate()  # SIGTERM: it ends its kept box (a SIGKILL would leave it to a sweep)
            sandbox.sweep_stale()
