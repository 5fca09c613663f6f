"""Jobs over HTTP, run by real workers: every language, single runs and judging."""

from __future__ import annotations

import httpx
import pytest

from codearena.service import waiters
from codearena.service.store import ServiceStore

from ..api.conftest import A_PLUS_B, HELLO, LANGUAGES
from ..support import free_port

TESTS = [{"name": "1", "input": "1 2\n", "expected_output": "3\n"},
         {"name": "2", "input": "40 2\n", "expected_output": "42\n"}]


@pytest.fixture
def worker(queue):
    return queue.start_worker(concurrency=2)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_run_in_every_language(client, worker, language):
    answer = client.post("/jobs", params={"wait": 60}, json={"language": language, "source": HELLO[language],
                                                              "stdin": "queue"})
    assert answer.status_code == 200, answer.text
    record = answer.json()
    assert record["state"] == "done" and record["kind"] == "run" and record["attempts"] == 1
    assert f":{worker.pid}:" in record["worker"]  # a worker ran it, not the service
    assert record["result"]["verdict"] == "AC" and record["result"]["stdout"] == "hello queue\n"
    assert answer.headers["Location"] == f"/jobs/{record['id']}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_judging_in_every_language(client, worker, language):
    answer = client.post("/jobs", params={"wait": 60}, json={"kind": "judge", "language": language,
                                                              "source": A_PLUS_B[language], "tests": TESTS})
    record = answer.json()
    assert record["state"] == "done" and record["priority"] == "bulk"
    assert record["result"]["verdict"] == "AC"
    assert [t["name"] for t in record["result"]["tests"]] == ["1", "2"]


def test_submit_then_follow_with_get(client, worker):
    created = client.post("/jobs", json={"language": "python", "source": "print(6*7)"})
    assert created.status_code == 202
    job_id = created.json()["id"]
    record = client.get(f"/jobs/{job_id}", params={"wait": 60}).json()
    assert record["state"] == "done" and record["result"]["stdout"] == "42\n"
    assert client.get(f"/jobs/{job_id}").json() == record  # stored, read back the same


@pytest.mark.parametrize("size", [10, 200_000], ids=["inline", "read back"])
def test_a_waited_answer_is_the_record_stored(client, worker, queue, size):
    """A small result's record comes with the done message (the waiter reads nothing back), a big
    one's is read back: either way the answer is the record a GET reads afterwards."""
    subscription = queue.redis.pubsub()
    subscription.subscribe(queue.keys.done_channel)
    try:
        assert subscription.get_message(timeout=10)["type"] == "subscribe"  # subscribed before the job exists
        answer = client.post("/jobs", params={"wait": 60}, json={"language": "python",
                                                                  "source": f"print('x' * {size})"})
        record = answer.json()
        assert answer.status_code == 200 and record["state"] == "done", answer.text
        assert record["result"]["stdout"].startswith("x" * 10)
        assert client.get(f"/jobs/{record['id']}").json() == record
        message = subscription.get_message(timeout=10)
        assert message is not None and message["data"].split(" ", 1)[0] == record["id"]
        assert (" " in message["data"]) == (size == 10)
    finally:
        subscription.close()


# The test named slow sleeps until its wall limit: the others are judged long before the judging can end.
SLOW_SECOND = "import time\nn = input()\nif n == 'slow':\n    time.sleep(60)\nprint(n)"
PROGRESS_TESTS = [{"name": "fast", "input": "quick\n", "expected_output": "quick\n"},
                  {"name": "slow", "input": "slow\n", "expected_output": "slow\n"}]


def test_a_judgings_tests_arrive_as_its_worker_finishes_them(client, worker):
    job = {"kind": "judge", "language": "python", "source": SLOW_SECOND, "tests": PROGRESS_TESTS,
           "limits": {"cpu_time": 1, "wall_time": 5}}
    first = client.post("/jobs", params={"wait": 60, "progress_after": 0}, json=job).json()
    # Answered at the first test: the second one is still sleeping.
    assert first["state"] == "running" and first["progress_count"] == 1, first
    assert [(t["name"], t["verdict"]) for t in first["progress"]] == [("fast", "AC")]
    assert client.get(f"/jobs/{first['id']}", params={"progress_after": 1}).json()["progress"] == []
    second = client.get(f"/jobs/{first['id']}", params={"wait": 60, "progress_after": 1}).json()
    assert [(t["name"], t["verdict"]) for t in second["progress"]] == [("slow", "TLE")], second
    done = client.get(f"/jobs/{first['id']}", params={"wait": 60}).json()
    assert done["state"] == "done" and done["progress"] is None  # only when asked for
    assert done["result"]["tests"] == first["progress"] + second["progress"]  # the same results, live and at the end


