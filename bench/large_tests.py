"""Judging with real test data (issue 20): a problem of 5 tests of 2-11 MB ("sumn": sum N
numbers), judged through the platform in queue mode against the same judging by the engine
alone (what `codearena judge` does), interleaved in one run, in C and Python; and Redis's memory
while 20 such submissions are judged (it must stay bounded: a finished job keeps its result, and
the test data is stored once)."""

from __future__ import annotations

import random
import subprocess
import tempfile
from pathlib import Path

import httpx
import redis


from codearena.engine.judge import judge
from codearena.engine.problem import load_problem
from codearena.sandbox import get_sandbox

from .common import interleaved, plot_distributions, summaries, write_json
from .load import SECRET, token
from .processes import CLI, REDIS_URL, TOKEN, PlatformProcess, QueueStack

# sumn's solution in each language (platform_judging judges all five; this benchmark C and Python)
SUM_N = {
    "python": "import sys\ndata = sys.stdin.buffer.read().split()\nprint(sum(map(int, data[1:])))\n",
    "javascript": "const d = require('fs').readFileSync(0, 'latin1').trim().split(/\\s+/);\n"
                  "let s = 0n; for (let i = 1; i < d.length; i++) s += BigInt(d[i]);\nconsole.log(s.toString());\n",
    "c": '#include <stdio.h>\nint main(void){long long n,x,s=0;scanf("%lld",&n);'
         'while(n--&&scanf("%lld",&x)==1)s+=x;printf("%lld\\n",s);return 0;}\n',
    "cpp": '#include <cstdio>\nint main(){long long n,x,s=0;if(scanf("%lld",&n)!=1)return 1;'
           'while(n--&&scanf("%lld",&x)==1)s+=x;printf("%lld\\n",s);}\n',
    "java": 'import java.io.*;\npublic class Main{public static void main(String[] a)throws IOException{'
            'DataInputStream in=new DataInputStream(new BufferedInputStream(System.in,1<<16));long s=0,v=0;int c;'
            'boolean num=false,first=true;while((c=in.read())!=-1){if(c>=48&&c<=57){v=v*10+(c-48);num=true;}'
            'else if(num){if(first)first=false;else s+=v;v=0;num=false;}}if(num&&!first)s+=v;System.out.println(s);}}\n',
}
SOLUTIONS = {language: SUM_N[language] for language in ("c", "python")}
SIZES_MB = (2, 4, 6, 8, 11)
FLOOR_MS = 50.0  # through the platform in queue mode: at most the CLI's judging plus this


def write_package(directory: Path) -> Path:
    rng = random.Random(20)
    (directory / "tests").mkdir(parents=True)
    (directory / "problem.toml").write_text('title = "Sum N"\ntime_limit = 5.0\nmemory_limit = 512\n')
    for number, megabytes in enumerate(SIZES_MB, start=1):
        count = megabytes * 1024 * 1024 // 11
        values = [rng.randrange(10**9) for _ in range(count)]
        (directory / "tests" / f"{number}.in").write_text(f"{count}\n" + " ".join(map(str, values)) + "\n")
        (directory / "tests" / f"{number}.out").write_text(f"{sum(values)}\n")
    return directory


def run(quick: bool = False) -> dict:
    samples = 3 if quick else 7
    sandbox = get_sandbox()
    with tempfile.TemporaryDirectory() as tmp, QueueStack() as stack:
        package = write_package(Path(tmp, "sumn"))
        problem = load_problem(package)
        stack.set_workers(1, concurrency=1)
        env = {"EXECUTION_MODE": "queue", "EXECUTION_QUEUE_URL": stack.url, "EXECUTION_SERVICE_TOKEN": TOKEN,
               "JWT_SECRET": SECRET, "EXECUTION_MAX_POLL_TIME": "120000"}
        with PlatformProcess(tmp, **env) as platform:
            subprocess.run(CLI + ["problems", "import", str(package)], env=platform.env, check=True, capture_output=True)
            admin = {"Authorization": "Bearer " + token(1, role="admin")}
            problem_id = httpx.get(platform.url + "/api/problems", headers=admin).json()[0]["id"]
            store = redis.Redis.from_url(REDIS_URL)

            def through_queue(language: str):
                def call():
                    body = httpx.post(platform.url + "/api/submissions", params={"wait": 60}, headers=admin, timeout=120,
                                      json={"problemId": problem_id, "code": SOLUTIONS[language],
                                            "language": language}).json()
                    assert body["verdict"] == "AC", body
                return call

            def by_the_engine(language: str):
                def call():
                    result = judge(SOLUTIONS[language], language, problem.tests, problem.limits, sandbox=sandbox)
                    assert result.verdict.value == "AC", result.message
                return call

            baseline = store.info("memory")["used_memory"]
            cases = {f"{language}: {how}": make(language) for language in SOLUTIONS
                     for how, make in (("engine (CLI)", by_the_engine), ("platform, queue mode", through_queue))}
            timings = interleaved(samples, cases, warmup=1)
            peak = 0
            for _ in range(5 if quick else 20):  # a run of judged submissions: what does Redis hold?
                through_queue("c")()
                peak = max(peak, store.info("memory")["used_memory"] - baseline)
            data_bytes = sum(store.memory_usage(key) or 0 for key in store.scan_iter(match=f"{stack.prefix}:data:*"))
    stats = summaries(timings)
    added = {language: stats[f"{language}: platform, queue mode"]["median_ms"] - stats[f"{language}: engine (CLI)"]["median_ms"]
             for language in SOLUTIONS}
    data = {
        "benchmark": "large_tests",
        "compares": f"judging 5 tests of {', '.join(map(str, SIZES_MB))} MB: the engine alone (as `codearena judge`) vs "
                    "POST /api/submissions?wait through the platform in queue mode (1 worker), interleaved, warm caches",
        "cases": stats, "queue_added_ms": added,
        "redis_peak_above_baseline_mb": peak / 2**20, "redis_test_data_mb": data_bytes / 2**20,
        "test_data_mb": sum(SIZES_MB) * 2,
        "floor": {"queue_added_ms_max": FLOOR_MS, "met": all(v <= FLOOR_MS for v in added.values())},
    }
    write_json("large_tests", data)
    plot_distributions("large_tests", "judging 5 large tests: engine vs platform in queue mode (lower is better)", timings)
    return data
