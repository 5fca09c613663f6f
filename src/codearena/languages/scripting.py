"""Interpreted languages: the source itself runs, after the interpreter's own syntax check
where it has one (a failure there is CE, with nothing of the program run)."""

from __future__ import annotations

from dataclasses import replace

from .spec import Language

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
PYTHON = Language(
    id="python",
    label="Python 3",
    implementation="CPython",
    aliases=("python3", "py", "cpython"),
    extensions=(".py",),
    source_file="main.py",
    run=("python3", "-B", "-E", "-s", "{source}"),
    check=("python3", "-I", "-S", "-c", _PYTHON_SYNTAX_CHECK, "{source}"),
    version_command=("python3", "--version"),
    env={"PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"},
    memory_error_markers=("MemoryError",),
    crash_markers=("Traceback (most recent call last):",),
    self_test="print('hello', input())\n",
    packages=("python3",),
    judge0_ids=(71,),
)

# PyPy, as a version of Python: CPython's entry with the other interpreter (its GC wants room).
PYPY = replace(
    PYTHON,
    id="pypy",
    implementation="PyPy",
    family="python",
    aliases=("pypy3",),
    extensions=(),  # a .py file is CPython's unless PyPy is asked for
    run=("pypy3", *PYTHON.run[1:]),
    check=("pypy3", "-S", "-c", _PYTHON_SYNTAX_CHECK, "{source}"),  # (PyPy has no -I)
    version_command=("pypy3", "--version"),
    memory_overhead_mb=64,
    packages=("pypy3",),
    judge0_ids=(),
)

JAVASCRIPT = Language(
    id="javascript",
    label="JavaScript",
    implementation="Node.js",
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
    packages=("nodejs",),
    judge0_ids=(63,),
)

# tsc from npm (scripts/install-languages.sh), with Node's types; a type error is a compile error.
TYPESCRIPT_HOME = "/usr/local/lib/codearena/typescript/node_modules"
_TSC = ("node", f"{TYPESCRIPT_HOME}/typescript/lib/tsc.js")
# The compiled main.js runs on Node as JavaScript does, with the same allowances.
TYPESCRIPT = replace(
    JAVASCRIPT,
    id="typescript",
    label="TypeScript",
    implementation="",
    aliases=("ts", "tsc"),
    extensions=(".ts",),
    source_file="main.ts",
    compile=(*_TSC, "--target", "es2022", "--module", "commonjs", "--types", "node",
             "--typeRoots", f"{TYPESCRIPT_HOME}/@types", "--skipLibCheck", "--pretty", "false", "--outDir", ".",
             "{options}", "{source}"),
    check=None,
    run=(*JAVASCRIPT.run[:-1], "main.js"),
    version_command=(*_TSC, "--version"),
    compile_memory_mb=1024,
    self_test="import * as fs from 'fs';\nconst s: string = fs.readFileSync(0, 'utf8').trim();\nconsole.log('hello ' + s);\n",
    judge0_ids=(74,),
)

RUBY = Language(
    id="ruby",
    label="Ruby",
    aliases=("rb",),
    extensions=(".rb",),
    source_file="main.rb",
    run=("ruby", "--disable-gems", "{source}"),
    check=("ruby", "--disable-gems", "-c", "{source}"),
    version_command=("ruby", "--version"),
    memory_error_markers=("NoMemoryError", "failed to allocate memory"),
    self_test="puts \"hello #{gets.strip}\"\n",
    packages=("ruby",),
    judge0_ids=(72,),
)

# -n: no php.ini (the host's is not shown anyway); the memory limit is the box's, not PHP's.
_PHP = ("php", "-n", "-d", "memory_limit=-1", "-d", "display_errors=stderr")
PHP = Language(
    id="php",
    label="PHP",
    extensions=(".php",),
    source_file="main.php",
    run=(*_PHP, "{source}"),
    check=(*_PHP, "-l", "{source}"),
    version_command=("php", "--version"),
    memory_error_markers=("Out of memory",),
    self_test="<?php\necho 'hello ' . trim(fgets(STDIN)) . \"\\n\";\n",
    packages=("php-cli",),
    judge0_ids=(68,),
)

