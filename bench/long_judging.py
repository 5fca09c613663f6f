"""A judged submission that outlasts EXECUTION_MAX_POLL_TIME, in queue mode: how many times did
the program run? (Issue 14: the platform used to give up, judge it directly, and let the worker
finish the same job for nobody: two runs.) Counted from the worker's starts (the job records in
Redis) and the platform's fallbacks (its log), beside the wall time of one submission."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import httpx
import redis

from .common import write_json
from .load import SECRET, token
from .processes import REDIS_URL, TOKEN, PlatformProcess, QueueStack

FALLBACK = "Queue unavailable, falling back to direct execution"


def run(quick: bool = False) -> dict:
    seconds = 2 if quick else 9  # per test, 3 tests: about 6 s (quick) or 27 s of sleeping per submission
    program = f"import time\na, b = map(int, input().split())\ntime.sleep({seconds})\nprint(a + b)\n"
    problem = {"title": "Slow sums", "timeLimit": 10, "memoryLimit": 256,
               "tests": [{"name": str(i), "input": f"{i} {i}\n", "expectedOutput": f"{2 * i}\n"} for i in range(1, 4)]}
    with tempfile.TemporaryDirectory() as tmp, QueueStack() as stack:
        stack.set_workers(1, concurrency=1)
        log_path = str(Path(tmp, "platform.log"))
        env = {"EXECUTION_MODE": "queue", "EXECUTION_QUEUE_URL": stack.url, "EXECUTION_SERVICE_TOKEN": TOKEN,
               "EXECUTION_MAX_POLL_TIME": "5000", "JWT_SECRET": SECRET, "LOG_LEVEL": "info"}
        with PlatformProcess(tmp, log_path=log_path, **env) as platform:
            admin = {"Authorization": "Bearer " + token(1, role="admin")}
            created = httpx.post(platform.url + "/api/problems", json=problem, headers=admin, timeout=30)
            created.raise_for_status()
            started = time.perf_counter()
            answer = httpx.post(platform.url + "/api/submissions", params={"wait": 60}, headers=admin, timeout=120,
                                json={"problemId": created.json()["id"], "code": program, "language": "python"})
            wall = time.perf_counter() - started
            submission = answer.json()
            assert submission["verdict"] == "AC", submission
        store = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        jobs = [store.hgetall(key) for key in store.scan_iter(match=f"{stack.prefix}:job:*")]
        fallbacks = sum(FALLBACK in json.loads(line).get("msg", "") for line in Path(log_path).read_text().splitlines()
                        if line.startswith("{"))
    worker_starts = sum(int(job.get("attempts", 0)) for job in jobs)
    data = {
        "benchmark": "long_judging",
        "compares": f"one judged submission, 3 tests sleeping {seconds} s each (TL 10 s), queue mode with "
                    "EXECUTION_MAX_POLL_TIME=5000 and one worker slot",
        "submission_wall_s": wall, "worker_starts": worker_starts, "direct_fallbacks": fallbacks,
        "runs_of_the_program": worker_starts + fallbacks,
        "floor": {"runs_max": 1, "met": worker_starts + fallbacks == 1},
    }
    write_json("long_judging", data)
    return data
