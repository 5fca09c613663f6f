"""The official judge0 SDK (0.0.8) against CodeArena's Judge0 API, unchanged: only the URL and
the auth header are CodeArena's."""

from __future__ import annotations

import judge0
import pytest
from judge0 import Status

from ..api.conftest import A_PLUS_B, HELLO

ALIASES = {"python": judge0.PYTHON, "javascript": judge0.JAVASCRIPT, "c": judge0.C, "cpp": judge0.CPP,
           "java": judge0.JAVA}


def test_the_client_starts_and_reads_the_server(sdk):
    # The constructor already read /languages and /config_info (a pydantic model of every key).
    assert sdk.config.max_submission_batch_size == 20 and sdk.config.enable_network is False
    assert sdk.version == "1.13.1"
    assert [s["id"] for s in sdk.get_statuses()] == list(range(1, 15))
    from codearena.adapters.judge0.catalog import LANGUAGES as SERVED

    assert {50, 52, 54, 62, 63, 71, 60, 73, 75, 76} <= {lang.id for lang in sdk.languages}
    assert {lang.id for lang in sdk.languages} == {lang.id for lang in SERVED}


@pytest.mark.parametrize("alias, language_id", [
    (judge0.PYTHON, 71), (judge0.PYTHON3, 71), (judge0.C, 50), (judge0.C_GCC, 50), (judge0.CPP, 52),
    (judge0.CPP_GCC, 52), (judge0.JAVA, 62), (judge0.JAVA_OPENJDK, 62), (judge0.JAVASCRIPT, 63)])
def test_the_sdk_aliases_resolve_to_served_languages(sdk, alias, language_id):
    assert sdk.get_language_id(alias) == language_id
    assert sdk.is_language_supported(alias)
    assert sdk.get_language(language_id).name == next(lang.name for lang in sdk.languages if lang.id == language_id)


@pytest.mark.parametrize("language", list(ALIASES))
def test_a_single_run_with_stdin_in_every_language(sdk, language):
    result = judge0.run(client=sdk, source_code=HELLO[language], language=ALIASES[language], stdin="judge0")
    assert result.status == Status.ACCEPTED, (result.status, result.stderr, result.compile_output)
    assert result.stdout == "hello judge0\n"
    assert result.time is not None and result.memory > 0 and result.token is not None


@pytest.mark.parametrize("language", list(ALIASES))
def test_a_batch_with_expected_outputs_in_every_language(sdk, language):
    # Two test cases become a batch (POST and GET /submissions/batch): one right, one wrong.
    results = judge0.run(client=sdk, source_code=A_PLUS_B[language], language=ALIASES[language],
                         test_cases=[("1 2\n", "3\n"), ("40 2\n", "43")])
    assert [r.status for r in results] == [Status.ACCEPTED, Status.WRONG_ANSWER]
    assert [r.stdout for r in results] == ["3\n", "42\n"]


def test_a_batch_of_every_language_at_once(sdk):
    # (The SDK base64-decodes any stdin that happens to be valid base64, such as "java": hence "-".)
    submissions = [judge0.Submission(source_code=HELLO[lang], language=alias, stdin=f"{lang}-",
                                     expected_output=f"hello {lang}-") for lang, alias in ALIASES.items()]
    results = judge0.run(client=sdk, submissions=submissions)
    assert [r.status for r in results] == [Status.ACCEPTED] * len(ALIASES)


def test_expected_output_ignores_trailing_whitespace_as_judge0_does(sdk):
    result = judge0.run(client=sdk, source_code="print('a  ')\nprint('b')\nprint()", language=judge0.PYTHON,
                        expected_output="a\nb")
    assert result.status == Status.ACCEPTED
    result = judge0.run(client=sdk, source_code="print(' a')", language=judge0.PYTHON, expected_output="a")
    assert result.status == Status.WRONG_ANSWER


@pytest.mark.parametrize("language, source", [
    (judge0.CPP, "int main( {"), (judge0.JAVA, "public class Main { void }"), (judge0.C, "int main() { return x; }")])
def test_a_compile_error(sdk, language, source):
    result = judge0.run(client=sdk, source_code=source, language=language)
    assert result.status == Status.COMPILATION_ERROR
    assert "error" in result.compile_output and result.stdout is None and result.time is None


def test_a_time_limit(sdk):
    result = judge0.run(client=sdk, source_code="while True: pass", language=judge0.PYTHON,
                        cpu_time_limit=0.5, cpu_extra_time=0.2)
    assert result.status == Status.TIME_LIMIT_EXCEEDED
    assert result.time >= 0.5


@pytest.mark.parametrize("source, status, signal", [
    ("#include <stdio.h>\nint main(){volatile int *p = 0; *p = 1; return 0;}", Status.RUNTIME_ERROR_SIGSEGV, 11),
    ("int main(){volatile int z = 0; return 7 / z;}", Status.RUNTIME_ERROR_SIGFPE, 8),
    ("#include <stdlib.h>\nint main(){abort();}", Status.RUNTIME_ERROR_SIGABRT, 6),
    ("#include <signal.h>\nint main(){raise(SIGUSR1); return 0;}", Status.RUNTIME_ERROR_OTHER, 10),
])
def test_a_runtime_error_by_signal(sdk, source, status, signal):
    result = judge0.run(client=sdk, source_code=source, language=judge0.C)
    assert result.status == status
    assert result.exit_signal == signal


def test_a_non_zero_exit_is_nzec(sdk):
    result = judge0.run(client=sdk, source_code="import sys\nprint('partial')\nsys.exit(3)", language=judge0.PYTHON)
    assert result.status == Status.RUNTIME_ERROR_NZEC
    assert result.exit_code == 3 and result.stdout == "partial\n"


def test_output_beyond_max_file_size_is_sigxfsz(sdk):
    result = judge0.run(client=sdk, source_code="while True: print('x' * 1000)", language=judge0.PYTHON,
                        max_file_size=16)
    assert result.status == Status.RUNTIME_ERROR_SIGXFSZ


def test_base64_round_trips_non_ascii_text(sdk):
    source = "s = input()\nprint('héllo, ' + s + ' — 世界 🎉')\nimport sys; print('ошибка', file=sys.stderr)"
    result = judge0.run(client=sdk, source_code=source, language=judge0.PYTHON, stdin="Zoë")
    assert result.status == Status.ACCEPTED
    assert result.stdout == "héllo, Zoë — 世界 🎉\n"
    assert result.stderr == "ошибка\n"
    # What was sent comes back the same (fields=*).
    sdk.get_submission(result, fields="*")
    assert result.source_code == source and result.stdin == "Zoë"


def test_output_that_is_not_utf8_reaches_the_sdk_byte_for_byte(sdk):
    # The SDK decodes base64 with errors="backslashreplace": the exact bytes show through.
    result = judge0.run(client=sdk, source_code='#include <stdio.h>\nint main(){fputs("\\xff ok\\n", stdout);}',
                        language=judge0.C)
    assert result.status == Status.ACCEPTED and result.stdout == "\\xff ok\n"


def test_limits_given_to_the_sdk_are_echoed(sdk):
    result = judge0.run(client=sdk, source_code="print(1)", language=judge0.PYTHON, cpu_time_limit=2.5,
                        memory_limit=65536, number_of_runs=2)
    sdk.get_submission(result, fields="*")
    assert (result.cpu_time_limit, result.memory_limit, result.number_of_runs) == (2.5, 65536, 2)
    assert result.created_at <= result.finished_at
