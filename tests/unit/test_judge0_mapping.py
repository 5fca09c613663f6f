"""The pure parts of the Judge0 layer: Ruby's base64, Judge0's output comparison, and the map
from CodeArena's verdicts to Judge0's statuses."""

from __future__ import annotations

import base64

import pytest

from codearena.adapters.judge0.catalog import outcome_of, strip_output
from codearena.adapters.judge0.encoding import decode64, encode64
from codearena.adapters.judge0.submission import decimal_string, iso_time, requested_fields, InvalidFields


def test_encode64_writes_lines_of_60_characters_each_ending_in_a_newline():
    assert encode64(b"") == ""
    assert encode64(b"hello\n") == "aGVsbG8K\n"
    text = encode64(bytes(range(256)) * 2)
    lines = text.split("\n")
    assert lines[-1] == "" and all(len(line) == 60 for line in lines[:-2]) and 0 < len(lines[-2]) <= 60
    assert base64.b64decode(text.replace("\n", "")) == bytes(range(256)) * 2


@pytest.mark.parametrize("text, data", [
    ("aGVsbG8K\n", b"hello\n"), ("aGVs\nbG8K", b"hello\n"), ("aGVsbG8", b"hello"), ("aGVs bG8=", b"hello"),
    ("", b""), ("!!!", b""), ("w6k=", "é".encode()),
])
def test_decode64_is_lenient_like_rubys(text, data):
    assert decode64(text) == data


def test_output_comparison_ignores_trailing_spaces_and_lines_only():
    assert strip_output("a  \nb\n\n") == strip_output("a\nb")
    assert strip_output(" a") != strip_output("a")
    assert strip_output("a\n\nb") != strip_output("a\nb")


def result(verdict: str, **fields) -> dict:
    return {"verdict": verdict, "message": "", "stdout": "", "time": 0.01, **fields}


@pytest.mark.parametrize("given, expected, status", [
    (result("AC", stdout="3\n", exit_code=0), None, 3),
    (result("AC", stdout="3\n", exit_code=0), "3", 3),
    (result("AC", stdout="4\n", exit_code=0), "3", 4),
    (result("TLE", message="time limit exceeded (CPU time)", signal=9), None, 5),
    (result("AC", time=2.5, exit_code=0), None, 5),  # finished within the extra time: still TLE
    (result("CE", compile_output="error"), None, 6),
    (result("RE", signal=11), None, 7),
    (result("OLE", signal=25), None, 8),
    (result("OLE"), None, 8),
    (result("RE", signal=8), None, 9),
    (result("RE", signal=6), None, 10),
    (result("RE", exit_code=1), "x", 11),
    (result("RE", signal=10), None, 12),
    (result("MLE", signal=9), None, 12),
    (result("MLE", exit_code=1), None, 11),
    (result("IE", message="sandbox failure"), None, 13),
])
def test_verdicts_map_to_judge0_statuses(given, expected, status):
    assert outcome_of(given, expected, cpu_time_limit=2.0).status == status


def test_messages_are_worded_as_isolates():
    assert outcome_of(result("RE", exit_code=3), None, 2).message == "Exited with error status 3"
    assert outcome_of(result("RE", signal=11), None, 2).message == "Caught fatal signal 11"
    assert outcome_of(result("TLE", message="time limit exceeded (wall time)"), None, 2).message == \
        "Time limit exceeded (wall clock)"
    assert outcome_of(result("AC", exit_code=0), None, 2).message is None


def test_decimals_and_times_are_written_as_rails_writes_them():
    assert [decimal_string(v) for v in (5, 5.0, 0.012, 2.5, None)] == ["5.0", "5.0", "0.012", "2.5", None]
    assert iso_time(1713434400.1234) == "2024-04-18T10:00:00.123Z"
    assert iso_time(None) is None


def test_fields_are_checked():
    assert requested_fields("*")[0] == "source_code"
    assert requested_fields("") == requested_fields(None)
    with pytest.raises(InvalidFields, match=r"invalid fields: \[nope\]"):
        requested_fields("token,nope")
