"""Queue mode for real: the execution service over HTTP (uvicorn on loopback), worker processes
(`codearena worker`), the real Redis on 127.0.0.1:6379 under a key prefix of the test's own
(removed afterwards), and the real sandbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from typing import Iterator

import httpx
import pytest
import redis

from codearena.adapters.judge0 import Judge0Settings
from codearena.adapters.piston import PistonSettings
from codearena.assembly import execution_service_app
from codearena.common_settings import CommonSettings
from codearena.service.keys import Keys
from codearena.service.settings import QueueSettings, ServiceSettings

from ..support import SERVICE_TOKEN, RunningServer, missing, redis_reachable

REDIS_URL = "redis://127.0.0.1:6379/0"
TOKEN = SERVICE_TOKEN
FAST_HEARTBEATS = {"WORKER_HEARTBEAT_INTERVAL": "0.2", "WORKER_HEARTBEAT_TTL": "1.5"}


def queue_settings(prefix: str, redis_url: str = REDIS_URL, **overrides) -> QueueSettings:
    values = dict(redis_url=redis_url, queue_prefix=prefix, worker_heartbeat_interval=0.2, worker_heartbeat_ttl=1.5)
    values.update(overrides)
    return QueueSettings(**values)


def service_app(queue: QueueSettings, judge0: Judge0Settings | None = None, common: dict | None = None,
                piston: PistonSettings | None = None, **service_overrides):
    """The execution service as deployed (Judge0 API included, Piston's when given) with this test's settings and token."""
    return execution_service_app(queue, ServiceSettings(**service_overrides),
                                 CommonSettings(execution_service_token=TOKEN, **(common or {})), judge0, piston)


class ServiceServer(RunningServer):
    def client(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


class WorkerProcess:
    """`codearena worker` as its own process (it can be killed with -9)."""

    def __init__(self, prefix: str, concurrency: int = 1, redis_url: str = REDIS_URL, **env):
        self.env = {**os.environ, "REDIS_URL": redis_url, "QUEUE_PREFIX": prefix, "LOG_LEVEL": "info",
                    **FAST_HEARTBEATS, **env}
        self.process = subprocess.Popen([sys.executable, "-m", "codearena", "worker", "-c", str(concurrency)],
                                        env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.pid = self.process.pid

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process.stderr.close()

    def terminate(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        try:
            _, stderr = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGUSR1)  # every thread's stack, for the failure message
            time.sleep(1)
            self.process.kill()
            _, stderr = self.process.communicate(timeout=30)
            raise AssertionError(f"worker did not stop on SIGTERM:\n{stderr[-6000:]}")
        return stderr


class Queue:
    """One test's queue: its own prefix, a service, and the workers it starts."""

    def __init__(self, prefix: str, service: ServiceServer):
        self.prefix = prefix
        self.keys = Keys(prefix)
        self.service = service
        self.redis = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        self.workers: list[WorkerProcess] = []

    def start_worker(self, concurrency: int = 1, wait: bool = True, **env) -> WorkerProcess:
        worker = WorkerProcess(self.prefix, concurrency, **env)
        self.workers.append(worker)
        if wait:
            self.wait_for_workers(lambda names: any(f":{worker.pid}:" in n for n in names))
        return worker

    def worker_names(self) -> list[str]:
        return [k.split(":worker:", 1)[1] for k in self.redis.scan_iter(match=self.keys.workers_pattern)]

    def wait_for_workers(self, condition, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self.worker_names()):  # heartbeats appear in Redis
            assert time.monotonic() < deadline, "workers did not come up"
            time.sleep(0.05)

    def job(self, job_id: str) -> dict:
        return self.redis.hgetall(self.keys.job(job_id))

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.kill()
        self.workers.clear()


class PrivateRedis:
    """A redis-server of the test's own. `persist_dir`: with an append-only file there (fsync on
    every write), so a restart comes back with what it held, as a production Redis does."""

    def __init__(self, port: int, persist_dir=None, unix_socket=None):
        self.port = port
        self.persistence = (["--appendonly", "yes", "--appendfsync", "always", "--dir", str(persist_dir)]
                            if persist_dir else ["--appendonly", "no"])
        # `unix_socket`: listening there only (no TCP port), as Redis beside the service can.
        self.listen = (["--port", "0", "--unixsocket", str(unix_socket), "--unixsocketperm", "700"] if unix_socket
                       else ["--port", str(port), "--bind", "127.0.0.1"])
        self.url = f"unix://{unix_socket}?db=0" if unix_socket else f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", *self.listen, "--save", "", *self.persistence],
                                        stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
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


def require_redis() -> None:
    if not redis_reachable(REDIS_URL):
        missing(f"Redis is needed at {REDIS_URL}", "start it with `make services`")


def remove_prefix(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def queue(sandbox) -> Iterator[Queue]:
    require_redis()
    prefix = f"codearena-test-{uuid.uuid4().hex[:10]}"
    with ServiceServer(service_app(queue_settings(prefix))) as service:
        running = Queue(prefix, service)
        try:
            yield running
        finally:
            running.stop_workers()
            remove_prefix(prefix)
            sandbox.sweep_stale()  # boxes of workers the test killed mid-run


@pytest.fixture
def client(queue) -> Iterator[httpx.Client]:
    with queue.service.client() as c:
        yield c
