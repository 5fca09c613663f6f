"""Judge0's compiler_options, additional_files (a zip beside the source) and language 89 (a
multi-file program, built and started by its own scripts): through plain HTTP and the SDK."""

from __future__ import annotations

import base64
import io
import stat
import zipfile

import httpx
import judge0
import pytest
from judge0 import File, Filesystem, Status

from ..queue.conftest import ServiceServer, queue_settings, service_app
from .conftest import AUTH, judge0_settings

C, PYTHON, MULTI_FILE = 50, 71, 89


def zipped(files: dict[str, bytes | str], links: dict[str, str] | None = None) -> str:
    """A base64 zip of `files`, and of symbolic links `links` (name -> target), as zip(1) stores them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return base64.b64encode(buffer.getvalue()).decode()


def run(http: httpx.Client, body: dict, **params) -> dict:
    answer = http.post("/submissions", params={"wait": "true", **params}, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


# -- compiler_options ------------------------------------------------------------------------

GREETING = '#include <stdio.h>\nint main(void){printf("%s %d\\n", GREETING, LEVEL); return 0;}\n'


def test_compiler_options_reach_the_compiler_as_arguments(http):
    result = run(http, {"source_code": GREETING, "language_id": C,
                        "compiler_options": "-DGREETING='\"hello world\"' -DLEVEL=3"})
    assert result["status"]["id"] == 3, result
    assert result["stdout"] == "hello world 3\n"
    # Without them the program does not compile: the options are what made it build.
    assert run(http, {"source_code": GREETING, "language_id": C})["status"]["id"] == 6


def test_shell_syntax_in_compiler_options_is_an_argument_not_a_command(http):
    # No shell reads the options: `;` and `$(...)` are arguments gcc refuses, so this is CE.
    result = run(http, {"source_code": GREETING, "language_id": C,
                        "compiler_options": "-DGREETING='\"x\"' -DLEVEL=1 ; touch /box/pwned $(id)"})
    assert result["status"]["id"] == 6
    assert "touch: No such file or directory" in result["compile_output"], result["compile_output"]


def test_a_different_option_is_a_different_compilation(http):
    # The compile cache keys on the options: the same source, two builds.
    first = run(http, {"source_code": GREETING, "language_id": C, "compiler_options": "-DGREETING='\"a\"' -DLEVEL=1"})
    second = run(http, {"source_code": GREETING, "language_id": C, "compiler_options": "-DGREETING='\"a\"' -DLEVEL=2"})
    assert (first["stdout"], second["stdout"]) == ("a 1\n", "a 2\n")


@pytest.mark.parametrize("body, message", [
    ({"source_code": "print(1)", "language_id": PYTHON, "compiler_options": "-O"},
     "setting compiler options is only allowed for compiled languages"),
    ({"source_code": "x", "language_id": C, "compiler_options": "-O" * 300},
     "is too long (maximum is 512 characters)"),
    ({"source_code": "x", "language_id": C, "compiler_options": "-D'unclosed"},
     "cannot be split into arguments (No closing quotation)"),
])
def test_compiler_options_that_cannot_apply_are_422(http, body, message):
    answer = http.post("/submissions", json=body)
    assert answer.status_code == 422
    assert answer.json() == {"compiler_options": [message]}


def test_the_operator_can_switch_them_off_or_name_the_languages(stack):
    settings = judge0_settings(enable_compiler_options=False, enable_additional_files=False)
    with ServiceServer(service_app(queue_settings(stack.queue.prefix), settings)) as off:
        with httpx.Client(base_url=f"{off.url}/judge0", headers=AUTH, timeout=30) as http:
            assert http.get("/config_info").json()["enable_compiler_options"] is False
            answer = http.post("/submissions", json={"source_code": "x", "language_id": C, "compiler_options": "-O"})
            assert answer.json() == {"compiler_options": ["setting compiler options is not allowed"]}
            answer = http.post("/submissions", json={"source_code": "x", "language_id": C,
                                                     "additional_files": zipped({"a.txt": "a"})})
            assert answer.json() == {"additional_files": ["setting additional files is not allowed"]}
    settings = judge0_settings(allowed_languages_for_compile_options="C++ Java")
    with ServiceServer(service_app(queue_settings(stack.queue.prefix), settings)) as some:
        with httpx.Client(base_url=f"{some.url}/judge0", headers=AUTH, timeout=30) as http:
            assert http.get("/config_info").json()["allowed_languages_for_compile_options"] == ["C++", "Java"]
            answer = http.post("/submissions", json={"source_code": "x", "language_id": C, "compiler_options": "-O"})
            assert answer.json() == {"compiler_options": ["setting compiler options is only allowed for C++ and Java"]}


# -- additional_files ------------------------------------------------------------------------

def test_additional_files_sit_beside_the_source_and_the_zip_is_echoed(http):
    source = '#include <stdio.h>\n#include "lib/twice.h"\nint main(void){char s[32]; FILE *f = fopen("data/in.txt", "r");' \
             ' fscanf(f, "%31s", s); printf("%s %d\\n", s, twice(21)); return 0;}\n'
    archive = zipped({"lib/twice.h": "static int twice(int x) { return 2 * x; }\n", "data/in.txt": "answer\n"})
    result = run(http, {"source_code": source, "language_id": C, "additional_files": archive},
                 fields="stdout,status,additional_files,source_code")
    assert result["status"]["id"] == 3, result
    assert result["stdout"] == "answer 42\n"
    assert base64.b64decode(result["additional_files"]) == base64.b64decode(archive)  # Judge0 echoes it


def test_a_file_named_like_the_source_never_replaces_it(http):
    archive = zipped({"script.py": "print('from the zip')", "helper.py": "WORD = 'helper'"})
    result = run(http, {"source_code": "import helper\nprint(helper.WORD)", "language_id": PYTHON,
                        "additional_files": archive})
    assert result["stdout"] == "helper\n", result


@pytest.mark.parametrize("archive, message", [
    (base64.b64encode(b"PK\x03\x04 not really").decode(), "is not a zip archive that can be unpacked"),
    (zipped({"../escape.txt": "x"}), "holds '.' or '..'"),
    (zipped({"/etc/passwd": "x"}), "is absolute"),
    (zipped({"a.txt": "x"}, links={"link": "/etc/shadow"}), "is not a regular file"),
    (zipped({"zeros.bin": b"\0" * (11 * 1024 * 1024)}), "unpacks to more than 10240 KB"),  # 11 MB in ~11 KB
    (zipped({f"f{i}.txt": "x" for i in range(300)}), "more than 256 files"),
])
def test_archives_that_cannot_be_the_programs_files_are_422(http, archive, message):
    answer = http.post("/submissions", json={"source_code": "print(1)", "language_id": PYTHON,
                                             "additional_files": archive})
    assert answer.status_code == 422
    assert list(answer.json()) == ["additional_files"] and message in answer.json()["additional_files"][0]


# -- language 89: a multi-file program -------------------------------------------------------

PROJECT = {
    "compile": "gcc -O2 -o main src/main.c src/greet.c\n",
    "run": './main "$@"\n',
    "src/main.c": '#include "greet.h"\nint main(int argc, char **argv) { greet(argc > 1 ? argv[1] : "nobody"); return 0; }\n',
    "src/greet.h": "void greet(const char *name);\n",
    "src/greet.c": '#include <stdio.h>\n#include "greet.h"\nvoid greet(const char *name) { printf("hello %s\\n", name); }\n',
}


def test_a_multi_file_program_builds_with_its_compile_script_and_runs_with_its_run_script(http):
    languages = {item["id"]: item["name"] for item in http.get("/languages").json()}
    assert languages[MULTI_FILE] == "Multi-file program"
    result = run(http, {"language_id": MULTI_FILE, "additional_files": zipped(PROJECT),
                        "command_line_arguments": "project"}, fields="stdout,status,source_code,compile_output")
    assert result["status"]["id"] == 3, result
    assert result["stdout"] == "hello project\n" and result["source_code"] is None


def test_a_multi_file_program_that_fails_to_build_is_a_compilation_error(http):
    broken = {**PROJECT, "src/greet.c": "this is not C\n"}
    result = run(http, {"language_id": MULTI_FILE, "additional_files": zipped(broken)}, fields="status,compile_output")
    assert result["status"]["id"] == 6 and "greet.c" in result["compile_output"]


def test_a_multi_file_program_without_a_run_script_says_so(http):
    result = run(http, {"language_id": MULTI_FILE, "additional_files": zipped({"notes.txt": "x"})},
                 fields="status,stderr")
    assert result["status"]["id"] == 11 and "no run script" in result["stderr"]


@pytest.mark.parametrize("body, errors", [
    ({"language_id": MULTI_FILE}, {"additional_files": ["can't be blank"]}),
    ({"language_id": MULTI_FILE, "source_code": "echo hi", "additional_files": zipped({"run": "echo hi"})},
     {"source_code": ["must be blank"]}),
])
def test_a_multi_file_program_is_its_files_alone(http, body, errors):
    answer = http.post("/submissions", json=body)
    assert answer.status_code == 422 and answer.json() == errors


def test_the_sdk_runs_a_multi_file_program_and_passes_compiler_options(sdk):
    files = Filesystem(content=[File(name=name, content=content) for name, content in PROJECT.items()])
    result = judge0.run(client=sdk, source_code="", language=judge0.MULTI_FILE, additional_files=files,
                        command_line_arguments="sdk")
    assert result.status == Status.ACCEPTED, (result.status, result.stderr, result.compile_output)
    assert result.stdout == "hello sdk\n"
    result = judge0.run(client=sdk, source_code=GREETING, language=judge0.C,
                        compiler_options="-DGREETING='\"sdk\"' -DLEVEL=9")
    assert result.stdout == "sdk 9\n"
