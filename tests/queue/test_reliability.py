"""What the queue promises when things go wrong: workers killed mid-job, several workers, a full
backlog, cancellation, waiting, retries exhausted, a graceful stop."""

from __future__ import annotations

import ctypes
import os
import platform
import random
import signal
import threading
import time

import pytest

from codearena.service.keys import GROUP

from ..conftest import leftovers


def busy_program(tag: str, seconds: float = 0.4) -> str:
    """A Python program that burns CPU for a while, then prints its own tag (results prove identity)."""
    return (f"import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass\n"
            f"print({tag!r})\n")


def wait_until(condition, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # polls Redis state the test cannot otherwise be told about
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_kill_9_workers_mid_job_loses_nothing(queue, client, sandbox):
    """20+ jobs; while each is running, its worker is killed with SIGKILL at a random moment and a
    new worker starts. Every job still completes, once, with its own output."""
    rng = random.Random(20261126)
    queue.start_worker()
    queue.start_worker()
    jobs = []
    for n in range(22):
        tag = f"job-{n}-{rng.randrange(10**6)}"
        job_id = client.post("/jobs", json={"language": "python", "source": busy_program(tag),
                                            "limits": {"cpu_time": 5}}).json()["id"]
        jobs.append((job_id, tag))
        wait_until(lambda: queue.job(job_id).get("state") in ("running", "done"), what=f"{job_id} to start")
        owner = queue.job(job_id).get("worker", "")
        victim = next((w for w in queue.workers if f":{w.pid}:" in owner and w.process.poll() is None), None)
        if victim is not None and queue.job(job_id)["state"] == "running":
            time.sleep(rng.uniform(0, 0.3))  # a random moment of the run (the point of the test)
            victim.kill()
            queue.workers.remove(victim)
            queue.start_worker(wait=False)
    killed = 0
    for job_id, tag in jobs:
        record = client.get(f"/jobs/{job_id}", params={"wait": 60}).json()
        assert record["state"] == "done", record
        assert record["result"]["verdict"] == "AC", record["result"]
        assert record["result"]["stdout"] == tag + "\n"
        killed += record["attempts"] > 1
        assert int(queue.job(job_id).get("duplicate_results", 0)) == 0 or record["attempts"] > 1
    assert killed >= 10, "the test should have interrupted most jobs mid-run"
    # Nothing left over: no unfinished entries, nothing pending in the group...
    for stream in queue.keys.streams:
        assert queue.redis.xlen(stream) == 0
        assert queue.redis.xpending(stream, GROUP)["pending"] == 0
    # ...and what the killed workers' runs left on this machine is cleared by the next worker start.
    queue.stop_workers()
    queue.start_worker()
    assert leftovers(sandbox) == []


def test_two_workers_share_the_load_and_results_go_to_their_own_jobs(queue, client):
    first, second = queue.start_worker(), queue.start_worker()
    submitted = [(client.post("/jobs", json={"language": "python", "source": busy_program(f"tag-{n}", 0.3)}).json()["id"],
                  f"tag-{n}") for n in range(8)]
    ran_on = set()
    for job_id, tag in submitted:
        record = client.get(f"/jobs/{job_id}", params={"wait": 60}).json()
        assert record["result"]["stdout"] == tag + "\n"
        ran_on.add(int(record["worker"].split(":")[1]))
    assert ran_on == {first.pid, second.pid}


def test_interactive_runs_go_before_bulk_judging(queue, client):
    bulk = [client.post("/jobs", json={"kind": "judge", "language": "python", "source": "print(1)",
                                       "tests": [{"name": "1", "expected_output": "1"}]}).json()["id"]
            for _ in range(3)]
    interactive = client.post("/jobs", json={"language": "python", "source": "print(2)"}).json()["id"]
    queue.start_worker()
    first_done = client.get(f"/jobs/{interactive}", params={"wait": 60}).json()
    later = [client.get(f"/jobs/{job_id}", params={"wait": 60}).json() for job_id in bulk]
    assert all(first_done["started_at"] < record["started_at"] for record in later)


def test_backlog_limit_answers_503_with_retry_after(sandbox):
    
    from .conftest import ServiceServer, queue_settings, remove_prefix, service_app

    prefix = "codearena-test-backlog"
    try:
        with ServiceServer(service_app(queue_settings(prefix, queue_max_backlog=2))) as service, \
                service.client() as c:
            accepted = [c.post("/jobs", json={"language": "python", "source": "print(1)"}) for _ in range(2)]
            assert [a.status_code for a in accepted] == [202, 202]
            refused = c.post("/jobs", json={"language": "python", "source": "print(1)"})
            assert refused.status_code == 503 and int(refused.headers["Retry-After"]) > 0
            assert "limit" in refused.json()["detail"]
            assert c.delete(f"/jobs/{accepted[0].json()['id']}").status_code == 200  # room again
            assert c.post("/jobs", json={"language": "python", "source": "print(1)"}).status_code == 202
            assert 'codearena_jobs_total{outcome="rejected"} 1.0' in c.get("/metrics").text
    finally:
        remove_prefix(prefix)


def test_a_cancelled_job_never_runs(queue, client):
    job_id = client.post("/jobs", json={"language": "python", "source": "print('ran')"}).json()["id"]
    cancelled = client.delete(f"/jobs/{job_id}")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    queue.start_worker()
    after = client.post("/jobs", params={"wait": 60}, json={"language": "python", "source": "print('later')"}).json()
    assert after["state"] == "done"  # the worker has been through the queue since
    record = client.get(f"/jobs/{job_id}").json()
    assert record["state"] == "cancelled" and record["result"] is None
    assert record["started_at"] is None and record["attempts"] == 0
    assert client.delete(f"/jobs/{after['id']}").status_code == 409  # done: too late to cancel


def test_cancelling_a_running_job_stops_it_on_its_worker(queue, client):
    queue.start_worker()
    job_id = client.post("/jobs", json={"language": "python", "source": "print('started', flush=True)\n"
                                        "import time\ntime.sleep(1000)", "limits": {"cpu_time": 10}}).json()["id"]
    wait_until(lambda: queue.job(job_id).get("state") == "running", what="the job to start")
    stopping = client.delete(f"/jobs/{job_id}")
    assert stopping.status_code == 202 and stopping.json() == {"id": job_id, "state": "stopping"}
    # Its wall limit is 21 s; the stop request ends it long before: the result is there within the wait.
    record = client.get(f"/jobs/{job_id}", params={"wait": 15}).json()
    assert record["state"] == "done" and record["result"]["verdict"] == "IE", record
    assert "nobody waits" in record["result"]["message"]
    assert record["result"]["wall_time"] < 15


def test_cancelling_a_job_started_along_with_the_last_ones_result_stops_it(queue, client):
    """The second job is read and started in the same round trip that stores the first one's
    result (no START of its own): a stop request for it still reaches its run."""
    first = client.post("/jobs", json={"language": "python", "source": busy_program("first", 0.5),
                                       "limits": {"cpu_time": 5}}).json()["id"]
    second = client.post("/jobs", json={"language": "python", "source": "import time\ntime.sleep(1000)",
                                        "limits": {"cpu_time": 10}}).json()["id"]
    queue.start_worker()
    wait_until(lambda: queue.job(second).get("state") == "running", what="the second job to start")
    assert queue.job(first).get("state") == "done"
    assert client.delete(f"/jobs/{second}").status_code == 202
    record = client.get(f"/jobs/{second}", params={"wait": 15}).json()
    assert record["state"] == "done" and record["result"]["verdict"] == "IE", record
    assert "nobody waits" in record["result"]["message"] and record["result"]["wall_time"] < 15


def test_a_stop_request_that_comes_before_its_jobs_slot_registered_it_is_kept_for_it():
    from codearena.service.worker import Worker

    from .conftest import queue_settings

    worker = Worker(queue_settings("codearena-test-early-stop"), concurrency=1)
    worker._stop_requested("early")  # the listener heard it first (the job was started inside a script)
    assert worker._register_stop("early").is_set()
    assert not worker._register_stop("other").is_set()
    assert not worker._register_stop("early").is_set()  # kept for its one registration only


def test_wait_returns_as_soon_as_the_result_exists(queue, client):
    """A waiter parked before any worker exists is answered when the result is stored, not when
    its wait runs out."""
    job_id = client.post("/jobs", json={"language": "python", "source": "print(1)"}).json()["id"]
    answer = {}
    waiter = threading.Thread(target=lambda: answer.update(
        record=client.get(f"/jobs/{job_id}", params={"wait": 60}).json(), at=time.time()))
    waiter.start()
    queue.start_worker()
    waiter.join(timeout=90)
    record = answer["record"]
    assert record["state"] == "done"
    assert answer["at"] - record["finished_at"] < 5  # answered on the result, not after the 60 s wait


def test_a_job_whose_workers_keep_dying_ends_as_ie(queue, client):
    """Simulate dead workers: a consumer takes the job, marks it started and vanishes, twice
    (max attempts 2); the real worker then ends the job as IE with the reason."""
    from codearena.service.store import WorkerStore

    from .conftest import queue_settings

    settings = queue_settings(queue.prefix, queue_max_attempts=2)
    store = WorkerStore(queue.redis, settings)
    job_id = client.post("/jobs", json={"language": "python", "source": "print(1)"}).json()["id"]
    for ghost in ("ghost-1", "ghost-2"):
        if ghost == "ghost-1":
            delivery = store.wait_new(ghost, 100)[0]
        else:
            # ghost-1 never beats: once its entry is idle past the heartbeat TTL it is reclaimable
            claimed = []
            wait_until(lambda: claimed.extend(store.reclaimable(ghost)) or claimed, what="the entry to be reclaimable")
            delivery = claimed[0][0]
        assert store.start(delivery, ghost).attempts == (1 if ghost == "ghost-1" else 2)
    queue.start_worker(QUEUE_MAX_ATTEMPTS="2")
    record = client.get(f"/jobs/{job_id}", params={"wait": 60}).json()
    assert record["state"] == "done" and record["result"]["verdict"] == "IE"
    assert "started 2 times" in record["result"]["message"]


TGKILL = {"x86_64": 234, "aarch64": 131}.get(platform.machine())


@pytest.mark.skipif(TGKILL is None, reason="tgkill's syscall number is only known here for x86_64 and aarch64")
def test_sigterm_delivered_to_another_thread_still_stops_the_worker(queue, client):
    # The kernel may hand a process's SIGTERM to any of its threads; Python runs the handler in
    # the main thread only, so the main thread must not sit in an endless join.
    worker = queue.start_worker()
    job_id = client.post("/jobs", json={"language": "python", "source": busy_program("finished", 1.0),
                                        "limits": {"cpu_time": 5}}).json()["id"]
    wait_until(lambda: queue.job(job_id).get("state") == "running", what="the job to start")
    threads = [int(tid) for tid in os.listdir(f"/proc/{worker.pid}/task") if int(tid) != worker.pid]
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.syscall(TGKILL, worker.pid, threads[-1], int(signal.SIGTERM)) == 0, ctypes.get_errno()
    _, stderr = worker.process.communicate(timeout=60)
    assert worker.process.returncode == 0, stderr
    assert client.get(f"/jobs/{job_id}").json()["result"]["stdout"] == "finished\n"


def test_sigterm_finishes_the_running_job_then_exits(queue, client):
    worker = queue.start_worker()
    job_id = client.post("/jobs", json={"language": "python", "source": busy_program("finished", 1.0),
                                        "limits": {"cpu_time": 5}}).json()["id"]
    wait_until(lambda: queue.job(job_id).get("state") == "running", what="the job to start")
    stderr = worker.terminate()
    assert worker.process.returncode == 0, stderr
    record = client.get(f"/jobs/{job_id}").json()
    assert record["state"] == "done" and record["result"]["stdout"] == "finished\n" and record["attempts"] == 1
    assert not queue.worker_names()  # its heartbeat is gone at once
