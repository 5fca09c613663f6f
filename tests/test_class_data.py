"""The JVM compilers' class-data archives (languages/class_data.py): made once on the host,
mapped read-only by every compile box of the language, never changing what a compile answers,
never writable by a box, never used when its content is not what its name says, and never
waited for by a compile."""

from __future__ import annotations

import dataclasses
import os
import stat
import uuid
from pathlib import Path

import pytest

from codearena.engine.compile import compile_in_box, compile_limits
from codearena.languages import class_data, get_language, prepared, toolchain

from .support import box_mountinfo, box_writes, missing

# A class of each compiler's own, loaded by every compile.
COMPILER_CLASS = {"java": "com.sun.tools.javac.main.Main", "kotlin": "org.jetbrains.kotlin.preloading.Preloader",
                  "scala": "scala.tools.nsc.Main"}


def _installed(language_id: str):
    language = get_language(language_id)
    if not language.available():
        missing(f"{language.name} is not installed", "make setup")
    return language


@pytest.fixture(scope="module")
def java(sandbox):
    return _installed("java")


@pytest.fixture(scope="module")
def archive(java) -> Path:
    found = class_data.archive_for(java, wait=True)
    assert found is not None, "the class-data archive could not be made (see the log)"
    return found


def _compile(sandbox, language, source: str, with_archive: bool = True, jvm_options: tuple[str, ...] = ()):
    """The language's compile command in a box, with or without its archive; -> (run, the box's files)."""
    argv = language.template_argv(language.compile, source, language.compile_memory_mb)
    options = (class_data.in_box_options(language) if with_archive else []) + list(jvm_options)
    argv, env = class_data.with_jvm_options(language, argv, language.environment(language.compile_memory_mb), options)
    with sandbox.box(disk_mb=128) as box:
        box.write_file(language.source_name(source), source.encode())
        run = sandbox.run(box, argv, limits=compile_limits(language), env=env,
                          binds=toolchain.box_binds(language),
                          address_space_fallback=False)
        files = {path.name: path.read_bytes() for path in box.work.iterdir() if path.is_file()}
    return run, files


def test_the_archive_lies_in_the_state_directory_named_by_its_digest_readable_not_writable(archive, sandbox):
    assert archive.parent == sandbox.settings.state_dir / "class-data"
    assert archive.name.endswith(f"-{prepared.digest(archive)}.jsa")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o644 and archive.stat().st_uid == os.geteuid()
    assert not stat.S_IMODE(archive.parent.stat().st_mode) & 0o022  # nobody else adds or swaps files there


@pytest.mark.parametrize("language_id", sorted(COMPILER_CLASS))
def test_a_compile_in_a_box_maps_the_compilers_classes_from_the_archive(sandbox, language_id):
    language = _installed(language_id)
    assert class_data.archive_for(language, wait=True) is not None
    run, files = _compile(sandbox, language, language.self_test, jvm_options=("-Xlog:class+load:file=/box/loaded.txt",))
    assert run.ok, run.stdout + run.stderr
    assert f"{COMPILER_CLASS[language_id]} source: shared objects file (top)" in files["loaded.txt"].decode()
    # ... as the compile command CodeArena runs has it
    options = class_data.in_box_options(language)
    argv, env = class_data.compile_command(language, language.compile_argv(language.self_test, 512),
                                           language.environment(512))
    assert all(o in " ".join(argv) or o in " ".join(env.values()) for o in options)


@pytest.mark.parametrize("source", [
    "public class Main { void f() { int x = ; } }",  # a compile error
    "import java.util.*;\npublic class Main { public static void main(String[] a) { List l = new ArrayList();"
    " l.add(1); } }",  # a note (unchecked)
], ids=["error", "note"])
def test_the_archive_changes_nothing_a_compile_answers(sandbox, java, archive, source):
    with_archive, files_with = _compile(sandbox, java, source)
    plain, files_plain = _compile(sandbox, java, source, with_archive=False)
    assert (with_archive.exit_code, with_archive.stdout, with_archive.stderr) == (plain.exit_code, plain.stdout,
                                                                                 plain.stderr)
    assert files_with == files_plain  # the class files too, byte for byte
    assert b"Main.java" in with_archive.stdout + with_archive.stderr


