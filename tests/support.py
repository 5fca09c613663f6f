"""Helpers shared by the test packages."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time

import httpx
import uvicorn


SERVICE_TOKEN = "test-service-token"  # the execution service's token in every test that runs one
OK_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def answer_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, before_each=None) -> None:
    """An asyncio.start_server handler: every request on the connection answered 200 "ok" (a
    bare HTTP/1.1 server, no framework beside the client measured), after `before_each()` if given."""
    try:
        while await reader.readuntil(b"\r\n\r\n"):
            if before_each is not None:
                await before_each()
            writer.write(OK_RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionResetError):
        pass
    writer.close()


class RunningServer:
    """A real uvicorn server in a thread, on a socket bound before it starts (no port races)."""

    def __init__(self, app, port: int = 0):
        self.app = app
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", port))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> "RunningServer":
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:  # set by uvicorn once the lifespan (migrations) completed
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)
        self.socket.close()


def answer_once_up(url: str, process, timeout: float = 60) -> httpx.Response:
    """GET `url` as soon as the server `process` (a real one started by the test: nothing to hook
    into) listens; fails with its stderr if it exits first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, f"nothing answered at {url}"
            time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HangingServer:
    """Accepts connections, reads the request line, and never answers (a service that hangs).
    Counts the requests it swallowed, by their request line."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.request_lines: list[str] = []
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)
            connection.settimeout(5)
            try:
                self.request_lines.append(connection.recv(65536).split(b"\r\n", 1)[0].decode(errors="replace"))
            except OSError:
                pass

    def __enter__(self) -> "HangingServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.listener.close()
        for connection in self.connections:
            connection.close()


def missing(what: str, fix: str) -> None:
    """A test needs something this machine lacks: skip saying what and how to get it, or, where
    every test must run (CI: CODEARENA_TESTS_REQUIRE_ALL=1), fail."""
    import pytest

    message = f"{what} ({fix})"
    if os.environ.get("CODEARENA_TESTS_REQUIRE_ALL") == "1":
        pytest.fail(f"needed and missing: {message}", pytrace=False)
    pytest.skip(message)


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def box_writes(sandbox, path: str, binds) -> bool:
    """Whether a program in a box with these binds could open `path` for writing."""
    from codearena.sandbox import Limits

    with sandbox.box() as box:
        run = sandbox.run(box, ["/bin/sh", "-c", f"cat /dev/null > {path} || echo refused"], limits=Limits(), binds=binds)
    return b"refused" not in run.stdout


def box_mountinfo(sandbox, binds) -> str:
    """/proc/self/mountinfo as a program in a box with these binds reads it."""
    from codearena.sandbox import Limits

    with sandbox.box() as box:
        return sandbox.run(box, ["/bin/cat", "/proc/self/mountinfo"], limits=Limits(), binds=binds).stdout.decode()


def every_prepared_file_found() -> None:
    """Wait until this process has found (or made) every installed language's prepared files:
    each joins every box's bind set as it is found, so a test comparing bind sets, or counting
    started boxes, waits for them first."""
    from codearena.languages import LANGUAGES, class_data, headers

    for language in LANGUAGES:
        if language.available():
            class_data.archive_for(language, wait=True)
            headers.precompiled(language, wait=True)
