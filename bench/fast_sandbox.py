"""Issue 16's floors, measured side by side in one run (interleaved, medians, CPU beside wall):

  * a C hello run: the bare binary, a box built per run (one-shot) and a kept box (started once,
    reset between runs), as Sandbox.run;
  * the same program through `POST /jobs?wait` with one worker (service, worker and Redis);
    floor: at most 4 ms over the bare binary; and the worker's CPU per job (its whole process
    tree: the worker, its kept box's bwrap and init, the runs): floor 3 ms;
  * judging: a C a+b on 40 tests against the binary run bare 40 times on the same inputs;
    floor: at most 2 ms per test;
  * throughput: bursts of jobs through 2 workers against the bare binary run 2 at a time;
    floor: at least 90%; and the same for a program that computes for about 20 ms (fixed
    work), as a student's solution does, beside it (no floor: what the host's 2 cores give once
    the run is more than a hello; client, service, Redis and workers share them).

The program is the same each time (the compile cache holds it): these floors are about the
cost of a run, which a different program per student pays just the same after its compile.
"""

from __future__ import annotations

import http.client
import json
import queue
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import httpx
import redis

from codearena.engine import Verdict, execute
from codearena.engine.judge import TestCase, judge
from codearena.languages import get_language, toolchain
from codearena.sandbox import Limits, get_sandbox

from .common import (KeptThread, interleaved, own_cpu_seconds, plot_distributions, process_tree_cpu, summaries,
                     write_json)
from .processes import REDIS_URL, QueueStack

HELLO_C = '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n'
SUM_C = '#include <stdio.h>\nint main(void){long a,b;scanf("%ld %ld",&a,&b);printf("%ld\\n",a+b);return 0;}\n'
# About 20 ms of computing here, then its answer: a run that is more than start-up. Fixed work,
# not a loop on clock(): in a box RLIMIT_CPU is armed, and with a process CPU timer armed the
# kernel advances the process's CPU clock only at each tick (4 ms here), so a loop "until 20 ms"
# runs 0-4 ms longer in a box than bare and the two would not be doing the same work.
BUSY_C = ('#include <stdio.h>\nint main(void){volatile unsigned long x=0;'
          'for(unsigned long i=0;i<68000000UL;i++)x+=i;puts("busy");return 0;}\n')
TESTS = 40
WORKER_CPU_WINDOWS = 5
PATH_PROCESSES = ("client", "service", "redis", "worker")
FLOORS = {"queue_added_over_bare_ms_max": 4.0, "worker_cpu_ms_per_job_max": 3.0, "judging_added_ms_per_test_max": 2.0,
          "two_workers_vs_bare_two_min": 0.90}


def _path_cpu(stack: QueueStack, worker, redis_client: redis.Redis) -> dict[str, float]:
    """CPU seconds so far of each process a job's path crosses: this thread (the client), the
    service, Redis (all of it: the machine's shared instance, idle but for these jobs) and the
    worker's process tree (its boxes and the programs they ran)."""
    info = redis_client.info("cpu")
    return {"client": time.thread_time(), "service": process_tree_cpu(stack.service.pid),
            "redis": info["used_cpu_user"] + info["used_cpu_sys"], "worker": process_tree_cpu(worker.pid)}


def _bare(binary: Path, stdin: bytes = b"") -> bytes:
    return subprocess.run([str(binary)], input=stdin, capture_output=True, check=True).stdout


def _check_hello(record: dict, expected: str = "hello\n") -> None:
    assert record["state"] == "done" and record["result"]["stdout"] == expected, record


def _job(client: httpx.Client, source: str = HELLO_C, expected: str = "hello\n") -> None:
    _check_hello(client.post("/jobs", params={"wait": 60}, json={"language": "c", "source": source}).json(), expected)


class LeanClient:
    """POST /jobs?wait over one kept-alive http.client connection: the same request as _job,
    with less of the client's own CPU beside the service's on this 2-core host (diagnostic: what
    the client library costs; the floor is judged on httpx, as a platform sends it)."""

    def __init__(self, port: int, headers: dict):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {**headers, "Content-Type": "application/json"}
        self.body = json.dumps({"language": "c", "source": HELLO_C})

    def job(self) -> None:
        self.connection.request("POST", "/jobs?wait=60", self.body, self.headers)
        _check_hello(json.loads(self.connection.getresponse().read()))


class Burst(NamedTuple):
    jobs_per_s: float
    cpu_ms_per_job: float  # the workers' process trees (bursts through the queue) or the bare runs'


