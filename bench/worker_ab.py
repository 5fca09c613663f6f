"""A worker's cost per job, this tree against another commit: `python -m bench.worker_ab REF [--rounds N] [--jobs N] [--languages c,java]`.

Issue 16's worker floor, A/B: an execution service and one worker of one slot from each tree
(its `src` first on PYTHONPATH) run side by side on their own queues; each round sends, to each
tree in turn (the order alternates), the same C hello (or a hello of each of `--languages`, one
after another: a slot serving several languages in turn) through POST /jobs?wait over one
kept-alive connection, jobs in a row (a compile-cache hit: the path every repeated program
takes), and reads the worker's process tree CPU (its own and its boxes', with what each reaped)
per job from /proc, beside the service's and the wall time per job. The trees are never measured
at the same time, and a round's two blocks are seconds apart, so the host's speed, which drifts
on these shared machines, hits both alike: read the per-round ratios.
Writes bench/results/worker_ab.json and a plot."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from .common import ab_summary, plot_rounds, process_tree_cpu, write_json
from .processes import QueueStack

ROOT = Path(__file__).resolve().parents[1]
HELLO = {"c": '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n',
         "cpp": '#include <cstdio>\nint main(){std::puts("hello");}\n',
         "java": 'public class Main{public static void main(String[] a){System.out.println("hello");}}\n',
         "python": 'print("hello")\n', "javascript": 'console.log("hello")\n'}
WARMUP = 60  # jobs before the measured ones: the worker's box started, the program compiled


class TreeStack:
    """One tree's execution service and worker (one slot), started from its `src`, with one
    kept-alive connection to the service."""

    def __init__(self, tree: Path, stack: ExitStack, languages: list[str]):
        os.environ["PYTHONPATH"] = str(tree / "src")  # captured by the stack's environment
        try:
            self.stack = stack.enter_context(QueueStack())
        finally:
            del os.environ["PYTHONPATH"]
        self.stack.set_workers(1, 1)
        self.worker = self.stack.workers[0]
        self.connection = http.client.HTTPConnection("127.0.0.1", self.stack.port, timeout=60)
        stack.callback(self.connection.close)
        self.headers = {**self.stack.headers, "Content-Type": "application/json"}
        self.bodies = [json.dumps({"language": name, "source": HELLO[name]}) for name in languages]
        self.sent = 0
        for _ in range(WARMUP):
            self.job()

    def job(self) -> None:
        body = self.bodies[self.sent % len(self.bodies)]
        self.sent += 1
        self.connection.request("POST", "/jobs?wait=60", body, self.headers)
        record = json.loads(self.connection.getresponse().read())
        assert record["state"] == "done" and record["result"]["stdout"] == "hello\n", record

    def measure(self, jobs: int) -> dict:
        """`jobs` hello jobs in a row: the worker's and the service's CPU per job, the wall's median."""
        walls = []
        worker_before, service_before = process_tree_cpu(self.worker.pid), process_tree_cpu(self.stack.service.pid)
        for _ in range(jobs):
            started = time.perf_counter()
            self.job()
            walls.append(time.perf_counter() - started)
        return {"worker_cpu_ms_per_job": (process_tree_cpu(self.worker.pid) - worker_before) * 1000 / jobs,
                "service_cpu_ms_per_job": (process_tree_cpu(self.stack.service.pid) - service_before) * 1000 / jobs,
                "wall_ms_median": statistics.median(walls) * 1000}


def run(ref: str, rounds: int, jobs: int, languages: list[str] | None = None) -> dict:
    languages = languages or ["c"]
    # Both trees' stacks stay up the whole time (the one not measured idles), so that a round's
    # two blocks of jobs are seconds apart: the host's speed drifts over minutes.
    with tempfile.TemporaryDirectory() as workdir, ExitStack() as stack:
        other = Path(workdir, "other")
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(other), ref], check=True)
        stack.callback(subprocess.run, ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)], check=False)
        trees = {"this": TreeStack(ROOT, stack, languages), ref: TreeStack(other, stack, languages)}
        results: dict[str, list[dict]] = {name: [] for name in trees}
        for number in range(rounds):
            order = list(trees) if number % 2 == 0 else list(reversed(trees))
            for name in order:
                results[name].append(trees[name].measure(jobs))
            print(f"round {number + 1}: " + ", ".join(
                f"{name} worker CPU {results[name][-1]['worker_cpu_ms_per_job']:.2f} ms" for name in trees), flush=True)
    figures = ("worker_cpu_ms_per_job", "service_cpu_ms_per_job", "wall_ms_median")
    data = {"benchmark": "worker_ab", "ref": ref, "languages": languages, "rounds": rounds, "jobs_per_round": jobs,
            "rounds_measured": results, **ab_summary(results, ref, figures)}
    write_json("worker_ab", data)
    plot_rounds("worker_ab", f"worker process-tree CPU per job: this tree vs {ref} (lower is better)",
                f"worker CPU per hello job, {' / '.join(languages)} (ms)", results, "worker_cpu_ms_per_job")
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ref", help="a commit, branch or tag")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=400, help="measured jobs per tree and round")
    parser.add_argument("--languages", default="c", help=f"comma-separated, taken in turn: of {', '.join(HELLO)}")
    args = parser.parse_args()
    languages = args.languages.split(",")
    if unknown := [name for name in languages if name not in HELLO]:
        parser.error(f"no hello program for {', '.join(unknown)}: choose from {', '.join(HELLO)}")
    print(json.dumps(run(args.ref, args.rounds, args.jobs, languages), indent=2))


if __name__ == "__main__":
    main()
