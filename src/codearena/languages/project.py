"""A multi-file program (Judge0's language 89): the program is the job's files, built by their
own `compile` script (if they have one) and started by their `run` script, both run by Bash in
the program's box like any compiler and program. Every installed toolchain is in reach, so the
entry allows what the hungriest runtime needs (the JVM's memory and threads)."""

from __future__ import annotations

from . import native, scripting, vm
from .spec import Language

# Static scripts (no request data is ever part of them): the scripts' names are Judge0's.
_COMPILE = 'for script in compile.sh compile; do if [ -f "$script" ]; then exec bash "$script"; fi; done'
_RUN = ('for script in run.sh run; do if [ -f "$script" ]; then exec bash "$script" "$@"; fi; done; '
        'echo "the program has no run script (run or run.sh)" >&2; exit 127')

_ALL = (*vars(native).values(), *vars(scripting).values(), *vars(vm).values())
_BINDS = tuple(sorted({pattern for lang in _ALL if isinstance(lang, Language) for pattern in lang.extra_binds}))

MULTI_FILE = Language(
    id="multi-file",
    label="Multi-file program",
    aliases=("project", "multifile"),
    extensions=(),
    source_file="run",
    project=True,
    compile=("bash", "-c", _COMPILE),
    run=("bash", "-c", _RUN, "run"),
    version_command=("bash", "--version"),
    extra_binds=_BINDS,
    memory_overhead_mb=vm.JAVA.memory_overhead_mb,
    extra_processes=vm.JAVA.extra_processes,
    min_open_files=scripting.R.min_open_files,
    address_space_fallback=False,
    compile_memory_mb=1024,
    self_test='read -r name\necho "hello $name"\n',
    packages=("bash",),
    judge0_ids=(89,),
)
