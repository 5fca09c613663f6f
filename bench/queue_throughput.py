"""Queue latency and throughput: one job through the execution service and a worker against the
same job run directly in the sandbox (idle, one at a time); then many jobs at once through 1 and
2 worker processes against the same number run directly, two at a time, in this process. Direct
runs as direct mode's pool runs them: each in a thread that keeps its box (since session 13;
before, a box was built per run here, which no CodeArena process does any more)."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import httpx

from codearena.engine import execute
from codearena.sandbox import get_sandbox

from .common import (KeptThread, RESULTS_DIR, interleaved, own_cpu_seconds, plot_distributions, process_tree_cpu,
                     summaries, tree_cpu_seconds, write_json)
from .processes import QueueStack

PROGRAMS = {
    "c": '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n',
    "python": "print('hello')\n",
}
LATENCY_FLOOR_MS = 5.0
THROUGHPUT_FLOOR = 0.8


def _through_queue(client: httpx.Client, language: str) -> None:
    record = client.post("/jobs", params={"wait": 60}, json={"language": language, "source": PROGRAMS[language]}).json()
    assert record["state"] == "done" and record["result"]["stdout"] == "hello\n", record


IN_FLIGHT = 8  # jobs a client keeps submitted at once: enough to keep every worker slot busy
WARMUP_JOBS = 4 * IN_FLIGHT


class Burst(NamedTuple):
    jobs_per_s: float
    cpu_ms_per_job: dict[str, float]  # by process, and their "sum" (Redis not counted)


def _cpu_by_process(stack: QueueStack) -> dict[str, float]:
    """CPU seconds so far of this process with what it reaped (the client), the service's process
    tree, and the workers' trees (their boxes and runs)."""
    return {"client": own_cpu_seconds(), "service": process_tree_cpu(stack.service.pid),
            "workers": sum(process_tree_cpu(worker.pid) for worker in stack.workers)}


def _cpu_per_job(before: dict[str, float], after: dict[str, float], jobs: int,
                 counted: tuple[str, ...]) -> dict[str, float]:
    per_job = {name: (after[name] - before[name]) * 1000 / jobs for name in counted}
    return {**per_job, "sum": sum(per_job.values())}


async def _burst(stack: QueueStack, language: str, jobs: int) -> Burst:
    """Push `jobs` through the queue, IN_FLIGHT at a time over kept-alive connections (as a
    platform server's client would); jobs per second, and the CPU per job of the client, the
    service and the workers."""
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    gate = asyncio.Semaphore(IN_FLIGHT)
    async with httpx.AsyncClient(base_url=stack.url, headers=stack.headers, timeout=300, limits=limits) as client:
        async def one():
            async with gate:
                answer = await client.post("/jobs", params={"wait": 60},
                                           json={"language": language, "source": PROGRAMS[language]})
                record = answer.json()
                while record["state"] != "done":  # a wait can end before a long burst drains
                    record = (await client.get(f"/jobs/{record['id']}", params={"wait": 60})).json()
                assert record["result"]["stdout"] == "hello\n"

        # Untimed: workers just started build their boxes on their first jobs, and with 2 workers the
        # first IN_FLIGHT jobs need not reach both (seen: 0.2 s of a worker's CPU in a 30-job burst).
        await asyncio.gather(*(one() for _ in range(WARMUP_JOBS)))
        cpu_before = _cpu_by_process(stack)
        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(jobs)))
        rate = jobs / (time.perf_counter() - started)
        return Burst(rate, _cpu_per_job(cpu_before, _cpu_by_process(stack), jobs, ("client", "service", "workers")))


def _direct_cpu(stack: QueueStack) -> dict[str, float]:
    """CPU seconds so far of this process (the runners' Python side) and of its kept boxes (its
    live children but the stack's idle service and workers)."""
    path = _cpu_by_process(stack)  # the stack idles here: only this process and its boxes work
    return {"runner": path["client"], "boxes": tree_cpu_seconds() - sum(path.values())}


