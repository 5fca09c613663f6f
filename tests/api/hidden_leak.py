"""The hidden-test leak, as an attacker would try it: a program that prints its stdin, writes it
to stderr and spells it back through its exit code. Shared by the direct-mode API tests and the
queue-mode integration tests, so both modes are held to the same rule."""

from __future__ import annotations

import json
import uuid

import httpx

HIDDEN_INPUT = "HIDDENINPUT_alpha"
HIDDEN_ANSWER = "HIDDENANSWER_42"
SPILLER = (
    "import sys\n"
    "data = sys.stdin.read()\n"
    "print(data)\n"
    "print(data, file=sys.stderr)\n"
    "sys.exit(ord(data[12]) if data.startswith('HIDDEN') else 0)\n"
)


def leaky_problem(admin: httpx.Client) -> dict:
    body = {
        "slug": "leak-" + uuid.uuid4().hex[:8], "title": "Echo", "statement": "Print the answer.",
        "timeLimit": 2, "memoryLimit": 256,
        "tests": [
            {"name": "sample", "input": "SAMPLEINPUT\n", "expectedOutput": "SAMPLEINPUT\n", "sample": True},
            {"name": "secret-name", "input": HIDDEN_INPUT + "\n", "expectedOutput": HIDDEN_ANSWER + "\n",
             "points": 1},
        ],
    }
    answer = admin.post("/api/problems", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def assert_nothing_hidden(text: str) -> None:
    for secret in (HIDDEN_INPUT, HIDDEN_ANSWER, "secret-name"):  # the exit code: `hidden == {...}` below
        assert secret not in text, f"{secret!r} reached a user: {text}"


def check_hidden_tests_stay_hidden(admin: httpx.Client, user: httpx.Client) -> None:
    problem = leaky_problem(admin)
    for code in (SPILLER, "print(input())\n"):  # fails the hidden test by RE, then by WA
        posted = user.post("/api/submissions?wait=60", json={"problemId": problem["id"], "code": code,
                                                               "language": "python"})
        assert posted.status_code == 201, posted.text
        submission = posted.json()
        assert submission["verdict"] in ("RE", "WA"), submission
        sample, hidden = submission["tests"]
        # The sample keeps every detail; the hidden test shows only number, verdict, figures, points.
        assert sample["sample"] is True and sample["stdout"].startswith("SAMPLEINPUT")
        assert hidden == {"name": "2", "verdict": submission["verdict"], "message": hidden["message"],
                          "time": hidden["time"], "wallTime": hidden["wallTime"], "memory": hidden["memory"],
                          "points": 0.0, "sample": False, "exitCode": None, "signal": None, "input": None,
                          "expectedOutput": None, "stdout": None, "stderr": None}
        assert submission["message"].startswith(f"{submission['verdict']} on test 2")
        # Every way a user can read it: the POST's answer, GET (with wait), the list, the events.
        read = user.get(f"/api/submissions/{submission['id']}?wait=1")
        listed = user.get("/api/submissions", params={"problemId": problem["id"]})
        events = user.get(f"/api/submissions/{submission['id']}/events", timeout=60)  # the live stream, whole
        for answer in (posted, read, listed, events):
            assert answer.status_code == 200 or answer.status_code == 201
            assert_nothing_hidden(answer.text)
        assert "event: done" in events.text
        assert read.json() == submission
        # Admins see everything.
        full = admin.get(f"/api/submissions/{submission['id']}").json()
        assert full["tests"][1]["name"] == "secret-name" and HIDDEN_INPUT in json.dumps(full)
