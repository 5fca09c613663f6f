"""The kept box's run request (sandbox/ready.py encode_run; parsed by init.c parse_run)."""

import pytest

from codearena.sandbox.ready import encode_run


def test_a_request_is_its_fields_each_ended_by_a_nul():
    payload = encode_run("/box", [(7, (64, 64))], ["./main", "a b"], {"PATH": "/usr/bin", "X": "="})
    assert payload.split(b"\0") == [b"run", b"/box", b"1", b"7", b"64", b"64", b"2", b"./main", b"a b",
                                    b"2", b"PATH=/usr/bin", b"X==", b""]


def test_an_empty_argument_and_an_empty_environment_are_kept():
    assert encode_run("/box", [], ["prog", ""], {}).split(b"\0") == [b"run", b"/box", b"0", b"2", b"prog", b"", b"0", b""]


@pytest.mark.parametrize("argv,env", [(["a\0b"], {}), (["a"], {"K": "v\0"}), (["a"], {"K\0": "v"})])
def test_a_nul_inside_a_field_is_refused_as_subprocess_refuses_it(argv, env):
    with pytest.raises(ValueError, match="null byte"):
        encode_run("/box", [], argv, env)
