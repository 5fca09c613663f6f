"""Platform server settings: environment variables and `.env`, with the platform's names."""

from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..common_settings import ENV_FILE
from ..sandbox.settings import sandbox_settings

# Secrets that appear in examples and tutorials; a production server refuses every one of them.
KNOWN_DEFAULT_SECRETS = {"", "secret", "changeme", "change-me", "jwt-secret", "your-secret-key", "codearena",
                         "development", "dev-secret"}
MIN_SECRET_LENGTH = 32


def default_database_url() -> str:
    return f"sqlite:///{sandbox_settings().state_dir / 'codearena.db'}"


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ENV_FILE, extra="ignore", case_sensitive=False)

    port: int = Field(5000, ge=1, le=65535, description="where `codearena serve` listens")
    host: str = Field("0.0.0.0", description="the address it listens on")
    listen_backlog: int = Field(2048, ge=16, le=65535, description="pending TCP connections the socket queues")
    access_log: bool = Field(True, description="a log line per HTTP request (uvicorn's: client, method, path, "
                                               "status) at LOG_LEVEL=info")
    node_env: Literal["development", "production", "test"] = Field(
        "development", description="production refuses to start without a random JWT_SECRET of 32+ characters")
    database_url: str = Field(default_factory=default_database_url,
                              description="sqlite:///PATH or postgresql://USER[:PASSWORD]@HOST[:PORT]/DB; "
                                          "migrations run on start")
    jwt_secret: str | None = Field(None, description="HS256 signing secret; required in production")
    jwt_expires_minutes: int = Field(24 * 60, gt=0, description="bearer token lifetime")
    cors_origins: str = Field("", description="comma-separated allowed origins; '*' for any")
    max_body_bytes: int = Field(8 * 1024 * 1024, gt=0, description="request bodies above this: 413")
    rate_limit: str = Field("60/minute", description="executions per user, `limits` syntax; empty: none")
    rate_limit_storage_url: str = Field("memory://", description="memory:// or redis://HOST:PORT (shared by replicas)")
    max_runs_per_user: int = Field(2, ge=0, description="runs one user may have in progress at once "
                                   "(shared by replicas through RATE_LIMIT_STORAGE_URL when it is Redis); 0: no cap")
    login_rate_limit: str = Field("10/minute", description="login attempts per client address and per username")
    register_rate_limit: str = Field("10/hour", description="registrations per client address")
    registration_open: bool = Field(True, description="false: POST /api/auth/register answers 403")
    execute_time_limit: float = Field(2.0, gt=0, le=30, description="default CPU seconds of a free run")
    execute_memory_limit: int = Field(256, ge=16, le=2048, description="default MB of a free run")

    @field_validator("node_env", mode="before")
    @classmethod
    def _lower(cls, value):
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _secret(self) -> "PlatformSettings":
        if self.node_env == "production":
            if self.jwt_secret is None or self.jwt_secret.strip().lower() in KNOWN_DEFAULT_SECRETS:
                raise ValueError("JWT_SECRET must be set to a random value in production "
                                 "(generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))')")
            if len(self.jwt_secret) < MIN_SECRET_LENGTH:
                raise ValueError(f"JWT_SECRET must be at least {MIN_SECRET_LENGTH} characters in production")
        elif not self.jwt_secret:
            # Development: a fresh secret per start; tokens do not survive a restart (said at start).
            self.jwt_secret = secrets.token_urlsafe(48)
            self._jwt_secret_generated = True
        return self

    _jwt_secret_generated: bool = PrivateAttr(False)

    @property
    def jwt_secret_generated(self) -> bool:
        """True when JWT_SECRET was not set and a random one was made for this process."""
        return self._jwt_secret_generated

    @property
    def production(self) -> bool:
        return self.node_env == "production"

    @property
    def allowed_origins(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


@lru_cache
def platform_settings() -> PlatformSettings:
    return PlatformSettings()