# Test two ends 0.3 s after test one, far past a service's turnaround; test three outlasts both.
STAGGERED = "import time\nn = input()\nif n == 'two':\n    time.sleep(0.3)\nif n == 'slow':\n    time.sleep(60)\nprint(n)"
STAGGERED_TESTS = [{"name": name, "input": f"{name}\n", "expected_output": f"{name}\n"} for name in ("one", "two", "slow")]


def test_a_progress_answer_waits_a_moment_for_the_tests_that_follow(client, worker, monkeypatch):
    """After a new test, a progress answer waits PROGRESS_LINGER for more (50 ms: quick tests
    come in one answer, not a round trip each); here 2 s, so that test two, 0.3 s after test one,
    is in the first answer while the slow test still runs."""
    monkeypatch.setattr(waiters, "PROGRESS_LINGER", 2.0)  # the service runs in this process
    job = {"kind": "judge", "language": "python", "source": STAGGERED, "tests": STAGGERED_TESTS,
           "limits": {"cpu_time": 1, "wall_time": 5}}
    first = client.post("/jobs", params={"wait": 60, "progress_after": 0}, json=job).json()
    assert first["state"] == "running", first
    assert [(t["name"], t["verdict"]) for t in first["progress"]] == [("one", "AC"), ("two", "AC")], first
    done = client.get(f"/jobs/{first['id']}", params={"wait": 60, "progress_after": 2}).json()
    assert done["state"] == "done" and [(t["name"], t["verdict"]) for t in done["progress"]] == [("slow", "TLE")]


QUICK_TESTS = [{"name": str(n), "input": f"{n}\n", "expected_output": f"{n}\n"} for n in range(6)]


@pytest.fixture
def record_reads(monkeypatch):
    """How many times the service (in this process) reads a job's record back from Redis."""
    reads = []
    original = ServiceStore.record

    async def counted(self, job_id, progress_after=None):
        reads.append(job_id)
        return await original(self, job_id, progress_after)

    monkeypatch.setattr(ServiceStore, "record", counted)
    return reads


def test_a_judgings_tests_wake_no_read_of_its_record(client, worker, record_reads):
    """Each test judged wakes the job's waiters; one waiting for the end reads nothing for it (the
    end's news carries the record). Before, each test's wake-up read it."""
    record = client.post("/jobs", params={"wait": 60}, json={
        "kind": "judge", "language": "python", "source": "print(input())", "tests": QUICK_TESTS}).json()
    assert record["state"] == "done" and record["result"]["verdict"] == "AC", record
    assert len(record["result"]["tests"]) == len(QUICK_TESTS)
    assert record_reads == []


def test_a_progress_waiter_reads_once_for_the_tests_of_its_linger(client, worker, record_reads, monkeypatch):
    """A waiter for progress reads the job when its linger ends, not at each test within it."""
    monkeypatch.setattr(waiters, "PROGRESS_LINGER", 2.0)
    tests = [*QUICK_TESTS, {"name": "slow", "input": "slow\n", "expected_output": "slow\n"}]
    first = client.post("/jobs", params={"wait": 60, "progress_after": 0}, json={
        "kind": "judge", "language": "python", "source": SLOW_SECOND, "tests": tests,
        "limits": {"cpu_time": 1, "wall_time": 5}}).json()
    assert first["state"] == "running", first
    assert [t["name"] for t in first["progress"]] == [t["name"] for t in QUICK_TESTS], first
    assert len(record_reads) <= 2  # at the linger's end (twice if its timer fires a hair early)


def test_wrong_answer_compile_error_and_time_limit_are_results(client, worker):
    wrong = client.post("/jobs", params={"wait": 60}, json={
        "kind": "judge", "language": "python", "source": "print(3)", "tests": TESTS}).json()
    assert wrong["result"]["verdict"] == "WA" and "test 2" in wrong["result"]["message"]
    compile_error = client.post("/jobs", params={"wait": 60}, json={"language": "cpp", "source": "int main( {"}).json()
    assert compile_error["result"]["verdict"] == "CE"
    slow = client.post("/jobs", params={"wait": 60}, json={"language": "c", "source": "int main(){for(;;);}",
                                                            "limits": {"cpu_time": 0.5}}).json()
    assert slow["result"]["verdict"] == "TLE"


