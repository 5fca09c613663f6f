"""POST /api/execute: every language, the verdicts users meet, and the guards around execution."""

from __future__ import annotations

import threading
import uuid

import httpx
import pytest

from codearena.execution import ExecutionSettings

from .conftest import HELLO, LANGUAGES, start_server

RESULT_KEYS = {"success", "verdict", "message", "stdout", "stderr", "compileOutput", "exitCode", "signal", "time",
               "wallTime", "memory", "language", "rawStdout", "rawStderr"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_hello_in_every_language(alice, language):
    answer = alice.post("/api/execute", json={"code": HELLO[language], "language": language, "input": "arena"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == RESULT_KEYS
    assert body["verdict"] == "AC" and body["success"] is True
    assert body["stdout"] == "hello arena\n"
    assert body["exitCode"] == 0 and body["language"] == language
    assert body["time"] > 0 and body["wallTime"] > 0 and body["memory"] > 0


def test_language_aliases_are_accepted(alice):
    answer = alice.post("/api/execute", json={"code": "console.log(1)", "language": "node"})
    assert answer.json()["verdict"] == "AC" and answer.json()["language"] == "javascript"


@pytest.mark.parametrize("language, code, verdict, field, text", [
    ("c", "int main( {", "CE", "compileOutput", "error"),
    ("python", "raise SystemExit(3)", "RE", "exitCode", 3),
    ("python", "import os\nos.kill(os.getpid(), 11)", "RE", "signal", 11),
    ("cpp", "int main(){for(;;);}", "TLE", "verdict", "TLE"),
    ("python", "x = bytearray(400 * 1024 * 1024)", "MLE", "verdict", "MLE"),
])
def test_failures_are_verdicts_not_errors(alice, language, code, verdict, field, text):
    answer = alice.post("/api/execute", json={"code": code, "language": language, "timeLimit": 1, "memoryLimit": 64})
    assert answer.status_code == 200
    body = answer.json()
    assert body["verdict"] == verdict and body["success"] is False
    assert (text in body[field]) if isinstance(text, str) and field != "verdict" else body[field] == text


def test_unknown_language_lists_the_supported_ones(alice):
    answer = alice.post("/api/execute", json={"code": "x", "language": "whitespace"})
    assert answer.status_code == 422
    assert "whitespace" in answer.json()["detail"]
    for language in LANGUAGES:
        assert language in answer.json()["detail"]


@pytest.mark.parametrize("body, field", [
    ({"language": "python"}, "code"),
    ({"code": "print(1)"}, "language"),
    ({"code": "print(1)", "language": "python", "timeLimit": 999}, "timeLimit"),
    ({"code": 5, "language": "python"}, "code"),
])
def test_invalid_requests_name_the_field(alice, body, field):
    answer = alice.post("/api/execute", json=body)
    assert answer.status_code == 422
    assert field in answer.json()["detail"]


def test_malformed_json_is_422_not_500(alice):
    answer = alice.post("/api/execute", content=b"{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 422


def test_code_and_input_over_their_caps_are_413(alice, server):
    settings = server.services.common
    big_code = alice.post("/api/execute", json={"code": "#" * (settings.max_code_bytes + 1), "language": "python"})
    assert big_code.status_code == 413 and str(settings.max_code_bytes) in big_code.json()["detail"]
    big_input = alice.post("/api/execute", json={"code": "pass", "language": "python",
                                                 "input": "1" * (settings.max_input_bytes + 1)})
    assert big_input.status_code == 413 and "input" in big_input.json()["detail"]


def test_request_bodies_over_the_cap_are_413_declared_or_chunked(alice, server):
    limit = server.services.settings.max_body_bytes
    declared = alice.post("/api/execute", content=b"x" * (limit + 1), headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and str(limit) in declared.json()["detail"]

    def chunks():
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    chunked = alice.post("/api/execute", content=chunks(), headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413


def test_openapi_documents_the_result_fields(anonymous):
    assert anonymous.get("/docs").status_code == 200
    schema = anonymous.get("/openapi.json").json()["components"]["schemas"]["ExecutionResultOut"]
    assert set(schema["properties"]) == RESULT_KEYS
    assert "KB" in schema["properties"]["memory"]["description"]


def test_rate_limit_answers_429_with_retry_after(database_url, sandbox):
    with start_server(database_url, sandbox, rate_limit="2/minute") as running:
        running.add_user("limited")
        with running.client("limited") as client:
            request = {"code": "print(1)", "language": "python"}
            assert [client.post("/api/execute", json=request).status_code for _ in range(2)] == [200, 200]
            limited = client.post("/api/execute", json=request)
            assert limited.status_code == 429
            assert int(limited.headers["Retry-After"]) >= 1
            assert "2/minute" in limited.json()["detail"]


def test_a_running_program_blocks_neither_the_server_nor_beyond_capacity(database_url, sandbox):
    """One slot, no waiting line: while a program runs, health still answers at once, and a
    second execution is turned away with 503 + Retry-After instead of queueing without end."""
    execution = ExecutionSettings(direct_concurrency=1, direct_max_waiting=0)
    with start_server(database_url, sandbox, execution=execution) as running:
        running.add_user("runner")
        direct = running.services.execution.direct
        with running.client("runner") as client, running.client("runner") as second:
            outcome = {}
            slow = {"code": "while True: pass", "language": "python", "timeLimit": 3}
            worker = threading.Thread(target=lambda: outcome.update(first=client.post("/api/execute", json=slow)))
            worker.start()
            try:
                while direct.in_flight == 0 and worker.is_alive():
                    threading.Event().wait(0.005)  # waiting for the first run to be admitted
                health = httpx.get(running.url + "/api/health", timeout=5)
                assert health.status_code == 200
                busy = second.post("/api/execute", json={"code": "print(1)", "language": "python"})
                assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
                assert "first" not in outcome  # the slow run was still going all along
            finally:
                worker.join()
            assert outcome["first"].json()["verdict"] == "TLE"


def test_output_that_is_not_utf8_keeps_its_exact_bytes(alice):
    import base64

    body = alice.post("/api/execute", json={"code": "import sys; sys.stdout.buffer.write(b'ok\\xff\\xfe')",
                                            "language": "python"}).json()
    assert body["stdout"] == "ok\ufffd\ufffd" and base64.b64decode(body["rawStdout"]) == b"ok\xff\xfe"
    assert body["rawStderr"] is None
    plain = alice.post("/api/execute", json={"code": "print('fine')", "language": "python"}).json()
    assert plain["rawStdout"] is None and plain["stdout"] == "fine\n"


def test_a_random_jwt_secret_is_announced_at_start(tmp_path, sandbox, caplog):
    from .conftest import start_server

    with caplog.at_level("WARNING", logger="codearena.platform_app"):
        with start_server(f"sqlite:///{tmp_path}/jwt.db", sandbox, jwt_secret=None, node_env="development"):
            pass
    assert any("JWT_SECRET is not set" in record.getMessage() for record in caplog.records)


def test_a_module_run_counts_each_of_its_runs_against_the_rate_limit(database_url, sandbox):
    with start_server(database_url, sandbox, rate_limit="4/minute") as running:
        suffix = uuid.uuid4().hex[:8]  # the database is shared by the session's servers
        running.add_user(f"author{suffix}", role="admin")
        running.add_user(f"learner{suffix}")
        with running.client(f"author{suffix}") as admin, running.client(f"learner{suffix}") as learner:
            module = admin.post("/api/modules", json={
                "title": "m", "language": "python", "starterCode": "print(input())", "stdin": "a",
                "tests": [{"input": x, "expectedOutput": x} for x in ("b", "c", "d")]}).json()
            ran = learner.post("/api/modules/execute", json={"moduleId": module["id"]})
            assert ran.status_code == 200 and ran.json()["tests"]["passed"] == 3  # 1 run + 3 tests = 4
            limited = learner.post("/api/execute", json={"code": "print(1)", "language": "python"})
            assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


def test_replicas_share_the_rate_limit_through_redis(database_url, sandbox):
    """RATE_LIMIT_STORAGE_URL=redis://...: two platform replicas count one user's runs together."""
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"  # this test's own database: its keys are cleared first
    store = redis.Redis.from_url(url)
    for key in store.scan_iter("LIMITS*"):
        store.delete(key)
    shared = dict(rate_limit="2/minute", rate_limit_storage_url=url)
    with start_server(database_url, sandbox, **shared) as one, start_server(database_url, sandbox, **shared) as two:
        name = f"shared-{uuid.uuid4().hex[:8]}"
        one.add_user(name)
        request = {"code": "print(1)", "language": "python"}
        with one.client(name) as first, two.client(name) as second:
            assert first.post("/api/execute", json=request).status_code == 200
            assert second.post("/api/execute", json=request).status_code == 200
            limited = first.post("/api/execute", json=request)
        assert limited.status_code == 429, limited.text
        assert any(key.startswith(b"LIMITS") for key in store.scan_iter("LIMITS*"))


@pytest.mark.parametrize("version, implementation", [(None, "CPython"), ("pypy", "PyPy"), ("3.9", "PyPy"),
                                                     ("cpython", "CPython")])
def test_the_request_chooses_the_version(alice, version, implementation):
    answer = alice.post("/api/execute", json={"code": "import platform\nprint(platform.python_implementation())",
                                              "language": "python", "version": version})
    assert answer.status_code == 200, answer.text
    assert answer.json()["stdout"] == implementation + "\n"


def test_an_unknown_version_names_the_installed_ones(alice):
    answer = alice.post("/api/execute", json={"code": "int main(){}", "language": "c", "version": "tcc"})
    assert answer.status_code == 422
    assert "tcc" in answer.json()["detail"] and "Clang" in answer.json()["detail"]
