"""Submissions: stored before judging, judged on every test, always end with a verdict (or IE)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from codearena.platform_app.models import Submission

from .conftest import A_PLUS_B, LANGUAGES, start_server
from .hidden_leak import check_hidden_tests_stay_hidden
from .test_problems import problem_body

SUBMISSION_KEYS = {"id", "problemId", "userId", "language", "status", "verdict", "message", "compileOutput", "score",
                   "maxScore", "time", "memory", "tests", "code", "createdAt", "judgedAt"}


@pytest.fixture
def problem(admin) -> dict:
    return admin.post("/api/problems", json=problem_body()).json()


def test_post_answers_at_once_with_the_pending_submission(alice, problem):
    answer = alice.post("/api/submissions", json={"problemId": problem["id"], "code": A_PLUS_B["python"],
                                                  "language": "python"})
    assert answer.status_code in (201, 202)
    body = answer.json()
    assert set(body) == SUBMISSION_KEYS
    assert answer.headers["Location"] == f"/api/submissions/{body['id']}"
    if answer.status_code == 202:
        assert body["status"] in ("pending", "judging") and body["verdict"] is None
    final = alice.post("/api/submissions?wait=60", json={"problemId": problem["id"], "code": A_PLUS_B["python"],
                                                          "language": "python"}).json()
    assert final["status"] == "finished" and final["verdict"] == "AC"


@pytest.mark.parametrize("language", LANGUAGES)
def test_accepted_in_every_language(alice, problem, language):
    answer = alice.post("/api/submissions?wait=60", json={"problemId": problem["id"], "code": A_PLUS_B[language],
                                                          "language": language})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "finished" and body["verdict"] == "AC", body["message"]
    assert [t["name"] for t in body["tests"]] == ["s1", "s2", "3", "4"]  # hidden tests by number
    assert body["score"] == 10 and body["maxScore"] == 10
    assert body["judgedAt"] is not None and body["time"] > 0 and body["memory"] > 0
    assert alice.get(f"/api/submissions/{body['id']}").json() == body


def test_hidden_test_failures_are_reported_without_their_data(alice, problem):
    body = alice.post("/api/submissions?wait=60", json={"problemId": problem["id"], "language": "python",
                                                        "code": "a,b=map(int,input().split())\nprint(a+b if a<100 else 0)"}).json()
    assert body["verdict"] == "WA" and body["message"] == "WA on test 3 (wrong answer)"
    assert body["score"] == 5
    hidden = body["tests"][2]
    assert hidden["verdict"] == "WA" and hidden.get("input") is None and hidden.get("expectedOutput") is None


def test_compile_error_is_stored_as_ce(alice, problem):
    body = alice.post("/api/submissions?wait=60", json={"problemId": problem["id"], "code": "int main( {",
                                                        "language": "c"}).json()
    assert body["verdict"] == "CE" and "error" in body["compileOutput"] and body["tests"] == []


def test_missing_problem_and_unknown_language(alice, problem):
    missing = alice.post("/api/submissions", json={"problemId": 987654, "code": "x", "language": "python"})
    assert missing.status_code == 404
    unknown = alice.post("/api/submissions", json={"problemId": problem["id"], "code": "x", "language": "brainfuck"})
    assert unknown.status_code == 422 and "python" in unknown.json()["detail"]


def test_lists_are_own_for_users_all_for_admins_filtered_and_paginated(admin, alice, bob, problem):
    for client in (alice, alice, alice, bob):
        client.post("/api/submissions?wait=60", json={"problemId": problem["id"], "code": "print(3)",
                                                      "language": "python"})
    mine = alice.get("/api/submissions", params={"problemId": problem["id"], "pageSize": 2}).json()
    assert mine["total"] == 3 and len(mine["items"]) == 2 and mine["page"] == 1
    second = alice.get("/api/submissions", params={"problemId": problem["id"], "pageSize": 2, "page": 2}).json()
    assert len(second["items"]) == 1
    ids = [s["id"] for s in mine["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)  # newest first
    everyone = admin.get("/api/submissions", params={"problemId": problem["id"]}).json()
    assert everyone["total"] == 4 and len({s["userId"] for s in everyone["items"]}) == 2
    bobs = bob.get("/api/submissions", params={"problemId": problem["id"]}).json()["items"][0]
    assert alice.get(f"/api/submissions/{bobs['id']}").status_code == 404  # not hers: not even its existence
    assert admin.get(f"/api/submissions/{bobs['id']}").status_code == 200


def test_the_record_exists_before_judging_starts(server, alice, problem):
    """Spy on the real executor: when judging starts, the submission is already stored, as `judging`."""
    executor = server.services.execution.executor
    real_judge = executor.run
    seen = []

    async def spying_judge(job, on_test=None):
        with server.services.sessions() as session:
            stored = session.scalars(select(Submission).where(Submission.code == job.source)).one()
            seen.append(stored.status)
        return await real_judge(job)

    executor.run = spying_judge
    try:
        code = "print(3)  # spied " + problem["slug"]
        body = alice.post("/api/submissions?wait=60", json={"problemId": problem["id"], "code": code,
                                                            "language": "python"}).json()
    finally:
        executor.run = real_judge
    assert seen == ["judging"]
    assert body["status"] == "finished"


def test_judging_that_raises_ends_as_ie_with_the_reason(server, alice, problem):
    executor = server.services.execution.executor
    real_judge = executor.run

    async def failing_judge(job, on_test=None):
        raise RuntimeError("the judging machine caught fire")

    executor.run = failing_judge
    try:
        body = alice.post("/api/submissions?wait=60", json={"problemId": problem["id"], "code": "print(3)",
                                                            "language": "python"}).json()
    finally:
        executor.run = real_judge
    assert body["status"] == "finished" and body["verdict"] == "IE"
    assert "caught fire" in body["message"]


def test_submissions_left_pending_are_judged_by_the_next_start(database_url, sandbox, server, problem):
    """A server that died after storing a submission: the next one to start judges it."""
    with server.services.sessions() as session, session.begin():
        orphan = Submission(user_id=1, problem_id=problem["id"], language="python", code=A_PLUS_B["python"],
                            status="pending", tests=[])
        session.add(orphan)
        session.flush()
        orphan_id = orphan.id
    with start_server(database_url, sandbox) as restarted, restarted.client("admin") as admin_client:
        judged = admin_client.get(f"/api/submissions/{orphan_id}", params={"wait": 60}).json()
    assert judged["status"] == "finished" and judged["verdict"] == "AC"


def test_hidden_tests_stay_hidden_from_users(admin, alice):
    check_hidden_tests_stay_hidden(admin, alice)


def test_large_tests_are_judged_by_digest_in_direct_mode_too(server, admin, alice):
    """A test above the inline limit travels in the job by digest; the direct executor fetches it
    from the database into this machine's cache once and streams it to the program."""
    big = "20 22\n" + "\n" * (100 * 1024)
    problem = admin.post("/api/problems", json={"title": "Big direct", "timeLimit": 2, "tests": [
        {"name": "big", "input": big, "expectedOutput": "42\n"}]}).json()
    code = "import sys\nprint(sum(map(int, sys.stdin.read().split())))\n"
    for _ in range(2):
        body = alice.post("/api/submissions?wait=60", json={"problemId": problem["id"], "code": code,
                                                            "language": "python"}).json()
        assert body["verdict"] == "AC", body
