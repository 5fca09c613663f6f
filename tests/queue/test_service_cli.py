"""`codearena execution-service` as a real process: what it logs per request."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid

import httpx
import pytest

from ..support import answer_once_up, free_port
from .conftest import REDIS_URL, TOKEN, remove_prefix, require_redis

CLI = [sys.executable, "-m", "codearena"]


def _serve_one_job(access_log: str | None) -> list[dict]:
    """Start the service (LOG_LEVEL=info), queue one job, stop it: its log lines, parsed."""
    require_redis()
    port, prefix = free_port(), f"codearena-test-{uuid.uuid4().hex[:10]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXECUTION_")}
    env.update({"REDIS_URL": REDIS_URL, "QUEUE_PREFIX": prefix, "LOG_LEVEL": "info", "EXECUTION_SERVICE_TOKEN": TOKEN,
                "EXECUTION_SERVICE_HOST": "127.0.0.1", "EXECUTION_SERVICE_PORT": str(port)})
    if access_log is not None:
        env["EXECUTION_SERVICE_ACCESS_LOG"] = access_log
    service = subprocess.Popen(CLI + ["execution-service"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    try:
        answer_once_up(f"http://127.0.0.1:{port}/livez", service)
        queued = httpx.post(f"http://127.0.0.1:{port}/jobs", json={"language": "python", "source": "print(1)"},
                            headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        assert queued.status_code == 202, queued.text
    finally:
        service.send_signal(signal.SIGTERM)
        _, stderr = service.communicate(timeout=60)
        remove_prefix(prefix)
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("access_log, per_request", [(None, True), ("true", True), ("false", False)])
def test_the_access_log_is_a_setting_and_the_job_lines_stay(access_log, per_request):
    lines = _serve_one_job(access_log)
    requests = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert bool(requests) == per_request, requests
    if per_request:
        assert any("POST /jobs" in line["msg"] for line in requests)
    assert any(line["msg"].startswith("[EXEC-SERVICE] job ") and "queued" in line["msg"] for line in lines)