PERL = Language(
    id="perl",
    label="Perl",
    aliases=("pl",),
    extensions=(".pl",),
    source_file="main.pl",
    run=("perl", "{source}"),
    check=("perl", "-c", "{source}"),  # BEGIN blocks run here too: in a box like the run's
    version_command=("perl", "-e", "print $^V"),
    memory_error_markers=("Out of memory",),
    self_test="my $s = <STDIN>;\nchomp $s;\nprint \"hello $s\\n\";\n",
    packages=("perl",),
    judge0_ids=(85,),
)

LUA = Language(
    id="lua",
    label="Lua",
    extensions=(".lua",),
    source_file="main.lua",
    run=("lua5.4", "{source}"),
    check=("luac5.4", "-p", "{source}"),
    version_command=("lua5.4", "-v"),
    memory_error_markers=("not enough memory",),
    self_test="print('hello ' .. io.read('l'))\n",
    packages=("lua5.4",),
    judge0_ids=(64,),
)

BASH = Language(
    id="bash",
    label="Bash",
    aliases=("sh", "shell"),
    extensions=(".sh", ".bash"),
    source_file="main.sh",
    run=("bash", "{source}"),
    check=("bash", "-n", "{source}"),
    version_command=("bash", "--version"),
    self_test="read -r name\necho \"hello $name\"\n",
    packages=("bash",),
    judge0_ids=(46,),
)

R = Language(
    id="r",
    label="R",
    aliases=("rscript",),
    extensions=(".r", ".R"),
    source_file="main.r",
    run=("Rscript", "--vanilla", "{source}"),
    check=("Rscript", "--vanilla", "-e", "invisible(parse(commandArgs(TRUE)[1]))", "{source}"),
    version_command=("Rscript", "--version"),
    extra_binds=("/etc/R",),  # R_HOME/etc's files are links into /etc/R
    memory_overhead_mb=32,
    min_open_files=256,
    memory_error_markers=("cannot allocate vector",),
    self_test="s <- readLines(file('stdin'), n = 1)\ncat('hello', s, '\\n', sep = c(' ', ''))\n",
    packages=("r-base-core",),
    judge0_ids=(80,),
)

# The script comes from the argument, so stdin stays the program's (readfile('/dev/stdin')).
SQLITE = Language(
    id="sqlite",
    label="SQL",
    implementation="SQLite",
    aliases=("sql", "sqlite3"),
    extensions=(".sql",),
    source_file="main.sql",
    run=("sqlite3", "-batch", "-bail", ":memory:", ".read {source}"),
    version_command=("sqlite3", "--version"),
    memory_error_markers=("out of memory",),
    self_test="SELECT 'hello ' || rtrim(readfile('/dev/stdin'), char(10));\n",
    packages=("sqlite3",),
    judge0_ids=(82,),
)

PROLOG = Language(
    id="prolog",
    label="Prolog",
    implementation="SWI-Prolog",
    aliases=("swipl", "swi-prolog"),
    extensions=(".pro", ".prolog"),  # .pl is Perl's
    source_file="main.pl",
    # A program runs its `:- initialization(main, main).`; without one, it halts after loading.
    run=("swipl", "--no-packs", "--on-error=status", "-g", "true", "-t", "halt", "{source}"),
    version_command=("swipl", "--version"),
    extra_processes=8,
    address_space_fallback=False,
    memory_error_markers=("resource_error",),
    self_test=":- initialization(main, main).\n"
    "main :- read_line_to_string(user_input, S), format(\"hello ~w~n\", [S]).\n",
    packages=("swi-prolog-nox",),
    judge0_ids=(69,),
)

COMMON_LISP = Language(
    id="lisp",
    label="Common Lisp",
    implementation="SBCL",
    aliases=("sbcl", "common-lisp", "cl"),
    extensions=(".lisp", ".cl"),
    source_file="main.lisp",
    run=("sbcl", "--dynamic-space-size", "{memory_mb}MB", "--script", "{source}"),
    version_command=("sbcl", "--version"),
    memory_overhead_mb=64,
    address_space_fallback=False,
    memory_error_markers=("Heap exhausted",),
    self_test="(format t \"hello ~a~%\" (read-line))\n",
    packages=("sbcl",),
    judge0_ids=(55,),
)
