"""The Piston v2 API for real, under /piston on the execution service: a worker, the real Redis
under this module's own prefix, the real sandbox. Clients: Piston's own, unchanged (`pistonapi`
from PyPI, `piston-client` from npm via node), and plain HTTP for the shapes and errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Iterator

import httpx

from codearena.languages import LANGUAGES
import pytest
from pistonapi import PistonAPI

from codearena.adapters.piston import PistonSettings

from ..queue.conftest import Queue, ServiceServer, queue_settings, remove_prefix, require_redis, service_app
from ..support import missing

HERE = Path(__file__).parent
TOKEN = "piston-test-token"


@pytest.fixture(scope="module")
def piston(sandbox) -> Iterator[str]:
    """The open Piston API's base URL (what clients take as their server)."""
    require_redis()
    prefix = f"codearena-test-{uuid.uuid4().hex[:10]}"
    with ServiceServer(service_app(queue_settings(prefix), piston=PistonSettings(enabled=True))) as service:
        running = Queue(prefix, service)
        running.start_worker(concurrency=2)
        try:
            yield f"{service.url}/piston"
        finally:
            running.stop_workers()
            remove_prefix(prefix)
            sandbox.sweep_stale()


def _versions(base: str) -> dict[str, str]:
    return {runtime["language"]: runtime["version"] for runtime in httpx.get(f"{base}/api/v2/runtimes").json()}


def _execute(base: str, **body) -> httpx.Response:
    return httpx.post(f"{base}/api/v2/execute", json=body, timeout=120)


def test_runtimes_list_every_language_with_its_installed_version_and_aliases(piston):
    runtimes = {r["language"]: r for r in httpx.get(f"{piston}/api/v2/runtimes").json()}
    assert {"python", "javascript", "c", "cpp", "java", "pypy", "rust", "go"} <= set(runtimes)
    assert set(runtimes) == {lang.id for lang in LANGUAGES if lang.available()}
    assert all(r["version"][0].isdigit() for r in runtimes.values())
    assert "py" in runtimes["python"]["aliases"] and "node" in runtimes["javascript"]["aliases"]


def test_the_pistonapi_client_unchanged(piston):
    client = PistonAPI(endpoint=f"{piston}/api/v2")  # it posts a form, as requests does
    version = client.runtimes["python"]["version"]
    assert client.execute(language="python", version=version, code="print('hello', input())", stdin="piston") \
        == "hello piston\n"
    assert client.execute(language="py", version="*", code="import sys\nprint(sys.argv[1:])", args=["a", "b"]) \
        == "['a', 'b']\n"


def test_the_npm_piston_client_unchanged(piston):
    if shutil.which("node") is None or not (HERE / "node_modules" / "piston-client").exists():
        missing("node and tests/piston/node_modules", "make test-clients")
    for language, source in {"python": "print('hello', input())",
                             "c": '#include <stdio.h>\nint main(){char s[16];scanf("%15s",s);printf("hello %s\\n",s);}'
                             }.items():
        answer = json.loads(subprocess.run(["node", str(HERE / "client.mjs"), piston, language, source, "npm"],
                                           capture_output=True, text=True, check=True, timeout=120).stdout)
        assert answer["run"]["stdout"] == "hello npm\n" and answer["run"]["code"] == 0, answer
        assert answer["language"] == language and answer["version"] == _versions(piston)[language]


def test_a_compiled_language_answers_its_compile_stage_and_a_failed_compile_no_run(piston):
    ok = _execute(piston, language="cpp", version="*", files=[{"name": "main.cpp", "content": "int main(){}"}]).json()
    assert ok["compile"]["code"] == 0 and ok["run"]["code"] == 0
    failed = _execute(piston, language="c", version="*", files=[{"content": "int main(){ return nope; }"}]).json()
    assert failed["compile"]["code"] != 0 and "nope" in failed["compile"]["output"]
    assert "run" not in failed


