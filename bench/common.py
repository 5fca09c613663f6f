"""Helpers shared by the benchmarks: timing, statistics, results and plots."""

from __future__ import annotations

import json
import queue
import threading
import os
import platform
import random
import resource
import statistics
import time
from pathlib import Path
from typing import Callable

from codearena.sandbox import keep_boxes, tidy_kept_boxes

RESULTS_DIR = Path(__file__).parent / "results"


def machine() -> dict:
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


_TICK = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """utime + stime + cutime + cstime of a live process (itself and the children it reaped)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / _TICK


def _live_children(pid: int | str = "self") -> list[str]:
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += children.read_text().split()
        except OSError:
            continue
    return found


def process_tree_cpu(pid: int) -> float:
    """CPU seconds of a live process and every live descendant, each with what it reaped: a
    worker, its kept boxes' bwrap and init, and the runs init reaped."""
    total = 0.0
    pending = [str(pid)]
    while pending:
        current = pending.pop()
        try:
            total += _process_cpu(int(current))
        except OSError:
            continue  # it exited meanwhile: its parent's reaped time has it
        pending += _live_children(current)
    return total


def _children_cpu() -> float:
    """CPU seconds of this process's live descendants (a platform, a service, workers, kept
    boxes), each with the children it has reaped (a worker's sandboxed programs)."""
    return sum(process_tree_cpu(int(pid)) for pid in _live_children())


def own_cpu_seconds() -> float:
    """The CPU this process and the children it has reaped have used so far."""
    own, reaped = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime


def tree_cpu_seconds() -> float:
    """All the CPU this process and the processes it started have used so far."""
    return own_cpu_seconds() + _children_cpu()


class Timings(dict):
    """{case: [wall seconds per call]}, with `cpu_ms`: {case: CPU ms per call}, the mean over the
    calls of all the CPU the call cost this process and every process it started (the servers,
    the workers and their sandboxed programs included). A mean, not a median: the kernel counts
    other processes' CPU in 10 ms ticks, which only a sum over many calls resolves."""

    cpu_ms: dict[str, float]


def interleaved(samples: int, cases: dict[str, Callable[[], object]], warmup: int = 3) -> Timings:
    """Time each case `samples` times, alternating cases so machine noise hits them alike. The
    order is shuffled every round: on these VMs a run after an idle moment (a case that sleeps,
    like the SDK's polling) pays a CPU wake-up, which a fixed order would charge to one case.
    Each call's CPU cost is measured too (Timings.cpu_ms); the reading is taken outside the timed
    window, and this process's own share of it outside the CPU window."""
    for _ in range(warmup):
        for fn in cases.values():
            fn()
    timings = Timings({name: [] for name in cases})
    cpu = {name: 0.0 for name in cases}
    order = list(cases)
    shuffle = random.Random(20261126).shuffle  # the same orders on every run
    for _ in range(samples):
        shuffle(order)
        for name in order:
            cpu_before = _children_cpu() + own_cpu_seconds()
            start = time.perf_counter()
            cases[name]()
            timings[name].append(time.perf_counter() - start)
            cpu[name] += own_cpu_seconds() + _children_cpu() - cpu_before
    timings.cpu_ms = {name: total / samples * 1000 for name, total in cpu.items()}
    return timings


def summaries(timings: Timings) -> dict[str, dict]:
    """summary() of every case, with its CPU ms per call beside the wall-clock figures."""
    return {name: {**summary(values), "cpu_ms": timings.cpu_ms[name]} for name, values in timings.items()}


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
    return _saved(fig, name, dpi=110)


def ab_summary(results: dict[str, list[dict]], ref: str, figures: list[str] | tuple[str, ...]) -> dict:
    """An A/B benchmark's rounds ("this" and `ref`, a dict of figures each round) summed up: each
    figure's median per tree, the median of this/ref per round, and in how many rounds this was lower."""
    ratios = {figure: [this[figure] / other[figure] for this, other in zip(results["this"], results[ref])]
              for figure in figures}
    return {"medians": {name: {figure: statistics.median(r[figure] for r in rounds_of) for figure in figures}
                        for name, rounds_of in results.items()},
            "this_vs_ref_median_ratio": {figure: statistics.median(values) for figure, values in ratios.items()},
            "rounds_where_this_is_lower": {figure: sum(value < 1 for value in values) for figure, values in ratios.items()}}


def plot_rounds(name: str, title: str, ylabel: str, results: dict[str, list[dict]], figure: str) -> Path:
    """An A/B benchmark's rounds: `figure` of each tree, round by round."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    for tree, rounds_of in results.items():
        ax.plot(range(1, len(rounds_of) + 1), [r[figure] for r in rounds_of], marker="o", label=tree)
    ax.set_xlabel("round")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return _saved(fig, name)


def _saved(fig, name: str, dpi: float | None = None) -> Path:
    """The figure laid out, written to bench/results/NAME.png and closed."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.png"
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


class KeptThread:
    """A long-lived thread that keeps its box (as a worker slot does) and runs calls handed to it,
    tidying its box once the caller has the answer (as a worker slot does between jobs)."""

    def __init__(self):
        self._work: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with keep_boxes():
            while (item := self._work.get()) is not None:
                call, done = item
                try:
                    done.put((call(), None))
                except BaseException as exc:  # noqa: BLE001 (handed back)
                    done.put((None, exc))
                tidy_kept_boxes()

    def call(self, function):
        done: queue.Queue = queue.Queue(maxsize=1)
        self._work.put((function, done))
        result, error = done.get()
        if error:
            raise error
        return result

    def stop(self) -> None:
        self._work.put(None)
        self._thread.join()
