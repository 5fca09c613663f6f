"""`codearena serve` and `codearena users create` as real processes: configuration is checked at start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest

from ..support import answer_once_up, free_port

CLI = [sys.executable, "-m", "codearena"]


def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXECUTION_", "JWT_", "NODE_ENV", "DATABASE_"))}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path}/server.db", **extra})
    return env


@pytest.mark.parametrize("extra, named", [
    ({"NODE_ENV": "production"}, "JWT_SECRET"),
    ({"NODE_ENV": "production", "JWT_SECRET": "secret"}, "JWT_SECRET"),
    ({"NODE_ENV": "production", "JWT_SECRET": "short-but-not-default"}, "JWT_SECRET"),
    ({"EXECUTION_MODE": "sideways"}, "EXECUTION_MODE"),
    ({"EXECUTION_TIMEOUT": "-5"}, "EXECUTION_TIMEOUT"),
    ({"EXECUTION_MAX_POLL_TIME": "0"}, "EXECUTION_MAX_POLL_TIME"),
    ({"EXECUTION_MODE": "queue"}, "EXECUTION_SERVICE_TOKEN"),
    ({"PORT": "http"}, "PORT"),
    ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
])
def test_serve_refuses_bad_configuration_naming_the_variable(tmp_path, extra, named):
    result = subprocess.run(CLI + ["serve"], env=_env(tmp_path, **extra), capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert named in result.stderr



def test_serve_runs_the_api_and_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    env = _env(tmp_path, NODE_ENV="production", JWT_SECRET="p" * 48, PORT=str(port), HOST="127.0.0.1")
    created = subprocess.run(CLI + ["users", "create", "root", "--admin", "--password-stdin"], env=env,
                             input="correct-horse-battery\n", capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    server = subprocess.Popen(CLI + ["serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        health = answer_once_up(f"http://127.0.0.1:{port}/api/health", server)
        assert health.json()["status"] == "healthy"
        login = httpx.post(f"http://127.0.0.1:{port}/api/auth/login",
                           json={"username": "root", "password": "correct-horse-battery"})
        token = login.json()["token"]
        status = httpx.get(f"http://127.0.0.1:{port}/api/execution/status", headers={"Authorization": f"Bearer {token}"})
        assert status.status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=60)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells how it ended.
    assert server.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in stderr
    assert '"level": "info"' in stderr  # structured, one JSON object per line


@pytest.mark.parametrize("access_log, per_request", [(None, True), ("false", False)])
def test_serve_logs_a_line_per_request_unless_access_log_is_off(tmp_path, access_log, per_request):
    port = free_port()
    env = _env(tmp_path, PORT=str(port), HOST="127.0.0.1", LOG_LEVEL="info",
               **({"ACCESS_LOG": access_log} if access_log is not None else {}))
    server = subprocess.Popen(CLI + ["serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert answer_once_up(f"http://127.0.0.1:{port}/api/health", server).status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=60)
    assert "Application shutdown complete" in stderr  # it logged at info all along
    assert ('"logger": "uvicorn.access"' in stderr) == per_request


def test_users_create_refuses_a_taken_name_and_a_short_password(tmp_path):
    env = _env(tmp_path)
    create = CLI + ["users", "create", "carol", "--password-stdin"]
    assert subprocess.run(create, env=env, input="long-enough-pw\n", capture_output=True, text=True,
                          timeout=60).returncode == 0
    taken = subprocess.run(create, env=env, input="long-enough-pw\n", capture_output=True, text=True, timeout=60)
    assert taken.returncode != 0 and "taken" in taken.stderr
    short = subprocess.run(CLI + ["users", "create", "dave", "--password-stdin"], env=env, input="x\n",
                           capture_output=True, text=True, timeout=60)
    assert short.returncode != 0 and "password" in short.stderr
