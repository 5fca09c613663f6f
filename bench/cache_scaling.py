"""A new program's cost as the compile cache grows: every student sends a different program, so
every run is a cache miss. The same new-C-program run (compile + run), with 0, 10,000 and
100,000 entries already in the cache (10,000 at most in quick mode), interleaved; and the
cache's own bookkeeping per miss, without the compiler. CPU time (this process and its children,
compiler and program included) is reported beside wall time: the host's noise barely moves it."""

from __future__ import annotations

import itertools
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from codearena.engine import execute
from codearena.engine.cache import CompileCache
from codearena.sandbox import Limits, get_sandbox

from .common import RESULTS_DIR, interleaved, summary, write_json

PROGRAM = '#include <stdio.h>\nint main(void){{ printf("%d\\n", {n}); return 0; }}\n'


def fill(cache: CompileCache, count: int) -> None:
    """`count` entries as a compile leaves them (an artifact and meta.json), counted in the index."""
    meta = json.dumps({"ok": True, "compile_output": "", "files": ["main"], "failure": None, "created": 0})
    now = time.time() - 3600
    with cache.index._db() as db:  # one transaction: filling is setup, not what is measured
        db.execute("BEGIN")
        for i in range(count):
            key = f"{i:064x}"
            directory = cache.entries / key
            directory.mkdir()
            (directory / "main").write_bytes(b"\x7fELF" + b"\0" * 2000)
            (directory / "meta.json").write_text(meta)
            db.execute("INSERT INTO entries VALUES (?, ?, ?)", (key, 2004 + len(meta), now + i * 1e-3))
        db.execute("COMMIT")


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(quick: bool = False) -> dict:
    sandbox = get_sandbox()
    sizes = [0, 10_000] if quick else [0, 10_000, 100_000]
    samples = 8 if quick else 25
    counter = itertools.count()
    data = {"benchmark": "cache_scaling", "sizes": sizes,
            "compares": "a new C program's run (compile + run) and a cache miss's own bookkeeping, by cache size",
            "cases": {}, "cpu_ms": {}, "bookkeeping_us": {}}
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp).chmod(0o755)
        caches = {}
        for size in sizes:
            cache = CompileCache(Path(tmp) / f"cache-{size}", max_bytes=1 << 40)
            fill(cache, size)
            caches[size] = cache
        cpu: dict[int, list[float]] = {size: [] for size in sizes}

        def new_program(size: int):
            def case():
                source = PROGRAM.format(n=next(counter))
                before = cpu_seconds()
                result = execute(source, "c", "", Limits(), sandbox=sandbox, cache=caches[size])
                cpu[size].append(cpu_seconds() - before)
                assert result.verdict.value == "AC", result
            return case

        timings = interleaved(samples, {f"{size} entries": new_program(size) for size in sizes}, warmup=1)
        for size in sizes:
            data["cases"][f"{size} entries"] = summary(timings[f"{size} entries"])
            data["cpu_ms"][f"{size} entries"] = statistics.median(cpu[size]) * 1000
            assert caches[size].entry_count() >= size  # nothing was evicted: every run was a miss and an add

        def bookkeeping(size: int):
            def build(staging: Path):
                (staging / "main").write_bytes(b"x" * 2000)
                return True, "", ["main"], None
            return lambda: caches[size].get_or_build(f"miss-{next(counter)}", build)

        misses = interleaved(samples * 20, {f"{size} entries": bookkeeping(size) for size in sizes})
        for size in sizes:
            data["bookkeeping_us"][f"{size} entries"] = statistics.median(misses[f"{size} entries"]) * 1e6
    first, last = f"{sizes[0]} entries", f"{sizes[-1]} entries"
    data["largest_vs_empty"] = {
        "wall": data["cases"][last]["median_ms"] / data["cases"][first]["median_ms"],
        "cpu": data["cpu_ms"][last] / data["cpu_ms"][first],
    }
    data["floor"] = {"flat_within_10pct": data["largest_vs_empty"]["cpu"] <= 1.10 and data["largest_vs_empty"]["wall"] <= 1.10}
    data["floor"]["met"] = data["floor"]["flat_within_10pct"]
    _plot(data)
    write_json("cache_scaling", data)
    return data


def _plot(data: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(data["cases"])
    fig, (wall, cpu) = plt.subplots(1, 2, figsize=(9, 3.5))
    wall.bar(labels, [data["cases"][k]["median_ms"] for k in labels])
    wall.set_ylabel("median wall ms per new C program")
    cpu.bar(labels, [data["cpu_ms"][k] for k in labels], color="tab:orange")
    cpu.set_ylabel("median CPU ms per new C program")
    fig.suptitle("A new program's run by compile-cache size")
    fig.tight_layout()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    fig.savefig(RESULTS_DIR / "cache_scaling.png", dpi=110)
    plt.close(fig)
