"""The compile cache keeps a constant cost per run: its size is tracked (never walked), eviction
runs in the background down to a low-water mark, no lock file stays behind, and a program
that is neither compiled nor syntax-checked costs no entry at all."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from pathlib import Path

from codearena.engine import execute
from codearena.engine.cache import LOW_WATER, CompileCache
from codearena.languages import get_language
from codearena.sandbox import Limits


def builder(size: int):
    def build(staging: Path):
        (staging / "artifact").write_bytes(b"x" * size)
        return True, "", ["artifact"], None
    return build


def on_disk(cache: CompileCache) -> dict[str, int]:
    return {d.name: sum(f.stat().st_size for f in d.iterdir()) for d in cache.entries.iterdir()}


def wait_until(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_size_is_tracked_as_entries_come(tmp_path):
    cache = CompileCache(tmp_path / "cache")
    for i in range(20):
        cache.get_or_build(f"key{i}", builder(1000 + i))
    disk = on_disk(cache)
    assert len(disk) == cache.entry_count() == 20
    assert cache.size_bytes() == sum(disk.values())
    # A second cache object (another process on the machine) reads the same totals.
    assert CompileCache(tmp_path / "cache").size_bytes() == sum(disk.values())


def test_eviction_runs_in_the_background_down_to_the_low_water_mark_least_recent_first(tmp_path):
    cache = CompileCache(tmp_path / "cache", max_bytes=100_000)
    for i in range(9):
        cache.get_or_build(f"old{i}", builder(10_000))
    cache.index.touch("old0", time.time() + 3600)  # used most recently of all
    built = threading.Event()

    def build_last(staging: Path):
        built.set()
        return builder(10_000)(staging)

    entry = cache.get_or_build("new", build_last)  # 10 entries, ~100 KB + metadata: over the limit
    assert built.is_set() and entry.ok
    wait_until(lambda: cache.size_bytes() <= 100_000 * LOW_WATER)
    disk = on_disk(cache)
    assert cache.size_bytes() == sum(disk.values()) and cache.entry_count() == len(disk)
    assert "old0" in disk and "new" in disk  # the least recently used went first
    assert "old1" not in disk
    assert list(cache.trash.iterdir()) == []


def test_no_lock_file_is_left_behind_even_under_contention(tmp_path):
    cache = CompileCache(tmp_path / "cache")
    compilations = []

    def slow_build(staging: Path):
        compilations.append(1)
        time.sleep(0.05)  # holds the key's lock while the others queue on it
        return builder(10)(staging)

    threads = [threading.Thread(target=cache.get_or_build, args=(f"k{i % 3}", slow_build)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(compilations) == 3  # one per distinct key
    assert list(cache.locks.iterdir()) == [] and list(cache.staging.iterdir()) == []


def test_a_cache_made_before_the_index_is_counted_once(tmp_path):
    root = tmp_path / "cache"
    CompileCache(root).get_or_build("a", builder(500))
    (root / "index.sqlite").unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{root}/index.sqlite{suffix}").unlink(missing_ok=True)
    (root / "locks" / "leftover.lock").write_text("")
    reopened = CompileCache(root)
    assert reopened.entry_count() == 1 and reopened.size_bytes() == sum(on_disk(reopened).values())
    assert list(reopened.locks.iterdir()) == []


def test_only_what_is_compiled_or_checked_costs_an_entry(sandbox, tmp_path):
    for directory in (tmp_path, tmp_path.parent, tmp_path.parent.parent):
        directory.chmod(0o755)  # box uids reach cached artifacts through these
    cache = CompileCache(tmp_path / "cache")
    unchecked = dataclasses.replace(get_language("python"), check=None)  # an interpreter with no syntax check
    plain = execute("print(input())", unchecked, "hi", Limits(), sandbox=sandbox, cache=cache)
    assert plain.verdict.value == "AC" and plain.stdout == "hi\n"
    assert cache.entry_count() == 0 and os.listdir(cache.entries) == []
    checked = execute("print(input())", "python", "hi", Limits(), sandbox=sandbox, cache=cache)
    assert checked.stdout == "hi\n" and cache.entry_count() == 1  # its syntax check's outcome
    c = execute('#include <stdio.h>\nint main(){puts("c");}', "c", "", Limits(), sandbox=sandbox, cache=cache)
    assert c.stdout == "c\n" and cache.entry_count() == 2


def test_a_compiler_that_could_not_run_is_not_cached(sandbox, tmp_path):
    for directory in (tmp_path, tmp_path.parent, tmp_path.parent.parent):
        directory.chmod(0o755)
    cache = CompileCache(tmp_path / "cache")
    broken = dataclasses.replace(get_language("c"), compile=("/nonexistent/cc", "-o", "main", "{source}"))
    for _ in range(2):  # the system's failure, each time tried again: never an entry
        result = execute("int main(){}", broken, "", Limits(), sandbox=sandbox, cache=cache)
        assert result.verdict.value == "IE" and "compiler could not run" in result.message, result
    assert cache.stats.compilations == 2 and cache.entry_count() == 0 and os.listdir(cache.entries) == []


def test_a_changed_sandbox_compiles_again_instead_of_reusing_what_the_old_one_made(sandbox, tmp_path):
    from codearena.engine.compile import prepare
    from codearena.sandbox import Sandbox
    from codearena.sandbox.settings import sandbox_settings

    for directory in (tmp_path, tmp_path.parent, tmp_path.parent.parent):
        directory.chmod(0o755)
    cache = CompileCache(tmp_path / "cache")
    without_seccomp = Sandbox(sandbox_settings().model_copy(update={"seccomp": False}))
    assert without_seccomp.fingerprint != sandbox.fingerprint
    source = '#include <stdio.h>\nint main(){puts("fp");}'
    for each in (sandbox, without_seccomp, sandbox):
        assert prepare(each, get_language("c"), source, cache).ok
    assert cache.stats.compilations == 2 and cache.entry_count() == 2  # one per sandbox, the first reused
