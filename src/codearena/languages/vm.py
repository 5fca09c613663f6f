"""Languages on a virtual machine (the JVM, Mono, the BEAM): they need room for the VM itself
above the program's own limits, which each entry states (docs/languages.md lists them)."""

from __future__ import annotations

import re

from .spec import Language

_JAVA_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_JAVA_STRINGS = re.compile(r'"(?:\\.|[^"\\\n])*"')
_JAVA_PUBLIC_CLASS = re.compile(r"\bpublic\s+(?:(?:final|abstract|strictfp)\s+)*class\s+([A-Za-z_$][\w$]*)")
_JAVA_CLASS = re.compile(r"\bclass\s+([A-Za-z_$][\w$]*)")
_SCALA_OBJECT = re.compile(r"\bobject\s+([A-Za-z_$][\w$]*)")


def _java_code(source: str) -> str:
    return _JAVA_STRINGS.sub('""', _JAVA_COMMENTS.sub(" ", source))


def java_main_class(source: str) -> str:
    """The class to run: the one declaring `static void main` (the nearest class before it),
    else the public class, else Main."""
    code = _java_code(source)
    main_at = code.find("static void main")
    if main_at >= 0:
        before = list(_JAVA_CLASS.finditer(code, 0, main_at))
        if before:
            return before[-1].group(1)
    return java_file_class(source)


def java_file_class(source: str) -> str:
    """javac wants a public class in a file of the same name; accept any name, default Main.
    Without a public class any file name compiles: the class to run names it."""
    code = _java_code(source)
    match = _JAVA_PUBLIC_CLASS.search(code)
    if match:
        return match.group(1)
    main_at = code.find("static void main")
    before = list(_JAVA_CLASS.finditer(code, 0, main_at if main_at >= 0 else len(code)))
    return before[-1].group(1) if before else "Main"


def scala_main_object(source: str) -> str:
    """The object declaring `def main` (the nearest object before it), else Main."""
    code = _java_code(source)
    main_at = code.find("def main")
    before = list(_SCALA_OBJECT.finditer(code, 0, main_at if main_at >= 0 else len(code)))
    return before[-1].group(1) if before else "Main"


_JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xshare:auto")
# For the compilers that start through their own scripts (kotlinc, scalac): the same JVM, quiet
# about the flags those scripts add.
_COMPILER_JAVA_OPTS = " ".join((*_JVM_FLAGS, "-Xmx768m", "-Xss8m", "-XX:-PrintWarnings"))
_JVM_RUN = ("java", *_JVM_FLAGS, "-Xmx{memory_mb}m", "-Xss64m")
# What every JVM language needs above the program's own limits, and how its failures read.
_JVM_RUNTIME = {
    "extra_binds": ("/etc/java-*",),  # the JDK's conf/ files are symlinks into /etc/java-N-openjdk
    "memory_overhead_mb": 128,
    "extra_processes": 48,
    "address_space_fallback": False,
    "memory_error_markers": ("java.lang.OutOfMemoryError",),
    "crash_markers": ('Exception in thread "',),
    "compile_memory_mb": 1024,
}

