"""C++'s precompiled headers (languages/headers.py): made once on the host, read by every C++
compile box whose compile could have made them, never changing what a compile answers (its
output and its binary byte for byte), ignored when the program's options or macros would make
the header mean something else, never writable by a box, and never waited for by a compile."""

from __future__ import annotations

import dataclasses
import os
import stat
import uuid

import pytest

from codearena.engine import Verdict, execute
from codearena.engine.compile import compile_in_box, compile_limits
from codearena.languages import LANGUAGES, class_data, get_language, headers, prepared, toolchain

from .support import box_mountinfo, box_writes, every_prepared_file_found, missing

CONTEST = "#include <bits/stdc++.h>\nusing namespace std;\nint main(){long a,b;cin>>a>>b;cout<<a+b<<endl;}\n"
PLAIN = "#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<std::endl;}\n"


@pytest.fixture(scope="module")
def cpp(sandbox):
    language = get_language("cpp")
    if not language.available():
        missing("g++ is not installed", "make setup")
    return language


@pytest.fixture(scope="module")
def made(cpp) -> dict:
    found = headers.precompiled(cpp, wait=True)
    assert set(found) == set(cpp.precompiled_headers), "a precompiled header could not be made (see the log)"
    return found


def _compile(sandbox, language, source: str, options: tuple[str, ...] = (), precompiled: bool = True):
    """The language's compile in a box, with or without its precompiled headers; -> (run, the binary)."""
    argv = language.compile_argv(source, language.compile_memory_mb, options)
    if precompiled:
        argv = headers.compile_command(language, argv)
    with sandbox.box(disk_mb=128) as box:
        box.write_file(language.source_name(source), source.encode())
        run = sandbox.run(box, argv, limits=compile_limits(language), env=language.environment(1024),
                          binds=toolchain.box_binds(language) if precompiled else language.binds())
        binary = (box.work / "main").read_bytes() if (box.work / "main").is_file() else None
    return run, binary


def test_each_lies_in_the_state_directory_named_by_its_digest_readable_not_writable(made, sandbox):
    for path in made.values():
        assert path.parent == sandbox.settings.state_dir / "headers"
        assert path.name.endswith(f"-{prepared.digest(path)}.gch")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644 and path.stat().st_uid == os.geteuid()
    assert not stat.S_IMODE(path.parent.stat().st_mode) & 0o022  # nobody else adds or swaps files there


@pytest.mark.parametrize("header, source", [("bits/stdc++.h", CONTEST), ("iostream", PLAIN)])
def test_a_compile_in_a_box_reads_the_header_precompiled(sandbox, cpp, made, header, source):
    with sandbox.box(disk_mb=128) as box:
        box.write_file(cpp.source_name(source), source.encode())
        outcome = compile_in_box(sandbox, box, cpp, source, ("-H",))  # -H: each header read, "!" if precompiled
    assert outcome.ok, outcome.output
    assert outcome.output.splitlines()[0] == f"! {headers.IN_BOX_DIRECTORY}/{header}.gch", outcome.output[:300]


@pytest.mark.parametrize("source", [CONTEST, PLAIN, "#include <iostream>\nint main() { int x = ; }\n",
                                    "#include <bits/stdc++.h>\nint main() { std::vector<int> v; v.push(1); }\n"],
                         ids=["contest", "plain", "syntax error", "no such member"])
def test_the_headers_change_nothing_a_compile_answers(sandbox, cpp, made, source):
    with_headers, binary_with = _compile(sandbox, cpp, source)
    without, binary_without = _compile(sandbox, cpp, source, precompiled=False)
    assert (with_headers.exit_code, with_headers.stdout, with_headers.stderr) == (without.exit_code, without.stdout,
                                                                                 without.stderr)
    assert binary_with == binary_without  # byte for byte (None for both when the compile failed)


@pytest.mark.parametrize("options, source", [
    (("-std=c++20",), CONTEST),  # another standard: the header means something else
    (("-D_GLIBCXX_DEBUG",), CONTEST),  # a macro the header reads
    ((), "#define _GLIBCXX_DEBUG\n" + CONTEST),  # the same, defined in the source
], ids=["std", "option macro", "source macro"])
def test_a_compile_the_header_was_not_made_for_reads_the_header_itself(sandbox, cpp, made, options, source):
    with sandbox.box(disk_mb=128) as box:
        box.write_file(cpp.source_name(source), source.encode())
        outcome = compile_in_box(sandbox, box, cpp, source, (*options, "-H"))
    assert outcome.ok, outcome.output[-500:]
    lines = outcome.output.splitlines()
    assert lines[0] == f"x {headers.IN_BOX_DIRECTORY}/bits/stdc++.h.gch", lines[:3]  # found, not valid here
    assert lines[1].startswith(". /usr/include/") and lines[1].endswith("bits/stdc++.h"), lines[:3]


