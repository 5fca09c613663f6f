"""The execution service's and the workers' settings (two sections of the tree in
codearena.settings; LOG_LEVEL, the service token and the job size caps are common settings)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..common_settings import ENV_FILE
from ..sandbox.capacity import cpu_limit, memory_limit_bytes


class QueueSettings(BaseSettings):
    """Where the queue lives and how it behaves: read by the service and by the workers."""

    model_config = SettingsConfigDict(env_file=ENV_FILE, extra="ignore")

    redis_url: str = Field("redis://127.0.0.1:6379/0", description="where jobs, results and heartbeats live")
    queue_prefix: str = Field("codearena", pattern=r"^[A-Za-z0-9:_.-]+$",
                              description="prefix of every Redis key (one Redis can hold several queues)")
    queue_max_backlog: int = Field(10000, ge=1, description="unfinished jobs (queued + running); beyond: 503 + "
                                                            "Retry-After")
    queue_result_ttl: int = Field(3600, ge=10, description="seconds a finished job and its result are kept")
    queue_max_attempts: int = Field(3, ge=1, description="starts of a job before it ends as IE")
    queue_reclaim_margin: float = Field(5.0, ge=0, description="seconds past a job's own time budget before a "
                                                                "live but stuck worker loses it")
    queue_data_ttl: int = Field(7 * 24 * 3600, ge=60, description="seconds test data uploaded beside the queue "
                                                                  "is kept after the last job that used it")
    worker_heartbeat_interval: float = Field(1.0, gt=0, description="seconds between a worker's heartbeats")
    worker_heartbeat_ttl: float = Field(5.0, gt=0, description="a worker silent this many seconds is dead and its "
                                                               "jobs are taken over")


class ServiceSettings(BaseSettings):
    """The execution service's HTTP side."""

    model_config = SettingsConfigDict(env_prefix="EXECUTION_SERVICE_", env_file=ENV_FILE, extra="ignore")

    host: str = Field("0.0.0.0", description="where `codearena execution-service` listens")
    port: int = Field(3001, ge=1, le=65535, description="its port")
    max_body_bytes: int = Field(64 * 1024 * 1024, gt=0, description="request bodies above this: 413")
    max_tests: int = Field(1000, ge=1, description="tests in one judge job; more: 413")
    access_log: bool = Field(True, description="a log line per HTTP request (uvicorn's: client, method, path, "
                                               "status) at LOG_LEVEL=info; the job API's own lines "
                                               "([EXEC-SERVICE] ...) are logged either way")


WORKER_OWN_MEMORY = 256 * 1024 * 1024  # the worker process itself, before any slot


class WorkerSettings(BaseSettings):
    """`codearena worker`."""

    model_config = SettingsConfigDict(env_prefix="WORKER_", env_file=ENV_FILE, extra="ignore")

    concurrency: int | None = Field(None, ge=1, le=256, description="jobs run at once (default: one per CPU this "
                                    "worker may use, and no more than its memory holds at WORKER_SLOT_MEMORY_MB a slot; "
                                    "in a container, its CPU quota and memory limit)")
    slot_memory_mb: int = Field(512, ge=64, description="memory set aside per slot when the slot count is derived "
                                                        "(a job at the default 256 MB limit, its language's overhead "
                                                        "and the worker's share)")
    metrics_port: int = Field(0, ge=0, le=65535, description="serve this worker's Prometheus metrics on this "
                                                              "port (0: not served)")
    test_data_cache_mb: int = Field(4096, ge=16, description="test data this worker keeps on its disk (least "
                                                             "recently used evicted past it)")

    def slots(self) -> int:
        """WORKER_CONCURRENCY, else what this worker's CPUs and memory (its cgroup's, in a container) hold."""
        if self.concurrency:
            return self.concurrency
        by_memory = (memory_limit_bytes() - WORKER_OWN_MEMORY) // (self.slot_memory_mb * 1024 * 1024)
        return max(1, min(cpu_limit(), by_memory, 256))
