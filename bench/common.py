"""Helpers shared by the benchmarks: timing, statistics, results and plots."""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import time
from pathlib import Path
from typing import Callable

RESULTS_DIR = Path(__file__).parent / "results"


def machine() -> dict:
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def interleaved(samples: int, cases: dict[str, Callable[[], object]], warmup: int = 3) -> dict[str, list[float]]:
    """Time each case `samples` times, alternating cases so machine noise hits them alike. The
    order is shuffled every round: on these VMs a run after an idle moment (a case that sleeps,
    like the SDK's polling) pays a CPU wake-up, which a fixed order would charge to one case."""
    for _ in range(warmup):
        for fn in cases.values():
            fn()
    timings: dict[str, list[float]] = {name: [] for name in cases}
    order = list(cases)
    shuffle = random.Random(20261126).shuffle  # the same orders on every run
    for _ in range(samples):
        shuffle(order)
        for name in order:
            start = time.perf_counter()
            cases[name]()
            timings[name].append(time.perf_counter() - start)
    return timings


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"n": len(values), "median_ms": statistics.median(values) * 1000, "p90_ms": pick(0.9) * 1000,
            "min_ms": ordered[0] * 1000, "max_ms": ordered[-1] * 1000}


def write_json(name: str, data: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def plot_distributions(name: str, title: str, timings: dict[str, list[float]]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    labels = list(timings)
    ax.boxplot([[v * 1000 for v in timings[k]] for k in labels], vert=False, showfliers=False)
    ax.set_yticks(range(1, len(labels) + 1), labels)
    ax.set_xlabel("wall time per run (ms)")
    ax.set_title(title)
    fig.tight_layout()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
