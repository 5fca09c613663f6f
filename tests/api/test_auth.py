"""Accounts and bearer tokens: 401 without a valid token, 403 for the wrong role."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from .conftest import TEST_SECRET


def _name() -> str:
    return "u" + uuid.uuid4().hex[:10]


def test_register_then_login_then_me(anonymous):
    name = _name()
    created = anonymous.post("/api/auth/register", json={"username": name, "password": "s3cret-pass"})
    assert created.status_code == 201
    assert created.json()["username"] == name and created.json()["role"] == "user"
    assert "password" not in created.text and "Hash" not in created.text
    login = anonymous.post("/api/auth/login", json={"username": name, "password": "s3cret-pass"})
    assert login.status_code == 200
    body = login.json()
    assert body["tokenType"] == "Bearer" and body["user"]["username"] == name
    me = anonymous.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["username"] == name


def test_registering_a_taken_name_is_409(anonymous):
    name = _name()
    assert anonymous.post("/api/auth/register", json={"username": name, "password": "password1"}).status_code == 201
    again = anonymous.post("/api/auth/register", json={"username": name, "password": "password2"})
    assert again.status_code == 409 and "taken" in again.json()["detail"]


@pytest.mark.parametrize("body, names", [
    ({"username": "ab", "password": "password1"}, "username"),
    ({"username": "ok_name", "password": "short"}, "password"),
    ({"username": "bad name!", "password": "password1"}, "username"),
    ({"password": "password1"}, "username"),
])
def test_invalid_registration_says_what_to_fix(anonymous, body, names):
    answer = anonymous.post("/api/auth/register", json=body)
    assert answer.status_code == 422
    assert names in answer.json()["detail"]


def test_wrong_password_and_unknown_user_are_the_same_401(anonymous, server):
    wrong = anonymous.post("/api/auth/login", json={"username": "alice", "password": "not-the-password"})
    unknown = anonymous.post("/api/auth/login", json={"username": "nobody_here", "password": "whatever1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


@pytest.mark.parametrize("path, method", [
    ("/api/execute", "post"), ("/api/problems/run", "post"), ("/api/submissions", "post"),
    ("/api/modules/execute", "post"), ("/api/execution/status", "get"), ("/api/execution/dashboard", "get"),
    ("/api/problems", "get"),
    ("/api/submissions", "get"), ("/api/modules", "get"), ("/api/auth/me", "get"),
])
def test_every_protected_endpoint_needs_a_token(anonymous, path, method):
    answer = getattr(anonymous, method)(path, **({"json": {}} if method == "post" else {}))
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def _token(secret: str, minutes: int, role: str = "user", sub: str = "2") -> str:
    claims = {"sub": sub, "name": "alice", "role": role, "exp": datetime.now(timezone.utc) + timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.mark.parametrize("token", [
    "not-a-jwt",
    _token("another-secret-" + "y" * 40, 10),  # signed by someone else
    _token(TEST_SECRET, -1),  # expired
    _token(TEST_SECRET, 10, role="root"),  # a role that does not exist
])
def test_bad_tokens_are_401(anonymous, token):
    answer = anonymous.get("/api/problems", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert "log in again" in answer.json()["detail"]


def test_admin_endpoints_refuse_users_with_403(alice):
    assert alice.get("/api/execution/status").status_code == 403
    assert alice.get("/api/execution/dashboard").status_code == 403
    assert alice.post("/api/problems", json={"title": "x", "tests": [{"expectedOutput": "1"}]}).status_code == 403
    assert alice.post("/api/modules", json={"title": "x", "language": "python"}).status_code == 403
    assert alice.delete("/api/problems/1").status_code == 403
