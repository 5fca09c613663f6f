"""Load: N concurrent clients (10,000 in the full run) against the platform server in queue mode,
all at once, each an authenticated POST /api/execute of a small C program with its own input;
with 1 and then 2 worker processes. Correctness (every answer right, none lost, no errors) is
asserted; times are reported. A client told 429/503 waits Retry-After and tries again, as a
real client does; that counts as a retry, not an error."""

from __future__ import annotations

import asyncio
import os
import resource
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import httpx
import jwt
import redis

from .common import RESULTS_DIR, own_cpu_seconds, process_tree_cpu, write_json
from .processes import REDIS_URL, TOKEN, PlatformProcess, QueueStack

PROGRAM = '#include <stdio.h>\nint main(void){long n; if (scanf("%ld", &n) != 1) return 1; printf("%ld\\n", 2 * n); return 0;}\n'
SECRET = "b" * 48  # PlatformProcess's JWT_SECRET: the load test mints one token per simulated user
MAX_RETRIES = 50


def raise_open_files() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children (the servers) inherit it
    return hard


def token(user_id: int, role: str = "user") -> str:
    claims = {"sub": str(user_id), "name": f"load{user_id}", "role": role,
              "exp": datetime.now(timezone.utc) + timedelta(hours=2)}
    return jwt.encode(claims, SECRET, algorithm="HS256")


class ProcessSampler:
    """Peak resident memory and open TCP connections of each server process, sampled twice a second;
    and the CPU each process (its tree: a worker's boxes and runs) and this one (the clients) used
    between entering and leaving."""

    def __init__(self, processes: dict[str, int]):
        self.processes = processes
        self.peak_rss_mb = Counter()
        self.peak_connections = Counter()
        self.cpu_seconds: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for name, pid in self.processes.items():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                rss_kb = int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])
                sockets = sum(1 for fd in os.scandir(f"/proc/{pid}/fd")
                              if os.readlink(fd.path).startswith("socket:"))
            except (OSError, StopIteration):
                continue
            self.peak_rss_mb[name] = max(self.peak_rss_mb[name], rss_kb / 1024)
            self.peak_connections[name] = max(self.peak_connections[name], sockets)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def _cpu(self) -> dict[str, float]:
        return {"clients": own_cpu_seconds(), **{name: process_tree_cpu(pid) for name, pid in self.processes.items()}}

    def __enter__(self) -> "ProcessSampler":
        self._cpu_before = self._cpu()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        after = self._cpu()
        self.cpu_seconds = {name: after[name] - before for name, before in self._cpu_before.items()}


CLIENTS_PER_POOL = 50  # httpx's pool scans its connections per request: many small pools, not one of 10,000


async def drive_clients(url: str, count: int, request: Callable[[int], tuple[str, dict]],
                        check: Callable[[int, dict], str | None], first_user: int, timeout_s: float) -> dict:
    """`count` clients, all released at the same moment, client i a user of its own (id first_user + i)
    POSTing request(i) -> (path, json). A 429/503 waits Retry-After and tries again (a retry, not an
    error); check(i, answer) says what is wrong with a 200 answer, or None when it is right."""
    tokens = [token(first_user + i) for i in range(count)]
    limits = httpx.Limits(max_connections=CLIENTS_PER_POOL, max_keepalive_connections=CLIENTS_PER_POOL)
    timeout = httpx.Timeout(timeout_s, connect=300, pool=timeout_s)
    outcomes: Counter[str] = Counter()
    retries: Counter[int] = Counter()
    latencies: list[float] = []
    finished_at: list[float] = []
    wrong: list[str] = []
    go = asyncio.Event()
    pools = [httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout)
             for _ in range((count + CLIENTS_PER_POOL - 1) // CLIENTS_PER_POOL)]
    try:
        async def one(i: int) -> None:
            client = pools[i // CLIENTS_PER_POOL]  # one connection per client: its pool has room for all
            path, body = request(i)
            await go.wait()  # every client starts at the same moment
            started = time.perf_counter()
            for _ in range(MAX_RETRIES):
                try:
                    answer = await client.post(path, headers={"Authorization": f"Bearer {tokens[i]}"}, json=body)
                except httpx.HTTPError as exc:
                    outcomes[f"error: {exc.__class__.__name__}"] += 1
                    return
                if answer.status_code in (429, 503):
                    retries[answer.status_code] += 1
                    await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))
                    continue
                break
            else:
                outcomes["error: gave up retrying"] += 1
                return
            if answer.status_code != 200:
                outcomes[f"error: HTTP {answer.status_code}"] += 1
                return
            problem = check(i, answer.json())
            outcomes["correct" if problem is None else "wrong answer"] += 1
            if problem is not None:
                wrong.append(problem)
            latencies.append(time.perf_counter() - started)
            finished_at.append(time.perf_counter())

        tasks = [asyncio.create_task(one(i)) for i in range(count)]
        await asyncio.sleep(0)
        begin = time.perf_counter()
        go.set()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - begin
    finally:
        await asyncio.gather(*(pool.aclose() for pool in pools))
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else None  # noqa: E731
    return {
        "clients": count, "outcomes": dict(outcomes), "retries": {str(k): v for k, v in retries.items()},
        "wrong_examples": wrong[:5], "elapsed_s": elapsed, "throughput_per_s": outcomes["correct"] / elapsed,
        "latency_s": {"p50": pick(0.5), "p95": pick(0.95), "p99": pick(0.99), "max": latencies[-1] if latencies else None},
        "completed_over_time_s": sorted(t - begin for t in finished_at),
    }


