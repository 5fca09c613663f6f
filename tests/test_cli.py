"""The command line, run as a user would: a real process, real files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CODEARENA = [sys.executable, "-m", "codearena.cli"]
JSON_KEYS = {"verdict", "stdout", "stderr", "compile_output", "exit_code", "signal", "time", "wall_time", "memory"}


def codearena(*args, **kwargs):
    return subprocess.run([*CODEARENA, *map(str, args)], capture_output=True, text=True, timeout=120, **kwargs)


@pytest.fixture(autouse=True)
def _needs_root():
    if os.geteuid() != 0:
        pytest.skip("the full sandbox needs root")


def test_run_json_has_the_documented_keys(tmp_path):
    source = tmp_path / "sum.cpp"
    source.write_text("#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<\"\\n\";}")
    stdin = tmp_path / "in.txt"
    stdin.write_text("40 2\n")
    proc = codearena("run", source, "--stdin", stdin, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert JSON_KEYS <= data.keys()
    assert data["verdict"] == "AC" and data["stdout"] == "42\n"
    assert data["exit_code"] == 0 and data["signal"] is None
    assert isinstance(data["memory"], int) and data["time"] > 0


def test_run_reports_tle_with_limits_from_the_command_line(tmp_path):
    source = tmp_path / "loop.py"
    source.write_text("while True: pass\n")
    proc = codearena("run", source, "--time-limit", "0.3", "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["verdict"] == "TLE"


def test_run_language_option_overrides_the_extension(tmp_path):
    source = tmp_path / "prog.txt"
    source.write_text("console.log(6*7)")
    proc = codearena("run", source, "--lang", "js")
    assert proc.returncode == 0
    assert "AC" in proc.stdout and "42" in proc.stdout


def test_unknown_language_is_a_clear_error(tmp_path):
    source = tmp_path / "prog.ws"
    source.write_text("x")
    proc = codearena("run", source)
    assert proc.returncode == 2
    assert "supported: python, javascript, c, cpp, java" in proc.stderr


def test_bad_limit_is_a_clear_error(tmp_path):
    source = tmp_path / "a.py"
    source.write_text("pass")
    proc = codearena("run", source, "--memory-limit", "0")
    assert proc.returncode == 2 and "memory_mb" in proc.stderr


def test_doctor_reports_protections_and_self_tests():
    proc = codearena("doctor", "--all")  # every language is installed here (make system)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for expected in ("bubblewrap", "cgroup v", "seccomp", "python", "javascript", "java", "pass"):
        assert expected in proc.stdout
    assert "fail" not in proc.stdout
    java_row = next(line for line in proc.stdout.splitlines() if line.lstrip("│┃ ").startswith("java "))
    assert "classes shared" in java_row, java_row  # javac's class-data archive
    cpp_row = next(line for line in proc.stdout.splitlines() if line.lstrip("│┃ ").startswith("cpp "))
    assert "headers precompiled" in cpp_row, cpp_row


def test_doctor_refuses_without_bubblewrap(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path), "CODEARENA_STATE_DIR": str(tmp_path / "state")}
    proc = subprocess.run([*CODEARENA, "doctor"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "bubblewrap (bwrap) is not installed" in proc.stderr and "Nothing untrusted will run" in proc.stderr


def test_unsafe_dev_mode_runs_without_bubblewrap_and_says_so_every_run(tmp_path):
    # Even unsafe, code runs as a box uid, which must be able to reach the state directory.
    for parent in (tmp_path, *tmp_path.parents[:2]):
        parent.chmod(0o711)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("gcc", "as", "ld", "python3"):
        (bin_dir / tool).symlink_to(Path("/usr/bin", tool).resolve())
    source = tmp_path / "hello.py"
    source.write_text("print('hi')")
    env = {**os.environ, "PATH": str(bin_dir), "CODEARENA_STATE_DIR": str(tmp_path / "state"),
           "CODEARENA_UNSAFE_DEV_MODE": "1"}
    proc = subprocess.run([*CODEARENA, "run", str(source), "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["stdout"] == "hi\n"
    assert proc.stderr.count("UNSAFE DEVELOPMENT MODE") >= 2  # at start and for the run itself


def test_a_state_dir_the_box_uids_cannot_reach_is_named_with_its_fix(tmp_path):
    private = tmp_path / "private"  # like `mktemp -d`: mode 0700
    private.mkdir(mode=0o700)
    env = {**os.environ, "CODEARENA_STATE_DIR": str(private / "state")}
    doctor = codearena("doctor", env=env)
    assert doctor.returncode == 1
    assert f"chmod o+x {private}" in " ".join(doctor.stderr.split())
    source = tmp_path / "hello.py"
    source.write_text("print(1)")
    run = codearena("run", source, env=env)
    assert run.returncode != 0 and "not reachable by the box uids" in " ".join(run.stderr.split())
