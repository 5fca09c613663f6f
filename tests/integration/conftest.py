"""The whole platform in queue mode: platform server (in-thread, SQLite), execution service
(in-thread), worker processes, the real Redis under a private prefix, the real sandbox."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest

from codearena.execution import ExecutionSettings

from ..api.conftest import PlatformServer, start_server
from ..queue.conftest import Queue, ServiceServer, queue_settings, remove_prefix, require_redis, service_app


def queue_mode(queue_url: str, **overrides) -> ExecutionSettings:
    values = dict(mode="queue", queue_url=queue_url, timeout=10000, max_poll_time=30000,
                  poll_interval=100, health_cache_ttl=0, breaker_probe_interval=100)
    values.update(overrides)
    return ExecutionSettings(**values)


def platform(tmp_path, sandbox, execution: ExecutionSettings) -> PlatformServer:
    running = start_server(f"sqlite:///{tmp_path}/platform-{uuid.uuid4().hex[:6]}.db", sandbox, execution=execution)
    return running


@contextmanager
def queue_and_platform(sandbox, tmp_path, slots: int, **execution) -> Iterator[tuple[Queue, PlatformServer]]:
    """A queue with one worker of `slots` slots, and a platform server in queue mode in front of
    it (EXECUTION_* overrides in `execution`), with users admin and alice."""
    require_redis()
    prefix = f"codearena-test-{uuid.uuid4().hex[:10]}"
    with ServiceServer(service_app(queue_settings(prefix))) as service:
        queue = Queue(prefix, service)
        queue.start_worker(concurrency=slots)
        try:
            with platform(tmp_path, sandbox, queue_mode(service.url, **execution)) as server:
                server.add_user("admin", role="admin")
                server.add_user("alice")
                yield queue, server
        finally:
            queue.stop_workers()
            remove_prefix(prefix)


@pytest.fixture
def stack(sandbox, tmp_path) -> Iterator[tuple[Queue, PlatformServer]]:
    """A queue with one worker of two slots, and a platform server in queue mode in front of it."""
    with queue_and_platform(sandbox, tmp_path, slots=2) as running:
        yield running


@pytest.fixture
def stack_with_short_poll(sandbox, tmp_path) -> Iterator[tuple[Queue, PlatformServer]]:
    """A queue with one worker of one slot, and a platform in queue mode that waits at most 2 s
    for a worker to start a job (EXECUTION_MAX_POLL_TIME)."""
    with queue_and_platform(sandbox, tmp_path, slots=1, max_poll_time=2000) as running:
        yield running