# What javac's class-data archive is made from (class_data.py): the constructs students' programs
# use, so that the compiler classes they need are the ones shared; a raw type makes javac print a
# note, which loads its diagnostics too.
_JAVA_TRAINING = """import java.io.*;
import java.util.*;
import java.util.function.*;
import java.util.stream.*;

public class Main {
  enum Colour { RED, GREEN }
  record Point(int x, long y) implements Comparable<Point> {
    public int compareTo(Point o) { return Long.compare(x + y, o.x + o.y); }
  }
  interface Shape { double area(); default String describe() { return "area " + area(); } }
  static abstract class Base<T extends Comparable<T>> { abstract T pick(List<? extends T> items); }
  static class Largest<T extends Comparable<T>> extends Base<T> {
    T pick(List<? extends T> items) { return Collections.max(items); }
  }
  static int sum(int... values) { int total = 0; for (int v : values) total += v; return total; }
  static <K, V extends Comparable<V>> Map<K, V> best(Map<K, V> map) { return new TreeMap<>(map); }

  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    StringBuilder out = new StringBuilder();
    String line;
    List<Point> points = new ArrayList<>();
    while ((line = in.readLine()) != null && !line.isEmpty()) {
      StringTokenizer st = new StringTokenizer(line);
      points.add(new Point(Integer.parseInt(st.nextToken()), Long.parseLong(st.nextToken())));
    }
    Map<Integer, List<Point>> byX = points.stream().filter(p -> p.y() > 0)
        .collect(Collectors.groupingBy(Point::x, TreeMap::new, Collectors.toList()));
    Function<Integer, Integer> twice = v -> v * 2;
    BiFunction<Integer, Integer, Integer> add = Integer::sum;
    Supplier<Deque<Integer>> deques = ArrayDeque::new;
    Deque<Integer> deque = deques.get();
    PriorityQueue<int[]> heap = new PriorityQueue<>((a, b) -> a[0] != b[0] ? a[0] - b[0] : b[1] - a[1]);
    int[][] grid = new int[3][4];
    long[] prefix = new long[points.size() + 1];
    for (int i = 0; i < points.size(); i++) prefix[i + 1] = prefix[i] + points.get(i).y();
    Arrays.sort(grid, Comparator.comparingInt(row -> row[0]));
    Shape circle = () -> Math.PI;
    Shape square = new Shape() { public double area() { return 1.0; } };
    Colour colour = points.isEmpty() ? Colour.RED : Colour.GREEN;
    String name = switch (colour) { case RED -> "red"; case GREEN -> { yield "green"; } };
    Object any = points.isEmpty() ? "none" : points.get(0);
    if (any instanceof Point p && p.x() > 0) out.append(p).append('\\n');
    List raw = new ArrayList(); raw.add(name);
    try (StringWriter writer = new StringWriter()) { writer.write(circle.describe()); out.append(writer); }
    catch (IOException | RuntimeException e) { throw new UncheckedIOException(new IOException(e)); }
    deque.push(twice.apply(add.apply(sum(1, 2, 3), heap.size())));
    out.append(String.format("%d %s %.2f %s%n", deque.peek(), byX, square.area(), best(Map.of("a", 1))));
    out.append(new Largest<Integer>().pick(List.of(3, 1, 2))).append(raw).append(Arrays.toString(prefix));
    System.out.print(out);
  }
}
"""

JAVA = Language(
    id="java",
    label="Java",
    implementation="OpenJDK",
    aliases=("java17", "jdk"),
    extensions=(".java",),
    source_file="Main.java",
    entry_point=java_main_class,
    file_stem=java_file_class,
    # -proc:none: no annotation processors (they are code that javac would run).
    compile=("javac", *(f"-J{f}" for f in _JVM_FLAGS), "-J-Xmx512m", "-proc:none", "-encoding", "UTF-8",
             "-d", ".", "{options}", "{source}"),
    compiler_jvm_option_prefix="-J",
    class_data_training=_JAVA_TRAINING,
    run=(*_JVM_RUN, "-cp", ".", "{main}"),
    version_command=("javac", "-version"),
    **_JVM_RUNTIME,
    self_test="import java.util.Scanner;\npublic class Hello {\n  public static void main(String[] a) {\n"
    "    System.out.println(\"hello \" + new Scanner(System.in).next());\n  }\n}\n",
    packages=("default-jdk-headless",),
    judge0_ids=(62,),
)

# -include-runtime: the jar carries Kotlin's standard library and names its main class.
KOTLIN = Language(
    id="kotlin",
    label="Kotlin",
    aliases=("kt", "kotlinc"),
    extensions=(".kt",),
    source_file="main.kt",
    compile=("kotlinc", "{options}", "{source}", "-include-runtime", "-nowarn", "-d", "main.jar"),
    run=(*_JVM_RUN, "-jar", "main.jar"),
    version_command=("kotlinc", "-version"),
    env={"JAVA_OPTS": _COMPILER_JAVA_OPTS},
    compiler_jvm_options_env="JAVA_OPTS",
    **_JVM_RUNTIME,
    self_test="fun main() {\n    println(\"hello \" + readLine()!!.trim())\n}\n",
    packages=("kotlin",),
    judge0_ids=(78,),
)

