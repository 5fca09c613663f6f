"""docs/performance.md, written from the results of a run: the figures, the command that produced
them, the machine, and each floor next to its measurement."""

from __future__ import annotations

import math
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def _ms(value: float) -> str:
    return f"{value:.1f} ms"


def _median(result: dict, case: str) -> str:
    """The wall-clock median, with the CPU it cost per call (every process involved) beside it."""
    figures = result["cases"][case]
    cpu = figures.get("cpu_ms")
    return _ms(figures["median_ms"]) + (f" (CPU {cpu:.1f})" if cpu is not None else "")


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _floor(result: dict) -> str:
    return _met(result.get("floor", {}).get("met"))


def _rows(results: dict) -> list[str]:
    rows = []
    if "sandbox_overhead" in results:
        r = results["sandbox_overhead"]
        kept = "c hello: kept box" in r["cases"]
        rows += [
            f"| sandbox | C hello, bare / one-shot in a box made beforehand / with a fresh box"
            + (" / in a kept box (as CodeArena runs it)" if kept else "") + f" | {_median(r, 'c hello: bare')} / "
            f"{_median(r, 'c hello: sandboxed')} / {_median(r, 'c hello: sandboxed+box')}"
            + (f" / {_median(r, 'c hello: kept box')}" if kept else "") + " | C overhead <= 10 ms: "
            f"{_ms(r['overhead_ms']['c_hello'])} one-shot ({_floor(r)})"
            + (f", {_ms(r['overhead_ms']['c_hello_kept_box'])} kept" if kept else "") + " |",
            f"| sandbox | python3 -c pass, bare / sandboxed one-shot" + (" / in a kept box" if kept else "")
            + f" | {_median(r, 'python -c pass: bare')} / {_median(r, 'python -c pass: sandboxed')}"
            + (f" / {_median(r, 'python -c pass: kept box')}" if kept else "") + " | |",
        ]
        if "node_cpu_ms" in r:
            rows.append(f"| sandbox | Node empty script, bare / sandboxed (CPU) / sandboxed without --stack-size (CPU) | "
                        f"{_median(r, 'node: bare')} / {_median(r, 'node: sandboxed')} "
                        f"({_ms(r['node_cpu_ms']['node: sandboxed'])}) / "
                        f"{_median(r, 'node without --stack-size: sandboxed')} "
                        f"({_ms(r['node_cpu_ms']['node without --stack-size: sandboxed'])}) | "
                        f"the flag's cost: {_ms(r['node_stack_flag_ms']['cpu'])} CPU |")
    if "judging" in results:
        r = results["judging"]
        for language, figures in r.get("languages", {}).items():
            cpu = (f"; CPU per test {_ms(figures['warm_cpu_per_test_ms'])}, bare {_ms(figures['bare_cpu_per_test_ms'])}"
                   if "warm_cpu_per_test_ms" in figures else "")
            rows.append(f"| judging | {language}: cold / warm compile cache, per-test overhead (wall; CPU) | "
                        f"{_ms(figures['cold_total_ms'])} / {_ms(figures['warm_total_ms'])}, {_ms(figures['per_test_overhead_ms'])}"
                        f"{cpu} | |")
            if "kept_total_ms" in figures:
                rows.append(f"| judging | {language}: warm compile cache in a kept box (as CodeArena judges), per-test "
                            f"overhead (wall; CPU per test) | {_ms(figures['kept_total_ms'])}, "
                            f"{_ms(figures['kept_per_test_overhead_ms'])}; {_ms(figures['kept_cpu_per_test_ms'])} | |")
    if "platform_latency" in results:
        r = results["platform_latency"]
        for language in ("c", "python"):
            rows.append(f"| platform | POST /api/execute {language} hello: bare / engine / API | "
                        f"{_median(r, f'{language}: bare')} / {_median(r, f'{language}: engine')} / "
                        f"{_median(r, f'{language}: POST /api/execute')} | API - bare <= 15 ms: "
                        f"{_ms(r['added_over_bare_ms'][language])} ({_floor(r)}); server's own share "
                        f"{_ms(r['server_share_ms'][language])} |")
    if "queue_throughput" in results:
        r = results["queue_throughput"]
        for language in ("c", "python"):
            t = r["throughput_jobs_per_s"][language]
            rows.append(f"| queue | {language} hello: one job direct / through the queue | "
                        f"{_median(r, f'{language}: direct')} / {_median(r, f'{language}: queue')} | queue adds <= 5 ms: "
                        f"{_ms(r['queue_added_ms'][language])} ({_met(r['queue_added_ms'][language] <= 5)}) |")
            c = r.get("burst_cpu_ms_per_job", {}).get(language)
            cpu = (f"; CPU per job {' / '.join(_ms(c[how]['sum']) for how in ('1 worker', '2 workers', 'direct, 2 at a time'))} "
                   f"(through the queue: client, service, workers; Redis not counted)" if c else "")
            rows.append(f"| queue | {language} hello jobs/s: 1 worker / 2 workers / direct 2 at a time | "
                        f"{t['1 worker']:.1f} / {t['2 workers']:.1f} / {t['direct, 2 at a time']:.1f}{cpu} | 2 workers >= 80% "
                        f"of direct: {r['two_workers_vs_direct_two'][language]:.0%} "
                        f"({_met(r['two_workers_vs_direct_two'][language] >= 0.8)}) |")
    if "fallback" in results:
        r = results["fallback"]
        rel = r["relative_to_direct"]
        rows.append(f"| modes | POST /api/execute python: direct / queue / queue down (breaker open) | "
                    f"{_median(r, 'direct mode')} / {_median(r, 'queue mode')} / "
                    f"{_median(r, 'queue down, breaker open')} | queue <= +15%: {rel['queue']:+.0%}; "
                    f"fallback <= +10%: {rel['fallback_breaker_open']:+.0%} |")
        if "no_live_worker_added_ms" in r:
            rows.append(f"| modes | POST /api/execute python, queue mode with no live worker (refused at once, run "
                        f"directly) | {_median(r, 'queue, no live worker')} | within 1 s of direct: "
                        f"{_ms(r['no_live_worker_added_ms'])} |")
    if "long_judging" in results:
        r = results["long_judging"]
        rows.append(f"| queue | a judged submission longer than EXECUTION_MAX_POLL_TIME: runs of the program "
                    f"(worker starts + direct fallbacks), wall | {r['runs_of_the_program']} ({r['worker_starts']} + "
                    f"{r['direct_fallbacks']}), {r['submission_wall_s']:.1f} s | one run: "
                    f"{'met' if r['floor']['met'] else 'NOT met'} |")
    if "large_tests" in results:
        r = results["large_tests"]
        rows.append(f"| judging | sumn (5 tests of 2-11 MB) judged: the engine alone / through the platform in queue "
                    f"mode, C; Python | {_median(r, 'c: engine (CLI)')} / {_median(r, 'c: platform, queue mode')}; "
                    f"{_median(r, 'python: engine (CLI)')} / {_median(r, 'python: platform, queue mode')} | queue adds "
                    f"<= 50 ms: C {_ms(r['queue_added_ms']['c'])}, Python {_ms(r['queue_added_ms']['python'])} |")
        rows.append(f"| judging | Redis while sumn submissions are judged: peak above its baseline / test data held | "
                    f"{r['redis_peak_above_baseline_mb']:.1f} MB / {r['redis_test_data_mb']:.1f} MB | bounded |")
    if "platform_judging" in results:
        r = results["platform_judging"]
        peer = r.get("peer", {}).get("dmoj_over_platform", {})
        for name, added in r["platform_added_ms"].items():
            dmoj = (f"; DMOJ {_median(r, name + ': dmoj')}, {peer[name]:.2f}x the platform's time" if name in peer
                    else "; no DMOJ figure")
            rows.append(f"| judging | {name}: engine alone / platform in queue mode | {_median(r, name + ': engine')} / "
                        f"{_median(r, name + ': platform')} | platform adds {_ms(added)}"
                        f"{' (sumn warm: <= 50 ms)' if name.startswith('sumn') and name.endswith('warm') else ''}{dmoj} |")
    if "judge0_sdk" in results:
        r = results["judge0_sdk"]
        rows.append(f"| judge0 | Python hello: judge0.run (SDK) / same, polls answered at once / wait=true / "
                    f"POST /jobs?wait / direct | {_median(r, 'judge0.run (SDK)')} / "
                    f"{_median(r, 'judge0.run (SDK), polls answered at once')} / "
                    f"{_median(r, 'POST /judge0/submissions?wait=true')} / "
                    f"{_median(r, 'POST /jobs?wait (CodeArena' + chr(39) + 's API)')} / "
                    f"{_median(r, 'direct in the sandbox')} | reported (issue 7) |")
    if "cache_scaling" in results:
        r = results["cache_scaling"]
        sizes = list(r["cases"])
        rows.append(f"| cache | a new C program (compile + run) with {' / '.join(sizes)} in the cache: wall, CPU | "
                    + " / ".join(_median(r, k) for k in sizes) + ", "
                    + " / ".join(_ms(r["cpu_ms"][k]) for k in sizes)
                    + "; the cache's own bookkeeping per miss " + " / ".join(f"{r['bookkeeping_us'][k]:.0f} µs" for k in sizes)
                    + f" | flat within 10%: largest/empty wall {r['largest_vs_empty']['wall']:.2f}, CPU "
                    f"{r['largest_vs_empty']['cpu']:.2f} ({_floor(r)}) |")
    if "ready_box" in results:
        r = results["ready_box"]
        bare, fresh, ready = "bare binary", "fresh sandbox per run (today)", "one running namespace, fork+exec per run"
        rows.append(f"| sandbox | C hello: bare / a fresh sandbox per run / fork+exec in one running namespace (the "
                    f"floor of a ready box: no per-run cgroup, rlimits or reset yet) | {_median(r, bare)} / "
                    f"{_median(r, fresh)} / {_median(r, ready)} | over bare: {_ms(r['over_bare_ms'][fresh])} / "
                    f"{_ms(r['over_bare_ms'][ready])} (issue 16's goal: 1 ms) |")
    if "fast_sandbox" in results:
        r = results["fast_sandbox"]
        m, met = r["measured"], r["floor"]["met"]
        rows.append(f"| sandbox | C hello: bare / a kept box (started once, reset between runs) / a one-shot box, as "
                    f"Sandbox.run | {_median(r, 'c hello: bare binary')} / {_median(r, 'c hello: kept box (Sandbox.run)')} / "
                    f"{_median(r, 'c hello: one-shot box (Sandbox.run)')} | over bare: kept "
                    f"{_ms(m['kept_box_added_over_bare_ms'])}, one-shot {_ms(m['one_shot_added_over_bare_ms'])} |")
        rows.append(f"| queue | C hello through POST /jobs?wait, 1 worker (kept boxes); the worker's CPU per job (its "
                    f"process tree) | {_median(r, 'c hello: POST /jobs?wait, 1 worker')}; {_ms(m['worker_cpu_ms_per_job'])} | "
                    f"<= 4 ms over bare: {_ms(m['queue_added_over_bare_ms'])} ({_met(met['queue_added_over_bare'])}); "
                    f"worker CPU <= 3 ms ({_met(met['worker_cpu'])}) |")
        if "queue_added_over_bare_ms_lean_client" in m:
            rows.append(f"| queue | the same through one http.client connection (less client CPU beside the service's "
                        f"on 2 cores; diagnostic) | {_median(r, 'c hello: POST /jobs?wait, 1 worker (http.client)')} | "
                        f"over bare: {_ms(m['queue_added_over_bare_ms_lean_client'])} |")
        if "queue_added_over_bare_ms_in_a_row" in m:
            in_a_row_cpu = (f" (CPU {m['in_a_row_cpu_ms_per_job']['sum']:.1f}, Redis's included)"
                            if "in_a_row_cpu_ms_per_job" in m else "")
            rows.append(f"| queue | the same, jobs in a row (a busy service: nothing to wake between them; diagnostic) | "
                        f"{_ms(m['queue_added_over_bare_ms_in_a_row'] + r['cases']['c hello: bare binary']['median_ms'])}"
                        f"{in_a_row_cpu} | "
                        f"over bare: {_ms(m['queue_added_over_bare_ms_in_a_row'])} |")
        if "in_a_row_cpu_ms_per_job" in m:
            c = m["in_a_row_cpu_ms_per_job"]
            rows.append(f"| queue | the same jobs in a row, CPU per job by process on the path: the client (httpx) / "
                        f"the service / Redis / the worker (its boxes and the program included); their sum beside "
                        f"the wall per job (a serial path but for the worker's tidy, which overlaps the answer: the floor has "
                        f"to come out of these) | "
                        f"{_ms(c['client'])} / {_ms(c['service'])} / {_ms(c['redis'])} / {_ms(c['worker'])}; "
                        f"sum {_ms(c['sum'])} | wall {_ms(m['in_a_row_wall_ms'])} |")
        rows.append(f"| judging | C a+b on 40 tests: kept box / one-shot boxes / the bare binary on the same inputs | "
                    f"{_median(r, 'c a+b: judged on 40 tests (kept box)')} / "
                    f"{_median(r, 'c a+b: judged on 40 tests (one-shot boxes)')} / "
                    f"{_median(r, 'c a+b: bare binary on 40 inputs')} | per test <= 2 ms over bare: kept "
                    f"{_ms(m['judging_added_ms_per_test'])} ({_met(met['judging_per_test'])}), one-shot "
                    f"{_ms(m['judging_added_ms_per_test_one_shot'])} |")
        t = r["throughput_jobs_per_s"]
        rows.append(f"| queue | C hello jobs/s: 1 worker / 2 workers / the bare binary 2 at a time | "
                    f"{t['1 worker']:.0f} / {t['2 workers']:.0f} / {t['bare binary, 2 at a time']:.0f} | 2 workers >= 90% "
                    f"of bare: {m['two_workers_vs_bare_two'] * 100:.0f}% ({_met(met['two_workers'])}) |")
        if "two_workers_vs_bare_two_20ms_program" in m:
            rows.append(f"| queue | a program computing about 20 ms (fixed work), jobs/s: 2 workers / the bare binary 2 at a time (client, "
                        f"service, Redis and workers on the same 2 cores) | {t['20 ms program: 2 workers']:.0f} / "
                        f"{t['20 ms program: bare binary, 2 at a time']:.0f} | "
                        f"{m['two_workers_vs_bare_two_20ms_program'] * 100:.0f}% of bare (reported) |")
        if "cpu_ms_per_job" in r:
            c = r["cpu_ms_per_job"]
            rows.append(f"| queue | the same bursts by CPU per job: the 2 workers' process trees / the bare runs (the "
                        f"binary and this process starting it), C hello; the 20 ms program: what 2 workers reach on a "
                        f"host of their own (client, service and Redis elsewhere) | "
                        f"{_ms(c['2 workers'])} / {_ms(c['bare binary, 2 at a time'])}; "
                        f"{_ms(c['20 ms program: 2 workers'])} / {_ms(c['20 ms program: bare binary, 2 at a time'])} | "
                        f"{m['two_workers_vs_bare_two_by_cpu'] * 100:.0f}% (C hello), "
                        f"{m['two_workers_vs_bare_two_20ms_program_by_cpu'] * 100:.0f}% (20 ms program) of bare |")
    if "warm_javac" in results:
        r = results["warm_javac"]
        box = r["archive_vs_none_in_box"]
        rows.append(f"| java | a new Java program compiled in a kept box: javac with its class-data archive (now) / "
                    f"without (before) | {_median(r, 'in a kept box: javac with the archive (now)')} / "
                    f"{_median(r, 'in a kept box: javac without the archive (before)')} | with is {box['wall']:.2f}x "
                    f"the wall, {box['cpu']:.2f}x the CPU |")
        rows.append(f"| java | outside the sandbox: javac / with the archive / a warm compiler (one JVM, javax.tools) | "
                    f"{_median(r, 'javac, a JVM per compile')} / {_median(r, 'javac with the class-data archive')} / "
                    f"{_median(r, 'warm compiler, one JVM for every compile')} | warm is {r['warm_vs_cold']['wall']:.2f}x "
                    f"the wall, {r['warm_vs_cold']['cpu']:.2f}x the CPU; not adopted: one JVM would serve every "
                    f"user's compiles |")
        if "other_compilers" in r:
            o = r["other_compilers"]
            pairs = " / ".join(f"{_median(o, f'{name} in a kept box: with its archive')} vs "
                               f"{_median(o, f'{name} in a kept box: without its archive')}" for name in o["archive_vs_none_in_box"])
            ratios = ", ".join(f"{name} {v['wall']:.2f}x the wall, {v['cpu']:.2f}x the CPU"
                               for name, v in o["archive_vs_none_in_box"].items())
            rows.append(f"| kotlin, scala | a new program compiled in a kept box, with its compiler's archive vs without: "
                        f"{' / '.join(o['archive_vs_none_in_box'])} | {pairs} | {ratios} |")
    if "cpp_headers" in results:
        r = results["cpp_headers"]
        for header, ratio in r["precompiled_vs_read"].items():
            now, before = f"{header}: precompiled (now)", f"{header}: read each compile (before)"
            rows.append(f"| c++ | a new program including <{header}> first, compiled in a kept box: the header "
                        f"precompiled (now) / read each compile (before); the compiler's peak memory | "
                        f"{_median(r, now)} / {_median(r, before)}; {r['cases'][now]['peak_memory_mb']:.0f} / "
                        f"{r['cases'][before]['peak_memory_mb']:.0f} MB | {ratio['wall']:.2f}x the wall, "
                        f"{ratio['cpu']:.2f}x the CPU (adopted) |")
    if "load_mixed" in results:
        r = results["load_mixed"]
        q, d = r["queue"], r["direct"]
        rows.append(
            f"| load | {q['clients']} clients, each its own program (5 languages, CE/WA/TLE among them), queue mode, 1 worker: "
            f"answered correctly, throughput, latency p50 / p95 / p99 | {q['outcomes'].get('correct', 0)} / {q['clients']}, "
            f"{q['throughput_per_s']:.1f} req/s, {q['latency_s']['p50']:.1f} s / {q['latency_s']['p95']:.1f} s / "
            f"{q['latency_s']['p99']:.1f} s | all correct: "
            f"{_met(q['outcomes'] == {'correct': q['clients']})} |")
        rows.append(
            f"| load | same mix: worker CPU per job / direct CPU per job; throughput per worker core / direct one after "
            f"another | {q['worker_cpu_ms_per_job']:.0f} ms / {d['cpu_ms_per_job']:.0f} ms; "
            f"{r['throughput_per_worker_core_per_s']:.2f} / {d['throughput_per_core_per_s']:.2f} jobs/s | worker CPU within "
            f"15% of direct: {r['worker_cpu_vs_direct']:.2f}x ({_floor(r)}); wall per core {r['throughput_per_core_vs_direct']:.0%} "
            f"of direct (platform, service, Redis and clients share the 2 cores) |")
        last = q["cache_over_time"][-1] if q["cache_over_time"] else None
        if last:
            rows.append(f"| load | compile cache after the mixed load | {last['entries']} entries, {last['mb']} MB | |")
    if "load" in results:
        r = results["load"]
        for name, run in r["runs"].items():
            latency = run["latency_s"]
            rows.append(
                f"| load | {run['clients']} concurrent clients, queue mode, {name}: answered correctly, "
                f"throughput, latency p50 / p95 / p99 | {run['outcomes'].get('correct', 0)} / {run['clients']}, "
                f"{run['throughput_per_s']:.1f} req/s, {latency['p50']:.1f} s / {latency['p95']:.1f} s / "
                f"{latency['p99']:.1f} s | all correct, 0 errors: "
                f"{_met(run['outcomes'] == {'correct': run['clients']})} |")
            if "cpu_ms_per_request" in run:
                cpu = run["cpu_ms_per_request"]
                rows.append(f"| load | {name}: CPU per request by process (each with its children: a worker's boxes "
                            f"and runs): " + " / ".join(cpu) + " | " + " / ".join(_ms(v) for v in cpu.values())
                            + f"; sum {_ms(sum(cpu.values()))} | |")
            rows.append(f"| load | {name}: peak memory (MB) / peak open sockets per process | "
                        + ", ".join(f"{p} {run['peak_rss_mb'][p]:.0f} / {run['peak_open_sockets'].get(p, 0)}"
                                    for p in run["peak_rss_mb"]) + f"; retries after 429/503: {run['retries'] or 0} | |")
    return rows


