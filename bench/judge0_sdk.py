"""The Judge0 API through the official SDK: `judge0.run` of a Python hello world against
CodeArena's execution service and one worker, side by side (interleaved) with the same program
through CodeArena's own job API and run directly in the sandbox.

judge0.run creates the submission, then polls GET /submissions/{token} every 100 ms until it is
done. CodeArena holds a poll of an unfinished submission up to JUDGE0_STATUS_HOLD (0.25 s) and
answers as soon as it ends; the case "no hold" is a second service with JUDGE0_STATUS_HOLD=0,
which answers polls at once as Judge0 does."""

from __future__ import annotations

import httpx
import judge0

from codearena.engine import execute
from codearena.sandbox import get_sandbox

from .common import interleaved, plot_distributions, summaries, write_json
from .processes import TOKEN, QueueStack

SOURCE = "print('hello')\n"


def _sdk_run(client: judge0.Client) -> None:
    result = judge0.run(client=client, source_code=SOURCE, language=judge0.PYTHON)
    assert result.status == judge0.Status.ACCEPTED and result.stdout == "hello\n", (result.status, result.stderr)


def _wait_true(http: httpx.Client) -> None:
    answer = http.post("/submissions", params={"wait": "true"}, json={"source_code": SOURCE, "language_id": 71})
    assert answer.json()["stdout"] == "hello\n", answer.text


def _native(http: httpx.Client) -> None:
    record = http.post("/jobs", params={"wait": 60}, json={"language": "python", "source": SOURCE}).json()
    assert record["result"]["stdout"] == "hello\n", record


def run(quick: bool = False) -> dict:
    samples = 20 if quick else 100
    sandbox = get_sandbox()
    auth = {"X-Auth-Token": TOKEN}
    with QueueStack() as stack:
        stack.set_workers(1)
        no_hold_url = stack.another_service(JUDGE0_STATUS_HOLD="0")
        sdk = judge0.Client(f"{stack.url}/judge0", dict(auth))
        sdk_no_hold = judge0.Client(f"{no_hold_url}/judge0", dict(auth))
        with httpx.Client(base_url=f"{stack.url}/judge0", headers=auth, timeout=60) as judge0_http, \
                httpx.Client(base_url=stack.url, headers=stack.headers, timeout=60) as native:
            timings = interleaved(samples, {
                "judge0.run (SDK)": lambda: _sdk_run(sdk),
                "judge0.run (SDK), polls answered at once": lambda: _sdk_run(sdk_no_hold),
                "POST /judge0/submissions?wait=true": lambda: _wait_true(judge0_http),
                "POST /jobs?wait (CodeArena's API)": lambda: _native(native),
                "direct in the sandbox": lambda: execute(SOURCE, "python", sandbox=sandbox),
            })
    stats = summaries(timings)
    data = {
        "benchmark": "judge0_sdk",
        "compares": "judge0.run (official SDK 0.0.8) of a Python hello world against the execution service "
                    "with one worker, interleaved with the same program via wait=true, via POST /jobs?wait and "
                    "run directly in the sandbox",
        "cases": stats,
        "judge0_run_median_ms": stats["judge0.run (SDK)"]["median_ms"],
        "judge0_run_median_ms_without_hold": stats["judge0.run (SDK), polls answered at once"]["median_ms"],
    }
    write_json("judge0_sdk", data)
    plot_distributions("judge0_sdk", "Judge0 API, Python hello world (lower is better)", timings)
    return data