_SCALA_LIBRARY = "/usr/share/scala-2.11/lib/scala-library.jar"
SCALA = Language(
    id="scala",
    label="Scala",
    aliases=("scalac",),
    extensions=(".scala",),
    source_file="main.scala",
    entry_point=scala_main_object,
    compile=("scalac", "-nowarn", "-d", ".", "{options}", "{source}"),
    run=(*_JVM_RUN, "-cp", f".:{_SCALA_LIBRARY}", "{main}"),
    version_command=("scalac", "-version"),
    env={"JAVA_OPTS": _COMPILER_JAVA_OPTS},
    compiler_jvm_options_env="JAVA_OPTS",
    **_JVM_RUNTIME,
    self_test="object Main {\n  def main(args: Array[String]): Unit =\n"
    "    println(\"hello \" + scala.io.StdIn.readLine().trim)\n}\n",
    packages=("scala",),
    judge0_ids=(81,),
)

CSHARP = Language(
    id="csharp",
    label="C#",
    implementation="Mono",
    aliases=("cs", "c#", "mono", "mcs"),
    extensions=(".cs",),
    source_file="main.cs",
    compile=("mcs", "-optimize+", "-nologo", "-out:main.exe", "{options}", "{source}"),
    run=("mono", "main.exe"),
    version_command=("mono", "--version"),
    extra_binds=("/etc/mono",),  # the runtime's configuration (library maps)
    env={"MONO_GC_PARAMS": "max-heap-size={memory_mb}m"},
    memory_overhead_mb=64,
    extra_processes=16,
    address_space_fallback=False,
    memory_error_markers=("System.OutOfMemoryException",),
    crash_markers=("Unhandled Exception:",),
    self_test="using System;\nclass Program {\n  static void Main() {\n"
    "    Console.WriteLine(\"hello \" + Console.ReadLine().Trim());\n  }\n}\n",
    packages=("mono-mcs", "mono-runtime"),
    judge0_ids=(51,),
)

# The BEAM starts a scheduler thread per core, and more for I/O: one of each is enough here.
_BEAM_ENV = {"ERL_FLAGS": "+S 1:1 +SDcpu 1:1 +SDio 1 +A 1"}

ELIXIR = Language(
    id="elixir",
    label="Elixir",
    aliases=("ex", "exs"),
    extensions=(".exs", ".ex"),
    source_file="main.exs",
    run=("elixir", "{source}"),
    version_command=("elixir", "--short-version"),
    env=_BEAM_ENV,
    memory_overhead_mb=64,
    extra_processes=32,
    address_space_fallback=False,
    memory_error_markers=("eheap_alloc: Cannot allocate",),
    self_test="IO.puts(\"hello \" <> String.trim(IO.gets(\"\")))\n",
    packages=("elixir",),
    judge0_ids=(57,),
)

ERLANG = Language(
    id="erlang",
    label="Erlang",
    aliases=("erl", "escript"),
    extensions=(".erl",),
    source_file="main.erl",
    run=("escript", "{source}"),  # as Judge0 runs it: the first line is skipped (#! or a comment)
    version_command=("erl", "-version"),
    env=_BEAM_ENV,
    memory_overhead_mb=64,
    extra_processes=32,
    address_space_fallback=False,
    memory_error_markers=("eheap_alloc: Cannot allocate",),
    self_test="%% escript skips the first line\nmain(_) ->\n    Line = io:get_line(\"\"),\n    io:format(\"hello ~s~n\", [string:trim(Line)]).\n",
    packages=("erlang-base",),
    judge0_ids=(58,),
)