def _direct_burst(stack: QueueStack, language: str, jobs: int, parallel: int) -> Burst:
    """Jobs run directly `parallel` at a time, each runner keeping its box (as direct mode's pool
    does); their CPU per job: this process's and its kept boxes' (not the stack's idle service and
    workers)."""
    sandbox = get_sandbox()
    runners = [KeptThread() for _ in range(parallel)]
    run_one = lambda i: runners[i % parallel].call(  # noqa: E731
        lambda: execute(PROGRAMS[language], language, sandbox=sandbox))
    try:
        with ThreadPoolExecutor(parallel) as pool:
            list(pool.map(run_one, range(parallel)))  # untimed: each runner's box started
            cpu_before = _direct_cpu(stack)
            started = time.perf_counter()
            list(pool.map(run_one, range(jobs)))
            rate = jobs / (time.perf_counter() - started)
            return Burst(rate, _cpu_per_job(cpu_before, _direct_cpu(stack), jobs, ("runner", "boxes")))
    finally:
        for runner in runners:
            runner.stop()


def run(quick: bool = False) -> dict:
    samples = 20 if quick else 100
    burst = 30 if quick else 150
    sandbox = get_sandbox()
    kept = KeptThread()  # direct as direct mode's pool runs it: a thread keeping its box
    with QueueStack() as stack:
        stack.set_workers(1)
        with httpx.Client(base_url=stack.url, headers=stack.headers, timeout=60) as client:
            timings = interleaved(samples, {
                f"{lang}: {how}": (lambda lang=lang, how=how: _through_queue(client, lang) if how == "queue"
                                   else kept.call(lambda: execute(PROGRAMS[lang], lang, sandbox=sandbox)))
                for lang in PROGRAMS for how in ("direct", "queue")
            })
        kept.stop()
        bursts: dict[str, dict[str, Burst]] = {}
        for language in PROGRAMS:
            bursts[language] = {"1 worker": asyncio.run(_burst(stack, language, burst))}
        stack.set_workers(2)
        for language in PROGRAMS:
            bursts[language]["2 workers"] = asyncio.run(_burst(stack, language, burst))
            bursts[language]["direct, 2 at a time"] = _direct_burst(stack, language, burst, 2)
            bursts[language]["direct, 1 at a time"] = _direct_burst(stack, language, burst, 1)
    throughput = {lang: {how: found.jobs_per_s for how, found in by.items()} for lang, by in bursts.items()}
    burst_cpu = {lang: {how: found.cpu_ms_per_job for how, found in by.items()} for lang, by in bursts.items()}
    stats = summaries(timings)
    added = {lang: stats[f"{lang}: queue"]["median_ms"] - stats[f"{lang}: direct"]["median_ms"] for lang in PROGRAMS}
    ratio = {lang: throughput[lang]["2 workers"] / throughput[lang]["direct, 2 at a time"] for lang in PROGRAMS}
    data = {
        "benchmark": "queue_throughput",
        "compares": "one job via POST /jobs?wait (service + worker processes, Redis) vs execute() in the sandbox, "
                    "interleaved; bursts of jobs/s through 1 and 2 worker processes vs the same jobs run directly",
        "cases": stats,
        "queue_added_ms": added,
        "throughput_jobs_per_s": throughput,
        # CPU per job in the bursts by process and their sum: through the queue, this process (the
        # client), the service and the workers with their boxes (Redis not counted); direct, this
        # process (the runners) and its kept boxes.
        "burst_cpu_ms_per_job": burst_cpu,
        "two_workers_vs_direct_two": ratio,
        "burst_jobs": burst,
        "floor": {"queue_added_ms_max": LATENCY_FLOOR_MS, "two_worker_ratio_min": THROUGHPUT_FLOOR,
                  "met": all(v <= LATENCY_FLOOR_MS for v in added.values())
                  and all(v >= THROUGHPUT_FLOOR for v in ratio.values())},
    }
    write_json("queue_throughput", data)
    plot_distributions("queue_latency", "One job: queue vs direct (lower is better)", timings)
    _plot_throughput(throughput)
    return data


def _plot_throughput(throughput: dict[str, dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(throughput), figsize=(10, 4))
    for ax, (language, figures) in zip(axes, throughput.items()):
        ax.bar(list(figures), list(figures.values()), color=["#4c72b0", "#4c72b0", "#999999", "#cccccc"])
        ax.set_title(f"{language} hello world")
        ax.set_ylabel("jobs per second")
        ax.tick_params(axis="x", labelrotation=20)
    fig.suptitle("Throughput against the number of workers (higher is better)")
    fig.tight_layout()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    fig.savefig(RESULTS_DIR / "queue_throughput.png", dpi=110)
    plt.close(fig)
