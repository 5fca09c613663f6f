"""The settings tree: every process's configuration, one section per concern, each environment
variable defined in exactly one section (its default and description written once, there).

    common      LOG_LEVEL, EXECUTION_SERVICE_TOKEN, MAX_CODE_BYTES, MAX_INPUT_BYTES   every process
    platform    PORT, DATABASE_URL, JWT_*, rate limits ...                            codearena serve
    execution   EXECUTION_*                                                           codearena serve
    sandbox     CODEARENA_*                                        serve (direct mode), worker, run
    queue       REDIS_URL, QUEUE_*, WORKER_HEARTBEAT_*                   execution-service, worker
    service     EXECUTION_SERVICE_*                                           execution-service
    worker      WORKER_*                                                              worker
    judge0      JUDGE0_*                                                      execution-service

`codearena config` prints the tree; docs/configuration.md is generated from it.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings

from .adapters.judge0.settings import Judge0Settings
from .adapters.piston.settings import PistonSettings
from .common_settings import CommonSettings
from .execution.settings import ExecutionSettings
from .platform_app.settings import PlatformSettings
from .sandbox.settings import SandboxSettings
from .service.settings import QueueSettings, ServiceSettings, WorkerSettings

SECTIONS: dict[str, type[BaseSettings]] = {
    "common": CommonSettings, "platform": PlatformSettings, "execution": ExecutionSettings,
    "sandbox": SandboxSettings, "queue": QueueSettings, "service": ServiceSettings, "worker": WorkerSettings,
    "judge0": Judge0Settings, "piston": PistonSettings,
}
READ_BY = {
    "common": "every process", "platform": "codearena serve", "execution": "codearena serve",
    "sandbox": "codearena serve (direct mode and fallback), worker, run, judge, doctor",
    "queue": "codearena execution-service, worker", "service": "codearena execution-service",
    "worker": "codearena worker", "judge0": "codearena execution-service (the Judge0 API)",
    "piston": "codearena execution-service (the Piston API)",
}
# Defaults that depend on the machine: written as what they are, not as this machine's value.
MACHINE_DEFAULTS = {"CODEARENA_STATE_DIR": "/var/lib/codearena as root, else ~/.cache/codearena",
                    "DATABASE_URL": "sqlite:///$CODEARENA_STATE_DIR/codearena.db",
                    "EXECUTION_DIRECT_CONCURRENCY": "the number of cores",
                    "JWT_SECRET": "random per start (development); required in production"}


def variables(section: type[BaseSettings]) -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for each field of a section."""
    prefix = section.model_config.get("env_prefix", "")
    rows = []
    for name, field in section.model_fields.items():
        variable = (prefix + name).upper()
        default = MACHINE_DEFAULTS.get(variable)
        if default is None:
            default = "none" if field.default is None else repr(field.default) if isinstance(field.default, str) \
                else str(field.default).lower() if isinstance(field.default, bool) else str(field.default)
        rows.append((variable, default, field.description or ""))
    return rows


def markdown() -> str:
    lines = ["# Configuration", "",
             "Environment variables (or a `.env` file in the working directory). Generated from the settings tree",
             "(`src/codearena/settings.py`) by `codearena config --markdown`: each variable is defined once, in one",
             "section. A bad value stops the process at start with a message naming the variable.", ""]
    for name, section in SECTIONS.items():
        lines += [f"## {name}", "", f"Read by: {READ_BY[name]}.", "", "| variable | default | meaning |",
                  "| --- | --- | --- |"]
        lines += [f"| `{variable}` | `{default}` | {description} |" for variable, default, description in variables(section)]
        lines.append("")
    return "\n".join(lines)