@pytest.mark.parametrize("body, status, text", [
    ({"language": "whitespace", "source": "x"}, 422, "python"),
    ({"language": "python"}, 422, "source"),
    ({"kind": "judge", "language": "python", "source": "x"}, 422, "test"),
    ({"language": "python", "source": "x", "limits": {"cpu_time": 999}}, 422, "cpu_time"),
    ({"language": "python", "source": "x", "checker": {"type": "custom"}}, 422, "checker"),
    ({"language": "python", "source": "#" * (64 * 1024 + 1)}, 413, "source"),
    ({"language": "python", "source": "x", "surprise": 1}, 422, "surprise"),
])
def test_invalid_jobs_say_what_to_fix(client, body, status, text):
    answer = client.post("/jobs", json=body)
    assert answer.status_code == status
    assert text in answer.json()["detail"]


@pytest.mark.parametrize("body, text", [
    ('{"language": "python", "source": "\\ud800"}', "source"),
    ('{"language": "python", "source": "print(1)", "stdin": "\\ud800"}', "stdin"),
    ('{"kind": "judge", "language": "python", "source": "print(1)", "tests": [{"name": "1", "input": "", "expected_output": "\\udfff"}]}',
     "tests.0.expected_output"),
])
def test_lone_surrogates_are_a_422_naming_the_field(client, body, text):
    answer = client.post("/jobs", content=body.encode(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith(text) and "surrogate" in answer.json()["detail"]


def test_unknown_job_is_404(client):
    assert client.get("/jobs/nope").status_code == 404
    assert client.delete("/jobs/nope").status_code == 404


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"X-Service-Token": "wrong"},
                                     {"Authorization": "Basic dGVzdC1zZXJ2aWNlLXRva2Vu"}])
@pytest.mark.parametrize("method, path", [("post", "/jobs"), ("get", "/jobs/x"), ("delete", "/jobs/x"),
                                          ("get", "/health"), ("get", "/metrics"), ("get", "/languages"),
                                          ("get", "/docs"), ("get", "/openapi.json")])
def test_nothing_gets_in_without_the_token(queue, headers, method, path):
    with queue.service.client(token=None) as anonymous:
        answer = getattr(anonymous, method)(path, headers=headers,
                                            **({"json": {"language": "python", "source": "print(1)"}}
                                               if method == "post" else {}))
    assert answer.status_code == 401


def test_probes_answer_without_the_token_and_say_nothing_more(queue):
    with queue.service.client(token=None) as anonymous:
        assert anonymous.get("/livez").json() == {"status": "ok"}
        ready = anonymous.get("/readyz")
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}
        for near in ("/livez/x", "/readyz/", "/livezz", "/health"):  # only the exact paths are open
            assert anonymous.get(near).status_code == 401, near


def test_the_service_refuses_to_start_without_a_token(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "EXECUTION_SERVICE_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "codearena", "execution-service"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "EXECUTION_SERVICE_TOKEN" in result.stderr


def test_languages_health_and_metrics(client, queue):
    """Each process exports its own metrics: the worker the jobs it ran, the service the queue's state."""
    port = free_port()
    queue.start_worker(concurrency=2, WORKER_METRICS_PORT=str(port))
    languages = client.get("/languages").json()
    from codearena.languages import LANGUAGES as CATALOG

    assert set(LANGUAGES) <= {lang["id"] for lang in languages} == {lang.id for lang in CATALOG}
    assert all(lang["version"] for lang in languages)
    client.post("/jobs", params={"wait": 60}, json={"language": "python", "source": "print(1)"})
    health = client.get("/health").json()
    assert health["status"] == "healthy" and health["redis"] == "connected"
    assert health["workers"] == 1 and health["slots"] == 2 and health["backlog"] == {"interactive": 0, "bulk": 0}
    worker_metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    assert 'codearena_jobs_total{outcome="AC"} 1.0' in worker_metrics
    assert "codearena_job_run_seconds_count 1.0" in worker_metrics
    metrics = client.get("/metrics").text
    assert 'codearena_queue_depth{priority="interactive"} 0.0' in metrics
    assert "codearena_workers_alive 1.0" in metrics