def _doubled(i: int, body: dict) -> str | None:
    return None if body.get("verdict") == "AC" and body.get("stdout") == f"{2 * i}\n" else str(body)[:200]


async def _clients(url: str, count: int) -> dict:
    """The repeated program (the cache-hit case): every client sends PROGRAM with its own input."""
    return await drive_clients(url, count, lambda i: ("/api/execute", {"code": PROGRAM, "language": "c", "input": str(i)}),
                               _doubled, first_user=100000, timeout_s=900)


def _one_configuration(workers: int, clients: int, workdir: str) -> dict:
    with QueueStack() as stack:
        stack.set_workers(workers, concurrency=1)
        env = {"EXECUTION_MODE": "queue", "EXECUTION_QUEUE_URL": stack.url, "EXECUTION_SERVICE_TOKEN": TOKEN,
               "EXECUTION_MAX_POLL_TIME": "1800000", "EXECUTION_QUEUE_CONCURRENCY": "2000",
               "LISTEN_BACKLOG": "8192", "RATE_LIMIT": "60/minute", "JWT_SECRET": SECRET}
        with PlatformProcess(workdir, **env) as platform:
            processes = {"platform": platform.process.pid, "execution-service": stack.service.pid,
                         **{f"worker-{n}": w.pid for n, w in enumerate(stack.workers, 1)}}
            with ProcessSampler(processes) as sampler:
                result = asyncio.run(_clients(platform.url, clients))
        backlog = redis.Redis.from_url(REDIS_URL).xlen(f"{stack.prefix}:jobs:interactive")
    cpu_ms = {name: seconds * 1000 / clients for name, seconds in sampler.cpu_seconds.items()}
    result.update(workers=workers, peak_rss_mb=dict(sampler.peak_rss_mb), cpu_ms_per_request=cpu_ms,
                  peak_open_sockets=dict(sampler.peak_connections), queue_left_after=backlog)
    return result


def run(quick: bool = False) -> dict:
    clients = 200 if quick else 10_000
    open_files = raise_open_files()
    if open_files < clients + 1000:
        raise RuntimeError(f"{clients} clients need more than the open-file limit of {open_files}")
    runs = {}
    with tempfile.TemporaryDirectory() as workdir:
        for workers in (1, 2):
            runs[f"{workers} worker{'s' if workers > 1 else ''}"] = _one_configuration(workers, clients, workdir)
    for name, result in runs.items():
        # The correctness floor: every client answered, correctly; nothing lost, nothing left queued.
        assert result["outcomes"] == {"correct": clients}, (name, result["outcomes"], result["wrong_examples"])
        assert result["queue_left_after"] == 0, name
    data = {
        "benchmark": "load",
        "compares": f"{clients} concurrent clients, queue mode, 1 vs 2 worker processes (1 slot each)",
        "runs": {name: {k: v for k, v in r.items() if k != "completed_over_time_s"} for name, r in runs.items()},
        "scaling": runs["2 workers"]["throughput_per_s"] / runs["1 worker"]["throughput_per_s"],
        "floor": {"all_answered_correctly": True, "errors": 0},
    }
    write_json("load", data)
    _plot(runs)
    return data


def _plot(runs: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    for name, result in runs.items():
        times = result["completed_over_time_s"]
        ax.plot(times, range(1, len(times) + 1), label=f"{name}: {result['throughput_per_s']:.0f} jobs/s")
    ax.set_xlabel("seconds since all clients started")
    ax.set_ylabel("completed requests")
    ax.set_title(f"{next(iter(runs.values()))['clients']} concurrent clients, queue mode")
    ax.legend()
    fig.tight_layout()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    fig.savefig(RESULTS_DIR / "load.png", dpi=110)
    plt.close(fig)
