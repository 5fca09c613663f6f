"""A judged submission's cost, this tree against another commit: `python -m bench.submission_ab REF [--rounds N] [--submissions N]`.

Each tree gets, side by side, a platform in queue mode with its own execution service and one
worker of one slot (all from the tree's `src`), and the example problem aplusb (10 small tests)
or, with `--problem sumn`, large_tests' sumn (5 tests of 2-11 MB, sent by digest).
Each round sends, to each tree in turn (the order alternates), the same C solution through
POST /api/submissions?wait over one kept-alive connection, submissions in a row (a compile-cache
hit), and reads every process's CPU per submission from /proc (the platform's, the service's,
the worker's process tree), beside the wall time's median. Read the per-round ratios: the host's
speed drifts between rounds. Writes bench/results/submission_ab.json and a plot."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from .common import ab_summary, plot_rounds, process_tree_cpu, write_json
from .load import SECRET, token
from .large_tests import SUM_N, write_package
from .platform_judging import A_PLUS_B, ROOT
from .processes import CLI, TOKEN, PlatformProcess, QueueStack

WARMUP = 10  # submissions before the measured ones: the worker's box started, the program compiled
PROCESSES = ("platform", "service", "worker")
PROBLEMS = {"aplusb": "10 small tests", "sumn": "5 tests of 2-11 MB, sent by digest"}


class TreePlatform:
    """One tree's platform (queue mode), execution service and worker, with the problem imported."""

    def __init__(self, tree: Path, workdir: str, stack: ExitStack, problem: Path, solution: str):
        os.environ["PYTHONPATH"] = str(tree / "src")  # captured by each process's environment
        try:
            queue = stack.enter_context(QueueStack())
            queue.set_workers(1, 1)
            platform = stack.enter_context(PlatformProcess(
                workdir, EXECUTION_MODE="queue", EXECUTION_QUEUE_URL=queue.url, EXECUTION_SERVICE_TOKEN=TOKEN,
                JWT_SECRET=SECRET, EXECUTION_MAX_POLL_TIME="120000"))
            subprocess.run(CLI + ["problems", "import", str(problem)], env=platform.env,
                           check=True, capture_output=True)
        finally:
            del os.environ["PYTHONPATH"]
        self.pids = {"platform": platform.process.pid, "service": queue.service.pid, "worker": queue.workers[0].pid}
        self.client = stack.enter_context(httpx.Client(base_url=platform.url, timeout=120,
                                                       headers={"Authorization": "Bearer " + token(1, role="admin")}))
        self.problem_id = self.client.get("/api/problems").json()[0]["id"]
        self.solution = solution
        for _ in range(WARMUP):
            self.submit()

    def submit(self) -> None:
        body = self.client.post("/api/submissions", params={"wait": 60},
                                json={"problemId": self.problem_id, "code": self.solution, "language": "c"}).json()
        assert body["verdict"] == "AC", body

    def measure(self, submissions: int) -> dict:
        walls = []
        before = {name: process_tree_cpu(pid) for name, pid in self.pids.items()}
        for _ in range(submissions):
            started = time.perf_counter()
            self.submit()
            walls.append(time.perf_counter() - started)
        return {**{f"{name}_cpu_ms": (process_tree_cpu(pid) - before[name]) * 1000 / submissions
                   for name, pid in self.pids.items()}, "wall_ms_median": statistics.median(walls) * 1000}


def run(ref: str, rounds: int, submissions: int, problem: str = "aplusb") -> dict:
    with tempfile.TemporaryDirectory() as workdir, ExitStack() as stack:
        package, solution = ((ROOT / "examples" / "aplusb", A_PLUS_B["c"]) if problem == "aplusb"
                             else (write_package(Path(workdir, "sumn")), SUM_N["c"]))
        other = Path(workdir, "other")
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(other), ref], check=True)
        stack.callback(subprocess.run, ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)], check=False)
        trees = {name: TreePlatform(tree, workdir, stack, package, solution) for name, tree in (("this", ROOT), (ref, other))}
        results: dict[str, list[dict]] = {name: [] for name in trees}
        for number in range(rounds):
            for name in (list(trees) if number % 2 == 0 else list(reversed(trees))):
                results[name].append(trees[name].measure(submissions))
            print(f"round {number + 1}: " + ", ".join(
                f"{name} platform+service CPU {r[-1]['platform_cpu_ms'] + r[-1]['service_cpu_ms']:.1f} ms"
                for name, r in results.items()), flush=True)
    figures = [f"{name}_cpu_ms" for name in PROCESSES] + ["wall_ms_median"]
    data = {"benchmark": "submission_ab", "ref": ref, "rounds": rounds, "submissions_per_round": submissions,
            "problem": f"{problem} ({PROBLEMS[problem]}), C, queue mode, 1 worker slot", "rounds_measured": results,
            **ab_summary(results, ref, figures)}
    write_json("submission_ab", data)
    plot_rounds("submission_ab", f"platform CPU per submission: this tree vs {ref} (lower is better)",
                f"platform CPU per {problem} C submission (ms)", results, "platform_cpu_ms")
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ref", help="a commit, branch or tag")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--submissions", type=int, default=60, help="measured submissions per tree and round")
    parser.add_argument("--problem", choices=sorted(PROBLEMS), default="aplusb")
    args = parser.parse_args()
    print(json.dumps(run(args.ref, args.rounds, args.submissions, args.problem), indent=2))


if __name__ == "__main__":
    main()
