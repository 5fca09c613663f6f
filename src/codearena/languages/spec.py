"""What CodeArena needs to know about a language: data, not code branches."""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

from ..sandbox import Bind

TOOLCHAIN_PATH = "/usr/local/bin:/usr/bin:/bin"
_VERSION_RE = re.compile(r"\d+(?:\.\d+)+")

OPTIONS_TOKEN = "{options}"
SELF_TEST_INPUT = "world\n"
SELF_TEST_OUTPUT = "hello world\n"


@dataclass(frozen=True)
class Language:
    """One language. Argv templates may use {source}, {main} (entry point) and {memory_mb}; a
    compile template's lone "{options}" part is where a job's compiler options go (as separate
    arguments, never a shell string), and only a language whose template has it takes them.

    Executables are named bare ("gcc") and resolved on the host to their real path, which must
    lie in a directory the sandbox shows (/usr).
    """

    id: str
    label: str  # the language, as users name it: "C++", "Python"
    extensions: tuple[str, ...]
    source_file: str  # default file name; `entry_point` may choose another from the source
    run: tuple[str, ...]
    version_command: tuple[str, ...]
    self_test: str  # reads "world" from stdin, prints "hello world"
    compile: tuple[str, ...] | None = None
    # An interpreted language's syntax check, run in a box before the program like a compile
    # that produces nothing: a failure is CE with the interpreter's own message.
    check: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = ()
    entry_point: Callable[[str], str] | None = None  # source -> entry name (Java's class with main)
    file_stem: Callable[[str], str] | None = None  # source -> source file's stem (Java's public class)
    extra_binds: tuple[str, ...] = ()  # host paths or globs shown read-only
    env: dict[str, str] = field(default_factory=dict)
    # Runtimes that reserve address space and keep their own heap need room above the
    # program's limit for the runtime itself, and more threads than a C program.
    memory_overhead_mb: int = 0
    extra_processes: int = 0
    min_open_files: int = 0  # R refuses to start below 128 descriptors
    address_space_fallback: bool = True  # False: never RLIMIT_AS (breaks the JVM and V8)
    memory_error_markers: tuple[str, ...] = ()  # stderr text meaning "ran out of memory"
    # stderr text of an uncaught exception: these runtimes then exit 1, which a custom checker
    # also uses for "wrong answer", so a crashing checker is recognised by this instead.
    crash_markers: tuple[str, ...] = ()
    compile_memory_mb: int = 512
    # The toolchain, where a language has more than one installed ("GCC", "Clang", "PyPy"): the
    # entries of one `family` are the versions a request chooses between; the entry whose id is
    # the family's is its default.
    implementation: str = ""
    family: str = ""  # default: the id
    packages: tuple[str, ...] = ()  # Debian packages that install it (scripts/install-languages.sh)
    judge0_ids: tuple[int, ...] = ()  # Judge0 CE's ids for this language, where it has them
    # A project (Judge0's "Multi-file program"): the program is the job's files, built by their
    # own `compile` script and started by their `run` script; a source, if any, is `run`.
    project: bool = False
    # A JVM compiler whose own classes are shared between compiles by an archive made from
    # `class_data_training` (or the self-test) on the host, once per toolchain (class_data.py). It
    # takes JVM options as arguments with `compiler_jvm_option_prefix` ("-J" for javac), or in the
    # environment variable `compiler_jvm_options_env` (JAVA_OPTS for the kotlinc and scalac scripts).
    compiler_jvm_option_prefix: str = ""
    compiler_jvm_options_env: str = ""
    class_data_training: str = ""
    # Headers its compiler reads precompiled (headers.py: GCC's .gch, made once per toolchain with
    # the options its compile template passes before -o): what most programs include first.
    precompiled_headers: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.label} ({self.implementation})" if self.implementation else self.label

    @property
    def family_id(self) -> str:
        return self.family or self.id

    @property
    def compiled(self) -> bool:
        return self.compile is not None

    def entry(self, source: str) -> str:
        return self.entry_point(source) if self.entry_point else Path(self.source_file).stem

    def source_name(self, source: str) -> str:
        stem = self.file_stem or self.entry_point
        return stem(source) + Path(self.source_file).suffix if stem else self.source_file

    def binds(self) -> list[Bind]:
        paths = [p for pattern in self.extra_binds for p in sorted(glob.glob(pattern))]
        return [Bind(p, p, optional=True) for p in paths]

    @property
    def takes_compiler_options(self) -> bool:
        return OPTIONS_TOKEN in (self.compile or ())

    def template_argv(self, template: tuple[str, ...], source: str, memory_mb: int,
                      options: tuple[str, ...] = ()) -> list[str]:
        """A template filled in for this source, its executable resolved on the host."""
        values = {"source": self.source_name(source), "main": self.entry(source), "memory_mb": memory_mb}
        argv: list[str] = []
        for part in template:
            argv.extend(options if part == OPTIONS_TOKEN else [part.format(**values)])
        argv[0] = resolve_executable(argv[0])
        return argv

    def compile_argv(self, source: str, memory_mb: int, options: tuple[str, ...] = ()) -> list[str]:
        assert self.compile is not None
        return self.template_argv(self.compile, source, memory_mb, options)

    def check_argv(self, source: str, memory_mb: int) -> list[str]:
        assert self.check is not None
        return self.template_argv(self.check, source, memory_mb)

    def run_argv(self, source: str, memory_mb: int) -> list[str]:
        return self.template_argv(self.run, source, memory_mb)

    def environment(self, memory_mb: int) -> dict[str, str]:
        """The entry's environment variables, {memory_mb} filled in (Mono's heap size)."""
        return {name: value.replace("{memory_mb}", str(memory_mb)) for name, value in self.env.items()}

    def available(self) -> bool:
        try:
            resolve_executable(self.version_command[0])
            return True
        except FileNotFoundError:
            return False

    def version(self) -> str:
        return probe_version(self.version_command)


def resolve_executable(name: str) -> str:
    """'gcc' -> '/usr/bin/x86_64-linux-gnu-gcc-12'; paths starting with . or / are kept."""
    if name.startswith(("/", ".")):
        return name
    return _resolve(name)


@lru_cache(maxsize=None)
def _resolve(name: str) -> str:
    found = shutil.which(name, path=TOOLCHAIN_PATH)
    if not found:
        raise FileNotFoundError(f"{name} is not installed (looked in {TOOLCHAIN_PATH})")
    return str(Path(found).resolve())


@lru_cache(maxsize=None)
def probe_version(command: tuple[str, ...]) -> str:
    """The toolchain's own answer to its version flag (trusted binary, run on the host)."""
    try:
        argv = [resolve_executable(command[0]), *command[1:]]
        out = subprocess.run(argv, capture_output=True, timeout=30, text=True)
    except (FileNotFoundError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"
    match = _VERSION_RE.search(out.stdout + out.stderr)
    return match.group(0) if match else "unknown"