def test_every_file_is_written_and_the_first_one_runs(piston):
    # Piston writes all the files into the job's directory and runs the first one.
    answer = _execute(piston, language="python", version="*", files=[
        {"name": "main.py", "content": "from lib.words import WORD\nprint(WORD, open('data.bin', 'rb').read().hex())"},
        {"name": "lib/words.py", "content": "WORD = 'piston'"},
        {"name": "data.bin", "content": "AAEC", "encoding": "base64"},
        {"content": "unnamed: written as file3.code"},
    ]).json()
    assert answer["run"]["stdout"] == "piston 000102\n", answer
    hexed = _execute(piston, language="c", version="*", files=[
        {"content": '#include "v.h"\n#include <stdio.h>\nint main(){puts(V);}'},
        {"name": "v.h", "content": b'#define V "hex"\n'.hex(), "encoding": "hex"},
    ]).json()
    assert hexed["run"]["stdout"] == "hex\n", hexed


@pytest.mark.parametrize("files, message", [
    ([{"content": "x"}, {"name": "../x", "content": "y"}], "files[1].name: '../x' holds '.' or '..': give a plain relative path"),
    ([{"content": "x"}, {"name": "/etc/passwd", "content": "y"}], "is absolute"),
    ([{"content": "x", "encoding": "utf16"}], "files.encoding must be one of utf8, base64, hex"),
    ([{"content": "x"}, {"name": "b", "content": "zz", "encoding": "hex"}], "files.content is not valid hex"),
    ([{"content": "x"}, {"name": "a", "content": "1"}, {"name": "a", "content": "2"}], "more than one file at a"),
])
def test_files_that_cannot_be_written_are_400(piston, files, message):
    answer = _execute(piston, language="python", version="*", files=files)
    assert answer.status_code == 400 and message in answer.json()["message"], answer.text


def test_limits_and_statuses(piston):
    slow = _execute(piston, language="python", version="*", files=[{"content": "while True: pass"}],
                    run_timeout=1000).json()["run"]
    assert slow["status"] == "TO" and slow["signal"] == "SIGKILL" and slow["code"] is None
    crash = _execute(piston, language="python", version="*", files=[{"content": "raise SystemExit(3)"}]).json()["run"]
    assert crash["code"] == 3 and crash["status"] == "RE"
    fine = _execute(piston, language="python", version="*", files=[{"content": "print(1)"}]).json()["run"]
    assert fine["status"] is None and fine["cpu_time"] >= 0 and fine["memory"] > 0


@pytest.mark.parametrize("body, message", [
    ({"language": "whitespace", "version": "*", "files": [{"content": "x"}]}, "whitespace-* runtime is unknown"),
    ({"language": "python", "version": "2.7", "files": [{"content": "x"}]}, "python-2.7 runtime is unknown"),
    ({"language": "python", "files": [{"content": "x"}]}, "version is required as a string"),
    ({"language": "python", "version": "*"}, "files is required as an array"),
    ({"language": "python", "version": "*", "files": [{"content": "x"}], "run_timeout": 999999},
     "run_timeout cannot exceed the configured limit of 3000"),
])
def test_bad_requests_get_pistons_messages(piston, body, message):
    answer = _execute(piston, **body)
    assert answer.status_code == 400 and answer.json() == {"message": message}


def test_packages_are_read_only(piston):
    assert {p["language"] for p in httpx.get(f"{piston}/api/v2/packages").json()} >= {"python", "java"}
    refused = httpx.post(f"{piston}/api/v2/packages", json={"language": "ruby", "version": "*"})
    assert refused.status_code == 403 and "read-only" in refused.json()["message"]


def test_with_a_token_set_it_is_required(sandbox):
    require_redis()
    prefix = f"codearena-test-{uuid.uuid4().hex[:10]}"
    settings = PistonSettings(enabled=True, auth_token=TOKEN)
    with ServiceServer(service_app(queue_settings(prefix), piston=settings)) as service:
        base = f"{service.url}/piston/api/v2/runtimes"
        assert httpx.get(base).status_code == 401
        assert httpx.get(base, headers={"Authorization": "wrong"}).status_code == 401
        assert httpx.get(base, headers={"Authorization": TOKEN}).status_code == 200
        assert httpx.get(base, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    remove_prefix(prefix)


def test_it_is_off_unless_enabled(sandbox):
    require_redis()
    prefix = f"codearena-test-{uuid.uuid4().hex[:10]}"
    with ServiceServer(service_app(queue_settings(prefix))) as service:
        assert httpx.get(f"{service.url}/piston/api/v2/runtimes").status_code == 401  # the job API's gate: no route
    remove_prefix(prefix)
