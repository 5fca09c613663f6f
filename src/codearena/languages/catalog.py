"""Every language CodeArena knows. Adding a language is adding an entry (to the module of its
kind) and its packages' line in scripts/install-languages.sh; `codearena doctor` self-tests it."""

from __future__ import annotations

from . import native, project, scripting, vm
from .spec import Language
from .vm import java_file_class, java_main_class, scala_main_object  # noqa: F401 (the catalog's helpers)

# Every CodeArena install runs these; the others are installed by `make system` or LANGUAGES=all.
CORE_IDS = ("python", "javascript", "c", "cpp", "java")

# Order is the language picker's: the core five first, then by kind.
LANGUAGES: tuple[Language, ...] = (
    scripting.PYTHON, scripting.JAVASCRIPT, native.C, native.CPP, vm.JAVA,
    scripting.PYPY, native.C_CLANG, native.CPP_CLANG,
    native.GO, native.RUST, vm.KOTLIN, vm.SCALA, vm.CSHARP, scripting.TYPESCRIPT,
    scripting.RUBY, scripting.PHP, scripting.PERL, scripting.LUA, scripting.BASH, scripting.R,
    scripting.SQLITE, native.HASKELL, native.OCAML, native.PASCAL, native.FORTRAN, native.D,
    native.COBOL, native.NASM, scripting.COMMON_LISP, scripting.PROLOG, vm.ELIXIR, vm.ERLANG,
    project.MULTI_FILE,
)
