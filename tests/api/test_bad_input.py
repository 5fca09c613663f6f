"""Bad input gets a clear 4xx that says what to fix, never a 500 (each case on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

BIG = 2**31  # one past the database's 32-bit ids
SURROGATE = '"\\ud800"'  # JSON for a lone UTF-16 surrogate: valid JSON, not Unicode text


def post_raw(client, path: str, body: str, content_type: str = "application/json"):
    return client.post(path, content=body.encode(), headers={"Content-Type": content_type})


@pytest.mark.parametrize("path,template", [
    ("/api/execute", '{"code": %s, "language": "python"}'),
    ("/api/execute", '{"code": "print(1)", "language": "python", "input": %s}'),
    ("/api/problems/run", '{"problemId": 1, "code": %s, "language": "python"}'),
    ("/api/submissions", '{"problemId": 1, "code": %s, "language": "python"}'),
    ("/api/modules/execute", '{"moduleId": 1, "code": %s}'),
    ("/api/modules/execute", '{"moduleId": 1, "input": %s}'),
    ("/api/auth/login", '{"username": "alice", "password": %s}'),
])
def test_a_lone_surrogate_is_a_422_naming_the_field(admin, path, template):
    answer = post_raw(admin, path, template % SURROGATE)
    assert answer.status_code == 422, answer.text
    assert "surrogate" in answer.json()["detail"] or "unicode string" in answer.json()["detail"]


@pytest.mark.parametrize("method,path", [
    ("GET", f"/api/problems/{BIG}"), ("PUT", f"/api/problems/{BIG}"), ("DELETE", f"/api/problems/{BIG}"),
    ("GET", f"/api/submissions/{BIG}"), ("GET", f"/api/modules/{BIG}"), ("DELETE", f"/api/modules/{BIG}"),
    ("GET", f"/api/submissions?problemId={BIG}"), ("GET", f"/api/submissions?page={BIG}"),
    ("GET", f"/api/problems/{10**30}"),
])
def test_ids_beyond_the_database_are_refused_or_missing(admin, method, path):
    answer = admin.request(method, path, json={"title": "t", "tests": [{"expectedOutput": ""}]})
    assert answer.status_code in (404, 422), answer.text
    assert answer.json()["detail"]


@pytest.mark.parametrize("path,body", [
    ("/api/execute", {"code": "print(1)", "language": "python", "problemId": BIG}),
    ("/api/problems/run", {"problemId": BIG, "code": "print(1)", "language": "python"}),
    ("/api/submissions", {"problemId": BIG, "code": "print(1)", "language": "python"}),
    ("/api/modules/execute", {"moduleId": BIG}),
])
def test_ids_in_bodies_beyond_the_database_are_a_422(admin, path, body):
    answer = admin.post(path, json=body)
    assert answer.status_code in (200, 422), answer.text  # /api/execute ignores the stray field


def test_a_nul_byte_in_stored_text_is_a_422_and_allowed_where_nothing_is_stored(admin):
    problem = admin.post("/api/problems", json={"title": "nul", "tests": [
        {"input": "a\u0000b", "expectedOutput": "a\u0000b", "sample": True}]})
    assert problem.status_code == 201  # test data is stored as bytes: NUL is fine there
    stored = admin.post("/api/submissions", json={"problemId": problem.json()["id"], "code": "print(1)\u0000",
                                                   "language": "python"})
    assert stored.status_code == 422 and "NUL" in stored.json()["detail"]
    ran = admin.post("/api/execute", json={"code": "import sys; print(repr(sys.stdin.read()))",
                                           "language": "python", "input": "x\u0000y"})
    assert ran.status_code == 200 and ran.json()["stdout"] == "'x\\x00y'\n"


def test_json_nested_too_deep_is_a_400(admin):
    answer = post_raw(admin, "/api/execute", "[" * 10_000 + "]" * 10_000)
    assert 400 <= answer.status_code < 500 and answer.json()["detail"]


def test_broken_json_and_a_body_that_is_not_json_are_explained(admin):
    broken = post_raw(admin, "/api/execute", '{"code": "print(1)", "language": }')
    assert broken.status_code == 422
    assert broken.json()["detail"].startswith("the request body is not valid JSON: Expecting value at character")
    form = admin.post("/api/execute", data={"code": "print(1)", "language": "python"})
    assert form.status_code == 422 and "Content-Type: application/json" in form.json()["detail"]


def test_a_malformed_token_is_an_invalid_token_in_plain_words(anonymous):
    answer = anonymous.get("/api/problems", headers={"Authorization": "Bearer tw.eA.eQ"})  # "tw" decodes to byte 0xb7
    assert answer.status_code == 401
    assert "codec" not in answer.json()["detail"] and "invalid" in answer.json()["detail"]


def test_datetimes_carry_their_time_zone(admin):
    problem = admin.post("/api/problems", json={"title": "tz", "tests": [{"expectedOutput": "1\n", "sample": True}]})
    submission = admin.post("/api/submissions?wait=60", json={"problemId": problem.json()["id"], "code": "print(1)",
                                                               "language": "python"}).json()
    assert submission["createdAt"].endswith(("Z", "+00:00")) and submission["judgedAt"].endswith(("Z", "+00:00"))
