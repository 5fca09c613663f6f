"""Execution settings (EXECUTION_*): how the platform runs code, with the platform guide's names
and units (milliseconds). The service token they use is a common setting (EXECUTION_SERVICE_TOKEN)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..common_settings import ENV_FILE
from ..sandbox.capacity import cpu_limit


class ExecutionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXECUTION_", env_file=ENV_FILE, extra="ignore")

    mode: Literal["direct", "queue"] = Field("direct", description="direct (this server runs the code) or queue "
                                             "(the execution service does, falling back to direct)")
    queue_url: str = Field("http://localhost:3001", description="the execution service")
    poll_interval: int = Field(1000, gt=0, description="ms between polls when the service cannot wait")
    max_poll_time: int = Field(60000, gt=0, description="ms to wait for a queued job in all")
    timeout: int = Field(30000, gt=0, description="ms per HTTP request to the execution service")
    direct_concurrency: int = Field(default_factory=cpu_limit, ge=1, le=256,
                                    description="programs this server runs at once in direct mode (default: the "
                                                "CPUs it may use, in a container its CPU quota)")
    direct_max_waiting: int = Field(1000, ge=0, description="direct runs that may wait for a slot; beyond: 503")
    queue_concurrency: int = Field(1000, ge=1, le=10000,
                                   description="jobs this server keeps in the queue at once (one connection each)")
    breaker_failures: int = Field(3, ge=1, description="queue failures in a row before going direct for a while")
    breaker_probe_interval: int = Field(2000, gt=0, description="ms between health probes while the breaker is open")
    health_cache_ttl: int = Field(5000, ge=0, description="ms a probe of the service's health is reused")
    test_data_cache_mb: int = Field(4096, ge=16, description="test data this server keeps on its disk for direct "
                                                             "runs (least recently used evicted past it)")
