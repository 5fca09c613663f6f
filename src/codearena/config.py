"""Configuration from environment variables and `.env`, with the platform's established names."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_state_dir() -> Path:
    if os.geteuid() == 0:
        return Path("/var/lib/codearena")
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "codearena"


class SandboxSettings(BaseSettings):
    """Where the sandbox keeps its state and how it isolates. Prefix: CODEARENA_."""

    model_config = SettingsConfigDict(env_prefix="CODEARENA_", env_file=".env", extra="ignore")

    state_dir: Path = Field(default_factory=_default_state_dir, description="boxes, locks, helper binary")
    uid_base: int = Field(60000, ge=1000, description="box N runs as host uid uid_base+N")
    slots: int = Field(256, ge=1, le=4096, description="most boxes alive at once on this machine")
    seccomp: bool = True
    compile_cache_mb: int = Field(1024, ge=16, description="compile cache size before LRU eviction")
    unsafe_dev_mode: bool = Field(
        False, description="run code WITHOUT isolation when no sandbox works; development only"
    )
    log_level: str = Field("info", validation_alias="LOG_LEVEL")


@lru_cache
def sandbox_settings() -> SandboxSettings:
    return SandboxSettings()
