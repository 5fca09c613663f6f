"""Piston API settings (PISTON_* environment variables). Defaults are Piston v2's own."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ...common_settings import ENV_FILE
from ...execution.contract import MAX_MEMORY_MB, MAX_WALL_SECONDS


class PistonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PISTON_", env_file=ENV_FILE, extra="ignore")

    enabled: bool = Field(False, description="serve the Piston v2 API under /piston")
    auth_token: str | None = Field(None, description="required in Authorization when set; unset: open, as Piston "
                                                     "itself is (trusted networks only)")
    run_timeout: int = Field(3000, ge=1, le=int(MAX_WALL_SECONDS * 1000),
                             description="ms a run may take, the default and the most a request may ask")
    compile_timeout: int = Field(10000, ge=1, description="ms a compilation may take, default and most")
    run_memory_limit: int = Field(256 * 1024 * 1024, ge=16 * 1024 * 1024, le=MAX_MEMORY_MB * 1024 * 1024,
                                  description="bytes a run may use (-1 in a request: this)")
    output_max_size: int = Field(1024, ge=1, description="characters of each stream returned")
