"""What a ready box (issue 16) can save: a C hello run in a fresh sandbox (Sandbox.run: a new
bwrap, namespaces, mounts, cgroup, uid drop, seccomp, teardown) against a fork and exec inside
one namespace that is already running (the same bwrap command line and codearena-init, started
once, whose program is a loop running the binary on each request), and the bare binary. The
persistent case has no per-run cgroup, rlimits or reset: it is the floor of the process part,
which a ready box would add those to."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path

from codearena.sandbox import Limits, get_sandbox
from codearena.sandbox import bwrap as bwrap_argv

from .common import interleaved, plot_distributions, summaries, write_json

HELLO_C = '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n'
BARE, FRESH, READY = "bare binary", "fresh sandbox per run (today)", "one running namespace, fork+exec per run"
SERVE = 'while read request; do ./hello >/dev/null; echo done; done'


def run(quick: bool = False) -> dict:
    samples = 30 if quick else 200
    sandbox = get_sandbox()
    work = Path(tempfile.mkdtemp(prefix="codearena-bench-ready-"))
    try:
        for name in ("work", "tmp", "shm"):
            (work / name).mkdir()
        binary = work / "work" / "hello"
        subprocess.run(["gcc", "-O2", "-o", str(binary), "-x", "c", "-"], input=HELLO_C.encode(), check=True)
        os.chmod(work, 0o755)
        for path in (work / "work", work / "tmp", work / "shm"):
            os.chmod(path, 0o777)
        def start_server() -> subprocess.Popen:
            status_r, status_w = os.pipe()
            command = bwrap_argv.build_argv(bwrap=sandbox.bwrap, box_root=work, init_helper=str(sandbox.helper.path),
                                            status_fd=status_w, seccomp=sandbox.helper.seccomp,
                                            argv=["/bin/sh", "-c", SERVE], env={}, binds=[])
            started = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                       pass_fds=(status_w,))
            os.close(status_w)
            os.close(status_r)
            return started

        def ask(running: subprocess.Popen) -> None:
            running.stdin.write("run\n")
            running.stdin.flush()
            if running.stdout.readline() != "done\n":
                raise RuntimeError("the running namespace stopped answering")

        def stop(running: subprocess.Popen) -> None:
            running.stdin.close()
            running.wait(timeout=30)

        server = start_server()

        def ready() -> None:
            ask(server)

        def fresh() -> None:
            with sandbox.box() as box:
                box.copy_in("hello", binary)
                result = sandbox.run(box, ["./hello"], limits=Limits())
            if not result.ok:
                raise RuntimeError(f"the sandboxed hello failed: {result}")

        def bare() -> None:
            subprocess.run([str(binary)], stdout=subprocess.DEVNULL, check=True)

        try:
            timings = interleaved(samples, {BARE: bare, FRESH: fresh, READY: ready})
        finally:
            stop(server)
        cases = summaries(timings)
        # The running namespace's processes are reaped only when it ends, so their CPU is read
        # then: a server of its own for `samples` runs, its start amortized over them.
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        alone = start_server()
        for _ in range(samples):
            ask(alone)
        stop(alone)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cases[READY]["cpu_ms"] = ((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)) / samples * 1000
        bare_ms = cases[BARE]["median_ms"]
        result = {"cases": cases, "samples": samples,
                  "over_bare_ms": {FRESH: cases[FRESH]["median_ms"] - bare_ms, READY: cases[READY]["median_ms"] - bare_ms},
                  "plot": str(plot_distributions("ready_box", "C hello: a fresh sandbox against a running namespace",
                                                 timings))}
        write_json("ready_box", result)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)
