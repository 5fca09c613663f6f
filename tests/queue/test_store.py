"""The worker's side of the job store against the real Redis, below the HTTP service."""

from __future__ import annotations

import uuid

import pytest
import redis

from codearena.execution.contract import Job
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


def test_a_blocking_read_wakes_with_one_entry_per_stream_at_most_interactive_first(store):
    keys, client = store.keys, store.client
    client.xadd(keys.stream("bulk"), {"job": "b1"})
    client.xadd(keys.stream("interactive"), {"job": "i1"})
    client.xadd(keys.stream("interactive"), {"job": "i2"})
    assert [d.job_id for d in store.wait_new("w1", block_ms=100)] == ["i1", "b1"]
    # The second interactive entry was not delivered with them: another worker takes it.
    assert [d.job_id for d in store.wait_new("w2", block_ms=100)] == ["i2"]
    assert store.wait_new("w1", block_ms=50) == []


def test_an_entry_deleted_after_it_was_read_is_skipped(store):
    keys, client = store.keys, store.client
    entry = client.xadd(keys.stream("interactive"), {"job": "gone"})
    client.xreadgroup(GROUP, "w1", {keys.stream("interactive"): ">"}, count=1)  # delivered, then deleted
    client.xdel(keys.stream("interactive"), entry)
    client.xadd(keys.stream("interactive"), {"job": "next"})
    assert [d.job_id for d in store.wait_new("w1", block_ms=100)] == ["next"]


def _queue(store: WorkerStore, job_id: str, priority: str = "interactive", state: str = "queued") -> str:
    """A job as SUBMIT leaves it: its hash and its stream entry."""
    job = Job(language="python", source=f"print({job_id!r})", priority=priority)
    entry = store.client.xadd(store.keys.stream(priority), {"job": job_id})
    store.client.hset(store.keys.job(job_id), mapping={
        "state": state, "request": job.model_dump_json(), "kind": "run", "language": "python", "priority": priority,
        "created_at": "1000.0", "budget": "35.000", "attempts": 0, "stream": store.keys.stream(priority),
        "entry": entry})
    return entry


def test_take_reads_and_starts_the_next_job_in_one_step_interactive_first(store):
    keys, client = store.keys, store.client
    _queue(store, "b1", "bulk")
    entry = _queue(store, "i1")
    taken = store.take("w1")
    assert (taken.delivery.job_id, taken.delivery.entry_id, taken.delivery.stream) == ("i1", entry,
                                                                                      keys.stream("interactive"))
    assert taken.started.job.source == "print('i1')" and taken.started.attempts == 1
    assert taken.started.created_at == 1000.0 and not taken.started.stop_requested
    state, worker, attempts = client.hmget(keys.job("i1"), ("state", "worker", "attempts"))
    assert (state, worker, attempts) == ("running", "w1", "1")
    assert client.zscore(keys.running, "i1") == pytest.approx(taken.started.started_at + 35
                                                              + store.settings.queue_reclaim_margin, abs=0.01)
    assert client.xpending(keys.stream("bulk"), GROUP)["pending"] == 0  # bulk left to anyone
    assert store.take("w2").delivery.job_id == "b1"
    assert store.take("w1") is None


def test_take_acks_and_deletes_the_entries_of_jobs_that_must_not_run(store):
    keys, client = store.keys, store.client
    _queue(store, "cancelled", state="cancelled")
    _queue(store, "done", state="done")
    client.xadd(keys.stream("interactive"), {"job": "expired"})  # its hash is gone
    _queue(store, "runs")
    assert store.take("w1").delivery.job_id == "runs"
    assert client.xlen(keys.stream("interactive")) == 1  # only the running job's entry is left
    assert client.xpending(keys.stream("interactive"), GROUP)["pending"] == 1
    assert client.hget(keys.job("cancelled"), "state") == "cancelled"  # not started
    assert not client.exists(keys.job("expired"))


def test_take_reports_a_missing_group_as_redis_does(store):
    store.client.xgroup_destroy(store.keys.stream("interactive"), GROUP)
    with pytest.raises(redis.ResponseError, match="NOGROUP"):
        store.take("w1")


def test_a_result_is_stored_and_the_next_job_started_in_one_round_trip(store):
    keys, client = store.keys, store.client
    _queue(store, "first")
    first = store.take("w1")
    _queue(store, "second", "bulk")
    stored, taken = store.complete_then_take(first.delivery, {"verdict": "OK", "stdout": "first\n"}, "OK", "w1")
    assert stored and client.hget(keys.job("first"), "state") == "done"
    assert client.get(keys.result("first")) == '{"verdict": "OK", "stdout": "first\\n"}'
    assert client.zscore(keys.running, "first") is None
    assert taken.delivery.job_id == "second" and client.hget(keys.job("second"), "state") == "running"
    assert store.complete_then_take(taken.delivery, {"verdict": "OK"}, "OK", "w1") == (True, None)
    # A duplicate's result is discarded, and nothing is taken for it either way but the next job.
    assert store.complete_then_take(first.delivery, {"verdict": "WA"}, "WA", "w1") == (False, None)
    assert client.get(keys.result("first")) == '{"verdict": "OK", "stdout": "first\\n"}'
