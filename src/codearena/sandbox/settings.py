"""The sandbox's settings (CODEARENA_*): where it keeps its state and how it isolates."""

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

    state_dir: Path = Field(default_factory=_default_state_dir,
                            description="boxes, slot locks, the init helper, the compile cache "
                                        "(/var/lib/codearena as root)")
    uid_base: int = Field(60000, ge=1000, description="box N runs as host uid UID_BASE + N")
    slots: int = Field(256, ge=1, le=4096, description="most boxes alive at once on this machine")
    seccomp: bool = Field(True, description="install the seccomp filter (defence in depth)")
    ready_boxes: bool = Field(True, description="long-lived threads (direct mode's pool, a worker's slots) keep "
                                                "their box started between runs and reset it, instead of "
                                                "building and tearing down one per run")
    compile_cache_mb: int = Field(1024, ge=16, description="compile cache size; past it, least recently used "
                                                           "entries are evicted in the background down to 90%")
    unsafe_dev_mode: bool = Field(
        False, description="run code WITHOUT isolation when no sandbox works; development only"
    )


@lru_cache
def sandbox_settings() -> SandboxSettings:
    return SandboxSettings()
