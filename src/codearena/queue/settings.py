"""Queue-mode settings (environment variables and `.env`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class QueueSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    redis_url: str = Field("redis://127.0.0.1:6379/0", description="where jobs, results and heartbeats live")
    queue_prefix: str = Field("codearena", pattern=r"^[A-Za-z0-9:_.-]+$", description="prefix of every Redis key")
    execution_service_token: str | None = Field(None, description="shared secret every request must carry")
    execution_service_host: str = "0.0.0.0"
    execution_service_port: int = Field(3001, ge=1, le=65535)
    queue_max_backlog: int = Field(10000, ge=1, description="queued + running jobs; beyond: 503 + Retry-After")
    queue_result_ttl: int = Field(3600, ge=10, description="seconds a job and its result are kept")
    queue_max_attempts: int = Field(3, ge=1, description="deliveries of a job before it fails as IE")
    queue_reclaim_margin: float = Field(5.0, ge=0, description="seconds added to a job's own time budget")
    worker_heartbeat_interval: float = Field(1.0, gt=0, description="seconds between a worker's heartbeats")
    worker_heartbeat_ttl: float = Field(5.0, gt=0, description="a worker silent this long is dead")
    max_code_bytes: int = Field(64 * 1024, gt=0)
    max_input_bytes: int = Field(1024 * 1024, gt=0, description="per stdin / per test case")
    max_tests: int = Field(1000, ge=1)
    max_body_bytes: int = Field(64 * 1024 * 1024, gt=0, description="request bodies above this: 413")
    log_level: str = "info"
