"""Start CodeArena's own processes for a benchmark: the platform server, the execution service,
workers. Each on a free loopback port, under its own Redis prefix, with quiet logs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid

import httpx
import redis

from .common import process_tree_cpu

CLI = [sys.executable, "-m", "codearena"]
LOG_DIR = os.environ.get("BENCH_LOG_DIR")  # set it to keep the processes' logs (diagnosis)


def log_file(name: str):
    """Where a process's stderr goes: a file under BENCH_LOG_DIR, else nowhere."""
    if not LOG_DIR:
        return subprocess.DEVNULL
    os.makedirs(LOG_DIR, exist_ok=True)
    return open(os.path.join(LOG_DIR, f"{name}-{uuid.uuid4().hex[:6]}.log"), "w")
TOKEN = "bench-token-" + uuid.uuid4().hex
REDIS_URL = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, headers: dict | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, headers=headers, timeout=2)
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up")
            time.sleep(0.05)


def wait_until_idle(pid: int, timeout: float = 60) -> None:
    """Until the process (and its children) used under 10 ms of CPU in half a second."""
    deadline = time.monotonic() + timeout
    used = process_tree_cpu(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if (now := process_tree_cpu(pid)) - used < 0.01:
            return
        used = now


class QueueStack:
    """An execution service and workers under a fresh prefix; removed (keys too) on exit."""

    def __init__(self):
        self.prefix = f"bench-{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "REDIS_URL": REDIS_URL, "QUEUE_PREFIX": self.prefix, "LOG_LEVEL": "warning",
                    "EXECUTION_SERVICE_TOKEN": TOKEN, "EXECUTION_SERVICE_PORT": str(self.port),
                    "EXECUTION_SERVICE_HOST": "127.0.0.1"}
        self.headers = {"Authorization": f"Bearer {TOKEN}"}
        self.service: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.extra_services: list[subprocess.Popen] = []

    def __enter__(self) -> "QueueStack":
        self.service = subprocess.Popen(CLI + ["execution-service"], env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=log_file("service"))
        self._warm(self.url, self.service)
        return self

    def _warm(self, url: str, process: subprocess.Popen) -> None:
        """Up, with its toolchains probed: a service probes every toolchain's version on its first
        language list, seconds of CPU beside the first measurements (and past a client's timeout:
        the Judge0 SDK lists languages as it starts) unless they wait for it to end."""
        wait_for_http(url + "/health", process, self.headers)
        httpx.get(url + "/languages", headers=self.headers, timeout=120).raise_for_status()
        wait_until_idle(process.pid)

    def another_service(self, **env: str) -> str:
        """One more service process on the same queue, with other settings; returns its URL."""
        port = free_port()
        process = subprocess.Popen(CLI + ["execution-service"], env={**self.env, "EXECUTION_SERVICE_PORT": str(port),
                                                                     **env},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.extra_services.append(process)
        url = f"http://127.0.0.1:{port}"
        self._warm(url, process)
        return url

    def set_workers(self, count: int, concurrency: int = 1) -> None:
        for worker in self.workers:
            worker.terminate()
            worker.wait(timeout=120)
        self.workers = [subprocess.Popen(CLI + ["worker", "-c", str(concurrency)], env=self.env,
                                         stdout=subprocess.DEVNULL, stderr=log_file("worker")) for _ in range(count)]
        deadline = time.monotonic() + 60
        while httpx.get(self.url + "/health", headers=self.headers).json()["workers"] != count:
            if time.monotonic() > deadline:
                raise RuntimeError("workers did not come up")
            time.sleep(0.05)
        for worker in self.workers:  # registered, then still importing what a first job needs
            wait_until_idle(worker.pid)

    def __exit__(self, *exc) -> None:
        processes = self.workers + self.extra_services + [self.service]
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=120)
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{self.prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


class PlatformProcess:
    """`codearena serve` with its own SQLite file and a user `bench`; `token` logs it in."""

    def __init__(self, workdir: str, log_path: str | None = None, **env: str):
        self.log_path = log_path  # its stderr (the JSON log lines) goes there, when given
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        name = uuid.uuid4().hex[:6]
        self.env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir}/platform-{name}.db", "PORT": str(self.port),
                    "HOST": "127.0.0.1", "RATE_LIMIT": "", "LOG_LEVEL": "warning", "JWT_SECRET": "b" * 48}
        self.env.update(env)
        self.process: subprocess.Popen | None = None
        self.token = ""

    def __enter__(self) -> "PlatformProcess":
        subprocess.run(CLI + ["users", "create", "bench", "--password-stdin"], env=self.env,
                       input=b"bench-password\n", check=True, capture_output=True)
        self.process = subprocess.Popen(CLI + ["serve"], env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=open(self.log_path, "w") if self.log_path else log_file("platform"))
        wait_for_http(self.url + "/api/health", self.process)
        login = httpx.post(self.url + "/api/auth/login", json={"username": "bench", "password": "bench-password"})
        self.token = login.json()["token"]
        return self

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=60, **kwargs)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