def _burst(stack: QueueStack, jobs: int, parallel: int = 8, source: str = HELLO_C,
           expected: str = "hello\n") -> Burst:
    with httpx.Client(base_url=stack.url, headers=stack.headers, timeout=120,
                      limits=httpx.Limits(max_connections=parallel)) as client, ThreadPoolExecutor(parallel) as pool:
        # Untimed first: workers just started build their boxes, and a new program is compiled once;
        # `parallel` jobs alone need not reach every worker (queue_throughput saw the second
        # worker's box built inside the timed burst).
        list(pool.map(lambda _: _job(client, source, expected), range(4 * parallel)))
        cpu_before = sum(process_tree_cpu(worker.pid) for worker in stack.workers)
        started = time.perf_counter()
        list(pool.map(lambda _: _job(client, source, expected), range(jobs)))
        rate = jobs / (time.perf_counter() - started)
        cpu = sum(process_tree_cpu(worker.pid) for worker in stack.workers) - cpu_before
        return Burst(rate, cpu * 1000 / jobs)


def _bare_burst(binary: Path, jobs: int, parallel: int) -> Burst:
    """The binary run `parallel` at a time from this process. Its CPU per run: the binary's and
    this process's starting and reading it (what a worker's CPU per job is set against)."""
    with ThreadPoolExecutor(parallel) as pool:
        cpu_before = own_cpu_seconds()
        started = time.perf_counter()
        list(pool.map(lambda _: _bare(binary), range(jobs)))
        rate = jobs / (time.perf_counter() - started)
        cpu = own_cpu_seconds() - cpu_before
        return Burst(rate, cpu * 1000 / jobs)


