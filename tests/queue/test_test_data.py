"""Test data by reference (issue 20): stored once beside the queue by its SHA-256, named by
digest in jobs, fetched by the worker into its own cache and streamed to the program; a finished
job keeps its result, not its request."""

from __future__ import annotations

import hashlib

import pytest

from .conftest import ServiceServer, queue_settings, service_app

# A program that reads all of stdin and prints how many bytes and its checksum: the test sees
# that every byte arrived (8 MiB: beyond the 1 MiB that inline data may carry).
COUNT = "import sys, hashlib\ndata = sys.stdin.buffer.read()\nprint(len(data), hashlib.sha256(data).hexdigest())\n"
BIG = bytes(range(256)) * (32 * 1024)  # 8 MiB, not UTF-8


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(client, data: bytes):
    return client.put(f"/data/{sha(data)}", content=data, headers={"Content-Type": "application/octet-stream"})


def test_a_judging_names_its_data_by_digest_and_the_worker_streams_it(queue, client):
    worker = queue.start_worker()
    expected = f"{len(BIG)} {sha(BIG)}\n".encode()
    assert client.post("/data/missing", json={"sha256": [sha(BIG), sha(expected)]}).json()["missing"] == sorted(
        [sha(BIG), sha(expected)])
    assert put(client, BIG).status_code == 201 and put(client, expected).status_code == 201
    assert client.post("/data/missing", json={"sha256": [sha(BIG), sha(expected)]}).json()["missing"] == []
    job = {"kind": "judge", "language": "python", "source": COUNT, "limits": {"cpu_time": 5},
           "tests": [{"name": "big", "input": sha(BIG), "expected_output": sha(expected), "encoding": "sha256"}]}
    record = client.post("/jobs", params={"wait": 60}, json=job).json()
    assert record["state"] == "done" and record["result"]["verdict"] == "AC", record["result"]
    assert f":{worker.pid}:" in record["worker"]
    # Bounded Redis: the finished job keeps its result, not its request (source, tests).
    assert queue.redis.hget(queue.keys.job(record["id"]), "request") is None
    assert client.get(f"/jobs/{record['id']}").json()["result"]["verdict"] == "AC"


def test_data_a_job_names_must_be_stored_first(queue, client):
    job = {"kind": "judge", "language": "python", "source": COUNT,
           "tests": [{"name": "1", "input": "a" * 64, "expected_output": "b" * 64, "encoding": "sha256"}]}
    answer = client.post("/jobs", json=job)
    assert answer.status_code == 422 and "PUT /data/" in answer.json()["detail"]


def test_uploads_are_checked_against_their_digest(queue, client):
    answer = client.put(f"/data/{sha(b'one')}", content=b"two")
    assert answer.status_code == 422 and sha(b"two") in answer.json()["detail"]
    assert client.put("/data/not-a-digest", content=b"x").status_code == 422


def test_data_above_max_test_bytes_is_413_naming_the_limit(queue):
    with ServiceServer(service_app(queue_settings(queue.prefix), common={"max_test_bytes": 1000})) as small, \
            small.client() as client:
        answer = put(client, b"x" * 1001)
        assert answer.status_code == 413 and "MAX_TEST_BYTES=1000" in answer.json()["detail"]


def test_a_test_of_64_mib_reaches_the_program_whole(queue, client):
    """The promised size: an input of MAX_TEST_BYTES (64 MiB) uploaded, fetched by the worker and
    streamed to the program, which sees every byte."""
    queue.start_worker()
    huge = bytes(range(256)) * (256 * 1024)  # 64 MiB
    expected = f"{len(huge)} {sha(huge)}\n".encode()
    assert put(client, huge).status_code == 201 and put(client, expected).status_code == 201
    job = {"kind": "judge", "language": "python", "source": COUNT, "limits": {"cpu_time": 10, "memory_mb": 512},
           "tests": [{"name": "huge", "input": sha(huge), "expected_output": sha(expected), "encoding": "sha256"}]}
    record = client.post("/jobs", params={"wait": 60}, json=job).json()
    assert record["state"] == "done" and record["result"]["verdict"] == "AC", record["result"]
