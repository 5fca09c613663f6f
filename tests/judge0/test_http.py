"""Plain HTTP against /judge0: what the SDK does not call or check (shapes, validation, auth,
DELETE, wait=true, callbacks, limits)."""

from __future__ import annotations

import base64
import socket
import uuid
from urllib.parse import urlsplit

import httpx
import judge0
import pytest
import redis

from codearena.adapters.judge0.callbacks import CallbackGuard
from codearena.adapters.judge0.submission import ATTRIBUTES, DEFAULT_FIELDS
from codearena.service.keys import Keys

from ..queue.conftest import REDIS_URL, TOKEN, ServiceServer, queue_settings, remove_prefix, service_app
from .conftest import ADMIN_TOKEN, AUTH, AUTH_TOKEN, CallbackReceiver, judge0_settings

PYTHON = 71


def run(http: httpx.Client, body: dict, **params) -> dict:
    answer = http.post("/submissions", params={"wait": "true", **params}, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


# -- shapes ----------------------------------------------------------------------------------

def test_create_answers_201_with_only_the_token(http):
    answer = http.post("/submissions", json={"source_code": "print(1)", "language_id": PYTHON})
    assert answer.status_code == 201
    assert list(answer.json()) == ["token"]
    assert str(uuid.UUID(answer.json()["token"], version=4)) == answer.json()["token"]


def test_every_attribute_with_fields_star_and_types_as_judge0_writes_them(http):
    result = run(http, {"source_code": "print(input())", "language_id": PYTHON, "stdin": "x"}, fields="*")
    assert list(result) == list(ATTRIBUTES)
    assert result["status"] == {"id": 3, "description": "Accepted"} and result["status_id"] == 3
    assert result["language"] == {"id": PYTHON, "name": result["language"]["name"]}
    assert result["language"]["name"].startswith("Python (3.")
    for name in ("time", "wall_time", "cpu_time_limit", "cpu_extra_time", "wall_time_limit"):
        assert isinstance(result[name], str) and float(result[name]) >= 0, name  # decimals are strings
    assert result["cpu_time_limit"] == "5.0" and result["cpu_extra_time"] == "1.0"
    assert isinstance(result["memory"], int) and result["memory_limit"] == 128000
    assert result["created_at"].endswith("Z") and len(result["created_at"]) == len("2024-04-18T10:00:00.123Z")
    assert result["stderr"] is None and result["compile_output"] is None and result["message"] is None
    assert result["exit_code"] == 0 and result["exit_signal"] is None and result["enable_network"] is False


def test_default_fields_and_chosen_fields(http):
    token = http.post("/submissions", json={"source_code": "print(1)", "language_id": PYTHON}).json()["token"]
    # Judge0's serializer order: the table's column order, whatever order the fields were named in.
    assert list(http.get(f"/submissions/{token}").json()) == [
        "stdout", "time", "memory", "stderr", "token", "compile_output", "message", "status"]
    assert list(http.get(f"/submissions/{token}", params={"fields": "token,stdout"}).json()) == ["stdout", "token"]
    answer = http.get(f"/submissions/{token}", params={"fields": "stdout,nope,secret"})
    assert answer.status_code == 400 and answer.json() == {"error": "invalid fields: [nope, secret]"}


def test_base64_is_rubys_encode64_lines_of_60_with_newlines(http):
    result = run(http, {"source_code": "cHJpbnQoJ2EnICogMTAwKQ==\n", "language_id": PYTHON}, base64_encoded="true")
    stdout = result["stdout"]
    assert stdout.endswith("\n") and all(len(line) == 60 for line in stdout.split("\n")[:-2])
    assert base64.b64decode(stdout.replace("\n", "")) == b"a" * 100 + b"\n"
    source = base64.b64encode(b"print('hello')").decode()
    short = run(http, {"source_code": source, "language_id": PYTHON}, base64_encoded="true")
    assert short["stdout"] == "aGVsbG8K\n"


BINARY = '#include <stdio.h>\nint main(){fputs("\\xff\\xfe hi\\n", stdout); fputs("ok\\n", stderr); return 0;}'


def test_output_that_is_not_utf8_keeps_its_bytes_in_base64_and_is_refused_without(http):
    source = base64.b64encode(BINARY.encode()).decode()
    exact = run(http, {"source_code": source, "language_id": 50}, base64_encoded="true", fields="token,stdout,stderr")
    token = exact["token"]
    assert base64.b64decode(exact["stdout"]) == b"\xff\xfe hi\n"
    assert exact["stderr"] == "b2sK\n"  # valid UTF-8 stays as it is
    refused = http.get(f"/submissions/{token}")
    assert refused.status_code == 400
    assert refused.json() == {"error": "some attributes for this submission cannot be converted to UTF-8, "
                                       "use base64_encoded=true query parameter"}
    assert http.get(f"/submissions/{token}", params={"fields": "stderr,status"}).status_code == 200  # not asked
    batch = http.get("/submissions/batch", params={"tokens": token})
    assert batch.status_code == 400 and "one or more submissions" in batch.json()["error"]
    waited = http.post("/submissions", params={"wait": "true"}, json={"source_code": BINARY, "language_id": 50})
    assert waited.status_code == 201 and set(waited.json()) == {"error", "token"}


def test_unknown_token_is_404(http):
    answer = http.get(f"/submissions/{uuid.uuid4()}")
    assert answer.status_code == 404


def test_info_endpoints(http, sdk):
    config = http.get("/config_info").json()
    assert set(config) == set(judge0.base_types.Config.model_fields)  # every key the SDK knows, no other
    assert config["allow_enable_network"] is False and isinstance(config["cpu_time_limit"], float)
    assert http.get("/about").json()["version"] == "1.13.1"
    assert http.get("/version").text == "1.13.1"
    statuses = http.get("/statuses").json()
    assert statuses[6] == {"id": 7, "description": "Runtime Error (SIGSEGV)"} and len(statuses) == 14
    assert all(item["is_archived"] is False for item in http.get("/languages/all").json())
    java = http.get("/languages/62").json()
    assert set(java) == {"id", "name", "is_archived", "source_file", "compile_cmd", "run_cmd"}
    assert java["compile_cmd"].startswith("javac ") and java["source_file"] == "Main.java"
    assert http.get("/languages/70").status_code == 404  # Python 2: not served
    assert "Architecture" in http.get("/system_info").json()
    workers = http.get("/workers").json()
    assert {w["queue"] for w in workers} == {"interactive", "bulk"}
    assert all(w["available"] >= 1 for w in workers)


# -- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize("body, errors", [
    ({}, {"source_code": ["can't be blank"], "language_id": ["can't be blank", "language with id  doesn't exist"]}),
    ({"source_code": "x", "language_id": 999}, {"language_id": ["language with id 999 doesn't exist"]}),
    ({"source_code": "  ", "language_id": PYTHON}, {"source_code": ["can't be blank"]}),
    ({"source_code": "x", "language_id": PYTHON, "cpu_time_limit": 16}, {"cpu_time_limit": ["must be less than or equal to 15.0"]}),
    ({"source_code": "x", "language_id": PYTHON, "cpu_time_limit": "soon"}, {"cpu_time_limit": ["is not a number"]}),
    ({"source_code": "x", "language_id": PYTHON, "wall_time_limit": 0.5}, {"wall_time_limit": ["must be greater than or equal to 1"]}),
    ({"source_code": "x", "language_id": PYTHON, "memory_limit": 1024}, {"memory_limit": ["must be greater than or equal to 2048"]}),
    ({"source_code": "x", "language_id": PYTHON, "number_of_runs": 0}, {"number_of_runs": ["must be greater than 0"]}),
    ({"source_code": "x", "language_id": PYTHON, "number_of_runs": 21}, {"number_of_runs": ["must be less than or equal to 20"]}),
    ({"source_code": "x", "language_id": PYTHON, "max_processes_and_or_threads": 121},
     {"max_processes_and_or_threads": ["must be less than or equal to 120"]}),
    ({"source_code": "x", "language_id": PYTHON, "max_file_size": 5000}, {"max_file_size": ["must be less than or equal to 4096"]}),
    ({"source_code": "x", "language_id": PYTHON, "stack_limit": -1}, {"stack_limit": ["must be greater than or equal to 0"]}),
    ({"source_code": "x", "language_id": PYTHON, "command_line_arguments": "a" * 513},
     {"command_line_arguments": ["is too long (maximum is 512 characters)"]}),
    ({"source_code": "x", "language_id": PYTHON, "enable_network": True}, {"enable_network": ["enabling network is not allowed"]}),
    ({"source_code": "x", "language_id": PYTHON, "enable_per_process_and_thread_time_limit": True},
     {"enable_per_process_and_thread_time_limit": ["this option cannot be enabled"]}),
    ({"source_code": "x", "language_id": PYTHON, "callback_url": "ftp://example.com/x"}, {"callback_url": ["must be an http or https URL"]}),
])
def test_invalid_submissions_are_422_with_judge0s_messages(http, body, errors):
    answer = http.post("/submissions", json=body)
    assert answer.status_code == 422
    assert answer.json() == errors


