"""Run every benchmark: `python -m bench [--quick]`. Slowness is reported, never asserted;
a benchmark that cannot run fails the command."""

from __future__ import annotations

import argparse
import json

from . import (cache_scaling, fallback, judge0_sdk, judging, large_tests, load, load_mixed, long_judging,
               platform_judging, platform_latency, queue_throughput, report, ready_box, sandbox_overhead, warm_javac,
               fast_sandbox, cpp_headers)
from .common import RESULTS_DIR, machine, write_json

BENCHMARKS = {"sandbox_overhead": sandbox_overhead.run, "judging": judging.run,
              "platform_latency": platform_latency.run, "queue_throughput": queue_throughput.run,
              "fallback": fallback.run, "long_judging": long_judging.run, "large_tests": large_tests.run,
              "platform_judging": platform_judging.run, "judge0_sdk": judge0_sdk.run, "cache_scaling": cache_scaling.run,
              "load": load.run, "load_mixed": load_mixed.run, "warm_javac": warm_javac.run, "ready_box": ready_box.run,
              "fast_sandbox": fast_sandbox.run, "cpp_headers": cpp_headers.run}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples (under two minutes)")
    parser.add_argument("--report", action="store_true",
                        help="only rewrite docs/performance.md from the results already in bench/results")
    parser.add_argument("only", nargs="*", help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})")
    args = parser.parse_args()
    if args.report:
        print(f"summary: {report.from_saved(RESULTS_DIR, 'make bench')}")
        return
    results = {"machine": machine(), "quick": args.quick}
    for name in args.only or BENCHMARKS:
        print(f"== {name}", flush=True)
        results[name] = BENCHMARKS[name](quick=args.quick)
        print(json.dumps({k: v for k, v in results[name].items() if k in ("overhead_ms", "floor", "languages", "added_over_bare_ms", "server_share_ms", "queue_added_ms",
                                                                           "throughput_jobs_per_s", "two_workers_vs_direct_two", "relative_to_direct", "scaling",
                                                                           "judge0_run_median_ms", "judge0_run_median_ms_without_hold",
                                                                           "largest_vs_empty", "cpu_ms", "no_live_worker_added_ms", "runs_of_the_program", "queue_added_ms",
                                                                           "redis_peak_above_baseline_mb", "worker_cpu_vs_direct",
                                                                           "throughput_per_core_vs_direct", "warm_vs_cold", "over_bare_ms", "measured",
                                                                           "precompiled_vs_read")}, indent=2))
    path = write_json("all", results)
    if not args.only:
        doc = report.write(results, "make bench-quick" if args.quick else "make bench")
        print(f"summary: {doc}")
    print(f"results: {path} and plots in {RESULTS_DIR}")


if __name__ == "__main__":
    main()
