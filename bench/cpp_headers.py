"""C++ compiles of distinct programs in a kept box, interleaved: with the precompiled headers (as
CodeArena compiles, languages/headers.py) against the same box reading the headers themselves
(before), for a contest program (`#include <bits/stdc++.h>`) and a plain one (`<iostream>`).
The same binds either way: one started box serves both. Each compile's CPU (every process),
wall time and the compiler's peak memory."""

from __future__ import annotations

import itertools
import statistics

from codearena.engine.compile import COMPILE_DISK_MB, compile_limits
from codearena.languages import get_language, headers, toolchain
from codearena.sandbox import get_sandbox, keep_boxes

from .common import interleaved, plot_distributions, summaries, write_json

PROGRAMS = {
    "bits/stdc++.h": "#include <bits/stdc++.h>\nusing namespace std;\nint main(){{long a,b;cin>>a>>b;"
                     "vector<long> v{{a,b}};cout<<accumulate(v.begin(),v.end(),{n}L)<<endl;}}\n",
    "iostream": "#include <iostream>\nint main(){{long a,b;std::cin>>a>>b;std::cout<<a+b+{n}<<std::endl;}}\n",
}


def _case(header: str, precompiled: bool) -> str:
    return f"{header}: {'precompiled (now)' if precompiled else 'read each compile (before)'}"


def run(quick: bool = False) -> dict:
    samples = 6 if quick else 20
    language = get_language("cpp")
    if set(headers.precompiled(language, wait=True)) != set(language.precompiled_headers):
        raise RuntimeError("C++'s precompiled headers could not be made (see the log)")
    sandbox = get_sandbox()
    numbers = itertools.count()
    memory: dict[str, list[int]] = {}

    def compile_once(header: str, precompiled: bool) -> None:
        source = PROGRAMS[header].format(n=next(numbers))  # a program no compile has seen
        argv = language.compile_argv(source, language.compile_memory_mb)
        if precompiled:
            argv = headers.compile_command(language, argv)
        with sandbox.box(disk_mb=COMPILE_DISK_MB) as box:
            box.write_file(language.source_name(source), source.encode())
            compiled = sandbox.run(box, argv, limits=compile_limits(language),
                                   env=language.environment(language.compile_memory_mb),
                                   binds=toolchain.box_binds(language))
            if not compiled.ok or not (box.work / "main").is_file():
                raise RuntimeError(f"g++ failed in the box: {(compiled.stdout + compiled.stderr)[-300:]!r}")
        memory.setdefault(_case(header, precompiled), []).append(compiled.memory_kb)

    with keep_boxes():
        timings = interleaved(samples, {_case(header, precompiled): (lambda h=header, p=precompiled: compile_once(h, p))
                                        for header in PROGRAMS for precompiled in (True, False)}, warmup=2)
    cases = summaries(timings)
    for name, values in memory.items():
        cases[name]["peak_memory_mb"] = statistics.median(values) / 1024
    ratios = {header: {"wall": cases[_case(header, True)]["median_ms"] / cases[_case(header, False)]["median_ms"],
                       "cpu": cases[_case(header, True)]["cpu_ms"] / cases[_case(header, False)]["cpu_ms"]}
              for header in PROGRAMS}
    result = {"cases": cases, "samples": samples, "precompiled_vs_read": ratios,
              "plot": str(plot_distributions("cpp_headers", "C++ compile of a new program in a kept box: "
                                                            "headers precompiled / read each compile", timings))}
    write_json("cpp_headers", result)
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
