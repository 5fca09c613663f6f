"""The guide's checklist, queue mode: every endpoint and language really runs on a worker, and
the answers are the ones direct mode gives."""

from __future__ import annotations

import pytest

from ..api.conftest import A_PLUS_B, HELLO, LANGUAGES
from ..api.hidden_leak import check_hidden_tests_stay_hidden
from ..api.submission_events import check_tests_arrive_while_judging
from ..api.test_problems import problem_body
from .conftest import platform

VARYING = {"time", "wallTime", "memory", "createdAt", "judgedAt", "id"}


def stable(value):
    """A response without the figures that differ run to run (times, memory, ids)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VARYING}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def ran_on_workers(queue) -> int:
    return sum(1 for key in queue.redis.scan_iter(match=queue.keys.job("*")) if queue.redis.hget(key, "worker"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_endpoint_runs_on_a_worker(stack, language):
    queue, server = stack
    facade = server.services.execution.executor
    with server.client("admin") as admin, server.client("alice") as alice:
        problem = admin.post("/api/problems", json=problem_body()).json()
        module = admin.post("/api/modules", json={"title": "m", "language": language, "starterCode": HELLO[language],
                                                  "stdin": "mod", "tests": [{"input": "x", "expectedOutput": "hello x"}]}).json()
        before = ran_on_workers(queue)
        executed = alice.post("/api/execute", json={"code": HELLO[language], "language": language, "input": "q"}).json()
        assert executed["verdict"] == "AC" and executed["stdout"] == "hello q\n"
        sampled = alice.post("/api/problems/run", json={"problemId": problem["id"], "code": A_PLUS_B[language],
                                                        "language": language}).json()
        assert sampled["verdict"] == "AC" and sampled["passed"] == 2
        submitted = alice.post("/api/submissions?wait=60", json={"problemId": problem["id"], "code": A_PLUS_B[language],
                                                                 "language": language}).json()
        assert submitted["verdict"] == "AC" and submitted["score"] == 10
        in_module = alice.post("/api/modules/execute", json={"moduleId": module["id"]}).json()
        assert in_module["stdout"] == "hello mod\n" and in_module["tests"]["verdict"] == "AC"
    # 5 executions (the module runs the code and judges it), every one on a worker: no silent fallback.
    assert facade.stats["fallback"] == 0
    assert ran_on_workers(queue) - before == 5


def test_sample_runs_are_interactive_and_submissions_bulk_in_the_queue(stack):
    queue, server = stack
    with server.client("admin") as admin, server.client("alice") as alice:
        problem = admin.post("/api/problems", json=problem_body()).json()
        seen = set(queue.redis.scan_iter(match=queue.keys.job("*")))

        def new_job_priority() -> str:
            return "".join(new_job_priorities())

        def new_job_priorities() -> list[str]:
            keys = set(queue.redis.scan_iter(match=queue.keys.job("*"))) - seen
            seen.update(keys)
            return sorted(queue.redis.hget(key, "priority") for key in keys)

        body = {"problemId": problem["id"], "code": A_PLUS_B["python"], "language": "python"}
        assert alice.post("/api/problems/run", json=body).json()["verdict"] == "AC"
        assert new_job_priority() == "interactive"  # someone is waiting for it
        assert alice.post("/api/submissions?wait=60", json=body).json()["verdict"] == "AC"
        assert new_job_priority() == "bulk"
        assert alice.post("/api/execute", json={"code": "print(1)", "language": "python"}).json()["verdict"] == "AC"
        assert new_job_priority() == "interactive"
        module = admin.post("/api/modules", json={"title": "m", "language": "python", "starterCode": "print(input())",
                                                  "stdin": "x", "tests": [{"input": "y", "expectedOutput": "y"}]}).json()
        assert alice.post("/api/modules/execute", json={"moduleId": module["id"]}).json()["tests"]["verdict"] == "AC"
        assert new_job_priorities() == ["interactive", "interactive"]  # its run and its tests


def test_same_request_same_response_in_both_modes(stack, sandbox, tmp_path):
    from codearena.execution import ExecutionSettings

    queue, queued = stack
    requests = [
        ("/api/execute", {"code": HELLO["python"], "language": "python", "input": "same"}),
        ("/api/execute", {"code": "int main( {", "language": "c"}),  # compile error
        ("/api/execute", {"code": "import sys\nprint('out')\nsys.exit(4)", "language": "python"}),  # runtime error
        ("/api/execute", {"code": "int main(){for(;;);}", "language": "cpp", "timeLimit": 0.5}),  # time limit
        ("/api/execute", {"code": "x = bytearray(300 * 1024 * 1024)", "language": "python", "memoryLimit": 64}),
        ("/api/execute", {"code": "console.log(JSON.stringify({a: 1}))", "language": "javascript"}),
    ]
    with platform(tmp_path, sandbox, ExecutionSettings(mode="direct")) as direct:
        direct.add_user("alice")
        with direct.client("alice") as via_direct, queued.client("alice") as via_queue:
            for path, body in requests:
                a, b = via_direct.post(path, json=body), via_queue.post(path, json=body)
                assert a.status_code == b.status_code == 200
                assert stable(a.json()) == stable(b.json()), body
                assert set(a.json()) == set(b.json())
    assert queued.services.execution.executor.stats["fallback"] == 0 and queued.services.execution.executor.stats["queue"] == len(requests)


def test_judging_answers_match_in_both_modes(stack, sandbox, tmp_path):
    from codearena.execution import ExecutionSettings

    _, queued = stack
    with platform(tmp_path, sandbox, ExecutionSettings(mode="direct")) as direct:
        direct.add_user("admin", role="admin")
        direct.add_user("alice")
        answers = []
        for server in (direct, queued):
            with server.client("admin") as admin, server.client("alice") as alice:
                problem = admin.post("/api/problems", json=problem_body(slug="same")).json()
                body = {"problemId": problem["id"], "code": "print(3)", "language": "python"}
                answers.append((stable(alice.post("/api/problems/run", json=body).json()),
                                stable(alice.post("/api/submissions?wait=60", json=body).json())))
    assert answers[0][0] == answers[1][0]
    direct_submission, queued_submission = answers[0][1], answers[1][1]
    assert direct_submission == {**queued_submission, "userId": direct_submission["userId"],
                                 "problemId": direct_submission["problemId"]}


def test_hidden_tests_stay_hidden_in_queue_mode(stack):
    _, server = stack
    with server.client("admin") as admin, server.client("alice") as alice:
        check_hidden_tests_stay_hidden(admin, alice)
    assert server.services.execution.executor.stats["fallback"] == 0


def test_one_user_cannot_starve_another_in_queue_mode(sandbox, tmp_path):
    import uuid

    
    from ..api.conftest import start_server
    from ..api.fair_share import check_one_user_cannot_starve_another
    from ..queue.conftest import Queue, ServiceServer, queue_settings, remove_prefix, service_app
    from .conftest import queue_mode

    prefix = f"codearena-test-{uuid.uuid4().hex[:10]}"
    with ServiceServer(service_app(queue_settings(prefix))) as service:
        queue = Queue(prefix, service)
        queue.start_worker(concurrency=4)  # sleepers use no CPU: 4 slots on 2 cores
        try:
            with start_server(f"sqlite:///{tmp_path}/fair-queue.db", sandbox, queue_mode(service.url),
                              max_runs_per_user=2) as server:
                server.add_user("attacker")
                server.add_user("victim")
                with server.client("attacker") as attacker, server.client("victim") as victim:
                    check_one_user_cannot_starve_another(server.url, attacker, victim)
                assert server.services.execution.executor.stats["fallback"] == 0
        finally:
            queue.stop_workers()
            remove_prefix(prefix)


def test_a_run_whose_client_went_away_is_stopped_on_its_worker(sandbox, tmp_path):
    import uuid

    
    from ..api.conftest import start_server
    from ..api.fair_share import check_a_run_whose_client_went_away_is_stopped
    from ..queue.conftest import Queue, ServiceServer, queue_settings, remove_prefix, service_app
    from .conftest import queue_mode

    prefix = f"codearena-test-{uuid.uuid4().hex[:10]}"
    with ServiceServer(service_app(queue_settings(prefix))) as service:
        queue = Queue(prefix, service)
        queue.start_worker(concurrency=2)
        try:
            with start_server(f"sqlite:///{tmp_path}/gone-queue.db", sandbox, queue_mode(service.url),
                              max_runs_per_user=1) as server:
                server.add_user("leaver")
                with server.client("leaver") as client:
                    token = client.headers["Authorization"].split()[1]
                check_a_run_whose_client_went_away_is_stopped(server.url, token)
                stopped = [key.rsplit(":", 1)[1] for key in queue.redis.scan_iter(match=queue.keys.job("*"))
                           if queue.redis.hget(key, "stop_requested")]
                assert len(stopped) == 1, stopped
                # The user's place is given back once the stop is asked for; the worker stores
                # the stopped run's result a moment later.
                with service.client() as jobs:
                    record = jobs.get(f"/jobs/{stopped[0]}", params={"wait": 30}).json()
                assert record["state"] == "done" and record["result"]["verdict"] == "IE", record  # the worker stopped it
                assert server.services.execution.executor.stats["fallback"] == 0
        finally:
            queue.stop_workers()
            remove_prefix(prefix)


def test_a_submissions_tests_arrive_from_the_workers_while_it_is_judged(stack):
    queue, server = stack
    server.add_user("bob")
    with server.client("admin") as admin, server.client("alice") as alice, server.client("bob") as bob:
        before = ran_on_workers(queue)
        check_tests_arrive_while_judging(admin, alice, bob)
        assert ran_on_workers(queue) == before + 1  # judged on a worker, told test by test through the service
