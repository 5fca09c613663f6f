"""Sandbox overhead: a C hello-world binary, `python3 -c pass` and an empty Node.js script, bare
against sandboxed. Node runs with the JavaScript language's own flags, and again without
`--stack-size` (issue 20 asked what that flag costs per start); its CPU time is reported too.

"sandboxed" is Sandbox.run in a box made beforehand, one-shot (bwrap, namespaces, cgroup,
rlimits, uid drop, seccomp, teardown per run); "sandboxed+box" adds creating and destroying the
box (tmpfs mount, slot lock); "kept box" is how CodeArena runs them (direct mode's pool, a
worker's slots): a thread's box started once and reset between runs, the program copied in each
time (issue 16).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from codearena.languages import get_language, toolchain
from codearena.sandbox import Limits, get_sandbox

from .common import KeptThread, interleaved, plot_distributions, summaries, summary, write_json

HELLO_C = '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n'
FLOOR_MS = 10.0


def _bare(argv: list[str]) -> None:
    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)


def _node_argv(limits: Limits, stack_flag: bool) -> list[str]:
    argv = get_language("javascript").run_argv("main.js", limits.memory_mb)
    return argv if stack_flag else [part for part in argv if not part.startswith("--stack-size")]


def run(quick: bool = False) -> dict:
    sandbox = get_sandbox()
    limits = Limits()
    node_env = dict(get_language("javascript").env)
    node_cpu: dict[str, list[float]] = {"node: sandboxed": [], "node without --stack-size: sandboxed": []}
    samples = 30 if quick else 200
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp, "hello")
        subprocess.run(["gcc", "-O2", "-o", str(binary), "-x", "c", "-"], input=HELLO_C.encode(), check=True)
        with sandbox.box() as box:
            box.write_file("hello", binary.read_bytes(), mode=0o755)

            box.write_file("main.js", b"let s = 0;\n")

            def sandboxed(argv):
                result = sandbox.run(box, argv, limits=limits)
                assert result.ok, result

            def node_sandboxed(name: str, stack_flag: bool):
                def call():
                    result = sandbox.run(box, _node_argv(limits, stack_flag), limits=limits, env=node_env)
                    assert result.ok, result
                    node_cpu[name].append(result.cpu_time)
                return call

            def node_bare(stack_flag: bool):
                argv = _node_argv(limits, stack_flag)
                script = Path(tmp, "main.js")
                script.write_text("let s = 0;\n")
                return lambda: subprocess.run([*argv[:-1], str(script)], env={"PATH": "/usr/bin:/bin", **node_env},
                                              stdin=subprocess.DEVNULL, capture_output=True, check=True)

            def sandboxed_with_box():
                with sandbox.box() as fresh:
                    fresh.write_file("hello", binary_bytes, mode=0o755)
                    assert sandbox.run(fresh, ["./hello"], limits=limits).ok

            binary_bytes = binary.read_bytes()
            kept = KeptThread()

            def in_kept_box(argv: list[str]) -> None:
                def call():
                    with sandbox.box() as own:
                        own.write_file("hello", binary_bytes, mode=0o755)
                        assert sandbox.run(own, argv, limits=limits, binds=toolchain.box_binds(get_language("c"))).ok
                kept.call(call)  # (C's binds, as the engine runs C: the bind set a started box serves)
            timings = interleaved(samples, {
                "c hello: bare": lambda: _bare([str(binary)]),
                "c hello: sandboxed": lambda: sandboxed(["./hello"]),
                "c hello: sandboxed+box": sandboxed_with_box,
                "c hello: kept box": lambda: in_kept_box(["./hello"]),
                "python -c pass: kept box": lambda: in_kept_box(["/usr/bin/python3", "-c", "pass"]),
                "python -c pass: bare": lambda: _bare(["/usr/bin/python3", "-c", "pass"]),
                "python -c pass: sandboxed": lambda: sandboxed(["/usr/bin/python3", "-c", "pass"]),
                "node: bare": node_bare(True),
                "node without --stack-size: bare": node_bare(False),
                "node: sandboxed": node_sandboxed("node: sandboxed", True),
                "node without --stack-size: sandboxed": node_sandboxed("node without --stack-size: sandboxed", False),
            })
            kept.stop()
    stats = summaries(timings)
    node_cpu_ms = {name: summary(values)["median_ms"] for name, values in node_cpu.items()}
    overhead_c = stats["c hello: sandboxed"]["median_ms"] - stats["c hello: bare"]["median_ms"]
    overhead_py = stats["python -c pass: sandboxed"]["median_ms"] - stats["python -c pass: bare"]["median_ms"]
    data = {
        "benchmark": "sandbox_overhead",
        "compares": "the same process run bare (subprocess) and through the sandbox, interleaved",
        "protections": sandbox.protections(),
        "cases": stats,
        "overhead_ms": {"c_hello": overhead_c, "python_pass": overhead_py,
                        "c_hello_with_box": stats["c hello: sandboxed+box"]["median_ms"] - stats["c hello: bare"]["median_ms"],
                        "c_hello_kept_box": stats["c hello: kept box"]["median_ms"] - stats["c hello: bare"]["median_ms"],
                        "python_pass_kept_box": (stats["python -c pass: kept box"]["median_ms"]
                                                 - stats["python -c pass: bare"]["median_ms"])},
        "node_cpu_ms": node_cpu_ms,
        "node_stack_flag_ms": {"wall": stats["node: sandboxed"]["median_ms"]
                               - stats["node without --stack-size: sandboxed"]["median_ms"],
                               "cpu": node_cpu_ms["node: sandboxed"] - node_cpu_ms["node without --stack-size: sandboxed"]},
        "floor": {"c_hello_overhead_ms_max": FLOOR_MS, "met": overhead_c <= FLOOR_MS},
    }
    write_json("sandbox_overhead", data)
    plot_distributions("sandbox_overhead", "Sandbox overhead (lower is better)", timings)
    return data