def test_programs_including_them_are_judged_as_always(sandbox, cpp, made):
    for source in (CONTEST, PLAIN):
        result = execute(source.replace("main()", f"main(/* {uuid.uuid4().hex} */)"), "cpp", "2 40\n", sandbox=sandbox)
        assert result.verdict == Verdict.AC and result.stdout == "42\n", result


def test_a_box_cannot_write_a_precompiled_header(sandbox, cpp, made):
    assert not box_writes(sandbox, f"{headers.IN_BOX_DIRECTORY}/iostream.gch", toolchain.box_binds(cpp))
    assert made["iostream"].name.endswith(f"-{prepared.digest(made['iostream'])}.gch")


def test_a_box_shows_no_host_path_of_them(sandbox, cpp, made):
    mountinfo = box_mountinfo(sandbox, toolchain.box_binds(cpp))
    assert str(sandbox.settings.state_dir) not in mountinfo, mountinfo
    for header, path in made.items():
        line = next(line for line in mountinfo.splitlines() if f"{headers.IN_BOX_DIRECTORY}/{header}.gch" in line)
        assert line.split()[3] == f"/{path.name}" and " - tmpfs " in line, line


def test_what_one_is_valid_for_names_the_compile_options(cpp):
    other = dataclasses.replace(cpp, compile=tuple("-std=c++20" if part == "-std=c++17" else part for part in cpp.compile))
    assert headers.header_options(cpp) == ["-O2", "-std=c++17", "-pipe"]
    assert headers._identity(other, "iostream") != headers._identity(cpp, "iostream")
    assert headers._identity(cpp, "iostream") == headers._identity(cpp, "iostream")


def test_no_compile_waits_for_a_header_being_made(cpp, sandbox):
    fresh = dataclasses.replace(cpp, id=f"cpp-fresh-{uuid.uuid4().hex[:8]}", precompiled_headers=("cstdio",))
    assert headers.precompiled(fresh) == {}  # asked for: made in a thread of its own
    argv = fresh.compile_argv(PLAIN, 512)
    assert headers.compile_command(fresh, argv) == argv
    found = headers.precompiled(fresh, wait=True)
    assert list(found) == ["cstdio"] and found["cstdio"].name.startswith(f"{fresh.id}-cstdio-")
    assert headers.compile_command(fresh, argv)[:3] == [argv[0], "-I", headers.IN_BOX_DIRECTORY]
    found["cstdio"].unlink()
    headers._lookup(fresh, "cstdio")[1].unlink()  # its copy that boxes bind (it holds memory)


def test_a_make_killed_midway_leaves_nothing_once_the_next_make_ends(cpp, sandbox):
    """A process killed while making a header leaves its scratch directory (the half-made file,
    up to 100 MB): the next process to make that header removes it."""
    fresh = dataclasses.replace(cpp, id=f"cpp-killed-{uuid.uuid4().hex[:8]}", precompiled_headers=("cstdio",))
    directory = headers.PRECOMPILED.directory()
    stale = directory / f".{headers._file_name(fresh, 'cstdio')}-{headers._identity(fresh, 'cstdio')}.making-x1"
    stale.mkdir(parents=True)
    (stale / "include").mkdir()
    (stale / "include" / "cstdio.gch").write_bytes(b"half")
    found = headers.precompiled(fresh, wait=True)
    assert list(found) == ["cstdio"] and not stale.exists()
    assert not list(directory.glob(f".{fresh.id}-*"))  # and its own scratch is gone too
    found["cstdio"].unlink()
    headers._lookup(fresh, "cstdio")[1].unlink()


def test_a_header_that_cannot_be_precompiled_leaves_compiles_as_they_were(cpp, sandbox):
    broken = dataclasses.replace(cpp, id="cpp-no-header", precompiled_headers=("no/such/header",))
    assert headers.precompiled(broken, wait=True) == {}
    argv = broken.compile_argv(PLAIN, 512)
    assert headers.compile_command(broken, argv) == argv
    assert headers.binds(broken) == []


def test_every_box_shows_the_headers_so_that_languages_share_a_started_box(cpp, made):
    """One bind set for every language (the headers, Java's archive, the JDK's configuration):
    a slot serving them in turn keeps one started box (another bind set would start another)."""
    every_prepared_file_found()
    java = next(language for language in LANGUAGES if language.id == "java")
    sets = {tuple(toolchain.box_binds(language)) for language in LANGUAGES}  # installed here or not
    assert len(sets) == 1
    binds = sets.pop()
    targets = {bind.target for bind in binds}
    assert {f"{headers.IN_BOX_DIRECTORY}/{h}.gch" for h in made} <= targets
    assert not java.available() or any(t.startswith(class_data.IN_BOX_DIRECTORY) for t in targets)
    assert all(not bind.writable for bind in binds)
    assert len(targets) == len(binds)  # no path bound twice


def test_clang_reads_no_gcc_header(sandbox):
    clang = get_language("cpp-clang")
    assert clang.precompiled_headers == ()
    assert headers.binds(clang) == [] and headers.compile_command(clang, ["clang", "x.cpp"]) == ["clang", "x.cpp"]
