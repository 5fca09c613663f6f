"""The queue's own faults, at the service and worker level (issue 14): a lost stream, a running
job whose entry was lost. The platform's side of queue faults: tests/integration/test_queue_faults.py."""

from __future__ import annotations

from codearena.service.keys import GROUP
from codearena.service.settings import QueueSettings
from codearena.service.store import WorkerStore

from .conftest import REDIS_URL


def test_a_worker_survives_its_stream_being_deleted(queue, client):
    worker = queue.start_worker()
    assert client.post("/jobs", params={"wait": 60}, json={"language": "python", "source": "print(1)"}).json()["state"] == "done"
    queue.redis.delete(*queue.keys.streams)  # DEL, FLUSHALL or a failover to an empty replica
    record = client.post("/jobs", params={"wait": 60}, json={"language": "python", "source": "print('again')"}).json()
    assert record["state"] == "done" and record["result"]["stdout"] == "again\n"
    assert worker.process.poll() is None  # alive: it recreated the group and went on


def test_a_running_job_whose_entry_was_lost_ends_ie_not_running_forever(queue, client):
    """A job marked running whose stream entry is gone (the stream was replaced) and whose
    deadline passed: a worker ends it as IE with the reason."""
    settings = QueueSettings(redis_url=REDIS_URL, queue_prefix=queue.prefix)
    store = WorkerStore(queue.redis, settings)
    job_id = client.post("/jobs", json={"language": "python", "source": "print(1)"}).json()["id"]
    [delivery] = store.wait_new("ghost", 100)
    store.start(delivery, "ghost")  # running, on a worker that then loses everything
    queue.redis.xack(delivery.stream, GROUP, delivery.entry_id)
    queue.redis.xdel(delivery.stream, delivery.entry_id)
    queue.redis.zadd(queue.keys.running, {job_id: 1.0})  # its deadline is long past
    queue.start_worker()
    record = client.get(f"/jobs/{job_id}", params={"wait": 60}).json()
    assert record["state"] == "done" and record["result"]["verdict"] == "IE"
    assert "lost" in record["result"]["message"]
    assert queue.redis.zscore(queue.keys.running, job_id) is None


def test_a_workers_own_entry_that_no_slot_holds_is_reclaimed_by_itself(queue, client):
    """An entry pending for this worker that none of its slots holds (START's reply lost to an
    outage, say) is taken over by the worker's own reclaimer; one a slot holds is left alone."""
    import time

    settings = QueueSettings(redis_url=REDIS_URL, queue_prefix=queue.prefix, worker_heartbeat_ttl=0.2)
    store = WorkerStore(queue.redis, settings)
    store.heartbeat("me", {"name": "me"})  # alive: only its own bookkeeping decides
    client.post("/jobs", json={"language": "python", "source": "print(1)"})
    [delivery] = store.wait_new("me", 100)
    deadline = time.monotonic() + 30
    while not queue.redis.xpending_range(delivery.stream, GROUP, min="-", max="+", count=1, idle=200):
        assert time.monotonic() < deadline, "the entry never became idle"
        time.sleep(0.02)
    assert store.reclaimable("me", held={delivery.entry_id}) == []  # a slot has it
    [(taken, attempts)] = store.reclaimable("me", held=set())
    assert taken.job_id == delivery.job_id and attempts == 0
