"""A program's other files (headers, modules, data, a project's scripts) and compiler options:
the job contract's `files` and `compiler_options`, through the engine and the real sandbox."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from codearena.engine import Verdict
from codearena.engine.execute import execute
from codearena.engine.judge import TestCase, judge
from codearena.execution.contract import MAX_FILES_BYTES, Job, JobFile
from codearena.execution.run import run_job


def test_a_c_program_includes_a_header_from_a_subdirectory_and_reads_a_data_file(sandbox, no_leftovers):
    source = ('#include <stdio.h>\n#include "lib/twice.h"\n'
              'int main(void){int n; FILE *f = fopen("data/n.txt", "r"); fscanf(f, "%d", &n); printf("%d\\n", twice(n));}')
    files = {"lib/twice.h": b"static int twice(int x) { return 2 * x; }\n", "data/n.txt": b"21\n"}
    result = execute(source, "c", sandbox=sandbox, files=files)
    assert (result.verdict, result.stdout) == (Verdict.AC, "42\n"), result


@pytest.mark.parametrize("language, source, files, expected", [
    ("python", "import helpers.words as w\nprint(w.WORD)", {"helpers/__init__.py": b"", "helpers/words.py": b"WORD='py'"}, "py\n"),
    ("javascript", "console.log(require('./lib/m').word)", {"lib/m.js": b"exports.word = 'js'"}, "js\n"),
    ("bash", "source lib.sh; say bash", {"lib.sh": b"say() { echo \"$1\"; }"}, "bash\n"),
])
def test_interpreted_programs_import_their_other_files(sandbox, language, source, files, expected):
    result = execute(source, language, sandbox=sandbox, files=files)
    assert (result.verdict, result.stdout) == (Verdict.AC, expected), result


def test_java_classes_in_packages_reach_the_run_from_the_compile_box(sandbox):
    # A multi-file program: javac writes classes into subdirectories; every one is an artifact.
    files = {
        "compile": b"javac -d build $(find src -name '*.java')\n",
        "run": b"java -cp build app.Main \"$@\"\n",
        "src/app/Main.java": b"package app; public class Main { public static void main(String[] a) {"
                             b" System.out.println(app.util.Greeter.greet(a[0])); } }",
        "src/app/util/Greeter.java": b"package app.util; public class Greeter {"
                                     b" public static String greet(String n) { return \"hello \" + n; } }",
    }
    result = execute("", "multi-file", sandbox=sandbox, files=files, args=("java",))
    assert (result.verdict, result.stdout) == (Verdict.AC, "hello java\n"), result


def test_the_source_wins_over_a_file_of_its_name(sandbox):
    result = execute("print('source')", "python", sandbox=sandbox, files={"main.py": b"print('file')"})
    assert result.stdout == "source\n"


def test_compiler_options_are_arguments_and_part_of_the_cache_key(sandbox):
    source = '#include <stdio.h>\nint main(void){printf("%d\\n", LEVEL);}'
    runs = [execute(source, "c", sandbox=sandbox, compiler_options=(f"-DLEVEL={n}",)) for n in (1, 2, 1)]
    assert [r.stdout for r in runs] == ["1\n", "2\n", "1\n"]
    assert execute(source, "c", sandbox=sandbox).verdict == Verdict.CE  # LEVEL comes only from the options


def test_judging_uses_the_files_in_every_test(sandbox):
    source = "import table\nprint(table.ANSWERS[input()])"
    files = {"table.py": b"ANSWERS = {'a': 1, 'b': 2}"}
    tests = [TestCase("1", b"a\n", b"1\n"), TestCase("2", b"b\n", b"2\n")]
    result = judge(source, "python", tests, sandbox=sandbox, files=files)
    assert result.verdict == Verdict.AC, result


def test_a_job_carries_its_files_and_options_across_a_wire(sandbox):
    job = Job(language="c", source='#include "v.h"\n#include <stdio.h>\nint main(void){printf("%s %d\\n", V, N);}',
              files=[{"path": "v.h", "content": base64.b64encode(b'#define V "bytes"\n').decode(), "encoding": "base64"}],
              compiler_options=["-DN=5"])
    again = Job.model_validate_json(job.model_dump_json())  # what a worker reads off Redis
    assert again == job
    result = run_job(again, sandbox)
    assert (result.verdict, result.stdout) == (Verdict.AC, "bytes 5\n"), result


@pytest.mark.parametrize("files, message", [
    ([{"path": "../x"}], "holds '.' or '..'"),
    ([{"path": "/etc/passwd"}], "is absolute"),
    ([{"path": ""}], "cannot be empty"),
    ([{"path": "a/" * 20 + "f"}], "deeper than 16 directories"),
    ([{"path": "x" * 300}], "longer than 255 bytes"),
    ([{"path": "a.txt"}, {"path": "a.txt"}], "more than one file at a.txt"),
    ([{"path": "lib"}, {"path": "lib/x.h"}], "lib is both a file and a directory"),
    ([{"path": "big", "content": "x" * (MAX_FILES_BYTES + 1)}], f"at most {MAX_FILES_BYTES} are allowed"),
    ([{"path": "b", "content": "***", "encoding": "base64"}], "not valid base64"),
    ([{"path": f"f{i}"} for i in range(257)], "at most 256 items"),
])
def test_files_a_box_cannot_hold_safely_are_refused_with_the_reason(files, message):
    with pytest.raises(ValidationError) as err:
        Job(language="python", source="print(1)", files=files)
    assert message in str(err.value)


def test_compiler_options_need_a_compiler_that_takes_them():
    with pytest.raises(ValidationError) as err:
        Job(language="python", source="print(1)", compiler_options=["-O"])
    assert "python takes none (only compiled languages do)" in str(err.value)
    with pytest.raises(ValidationError) as err:
        Job(language="c", source="x", compiler_options=["-D" + "x" * 600])
    assert "longer than 512 characters" in str(err.value)
    with pytest.raises(ValidationError) as err:
        Job(language="multi-file", source="")
    assert "needs its files" in str(err.value)


def test_a_file_path_is_kept_in_its_plain_form():
    assert JobFile(path="lib//util.h").path == "lib/util.h"
