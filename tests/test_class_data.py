"""javac's class-data archive (languages/class_data.py): made once on the host, mapped read-only
by every Java compile box, never changing what a compile answers, never writable by a box, and
never used when its content is not what its name says."""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import pytest

from codearena.engine.compile import compile_in_box, compile_limits
from codearena.languages import class_data, get_language
from codearena.sandbox import Limits

from .support import missing

@pytest.fixture(scope="module")
def java():
    language = get_language("java")
    if not language.available():
        missing("javac is not installed", "make setup")
    return language


@pytest.fixture(scope="module")
def archive(java, sandbox) -> Path:
    found = class_data.archive_for(java)
    assert found is not None, "the class-data archive could not be made (see the log)"
    return found


def _compile(sandbox, java, source: str, argv: list[str]):
    with sandbox.box(disk_mb=128) as box:
        box.write_file(java.source_name(source), source.encode())
        run = sandbox.run(box, argv, limits=compile_limits(java), binds=java.binds(), address_space_fallback=False)
        loaded = (box.work / "loaded.txt").read_text() if (box.work / "loaded.txt").exists() else ""
        files = sorted(path.name for path in box.work.iterdir())
    return run, loaded, files


def test_the_archive_lies_in_the_state_directory_named_by_its_digest_readable_not_writable(archive, sandbox):
    assert archive.parent == sandbox.settings.state_dir / "class-data"
    assert archive.name == f"{archive.name.rsplit('-', 1)[0]}-{class_data._digest(archive)}.jsa"
    mode = archive.stat().st_mode
    assert stat.S_IMODE(mode) == 0o644 and archive.stat().st_uid == os.geteuid()
    assert not stat.S_IMODE(archive.parent.stat().st_mode) & 0o022  # nobody else adds or swaps files there


def test_a_java_compile_in_a_box_maps_javacs_classes_from_the_archive(sandbox, java, archive):
    source = "public class Main { public static void main(String[] a) { System.out.println(1); } }"
    argv = java.compile_argv(source, java.compile_memory_mb)
    assert class_data.compile_arguments(java)[0] in argv
    run, loaded, files = _compile(sandbox, java, source, [argv[0], "-J-Xlog:class+load:file=/box/loaded.txt", *argv[1:]])
    assert run.ok, run.stderr
    assert "com.sun.tools.javac.main.Main source: shared objects file (top)" in loaded
    assert "Main.class" in files


@pytest.mark.parametrize("source", [
    "public class Main { void f() { int x = ; } }",  # a compile error
    "import java.util.*;\npublic class Main { public static void main(String[] a) { List l = new ArrayList();"
    " l.add(1); } }",  # a note (unchecked)
], ids=["error", "note"])
def test_the_archive_changes_nothing_a_compile_answers(sandbox, java, archive, source):
    argv = java.compile_argv(source, java.compile_memory_mb)
    without = [part for part in argv if part not in class_data.compile_arguments(java)]
    assert without != argv
    with_archive, _, files_with = _compile(sandbox, java, source, argv)
    plain, _, files_plain = _compile(sandbox, java, source, without)
    assert (with_archive.exit_code, with_archive.stdout, with_archive.stderr) == (plain.exit_code, plain.stdout,
                                                                                 plain.stderr)
    assert files_with == files_plain
    assert b"Main.java" in with_archive.stdout + with_archive.stderr


def test_compile_in_box_reports_a_compile_error_as_before(sandbox, java, archive):
    source = "public class Main { void f() { int x = ; } }"
    with sandbox.box(disk_mb=128) as box:
        box.write_file("Main.java", source.encode())
        outcome = compile_in_box(sandbox, box, java, source)
    assert not outcome.ok and "illegal start of expression" in outcome.output
    assert outcome.failure.verdict.value == "CE"


def test_a_box_cannot_write_the_archive(sandbox, java, archive):
    target = f"{class_data.IN_BOX_DIRECTORY}/{archive.name}"
    with sandbox.box() as box:
        run = sandbox.run(box, ["/bin/sh", "-c", f"cat /dev/null > {target} || echo refused; ls -l {target}"],
                          limits=Limits(), binds=java.binds())
    assert b"refused" in run.stdout, run.stdout + run.stderr
    assert class_data._digest(archive) in archive.name


def test_an_archive_whose_content_is_not_its_name_is_removed_and_never_used(tmp_path, archive):
    stem = archive.name.rsplit("-", 1)[0]
    forged = tmp_path / archive.name
    forged.write_bytes(archive.read_bytes()[:100_000])  # truncated: the JVM would crash on it
    assert class_data._verified(tmp_path, stem) is None
    assert not forged.exists()
    whole = tmp_path / archive.name
    whole.write_bytes(archive.read_bytes())
    assert class_data._verified(tmp_path, stem) == whole


def test_a_language_whose_archive_cannot_be_made_compiles_without_one(java, sandbox):
    broken = dataclasses.replace(java, id="java-no-archive", class_data_training="this is not Java")
    assert class_data.archive_for(broken) is None
    source = "public class Main {}"
    assert not any("SharedArchiveFile" in part for part in broken.compile_argv(source, 512))
    assert broken.binds() == [bind for bind in java.binds() if not bind.target.startswith(class_data.IN_BOX_DIRECTORY)]
