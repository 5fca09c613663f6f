"""Java compiles on distinct programs, interleaved: in a kept box as CodeArena compiles (javac with
its class-data archive, languages/class_data.py) against the same box without the archive (a
JVM loading all of javac's classes per compile), and outside the sandbox the same two beside a
warm compiler (one long-lived JVM compiling every source through javax.tools; not adopted: one
JVM would serve every user's compiles, while a new JVM per compile shares nothing but the
read-only archive). Then kotlinc and scalac in a kept box, with and without their archives
(fewer samples: about 2 s a compile)."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import tempfile
from pathlib import Path

from codearena.engine.compile import COMPILE_DISK_MB, compile_limits
from codearena.languages import class_data, get_language, toolchain
from codearena.languages.spec import resolve_executable
from codearena.languages.vm import _JVM_FLAGS
from codearena.sandbox import get_sandbox, keep_boxes

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
COLD, ARCHIVED, WARM = ("javac, a JVM per compile", "javac with the class-data archive",
                        "warm compiler, one JVM for every compile")
BOX_COLD, BOX_ARCHIVED = "in a kept box: javac without the archive (before)", "in a kept box: javac with the archive (now)"


def _kotlin(n: int) -> str:
    return f'fun main() {{\n    val n = {n}\n    println("hello " + (readLine() ?: "").trim() + n)\n}}\n'


def _scala(n: int) -> str:
    return f'object Main {{\n  def main(args: Array[String]): Unit =\n    println("hello " + {n})\n}}\n'


# name -> (language, a program no compile has seen, what its compile leaves)
OTHER_COMPILERS = {"kotlinc": (get_language("kotlin"), _kotlin, "main.jar"),
                   "scalac": (get_language("scala"), _scala, "Main.class")}


def _source(n: int) -> str:
    """A program no compile has seen (every student sends their own)."""
    return (f"import java.util.*;\npublic class Main {{\n  static final int N = {n};\n"
            "  public static void main(String[] a) {\n    Scanner in = new Scanner(System.in);\n"
            "    List<Integer> l = new ArrayList<>();\n    while (in.hasNextInt()) l.add(in.nextInt() + N);\n"
            "    System.out.println(l);\n  }\n}\n")


def run(quick: bool = False) -> dict:
    samples = 6 if quick else 20
    work = Path(tempfile.mkdtemp(prefix="codearena-bench-javac-"))
    javac, java = resolve_executable("javac"), resolve_executable("java")
    language = get_language("java")
    archive = class_data.archive_for(language, wait=True)
    if archive is None:
        raise RuntimeError("javac's class-data archive could not be made (see the log)")
    for other, *_ in OTHER_COMPILERS.values():
        if class_data.archive_for(other, wait=True) is None:
            raise RuntimeError(f"{other.id}'s class-data archive could not be made (see the log)")
    sandbox = get_sandbox()
    host_flags = [*(f"-J{flag}" for flag in _JVM_FLAGS), "-J-Xmx512m", "-proc:none", "-encoding", "UTF-8"]
    try:
        (work / "WarmJavac.java").write_text(WARM_COMPILER)
        subprocess.run([javac, "-d", str(work), str(work / "WarmJavac.java")], check=True)
        server = subprocess.Popen([java, *_JVM_FLAGS, "-Xmx512m", "-cp", str(work), "WarmJavac"], text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        numbers = itertools.count()

        def program() -> tuple[Path, Path]:
            n = next(numbers)
            directory = work / f"p{n}"
            directory.mkdir()
            source = directory / "Main.java"
            source.write_text(_source(n))
            return source, directory

        def host(*extra: str) -> None:
            source, out = program()
            subprocess.run([javac, *extra, *host_flags, "-d", str(out), str(source)], check=True)

        def warm() -> None:
            source, out = program()
            server.stdin.write(f"{source}\t{out}\n")
            server.stdin.flush()
            if server.stdout.readline().strip() != "0":
                raise RuntimeError("the warm compiler failed to compile a valid program")

        def in_box(compiled_language, source: str, artifact: str, with_archive: bool) -> None:
            """The language's compile command in a kept box, with or without its archive (the same
            binds either way: one started box serves both)."""
            argv = compiled_language.template_argv(compiled_language.compile, source, compiled_language.compile_memory_mb)
            options = class_data.in_box_options(compiled_language) if with_archive else []
            argv, env = class_data.with_jvm_options(compiled_language, argv, compiled_language.environment(
                compiled_language.compile_memory_mb), options)
            with sandbox.box(disk_mb=COMPILE_DISK_MB) as box:
                box.write_file(compiled_language.source_name(source), source.encode())
                compiled = sandbox.run(box, argv, limits=compile_limits(compiled_language), env=env,
                                       binds=toolchain.box_binds(compiled_language), address_space_fallback=False)
                if not compiled.ok or not (box.work / artifact).exists():
                    raise RuntimeError(f"{argv[0]} failed in the box: {(compiled.stdout + compiled.stderr)[-300:]!r}")

        def java_in_box(with_archive: bool) -> None:
            in_box(language, _source(next(numbers)), "Main.class", with_archive)

        try:
            with keep_boxes():
                timings = interleaved(samples, {
                    BOX_COLD: lambda: java_in_box(False), BOX_ARCHIVED: lambda: java_in_box(True),
                    COLD: host, ARCHIVED: lambda: host(*(f"-J{o}" for o in class_data.jvm_options(str(archive)))),
                    WARM: warm}, warmup=3)
                others = interleaved(3 if quick else 8, {
                    f"{name} in a kept box: {'with' if archived else 'without'} its archive":
                        (lambda name=name, archived=archived: in_box(OTHER_COMPILERS[name][0], OTHER_COMPILERS[name][1](
                            next(numbers)), OTHER_COMPILERS[name][2], archived))
                    for name in OTHER_COMPILERS for archived in (False, True)}, warmup=1)
        finally:
            server.stdin.close()
            server.wait(timeout=30)
        cases = summaries(timings)
        other_cases = summaries(others)
        ratio = lambda a, b: {"wall": cases[a]["median_ms"] / cases[b]["median_ms"],  # noqa: E731
                              "cpu": cases[a]["cpu_ms"] / cases[b]["cpu_ms"]}
        result = {"cases": cases, "samples": samples,
                  "archive_vs_none_in_box": ratio(BOX_ARCHIVED, BOX_COLD),
                  "archive_vs_none": ratio(ARCHIVED, COLD),
                  "warm_vs_cold": ratio(WARM, COLD),
                  "other_compilers": {"cases": other_cases, "archive_vs_none_in_box": {
                      name: {"wall": other_cases[f"{name} in a kept box: with its archive"]["median_ms"]
                             / other_cases[f"{name} in a kept box: without its archive"]["median_ms"],
                             "cpu": other_cases[f"{name} in a kept box: with its archive"]["cpu_ms"]
                             / other_cases[f"{name} in a kept box: without its archive"]["cpu_ms"]}
                      for name in OTHER_COMPILERS}},
                  "plot": str(plot_distributions("warm_javac", "Java compile: javac per compile, with its class-data "
                                                 "archive, and a warm compiler", timings))}
        write_json("warm_javac", result)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)