def _capacity(results: dict) -> list[str]:
    """How many worker machines a number of users needs, from the measured throughput."""
    if "load" not in results or "queue_throughput" not in results:
        return []
    queue = results["queue_throughput"]["throughput_jobs_per_s"]
    per_core_c = queue["c"]["direct, 2 at a time"] / 2
    per_core_py = queue["python"]["direct, 2 at a time"] / 2
    return [
        "## How many workers for how many users",
        f"- One core runs about {per_core_c:.0f} C or {per_core_py:.0f} Python hello-world jobs a second here (direct,",
        "  two at a time, above); a worker machine with `--concurrency` = its cores serves cores x that, because",
        "  workers share nothing but Redis. The platform servers and the execution service only pass requests",
        "  along (a few ms of CPU each per job) and scale out behind a load balancer the same way.",
        f"- The load test on this one 2-core machine ran platform, service, Redis, workers and the {results['load']['runs']['1 worker']['clients']}",
        f"  clients together: 2 worker processes gave {results['load']['scaling']:.2f}x the throughput of 1, because the",
        "  two cores were already saturated by everything else (the platform process and the 10,000-client",
        "  load generator took most of them; the workers were mostly waiting for CPU). On separate worker",
        "  machines, throughput grows with the number of worker cores; a platform process answers a few hundred",
        "  requests a second on a core of its own, so a 10,000-user site wants 2-3 platform replicas.",
        "- Sizing: users x (runs per user per minute) / 60 = jobs per second at peak; divide by the per-core rate of",
        "  the typical job (a judged submission is one run per test) to get worker cores. Example: 10,000",
        "  students each running code twice a minute = 333 jobs/s of Python hello-sized runs, about",
        f"  {math.ceil(333 / per_core_py)} cores, i.e. {math.ceil(333 / per_core_py / 8)} 8-core worker machine(s), plus headroom;"
        " KEDA scales them on the backlog.",
        "",
    ]


