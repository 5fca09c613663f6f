"""`cd deploy && docker-compose up` as written: the deployment tier (`make test-deploy`).

One stack for the module, under a project name of its own and on free host ports (the machine's
Redis and PostgreSQL are left alone): Redis, PostgreSQL, the execution service, 2 workers of one
CPU each, and the platform in queue mode, with the secrets from an .env file. Needs Docker and
docker-compose (`../shared/tools/docker-offline.sh` on a machine without a registry); the image is
built from this checkout.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from ..support import free_port, missing

pytestmark = pytest.mark.compose
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
A_PLUS_B = (DEPLOY.parent / "examples" / "aplusb" / "solutions" / "main.py").read_text()  # the image's example
PROGRAMS = {
    "python": "print(input())",
    "javascript": "console.log(require('fs').readFileSync(0, 'utf8').trim())",
    "c": '#include <stdio.h>\nint main(){char s[16];scanf("%15s",s);puts(s);return 0;}',
    "cpp": "#include <iostream>\nint main(){std::string s;std::cin>>s;std::cout<<s<<std::endl;}",
    "java": "public class Main{public static void main(String[] a){System.out.println(new java.util.Scanner(System.in).next());}}",
}


class Compose:
    def __init__(self, env_file: Path, project: str):
        self.base = ["docker-compose", "--project-directory", str(DEPLOY), "-f", str(DEPLOY / "docker-compose.yml"),
                     "--env-file", str(env_file), "-p", project]

    def __call__(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.base, *args], input=input, capture_output=True, text=True, check=check,
                              timeout=1800)

    def container_ids(self, service: str) -> list[str]:
        return self("ps", "-q", service).stdout.split()

    def wait_healthy(self, services: list[str], timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = {cid: json.loads(subprocess.run(["docker", "inspect", "--format", "{{json .State}}", cid],
                                                     capture_output=True, text=True, check=True).stdout)
                      for service in services for cid in self.container_ids(service)}
            if states and all(s.get("Health", {}).get("Status") == "healthy" for s in states.values()):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not healthy in {timeout} s: {self('ps').stdout}\n{self('logs', '--tail', '30').stdout}")
            time.sleep(1)  # polling Docker's own health state: there is nothing to wait on instead


# CODEARENA_TEST_LANGUAGES=all make test-deploy: the image with every language (about 5 GB, minutes to build).
LANGUAGES = os.environ.get("CODEARENA_TEST_LANGUAGES", "core")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if shutil.which("docker-compose") is None or subprocess.run(["docker", "info"], capture_output=True).returncode:
        missing("Docker and docker-compose", "../shared/tools/docker-offline.sh redis:7-alpine postgres:15-alpine")
    platform_port, service_port = free_port(), free_port()
    env_file = tmp_path_factory.mktemp("compose") / ".env"
    token, password = secrets.token_urlsafe(32), "adminpass-" + secrets.token_hex(6)
    env_file.write_text("\n".join([
        f"EXECUTION_SERVICE_TOKEN={token}", f"JWT_SECRET={secrets.token_urlsafe(48)}",
        f"POSTGRES_PASSWORD={secrets.token_hex(12)}", f"PLATFORM_PUBLISH=127.0.0.1:{platform_port}",
        f"EXECUTION_SERVICE_PUBLISH=127.0.0.1:{service_port}", "WORKERS=2", "WORKER_CPUS=1", "WORKER_MEMORY=2g",
        f"CODEARENA_LANGUAGES={LANGUAGES}",
    ]) + "\n")
    compose = Compose(env_file, f"codearena-test-{uuid.uuid4().hex[:8]}")
    try:
        compose("up", "-d", "--build")
        compose.wait_healthy(["redis", "postgres", "execution-service", "worker", "platform"])
        compose("exec", "-T", "platform", "codearena", "users", "create", "admin", "--admin", "--password-stdin",
                input=password + "\n")
        compose("exec", "-T", "platform", "codearena", "problems", "import", "examples/aplusb")
        login = httpx.post(f"http://127.0.0.1:{platform_port}/api/auth/login",
                           json={"username": "admin", "password": password}).json()
        client = httpx.Client(base_url=f"http://127.0.0.1:{platform_port}", timeout=120,
                              headers={"Authorization": "Bearer " + login["token"]})
        service = httpx.Client(base_url=f"http://127.0.0.1:{service_port}", timeout=30,
                               headers={"Authorization": "Bearer " + token})
        yield compose, client, service
        client.close()
        service.close()
    finally:
        compose("down", "-v", "--remove-orphans", check=False)


def test_the_stack_is_up_in_queue_mode_with_two_workers_of_one_slot_each(stack):
    _, client, service = stack
    status = client.get("/api/execution/status").json()
    assert status["mode"] == "queue" and status["queueServiceAvailable"] is True
    health = service.get("/health").json()
    # WORKER_CPUS=1: each worker's slot count comes from its container's CPU quota, not the host's cores.
    assert health["status"] == "healthy" and health["workers"] == 2 and health["slots"] == 2


def test_every_language_runs_through_the_queue(stack):
    compose, client, _ = stack
    for language, program in PROGRAMS.items():
        answer = client.post("/api/execute", json={"code": program, "language": language, "input": "compose"}).json()
        assert (answer["verdict"], answer["stdout"]) == ("AC", "compose\n"), (language, answer)
    logs = compose("logs", "platform").stdout
    assert "Using execution service in queue mode" in logs
    assert "falling back to direct execution" not in logs, "a run fell back to direct execution"


def test_the_limits_hold_inside_a_container(stack):
    """Memory by cgroup, CPU time by a kill of another uid's process, processes by the pids cap."""
    compose, client, _ = stack
    cases = [  # (request, the verdicts that show the limit held)
        ({"code": "x = bytearray(600 * 1024 * 1024)\nprint(len(x))", "memoryLimit": 128}, {"MLE"}),
        ({"code": "while True:\n    pass", "timeLimit": 1}, {"TLE"}),
        ({"code": "import os\nwhile True:\n    os.fork()", "timeLimit": 2}, {"RE", "TLE"}),  # a fork bomb
    ]
    for request, verdicts in cases:
        answer = client.post("/api/execute", json={"language": "python", **request}).json()
        assert answer["verdict"] in verdicts, (request, answer)
    assert client.post("/api/execute", json={"language": "python", "code": "print(1)"}).json()["verdict"] == "AC"
    # The image's languages: the core ones (each self-tested), or with LANGUAGES=all every one of the catalog.
    doctor = compose("exec", "-T", "worker", "codearena", "doctor", *(["--all"] if LANGUAGES == "all" else [])).stdout
    assert "cgroup v" in doctor and "unavailable" not in doctor and "fail" not in doctor, doctor


