"""The worker's side of the job store against the real Redis, below the HTTP service."""

from __future__ import annotations

import uuid

import pytest
import redis

from codearena.service.keys import GROUP
from codearena.service.store import WorkerStore, ensure_groups, redis_options

from .conftest import REDIS_URL, queue_settings, remove_prefix, require_redis


@pytest.fixture
def store():
    require_redis()
    prefix = f"codearena-test-{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(REDIS_URL, **redis_options())
    worker_store = WorkerStore(client, queue_settings(prefix))
    ensure_groups(client, worker_store.keys)
    try:
        yield worker_store
    finally:
        client.close()
        remove_prefix(prefix)


def test_a_read_takes_interactive_first_and_leaves_bulk_to_anyone(store):
    keys, client = store.keys, store.client
    client.xadd(keys.stream("bulk"), {"job": "b1"})
    client.xadd(keys.stream("interactive"), {"job": "i1"})
    first = store.read("w1", block_ms=100)
    assert [d.job_id for d in first] == ["i1"]
    # The bulk entry was not delivered with it: another worker takes it.
    assert client.xpending(keys.stream("bulk"), GROUP)["pending"] == 0
    assert [d.job_id for d in store.read("w2", block_ms=100)] == ["b1"]
    assert store.read("w1", block_ms=50) == []


def test_an_entry_deleted_after_it_was_read_is_skipped(store):
    keys, client = store.keys, store.client
    entry = client.xadd(keys.stream("interactive"), {"job": "gone"})
    client.xreadgroup(GROUP, "w1", {keys.stream("interactive"): ">"}, count=1)  # delivered, then deleted
    client.xdel(keys.stream("interactive"), entry)
    client.xadd(keys.stream("interactive"), {"job": "next"})
    assert [d.job_id for d in store.read("w1", block_ms=100)] == ["next"]