def run(quick: bool = False) -> dict:
    samples = 30 if quick else 200
    burst = 60 if quick else 300
    sandbox = get_sandbox()
    kept = KeptThread()
    tests = [TestCase(name=str(i), input=f"{i} {i * 7}\n".encode(), expected=f"{i * 8}\n".encode()) for i in range(TESTS)]
    with tempfile.TemporaryDirectory() as tmp, QueueStack() as stack:
        binary, adder, busy = Path(tmp, "hello"), Path(tmp, "sum"), Path(tmp, "busy")
        for source, output in ((HELLO_C, binary), (SUM_C, adder), (BUSY_C, busy)):
            subprocess.run(["gcc", "-O2", "-o", str(output), "-x", "c", "-"], input=source.encode(), check=True)

        def in_box(box_source: Path) -> None:
            with sandbox.box() as box:
                box.copy_in("hello", box_source)
                # With C's binds, as the engine runs C: a kept box serving another bind set too
                # (the judged case below) would be started again at each switch.
                result = sandbox.run(box, ["./hello"], limits=Limits(), binds=toolchain.box_binds(get_language("c")))
            assert result.ok and result.stdout == b"hello\n", result

        def judged() -> None:
            verdict = judge(SUM_C, "c", tests, sandbox=sandbox)
            assert verdict.verdict == Verdict.AC, verdict

        def bare_tests() -> None:
            for test in tests:
                assert _bare(adder, test.input) == test.expected

        assert execute(HELLO_C, "c", sandbox=sandbox).verdict == Verdict.AC  # compiled once, cached
        stack.set_workers(1)
        worker = stack.workers[0]
        lean = LeanClient(stack.port, stack.headers)
        with httpx.Client(base_url=stack.url, headers=stack.headers, timeout=60) as client:
            timings = interleaved(samples, {
                "c hello: bare binary": lambda: _bare(binary),
                "c hello: one-shot box (Sandbox.run)": lambda: in_box(binary),
                "c hello: kept box (Sandbox.run)": lambda: kept.call(lambda: in_box(binary)),
                "c hello: POST /jobs?wait, 1 worker": lambda: _job(client),
                "c hello: POST /jobs?wait, 1 worker (http.client)": lean.job,
                f"c a+b: judged on {TESTS} tests (kept box)": lambda: kept.call(judged),
                f"c a+b: bare binary on {TESTS} inputs": bare_tests,
                f"c a+b: judged on {TESTS} tests (one-shot boxes)": judged,
            }, warmup=5)
            # The worker's own CPU per job, read from its process tree over jobs in a row, in
            # windows (a /proc reading counts 10 ms ticks, and one window can catch a burst of
            # the host's noise): the median window's. Their wall times too: a busy service's
            # latency (the interleaved samples above each wake an idle service, Redis and worker).
            # Beside it every process's CPU on the job's path (client, service, Redis, worker),
            # which the serial path's wall time is made of.
            redis_client = redis.Redis.from_url(REDIS_URL)
            in_a_row, shares = [], {name: [] for name in PATH_PROCESSES}
            for _ in range(WORKER_CPU_WINDOWS):
                before = _path_cpu(stack, worker, redis_client)
                for _ in range(samples):
                    started = time.perf_counter()
                    _job(client)
                    in_a_row.append(time.perf_counter() - started)
                after = _path_cpu(stack, worker, redis_client)
                for name in PATH_PROCESSES:
                    shares[name].append((after[name] - before[name]) * 1000 / samples)
            redis_client.close()
            windows = shares["worker"]
            worker_cpu_ms = statistics.median(windows)
            path_cpu_ms = {name: statistics.median(values) for name, values in shares.items()}
        bursts = {"1 worker": _burst(stack, burst)}
        stack.set_workers(2)
        bursts["2 workers"] = _burst(stack, burst)
        bursts["bare binary, 2 at a time"] = _bare_burst(binary, burst, 2)
        busy_jobs = max(20, burst * 2 // 3)  # /proc's 10 ms ticks small beside the CPU read
        bursts["20 ms program: 2 workers"] = _burst(stack, busy_jobs, source=BUSY_C, expected="busy\n")
        bursts["20 ms program: bare binary, 2 at a time"] = _bare_burst(busy, busy_jobs, 2)
        throughput = {name: found.jobs_per_s for name, found in bursts.items()}
    kept.stop()
    cases = summaries(timings)

    def median(name: str) -> float:
        return cases[name]["median_ms"]

    bare = median("c hello: bare binary")
    measured = {
        "queue_added_over_bare_ms": median("c hello: POST /jobs?wait, 1 worker") - bare,
        "queue_added_over_bare_ms_lean_client": median("c hello: POST /jobs?wait, 1 worker (http.client)") - bare,
        "queue_added_over_bare_ms_in_a_row": statistics.median(in_a_row) * 1000 - bare,
        "in_a_row_wall_ms": statistics.median(in_a_row) * 1000,
        "in_a_row_cpu_ms_per_job": {**path_cpu_ms, "sum": sum(path_cpu_ms.values())},
        "worker_cpu_ms_per_job": worker_cpu_ms,
        "worker_cpu_ms_per_job_windows": windows,
        "judging_added_ms_per_test": (median(f"c a+b: judged on {TESTS} tests (kept box)")
                                      - median(f"c a+b: bare binary on {TESTS} inputs")) / TESTS,
        "judging_added_ms_per_test_one_shot": (median(f"c a+b: judged on {TESTS} tests (one-shot boxes)")
                                               - median(f"c a+b: bare binary on {TESTS} inputs")) / TESTS,
        "two_workers_vs_bare_two": throughput["2 workers"] / throughput["bare binary, 2 at a time"],
        "two_workers_vs_bare_two_20ms_program": (throughput["20 ms program: 2 workers"]
                                                 / throughput["20 ms program: bare binary, 2 at a time"]),
        # The same bursts by CPU, which the host's noise barely moves: on a host of their own
        # (the client, the service and Redis elsewhere, as deployed), 2 workers would reach this
        # share of the bare binary's throughput 2 at a time.
        "two_workers_vs_bare_two_by_cpu": (bursts["bare binary, 2 at a time"].cpu_ms_per_job
                                           / bursts["2 workers"].cpu_ms_per_job),
        "two_workers_vs_bare_two_20ms_program_by_cpu": (bursts["20 ms program: bare binary, 2 at a time"].cpu_ms_per_job
                                                        / bursts["20 ms program: 2 workers"].cpu_ms_per_job),
        "kept_box_added_over_bare_ms": median("c hello: kept box (Sandbox.run)") - bare,
        "one_shot_added_over_bare_ms": median("c hello: one-shot box (Sandbox.run)") - bare,
        "kept_box_cpu_ms": cases["c hello: kept box (Sandbox.run)"]["cpu_ms"],
        "one_shot_cpu_ms": cases["c hello: one-shot box (Sandbox.run)"]["cpu_ms"],
    }
    data = {
        "benchmark": "fast_sandbox",
        "compares": "a C hello bare, in a one-shot box, in a kept box and through POST /jobs?wait; judging on "
                    f"{TESTS} tests against the bare binary on the same inputs; 2 workers against the bare "
                    "binary 2 at a time (interleaved, medians, CPU per call)",
        "cases": cases,
        "measured": measured,
        "throughput_jobs_per_s": throughput,
        "cpu_ms_per_job": {name: found.cpu_ms_per_job for name, found in bursts.items()},
        "floor": {**FLOORS, "met": {
            "queue_added_over_bare": measured["queue_added_over_bare_ms"] <= FLOORS["queue_added_over_bare_ms_max"],
            "worker_cpu": measured["worker_cpu_ms_per_job"] <= FLOORS["worker_cpu_ms_per_job_max"],
            "judging_per_test": measured["judging_added_ms_per_test"] <= FLOORS["judging_added_ms_per_test_max"],
            "two_workers": measured["two_workers_vs_bare_two"] >= FLOORS["two_workers_vs_bare_two_min"],
        }},
    }
    write_json("fast_sandbox", data)
    plot_distributions("fast_sandbox", "C hello and judging: bare, boxes, queue (lower is better)", timings)
    return data
