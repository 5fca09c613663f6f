"""Every Redis key the queue uses, under one prefix (tests and tenants use their own)."""

from __future__ import annotations

from dataclasses import dataclass

PRIORITIES = ("interactive", "bulk")  # read in this order: people waiting go before bulk judging
GROUP = "workers"


@dataclass(frozen=True)
class Keys:
    prefix: str

    def stream(self, priority: str) -> str:
        return f"{self.prefix}:jobs:{priority}"

    @property
    def streams(self) -> list[str]:
        return [self.stream(p) for p in PRIORITIES]

    def job(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def result(self, job_id: str) -> str:
        return f"{self.prefix}:result:{job_id}"

    def progress(self, job_id: str) -> str:
        """A judging's test results so far, in the order its worker finished them (a list)."""
        return f"{self.prefix}:progress:{job_id}"

    @property
    def done_channel(self) -> str:
        return f"{self.prefix}:done"

    @property
    def tested_channel(self) -> str:
        """Ids of judgings with one more test judged (their waiters hold their answer a moment:
        this news needs no read, where one on `done` does)."""
        return f"{self.prefix}:tested"

    @property
    def stop_channel(self) -> str:
        """Ids of running jobs their client gave up on: the worker running one stops it."""
        return f"{self.prefix}:stop"

    def worker(self, name: str) -> str:
        return f"{self.prefix}:worker:{name}"

    @property
    def workers_pattern(self) -> str:
        return f"{self.prefix}:worker:*"

    @property
    def live_workers(self) -> str:
        """Live workers (a sorted set: name -> when its heartbeat expires): one lookup tells
        whether any worker serves the queue."""
        return f"{self.prefix}:workers:live"

    @property
    def running(self) -> str:
        """Running jobs, by the moment they are overdue (started + budget + margin)."""
        return f"{self.prefix}:running"

    def data(self, digest: str) -> str:
        """Test data, stored once by its SHA-256 and named by it in the jobs that use it."""
        return f"{self.prefix}:data:{digest}"

    def tombstone(self, job_id: str) -> str:
        """Left by a cancel of a job that did not exist (yet): its submission is refused."""
        return f"{self.prefix}:cancelled:{job_id}"

    @property
    def announcements(self) -> str:
        """Ids of finished jobs whose submitter asked to be told (`announce`)."""
        return f"{self.prefix}:announced"

    def scoped(self, name: str) -> str:
        """A key prefix of a front end's own (an adapter's index, say), beside the queue's keys."""
        return f"{self.prefix}:{name}"
