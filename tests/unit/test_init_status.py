"""codearena-init's status line (init.c report, report_end; parsed by sandbox/runner.py)."""

import pytest

from codearena.sandbox.runner import _parse_status


def test_a_kept_boxs_end_is_the_code_and_the_largest_resident_set():
    assert _parse_status(b"exit 3 1108\n") == (3, None, None, 1108, None, None)
    assert _parse_status(b"signal 9 2048\n")[:2] == (None, 9)


def test_a_one_shot_boxs_end_carries_inits_own_cpu_and_the_programs_wall():
    status = _parse_status(b"exit 0 1108 9500 23250\n")
    assert status.exit_code == 0 and status.max_rss_kb == 1108
    assert status.setup_cpu == pytest.approx(0.0095) and status.program_wall == pytest.approx(0.02325)


def test_a_program_that_could_not_start_is_noexec():
    assert _parse_status(b"noexec 2\n") == (127, None, 2, 0, None, None)


@pytest.mark.parametrize("raw", [b"", b"exit\n", b"exit 0 1 2\n", b"exit 0 1 2 3 4\n", b"exit -1 5\n", b"what 0\n"])
def test_anything_else_is_no_status(raw):
    assert _parse_status(raw) is None
