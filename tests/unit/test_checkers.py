"""The built-in checkers, edge cases included. Pure: no sandbox."""

import pytest

from codearena.engine.checkers import UnknownChecker, builtin_checker
from codearena.engine.verdicts import Verdict

AC, WA = Verdict.AC, Verdict.WA


def verdict(name, expected, output, **options):
    return builtin_checker(name, **options).check(b"", expected, output).verdict


@pytest.mark.parametrize("expected,output,want", [
    (b"1 2\n3\n", b"1 2\n3\n", AC),
    (b"1 2\n3\n", b"1   2 3", AC),  # any whitespace, missing final newline
    (b"1 2\n3\n", b"1 2\n3\n\n\n   \n", AC),  # trailing blank lines
    (b"1 2\n3\n", b"1 2\n4\n", WA),
    (b"1 2\n3\n", b"1 2\n", WA),
    (b"", b"", AC),
    (b"", b"\n\n", AC),
    (b"0\n", b"", WA),  # empty output
    (b"x" * 1_000_000 + b"\n", b"x" * 1_000_000, AC),  # very long line
    (b"x" * 1_000_000, b"x" * 999_999 + b"y", WA),
])
def test_standard(expected, output, want):
    assert verdict("standard", expected, output) == want


@pytest.mark.parametrize("expected,output,want", [
    (b"a\n", b"a\n", AC), (b"a\n", b"a", WA), (b"a\n", b"a \n", WA), (b"", b"", AC),
])
def test_exact(expected, output, want):
    assert verdict("exact", expected, output) == want


@pytest.mark.parametrize("expected,output,want", [
    (b"a b\nc\n", b"a b   \nc\t\n\n", AC),
    (b"a b\nc\n", b"a  b\nc\n", WA),  # inner whitespace matters
    (b"a\n\nb\n", b"a\nb\n", WA),  # blank lines inside matter
    (b"a\nb", b"a\nb\n", AC),  # final newline does not
])
def test_lines(expected, output, want):
    assert verdict("lines", expected, output) == want


@pytest.mark.parametrize("expected,output,want", [
    (b"1\n2\n3\n", b"3\n1\n2\n", AC), (b"1\n2\n2\n", b"2\n1\n1\n", WA), (b"1\n2\n", b"2 \n1", AC),
])
def test_unordered(expected, output, want):
    assert verdict("unordered", expected, output) == want


@pytest.mark.parametrize("expected,output,options,want", [
    (b"1.0\n", b"1.0000001\n", {}, AC),
    (b"1.0\n", b"1.00001\n", {}, WA),
    (b"1.0\n", b"1.001\n", {"abs_tol": 1e-3}, AC),  # at the boundary: within
    (b"1.0\n", b"1.0011\n", {"abs_tol": 1e-3, "rel_tol": 0}, WA),
    (b"1000000\n", b"1000001\n", {"abs_tol": 0, "rel_tol": 1e-6}, AC),  # relative
    (b"1.5 abc\n", b"1.5 abc", {}, AC),
    (b"1.5 abc\n", b"1.5 abd", {}, WA),
    (b"1.5\n", b"nan\n", {}, WA),
    (b"1.5\n", b"1.5 2\n", {}, WA),
])
def test_float(expected, output, options, want):
    assert verdict("float", expected, output, **options) == want


def test_wrong_answer_message_points_at_the_difference():
    result = builtin_checker("standard").check(b"", b"1 2 3", b"1 2 4")
    assert result.verdict == WA and "token 3" in result.message and "'3'" in result.message


def test_unknown_checker_lists_the_choices():
    with pytest.raises(UnknownChecker) as err:
        builtin_checker("fuzzy")
    assert "standard" in str(err.value) and "custom" in str(err.value)
