"""Platform latency: POST /api/execute end to end (real server process, real HTTP, SQLite)
against running the same program bare, and against the engine alone (no server; in a thread
that keeps its box, as the server's pool runs it).

The difference API - bare is what a user pays for the platform; API - engine is the server's own
share (HTTP, auth, validation, JSON, the thread hop).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from codearena.engine import execute
from codearena.sandbox import get_sandbox

from .common import KeptThread, interleaved, plot_distributions, summaries, write_json
from .processes import PlatformProcess

FLOOR_MS = 15.0
PROGRAMS = {
    "python": "print('hello')\n",
    "c": '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n',
}


def _bare(argv: list[str]) -> None:
    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)


def run(quick: bool = False) -> dict:
    samples = 20 if quick else 100
    sandbox = get_sandbox()
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp, "hello")
        subprocess.run(["gcc", "-O2", "-o", str(binary), "-x", "c", "-"], input=PROGRAMS["c"].encode(), check=True)
        script = Path(tmp, "hello.py")
        script.write_text(PROGRAMS["python"])
        with PlatformProcess(tmp) as server, server.client() as client:

            def api(language: str):
                def call():
                    body = client.post("/api/execute", json={"code": PROGRAMS[language], "language": language}).json()
                    assert body["verdict"] == "AC" and body["stdout"] == "hello\n", body
                return call

            kept = KeptThread()  # the engine as the server runs it: a pool thread keeping its box

            def engine(language: str):
                def call():
                    assert kept.call(lambda: execute(PROGRAMS[language], language, sandbox=sandbox)).stdout == "hello\n"
                return call

            timings = interleaved(samples, {
                "c: bare": lambda: _bare([str(binary)]),
                "c: engine": engine("c"),
                "c: POST /api/execute": api("c"),
                "python: bare": lambda: _bare(["/usr/bin/python3", str(script)]),
                "python: engine": engine("python"),
                "python: POST /api/execute": api("python"),
            })
            kept.stop()
    stats = summaries(timings)
    median = lambda name: stats[name]["median_ms"]  # noqa: E731
    added = {lang: median(f"{lang}: POST /api/execute") - median(f"{lang}: bare") for lang in PROGRAMS}
    server_share = {lang: median(f"{lang}: POST /api/execute") - median(f"{lang}: engine") for lang in PROGRAMS}
    data = {
        "benchmark": "platform_latency",
        "compares": "POST /api/execute (server process, HTTP keep-alive, SQLite) vs the bare program vs the engine "
                    "alone, interleaved in one run",
        "cases": stats,
        "added_over_bare_ms": added,
        "server_share_ms": server_share,
        "floor": {"added_over_bare_ms_max": FLOOR_MS, "met": all(v <= FLOOR_MS for v in added.values())},
    }
    write_json("platform_latency", data)
    plot_distributions("platform_latency", "POST /api/execute vs bare vs engine (lower is better)", timings)
    return data
