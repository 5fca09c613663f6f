"""`codearena worker`. Registered by codearena.cli (which also has `execution-service`: the service
as assembled with its adapters)."""

from __future__ import annotations

import faulthandler
import signal
from typing import Optional

import typer
from pydantic import ValidationError
from pydantic_settings import BaseSettings
from rich.console import Console

err_console = Console(stderr=True)


def load_section(section: type[BaseSettings]) -> BaseSettings:
    from ..validation import describe_settings_error

    try:
        return section()
    except ValidationError as exc:
        prefix = section.model_config.get("env_prefix", "")
        err_console.print(f"[red]error:[/red] invalid configuration: {describe_settings_error(exc, prefix)}",
                          highlight=False)
        raise typer.Exit(2)


def worker(
    concurrency: Optional[int] = typer.Option(None, "--concurrency", "-c", min=1, max=256,
                                              help="jobs run at once (default: WORKER_CONCURRENCY, else one per CPU "
                                                   "this worker may use, as its memory allows)"),
) -> None:
    """Run a worker: take jobs from the queue and run them in this machine's sandbox."""
    from prometheus_client import start_http_server

    from ..common_settings import CommonSettings
    from ..logs import configure_logging
    from ..sandbox import SandboxUnavailable, get_sandbox
    from .settings import QueueSettings, WorkerSettings
    from .worker import Worker

    common, settings = load_section(CommonSettings), load_section(WorkerSettings)
    configure_logging(common.log_level)
    try:
        sandbox = get_sandbox()
    except SandboxUnavailable as exc:
        err_console.print(f"[red]error:[/red] no sandbox: {exc} (see `codearena doctor`)", highlight=False)
        raise typer.Exit(3)
    sandbox.sweep_stale()  # what a worker killed on this machine left behind
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 PID` prints every thread's stack (diagnosis)
    runner = Worker(load_section(QueueSettings), concurrency or settings.slots(), sandbox,
                    settings.test_data_cache_mb)
    if settings.metrics_port:
        start_http_server(settings.metrics_port, registry=runner.metrics.registry)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: runner.stop())
    runner.run()
    if not runner.stopping.is_set():  # never exit 0 unasked: a supervisor must restart it
        raise typer.Exit(1)
