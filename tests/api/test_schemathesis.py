"""The platform API against its own OpenAPI document (on SQLite and on PostgreSQL): no input
makes it answer 5xx, and every answer has its documented shape."""

from __future__ import annotations

import httpx

from ..schemathesis_run import assert_clean, run_schemathesis


def test_no_server_errors_and_answers_match_the_schema(server, admin):
    # Something to find: a problem with a sample, a module, a submission.
    problem = admin.post("/api/problems", json={"title": "st", "tests": [
        {"input": "1\n", "expectedOutput": "1\n", "sample": True}]}).json()
    admin.post("/api/modules", json={"title": "m", "language": "python", "starterCode": "print(1)"})
    admin.post("/api/submissions", json={"problemId": problem["id"], "code": "print(1)", "language": "python"})
    token = admin.headers["Authorization"].split()[1]
    assert_clean(run_schemathesis(server.url, token))
