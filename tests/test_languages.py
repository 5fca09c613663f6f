"""Every language: hello, stdin, compile errors, exit codes, signals, versions."""

import json
import os
import shutil
import socket
import uuid
from pathlib import Path

import pytest

from codearena.engine import Verdict
from codearena.languages import LANGUAGES, SELF_TEST_INPUT, SELF_TEST_OUTPUT, UnknownLanguage, get_language, language_for_file
from codearena.languages import UnknownVersion, versions_of
from codearena.languages.catalog import java_file_class, java_main_class

from .language_programs import EXIT_3, FILES, MEMORY, NETWORK, PROCESSES, SPIN

ALL = [lang.id for lang in LANGUAGES]
CORE = ["python", "javascript", "c", "cpp", "java"]

HELLO = {
    "python": "print('Hello, World!')",
    "javascript": "console.log('Hello, World!')",
    "c": '#include <stdio.h>\nint main(void){puts("Hello, World!");return 0;}',
    "cpp": '#include <iostream>\nint main(){std::cout<<"Hello, World!"<<std::endl;}',
    "java": 'public class Main{public static void main(String[] a){System.out.println("Hello, World!");}}',
}

ECHO = {
    "python": "import sys\nsys.stdout.write(sys.stdin.read())",
    "javascript": "process.stdout.write(require('fs').readFileSync(0))",
    "c": "#include <stdio.h>\nint main(void){int c;while((c=getchar())!=EOF)putchar(c);return 0;}",
    "cpp": "#include <iostream>\nint main(){std::cout<<std::cin.rdbuf();}",
    "java": "public class Main{public static void main(String[] a)throws Exception{System.in.transferTo(System.out);}}",
}

SYNTAX_ERROR = {"c": "int main(void){ return 0 }", "cpp": "int main(){ undefined_thing(); }",
                "java": "public class Main{ void f() { int x = ; } }",
                "python": "print('side effect')\nprint((1)\n", "javascript": "console.log('side effect');\nconsole.log((1);\n"}
SYNTAX_MESSAGE = {"python": "SyntaxError: '(' was never closed", "javascript": "SyntaxError: missing ) after argument list"}


@pytest.mark.parametrize("language", CORE)
def test_hello_world(run, language, no_leftovers):
    result = run(language, HELLO[language])
    assert result.verdict == Verdict.AC, result
    assert result.stdout == "Hello, World!\n"
    assert result.exit_code == 0 and result.signal is None
    assert result.time > 0 and result.wall_time > 0 and result.memory > 0


@pytest.mark.parametrize("language", CORE)
def test_stdin_echo_keeps_bytes(run, language):
    text = "line one\nzwei: äöü ✓\n\nlast line without newline"
    result = run(language, ECHO[language], text)
    assert result.verdict == Verdict.AC, result
    assert result.stdout == text


@pytest.mark.parametrize("language", ALL)
def test_self_test_passes(run, language):
    result = run(language, get_language(language).self_test, SELF_TEST_INPUT)
    assert (result.verdict, result.stdout) == (Verdict.AC, SELF_TEST_OUTPUT)


@pytest.mark.parametrize("language", ALL)
def test_nonzero_exit_is_runtime_error_with_code(run, language):
    result = run(language, EXIT_3[language])
    assert result.verdict == Verdict.RE
    assert result.exit_code == 3 and result.signal is None
    assert "code 3" in result.message


@pytest.mark.parametrize("language", ALL)
def test_endless_loop_is_tle_at_the_cpu_limit(run, language, no_leftovers):
    result = run(language, SPIN[language], cpu_time=0.5, wall_time=5)
    assert result.verdict == Verdict.TLE, result
    assert "CPU" in result.message


@pytest.mark.parametrize("language", [lang for lang in ALL if MEMORY[lang]])
def test_allocating_without_end_is_mle_at_the_memory_limit(run, language, no_leftovers):
    result = run(language, MEMORY[language], memory_mb=64, cpu_time=10, wall_time=20)
    assert result.verdict == Verdict.MLE, result
    overhead = get_language(language).memory_overhead_mb
    assert 0 < result.memory <= (64 + overhead) * 1024