def test_a_judged_submission_to_the_imported_example(stack):
    _, client, _ = stack
    problem = next(p for p in client.get("/api/problems").json() if p["slug"] == "aplusb")
    judged = client.post("/api/submissions", params={"wait": 60},
                         json={"problemId": problem["id"], "language": "python", "code": A_PLUS_B}).json()
    assert judged["verdict"] == "AC", judged


def test_the_probes_need_no_token(stack):
    _, client, service = stack
    assert httpx.get(client.base_url.join("/readyz")).json() == {"status": "ready"}
    assert httpx.get(service.base_url.join("/readyz")).json() == {"status": "ready"}
    assert httpx.get(service.base_url.join("/health")).status_code == 401


def test_the_web_app_and_its_editor_are_in_the_image(stack):
    _, client, _ = stack
    page = httpx.get(client.base_url.join("/"))
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    editor = httpx.get(client.base_url.join("/app/vendor/codemirror/codemirror.js"))
    assert editor.status_code == 200 and "CodeMirror" in editor.text


def test_a_worker_that_stops_is_restarted(stack):
    compose, _, _ = stack
    container = compose.container_ids("worker")[0]
    inspect = ["docker", "inspect", "--format", "{{.RestartCount}}", container]
    before = int(subprocess.run(inspect, capture_output=True, text=True, check=True).stdout)
    compose("exec", "-T", "--index=1", "worker", "sh", "-c", "kill -TERM 1")  # the worker finishes and exits
    deadline = time.monotonic() + 180
    while int(subprocess.run(inspect, capture_output=True, text=True, check=True).stdout) == before:
        assert time.monotonic() < deadline, "the worker container was not restarted"
        time.sleep(1)  # Docker's restart count: polled, nothing to wait on
    compose.wait_healthy(["worker"])