def test_enable_network_false_is_accepted(http):
    assert run(http, {"source_code": "print(1)", "language_id": PYTHON, "enable_network": False})["status"]["id"] == 3


def test_a_form_encoded_body_is_read_as_rails_reads_it(http):
    # curl -d 'source_code=...&language_id=71' sends a form; Judge0 (Rails) accepts it, strings and all.
    answer = http.post("/submissions", params={"wait": "true"}, data={
        "source_code": "print(input())", "language_id": "71", "stdin": "form", "cpu_time_limit": "2"})
    assert answer.status_code == 201 and answer.json()["stdout"] == "form\n"
    assert http.post("/submissions", data={"language_id": "71"}).json() == {"source_code": ["can't be blank"]}


def test_a_body_that_is_not_json_is_400(http):
    answer = http.post("/submissions", content=b"{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and "JSON" in answer.json()["error"]


@pytest.mark.parametrize("url", ["http://127.0.0.2/hook", "http://10.0.0.1/hook", "http://169.254.169.254/latest",
                                 "http://[::1]:8080/", "http://192.168.1.10/", "http://0.0.0.0/",
                                 # IPv6 spellings of IPv4 addresses: compatible, mapped, NAT64, 6to4
                                 "http://[::127.0.0.1]:8080/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/",
                                 "http://[64:ff9b::7f00:1]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:7f00:1::]/",
                                 "http://[::a00:1]/", "http://[fe80::1]/", "http://[fc00::1]/"])
def test_callbacks_into_internal_networks_are_refused(http, url):
    answer = http.post("/submissions", json={"source_code": "x", "language_id": PYTHON, "callback_url": url})
    assert answer.status_code == 422
    assert "non-public address" in answer.json()["callback_url"][0]


@pytest.mark.parametrize("url", [["http://example.com/"], {"url": "http://example.com/"}, 12345, True])
def test_a_callback_url_must_be_a_string(http, url):
    answer = http.post("/submissions", json={"source_code": "x", "language_id": PYTHON, "callback_url": url})
    assert answer.status_code == 422 and answer.json()["callback_url"] == ["must be a string: an http or https URL"]


@pytest.mark.parametrize("url", ["http://127.0.0.1\\@example.com/", "http://example.com\\@127.0.0.1/",
                                 "http://example.com /", "http://127.0.0.1:80\tx@example.com/"])
def test_urls_that_parsers_read_differently_are_refused(http, url):
    answer = http.post("/submissions", json={"source_code": "x", "language_id": PYTHON, "callback_url": url})
    assert answer.status_code == 422, answer.text
    assert "callback_url" in answer.json()


def test_loopback_callbacks_need_the_operators_permission(stack):
    # This module's service allows 127.0.0.1/32 (for its receiver); by default it is refused.
    with ServiceServer(service_app(queue_settings(stack.queue.prefix),
                                          judge0_settings(callback_allowed_networks=""))) as other:
        answer = httpx.post(f"{other.url}/judge0/submissions", headers=AUTH, json={
            "source_code": "x", "language_id": PYTHON, "callback_url": "http://localhost:8080/hook"})
    assert answer.status_code == 422 and "non-public address" in answer.json()["callback_url"][0]


# -- what the SDK does not call ----------------------------------------------------------------

def test_wait_true_answers_the_finished_submission(http):
    result = run(http, {"source_code": "print(6 * 7)", "language_id": PYTHON})
    assert result["status"]["id"] == 3 and result["stdout"] == "42\n" and set(result) == set(DEFAULT_FIELDS)


def test_command_line_arguments_are_arguments_not_shell(http):
    result = run(http, {"source_code": "import sys\nprint(sys.argv[1:])", "language_id": PYTHON,
                        "command_line_arguments": "one 'two words' $(id) ;rm"})
    assert result["stdout"] == "['one', 'two words', '$(id)', ';rm']\n"


def test_redirect_stderr_to_stdout_interleaves(http):
    source = "import sys\nprint('a', flush=True)\nprint('b', file=sys.stderr, flush=True)\nprint('c')"
    result = run(http, {"source_code": source, "language_id": PYTHON, "redirect_stderr_to_stdout": True})
    assert result["stdout"] == "a\nb\nc\n" and result["stderr"] is None


def test_number_of_runs_runs_that_many_times(http):
    # Each run appends to a file in /tmp... which is fresh per run: so count in the output instead.
    result = run(http, {"source_code": "print('run')", "language_id": PYTHON, "number_of_runs": 3}, fields="*")
    assert result["number_of_runs"] == 3 and result["status"]["id"] == 3 and result["stdout"] == "run\n"


def test_cpu_extra_time_reports_the_real_time_past_the_limit(http):
    burn = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\nprint('done')"
    result = run(http, {"source_code": burn, "language_id": PYTHON, "cpu_time_limit": 0.2, "cpu_extra_time": 2})
    assert result["status"]["id"] == 5  # over the limit, though it finished within the extra time
    assert float(result["time"]) >= 0.4 and result["stdout"] == "done\n"


def test_wait_can_be_disabled(stack):
    with ServiceServer(service_app(queue_settings(stack.queue.prefix),
                                          judge0_settings(enable_wait_result=False))) as other:
        answer = httpx.post(f"{other.url}/judge0/submissions", params={"wait": "true"}, headers=AUTH,
                            json={"source_code": "print(1)", "language_id": PYTHON})
    assert answer.status_code == 400 and answer.json() == {"error": "wait not allowed"}


# -- batches ---------------------------------------------------------------------------------

def test_a_batch_with_an_invalid_item_creates_the_valid_ones(http):
    answer = http.post("/submissions/batch", json={"submissions": [
        {"source_code": "print(1)", "language_id": PYTHON}, {"source_code": "print(1)", "language_id": 1}]})
    assert answer.status_code == 201
    created, invalid = answer.json()
    assert list(created) == ["token"] and invalid == {"language_id": ["language with id 1 doesn't exist"]}
    shown = http.get("/submissions/batch", params={"tokens": f"{created['token']},{uuid.uuid4()}"}).json()
    assert shown["submissions"][1] is None and shown["submissions"][0]["token"] == created["token"]


def test_batch_bounds(http):
    assert http.post("/submissions/batch", json={"submissions": []}).json() == {
        "error": "there should be at least one submission in a batch"}
    too_many = http.post("/submissions/batch", json={"submissions": [{"source_code": "1", "language_id": PYTHON}] * 21})
    assert too_many.status_code == 400 and "less than or equal to 20" in too_many.json()["error"]
    assert http.post("/submissions/batch", json={"submissions": [{"language_id": 1}]}).status_code == 422
    assert http.get("/submissions/batch").status_code == 400


def test_a_full_queue_is_503_queue_is_full(sandbox):
    prefix = f"codearena-test-{uuid.uuid4().hex[:10]}"
    try:  # no worker: the first job stays queued, the bound is 1
        with ServiceServer(service_app(queue_settings(prefix, queue_max_backlog=1), judge0_settings())) as service:
            with httpx.Client(base_url=f"{service.url}/judge0", headers=AUTH) as http:
                body = {"source_code": "print(1)", "language_id": PYTHON}
                assert http.post("/submissions", json=body).status_code == 201
                full = http.post("/submissions", json=body)
                assert full.status_code == 503 and full.json() == {"error": "queue is full"}
                assert int(full.headers["Retry-After"]) > 0
                assert http.post("/submissions/batch", json={"submissions": [body]}).status_code == 503
                queued = http.get("/submissions/batch", params={"tokens": "x"}).json()["submissions"]
                assert queued == [None]
    finally:
        remove_prefix(prefix)


# -- auth and DELETE ---------------------------------------------------------------------------

def test_auth_is_judge0s_headers(stack):
    with stack.http(headers=None) as anonymous:
        answer = anonymous.get("/languages")
        assert answer.status_code == 401 and answer.content == b""
        assert anonymous.get("/languages", headers={"X-Auth-Token": "wrong"}).status_code == 401
        assert anonymous.get("/languages", params={"X-Auth-Token": AUTH_TOKEN}).status_code == 200
        assert anonymous.post("/authenticate", headers=AUTH).status_code == 200
        assert anonymous.post("/authorize", headers=AUTH).status_code == 403
        assert anonymous.post("/authorize", headers={**AUTH, "X-Auth-User": ADMIN_TOKEN}).status_code == 200
        # The Judge0 token opens only /judge0; the service's own API still needs the service token.
        assert httpx.get(f"{stack.queue.service.url}/health", headers=AUTH).status_code == 401
        assert httpx.get(f"{stack.queue.service.url}/health", headers={"X-Service-Token": TOKEN}).status_code == 200


def test_the_service_token_is_the_default_judge0_token(stack):
    with ServiceServer(service_app(queue_settings(stack.queue.prefix), judge0_settings(authn_token=None))) as other:
        assert httpx.get(f"{other.url}/judge0/about", headers={"X-Auth-Token": TOKEN}).status_code == 200
        assert httpx.get(f"{other.url}/judge0/about").status_code == 401


def test_delete_needs_x_auth_user_and_a_finished_submission(http, stack):
    token = run(http, {"source_code": "print(1)", "language_id": PYTHON})["token"]
    forbidden = http.delete(f"/submissions/{token}")
    assert forbidden.status_code == 403 and forbidden.content == b""
    admin = {"X-Auth-User": ADMIN_TOKEN}
    deleted = http.delete(f"/submissions/{token}", headers=admin, params={"fields": "stdout,status"})
    assert deleted.status_code == 200
    assert deleted.json() == {"stdout": "MQo=\n", "status": {"id": 3, "description": "Accepted"}}  # base64
    assert http.get(f"/submissions/{token}").status_code == 404
    assert stack.queue.redis.exists(stack.queue.keys.job(token), stack.queue.keys.result(token)) == 0


def test_delete_refuses_a_queued_submission_and_can_be_disabled(stack, sandbox):
    prefix = f"codearena-test-{uuid.uuid4().hex[:10]}"
    admin = {**AUTH, "X-Auth-User": ADMIN_TOKEN}
    try:
        with ServiceServer(service_app(queue_settings(prefix), judge0_settings())) as service:
            with httpx.Client(base_url=f"{service.url}/judge0", headers=admin) as http:
                token = http.post("/submissions", json={"source_code": "1", "language_id": PYTHON}).json()["token"]
                refused = http.delete(f"/submissions/{token}")
                assert refused.status_code == 400
                assert refused.json() == {"error": "submission cannot be deleted because its status is 1 (In Queue)"}
        with ServiceServer(service_app(queue_settings(prefix),
                                              judge0_settings(enable_submission_delete=False))) as service:
            answer = httpx.delete(f"{service.url}/judge0/submissions/{token}", headers=admin)
            assert answer.status_code == 400 and answer.json() == {"error": "delete not allowed"}
    finally:
        remove_prefix(prefix)


# -- callbacks ---------------------------------------------------------------------------------

def test_a_callback_is_put_once_with_the_base64_result(http):
    with CallbackReceiver() as receiver:
        token = http.post("/submissions", json={"source_code": "print('called')", "language_id": PYTHON,
                                                "callback_url": f"{receiver.url}/done?id=7"}).json()["token"]
        method, path, body = receiver.received.get(timeout=60)
    assert (method, path) == ("PUT", "/done?id=7")
    assert body.pop("_content_type") == "application/json"
    assert body.pop("_host") == receiver.url.removeprefix("http://") and body.pop("_authorization") is None
    assert set(body) == set(DEFAULT_FIELDS)
    assert body["token"] == token and body["stdout"] == "Y2FsbGVkCg==\n" and body["status"]["id"] == 3
    assert receiver.received.empty()


def test_a_callback_connects_to_the_address_it_checked_and_keeps_host_and_credentials(http):
    # The host is resolved once per try, checked, and that very address is connected to (a DNS
    # answer that changes after the check cannot redirect the PUT); Host and credentials are kept.
    with CallbackReceiver() as receiver:
        url = receiver.url.replace("127.0.0.1", "hook:secret@localhost") + "/named"
        http.post("/submissions", json={"source_code": "print(1)", "language_id": PYTHON, "callback_url": url})
        _method, path, body = receiver.received.get(timeout=60)
    assert path == "/named" and body["_host"] == receiver.url.replace("http://127.0.0.1", "localhost")
    assert body["_authorization"] == "Basic " + base64.b64encode(b"hook:secret").decode()


def test_the_guard_pins_the_address_and_keeps_https_names():
    guard = CallbackGuard(judge0_settings(callback_allowed_networks="127.0.0.0/8,::1/128"))
    refusal, target = guard.resolve("https://u:p@localhost:8443/hook?x=1")
    assert refusal is None
    assert target.url == "https://u:p@127.0.0.1:8443/hook?x=1"
    assert (target.host_header, target.sni_hostname) == ("localhost:8443", "localhost")
    refusal, target = guard.resolve("http://[::1]/hook")
    assert refusal is None and target.url == "http://[::1]/hook" and target.sni_hostname is None
    assert guard.resolve("http://10.0.0.1/")[0] is not None


def test_a_failing_callback_is_retried(http):
    with CallbackReceiver(failures=1) as receiver:
        token = http.post("/submissions", json={"source_code": "print(1)", "language_id": PYTHON,
                                                "callback_url": receiver.url}).json()["token"]
        first = receiver.received.get(timeout=60)
        second = receiver.received.get(timeout=60)
    assert first[2]["token"] == second[2]["token"] == token


@pytest.mark.parametrize("path", ["/judge0/../jobs", "/judge0/%2e%2e/jobs", "/judge0/..%2fjobs", "/judge0/../health"])
def test_the_judge0_prefix_does_not_open_the_services_own_paths(stack, path):
    # /judge0 authenticates by itself; a path that merely starts with it must not reach /jobs.
    address = urlsplit(stack.queue.service.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
    status = int(reply.split(b" ", 2)[1])
    assert status in (401, 404), reply[:200]
    assert b'"state"' not in reply and b'"workers"' not in reply


def test_bodies_beyond_the_services_cap_are_413(stack):
    with ServiceServer(service_app(queue_settings(stack.queue.prefix), judge0_settings(),
                                          max_body_bytes=4096)) as other:
        big = {"source_code": "#" * 5000, "language_id": PYTHON}
        answer = httpx.post(f"{other.url}/judge0/submissions", headers=AUTH, json=big)
        assert answer.status_code == 413 and "4096 bytes" in answer.json()["detail"]
        jobs = httpx.post(f"{other.url}/jobs", headers={"X-Service-Token": TOKEN},
                          json={"language": "python", "source": "#" * 5000})
        assert jobs.status_code == 413
        # The token is checked before the body is read.
        assert httpx.post(f"{other.url}/jobs", json={"source": "#" * 5000}).status_code == 401


def test_the_admin_listing_pages_newest_first(sandbox):
    prefix = f"codearena-test-{uuid.uuid4().hex[:10]}"
    admin = {**AUTH, "X-Auth-User": ADMIN_TOKEN}
    try:  # a queue of its own, no worker: the listing shows exactly what this test created
        with ServiceServer(service_app(queue_settings(prefix), judge0_settings())) as service:
            with httpx.Client(base_url=f"{service.url}/judge0", headers=admin) as http:
                tokens = [http.post("/submissions", json={"source_code": f"print({i})", "language_id": PYTHON}
                                    ).json()["token"] for i in range(5)]
                assert http.get("/submissions", headers={"X-Auth-User": "wrong"}).status_code == 403
                first = http.get("/submissions", params={"per_page": 2}).json()
                assert [s["token"] for s in first["submissions"]] == tokens[::-1][:2]
                assert first["meta"] == {"current_page": 1, "next_page": 2, "prev_page": None, "total_pages": 3,
                                         "total_count": 5}
                last = http.get("/submissions", params={"per_page": 2, "page": 3, "fields": "token,status"}).json()
                assert last["submissions"] == [{"token": tokens[0], "status": {"id": 1, "description": "In Queue"}}]
                assert last["meta"]["next_page"] is None and last["meta"]["prev_page"] == 2
                assert http.get("/submissions", params={"page": 0}).json() == {"error": "invalid page: 0"}
                assert http.get("/submissions", params={"per_page": -1}).json() == {"error": "invalid per_page: -1"}
                # A submission whose job is gone (expired) leaves the listing as it is read.
                redis.Redis.from_url(REDIS_URL).delete(Keys(prefix).job(tokens[4]))
                listed = http.get("/submissions").json()
                assert [s["token"] for s in listed["submissions"]] == tokens[3::-1]
                assert http.get("/submissions").json()["meta"]["total_count"] == 4
    finally:
        remove_prefix(prefix)


BIG = "9" * 400


@pytest.mark.parametrize("body,field", [
    ('{"source_code": "x", "language_id": %s}' % BIG, "language_id"),
    ('{"source_code": "x", "language_id": 71, "cpu_time_limit": %s}' % BIG, "cpu_time_limit"),
    ('{"source_code": "x", "language_id": 71, "memory_limit": -%s}' % BIG, "memory_limit"),
    ('{"source_code": "x", "language_id": 71, "number_of_runs": %s}' % BIG, "number_of_runs"),
    ('{"source_code": "\\ud800", "language_id": 71}', "source_code"),
    ('{"source_code": "print(1)", "stdin": "\\ud800", "language_id": 71}', "stdin"),
])
def test_huge_numbers_and_lone_surrogates_are_field_errors(http, body, field):
    for path in ("/submissions", "/submissions?base64_encoded=true"):
        answer = http.post(path, content=body.encode(), headers={"Content-Type": "application/json"})
        assert answer.status_code == 422, answer.text
        assert field in answer.json()


def test_deeply_nested_json_and_odd_digits_in_paths_are_client_errors(http):
    deep = http.post("/submissions", content=b"[" * 10_000 + b"]" * 10_000, headers={"Content-Type": "application/json"})
    assert deep.status_code == 400
    assert http.get("/languages/\u00b2").status_code == 404  # '²' is a digit to str.isdigit, not to int()
    assert http.get(f"/languages/{BIG}").status_code == 404
