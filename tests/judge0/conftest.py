"""The Judge0 API for real: the execution service (uvicorn on loopback) with /judge0, a worker
process, the real Redis under a prefix of this module's own, the real sandbox; clients are the
official `judge0` SDK (pinned in pyproject) and plain HTTP."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from queue import Queue as Inbox
from typing import Iterator

import httpx
import judge0
import pytest

from codearena.adapters.judge0 import Judge0Settings

from ..queue.conftest import Queue, ServiceServer, queue_settings, remove_prefix, require_redis, service_app

AUTH_TOKEN = "judge0-test-token"
ADMIN_TOKEN = "judge0-test-admin"
AUTH = {"X-Auth-Token": AUTH_TOKEN}


def judge0_settings(**overrides) -> Judge0Settings:
    values = dict(authn_token=AUTH_TOKEN, authz_token=ADMIN_TOKEN, enable_submission_delete=True,
                  callback_allowed_networks="127.0.0.1/32", callbacks_timeout=2.0, callbacks_max_tries=3)
    values.update(overrides)
    return Judge0Settings(**values)


class Judge0Stack:
    def __init__(self, queue: Queue):
        self.queue = queue
        self.url = f"{queue.service.url}/judge0"

    def http(self, headers: dict | None = AUTH) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=headers or {}, timeout=120)

    def sdk(self) -> judge0.Client:
        return judge0.Client(self.url, dict(AUTH))


@pytest.fixture(scope="module")
def stack(sandbox) -> Iterator[Judge0Stack]:
    require_redis()
    prefix = f"codearena-test-{uuid.uuid4().hex[:10]}"
    with ServiceServer(service_app(queue_settings(prefix), judge0_settings())) as service:
        running = Queue(prefix, service)
        running.start_worker(concurrency=2)
        try:
            yield Judge0Stack(running)
        finally:
            running.stop_workers()
            remove_prefix(prefix)
            sandbox.sweep_stale()


@pytest.fixture(scope="module")
def sdk(stack) -> judge0.Client:
    return stack.sdk()


@pytest.fixture
def http(stack) -> Iterator[httpx.Client]:
    with stack.http() as client:
        yield client


class CallbackReceiver:
    """A real HTTP server on 127.0.0.1 that records every request; the first `failures` requests
    are answered 500 (to see retries)."""

    def __init__(self, failures: int = 0):
        self.received: Inbox[tuple[str, str, dict]] = Inbox()
        self.failures = failures
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.put((self.command, self.path, {**json.loads(body),
                                                                 "_content_type": self.headers["Content-Type"],
                                                                 "_host": self.headers["Host"],
                                                                 "_authorization": self.headers["Authorization"]}))
                failing = receiver.failures > 0
                receiver.failures -= 1
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "CallbackReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
