"""A C++ compiler's most included headers, precompiled (GCC's .gch files).

Most of a small C++ program's compile is the compiler reading the standard headers it
includes: `<bits/stdc++.h>` (every header at once, as contest programs start) takes g++ about
1.4 s here, `<iostream>` 0.3 s. GCC reads a header's precompiled form instead when it finds
`NAME.gch` in an include directory it searches before the header's own, and when the compile
could have made it: the same compiler, the same options that matter (-std, -O, -D...), no
macro defined differently before it, no C token before the #include. Otherwise it reads the
header as always, and no compile answers differently for it: the object code is the same byte
for byte (checked when each is made).

Each listed header (the language's `precompiled_headers`) is made once per toolchain on the
host from a one-line wrapper (`#include <NAME>`), with the options the language's compile
template passes before `-o`, and checked: a training compile must use it and answer as one
without it, binary included. Made, verified, named and shown as every prepared file is
(prepared.py): a box reads it, never writes it, and until it is there compiles go without.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from ..sandbox import Bind
from .prepared import Found, Prepared, file_identity, host_environment

if TYPE_CHECKING:
    from .spec import Language

IN_BOX_DIRECTORY = "/opt/codearena-headers"  # the include directory compiles search first
_BUILD_TIMEOUT = 120  # seconds, for each host compile that makes or checks one
# bits/stdc++.h's is about 100 MB, iostream's 23 MB (g++ 12, C++17, -O2).
PRECOMPILED = Prepared("headers", ".gch", shown_bytes=512 * 1024 * 1024)


def header_options(language: Language) -> list[str]:
    """The compile template's options before its `-o`: the ones a precompiled header must be
    made with to be usable by the language's compiles."""
    template = list(language.compile or ())
    return template[1:template.index("-o")]


def _compiler(language: Language) -> str:
    """The compile template's compiler, resolved on the host."""
    return language.template_argv(language.compile, "", 0)[0]


def _host_compile(language: Language, argv: list[str], work: Path) -> subprocess.CompletedProcess:
    """A compile on the host (trusted: our own wrapper and training program), in `work`."""
    return subprocess.run([_compiler(language), *argv], cwd=work, env=host_environment(work),
                          capture_output=True, timeout=_BUILD_TIMEOUT, check=False)


def _identity(language: Language, header: str) -> str:
    """What a precompiled header is valid for: the compiler (its driver and the compiler proper,
    which an upgrade replaces), the options, and every file the header includes."""
    compiler = _compiler(language)
    proper = subprocess.run([compiler, "-print-prog-name=cc1plus"], capture_output=True, text=True,
                            timeout=_BUILD_TIMEOUT, check=True).stdout.strip()
    listed = subprocess.run([compiler, *header_options(language), "-x", "c++", "-M", "-"],
                            input=f"#include <{header}>\n", capture_output=True, text=True,
                            timeout=_BUILD_TIMEOUT, check=True).stdout
    included = sorted({Path(part) for part in listed.replace("\\\n", " ").split()[1:] if part.startswith("/")})
    return file_identity([compiler, header, *header_options(language)],
                         [Path(compiler).resolve(), Path(proper).resolve(), *included])


def _make(language: Language, header: str, work: Path) -> Path:
    """The header precompiled in `work`, once a training compile used it and answered as one
    without it (its output and its binary byte for byte); -> the .gch file."""
    options = header_options(language)
    (work / "wrapper.h").write_text(f"#include <{header}>\n")
    made = work / "include" / f"{header}.gch"
    made.parent.mkdir(parents=True, exist_ok=True)
    done = _host_compile(language, [*options, "-x", "c++-header", "-o", str(made), "wrapper.h"], work)
    if done.returncode != 0 or not made.is_file():
        raise RuntimeError(f"precompiling {header} exited {done.returncode}: {(done.stdout + done.stderr)[-300:]!r}")
    (work / "training.cpp").write_text(f"#include <{header}>\nint main() {{ return 0; }}\n")
    plain = _host_compile(language, [*options, "-o", "plain", "training.cpp"], work)
    used = _host_compile(language, [*options, "-I", "include", "-H", "-o", "with", "training.cpp"], work)
    if f"! include/{header}.gch".encode() not in used.stderr:
        raise RuntimeError(f"a compile did not use the precompiled {header}: {used.stderr[:300]!r}")
    again = _host_compile(language, [*options, "-I", "include", "-o", "with", "training.cpp"], work)
    if (again.returncode, again.stdout, again.stderr) != (plain.returncode, plain.stdout, plain.stderr) \
            or (work / "with").read_bytes() != (work / "plain").read_bytes():
        raise RuntimeError(f"a compile with the precompiled {header} answered differently")
    return made


def _file_name(language: Language, header: str) -> str:
    return f"{language.id}-{header.replace('/', '-')}"


def _lookup(language: Language, header: str, wait: bool = False) -> Found | None:
    return PRECOMPILED.get(_file_name(language, header), lambda: _identity(language, header),
                           lambda work: _make(language, header, work), wait)


def precompiled(language: Language, wait: bool = False) -> dict[str, Path]:
    """The language's precompiled headers on the host, by header name: those there (all made
    once per process, in threads of their own; unless `wait`, none is waited for)."""
    found = {header: _lookup(language, header, wait) for header in language.precompiled_headers}
    return {header: pair[0] for header, pair in found.items() if pair}


def binds(language: Language, look: bool = True) -> list[Bind]:
    """Each precompiled header there (from its copy on the tmpfs) where the compile's include
    directory has it, read-only; unless `look`, only those this process has found already."""
    found = {header: _lookup(language, header) if look else PRECOMPILED.found(_file_name(language, header))
             for header in language.precompiled_headers}
    return [Bind(str(pair[1]), f"{IN_BOX_DIRECTORY}/{header}.gch") for header, pair in found.items() if pair]


def compile_command(language: Language, argv: list[str]) -> list[str]:
    """A compile command that searches the precompiled headers first, once there is one."""
    if not binds(language):
        return argv
    return [argv[0], "-I", IN_BOX_DIRECTORY, *argv[1:]]
