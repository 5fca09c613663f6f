"""The five languages. Adding a language is adding an entry here."""

from __future__ import annotations

import re

from .spec import Language

_JAVA_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_JAVA_STRINGS = re.compile(r'"(?:\\.|[^"\\\n])*"')
_JAVA_PUBLIC_CLASS = re.compile(r"\bpublic\s+(?:(?:final|abstract|strictfp)\s+)*class\s+([A-Za-z_$][\w$]*)")
_JAVA_CLASS = re.compile(r"\bclass\s+([A-Za-z_$][\w$]*)")


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


# The interpreter's own parser, in the box; prints the error exactly as `python3 main.py` would.
_PYTHON_SYNTAX_CHECK = (
    "import os, sys\n"
    "path = os.path.abspath(sys.argv[1])\n"
    "try:\n"
    "    compile(open(path, 'rb').read(), path, 'exec')\n"
    "except Exception as error:\n"
    "    import traceback\n"
    "    sys.stderr.write(''.join(traceback.format_exception_only(type(error), error)))\n"
    "    sys.exit(1)\n"
)

_JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xshare:auto")

PYTHON = Language(
    id="python",
    name="Python 3",
    aliases=("python3", "py"),
    extensions=(".py",),
    source_file="main.py",
    run=("python3", "-B", "-E", "-s", "{source}"),
    check=("python3", "-I", "-S", "-c", _PYTHON_SYNTAX_CHECK, "{source}"),
    version_command=("python3", "--version"),
    env={"PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"},
    memory_error_markers=("MemoryError",),
    crash_markers=("Traceback (most recent call last):",),
    self_test="print('hello', input())\n",
)

JAVASCRIPT = Language(
    id="javascript",
    name="JavaScript (Node.js)",
    aliases=("js", "node", "nodejs"),
    extensions=(".js", ".mjs"),
    source_file="main.js",
    run=("node", "--max-old-space-size={memory_mb}", "--v8-pool-size=1", "--stack-size=8192", "{source}"),
    check=("node", "--max-old-space-size={memory_mb}", "--v8-pool-size=1", "--check", "{source}"),
    version_command=("node", "--version"),
    env={"UV_THREADPOOL_SIZE": "1"},
    memory_overhead_mb=64,
    extra_processes=16,
    address_space_fallback=False,
    memory_error_markers=("JavaScript heap out of memory", "RangeError: Array buffer allocation failed"),
    crash_markers=("Uncaught", "\n    at "),
    self_test="const s = require('fs').readFileSync(0, 'utf8').trim();\nconsole.log('hello ' + s);\n",
)

C = Language(
    id="c",
    name="C (GCC)",
    aliases=("gcc", "c17"),
    extensions=(".c",),
    source_file="main.c",
    compile=("gcc", "-O2", "-std=gnu17", "-pipe", "-o", "main", "{source}", "-lm"),
    run=("./main",),
    version_command=("gcc", "-dumpfullversion"),
    self_test='#include <stdio.h>\nint main(void){char s[64];scanf("%63s",s);printf("hello %s\\n",s);return 0;}\n',
)

CPP = Language(
    id="cpp",
    name="C++17 (G++)",
    aliases=("c++", "g++", "cxx", "cc"),
    extensions=(".cpp", ".cc", ".cxx", ".c++"),
    source_file="main.cpp",
    compile=("g++", "-O2", "-std=c++17", "-pipe", "-o", "main", "{source}", "-lm"),
    run=("./main",),
    version_command=("g++", "-dumpfullversion"),
    compile_memory_mb=1024,
    self_test="#include <iostream>\n#include <string>\nint main(){std::string s;std::cin>>s;std::cout<<\"hello \"<<s<<\"\\n\";}\n",
)

JAVA = Language(
    id="java",
    name="Java (OpenJDK)",
    aliases=("java17", "jdk"),
    extensions=(".java",),
    source_file="Main.java",
    entry_point=java_main_class,
    file_stem=java_file_class,
    # -proc:none: no annotation processors (they are code that javac would run).
    compile=("javac", *(f"-J{f}" for f in _JVM_FLAGS), "-J-Xmx512m", "-proc:none", "-encoding", "UTF-8",
             "-d", ".", "{source}"),
    run=("java", *_JVM_FLAGS, "-Xmx{memory_mb}m", "-Xss64m", "-cp", ".", "{main}"),
    version_command=("javac", "-version"),
    extra_binds=("/etc/java-*",),  # the JDK's conf/ files are symlinks into /etc/java-N-openjdk
    memory_overhead_mb=128,
    extra_processes=48,
    address_space_fallback=False,
    memory_error_markers=("java.lang.OutOfMemoryError",),
    crash_markers=('Exception in thread "',),
    compile_memory_mb=1024,
    self_test="import java.util.Scanner;\npublic class Hello {\n  public static void main(String[] a) {\n"
    "    System.out.println(\"hello \" + new Scanner(System.in).next());\n  }\n}\n",
)

LANGUAGES: tuple[Language, ...] = (PYTHON, JAVASCRIPT, C, CPP, JAVA)
