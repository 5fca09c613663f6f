"""Judging with the real sandbox: verdict attribution per test, compile once, the cache, packages."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from codearena.engine.cache import CompileCache, cache_key
from codearena.engine.checkers import CustomChecker
from codearena.engine.compile import prepare
from codearena.engine.judge import TestCase, judge
from codearena.engine.problem import ProblemError, load_problem
from codearena.engine.verdicts import Verdict
from codearena.languages import get_language
from codearena.sandbox import Limits

EXAMPLE = Path(__file__).parent.parent / "examples" / "aplusb"

# Each solution reads "a b" and prints a+b, but misbehaves when a == 0: which misbehaviour is a
# per-language choice below, so the failing test is always test "3".
SOLUTIONS = {
    "python": "a, b = map(int, input().split())\n{bad}print(a + b)\n",
    "javascript": "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);\n{bad}console.log(a + b);\n",
    "c": "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nint main(void){{long a,b;scanf(\"%ld %ld\",&a,&b);{bad}printf(\"%ld\\n\",a+b);return 0;}}\n",
    "cpp": "#include <iostream>\n#include <vector>\nint main(){{long a,b;std::cin>>a>>b;{bad}std::cout<<a+b<<\"\\n\";}}\n",
    "java": "import java.util.*;\npublic class Sum{{public static void main(String[] x){{Scanner s=new Scanner(System.in);long a=s.nextLong(),b=s.nextLong();{bad}System.out.println(a+b);}}}}\n",
}
BAD = {
    "python": {"WA": "if a == 0: b += 1\n", "TLE": "while a == 0: pass\n", "RE": "if a == 0: raise SystemExit(4)\n",
               "MLE": "x = [bytearray(1 << 20) for _ in range(10**6)] if a == 0 else 0\n"},
    "javascript": {"WA": "if (a === 0) { console.log(a + b + 1); process.exit(0); }\n", "TLE": "while (a === 0) {}\n",
                   "RE": "if (a === 0) process.exit(4);\n",
                   "MLE": "if (a === 0) { const k = []; while (true) k.push(Buffer.alloc(1 << 20, 1)); }\n"},
    "c": {"WA": "if(a==0)b++;", "TLE": "for(volatile long i=0;a==0;i++);", "RE": "if(a==0)exit(4);",
          "MLE": "if(a==0)for(;;){char*p=malloc(1<<20);if(!p)return 1;memset(p,1,1<<20);}"},
    "cpp": {"WA": "if(a==0)b++;", "TLE": "for(volatile long i=0;a==0;i++);", "RE": "if(a==0)return 4;",
            "MLE": "if(a==0){std::vector<std::vector<char>> v;for(;;)v.emplace_back(1<<20,'x');}"},
    "java": {"WA": "if(a==0)b++;", "TLE": "while(a==0){b^=1;}", "RE": "if(a==0)System.exit(4);",
             "MLE": "if(a==0){List<long[]> l=new ArrayList<>();for(;;)l.add(new long[1<<17]);}"},
}
TESTS = [TestCase(str(i), f"{a} {b}\n".encode(), f"{a + b}\n".encode()) for i, (a, b) in
         enumerate([(1, 2), (5, 7), (0, 3), (9, 9)], start=1)]
LIMITS = Limits(cpu_time=1.0, wall_time=3.0, memory_mb=64)


@pytest.fixture
def cache(tmp_path):
    tmp_path.chmod(0o755)
    tmp_path.parent.chmod(0o755)
    tmp_path.parent.parent.chmod(0o755)
    return CompileCache(tmp_path / "cache")


def source_for(language: str, bad: str = "") -> str:
    return SOLUTIONS[language].format(bad=bad)


@pytest.mark.parametrize("language", sorted(SOLUTIONS))
def test_accepted_solution_passes_every_test(sandbox, cache, language):
    result = judge(source_for(language), language, TESTS, LIMITS, sandbox=sandbox, cache=cache)
    assert result.verdict == Verdict.AC, result
    assert [t.verdict for t in result.tests] == [Verdict.AC] * 4


@pytest.mark.parametrize("language", sorted(SOLUTIONS))
@pytest.mark.parametrize("failure", ["WA", "TLE", "RE", "MLE"])
def test_failure_is_attributed_to_the_right_test(sandbox, cache, language, failure):
    result = judge(source_for(language, BAD[language][failure]), language, TESTS, LIMITS, sandbox=sandbox, cache=cache)
    assert [t.verdict.value for t in result.tests] == ["AC", "AC", failure, "AC"], [t.message for t in result.tests]
    assert result.verdict == Verdict(failure) and "test 3" in result.message


@pytest.mark.parametrize("language", ["c", "cpp", "java"])
def test_compile_error_stops_before_any_test(sandbox, cache, language):
    result = judge("this is not a program", language, TESTS, LIMITS, sandbox=sandbox, cache=cache)
    assert result.verdict == Verdict.CE and result.tests == []
    assert result.compile_output


def test_stop_on_failure_skips_the_remaining_tests(sandbox, cache):
    result = judge(source_for("c", BAD["c"]["WA"]), "c", TESTS, LIMITS, stop_on_failure=True, sandbox=sandbox, cache=cache)
    assert [t.name for t in result.tests] == ["1", "2", "3"] and result.verdict == Verdict.WA


def test_parallel_judging_gives_the_same_results_in_test_order(sandbox, cache):
    result = judge(source_for("cpp", BAD["cpp"]["RE"]), "cpp", TESTS * 3, LIMITS, parallel=4, sandbox=sandbox, cache=cache)
    assert [t.verdict.value for t in result.tests] == ["AC", "AC", "RE", "AC"] * 3


def test_points_give_a_score(sandbox, cache):
    tests = [TestCase(t.name, t.input, t.expected, points=10.0 * i) for i, t in enumerate(TESTS, start=1)]
    result = judge(source_for("python", BAD["python"]["WA"]), "python", tests, LIMITS, sandbox=sandbox, cache=cache)
    assert (result.score, result.max_score) == (70.0, 100.0)


# -- the compile cache --------------------------------------------------------------------------
def test_second_judging_performs_no_compilation(sandbox, cache):
    source = source_for("cpp")
    judge(source, "cpp", TESTS, LIMITS, sandbox=sandbox, cache=cache)
    assert (cache.stats.compilations, cache.stats.hits) == (1, 0)
    again = judge(source, "cpp", TESTS, LIMITS, sandbox=sandbox, cache=cache)
    assert again.verdict == Verdict.AC
    assert (cache.stats.compilations, cache.stats.hits) == (1, 1)


def test_compile_errors_are_cached_too(sandbox, cache):
    for _ in range(2):
        assert judge("int main(", "c", TESTS, LIMITS, sandbox=sandbox, cache=cache).verdict == Verdict.CE
    assert cache.stats.compilations == 1


def test_concurrent_identical_submissions_compile_once(sandbox, cache):
    source = source_for("c") + "/* concurrent */\n"
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        judge(source, "c", TESTS[:1], LIMITS, sandbox=sandbox, cache=cache))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.verdict for r in results] == [Verdict.AC] * 4
    assert cache.stats.compilations == 1 and cache.stats.hits == 3


def test_a_program_cannot_change_its_cached_artifact(sandbox, cache):
    # The program gets its own copy of its binary: whatever it does to the copy (overwrite, unlink),
    # the cached artifact stays the same and the next run starts from it again.
    tamper = ("#include <stdio.h>\n#include <unistd.h>\nint main(void){"
              "FILE*f=fopen(\"main\",\"r+\"); int w = f && fputs(\"garbage\", f) >= 0 && fclose(f) == 0;"
              "printf(\"%d %d\\n\", w, unlink(\"main\")==0); return 0;}\n")
    entry = prepare(sandbox, get_language("c"), tamper, cache)
    cached = Path(entry.path("main")).read_bytes()
    first = judge(tamper, "c", TESTS[:1], LIMITS, sandbox=sandbox, cache=cache)
    second = judge(tamper, "c", TESTS[:1], LIMITS, sandbox=sandbox, cache=cache)
    assert first.tests[0].stdout == second.tests[0].stdout == "0 1\n"  # a running binary is busy (ETXTBSY)
    assert Path(entry.path("main")).read_bytes() == cached
    assert Path(entry.path("main")).stat().st_mode & 0o777 == 0o755


def test_cache_is_bounded_least_recently_used_first(sandbox, tmp_path):
    tmp_path.chmod(0o755)
    small = CompileCache(tmp_path / "small", max_bytes=40_000)  # room for about two C binaries
    c = get_language("c")
    sources = [source_for("c") + f"/* {i} */\n" for i in range(4)]
    for source in sources:
        prepare(sandbox, c, source, small)
    assert small.stats.evictions >= 1
    assert small.size_bytes() <= 40_000 + 20_000
    assert small.lookup(cache_key(c, sources[-1], sandbox=sandbox.fingerprint)) is not None  # the newest stays
    assert small.lookup(cache_key(c, sources[0], sandbox=sandbox.fingerprint)) is None  # the oldest went first


# -- custom checkers ----------------------------------------------------------------------------
CHECKER_PARITY = ("import sys\ninp, out, ans = (open(p).read().split() for p in sys.argv[1:4])\n"
                  "print('ok' if out and int(out[0]) % 2 == int(ans[0]) % 2 else 'parity differs')\n"
                  "sys.exit(0 if out and int(out[0]) % 2 == int(ans[0]) % 2 else 1)\n")


def test_custom_checker_decides(sandbox, cache):
    checker = CustomChecker(CHECKER_PARITY, "python", sandbox=sandbox, cache=cache)
    tests = [TestCase("1", b"1 2\n", b"3\n"), TestCase("2", b"2 2\n", b"4\n")]
    # Prints a+b+2: same parity, so a parity checker accepts it though the standard one would not.
    result = judge("a, b = map(int, input().split())\nprint(a + b + 2)\n", "python", tests, LIMITS, checker, sandbox=sandbox, cache=cache)
    assert result.verdict == Verdict.AC, result
    wrong = judge("print(0)\n", "python", tests, LIMITS, checker, sandbox=sandbox, cache=cache)
    assert [t.verdict for t in wrong.tests] == [Verdict.WA, Verdict.AC]
    assert "parity differs" in wrong.tests[0].message


@pytest.mark.parametrize("checker_source,language", [
    ("import sys\nsys.exit(7)\n", "python"),
    ("raise RuntimeError('checker bug')\n", "python"),
    ("int main(void){ return *(volatile int*)0; }\n", "c"),
    ("int main( {\n", "c"),
])
def test_crashing_custom_checker_is_ie_never_wa(sandbox, cache, checker_source, language):
    checker = CustomChecker(checker_source, language, sandbox=sandbox, cache=cache)
    result = judge("print(3)\n", "python", TESTS[:1], LIMITS, checker, sandbox=sandbox, cache=cache)
    assert result.verdict == Verdict.IE and result.tests[0].verdict == Verdict.IE


# -- problem packages ---------------------------------------------------------------------------
def test_example_package_loads():
    problem = load_problem(EXAMPLE)
    assert problem.title == "A plus B" and len(problem.tests) == 10
    assert [t.name for t in problem.sample_tests] == ["1", "2"]
    assert problem.limits.cpu_time == 1.0 and problem.limits.memory_mb == 256
    assert [t.name for t in problem.tests][:3] == ["1", "2", "3"] and problem.tests[-1].name == "10"


def write_package(root: Path, toml: str, tests: dict[str, str]) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "problem.toml").write_text(toml)
    for name, text in tests.items():
        (root / "tests" / name).write_text(text)
    return root


@pytest.mark.parametrize("toml,tests,message", [
    ('title = "X"\n', {"1.in": "1"}, "tests/1.out: missing"),
    ('title = "X"\n', {"1.out": "1"}, "tests/1.in: missing"),
    ('title = "X"\nchecker = "fuzzy"\n', {"1.in": "", "1.out": ""}, "unknown checker 'fuzzy'"),
    ('title = "X"\ntime_limit = 0\n', {"1.in": "", "1.out": ""}, "time_limit"),
    ('title = "X"\nmemory_limit = 100000\n', {"1.in": "", "1.out": ""}, "memory_limit"),
    ('title = "X"\nsamples = ["7"]\n', {"1.in": "", "1.out": ""}, "sample '7' is not a test"),
    ('title = "X"\nstatement = "nope.md"\n', {"1.in": "", "1.out": ""}, "statement file 'nope.md'"),
    ('title = "X"\n[checker]\ntype = "custom"\nsource = "chk.py"\n', {"1.in": "", "1.out": ""}, "'chk.py' does not exist"),
    ('title = "X\n', {"1.in": "", "1.out": ""}, "not valid TOML"),
    ('titel = "X"\n', {"1.in": "", "1.out": ""}, "title"),
    ('title = "X"\n', {}, "no tests"),
])
def test_invalid_package_names_the_file_and_the_problem(tmp_path, toml, tests, message):
    root = write_package(tmp_path / "p", toml, tests)
    with pytest.raises(ProblemError) as err:
        load_problem(root)
    assert message in str(err.value)
    assert str(root) in str(err.value)


def test_float_checker_table_loads(tmp_path):
    root = write_package(tmp_path / "p", 'title = "X"\n[checker]\ntype = "float"\nabs_tol = 0.01\n', {"1.in": "", "1.out": "1.0"})
    checker = load_problem(root).checker()
    assert checker.check(b"", b"1.0", b"1.005").verdict == Verdict.AC


def test_cli_judge_json(sandbox, tmp_path):
    solution = tmp_path / "sum.cpp"
    solution.write_text(source_for("cpp"))
    proc = subprocess.run([sys.executable, "-m", "codearena.cli", "judge", str(solution), "--problem", str(EXAMPLE), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["verdict"] == "AC" and len(data["tests"]) == 10
    assert {"name", "verdict"} <= data["tests"][0].keys()
    assert {"stdout", "stderr", "compile_output", "exit_code", "signal", "time", "wall_time", "memory"} <= data.keys()
