"""Course modules: admins write them; users run code in them (starter code by default)."""

from __future__ import annotations

import pytest

from .conftest import HELLO, LANGUAGES


def module_body(language: str, **changes) -> dict:
    body = {"title": f"Hello in {language}", "content": "# Say hello\nRead a name, greet it.",
            "language": language, "starterCode": HELLO[language], "stdin": "world", "tests": [],
            "timeLimit": 2, "memoryLimit": 256}
    body.update(changes)
    return body


@pytest.mark.parametrize("language", LANGUAGES)
def test_starter_code_runs_in_every_language(admin, alice, language):
    created = admin.post("/api/modules", json=module_body(language))
    assert created.status_code == 201, created.text
    answer = alice.post("/api/modules/execute", json={"moduleId": created.json()["id"]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["verdict"] == "AC" and body["stdout"] == "hello world\n" and body["language"] == language
    assert body["tests"] is None  # no tests in this module


def test_users_code_and_input_replace_the_defaults(admin, alice):
    module = admin.post("/api/modules", json=module_body("python")).json()
    body = alice.post("/api/modules/execute", json={"moduleId": module["id"], "code": "print(input()[::-1])",
                                                    "input": "arena"}).json()
    assert body["stdout"] == "anera\n"


def test_module_tests_are_reported(admin, alice):
    tests = [{"name": "first", "input": "ada", "expectedOutput": "hello ada"},
             {"name": "second", "input": "bob", "expectedOutput": "hello bob"}]
    module = admin.post("/api/modules", json=module_body("python", tests=tests)).json()
    assert [t["name"] for t in module["tests"]] == ["first", "second"]
    good = alice.post("/api/modules/execute", json={"moduleId": module["id"]}).json()
    assert good["tests"]["verdict"] == "AC" and good["tests"]["passed"] == 2
    bad = alice.post("/api/modules/execute", json={"moduleId": module["id"], "code": "print('hi', input())"}).json()
    assert bad["verdict"] == "AC"  # the program itself ran fine...
    assert bad["tests"]["verdict"] == "WA" and bad["tests"]["passed"] == 0  # ...but does not pass the tests
    assert bad["tests"]["tests"][0]["expectedOutput"] == "hello ada"


def test_module_crud_and_validation(admin, alice):
    module = admin.post("/api/modules", json=module_body("c")).json()
    assert alice.get(f"/api/modules/{module['id']}").json()["starterCode"] == HELLO["c"]
    assert module["id"] in [m["id"] for m in alice.get("/api/modules").json()]
    updated = admin.put(f"/api/modules/{module['id']}", json=module_body("cpp", title="Now C++")).json()
    assert updated["language"] == "cpp" and updated["title"] == "Now C++"
    unknown = admin.post("/api/modules", json={**module_body("python"), "language": "whitespace"})
    assert unknown.status_code == 422 and "javascript" in unknown.json()["detail"]
    assert admin.delete(f"/api/modules/{module['id']}").status_code == 204
    missing = alice.post("/api/modules/execute", json={"moduleId": module["id"]})
    assert missing.status_code == 404 and str(module["id"]) in missing.json()["detail"]


def test_put_needs_every_field_and_patch_keeps_the_rest(admin):
    module = admin.post("/api/modules", json=module_body("python", tests=[{"input": "x", "expectedOutput": "hello x"}])).json()
    wiped = admin.put(f"/api/modules/{module['id']}", json={"title": "T", "language": "python"})
    assert wiped.status_code == 422 and "missing: content, starterCode" in wiped.json()["detail"]
    assert admin.get(f"/api/modules/{module['id']}").json() == module  # nothing was lost
    patched = admin.patch(f"/api/modules/{module['id']}", json={"title": "Renamed"}).json()
    assert patched == {**module, "title": "Renamed"}
    refused = admin.patch(f"/api/modules/{module['id']}", json={"language": "whitespace"})
    assert refused.status_code == 422
