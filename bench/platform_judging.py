"""Judged submissions through the platform in queue mode against the same judging by the engine
alone (what `codearena judge` does), in all five languages, with a warm compile cache (the same
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
from codearena.sandbox import get_sandbox

from .common import interleaved, plot_distributions, summaries, write_json
from .large_tests import write_package
from .peer import Dmoj
from .load import SECRET, token
from .processes import CLI, TOKEN, PlatformProcess, QueueStack

ROOT = Path(__file__).resolve().parents[1]
COMMENT = {"python": "# {n}\n", "c": "// {n}\n", "cpp": "// {n}\n", "java": "// {n}\n", "javascript": "// {n}\n"}
A_PLUS_B = {
    "python": "a, b = map(int, input().split())\nprint(a + b)\n",
    "javascript": "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);\n"
                  "console.log(a + b);\n",
    "c": '#include <stdio.h>\nint main(){long long a,b;scanf("%lld %lld",&a,&b);printf("%lld\\n",a+b);return 0;}\n',
    "cpp": '#include <iostream>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<"\\n";}\n',
    "java": 'import java.util.*;\npublic class Main{public static void main(String[] x){Scanner in=new Scanner(System.in);'
            'long a=in.nextLong(),b=in.nextLong();System.out.println(a+b);}}\n',
}
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
                    result = judge(source(problem, language, cold), language, package.tests, package.limits,
                                   sandbox=sandbox)
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
            timings = interleaved(samples, cases, warmup=1)
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
