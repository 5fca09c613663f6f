"""Following a submission as it is judged (GET /api/submissions/{id}/events): the checks both
modes run, direct (tests/api) and queue (tests/integration)."""

from __future__ import annotations

import json

import httpx

from .test_problems import problem_body

# The second test sleeps for a second of wall time: the first is judged well before the end.
SLOW_SECOND = "import time\na, b = map(int, input().split())\nif a == 40:\n    time.sleep(1.5)\nprint(a + b)"


def slow_problem() -> dict:
    return problem_body(timeLimit=1, tests=[
        {"name": "s1", "input": "1 2\n", "expectedOutput": "3\n", "sample": True},
        {"name": "h1", "input": "40 2\n", "expectedOutput": "42\n", "points": 5},
        {"name": "h2", "input": "-7 -8\n", "expectedOutput": "-15\n", "points": 5},
    ])


def events(client: httpx.Client, submission_id: int):
    """(name, data) of each server-sent event, as they arrive."""
    with client.stream("GET", f"/api/submissions/{submission_id}/events", timeout=60) as answer:
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in answer.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                yield name, json.loads(line.removeprefix("data: "))


def check_tests_arrive_while_judging(admin: httpx.Client, alice: httpx.Client, bob: httpx.Client) -> None:
    problem = admin.post("/api/problems", json=slow_problem()).json()
    submitted = alice.post("/api/submissions", json={"problemId": problem["id"], "language": "python",
                                                     "code": SLOW_SECOND}).json()
    assert bob.get(f"/api/submissions/{submitted['id']}/events").status_code == 404  # not bob's to follow
    seen = []
    for name, data in events(alice, submitted["id"]):
        seen.append((name, data))
        if len(seen) == 1:
            # The sample arrived while the hidden test still sleeps: the submission is being judged.
            assert (name, data["name"], data["verdict"]) == ("test", "s1", "AC"), data
            assert data["stdout"] == "3\n"  # a sample in full
            assert alice.get(f"/api/submissions/{submitted['id']}").json()["status"] == "judging"
    assert [name for name, _ in seen] == ["test", "test", "test", "done"]
    hidden = seen[1][1]
    assert (hidden["name"], hidden["verdict"]) == ("2", "AC") and hidden["stdout"] is None and hidden["input"] is None
    final = seen[-1][1]
    assert final["status"] == "finished" and final["verdict"] == "AC" and final["score"] == 10
    assert final == alice.get(f"/api/submissions/{submitted['id']}").json()
    assert [data for _, data in seen[:3]] == final["tests"]  # live, the tests as they are stored
    # A finished submission answers at once: every test, then done.
    assert [name for name, _ in events(alice, submitted["id"])] == ["test", "test", "test", "done"]