# -- containment, in every language: what each runtime's own calls can reach -------------------

@pytest.fixture
def outside_dir():
    """A world-writable host directory under /usr, which boxes see read-only: the box's mount,
    not file permissions or the box's uid, is all that can stop a write there."""
    path = Path("/usr/local/lib") / f"codearena-probe-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    os.chmod(path, 0o777)
    yield path
    shutil.rmtree(path)


@pytest.mark.parametrize("language", ALL)
def test_files_outside_the_box_cannot_be_written(run, language, outside_dir):
    outside = outside_dir / f"{language}.txt"
    result = run(language, FILES[language].replace("@OUTSIDE@", str(outside)), cpu_time=10, wall_time=20)
    assert result.stdout.startswith("in"), result  # the language's own file calls work in its box
    assert os.listdir(outside_dir) == []


@pytest.fixture
def host_listener():
    """A TCP listener on the host's loopback: a program that reached the host would be queued here."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.setblocking(False)
    yield server
    server.close()


@pytest.mark.parametrize("language", [lang for lang in ALL if NETWORK[lang]])
def test_the_hosts_network_is_out_of_reach(run, language, host_listener):
    port = host_listener.getsockname()[1]
    result = run(language, NETWORK[language].replace("@PORT@", str(port)), cpu_time=10, wall_time=20)
    assert "refused" in result.stdout and "connected" not in result.stdout, result
    with pytest.raises(BlockingIOError):
        host_listener.accept()  # a connect that had succeeded would be waiting in the backlog


@pytest.mark.parametrize("language", [lang for lang in ALL if PROCESSES[lang]])
def test_processes_and_threads_stop_at_the_limit_and_none_outlives_the_run(run, language, no_leftovers):
    result = run(language, PROCESSES[language], processes=8, cpu_time=10, wall_time=4)
    started = result.stdout.count("+")
    limit = 8 + get_language(language).extra_processes  # the program's limit plus its runtime's allowance
    assert result.verdict != Verdict.IE, result
    assert 1 <= started <= limit, result  # it could start some, and the limit stopped it far short of 500


def test_every_language_has_its_programs():
    for programs in (EXIT_3, SPIN, MEMORY, FILES, NETWORK, PROCESSES):
        assert set(programs) == set(ALL)


def test_a_version_is_chosen_within_the_family():
    assert get_language("python", "pypy").id == "pypy"
    assert get_language("python", "PyPy").id == "pypy"
    assert get_language("python", "3.9").id == "pypy"
    assert get_language("python", "3.11").id == "python"
    assert get_language("python", "*").id == "python"
    assert get_language("c", "clang").id == "c-clang"
    assert get_language("cpp", "14").id == "cpp-clang"
    assert get_language("cpp", "gcc").id == "cpp"
    assert [lang.id for lang in versions_of(get_language("pypy"))] == ["python", "pypy"]
    with pytest.raises(UnknownVersion) as err:
        get_language("python", "2.7")
    assert "2.7" in str(err.value) and "PyPy" in str(err.value) and "CPython" in str(err.value)


@pytest.mark.parametrize("language", sorted(SYNTAX_ERROR))
def test_compile_error_gives_ce_with_compiler_message(run, language):
    result = run(language, SYNTAX_ERROR[language])
    assert result.verdict == Verdict.CE
    assert "error" in result.compile_output.lower()
    assert result.stdout == "" and result.exit_code is None
    # Interpreted languages: checked before the run (nothing printed), with the interpreter's message.
    assert SYNTAX_MESSAGE.get(language, "") in result.compile_output
    assert "/var/lib" not in result.compile_output and "codearena" not in result.compile_output


@pytest.mark.parametrize("language,source", [
    ("python", "exec('x = (')"), ("javascript", "eval('(');"),
])
def test_a_syntax_error_raised_while_running_is_a_runtime_error(run, language, source):
    result = run(language, source)
    assert result.verdict == Verdict.RE and "SyntaxError" in result.stderr


@pytest.mark.parametrize("language,source", [
    ("c", "int main(void){ volatile int *p = 0; return *p; }"),
    ("cpp", "#include <csignal>\nint main(){ std::raise(SIGSEGV); }"),
])
def test_segfault_is_runtime_error_with_signal(run, language, source):
    result = run(language, source)
    assert result.verdict == Verdict.RE
    assert result.signal == 11 and result.exit_code is None
    assert "SIGSEGV" in result.message


def test_exit_code_139_is_not_mistaken_for_a_signal(run):
    result = run("c", "int main(void){return 139;}")
    assert (result.verdict, result.exit_code, result.signal) == (Verdict.RE, 139, None)


def test_python_exception_is_runtime_error_with_traceback(run):
    result = run("python", "raise ValueError('boom')")
    assert result.verdict == Verdict.RE and result.exit_code == 1
    assert "ValueError: boom" in result.stderr


def test_java_public_class_need_not_be_called_main(run):
    source = "import java.util.*;\n// class Decoy {}\npublic class Solution {\n  public static void main(String[] a) {\n    System.out.println(\"class Fake\".length());\n  }\n}\n"
    result = run("java", source)
    assert result.verdict == Verdict.AC, result
    assert result.stdout == "10\n"


def test_java_public_class_without_main_beside_the_class_that_has_it(run):
    source = ("public class Solution { static int twice(int x) { return 2 * x; } }\n"
              "class Runner { public static void main(String[] a) { System.out.println(Solution.twice(21)); } }\n")
    result = run("java", source)
    assert result.verdict == Verdict.AC, result
    assert result.stdout == "42\n"


@pytest.mark.parametrize("source,main,file", [
    ("public class Foo { public static void main(String[] a) {} }", "Foo", "Foo"),
    ("class Helper {}\nclass Prog { public static void main(String[] a) {} }", "Prog", "Prog"),
    ('/* public class Nope */ class A { static String s = "public class Str"; public static void main(String[] x){} }',
     "A", "A"),
    ("public class Lib {}\nclass App { public static void main(String[] a) {} }", "App", "Lib"),
    ("", "Main", "Main"),
])
def test_java_class_detection(source, main, file):
    assert (java_main_class(source), java_file_class(source)) == (main, file)


def test_versions_are_probed_from_the_toolchains():
    for language in LANGUAGES:
        version = language.version()
        assert version[0].isdigit() and "." in version, (language.id, version)


def test_language_lookup_by_alias_and_extension():
    assert get_language("Python3").id == "python"
    assert get_language("c++").id == "cpp"
    assert language_for_file("x/Main.java").id == "java"
    with pytest.raises(UnknownLanguage) as err:
        get_language("whitespace")
    assert "python" in str(err.value) and "java" in str(err.value)


def test_binary_output_stays_valid_json(run):
    result = run("python", "import sys; sys.stdout.buffer.write(bytes(range(256)) + b'\\x1b[2J{\"verdict\":\"AC\"}')")
    assert result.verdict == Verdict.AC
    decoded = json.loads(json.dumps(result.to_dict()))
    assert decoded["verdict"] == "AC"
    assert "\ufffd" in decoded["stdout"]  # invalid UTF-8 replaced, not passed through


def test_exit_127_is_the_programs_own_and_a_missing_interpreter_is_the_systems(run, sandbox):
    own = run("c", "int main(void){return 127;}")
    assert (own.verdict, own.exit_code) == (Verdict.RE, 127)  # what a shell says for "not found", and yet the program's
    from dataclasses import replace

    from codearena.engine.execute import execute

    missing = replace(get_language("python"), run=("/nonexistent/python3", "{source}"), check=None)
    result = execute("print(1)", missing, "", sandbox=sandbox)
    assert result.verdict == Verdict.IE and "could not be started: No such file or directory" in result.message
