"""Judging a 10-test "a plus b" problem in C++ and Python: cold compile cache against warm,
and the per-test overhead against running the same compiled program bare; warm also in a kept
box (as direct mode's pool and a worker's slots judge: one box started once, reset between
tests), beside one-shot boxes (a box built per test)."""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from codearena.engine.cache import CompileCache
from codearena.engine.judge import judge
from codearena.engine.problem import load_problem
from codearena.sandbox import get_sandbox, keep_boxes, tidy_kept_boxes

from .common import tree_cpu_seconds, write_json

PROBLEM = Path(__file__).parent.parent / "examples" / "aplusb"
SOLUTIONS = {
    "cpp": "#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<\"\\n\";}\n",
    "python": "a, b = map(int, input().split())\nprint(a + b)\n",
}


def _bare_per_test(language: str, tests, tmp: Path) -> float:
    if language == "cpp":
        binary = tmp / "sum"
        subprocess.run(["g++", "-O2", "-std=c++17", "-o", str(binary), "-x", "c++", "-"], input=SOLUTIONS["cpp"].encode(), check=True)
        argv = [str(binary)]
    else:
        script = tmp / "sum.py"
        script.write_text(SOLUTIONS["python"])
        argv = ["/usr/bin/python3", str(script)]
    samples, cpu = [], 0.0
    for _ in range(3):
        cpu_before, start = tree_cpu_seconds(), time.perf_counter()
        for test in tests:
            subprocess.run(argv, input=test.input, capture_output=True, check=True)
        samples.append((time.perf_counter() - start) / len(tests))
        cpu += tree_cpu_seconds() - cpu_before
    return statistics.median(samples), cpu / (3 * len(tests))


def run(quick: bool = False) -> dict:
    sandbox = get_sandbox()
    problem = load_problem(PROBLEM)
    rounds = 3 if quick else 10
    data = {"benchmark": "judging", "tests": len(problem.tests),
            "compares": "cold cache (compiles) vs warm cache (no compilation); per test vs the bare program", "languages": {}}
    for language, source in SOLUTIONS.items():
        cold, warm, warm_cpu, kept, kept_cpu = [], [], 0.0, [], 0.0
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp).chmod(0o755)
            for i in range(rounds):
                cache = CompileCache(Path(tmp) / f"cache-{i}")
                start = time.perf_counter()
                result = judge(source, language, problem.tests, problem.limits, problem.checker(), sandbox=sandbox, cache=cache)
                cold.append(time.perf_counter() - start)
                assert result.verdict.value == "AC", result
                cpu_before, start = tree_cpu_seconds(), time.perf_counter()
                result = judge(source, language, problem.tests, problem.limits, problem.checker(), sandbox=sandbox, cache=cache)
                warm.append(time.perf_counter() - start)
                warm_cpu += tree_cpu_seconds() - cpu_before
                assert result.verdict.value == "AC" and cache.stats.compilations == 1  # compiled, or syntax-checked
                with keep_boxes():
                    judge(source, language, problem.tests, problem.limits, problem.checker(), sandbox=sandbox,
                          cache=cache)  # the kept box started
                    tidy_kept_boxes()
                    cpu_before, start = tree_cpu_seconds(), time.perf_counter()
                    result = judge(source, language, problem.tests, problem.limits, problem.checker(), sandbox=sandbox,
                                   cache=cache)
                    kept.append(time.perf_counter() - start)
                    kept_cpu += tree_cpu_seconds() - cpu_before
                assert result.verdict.value == "AC"
            bare, bare_cpu = _bare_per_test(language, problem.tests, Path(tmp))
        cold_ms, warm_ms, kept_ms = (statistics.median(values) * 1000 for values in (cold, warm, kept))
        per_test_ms = warm_ms / len(problem.tests)
        data["languages"][language] = {
            "cold_total_ms": cold_ms, "warm_total_ms": warm_ms, "warm_over_cold": warm_ms / cold_ms,
            "warm_per_test_ms": per_test_ms, "bare_per_test_ms": bare * 1000,
            "per_test_overhead_ms": per_test_ms - bare * 1000,
            # CPU of everything involved (this process, the sandbox, the program), per test
            "warm_cpu_per_test_ms": warm_cpu / (rounds * len(problem.tests)) * 1000,
            "bare_cpu_per_test_ms": bare_cpu * 1000,
            "per_test_cpu_overhead_ms": (warm_cpu / (rounds * len(problem.tests)) - bare_cpu) * 1000,
            "kept_total_ms": kept_ms, "kept_per_test_overhead_ms": kept_ms / len(problem.tests) - bare * 1000,
            "kept_cpu_per_test_ms": kept_cpu / (rounds * len(problem.tests)) * 1000,
        }
    cpp = data["languages"]["cpp"]
    data["floor"] = {"warm_cpp_at_most_30pct_of_cold": cpp["warm_over_cold"] <= 0.30}
    write_json("judging", data)
    return data
