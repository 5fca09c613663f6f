"""Problems: admins write, everyone reads samples only; /api/problems/run runs the samples."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from .conftest import A_PLUS_B, LANGUAGES

REPO = Path(__file__).resolve().parents[2]


def problem_body(**changes) -> dict:
    body = {
        "slug": "sum-" + uuid.uuid4().hex[:8],
        "title": "Sum of two",
        "statement": "Print a+b.",
        "timeLimit": 2,
        "memoryLimit": 256,
        "tests": [
            {"name": "s1", "input": "1 2\n", "expectedOutput": "3\n", "sample": True},
            {"name": "s2", "input": "10 -3\n", "expectedOutput": "7\n", "sample": True},
            {"name": "h1", "input": "1000000000 1000000000\n", "expectedOutput": "2000000000\n", "points": 5},
            {"name": "h2", "input": "-7 -8\n", "expectedOutput": "-15\n", "points": 5},
        ],
    }
    body.update(changes)
    return body


@pytest.fixture
def problem(admin) -> dict:
    answer = admin.post("/api/problems", json=problem_body())
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_users_see_samples_but_never_hidden_tests(alice, problem):
    body = alice.get(f"/api/problems/{problem['id']}").json()
    assert [t["name"] for t in body["samples"]] == ["s1", "s2"]
    assert body["tests"] is None and body["testCount"] == 4
    assert "1000000000" not in str(body)
    listed = alice.get("/api/problems").json()
    assert problem["id"] in [p["id"] for p in listed]
    assert all(set(p) == {"id", "slug", "title", "timeLimit", "memoryLimit"} for p in listed)


def test_admins_see_every_test(admin, problem):
    body = admin.get(f"/api/problems/{problem['id']}").json()
    assert [t["name"] for t in body["tests"]] == ["s1", "s2", "h1", "h2"]
    assert body["tests"][2]["expectedOutput"] == "2000000000\n"


def test_update_replaces_fields_and_tests(admin, problem):
    changed = problem_body(slug=problem["slug"], title="Renamed", tests=[{"input": "2 2", "expectedOutput": "4"}],
                           checker={"type": "standard"})
    answer = admin.put(f"/api/problems/{problem['id']}", json=changed)
    assert answer.status_code == 200
    assert answer.json()["title"] == "Renamed" and answer.json()["testCount"] == 1
    assert answer.json()["tests"][0]["name"] == "1"  # unnamed tests are named by position


def test_put_needs_every_field_and_patch_changes_only_what_it_sends(admin, problem):
    partial = admin.put(f"/api/problems/{problem['id']}", json={"title": "Only a title", "tests": problem["tests"]})
    assert partial.status_code == 422
    assert "missing: statement, timeLimit, memoryLimit, checker" in partial.json()["detail"]
    assert "PATCH" in partial.json()["detail"]
    patched = admin.patch(f"/api/problems/{problem['id']}", json={"title": "Patched", "timeLimit": 3})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["title"], body["timeLimit"], body["statement"]) == ("Patched", 3, problem["statement"])
    assert body["tests"] == problem["tests"]  # untouched


def test_problems_are_found_by_slug_too(alice, problem):
    by_slug = alice.get(f"/api/problems/{problem['slug']}")
    assert by_slug.status_code == 200 and by_slug.json()["id"] == problem["id"]
    assert alice.get("/api/problems/no-such-slug").status_code == 404


def test_delete_then_404(admin, alice, problem):
    assert admin.delete(f"/api/problems/{problem['id']}").status_code == 204
    missing = alice.get(f"/api/problems/{problem['id']}")
    assert missing.status_code == 404 and str(problem["id"]) in missing.json()["detail"]


def test_a_problem_with_submissions_cannot_be_deleted(admin, alice, problem):
    submitted = alice.post("/api/submissions?wait=30", json={"problemId": problem["id"], "code": "print(3)",
                                                             "language": "python"})
    assert submitted.json()["status"] == "finished"
    refused = admin.delete(f"/api/problems/{problem['id']}")
    assert refused.status_code == 409 and "submissions" in refused.json()["detail"]
    assert alice.get(f"/api/submissions/{submitted.json()['id']}").status_code == 200


@pytest.mark.parametrize("changes, status, text", [
    ({"checker": {"type": "fuzzy"}}, 422, "checker"),
    ({"checker": {"type": "custom", "language": "python"}}, 422, "custom checker"),
    ({"checker": {"type": "custom", "source": "x", "language": "whitespace"}}, 422, "whitespace"),
    ({"tests": []}, 422, "tests"),
    ({"timeLimit": 0}, 422, "timeLimit"),
    ({"tests": [{"name": "a", "expectedOutput": "1"}, {"name": "a", "expectedOutput": "2"}]}, 422, "unique"),
    ({"slug": "Not A Slug"}, 422, "slug"),
])
def test_invalid_problems_say_what_to_fix(admin, changes, status, text):
    answer = admin.post("/api/problems", json=problem_body(**changes))
    assert answer.status_code == status
    assert text in answer.json()["detail"]


def test_duplicate_slug_is_409(admin, problem):
    answer = admin.post("/api/problems", json=problem_body(slug=problem["slug"]))
    assert answer.status_code == 409 and problem["slug"] in answer.json()["detail"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_run_samples_in_every_language(alice, problem, language):
    answer = alice.post("/api/problems/run", json={"problemId": problem["id"], "code": A_PLUS_B[language],
                                                   "language": language})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["verdict"] == "AC" and body["passed"] == body["total"] == 2
    assert [t["name"] for t in body["tests"]] == ["s1", "s2"]  # samples only, never the hidden ones
    assert body["tests"][0]["input"] == "1 2\n" and body["tests"][0]["stdout"] == "3\n"


def test_run_samples_reports_the_failing_test(alice, problem):
    body = alice.post("/api/problems/run", json={"problemId": problem["id"], "code": "print(3)",
                                                 "language": "python"}).json()
    assert body["verdict"] == "WA" and body["passed"] == 1
    assert body["tests"][1]["verdict"] == "WA" and "s2" in body["message"]


def test_run_on_a_missing_problem_is_404(alice):
    answer = alice.post("/api/problems/run", json={"problemId": 999999, "code": "print(1)", "language": "python"})
    assert answer.status_code == 404 and "999999" in answer.json()["detail"]


def test_custom_checker_problem(admin, alice):
    checker = ("import sys\nout = open(sys.argv[2]).read().split()\n"
               "sys.exit(0 if out and int(out[0]) % 2 == 0 else 1)\n")
    body = problem_body(checker={"type": "custom", "source": checker, "language": "python"},
                        tests=[{"input": "", "expectedOutput": "", "sample": True}])
    created = admin.post("/api/problems", json=body).json()
    assert alice.get(f"/api/problems/{created['id']}").json()["checker"]["source"] is None
    even = alice.post("/api/problems/run", json={"problemId": created["id"], "code": "print(4)", "language": "py"})
    odd = alice.post("/api/problems/run", json={"problemId": created["id"], "code": "print(5)", "language": "py"})
    assert even.json()["verdict"] == "AC" and odd.json()["verdict"] == "WA"


def test_cli_imports_a_problem_package(database_url, admin):
    slug = "aplusb-" + uuid.uuid4().hex[:6]
    env = {**os.environ, "DATABASE_URL": database_url}
    command = [sys.executable, "-m", "codearena", "problems", "import", str(REPO / "examples" / "aplusb"),
               "--slug", slug]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "10 tests, 2 samples" in first.stdout
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode != 0 and "--replace" in again.stderr
    replaced = subprocess.run(command + ["--replace"], env=env, capture_output=True, text=True, timeout=120)
    assert replaced.returncode == 0, replaced.stderr
    imported = next(p for p in admin.get("/api/problems").json() if p["slug"] == slug)
    assert admin.get(f"/api/problems/{imported['id']}").json()["testCount"] == 10


def test_cli_import_names_what_is_wrong_with_a_package(database_url, tmp_path):
    (tmp_path / "problem.toml").write_text('title = "x"\n')
    env = {**os.environ, "DATABASE_URL": database_url}
    result = subprocess.run([sys.executable, "-m", "codearena", "problems", "import", str(tmp_path)], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "tests" in result.stderr


def test_tests_beyond_max_test_or_problem_bytes_are_413_naming_the_limit(database_url, sandbox):
    from codearena.common_settings import CommonSettings

    from .conftest import start_server

    with start_server(database_url, sandbox, common=CommonSettings(max_test_bytes=100, max_problem_bytes=150)) as small:
        small.add_user("root", role="admin")
        with small.client("root") as root:
            one_big = root.post("/api/problems", json=problem_body(tests=[
                {"name": "t", "input": "1" * 101, "expectedOutput": "2"}]))
            assert one_big.status_code == 413 and "MAX_TEST_BYTES is 100" in one_big.json()["detail"]
            assert "test t's input" in one_big.json()["detail"]
            together = root.post("/api/problems", json=problem_body(tests=[
                {"name": str(i), "input": "1" * 60, "expectedOutput": "2"} for i in range(3)]))
            assert together.status_code == 413 and "MAX_PROBLEM_BYTES is 150" in together.json()["detail"]
