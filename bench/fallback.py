"""POST /api/execute (Python hello world) through four platform servers, interleaved in one run:
direct mode; queue mode (execution service + one worker); queue mode with the service down and
the circuit breaker open (every request goes straight to direct execution); queue mode with a
service but no live worker (refused at once, then run directly; the breaker is kept closed here,
so every request pays the refusal)."""

from __future__ import annotations

import tempfile

from .common import interleaved, plot_distributions, summaries, write_json
from .processes import TOKEN, PlatformProcess, QueueStack, free_port

PROGRAM = {"code": "print('hello')\n", "language": "python"}
QUEUE_FLOOR = 0.15  # queue mode within 15% of direct
FALLBACK_FLOOR = 0.10  # breaker-open fallback within 10% of direct
NO_WORKER_FLOOR_MS = 1000.0  # no live worker: within 1 s of direct mode (issue 14)


def _call(client):
    def call():
        body = client.post("/api/execute", json=PROGRAM).json()
        assert body["verdict"] == "AC" and body["stdout"] == "hello\n", body
    return call


def run(quick: bool = False) -> dict:
    samples = 20 if quick else 100
    with tempfile.TemporaryDirectory() as tmp, QueueStack() as stack, QueueStack() as workerless:
        stack.set_workers(1)
        queue_env = {"EXECUTION_MODE": "queue", "EXECUTION_SERVICE_TOKEN": TOKEN}
        with PlatformProcess(tmp, EXECUTION_MODE="direct") as direct, \
                PlatformProcess(tmp, **queue_env, EXECUTION_QUEUE_URL=workerless.url,
                                EXECUTION_BREAKER_FAILURES="1000000") as no_worker, \
                PlatformProcess(tmp, **queue_env, EXECUTION_QUEUE_URL=stack.url) as queued, \
                PlatformProcess(tmp, **queue_env, EXECUTION_QUEUE_URL=f"http://127.0.0.1:{free_port()}",
                                EXECUTION_BREAKER_PROBE_INTERVAL="60000") as fallback, \
                direct.client() as via_direct, queued.client() as via_queue, fallback.client() as via_fallback, \
                no_worker.client() as via_no_worker:
            for _ in range(5):  # connection refused, a few times: the breaker opens and stays open
                _call(via_fallback)()
            timings = interleaved(samples, {
                "direct mode": _call(via_direct),
                "queue mode": _call(via_queue),
                "queue down, breaker open": _call(via_fallback),
                "queue, no live worker": _call(via_no_worker),
            })
    stats = summaries(timings)
    base = stats["direct mode"]["median_ms"]
    queue_ratio = stats["queue mode"]["median_ms"] / base - 1
    fallback_ratio = stats["queue down, breaker open"]["median_ms"] / base - 1
    no_worker_ms = stats["queue, no live worker"]["median_ms"] - base
    data = {
        "benchmark": "fallback",
        "compares": "POST /api/execute, Python hello world, three platform server processes interleaved: direct, "
                    "queue (service + 1 worker), queue with the service down (breaker open)",
        "cases": stats,
        "relative_to_direct": {"queue": queue_ratio, "fallback_breaker_open": fallback_ratio},
        "no_live_worker_added_ms": no_worker_ms,
        "floor": {"queue_max": QUEUE_FLOOR, "fallback_max": FALLBACK_FLOOR, "no_live_worker_added_ms_max": NO_WORKER_FLOOR_MS,
                  "met": queue_ratio <= QUEUE_FLOOR and fallback_ratio <= FALLBACK_FLOOR
                  and no_worker_ms <= NO_WORKER_FLOOR_MS},
    }
    write_json("fallback", data)
    plot_distributions("fallback", "POST /api/execute by execution mode (lower is better)", timings)
    return data
