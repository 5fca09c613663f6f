"""The settings every process reads (one section of the tree in codearena.settings): each name
is defined here and nowhere else."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_FILE = ".env"


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ENV_FILE, extra="ignore")

    log_level: str = Field("info", description="debug, info, warning or error (every process)")
    execution_service_token: str | None = Field(
        None, description="the shared secret between the platform and the execution service; the service "
                          "refuses to start without it, and so does the platform in queue mode")
    max_code_bytes: int = Field(64 * 1024, gt=0, description="a program's source above this: 413")
    max_input_bytes: int = Field(1024 * 1024, gt=0, description="a run's stdin, or one test's data sent inline, "
                                                             "above this: 413")
    max_test_bytes: int = Field(64 * 1024 * 1024, gt=0, description="a problem's test input or expected output "
                                                                    "above this: 413")
    max_problem_bytes: int = Field(512 * 1024 * 1024, gt=0, description="all of a problem's test data together "
                                                                        "above this: 413")


@lru_cache
def common_settings() -> CommonSettings:
    return CommonSettings()
