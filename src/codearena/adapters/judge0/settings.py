"""Judge0 API settings (JUDGE0_* environment variables). Defaults are Judge0 CE v1.13.1's, except
where CodeArena is stricter: no network, no per-process limits. Compiler options and additional
files (a zip) are Judge0's features: both reach only the sandbox (the compiler runs in its box)."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ...common_settings import ENV_FILE
from ...languages import Language
from ...execution.contract import (MAX_CPU_SECONDS, MAX_FILES_BYTES, MAX_MEMORY_MB, MAX_OUTPUT_BYTES, MAX_PROCESSES, MAX_RUNS,
                                   MAX_STACK_MB, MAX_WALL_SECONDS)

VERSION = "1.13.1"


class Judge0Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JUDGE0_", env_file=ENV_FILE, extra="ignore")

    enabled: bool = Field(True, description="serve the Judge0 API under /judge0")
    # Auth as Judge0 does it: a token in a header (or query parameter) of the same name.
    authn_header: str = "X-Auth-Token"
    authn_token: str | None = Field(None, description="space-separated accepted tokens; default: the service token")
    allow_anonymous: bool = Field(False, description="serve callers without a token (never the default)")
    authz_header: str = "X-Auth-User"
    authz_token: str | None = Field(None, description="space-separated tokens for DELETE; unset: DELETE is refused")

    enable_wait_result: bool = True
    enable_submission_delete: bool = False
    enable_batched_submissions: bool = True
    enable_command_line_arguments: bool = True
    enable_compiler_options: bool = True
    allowed_languages_for_compile_options: str = Field(
        "", description="space-separated language names (as GET /languages starts them: 'C', 'C++'); empty: all")
    enable_additional_files: bool = True
    max_extract_size: int = Field(10240, ge=0, le=MAX_FILES_BYTES // 1024,
                                  description="KB an additional_files archive may unpack to")
    enable_callbacks: bool = True
    max_submission_batch_size: int = Field(20, ge=1, le=1000)
    callbacks_max_tries: int = Field(3, ge=1, le=10)
    callbacks_timeout: float = Field(5.0, gt=0, le=60)
    callback_allowed_networks: str = Field(
        "", description="comma-separated CIDRs a callback may reach although private (e.g. 10.1.0.0/16)")
    submission_ttl: int = Field(7 * 24 * 3600, ge=60, description="seconds a finished submission is kept")
    status_hold: float = Field(
        0.25, ge=0, le=5, description="seconds a GET of unfinished submissions may wait for them to finish "
                                      "before answering (Judge0 clients poll; this answers their poll sooner)")

    cpu_time_limit: float = Field(5.0, ge=0)
    # The job contract's bounds cap the maxima: a run is killed at the limit plus the extra time.
    max_cpu_time_limit: float = Field(15.0, ge=0, le=MAX_CPU_SECONDS - 5)
    cpu_extra_time: float = Field(1.0, ge=0)
    max_cpu_extra_time: float = Field(5.0, ge=0, le=5)
    wall_time_limit: float = Field(10.0, ge=1)
    max_wall_time_limit: float = Field(20.0, ge=1, le=MAX_WALL_SECONDS)
    memory_limit: int = Field(128000, ge=2048, description="KB")
    max_memory_limit: int = Field(512000, ge=2048, le=MAX_MEMORY_MB * 1024, description="KB")
    stack_limit: int = Field(64000, ge=0, description="KB")
    max_stack_limit: int = Field(128000, ge=0, le=MAX_STACK_MB * 1024, description="KB")
    max_processes_and_or_threads: int = Field(60, ge=1)
    max_max_processes_and_or_threads: int = Field(120, ge=1, le=MAX_PROCESSES)
    max_file_size: int = Field(1024, ge=0, description="KB (the program's output)")
    max_max_file_size: int = Field(4096, ge=0, le=MAX_OUTPUT_BYTES // 1024, description="KB")
    number_of_runs: int = Field(1, ge=1)
    max_number_of_runs: int = Field(20, ge=1, le=MAX_RUNS)
    redirect_stderr_to_stdout: bool = False

    homepage: str = "https://github.com/codearena"
    source_code: str = "https://github.com/codearena"
    maintainer: str = "CodeArena"

    @field_validator("callback_allowed_networks")
    @classmethod
    def _networks_parse(cls, value: str) -> str:
        for cidr in value.replace(",", " ").split():
            ipaddress.ip_network(cidr, strict=False)  # ValueError names the bad entry
        return value

    @property
    def compile_options_languages(self) -> list[str]:
        return self.allowed_languages_for_compile_options.split()

    def compiler_options_refusal(self, language: Language | None, name: str) -> str | None:
        """Why a submission in `language` (Judge0 name `name`) may not set compiler options, in
        v1.13.1's words; None if it may. Projects accept them, as Judge0 does, and ignore them."""
        if not self.enable_compiler_options:
            return "setting compiler options is not allowed"
        if language is None:  # the language's own error says it does not exist
            return None
        if not language.compiled:
            return "setting compiler options is only allowed for compiled languages"
        allowed = self.compile_options_languages
        if allowed and not any(name.startswith(label + " ") for label in allowed):
            listed = allowed[0] if len(allowed) == 1 else ", ".join(allowed[:-1]) + " and " + allowed[-1]
            return f"setting compiler options is only allowed for {listed}"
        if not language.project and not language.takes_compiler_options:
            return f"setting compiler options is not supported for {name}"
        return None

    @property
    def allowed_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(c, strict=False) for c in self.callback_allowed_networks.replace(",", " ").split()]

    def config_info(self, max_queue_size: int) -> dict:
        """GET /config_info: every key of v1.13.1, with the values CodeArena enforces."""
        return {
            "maintenance_mode": False,
            "enable_wait_result": self.enable_wait_result,
            "enable_compiler_options": self.enable_compiler_options,
            "allowed_languages_for_compile_options": self.compile_options_languages,
            "enable_command_line_arguments": self.enable_command_line_arguments,
            "enable_submission_delete": self.enable_submission_delete,
            "enable_callbacks": self.enable_callbacks,
            "callbacks_max_tries": self.callbacks_max_tries,
            "callbacks_timeout": float(self.callbacks_timeout),
            "enable_additional_files": self.enable_additional_files,
            "max_queue_size": max_queue_size,
            "cpu_time_limit": float(self.cpu_time_limit),
            "max_cpu_time_limit": float(self.max_cpu_time_limit),
            "cpu_extra_time": float(self.cpu_extra_time),
            "max_cpu_extra_time": float(self.max_cpu_extra_time),
            "wall_time_limit": float(self.wall_time_limit),
            "max_wall_time_limit": float(self.max_wall_time_limit),
            "memory_limit": self.memory_limit,
            "max_memory_limit": self.max_memory_limit,
            "stack_limit": self.stack_limit,
            "max_stack_limit": self.max_stack_limit,
            "max_processes_and_or_threads": self.max_processes_and_or_threads,
            "max_max_processes_and_or_threads": self.max_max_processes_and_or_threads,
            "enable_per_process_and_thread_time_limit": False,
            "allow_enable_per_process_and_thread_time_limit": False,
            "enable_per_process_and_thread_memory_limit": False,
            "allow_enable_per_process_and_thread_memory_limit": False,
            "max_file_size": self.max_file_size,
            "max_max_file_size": self.max_max_file_size,
            "number_of_runs": self.number_of_runs,
            "max_number_of_runs": self.max_number_of_runs,
            "redirect_stderr_to_stdout": self.redirect_stderr_to_stdout,
            "max_extract_size": self.max_extract_size,
            "enable_batched_submissions": self.enable_batched_submissions,
            "max_submission_batch_size": self.max_submission_batch_size,
            "submission_cache_duration": 0.0,
            "use_docs_as_homepage": False,
            "allow_enable_network": False,
            "enable_network": False,
        }
