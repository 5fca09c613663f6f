"""This tree against another commit, side by side in one run: `python -m bench.compare_refs REF [--samples N]`.

Each tree gets a platform server in direct mode and one in queue mode (its own execution service
and one worker of one slot), all started from this venv with the tree's own `src` first on
PYTHONPATH. POST /api/execute is interleaved across the four servers (every request its own
program, C and Python: compile or syntax-check included); the workers' CPU (their own and their
children's) per job is read from /proc. Writes bench/results/compare_refs.json and a plot."""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from pathlib import Path

from .common import interleaved, plot_distributions, process_tree_cpu, summaries, write_json
from .processes import TOKEN, PlatformProcess, QueueStack

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = {"c": '#include <stdio.h>\nint main(void){puts("hello %d");return 0;}\n', "python": "print('hello %d')\n"}


def start(tree: Path, workdir: str) -> tuple[QueueStack, PlatformProcess, PlatformProcess]:
    os.environ["PYTHONPATH"] = str(tree / "src")  # captured by each process's environment below
    try:
        stack = QueueStack().__enter__()
        stack.set_workers(1, 1)
        direct = PlatformProcess(workdir).__enter__()
        queued = PlatformProcess(workdir, EXECUTION_MODE="queue", EXECUTION_QUEUE_URL=stack.url,
                                 EXECUTION_SERVICE_TOKEN=TOKEN).__enter__()
    finally:
        del os.environ["PYTHONPATH"]
    return stack, direct, queued


def run(ref: str, samples: int) -> dict:
    with tempfile.TemporaryDirectory() as workdir:
        other = Path(workdir, "other")
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(other), ref], check=True)
        try:
            trees = {"this": ROOT, ref: other}
            started = {name: start(tree, workdir) for name, tree in trees.items()}
            counter = iter(range(10**9))
            cases = {}
            for name, (_stack, direct, queued) in started.items():
                for mode, server in (("direct", direct), ("queue", queued)):
                    client = server.client()
                    for language, code in PROGRAMS.items():
                        def call(client=client, language=language, code=code):
                            body = client.post("/api/execute", json={"code": code % next(counter),
                                                                     "language": language}).json()
                            assert body["verdict"] == "AC", body
                        cases[f"{name} {mode} {language}"] = call
            before = {name: process_tree_cpu(stack.workers[0].pid) for name, (stack, _d, _q) in started.items()}
            timings = interleaved(samples, cases, warmup=0)
            jobs = samples * len(PROGRAMS)
            cpu = {name: (process_tree_cpu(stack.workers[0].pid) - before[name]) / jobs * 1000
                   for name, (stack, _d, _q) in started.items()}
            for stack, direct, queued in started.values():
                direct.__exit__(None, None, None)
                queued.__exit__(None, None, None)
                stack.__exit__(None, None, None)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)], check=False)
    stats = summaries(timings)
    ratios = {case.split(" ", 1)[1]: stats[case]["median_ms"] / stats[case.replace("this", ref, 1)]["median_ms"]
              for case in stats if case.startswith("this ")}
    data = {"benchmark": "compare_refs", "ref": ref, "samples": samples, "cases": stats,
            "this_vs_ref_median_ratio": ratios, "worker_cpu_ms_per_job": cpu,
            "worker_cpu_this_vs_ref": cpu["this"] / cpu[ref]}
    write_json("compare_refs", data)
    plot_distributions("compare_refs", f"POST /api/execute: this tree vs {ref} (lower is better)", timings)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ref", help="a commit, branch or tag")
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()
    import json

    print(json.dumps(run(args.ref, args.samples), indent=2))


if __name__ == "__main__":
    main()
