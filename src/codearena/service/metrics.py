"""Prometheus metrics with prometheus_client, per process (each app and worker its own registry).

The aggregation story: every service replica and every worker is a scrape target of its own
(the service at /metrics, a worker at WORKER_METRICS_PORT); Prometheus adds them up
(`sum by (outcome) (codearena_jobs_total)`). Counters and histograms are counted where the
event happens (a worker counts the jobs it ran, a replica the jobs it refused or cancelled),
so no figure is counted twice. The queue's own state (depth, live workers) is read from Redis
when scraped: every replica reports the same figure (take `max`, not `sum`).
"""

from __future__ import annotations

from typing import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
CONTENT_TYPE = "text/plain; version=0.0.4"


def _jobs_counter(registry: CollectorRegistry) -> Counter:
    return Counter("codearena_jobs", "Jobs ended, by outcome (verdict, cancelled, rejected)", ["outcome"],
                   registry=registry)


class WorkerMetrics:
    """What a worker process measures: the jobs it ran, their wait and run times."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.jobs = _jobs_counter(self.registry)
        self.wait_seconds = Histogram("codearena_job_wait_seconds", "Time from submission to a worker starting the job",
                                      buckets=BUCKETS, registry=self.registry)
        self.run_seconds = Histogram("codearena_job_run_seconds", "Time a worker spent on the job", buckets=BUCKETS,
                                     registry=self.registry)
        self.reclaimed = Counter("codearena_jobs_reclaimed", "Jobs this worker took over from a lost or stuck "
                                 "worker (they may run a second time)", registry=self.registry)


class _QueueState:
    """Gauges read from Redis at scrape time (set by the service before each exposition)."""

    def __init__(self) -> None:
        self.depth: dict[str, int] = {}
        self.workers = 0

    def collect(self):
        depth = GaugeMetricFamily("codearena_queue_depth", "Unfinished jobs (queued + running), by priority",
                                  labels=["priority"])
        for priority, count in self.depth.items():
            depth.add_metric([priority], count)
        yield depth
        yield GaugeMetricFamily("codearena_workers_alive", "Worker processes with a live heartbeat", value=self.workers)


class ServiceMetrics:
    """What one service app measures (jobs refused or cancelled), plus the queue's state."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.jobs = _jobs_counter(self.registry)
        self._state = _QueueState()
        self.registry.register(self._state)

    async def exposition(self, depth: Callable[[], Awaitable[dict[str, int]]],
                         workers: Callable[[], Awaitable[list]]) -> bytes:
        self._state.depth, self._state.workers = await depth(), len(await workers())
        return generate_latest(self.registry)