GENERATED_SECTIONS = ("How many workers for how many users", "Reading these figures")
TABLE_HEAD = "| area | what | medians | floor |"


def _row_key(row: str) -> tuple[str, str]:
    """A table row's area and what it measures: the row a later run of the same benchmark replaces."""
    cells = row.split(" | ", 2)
    return cells[0], cells[1] if len(cells) > 1 else ""


def _earlier(doc: Path) -> tuple[list[str], list[str], dict[str, str]]:
    """The document as it is: (the notes above its table, its table rows, its sections by title).
    The notes and the sections are written by hand (what each row comes from, each session's
    findings); the rows of benchmarks a run does not repeat are the earlier runs' figures."""
    if not doc.exists():
        return [], [], {}
    head, *sections = doc.read_text().split("\n## ")
    lines = head.splitlines()
    table = lines.index(TABLE_HEAD) if TABLE_HEAD in lines else len(lines)
    notes = [line for line in lines[:table] if not line.startswith(("# ", "Written by `"))]
    while notes and not notes[0].strip():
        notes.pop(0)
    rows = [line for line in lines[table + 2:] if line.startswith("| ")]
    return notes, rows, {section.split("\n", 1)[0].strip(): "## " + section.strip("\n") for section in sections}


def _merged(rows: list[str], earlier: list[str]) -> list[str]:
    """The earlier rows, each replaced by this run's row for the same measurement, then this run's
    new rows."""
    fresh = {_row_key(row): row for row in rows}
    merged = [fresh.pop(_row_key(row), row) for row in earlier]
    return merged + [row for row in rows if _row_key(row) in fresh]


