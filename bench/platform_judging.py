"""Judged submissions through the platform in queue mode against the same judging by the engine
alone in a thread that keeps its boxes (as a worker slot and direct mode's pool judge; before
session 21 the engine built a box per run here, and the platform read faster than the engine
alone), in all five languages, with a warm compile cache (the same
program again) and a cold one (every sample a new program), on aplusb (10 small tests) and sumn
(5 tests of 2-11 MB); beside them the peer, DMOJ 4.1 loaded once (bench/peer.py), on the same
packages in the languages it has. Interleaved in one run; every answer checked (AC)."""

from __future__ import annotations

import itertools
import subprocess
import tempfile
from pathlib import Path

import httpx

from codearena.engine.judge import judge
from codearena.engine.problem import load_problem
from codearena.languages import language_for_file
from codearena.sandbox import get_sandbox

from .common import KeptThread, interleaved, plot_distributions, summaries, write_json
from .large_tests import SUM_N, write_package
from .peer import Dmoj
from .load import SECRET, token
from .processes import CLI, TOKEN, PlatformProcess, QueueStack

ROOT = Path(__file__).resolve().parents[1]
COMMENT = {"python": "# {n}\n", "c": "// {n}\n", "cpp": "// {n}\n", "java": "// {n}\n", "javascript": "// {n}\n"}
A_PLUS_B = {language_for_file(path).id: path.read_text()  # the example problem's solutions, as the tests use
            for path in sorted((ROOT / "examples" / "aplusb" / "solutions").iterdir())}
FLOOR_MS = 50.0  # sumn through the platform: at most the engine's judging plus this


def run(quick: bool = False) -> dict:
    samples = 2 if quick else 5
    sandbox = get_sandbox()
    counter = itertools.count()
    with tempfile.TemporaryDirectory() as tmp, QueueStack() as stack:
        packages = {"aplusb": ROOT / "examples" / "aplusb", "sumn": write_package(Path(tmp, "sumn"))}
        problems = {name: load_problem(path) for name, path in packages.items()}
        stack.set_workers(1, concurrency=1)
        env = {"EXECUTION_MODE": "queue", "EXECUTION_QUEUE_URL": stack.url, "EXECUTION_SERVICE_TOKEN": TOKEN,
               "JWT_SECRET": SECRET, "EXECUTION_MAX_POLL_TIME": "120000"}
        with PlatformProcess(tmp, **env) as platform, Dmoj(Path(tmp), problems) as dmoj:
            for path in packages.values():
                subprocess.run(CLI + ["problems", "import", str(path)], env=platform.env, check=True, capture_output=True)
            admin = {"Authorization": "Bearer " + token(1, role="admin")}
            ids = {p["slug"]: p["id"] for p in httpx.get(platform.url + "/api/problems", headers=admin).json()}

            def source(problem: str, language: str, cold: bool) -> str:
                code = (A_PLUS_B if problem == "aplusb" else SUM_N)[language]
                return COMMENT[language].format(n=next(counter)) + code if cold else code

            def through_platform(problem: str, language: str, cold: bool):
                def call():
                    body = httpx.post(platform.url + "/api/submissions", params={"wait": 60}, headers=admin,
                                      timeout=180, json={"problemId": ids[problem], "code": source(problem, language, cold),
                                                         "language": language}).json()
                    assert body["verdict"] == "AC", (problem, language, body.get("message"))
                return call

            def by_the_engine(problem: str, language: str, cold: bool):
                package = problems[problem]

                def call():
                    code = source(problem, language, cold)
                    result = kept.call(lambda: judge(code, language, package.tests, package.limits, sandbox=sandbox))
                    assert result.verdict.value == "AC", (problem, language, result.message)
                return call

            def by_dmoj(problem: str, language: str, cold: bool):
                def call():
                    verdicts = dmoj.judge(problem, language, source(problem, language, cold))
                    assert verdicts == ["AC"] * len(problems[problem].tests), (problem, language, verdicts)
                return call

            makers = {"engine": by_the_engine, "platform": through_platform, "dmoj": by_dmoj}
            cases = {f"{problem} {language} {'cold' if cold else 'warm'}: {how}": make(problem, language, cold)
                     for problem in packages for language in A_PLUS_B for cold in (False, True)
                     for how, make in makers.items() if how != "dmoj" or language in dmoj.languages}
            kept = KeptThread()
            try:
                timings = interleaved(samples, cases, warmup=1)
            finally:
                kept.stop()
    stats = summaries(timings)
    added = {name.rsplit(":", 1)[0]: stats[name]["median_ms"] - stats[name.replace(": platform", ": engine")]["median_ms"]
             for name in stats if name.endswith(": platform")}
    sumn_warm = {k: v for k, v in added.items() if k.startswith("sumn") and k.endswith("warm")}
    # DMOJ's median over the platform's: above 1, CodeArena's platform in queue mode is the faster.
    versus_dmoj = {name.rsplit(":", 1)[0]: stats[name]["median_ms"] / stats[name.replace(": dmoj", ": platform")]["median_ms"]
                   for name in stats if name.endswith(": dmoj")}
    data = {
        "benchmark": "platform_judging",
        "compares": "judged submissions through the platform in queue mode (1 worker slot) vs the engine alone, "
                    "aplusb and sumn, five languages, warm and cold compile cache, and DMOJ on the same packages, interleaved",
        "cases": stats, "platform_added_ms": added,
        "peer": {"name": "DMOJ 4.1.0", "java": str(dmoj.jdk) if dmoj.jdk else None, "missing": dmoj.missing,
                 "dmoj_over_platform": versus_dmoj},
        "floor": {"sumn_warm_added_ms_max": FLOOR_MS, "met": all(v <= FLOOR_MS for v in sumn_warm.values())},
    }
    write_json("platform_judging", data)
    plot_distributions("platform_judging", "judging: engine vs platform in queue mode (lower is better)", timings)
    return data
