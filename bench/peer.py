"""The DMOJ judge as a peer: the same problem packages, graded by DMOJ 4.1 loaded once (as in
production), in its own virtualenv (`scripts/install-dmoj.sh`, run by `make bench`).

DMOJ 4.1 has no Node.js executor, so JavaScript has no peer figure. Its Java executor needs a JDK
whose files all live under the JDK's own directory: Debian's OpenJDK links its configuration to
/etc, which DMOJ's compile sandbox refuses, so Java is graded with the first self-contained JDK
found (a JVM unlike CodeArena's; the JSON names it) or left out with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from codearena.engine.problem import Problem

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv-dmoj" / "bin" / "python"
DRIVER = Path(__file__).with_name("dmoj_driver.py")
EXECUTORS = {"c": "C", "cpp": "CPP17", "python": "PY3", "java": "JAVA"}


def self_contained_jdk() -> Path | None:
    for home in sorted(Path("/usr/lib/jvm").glob("*")):
        security = home / "conf" / "security" / "java.security"
        if (home / "bin" / "javac").exists() and security.exists() and \
                Path(os.path.realpath(security)).is_relative_to(os.path.realpath(home)):
            return home
    return None


def write_problem(problem: Problem, storage: Path, name: str) -> None:
    """DMOJ's layout: a directory per problem with init.yml naming each test's input and output."""
    directory = storage / name
    directory.mkdir(parents=True)
    lines = ["test_cases:"]
    for number, test in enumerate(problem.tests, start=1):
        for suffix, data in (("in", test.input), ("out", test.expected)):
            target = directory / f"{number}.{suffix}"
            shutil.copyfile(data, target) if isinstance(data, Path) else target.write_bytes(data)
        lines.append(f"- {{in: {number}.in, out: {number}.out, points: 1}}")
    (directory / "init.yml").write_text("\n".join(lines) + "\n")


class Dmoj:
    """One DMOJ judge process for the benchmark's lifetime; `judge()` grades one submission."""

    def __init__(self, workdir: Path, problems: dict[str, Problem]):
        if not PYTHON.exists():
            raise RuntimeError(f"DMOJ is not installed at {PYTHON.parent.parent}: run scripts/install-dmoj.sh")
        storage = workdir / "dmoj-problems"
        for name, problem in problems.items():
            write_problem(problem, storage, name)
        self.limits = {name: problem.limits for name, problem in problems.items()}
        self.jdk = self_contained_jdk()
        runtime = {"gcc": "/usr/bin/gcc", "g++17": "/usr/bin/g++", "python3": "/usr/bin/python3"}
        if self.jdk:
            runtime |= {"java": str(self.jdk / "bin" / "java"), "javac": str(self.jdk / "bin" / "javac"),
                        "java_mode": "server"}
        config = workdir / "judge.yml"
        config.write_text(json.dumps({"problem_storage_globs": [f"{storage}/*"], "runtime": runtime}))  # YAML ⊇ JSON
        wanted = [executor for language, executor in EXECUTORS.items() if language != "java" or self.jdk]
        self.process = subprocess.Popen([str(PYTHON), str(DRIVER), str(config), *wanted], cwd=workdir,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = set(self._answer()["ready"])
        self.languages = {language for language, executor in EXECUTORS.items() if executor in ready}
        self.missing = {language: "no executor in DMOJ 4.1" if language not in EXECUTORS
                        else "no self-contained JDK" if language == "java" and not self.jdk
                        else "DMOJ's self-test failed"
                        for language in ("python", "javascript", "c", "cpp", "java") if language not in self.languages}

    def _answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the DMOJ driver exited ({self.process.wait()})")
        return json.loads(line)

    def judge(self, problem: str, language: str, source: str) -> list[str]:
        limits = self.limits[problem]
        request = {"problem": problem, "language": EXECUTORS[language], "source": source,
                   "time_limit": limits.cpu_time, "memory_kb": limits.memory_mb * 1024}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self._answer()
        if answer["compile_error"]:
            raise AssertionError(f"DMOJ: compile error in {language}: {answer['compile_error']}")
        return answer["verdicts"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)

    def __enter__(self) -> "Dmoj":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