def write(results: dict, command: str, doc: Path = DOC) -> Path:
    """docs/performance.md with this run's figures: its rows replace the same measurements' rows,
    and what this run did not measure, the notes and the sections written by hand stay."""
    machine = results["machine"]
    notes, earlier_rows, sections = _earlier(doc)
    capacity = _capacity(results)
    if not capacity and GENERATED_SECTIONS[0] in sections:
        capacity = [sections[GENERATED_SECTIONS[0]], ""]  # this run has not the figures to redo it
    text = [
        "# Performance",
        "",
        f"Written by `{command}` on {machine['time']} ({'quick' if results.get('quick') else 'full'} run of "
        f"{', '.join(name for name in results if name not in ('machine', 'quick'))}): "
        f"{machine['cpus']} CPUs, {machine['platform']}, Python {machine['python']}. Every comparison was "
        "measured side by side in one run (cases interleaved, in a shuffled order each round); figures "
        "are medians. Raw results and plots: `bench/results/`. Rows of benchmarks these runs did not repeat "
        "keep their earlier figures (the notes below say where each comes from).",
        "",
        *notes,
        TABLE_HEAD,
        "| --- | --- | --- | --- |",
        *_merged(_rows(results), earlier_rows),
        "",
        *[f"{section}\n" for title, section in sections.items() if title not in GENERATED_SECTIONS],
        *capacity,
        "## Reading these figures",
        "- These machines are shared, virtualised 2-core hosts. Short runs are dominated by process and",
        "  namespace creation in the kernel (bubblewrap's namespaces, mounts and cgroup attach cost about",
        "  8-10 ms of a C hello's run here), and an idle vCPU pays a wake-up penalty: the same sandboxed",
        "  run measured back to back takes ~16 ms, with 20 ms pauses between runs ~27 ms. Medians of",
        "  interleaved cases are comparable with each other, not with other machines.",
        "- `(CPU x)` beside a median: the CPU one call cost, in ms, summed over every process involved (the",
        "  benchmark itself, and every server, worker and sandboxed program it started), the mean over all",
        "  calls. The host's noise moves it far less than wall time; Redis and PostgreSQL, started apart, are",
        "  not in it.",
        "- The platform server's own share of a request (HTTP, auth, validation, JSON, the thread hop)",
        "  is the `server's own share` column: API minus engine.",
        "- Queue mode adds two HTTP/Redis hops (platform -> service -> worker and back); on 2 cores",
        "  the benchmark's client, the service and Redis also take CPU from the workers, which is why",
        "  2 workers can fall short of 2 direct runs (which pay for no client, service or Redis) on",
        "  hello-world-sized jobs; separate worker machines do not share their cores with them.",
        "- Where one queued job's extra time goes (measured with the jobs' own timestamps, 60 jobs each,",
        "  session 3): client -> job started 2.5-2.7 ms, job finished -> client 2.6-3.4 ms, and for Python",
        "  the same sandboxed program's wall time is ~2.6 ms longer in the worker process than in the",
        "  benchmark's process at equal CPU time (16.8 vs 17.3 ms): scheduling, not work. A py-spy profile",
        "  of the service and the worker shows their time in socket sends that wake the next process: on",
        "  this VM each cross-process wake-up costs about a millisecond, and a queued job needs several.",
        "",
    ]
    doc.write_text("\n".join(text))
    return doc


def from_saved(results_dir: Path, command: str) -> Path:
    """docs/performance.md from each benchmark's own latest JSON (runs made one by one)."""
    import json

    from .common import machine

    results = {"machine": machine(), "quick": False}
    whole_run = results_dir / "all.json"
    if whole_run.exists():  # the machine and the time of the last whole run, not of this rewrite
        saved = json.loads(whole_run.read_text())
        results.update(machine=saved.get("machine", results["machine"]), quick=saved.get("quick", False))
    for path in sorted(results_dir.glob("*.json")):
        if path.stem != "all":
            results[path.stem] = json.loads(path.read_text())
    return write(results, command)