def test_compile_in_box_reports_a_compile_error_as_before(sandbox, java, archive):
    source = "public class Main { void f() { int x = ; } }"
    with sandbox.box(disk_mb=128) as box:
        box.write_file("Main.java", source.encode())
        outcome = compile_in_box(sandbox, box, java, source)
    assert not outcome.ok and "illegal start of expression" in outcome.output
    assert outcome.failure.verdict.value == "CE"


def test_a_box_cannot_write_the_archive(sandbox, java, archive):
    assert not box_writes(sandbox, f"{class_data.IN_BOX_DIRECTORY}/{archive.name}", toolchain.box_binds(java))
    assert archive.name.endswith(f"-{prepared.digest(archive)}.jsa")


def test_a_box_shows_no_host_path_of_the_archive(sandbox, java, archive):
    """A bind mount's source path shows in /proc/self/mountinfo: boxes bind the archive from a
    tmpfs of its own, so the state directory's path never shows there (as for the init helper)."""
    mountinfo = box_mountinfo(sandbox, toolchain.box_binds(java))
    assert f"{class_data.IN_BOX_DIRECTORY}/{archive.name}" in mountinfo
    assert str(sandbox.settings.state_dir) not in mountinfo, mountinfo
    line = next(line for line in mountinfo.splitlines() if class_data.IN_BOX_DIRECTORY in line)
    assert line.split()[3] == f"/{archive.name}" and " - tmpfs " in line, line


def test_an_archive_whose_content_is_not_its_name_is_removed_and_never_used(tmp_path, archive):
    stem = archive.name.rsplit("-", 1)[0]
    forged = tmp_path / archive.name
    forged.write_bytes(archive.read_bytes()[:100_000])  # truncated: the JVM would crash on it
    assert class_data.ARCHIVES.verified(tmp_path, stem) is None
    assert not forged.exists()
    whole = tmp_path / archive.name
    whole.write_bytes(archive.read_bytes())
    assert class_data.ARCHIVES.verified(tmp_path, stem) == whole


def test_an_archive_checked_before_is_digested_again_once_it_changes(tmp_path, archive):
    """A check record spares each new process the digest of a file checked before, and only
    while the file is as it was: a write, even one that sets the time back, is digested again."""
    stem = archive.name.rsplit("-", 1)[0]
    copy = tmp_path / archive.name
    copy.write_bytes(archive.read_bytes())
    assert class_data.ARCHIVES.verified(tmp_path, stem) == copy
    record = tmp_path / f"{archive.name}.checked"
    assert record.is_file()
    assert class_data.ARCHIVES.verified(tmp_path, stem) == copy  # from the record
    before = copy.stat()
    with copy.open("r+b") as file:  # the same size, one byte different
        file.seek(4096)
        byte = file.read(1)
        file.seek(4096)
        file.write(bytes([byte[0] ^ 0xFF]))
    os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))  # the time set back: only ctime tells
    assert class_data.ARCHIVES.verified(tmp_path, stem) is None
    assert not copy.exists() and not record.exists()


def test_no_compile_waits_for_an_archive_being_made(java, sandbox):
    fresh = dataclasses.replace(java, id=f"java-fresh-{uuid.uuid4().hex[:8]}")  # an archive of its own to make
    assert class_data.archive_for(fresh) is None  # asked for: made in a thread of its own
    argv, _ = class_data.compile_command(fresh, fresh.compile_argv("public class Main {}", 512), {})
    assert not any("SharedArchiveFile" in part for part in argv)
    made = class_data.archive_for(fresh, wait=True)
    assert made is not None and made.name.startswith(f"{fresh.id}-")
    assert class_data.archive_for(fresh) == made
    made.unlink()
    class_data._lookup(fresh)[1].unlink()  # its copy that boxes bind (it holds memory)


def test_a_language_whose_archive_cannot_be_made_compiles_without_one(java, sandbox):
    broken = dataclasses.replace(java, id="java-no-archive", class_data_training="this is not Java")
    assert class_data.archive_for(broken, wait=True) is None
    argv, _ = class_data.compile_command(broken, broken.compile_argv("public class Main {}", 512), {})
    assert not any("SharedArchiveFile" in part for part in argv)
    assert toolchain.box_binds(broken) == toolchain.box_binds(java)  # java's archive, none of its own
