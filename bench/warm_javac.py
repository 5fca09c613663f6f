"""Java compiles: `javac` as a compile box runs it today (a JVM started per compile) against a
warm compiler (one long-lived JVM compiling every source through javax.tools), on distinct
programs, interleaved. Both run outside the sandbox, with the compile template's JVM flags: the
figure is the compiler's own cost, which is what a warm compiler inside a ready box would save
(issue 16; adopting one needs boxes that outlive a compile, which CodeArena does not have yet)."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import tempfile
from pathlib import Path

from codearena.languages.spec import resolve_executable
from codearena.languages.vm import _JVM_FLAGS

from .common import interleaved, plot_distributions, summaries, write_json

WARM_COMPILER = """import javax.tools.*;
import java.io.*;
public class WarmJavac {
  public static void main(String[] args) throws Exception {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    for (String line; (line = in.readLine()) != null; ) {
      String[] job = line.split("\\t");  // source, output directory
      int code = javac.run(null, null, null, "-proc:none", "-encoding", "UTF-8", "-d", job[1], job[0]);
      System.out.println(code);
      System.out.flush();
    }
  }
}
"""
COLD, WARM = "javac, a JVM per compile (today)", "warm compiler, one JVM for every compile"


def run(quick: bool = False) -> dict:
    samples = 6 if quick else 20
    work = Path(tempfile.mkdtemp(prefix="codearena-bench-javac-"))
    javac, java = resolve_executable("javac"), resolve_executable("java")
    try:
        (work / "WarmJavac.java").write_text(WARM_COMPILER)
        subprocess.run([javac, "-d", str(work), str(work / "WarmJavac.java")], check=True)
        server = subprocess.Popen([java, *_JVM_FLAGS, "-Xmx512m", "-cp", str(work), "WarmJavac"], text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        numbers = itertools.count()

        def program() -> tuple[Path, Path]:
            """A program no compile has seen (every student sends their own)."""
            n = next(numbers)
            directory = work / f"p{n}"
            directory.mkdir()
            source = directory / "Main.java"
            source.write_text(f"import java.util.*;\npublic class Main {{\n  static final int N = {n};\n"
                              "  public static void main(String[] a) {\n    Scanner in = new Scanner(System.in);\n"
                              "    List<Integer> l = new ArrayList<>();\n    while (in.hasNextInt()) l.add(in.nextInt() + N);\n"
                              "    System.out.println(l);\n  }\n}\n")
            return source, directory

        def cold() -> None:
            source, out = program()
            subprocess.run([javac, *(f"-J{flag}" for flag in _JVM_FLAGS), "-J-Xmx512m", "-proc:none", "-encoding",
                            "UTF-8", "-d", str(out), str(source)], check=True)

        def warm() -> None:
            source, out = program()
            server.stdin.write(f"{source}\t{out}\n")
            server.stdin.flush()
            if server.stdout.readline().strip() != "0":
                raise RuntimeError("the warm compiler failed to compile a valid program")

        try:
            timings = interleaved(samples, {COLD: cold, WARM: warm}, warmup=3)
        finally:
            server.stdin.close()
            server.wait(timeout=30)
        cases = summaries(timings)
        result = {"cases": cases, "samples": samples,
                  "warm_vs_cold": {"wall": cases[WARM]["median_ms"] / cases[COLD]["median_ms"],
                                   "cpu": cases[WARM]["cpu_ms"] / cases[COLD]["cpu_ms"]},
                  "plot": str(plot_distributions("warm_javac", "Java compile: cold javac vs a warm compiler", timings))}
        write_json("warm_javac", result)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)
