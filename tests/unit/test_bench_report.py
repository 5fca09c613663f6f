"""docs/performance.md rewritten by a benchmark run (bench/report.py): the run's rows replace the
same measurements' rows, and what it did not measure, the notes above the table and the
sections written by hand stay where they were."""

from __future__ import annotations

from bench import report

MACHINE = {"cpus": 2, "platform": "Linux", "python": "3.11", "time": "2026-12-03T00:00:00Z"}
HEADERS = {"cases": {f"{header}: {kind}": {"median_ms": ms, "cpu_ms": ms, "peak_memory_mb": 50.0, "n": 20}
                     for header, base in (("iostream", 200.0),)
                     for kind, ms in (("precompiled (now)", base), ("read each compile (before)", base * 2))},
           "precompiled_vs_read": {"iostream": {"wall": 0.5, "cpu": 0.5}}}
EARLIER = """# Performance

Written by `make bench` on 2026-11-26T18:26:02Z (full run): old machine.

The `sandbox` row comes from session 9.

| area | what | medians | floor |
| --- | --- | --- | --- |
| sandbox | C hello, measured long ago | 1.0 ms | |
| c++ | a new program including <iostream> first, compiled in a kept box: the header precompiled (now) / read each compile (before); the compiler's peak memory | 999.0 ms / 999.0 ms; 1 / 1 MB | old |

## A session's findings
Measured by hand.

## Reading these figures
- old text
"""


def test_a_run_replaces_its_own_rows_and_keeps_the_rest(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text(EARLIER)
    report.write({"machine": MACHINE, "quick": False, "cpp_headers": HEADERS}, "make bench", doc)
    text = doc.read_text()
    assert "2026-12-03T00:00:00Z" in text and "(full run of cpp_headers)" in text and "old machine" not in text
    assert "The `sandbox` row comes from session 9." in text  # the notes above the table
    assert "| sandbox | C hello, measured long ago | 1.0 ms | |" in text  # not measured by this run
    rows = [line for line in text.splitlines() if line.startswith("| c++ |")]
    assert len(rows) == 1 and "200.0 ms (CPU 200.0) / 400.0 ms" in rows[0] and "999.0" not in text
    assert text.index("| sandbox |") < text.index("| c++ |")  # in its place
    assert "## A session's findings\nMeasured by hand." in text
    assert "- old text" not in text and text.count("## Reading these figures") == 1  # regenerated


def test_writing_twice_changes_nothing(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text(EARLIER)
    results = {"machine": MACHINE, "quick": False, "cpp_headers": HEADERS}
    report.write(results, "make bench", doc)
    once = doc.read_text()
    report.write(results, "make bench", doc)
    assert doc.read_text() == once


def test_a_first_run_writes_the_document_whole(tmp_path):
    doc = tmp_path / "performance.md"
    report.write({"machine": MACHINE, "quick": True, "cpp_headers": HEADERS}, "make bench-quick", doc)
    text = doc.read_text()
    assert text.startswith("# Performance\n") and report.TABLE_HEAD in text and "| c++ |" in text
