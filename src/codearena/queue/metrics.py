"""Prometheus metrics of the whole queue, kept in one Redis hash so that every worker and every
service replica adds to the same figures, and any replica can be scraped.

Workers add to counters and histogram buckets as jobs end (inside the COMPLETE script); the
service turns the hash, the streams' lengths and the live heartbeats into exposition text.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


def observation(name: str, seconds: float) -> list[tuple[str, float]]:
    """(hash field, amount) pairs recording one observation of histogram `name`."""
    bound = next((b for b in BUCKETS if seconds <= b), "+Inf")
    return [(f"{name}:bucket:{bound}", 1), (f"{name}:count", 1), (f"{name}:sum", round(seconds, 6))]


class _Snapshot:
    def __init__(self, counters: dict[str, float], depth: dict[str, int], workers: int):
        self.counters, self.depth, self.workers = counters, depth, workers

    def collect(self):
        jobs = CounterMetricFamily("codearena_jobs", "Jobs ended, by outcome (verdict, cancelled, rejected)",
                                   labels=["outcome"])
        for field, value in sorted(self.counters.items()):
            if field.startswith("jobs_total:"):
                jobs.add_metric([field.split(":", 1)[1]], value)
        yield jobs
        for name, help_text in (("wait_seconds", "Time from submission to a worker starting the job"),
                                ("run_seconds", "Time a worker spent on the job")):
            cumulative, buckets = 0.0, []
            for bound in BUCKETS:
                cumulative += self.counters.get(f"{name}:bucket:{bound}", 0.0)
                buckets.append((str(bound), cumulative))
            cumulative += self.counters.get(f"{name}:bucket:+Inf", 0.0)
            buckets.append(("+Inf", cumulative))
            yield HistogramMetricFamily(f"codearena_job_{name}", help_text, buckets=buckets,
                                        sum_value=self.counters.get(f"{name}:sum", 0.0))
        depth = GaugeMetricFamily("codearena_queue_depth", "Unfinished jobs (queued + running), by priority",
                                  labels=["priority"])
        for priority, count in self.depth.items():
            depth.add_metric([priority], count)
        yield depth
        yield GaugeMetricFamily("codearena_workers_alive", "Worker processes with a live heartbeat",
                                value=self.workers)


def exposition(counters: dict[str, float], depth: dict[str, int], workers: int) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(counters, depth, workers))
    return generate_latest(registry)
