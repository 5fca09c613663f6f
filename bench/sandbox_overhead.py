"""Sandbox overhead: a C hello-world binary and `python3 -c pass`, bare against sandboxed.

"sandboxed" is Sandbox.run in a ready box (namespaces, cgroup, rlimits, uid drop, seccomp,
teardown); "sandboxed+box" adds creating and destroying the box (tmpfs mount, slot lock).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from codearena.sandbox import Limits, get_sandbox

from .common import interleaved, plot_distributions, summary, write_json

HELLO_C = '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n'
FLOOR_MS = 10.0


def _bare(argv: list[str]) -> None:
    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)


def run(quick: bool = False) -> dict:
    sandbox = get_sandbox()
    limits = Limits()
    samples = 30 if quick else 200
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp, "hello")
        subprocess.run(["gcc", "-O2", "-o", str(binary), "-x", "c", "-"], input=HELLO_C.encode(), check=True)
        with sandbox.box() as box:
            box.write_file("hello", binary.read_bytes(), mode=0o755)

            def sandboxed(argv):
                result = sandbox.run(box, argv, limits=limits)
                assert result.ok, result

            def sandboxed_with_box():
                with sandbox.box() as fresh:
                    fresh.write_file("hello", binary_bytes, mode=0o755)
                    assert sandbox.run(fresh, ["./hello"], limits=limits).ok

            binary_bytes = binary.read_bytes()
            timings = interleaved(samples, {
                "c hello: bare": lambda: _bare([str(binary)]),
                "c hello: sandboxed": lambda: sandboxed(["./hello"]),
                "c hello: sandboxed+box": sandboxed_with_box,
                "python -c pass: bare": lambda: _bare(["/usr/bin/python3", "-c", "pass"]),
                "python -c pass: sandboxed": lambda: sandboxed(["/usr/bin/python3", "-c", "pass"]),
            })
    stats = {name: summary(values) for name, values in timings.items()}
    overhead_c = stats["c hello: sandboxed"]["median_ms"] - stats["c hello: bare"]["median_ms"]
    overhead_py = stats["python -c pass: sandboxed"]["median_ms"] - stats["python -c pass: bare"]["median_ms"]
    data = {
        "benchmark": "sandbox_overhead",
        "compares": "the same process run bare (subprocess) and through the sandbox, interleaved",
        "protections": sandbox.protections(),
        "cases": stats,
        "overhead_ms": {"c_hello": overhead_c, "python_pass": overhead_py,
                        "c_hello_with_box": stats["c hello: sandboxed+box"]["median_ms"] - stats["c hello: bare"]["median_ms"]},
        "floor": {"c_hello_overhead_ms_max": FLOOR_MS, "met": overhead_c <= FLOOR_MS},
    }
    write_json("sandbox_overhead", data)
    plot_distributions("sandbox_overhead", "Sandbox overhead (lower is better)", timings)
    return data
